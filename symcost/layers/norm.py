"""Normalisation layers."""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy

from ..counts import OpCounts
from ..dims import Dim
from .base import Census, Layer, match_channels

__all__ = ["BatchNorm2d", "LayerNorm", "LayerNorm2d", "RMSNorm", "layer_norm_ops", "rms_norm_ops"]


class BatchNorm2d(Layer):
    """Batch normalisation at inference, as ``torch.nn.BatchNorm2d`` in eval mode; on a
    vector N×C or a map of another rank it is ``BatchNorm1d``/``BatchNorm3d`` (the channels
    are axis 1 in every case).

    z = γ·(y − mean)/√(var + ε) + β per channel. With the per-channel scale γ/√(var + ε)
    and shift β − mean·scale computed once, each element costs one multiply and one add.

    params = 2·C (γ, β, learnable; none without ``affine``); buffers = 2·C (running mean
    and variance). The seed's "4·C parameters" is params + buffers. Under the ``seed``
    convention BatchNorm is free: at inference it folds into the preceding conv or linear
    layer (see :mod:`symcost.fold`).
    """

    kind: Literal["batchnorm2d"] = "batchnorm2d"
    family: ClassVar[str] = "norm"
    keeps_shape: ClassVar[bool] = True
    num_features: Dim
    """Channels C."""
    affine: bool = True
    """Learnable γ and β (torch's default: True)."""
    track_running_stats: bool = True
    """Running mean and variance kept as buffers (torch's default: True)."""

    def infer(self, shape, where):
        constraints = match_channels(shape.channels, self.num_features, where=where,
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


def layer_norm_ops(rows: sympy.Expr, n: sympy.Expr, *, weight: bool, bias: bool) -> OpCounts:
    """The census of normalising ``rows`` groups of ``n`` values each.

    Per group, a direct implementation computes
    mean = Σx/n (n − 1 adds, 1 division), the deviations d = x − mean (n subtractions),
    var = Σd²/n (n multiplies, n − 1 adds, 1 division), r = 1/√(var + ε) (1 add, 1 square
    root, 1 division) and d·r (n multiplies); the affine part adds n multiplies (weight)
    and n adds (bias). Totals per group: add 3n − 1 (+ n), mul 2n (+ n), div 3, sqrt 1.
    """
    add = 3 * n - 1 + (n if bias else 0)
    mul = 2 * n + (n if weight else 0)
    return OpCounts(add=rows * add, mul=rows * mul, div=3 * rows, sqrt=rows)


class _LayerNormBase(Layer):
    """Normalisation of groups of n values along one axis (the census of
    :func:`layer_norm_ops`), with an optional learned per-feature weight and shift."""

    family: ClassVar[str] = "norm"
    keeps_shape: ClassVar[bool] = True

    elementwise_affine: bool = True
    """Learned per-feature weight (and bias) (torch's default: True)."""
    bias: bool = True
    """Learned per-feature shift, when ``elementwise_affine`` (torch's default: True)."""

    def _axis(self, shape) -> tuple[sympy.Expr, sympy.Expr, str]:
        """(the input's size along the normalised axis, the declared size, its field)."""
        raise NotImplementedError

    def infer(self, shape, where):
        given, n, field = self._axis(shape)
        constraints = match_channels(given, n, where=where, field=field)
        affine, bias = self.elementwise_affine, self.elementwise_affine and self.bias
        elements = shape.elements
        census = Census(kind=self.kind,
                        ops=layer_norm_ops(elements / n, n, weight=affine, bias=bias),
                        inputs=elements, outputs=elements,
                        params=sympy.sympify((n if affine else 0) + (n if bias else 0)),
                        attrs={"normalized": n, "affine": affine})
        return shape, census, constraints


class LayerNorm(_LayerNormBase):
    """Layer normalisation over the last axis, as ``torch.nn.LayerNorm(normalized_shape)``
    with an int ``normalized_shape``: each row of n = ``normalized_shape`` values along the
    last axis (the features D of a sequence N×L×D or of a vector; the channels of a map
    made channels-last by :class:`~symcost.Permute`, as in ConvNeXt's blocks) is normalised
    to zero mean and unit variance, then scaled and shifted per feature.

    Census per row of n values (see :func:`layer_norm_ops`): add 3n − 1 (+ n with bias),
    mul 2n (+ n with the learned weight), div 3, sqrt 1. params = 2n (n without bias, 0
    without ``elementwise_affine``); no buffers: statistics are computed on the fly.

    >>> import symcost as sc
    >>> C, L = sc.dims("C L")
    >>> ln = sc.LayerNorm(normalized_shape=C)
    >>> cost = ln.cost(sc.Shape(N=L, C=C), "flops")
    >>> cost.params, cost.counts.sqrt
    (2*C, L)
    """

    kind: Literal["layer_norm"] = "layer_norm"
    normalized_shape: Dim
    """Size n of the last axis, over which each row is normalised."""

    def _axis(self, shape):
        return shape.last, self.normalized_shape, "normalized_shape"


class LayerNorm2d(_LayerNormBase):
    """Layer normalisation over the channels of a feature map, at every position: what
    torchvision's ``LayerNorm2d`` computes (permute to channels-last, ``LayerNorm(C)``,
    permute back), used in ConvNeXt's stem, downsampling layers and head.

    The census is that of :class:`LayerNorm` with n = C and N·H·W rows; params = 2C.
    """

    kind: Literal["layer_norm2d"] = "layer_norm2d"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    num_channels: Dim
    """Channels C."""

    def _axis(self, shape):
        return shape.channels, self.num_channels, "num_channels"


def rms_norm_ops(rows: sympy.Expr, n: sympy.Expr, *, weight: bool) -> OpCounts:
    """The census of RMS-normalising ``rows`` groups of ``n`` values each.

    Per group: the squares (n multiplies), their sum (n − 1 adds), the mean (1 division),
    + ε (1 add), the square root and its reciprocal (1 sqrt, 1 division), x·r (n
    multiplies) and the learned weight (n multiplies). Totals per group: mul 2n (+ n),
    add n, div 2, sqrt 1.
    """
    return OpCounts(mul=rows * (2 * n + (n if weight else 0)), add=rows * n, div=2 * rows,
                    sqrt=rows)


class RMSNorm(Layer):
    """Root-mean-square normalisation over the last axis, as ``torch.nn.RMSNorm`` (and
    LLaMA's, Mistral's and T5's norms): x / √(mean(x²) + ε) · weight, no mean subtracted
    and no bias (:func:`rms_norm_ops`).

    params = n with ``elementwise_affine`` (the default), else 0.

    >>> import symcost as sc
    >>> B, T, d = sc.dims("B T d")
    >>> sc.RMSNorm(normalized_shape=d).cost(sc.Shape(N=B, L=T, D=d), "flops").params
    d
    """

    kind: Literal["rms_norm"] = "rms_norm"
    family: ClassVar[str] = "norm"
    keeps_shape: ClassVar[bool] = True
    normalized_shape: Dim
    """Size n of the last axis, over which each row is normalised."""
    elementwise_affine: bool = True
    """Learned per-feature weight (torch's default: True)."""

    def infer(self, shape, where):
        n = self.normalized_shape
        constraints = match_channels(shape.last, n, where=where, field="normalized_shape")
        elements = shape.elements
        census = Census(kind=self.kind,
                        ops=rms_norm_ops(elements / n, n, weight=self.elementwise_affine),
                        inputs=elements, outputs=elements,
                        params=n if self.elementwise_affine else sympy.Integer(0),
                        attrs={"normalized": n, "affine": self.elementwise_affine})
        return shape, census, constraints
