"""Upsampling."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ..counts import OpCounts
from ..dims import DimPair
from ..errors import SpecError
from ..shapes import needs_map, pair
from .base import Census, Layer

__all__ = ["Upsample"]


class Upsample(Layer):
    """Upsampling by an integer ``scale_factor`` or to a fixed ``size``.

    ``nearest`` copies (no arithmetic); ``bilinear`` forms each output as a weighted sum of
    its four neighbours with precomputed weights: 4 multiplies and 3 adds per output element.
    """

    kind: Literal["upsample"] = "upsample"
    scale_factor: DimPair | None = None
    """Integer factor per axis (or one for both)."""
    size: DimPair | None = None
    """Output (H, W), instead of a factor."""
    mode: Literal["nearest", "bilinear"] = "nearest"
    """Interpolation."""

    @model_validator(mode="after")
    def _one_of(self):
        if (self.scale_factor is None) == (self.size is None):
            raise SpecError("give exactly one of scale_factor and size.", field="scale_factor",
                            value=(self.scale_factor, self.size))
        return self

    def infer(self, shape, where):
        needs_map(shape, where)
        if self.size is not None:
            h, w = pair(self.size)
        else:
            fh, fw = pair(self.scale_factor)
            h, w = shape.H * fh, shape.W * fw
        out = shape.replace(H=h, W=w)
        e = out.elements
        ops = OpCounts(mul=4 * e, add=3 * e) if self.mode == "bilinear" else OpCounts()
        return out, Census(kind=self.kind, ops=ops, inputs=shape.elements, outputs=e,
                           attrs={"mode": self.mode}), []

