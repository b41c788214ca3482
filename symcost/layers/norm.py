"""Normalisation layers."""

from __future__ import annotations

from typing import Literal

import sympy

from ..counts import OpCounts
from ..dims import Dim
from .base import Census, Layer, match_channels

__all__ = ["BatchNorm2d"]


class BatchNorm2d(Layer):
    """Batch normalisation at inference, as ``torch.nn.BatchNorm2d`` in eval mode.

    z = γ·(y − mean)/√(var + ε) + β per channel. With the per-channel scale γ/√(var + ε)
    and shift β − mean·scale computed once, each element costs one multiply and one add.

    params = 2·C (γ, β, learnable; none without ``affine``); buffers = 2·C (running mean
    and variance). The seed's "4·C parameters" is params + buffers. Under the ``seed``
    convention BatchNorm is free: at inference it folds into the preceding conv or linear
    layer (see :mod:`symcost.fold`).
    """

    kind: Literal["batchnorm2d"] = "batchnorm2d"
    num_features: Dim
    """Channels C."""
    affine: bool = True
    """Learnable γ and β (torch's default: True)."""
    track_running_stats: bool = True
    """Running mean and variance kept as buffers (torch's default: True)."""

    def infer(self, shape, where):
        constraints = match_channels(shape.C, self.num_features, where=where,
                                     field="num_features")
        n = shape.elements
        c = self.num_features
        census = Census(
            kind=self.kind, ops=OpCounts(mul=n, add=n), inputs=n, outputs=n,
            params=2 * c if self.affine else sympy.Integer(0),
            buffers=2 * c if self.track_running_stats else sympy.Integer(0),
            attrs={"affine": self.affine},
        )
        return shape, census, constraints
