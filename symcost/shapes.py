"""Shapes and the output-size rules of windowed layers, in exact arithmetic.

A :class:`Shape` is an ordered tuple of named axes of any rank: a batch of feature maps
``Shape(N=1, C=3, H=H, W=W)``, a sequence ``Shape(N=B, L=T, D=d)``, token ids
``Shape(N=B, L=T)``, a 1-D signal ``Shape(N=1, C=C, L=L)`` or a video
``Shape(N=1, C=3, T=T, H=H, W=W)``. The keyword order is the layout (torch's axis order);
the batch axis ``N`` comes first and defaults to 1. Layers act by axis *position*, as torch
does (a convolution reads channels at axis 1 and windows over the axes after it; ``Linear``
and the norms act on the last axis); the names label the axes for display and travel with
them through :class:`~symcost.Permute`.

Output sizes use exact integer arithmetic, per spatial axis:

* explicit padding: ``floor((H + 2p - d*(k - 1) - 1)/s) + 1`` (``ceil`` with ``ceil_mode``)
* ``padding="same"``: ``ceil(H/s)`` (TensorFlow's rule; torch's ``"same"`` is its s = 1 case)
* ``padding="valid"``: no padding
* transposed convolution: ``(H - 1)*s - 2p + d*(k - 1) + output_padding + 1``

When a size symbol was declared with ``dim(name, multiple_of=m)``, :func:`collapse` removes
every floor and ceiling that divisibility decides, keeping results in that symbol.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import sympy
from pydantic_core import core_schema

from .checks import Constraint, require
from .dims import MAX_EXPR_LENGTH, _MultipleDim, as_expr, dim_to_json
from .errors import DimensionError, ShapeMismatchError, SpecError

__all__ = ["Shape", "collapse", "window_out", "same_out", "transposed_out", "pair",
           "per_axis", "spatial_out", "needs_map", "needs_rank", "LAYOUT_KEY"]

_AXIS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
#: The key of a document's input object that lists the axes in order (format version 2).
LAYOUT_KEY = "layout"
#: The order of the axes of a version-1 document (which had no layout): torch's NCHW.
_NCHW = ("N", "C", "H", "W")
_ONE = sympy.Integer(1)


class Shape:
    """The shape of a tensor flowing between layers: ordered, named axes of any rank.

    >>> from symcost import dims
    >>> H, W, B, T, d = dims("H W B T d")
    >>> Shape(C=3, H=H, W=W)
    Shape(N=1, C=3, H=H, W=W)
    >>> Shape(C=3, H=H, W=W).elements
    3*H*W
    >>> x = Shape(N=B, L=T, D=d)
    >>> x.rank, x.last, x.L
    (3, d, T)

    The keyword order is the layout; ``N`` (the batch) is put first, 1, when not given.
    ``.N``, ``.C``, ``.H`` and ``.W`` are ``None`` when the shape has no such axis (a
    flattened vector ``Shape(N=1, C=1024)`` has no ``H``); any other axis is read by its
    name (``x.L``) or position (``x[1]``). A 2-D map needs both ``H`` and ``W``.
    """

    __slots__ = ("_hash", "names", "sizes")
    names: tuple[str, ...]
    sizes: tuple[sympy.Expr, ...]

    def __init__(self, **axes: Any) -> None:
        shape = Shape.of(axes.items(), where="Shape")
        object.__setattr__(self, "names", shape.names)
        object.__setattr__(self, "sizes", shape.sizes)
        object.__setattr__(self, "_hash", None)

    # ------------------------------------------------------------------ construction
    @classmethod
    def of(cls, axes: Iterable[tuple[str, Any]] | Mapping[str, Any], *,
           where: str = "Shape") -> Shape:
        """A shape from ``(name, size)`` pairs in layout order, every size validated.

        >>> Shape.of([("N", 2), ("L", 7), ("D", 16)])
        Shape(N=2, L=7, D=16)
        """
        items = list(axes.items() if isinstance(axes, Mapping) else axes)
        names: list[str] = []
        sizes: list[sympy.Expr] = []
        for name, value in items:
            if not isinstance(name, str) or not _AXIS_NAME.match(name) or name == LAYOUT_KEY:
                raise SpecError(f"an axis name is a letter then letters, digits or _ (given "
                                f"{name!r}), e.g. N, C, H, W, L, D or T.", layer=where,
                                field=str(name), value=name)
            if name in names:
                raise SpecError(f"axis {name} is given twice. Give each axis once.",
                                layer=where, field=name, value=value)
            try:
                size = as_expr(value, where=name)
            except DimensionError as exc:
                raise SpecError(_without_prefix(str(exc), name), layer=where, field=name,
                                value=value) from None
            names.append(name)
            sizes.append(size)
        if "N" not in names:
            names.insert(0, "N")
            sizes.insert(0, _ONE)
        if ("H" in names) != ("W" in names):
            given, missing = ("H", "W") if "H" in names else ("W", "H")
            raise SpecError(f"a 2-D map needs both H and W, but only {given} is given. Add "
                            f"{missing}=..., or name a single spatial axis L (Shape(N=1, C=..."
                            ", L=...)).", layer=where, field=missing)
        if len(names) < 2:
            raise SpecError("a shape needs at least one axis besides the batch N, e.g. "
                            "Shape(C=3, H=H, W=W) or Shape(N=B, L=T, D=d).", layer=where)
        return cls._make(tuple(names), tuple(sizes))

    @classmethod
    def _make(cls, names: tuple[str, ...], sizes: tuple[sympy.Expr, ...]) -> Shape:
        """A shape from trusted parts (no validation): what layers build."""
        shape = object.__new__(cls)
        object.__setattr__(shape, "names", names)
        object.__setattr__(shape, "sizes", sizes)
        object.__setattr__(shape, "_hash", None)
        return shape

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Shape is immutable; use replace() or with_sizes()")

    # ------------------------------------------------------------------ reading
    @property
    def rank(self) -> int:
        """Number of axes, the batch included."""
        return len(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, key: int | str) -> sympy.Expr:
        """The size at a position (``x[1]``, ``x[-1]``) or of a named axis (``x["L"]``)."""
        if isinstance(key, str):
            try:
                return self.sizes[self.names.index(key)]
            except ValueError:
                raise KeyError(f"{self} has no axis {key}") from None
        return self.sizes[key]

    def __getattr__(self, name: str) -> sympy.Expr:
        # any axis by name (x.L, x.D, x.T); N, C, H, W are properties below
        if name.startswith("_") or name in Shape.__slots__:
            raise AttributeError(name)
        try:
            return self.sizes[self.names.index(name)]
        except ValueError:
            raise AttributeError(f"{self} has no axis {name!r}") from None

    def _named(self, name: str) -> sympy.Expr | None:
        return self.sizes[self.names.index(name)] if name in self.names else None

    @property
    def N(self) -> sympy.Expr:
        """Batch size (the axis named N)."""
        return self._named("N") or _ONE

    @property
    def C(self) -> sympy.Expr | None:
        """Channels (features, for a vector); None when there is no axis named C."""
        return self._named("C")

    @property
    def H(self) -> sympy.Expr | None:
        """Height; None when there is no axis named H."""
        return self._named("H")

    @property
    def W(self) -> sympy.Expr | None:
        """Width; None when there is no axis named W."""
        return self._named("W")

    @property
    def channels(self) -> sympy.Expr:
        """The size at axis 1: where a convolution, a BatchNorm or a concat read channels."""
        return self.sizes[1]

    @property
    def spatial_sizes(self) -> tuple[sympy.Expr, ...]:
        """The sizes after axis 1 (what a convolution or a pool windows over)."""
        return self.sizes[2:]

    @property
    def spatial_names(self) -> tuple[str, ...]:
        """The names of the axes after axis 1."""
        return self.names[2:]

    @property
    def is_map(self) -> bool:
        """True when there are axes after the channels (rank 3 or more)."""
        return self.rank > 2

    @property
    def elements(self) -> sympy.Expr:
        """Number of elements: the product of every size."""
        return sympy.Mul(*self.sizes)

    @property
    def spatial(self) -> sympy.Expr:
        """Positions per channel and sample: the product of the sizes after axis 1."""
        return sympy.Mul(*self.sizes[2:])

    @property
    def last(self) -> sympy.Expr:
        """The last axis (where Linear, LayerNorm and RMSNorm act)."""
        return self.sizes[-1]

    def axes(self) -> dict[str, sympy.Expr]:
        """The axes in layout order, by name."""
        return dict(zip(self.names, self.sizes))

    def position(self, dim: int, *, where: str, field: str = "dim") -> int:
        """``dim`` (negative counts from the end) as a position, checked to exist."""
        if isinstance(dim, bool) or not isinstance(dim, int) or not -self.rank <= dim < self.rank:
            raise SpecError(f"axis {dim!r} does not exist in {self} (rank {self.rank}). Use "
                            f"0 to {self.rank - 1}, or -1 for the last axis.", layer=where,
                            field=field, value=dim)
        return dim % self.rank

    # ------------------------------------------------------------------ changing
    def replace(self, **changes: Any) -> Shape:
        """A copy with some named axes resized (``None`` removes an axis)."""
        names, sizes = list(self.names), list(self.sizes)
        for name, value in changes.items():
            if name not in names:
                if value is None:
                    continue
                raise KeyError(f"{self} has no axis {name}")
            i = names.index(name)
            if value is None:
                del names[i], sizes[i]
            else:
                sizes[i] = sympy.sympify(value)
        return Shape._make(tuple(names), tuple(sizes))

    def with_size(self, position: int, size: Any) -> Shape:
        """A copy with the axis at ``position`` resized."""
        sizes = list(self.sizes)
        sizes[position] = sympy.sympify(size)
        return Shape._make(self.names, tuple(sizes))

    def with_sizes(self, sizes: Iterable[Any]) -> Shape:
        """A copy with every size replaced (same names)."""
        new = tuple(sympy.sympify(s) for s in sizes)
        if len(new) != self.rank:
            raise ValueError(f"{self} has {self.rank} axes, not {len(new)}")
        return Shape._make(self.names, new)

    def with_spatial(self, sizes: Iterable[Any]) -> Shape:
        """A copy with the axes after axis 1 resized."""
        return self.with_sizes([*self.sizes[:2], *sizes])

    def map(self, fn) -> Shape:
        """``fn`` applied to every size (substitution, evaluation)."""
        return Shape._make(self.names, tuple(fn(s) for s in self.sizes))

    # ------------------------------------------------------------------ value semantics
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Shape):
            return NotImplemented
        return self.names == other.names and self.sizes == other.sizes

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash((self.names, self.sizes)))
        return self._hash  # type: ignore[return-value]

    def __reduce__(self):
        return (Shape._make, (self.names, self.sizes))

    def __repr__(self) -> str:
        return "Shape(" + ", ".join(f"{k}={v}" for k, v in zip(self.names, self.sizes)) + ")"

    __str__ = __repr__

    def text(self) -> str:
        """Compact form for tables: ``C×H×W`` (the batch shown when not 1)."""
        shown = list(self.sizes)
        if self.names[0] == "N" and shown[0] == 1:
            shown = shown[1:]
        return "×".join(_short(p) for p in shown)

    # ------------------------------------------------------------------ documents
    def to_json(self) -> dict[str, Any]:
        """The document form: ``{"layout": "N C H W", "N": 1, "C": 3, ...}``."""
        out: dict[str, Any] = {LAYOUT_KEY: " ".join(self.names)}
        out.update((n, dim_to_json(s)) for n, s in zip(self.names, self.sizes))
        return out

    @classmethod
    def from_json(cls, data: Any, *, where: str = "input") -> Shape:
        """Read the document form. Without ``layout`` (format version 1) the axes are N, C,
        H, W, in torch's NCHW order whatever order the keys come in."""
        if isinstance(data, Shape):
            return data
        if not isinstance(data, Mapping):
            raise SpecError(f"expected an object such as {{\"C\": 3, \"H\": \"H\", \"W\": "
                            f"\"W\"}} (given {data!r}).", layer=where)
        data = dict(data)
        layout = data.pop(LAYOUT_KEY, None)
        if layout is None:
            other = [n for n in data if n not in _NCHW]
            if other:
                near = difflib.get_close_matches(str(other[0]), _NCHW, n=1)
                hint = f" Did you mean {near[0]}?" if near else ""
                raise SpecError(f"unknown field.{hint} Without a layout the axes are N, C, "
                                "H, W; a shape "
                                "with other axes lists them all in order in \"layout\", e.g. "
                                "{\"layout\": \"N L D\", \"N\": 1, \"L\": \"T\", \"D\": 768}.",
                                layer=where, field=str(other[0]), value=data[other[0]])
            order = [n for n in _NCHW if n in data]
        else:
            if not isinstance(layout, str) or len(layout) > MAX_EXPR_LENGTH:
                raise SpecError("layout lists the axis names in order, separated by spaces, "
                                f"e.g. \"N L D\" (given {layout!r}).", layer=where,
                                field=LAYOUT_KEY, value=layout)
            order = layout.split()
            if sorted(order) != sorted(data):
                raise SpecError(f"layout names the axes {order} but sizes are given for "
                                f"{list(data)}. Give a size for each axis of the layout and "
                                "no other.", layer=where, field=LAYOUT_KEY, value=layout)
        return cls.of([(n, data[n]) for n in order], where=where)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.from_json,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda s: s.to_json() if isinstance(s, Shape) else s))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        size = {"anyOf": [{"type": "integer", "minimum": 1},
                          {"type": "string", "maxLength": MAX_EXPR_LENGTH}]}
        return {"type": "object",
                "description": ("Axes in order, e.g. {\"layout\": \"N C H W\", \"C\": 3, "
                                "\"H\": \"H\", \"W\": \"W\"}; N defaults to 1. Without "
                                "layout, N C H W in that order, then the other axes as "
                                "given."),
                "properties": {LAYOUT_KEY: {"type": "string", "maxLength": MAX_EXPR_LENGTH}},
                "patternProperties": {r"^[A-Za-z][A-Za-z0-9_]*$": size},
                "additionalProperties": False}


def _without_prefix(text: str, name: str) -> str:
    prefix = f"{name}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _short(expr: sympy.Expr | None) -> str:
    s = str(expr)
    return s if expr is None or expr.is_Atom else f"({s})"


def per_axis(value: Any, n: int) -> tuple:
    """A per-axis tuple of length ``n`` from a scalar or a sequence of that length."""
    if isinstance(value, (tuple, list)):
        if len(value) == n:
            return tuple(value)
        if len(value) == 1:
            return tuple(value) * n
        raise ValueError(f"expected 1 or {n} values, got {len(value)}")
    return (value,) * n


def pair(value):
    """Per-axis pair from a scalar or a 2-sequence."""
    return per_axis(value, 2)
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
                ceil_mode: bool = False, rank: int = 2) -> tuple[list[sympy.Expr], list]:
    """Output sizes of a windowed layer along its ``rank`` spatial axes (the axes after
    axis 1), each checked to be at least 1.

    ``kernel``, ``stride``, ``dilation`` and numeric ``padding`` are per-axis tuples or
    scalars; ``padding`` may be ``"same"`` or ``"valid"``. Returns ``(sizes, constraints)``:
    a size that is definitely below 1 raises, an undecided one becomes a constraint
    checked at evaluation.
    """
    needs_rank(shape, rank, where)
    pads = per_axis(0 if padding == "valid" else padding, rank)
    outs, constraints = [], []
    for axis, size, k, s, d, p in zip(shape.spatial_names, shape.spatial_sizes,
                                      per_axis(kernel, rank), per_axis(stride, rank),
                                      per_axis(dilation, rank), pads):
        if p == "same":
            out = same_out(size, s)
        else:
            out = window_out(size, k, s, p, d, ceil_mode)
            constraints += _window_fits(out, axis, size, k, d, p, where)
        outs.append(out)
    return outs, constraints


def _window_fits(out, axis, size, kernel, dilation, padding, where) -> list[Constraint]:
    """The condition output >= 1, with its texts built only if it is raised or deferred."""

    def value() -> str:
        return f"kernel {kernel}, dilation {dilation}, padding {padding} on {axis}={size}"

    def message() -> str:
        # the formula is shown only once it is a number: printing a deep symbolic size for
        # every deferred check would dominate the cost of building a network
        shown = f" = {out}" if out.is_Number else ""
        return (f"the window does not fit the input along {axis}: output {axis}{shown} is "
                "below 1. Use a smaller kernel or dilation, more padding, or a larger input")

    return require(out >= 1, where=where, field="kernel_size", value=value, message=message)


_MAP_WORDS = {1: "a 1-D map N×C×L", 2: "a feature map N×C×H×W", 3: "a 3-D map N×C×T×H×W"}


def needs_rank(shape: Shape, spatial: int, where: str) -> None:
    """Raise unless ``shape`` is a batch of channels with ``spatial`` axes after them."""
    if shape.rank != spatial + 2:
        what = _MAP_WORDS.get(spatial, f"a map with {spatial} spatial axes")
        if shape.rank == 2:
            hint = "Remove the Flatten before it, or use Linear."
        else:
            hint = (f"The input has {shape.rank - 2} spatial axes: use the layer made for "
                    f"them (e.g. Conv{shape.rank - 2}d), or reshape the input.")
        raise ShapeMismatchError(f"needs {what}, got {shape} (rank {shape.rank}). {hint}",
                                 layer=where)


def needs_map(shape: Shape, where: str) -> None:
    """Raise unless ``shape`` is a feature map N×C×H×W."""
    needs_rank(shape, 2, where)
