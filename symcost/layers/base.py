"""What every spec shares: the pydantic base, the census a layer reports and the analysis
tree (pydantic's validation errors are put into symcost's words by
:mod:`symcost.validation`)."""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import sympy
from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

from .._docs import SpecMeta
from ..checks import Constraint, require, size_conditions
from ..counts import OpCounts
from ..dims import SizeField
from ..errors import ShapeMismatchError, SpecError
from ..shapes import Shape
from ..validation import reraise_validation

if TYPE_CHECKING:
    from ..conventions import Convention
    from ..cost import Cost

__all__ = ["Spec", "Layer", "Census", "Node", "where_of",
           "match_channels", "with_family", "check_axes"]

_ZERO = sympy.Integer(0)


@dataclass(frozen=True)
class Census:
    """What one layer reports: its kind, operations, element counts and parameters."""

    kind: str
    ops: OpCounts
    inputs: sympy.Expr
    outputs: sympy.Expr
    params: sympy.Expr = _ZERO
    buffers: sympy.Expr = _ZERO
    attrs: Mapping[str, Any] = field(default_factory=dict)
    family: str = ""
    """The operation family a convention prices (:data:`~symcost.counts.FAMILIES`); the
    spec's class declares it and :meth:`Layer.node` fills it in."""

    def term(self, name: str) -> sympy.Expr:
        """A pricing term: a census entry, ``inputs`` or ``outputs``."""
        if name == "inputs":
            return self.inputs
        if name == "outputs":
            return self.outputs
        return getattr(self.ops, name)


@dataclass
class Node:
    """One spec applied to one input shape: the unit of shape propagation and breakdown.

    A leaf has a ``census`` (or ``uncosted``, the reason it could not be costed); a
    container has ``children``; ``repeat`` multiplies the node's cost (``Repeat``).
    """

    path: str
    kind: str
    input: Shape
    output: Shape
    census: Census | None = None
    children: list[Node] = field(default_factory=list)
    repeat: sympy.Expr = sympy.Integer(1)
    constraints: list[Constraint] = field(default_factory=list)
    uncosted: str | None = None
    composite: bool = False  # a layer reported as parts (SeparableConv2d)

    @property
    def where(self) -> str:
        return where_of(self.path, self.kind)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def where_of(path: str, kind: str) -> str:
    """How errors name a layer: ``body.3.conv (conv2d)``, or just the kind at top level."""
    return f"{path} ({kind})" if path else kind


class Spec(BaseModel, metaclass=SpecMeta):
    """Base of every layer and container spec: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True,
                              revalidate_instances="never")

    kind: str
    """The layer kind: the tag of the spec union."""
    name: str | None = None
    """Optional name; used in paths of the breakdown instead of the position."""

    def __init__(self, **data: Any) -> None:
        cls = type(self)
        with reraise_validation(cls.model_fields["kind"].default or cls.__name__, data, cls):
            super().__init__(**data)

    @model_validator(mode="before")
    @classmethod
    def _strict_scalars(cls, data: Any) -> Any:
        # pydantic's lax mode reads "false", "yes", 1 and 0.0 as booleans and "1", true and
        # 1.0 as ints; a spec file must say what it means (README: "no guessing")
        if isinstance(data, Mapping):
            kinds = _scalar_fields(cls)
            for name, value in data.items():
                if name in kinds:
                    _check_scalar(kinds[name], name, value)
            check_name(data.get("name"))
        return data

    @model_serializer(mode="wrap")
    def _keep_kind(self, handler):
        # the kind tag is a default, yet a document without it cannot be read back
        data = handler(self)
        if isinstance(data, dict):
            data = {"kind": self.kind, **data}
        return data

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.__dict__.items()
                 if k != "kind" and v != type(self).model_fields[k].default}
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    __str__ = __repr__

    # ---------------------------------------------------------------- analysis
    def node(self, shape: Shape, path: str = "") -> Node:
        """Propagate ``shape`` through this spec (containers recurse)."""
        raise NotImplementedError

    def size_constraints(self, where: str) -> list[Constraint]:
        """The conditions every size field relies on (at least 1, or 0 for padding-like
        fields, and a whole number): raises when one is definitely false, returns the
        ones the symbols leave open, to be checked wherever numbers come out.

        Every node builder calls this, so a new layer kind gets the checks by typing its
        fields ``Dim``/``DimPair``/``NonNegDim``/``Padding``.
        """
        out: list[Constraint] = []
        for name, lower in _size_fields(type(self)).items():
            for label, expr in _sizes_in(name, getattr(self, name)):
                out += size_conditions(expr, where=where, field=label, lower=lower)
        return out

    def analyze(self, shape: Shape, convention: str | Convention = "seed", *,
                bytes_per_element: int = 4):
        """Shapes, per-layer costs and total: a :class:`~symcost.results.NetworkCost`."""
        from ..results import NetworkCost

        return NetworkCost.build(self, shape, convention, bytes_per_element=bytes_per_element)


class Layer(Spec):
    """A leaf layer: computes its output shape and its census from an input shape.

    Each kind declares on its class what a convention and a reader need to know of it:
    its operation ``family``, the input ``ranks`` it accepts and whether it
    ``keeps_shape``.
    """

    #: Layers whose costs are shown as named parts (SeparableConv2d) override this.
    composite: ClassVar[bool] = False
    #: The operation family (:data:`~symcost.counts.FAMILIES`) that conventions price.
    family: ClassVar[str] = ""
    #: Input ranks (batch included) the kind accepts; None for any rank from 2 up.
    ranks: ClassVar[tuple[int, ...] | None] = None
    #: Whether the output always has the input's shape (activations, norms, dropout).
    keeps_shape: ClassVar[bool] = False

    def infer(self, shape: Shape, where: str) -> tuple[Shape, Census, list[Constraint]]:
        """Output shape, census and deferred conditions for ``shape``."""
        raise NotImplementedError

    def parts(self) -> list[tuple[str, Layer]]:
        """Named sub-layers of a composite layer."""
        return []

    def node(self, shape: Shape, path: str = "") -> Node:
        if not isinstance(shape, Shape):
            raise SpecError(f"expected a symcost.Shape as input (given {shape!r}). Use "
                            "symcost.Shape(C=..., H=..., W=...).", layer=where_of(path, self.kind))
        where = where_of(path, self.kind)
        sizes = self.size_constraints(where)
        if self.composite:
            children, current = [], shape
            for label, part in self.parts():
                child = part.node(current, f"{path}.{label}" if path else label)
                children.append(child)
                current = child.output
            return Node(path, self.kind, shape, current, children=children, composite=True,
                        constraints=sizes)
        if self.ranks is not None and shape.rank not in self.ranks:
            raise ShapeMismatchError(
                f"takes a tensor of rank {_or(self.ranks)} (batch included), got {shape} "
                f"(rank {shape.rank}).{_rank_hint(self.ranks, shape)}",
                layer=where, field="input", value=str(shape))
        output, census, constraints = self.infer(shape, where)
        # the fields' own conditions first: they explain a failure better than a formula
        # built from them (and a modulo by a zero group count cannot even be formed)
        return Node(path, self.kind, shape, output, census=with_family(census, self.family),
                    constraints=sizes + constraints)

    def cost(self, shape: Shape, convention: str | Convention = "seed", *,
             bytes_per_element: int = 4) -> Cost:
        """The layer's exact :class:`~symcost.Cost` on an input of ``shape``.

        A composite layer's cost carries its parts in ``cost.parts``.
        """
        return self.analyze(shape, convention, bytes_per_element=bytes_per_element).total

    def output_shape(self, shape: Shape) -> Shape:
        """The shape this layer produces from ``shape``."""
        return self.node(shape).output


def check_axes(spec: Layer, rank: int, fields: tuple[str, ...]) -> None:
    """Every per-axis tuple of ``spec`` has one entry per spatial axis."""
    for name in fields:
        value = getattr(spec, name, None)
        if isinstance(value, tuple) and len(value) != rank:
            raise SpecError(f"gives {len(value)} sizes, but a {rank}-D layer needs one size "
                            f"or {rank} (one per spatial axis).", field=name, value=value)


def with_family(census: Census, family: str) -> Census:
    """``census`` tagged with its spec's operation family (kept when already set)."""
    return census if census.family else replace(census, family=family)


def _or(ranks: tuple[int, ...]) -> str:
    words = [str(r) for r in ranks]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _rank_hint(ranks: tuple[int, ...], shape: Shape) -> str:
    """How to fix a rank mismatch: what the kind needs, and what to do with a sequence."""
    hint = _RANK_HINTS.get(ranks, "")
    if shape.rank == 3 and ranks != (3,) and shape.channels is not None \
            and shape.names[1] != "C":
        hint += (" The input is a sequence (batch, length, features): a Linear acts on its "
                 "features; for a convolution over the length, Permute((0, 2, 1)) it to "
                 "N×D×L and use Conv1d.")
    return hint


_RANK_HINTS: dict[tuple[int, ...], str] = {
    (4,): " It needs a feature map N×C×H×W: remove a Flatten before it, or use a layer for "
          "this rank.",
    (3,): " It needs a 1-D map N×C×L.",
    (5,): " It needs a 3-D map N×C×T×H×W.",
}


@functools.cache
def _scalar_fields(cls: type[Spec]) -> dict[str, str]:
    """Fields typed bool, int, float or tuple[int, ...]: read strictly."""
    names = {bool: "bool", int: "int", float: "float", tuple[int, ...]: "ints"}
    out = {}
    for name, info in cls.model_fields.items():
        kind = names.get(info.annotation)  # type: ignore[call-overload,arg-type]
        if kind is not None:
            out[name] = kind
    return out


def check_name(name: object, field: str = "name") -> None:
    """A layer's name becomes a row of every table: one printable line (newlines would
    break LaTeX/Markdown/CSV rows) of valid text (no lone surrogates)."""
    if isinstance(name, str) and (not name.isprintable() or _has_surrogate(name)):
        raise SpecError("a name must be printable text on one line, without control "
                        f"characters (given {name!r}).", field=field, value=name)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_scalar(kind: str, name: str, value: Any) -> None:
    if kind == "bool":
        ok, want = type(value) is bool, "true or false (a boolean, not a string or number)"
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer (not a string, boolean or float)"
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        want = "a number (not a string or boolean)"
    else:
        ok = isinstance(value, (tuple, list)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)
        want = "a list of integers (not strings, booleans or floats)"
    if not ok:
        raise SpecError(f"must be {want} (given {value!r}).", field=name, value=value)


@functools.cache
def _size_fields(cls: type[Spec]) -> dict[str, int]:
    """The fields of ``cls`` typed as sizes, with the least value each allows."""
    out = {}
    for name, info in cls.model_fields.items():
        lower = _size_marker(info.metadata) if info.metadata else None
        if lower is None:
            lower = _size_marker_in(info.annotation)
        if lower is not None:
            out[name] = lower
    return out


def _size_marker(metadata) -> int | None:
    for item in metadata:
        if isinstance(item, SizeField):
            return item.lower
    return None


def _size_marker_in(annotation: Any) -> int | None:
    """Search an annotation (``DimPair | None``, ``dict[str, NonNegDim]``) for a size type."""
    if typing.get_origin(annotation) is Annotated:
        found = _size_marker(annotation.__metadata__)
        if found is not None:
            return found
    for arg in typing.get_args(annotation):
        found = _size_marker_in(arg)
        if found is not None:
            return found
    return None


def _sizes_in(label: str, value: Any) -> Iterator[tuple[str, sympy.Expr]]:
    """The size expressions a field holds: itself, a pair's items or a mapping's values."""
    if isinstance(value, sympy.Expr):
        yield label, value
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _sizes_in(f"{label}[{i}]", item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _sizes_in(f"{label}.{key}", item)


def match_channels(given: sympy.Expr, expected: sympy.Expr, *, where: str,
                   field: str = "in_channels") -> list[Constraint]:
    """The input's channels must equal what the layer was declared with."""
    return require(sympy.Eq(given, expected), where=where, field=field,
                   value=lambda: f"{field}={expected}, input has C={given}",
                   message=lambda: (f"the input has {given} channels but {field} is "
                                    f"{expected}. Set {field} to match the previous layer's "
                                    "output"),
                   error=ShapeMismatchError)
