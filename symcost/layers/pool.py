"""Pooling: windowed (max, average) and global (max, average, adaptive average).

Window counts are nominal: every window holds kh·kw values, padded positions included (max
pooling pads with −∞, average pooling with zeros and, by default, divides by kh·kw). A
window of n values costs n − 1 comparisons (max) or n − 1 additions and one division
(average). The seed prices both at K·K per output (windowed) and one per input element
(global).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy
from pydantic import model_validator

from ..checks import divides, require
from ..counts import OpCounts
from ..dims import DimPair, Padding
from ..shapes import Shape, collapse, per_axis, spatial_out
from .base import Census, Layer, check_axes

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "GlobalAvgPool2d", "GlobalMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]



def _window_census(kind: str, shape: Shape, out: Shape, window: sympy.Expr,
                   reduce: str) -> Census:
    outputs = out.elements
    if reduce == "max":
        ops = OpCounts(cmp=outputs * (window - 1))
    else:
        ops = OpCounts(add=outputs * (window - 1), div=outputs)
    return Census(kind=kind, ops=ops, inputs=shape.elements, outputs=outputs,
                  attrs={"window": window, "reduce": reduce})


class _PoolNd(Layer):
    """Windowed pooling over ``spatial_rank`` axes (the axes after the channels)."""

    family: ClassVar[str] = "pool"
    spatial_rank: ClassVar[int] = 2
    reduce: ClassVar[str] = "max"
    #: torch's avg_pool3d also requires input >= kernel on every axis (padding not counted).
    kernel_within_input: ClassVar[bool] = False

    kernel_size: DimPair
    """Window size, or one per spatial axis."""
    stride: DimPair | None = None
    """Stride; defaults to kernel_size, as in torch."""
    padding: Padding = sympy.Integer(0)
    """Padding per side (or one per spatial axis), ``"same"`` or ``"valid"``; at most half
    the effective window, as torch requires."""
    ceil_mode: bool = False
    """Round the output size up (keep a last partial window), as torch's ceil_mode."""

    @model_validator(mode="after")
    def _check(self):
        check_axes(self, self.spatial_rank, ("kernel_size", "stride", "padding", "dilation"))
        return self

    def infer(self, shape, where):
        rank = self.spatial_rank
        stride = self.kernel_size if self.stride is None else self.stride
        dilation = getattr(self, "dilation", sympy.Integer(1))
        sizes, constraints = spatial_out(shape, kernel=self.kernel_size, stride=stride,
                                         padding=self.padding, dilation=dilation,
                                         where=where, ceil_mode=self.ceil_mode, rank=rank)
        if not isinstance(self.padding, str):
            for p, k, d in zip(per_axis(self.padding, rank), per_axis(self.kernel_size, rank),
                               per_axis(dilation, rank)):
                constraints += require(
                    2 * p <= d * (k - 1) + 1, where=where, field="padding",
                    value=lambda p=p, k=k, d=d: f"padding {p}, kernel {k}, dilation {d}",
                    message=("padding must be at most half the effective window "
                             "(dilation·(kernel − 1) + 1), as torch requires. Use less padding "
                             "or a larger window"))
        if self.kernel_within_input:
            for axis, size, k in zip(shape.spatial_names, shape.spatial_sizes,
                                     per_axis(self.kernel_size, rank)):
                constraints += require(
                    size >= k, where=where, field="kernel_size", value=f"{axis}={size}, {k}",
                    message=(f"torch's {type(self).__name__} needs the input at least as "
                             f"large as the kernel along {axis}, padding not counted. Use a "
                             "smaller kernel or a larger input"))
        out = shape.with_spatial(sizes)
        window = sympy.Mul(*per_axis(self.kernel_size, rank))
        return out, _window_census(self.kind, shape, out, window, self.reduce), constraints


class MaxPool1d(_PoolNd):
    """Max pooling over windows of k along L (N×C×L): k − 1 comparisons per output."""

    kind: Literal["max_pool1d"] = "max_pool1d"
    spatial_rank: ClassVar[int] = 1
    ranks: ClassVar[tuple[int, ...] | None] = (3,)
    dilation: DimPair = sympy.Integer(1)
    """Dilation of the window."""


class MaxPool2d(_PoolNd):
    """Max pooling over K×K windows: K·K − 1 comparisons per output element.

    Seed: FLOPs = H_out·W_out·C_out·K·K.
    """

    kind: Literal["max_pool2d"] = "max_pool2d"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    dilation: DimPair = sympy.Integer(1)
    """Dilation of the window."""


class MaxPool3d(_PoolNd):
    """Max pooling over kt×kh×kw windows of N×C×T×H×W: kt·kh·kw − 1 comparisons per output."""

    kind: Literal["max_pool3d"] = "max_pool3d"
    spatial_rank: ClassVar[int] = 3
    ranks: ClassVar[tuple[int, ...] | None] = (5,)
    dilation: DimPair = sympy.Integer(1)
    """Dilation of the window."""


class AvgPool1d(_PoolNd):
    """Average pooling over windows of k along L: k − 1 additions and one division per
    output."""

    kind: Literal["avg_pool1d"] = "avg_pool1d"
    spatial_rank: ClassVar[int] = 1
    ranks: ClassVar[tuple[int, ...] | None] = (3,)
    reduce: ClassVar[str] = "avg"


class AvgPool2d(_PoolNd):
    """Average pooling over K×K windows: K·K − 1 additions and one division per output.

    Seed: FLOPs = H_out·W_out·C_out·K·K.
    """

    kind: Literal["avg_pool2d"] = "avg_pool2d"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    reduce: ClassVar[str] = "avg"


class AvgPool3d(_PoolNd):
    """Average pooling over kt×kh×kw windows: kt·kh·kw − 1 additions and one division per
    output."""

    kind: Literal["avg_pool3d"] = "avg_pool3d"
    spatial_rank: ClassVar[int] = 3
    ranks: ClassVar[tuple[int, ...] | None] = (5,)
    reduce: ClassVar[str] = "avg"
    kernel_within_input: ClassVar[bool] = True


class _Global(Layer):
    family: ClassVar[str] = "pool"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
    reduce: ClassVar[str] = "max"

    def infer(self, shape, where):
        out = shape.with_spatial([1, 1])
        return out, _window_census(self.kind, shape, out, shape.spatial, self.reduce), []


class GlobalAvgPool2d(_Global):
    """Global average pooling to 1×1: H·W − 1 additions and one division per channel.

    Seed: FLOPs = H_in·W_in·C_in (each input touched once).
    """

    kind: Literal["global_avg_pool2d"] = "global_avg_pool2d"
    reduce: ClassVar[str] = "avg"


class GlobalMaxPool2d(_Global):
    """Global max pooling to 1×1: H·W − 1 comparisons per channel.

    Seed: FLOPs = H_in·W_in·C_in.
    """

    kind: Literal["global_max_pool2d"] = "global_max_pool2d"


#: Largest symbolic-input output size whose windows are summed term by term.
MAX_SYMBOLIC_CELLS = 64


def adaptive_taps(size: sympy.Expr, cells: sympy.Expr) -> sympy.Expr | None:
    """Total window length along one axis of adaptive pooling: Σ_i (end_i − start_i) over
    the ``cells`` outputs, with torch's windows start_i = floor(i·n/m), end_i =
    ceil((i + 1)·n/m). Equals n when m divides n (windows tile the axis) and exceeds it when
    windows overlap. None when ``cells`` is a symbol, or above :data:`MAX_SYMBOLIC_CELLS`
    with a symbolic size (the caller then requires m to divide n).

    >>> adaptive_taps(sympy.Integer(8), sympy.Integer(6))   # windows 2,2,2,2,2,2 -> 12
    12
    """
    if divides(cells, size) is sympy.true:
        return size
    if not cells.is_Integer:
        return None
    m = int(cells)
    if size.is_Integer:
        n = int(size)
        return sympy.Integer(sum(-(-(i + 1) * n // m) - (i * n) // m for i in range(m)))
    if m > MAX_SYMBOLIC_CELLS:
        return None
    return collapse(sympy.Add(*(sympy.ceiling((i + 1) * size / m) - sympy.floor(i * size / m)
                                for i in range(m))))


class _AdaptiveAvgPoolNd(Layer):
    """Adaptive average pooling over ``spatial_rank`` axes (see :class:`AdaptiveAvgPool2d`)."""

    family: ClassVar[str] = "pool"
    spatial_rank: ClassVar[int] = 2

    output_size: DimPair = sympy.Integer(1)
    """Output size, or one per spatial axis."""

    @model_validator(mode="after")
    def _check(self):
        check_axes(self, self.spatial_rank, ("output_size",))
        return self

    def infer(self, shape, where):
        cells = per_axis(self.output_size, self.spatial_rank)
        constraints = []
        taps = []
        for axis, size, m in zip(shape.spatial_names, shape.spatial_sizes, cells):
            total = adaptive_taps(size, m)
            if total is None:
                constraints += require(
                    divides(m, size), where=where, field="output_size",
                    value=f"output {m} from {axis}={size}",
                    message=(f"symcost counts a symbolic adaptive pooling size when it divides "
                             f"the input {axis}; use an input {axis} that is a multiple of {m}"))
                total = size
            taps.append(total)
        out = shape.with_spatial(cells)
        outputs = out.elements
        added = shape[0] * shape.channels * sympy.Mul(*taps) - outputs
        census = Census(kind=self.kind, ops=OpCounts(add=added, div=outputs),
                        inputs=shape.elements, outputs=outputs,
                        attrs={"window": sympy.Mul(*(t / m for t, m in zip(taps, cells))),
                               "reduce": "avg"})
        return out, census, constraints


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling along L of N×C×L, as ``torch.nn.AdaptiveAvgPool1d``
    (torch's windows, counted as for :class:`AdaptiveAvgPool2d`)."""

    kind: Literal["adaptive_avg_pool1d"] = "adaptive_avg_pool1d"
    spatial_rank: ClassVar[int] = 1
    ranks: ClassVar[tuple[int, ...] | None] = (3,)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling, as ``torch.nn.AdaptiveAvgPool2d``.

    Output cell i along an axis of size n with m outputs averages input rows
    start_i = floor(i·n/m) … end_i − 1, end_i = ceil((i + 1)·n/m) (torch's rule). A window
    of a·b values costs a·b − 1 additions and one division, so the census is
    add = N·C·(A·B − m_h·m_w) and div = N·C·m_h·m_w, with A and B the total window lengths
    along H and W (:func:`adaptive_taps`; A = H when m_h divides H). ``output_size=1`` is
    global average pooling; a VGG head pools any map to 7×7, overlapping windows included.
    A symbolic output size (or one above 64 cells on a symbolic input) is counted when it
    divides the input, a condition checked at evaluation.

    >>> import symcost as sc
    >>> pool = sc.AdaptiveAvgPool2d(output_size=6)
    >>> pool.cost(sc.Shape(C=1, H=8, W=8), "flops").counts.add   # 36 windows of 2×2
    108
    """

    kind: Literal["adaptive_avg_pool2d"] = "adaptive_avg_pool2d"
    ranks: ClassVar[tuple[int, ...] | None] = (4,)
