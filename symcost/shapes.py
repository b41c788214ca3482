"""Shapes and the output-size rules of windowed layers, in exact arithmetic.

A :class:`Shape` is a batch ``N``, channels ``C`` and optional spatial sizes ``H``, ``W``
(a flattened vector has none). Output sizes use exact integer arithmetic:

* explicit padding: ``floor((H + 2p - d*(k - 1) - 1)/s) + 1`` (``ceil`` with ``ceil_mode``)
* ``padding="same"``: ``ceil(H/s)`` (TensorFlow's rule; torch's ``"same"`` is its s = 1 case)
* ``padding="valid"``: no padding
* transposed convolution: ``(H - 1)*s - 2p + d*(k - 1) + output_padding + 1``

When a size symbol was declared with ``dim(name, multiple_of=m)``, :func:`collapse` removes
every floor and ceiling that divisibility decides, keeping results in that symbol.
"""

from __future__ import annotations

import functools
from typing import Literal

import sympy
from pydantic import BaseModel, ConfigDict

from .dims import Dim, _MultipleDim
from .errors import ShapeMismatchError

__all__ = ["Shape", "Padding", "collapse", "window_out", "same_out", "transposed_out", "pair",
           "spatial_out", "needs_map"]

Padding = Literal["same", "valid"]


class Shape(BaseModel):
    """The shape of a tensor flowing between layers: ``N × C × H × W``.

    >>> from symcost import dims
    >>> H, W = dims("H W")
    >>> Shape(C=3, H=H, W=W)
    Shape(N=1, C=3, H=H, W=W)
    >>> Shape(C=3, H=H, W=W).elements
    3*H*W

    ``H`` and ``W`` are ``None`` for a flattened vector (after ``Flatten``), whose features
    are ``C``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    N: Dim = sympy.Integer(1)
    """Batch size."""
    C: Dim
    """Channels (features, for a vector)."""
    H: Dim | None = None
    """Height; None for a vector."""
    W: Dim | None = None
    """Width; None for a vector."""

    def __init__(self, **data):
        from .layers.base import reraise_validation  # late: layers import shapes

        with reraise_validation("Shape", data, Shape):
            super().__init__(**data)

    @property
    def is_map(self) -> bool:
        """True for a feature map (has H and W), False for a vector."""
        return self.H is not None and self.W is not None

    @property
    def elements(self) -> sympy.Expr:
        """Number of elements, ``N*C*H*W`` (``N*C`` for a vector)."""
        return self.N * self.C * self.spatial

    @property
    def spatial(self) -> sympy.Expr:
        """Positions per channel and sample: ``H*W`` (1 for a vector)."""
        if self.H is None or self.W is None:
            return sympy.Integer(1)
        return self.H * self.W

    @property
    def last(self) -> sympy.Expr:
        """The last axis in torch's NCHW order: ``W``, or ``C`` for a vector."""
        return self.W if self.W is not None else self.C

    def replace(self, **changes) -> Shape:
        """A copy with some axes changed (``None`` removes H or W)."""
        data = {"N": self.N, "C": self.C, "H": self.H, "W": self.W}
        data.update(changes)
        return Shape.model_construct(**data)

    def __repr__(self) -> str:
        return "Shape(" + ", ".join(f"{k}={v}" for k, v in self.axes().items()) + ")"

    __str__ = __repr__

    def axes(self) -> dict[str, sympy.Expr]:
        """The axes that are present, in NCHW order."""
        out = {"N": self.N, "C": self.C}
        if self.H is not None:
            out["H"] = self.H
        if self.W is not None:
            out["W"] = self.W
        return out

    def text(self) -> str:
        """Compact form for tables: ``C×H×W`` (batch shown when not 1)."""
        parts = [self.C] + ([self.H, self.W] if self.is_map else [])
        body = "×".join(_short(p) for p in parts)
        return body if self.N == 1 else f"{_short(self.N)}×{body}"


def _short(expr: sympy.Expr | None) -> str:
    s = str(expr)
    return s if expr is None or expr.is_Atom else f"({s})"


def pair(value):
    """Per-axis pair from a scalar or a 2-sequence."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value, value)


@functools.lru_cache(maxsize=8192)
def collapse(expr: sympy.Expr) -> sympy.Expr:
    """Remove floors and ceilings that the declared multiples of its symbols decide.

    >>> from symcost import dim
    >>> H = dim("H", multiple_of=32)
    >>> collapse(sympy.floor((H - 1) / 2) + 1)
    H/2
    """
    if not expr.has(sympy.floor, sympy.ceiling):
        return expr
    multiples = [s for s in expr.free_symbols if isinstance(s, _MultipleDim)]
    if not multiples:
        return expr
    units = {s: sympy.Dummy(f"{s.name}_unit", positive=True, integer=True) for s in multiples}
    scaled = expr.xreplace({s: s.multiple * u for s, u in units.items()})
    return scaled.xreplace({u: s / s.multiple for s, u in units.items()})


def window_out(size: sympy.Expr, kernel: sympy.Expr, stride: sympy.Expr, padding: sympy.Expr,
               dilation: sympy.Expr, ceil_mode: bool = False) -> sympy.Expr:
    """Output size of a convolution or pooling window along one axis (torch's rule).

    With ``ceil_mode`` a last, partial window is kept when it starts inside the input or
    the left padding (torch drops it otherwise).
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return collapse(sympy.floor(span / stride) + 1)
    out = sympy.ceiling(span / stride) + 1
    # torch drops a last window that would start in the right padding. ceil(span/s)*s is
    # below span + s, so that can only happen when s + p > d*(k - 1) + 1.
    if (stride + padding <= dilation * (kernel - 1) + 1) is sympy.true:
        return collapse(out)
    if (2 * padding <= dilation * (kernel - 1) + 1) is sympy.true:
        # With padding at most half the window (torch's rule) the kept windows are those
        # that start before size + p, at most ceil((size + p)/s) of them, so the rule is
        # min(ceil((span + s)/s), ceil((size + p)/s)) = ceil((size + min(span - size + s, p))/s):
        # one ceiling with the input size once, not a Piecewise that doubles through a
        # chain of ceil-mode pools.
        offset = sympy.Min(span - size + stride, padding)
        return collapse(sympy.ceiling((size + offset) / stride))
    last_start_ok = (out - 1) * stride < size + padding
    if last_start_ok is sympy.true:
        return collapse(out)
    if last_start_ok is sympy.false:
        return collapse(out - 1)
    return collapse(sympy.Piecewise((out, last_start_ok), (out - 1, True)))


def same_out(size: sympy.Expr, stride: sympy.Expr) -> sympy.Expr:
    """Output size under ``padding="same"``: ``ceil(size/stride)``."""
    return collapse(sympy.ceiling(size / stride))


def transposed_out(size: sympy.Expr, kernel: sympy.Expr, stride: sympy.Expr,
                   padding: sympy.Expr, dilation: sympy.Expr,
                   output_padding: sympy.Expr) -> sympy.Expr:
    """Output size of a transposed convolution along one axis (torch's rule)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def spatial_out(shape: Shape, *, kernel, stride, padding, dilation, where: str,
                ceil_mode: bool = False) -> tuple[sympy.Expr, sympy.Expr, list]:
    """Output H and W of a windowed layer, checked to be at least 1.

    ``kernel``, ``stride``, ``dilation`` and numeric ``padding`` are per-axis pairs or
    scalars; ``padding`` may be ``"same"`` or ``"valid"``. Returns ``(H_out, W_out,
    constraints)``: a size that is definitely below 1 raises, an undecided one becomes a
    constraint checked at evaluation.
    """
    needs_map(shape, where)
    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    outs, constraints = [], []
    pads = pair(0 if padding == "valid" else padding)
    for axis, size, k, s, d, p in (("H", shape.H, kh, sh, dh, pads[0]),
                                   ("W", shape.W, kw, sw, dw, pads[1])):
        if p == "same":
            out = same_out(size, s)
        else:
            out = window_out(size, k, s, p, d, ceil_mode)
            constraints += _window_fits(out, axis, size, k, d, p, where)
        outs.append(out)
    return outs[0], outs[1], constraints


def _window_fits(out, axis, size, kernel, dilation, padding, where) -> list:
    """The condition output >= 1, with its texts built only if it is raised or deferred."""
    from .checks import require  # late: checks is tiny, keeps this module's imports plain

    def value() -> str:
        return f"kernel {kernel}, dilation {dilation}, padding {padding} on {axis}={size}"

    def message() -> str:
        # the formula is shown only once it is a number: printing a deep symbolic size for
        # every deferred check would dominate the cost of building a network
        shown = f" = {out}" if out.is_Number else ""
        return (f"the window does not fit the input along {axis}: output {axis}{shown} is "
                "below 1. Use a smaller kernel or dilation, more padding, or a larger input")

    return require(out >= 1, where=where, field="kernel_size", value=value, message=message)


def needs_map(shape: Shape, where: str) -> None:
    """Raise unless ``shape`` is a feature map (has H and W)."""
    if shape.H is None or shape.W is None:
        raise ShapeMismatchError(f"needs a feature map N×C×H×W, got a vector {shape}. Remove "
                                 "the Flatten before it, or use Linear.", layer=where)
