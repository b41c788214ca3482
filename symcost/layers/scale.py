"""Learned element-wise scaling."""

from __future__ import annotations

from typing import ClassVar, Literal

from ..counts import OpCounts
from ..dims import Dim
from .base import Census, Layer, match_channels

__all__ = ["LayerScale"]


class LayerScale(Layer):
    """A learned scale per channel, broadcast over the other axes: ``γ_c · x`` (the
    ``layer_scale`` parameter of ConvNeXt's blocks, of shape C×1×1; CaiT's LayerScale).

    One multiply per element; params = C.

    >>> import symcost as sc
    >>> C, H, W = sc.dims("C H W")
    >>> cost = sc.LayerScale(num_channels=C).cost(sc.Shape(C=C, H=H, W=W), "flops")
    >>> cost.flops, cost.params
    (C*H*W, C)
    """

    kind: Literal["layer_scale"] = "layer_scale"
    family: ClassVar[str] = "elementwise"
    keeps_shape: ClassVar[bool] = True
    num_channels: Dim
    """Channels C (axis 1), one learned factor each."""

    def infer(self, shape, where):
        constraints = match_channels(shape.channels, self.num_channels, where=where,
                                     field="num_channels")
        n = shape.elements
        census = Census(kind=self.kind, ops=OpCounts(mul=n), inputs=n, outputs=n,
                        params=self.num_channels)
        return shape, census, constraints
