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

from ..checks import divides, require
from ..counts import OpCounts
from ..dims import DimPair, Padding
from ..shapes import Shape, collapse, needs_map, pair, spatial_out
from .base import Census, Layer

__all__ = ["MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "GlobalMaxPool2d",
           "AdaptiveAvgPool2d"]



def _window_census(kind: str, shape: Shape, out: Shape, window: sympy.Expr,
                   reduce: str) -> Census:
    outputs = out.elements
    if reduce == "max":
        ops = OpCounts(cmp=outputs * (window - 1))
    else:
        ops = OpCounts(add=outputs * (window - 1), div=outputs)
    return Census(kind=kind, ops=ops, inputs=shape.elements, outputs=outputs,
                  attrs={"window": window})


class _Windowed(Layer):
    kernel_size: DimPair
    """Window side K, or (kh, kw)."""
    stride: DimPair | None = None
    """Stride; defaults to kernel_size, as in torch."""
    padding: Padding = sympy.Integer(0)
    """Padding per side, ``"same"`` or ``"valid"``."""
    ceil_mode: bool = False
    """Round the output size up (keep a last partial window), as torch's ceil_mode."""

    reduce: ClassVar[str] = "max"

    def infer(self, shape, where):
        stride = self.kernel_size if self.stride is None else self.stride
        dilation = getattr(self, "dilation", sympy.Integer(1))
        h, w, constraints = spatial_out(shape, kernel=self.kernel_size, stride=stride,
                                        padding=self.padding, dilation=dilation,
                                        where=where, ceil_mode=self.ceil_mode)
        out = shape.replace(H=h, W=w)
        kh, kw = pair(self.kernel_size)
        return out, _window_census(self.kind, shape, out, kh * kw, self.reduce), constraints


class MaxPool2d(_Windowed):
    """Max pooling over K×K windows: K·K − 1 comparisons per output element.

    Seed: FLOPs = H_out·W_out·C_out·K·K.
    """

    kind: Literal["max_pool2d"] = "max_pool2d"
    dilation: DimPair = sympy.Integer(1)
    """Dilation of the window."""


class AvgPool2d(_Windowed):
    """Average pooling over K×K windows: K·K − 1 additions and one division per output.

    Seed: FLOPs = H_out·W_out·C_out·K·K.
    """

    kind: Literal["avg_pool2d"] = "avg_pool2d"
    reduce: ClassVar[str] = "avg"


class _Global(Layer):
    reduce: ClassVar[str] = "max"

    def infer(self, shape, where):
        needs_map(shape, where)
        out = shape.replace(H=sympy.Integer(1), W=sympy.Integer(1))
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


class AdaptiveAvgPool2d(Layer):
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
    output_size: DimPair = sympy.Integer(1)
    """Output (H, W), or one side for both."""

    def infer(self, shape, where):
        needs_map(shape, where)
        oh, ow = pair(self.output_size)
        constraints = []
        taps = []
        for axis, size, m in (("H", shape.H, oh), ("W", shape.W, ow)):
            total = adaptive_taps(size, m)
            if total is None:
                constraints += require(
                    divides(m, size), where=where, field="output_size",
                    value=f"output {m} from {axis}={size}",
                    message=(f"symcost counts a symbolic adaptive pooling size when it divides "
                             f"the input {axis}; use an input {axis} that is a multiple of {m}"))
                total = size
            taps.append(total)
        out = shape.replace(H=oh, W=ow)
        outputs = out.elements
        added = shape.N * shape.C * taps[0] * taps[1] - outputs
        census = Census(kind=self.kind, ops=OpCounts(add=added, div=outputs),
                        inputs=shape.elements, outputs=outputs,
                        attrs={"window": (taps[0] / oh) * (taps[1] / ow)})
        return out, census, constraints
