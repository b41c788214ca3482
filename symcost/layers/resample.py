"""Upsampling."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from ..counts import OpCounts
from ..dims import DimPair
from ..errors import SpecError
from ..shapes import pair
from .base import Census, Layer, check_axes

__all__ = ["Upsample"]


class Upsample(Layer):
    """Upsampling by an integer ``scale_factor`` or to a fixed ``size``.

    ``nearest`` copies (no arithmetic); ``bilinear`` forms each output as a weighted sum of
    its four neighbours with precomputed weights: 4 multiplies and 3 adds per output element.
    """

    kind: Literal["upsample"] = "upsample"
    family: ClassVar[str] = "resample"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    scale_factor: DimPair | None = None
    """Integer factor per axis (or one for both)."""
    size: DimPair | None = None
    """Output (H, W), instead of a factor."""
    mode: Literal["nearest", "bilinear"] = "nearest"
    """Interpolation."""

    @model_validator(mode="after")
    def _one_of(self):
        check_axes(self, 2, ("scale_factor", "size"))
        if (self.scale_factor is None) == (self.size is None):
            raise SpecError("give exactly one of scale_factor and size.", field="scale_factor",
                            value=(self.scale_factor, self.size))
        return self

    def infer(self, shape, where):
        if self.size is not None:
            sizes = pair(self.size)
        else:
            sizes = tuple(n * f for n, f in zip(shape.spatial_sizes, pair(self.scale_factor)))
        out = shape.with_spatial(sizes)
        e = out.elements
        ops = OpCounts(mul=4 * e, add=3 * e) if self.mode == "bilinear" else OpCounts()
        return out, Census(kind=self.kind, ops=ops, inputs=shape.elements, outputs=e,
                           attrs={"mode": self.mode}), []

