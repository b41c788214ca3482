"""What every spec shares: the pydantic base, the census a layer reports, the analysis tree,
and the translation of pydantic's validation errors into symcost's messages."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import sympy
from pydantic import BaseModel, ConfigDict, ValidationError, model_serializer

from .._docs import SpecMeta
from ..checks import Constraint, require
from ..counts import OpCounts
from ..errors import ShapeMismatchError, SpecError, SymcostError
from ..shapes import Shape

if TYPE_CHECKING:
    from ..conventions import Convention
    from ..cost import Cost

__all__ = ["Spec", "Layer", "Census", "Node", "reraise_validation", "where_of",
           "match_channels"]

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

    def analyze(self, shape: Shape, convention: str | Convention = "seed", *,
                bytes_per_element: int = 4):
        """Shapes, per-layer costs and total: a :class:`~symcost.network.NetworkCost`."""
        from ..network import NetworkCost

        return NetworkCost.build(self, shape, convention, bytes_per_element=bytes_per_element)


class Layer(Spec):
    """A leaf layer: computes its output shape and its census from an input shape."""

    #: Layers whose costs are shown as named parts (SeparableConv2d) override this.
    composite: ClassVar[bool] = False

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
        if self.composite:
            children, current = [], shape
            for label, part in self.parts():
                child = part.node(current, f"{path}.{label}" if path else label)
                children.append(child)
                current = child.output
            return Node(path, self.kind, shape, current, children=children, composite=True)
        output, census, constraints = self.infer(shape, where_of(path, self.kind))
        return Node(path, self.kind, shape, output, census=census, constraints=constraints)

    def cost(self, shape: Shape, convention: str | Convention = "seed", *,
             bytes_per_element: int = 4) -> Cost:
        """The layer's exact :class:`~symcost.Cost` on an input of ``shape``.

        A composite layer's cost carries its parts in ``cost.parts``.
        """
        return self.analyze(shape, convention, bytes_per_element=bytes_per_element).total

    def output_shape(self, shape: Shape) -> Shape:
        """The shape this layer produces from ``shape``."""
        return self.node(shape).output


def match_channels(given: sympy.Expr, expected: sympy.Expr, *, where: str,
                   field: str = "in_channels") -> list[Constraint]:
    """The input's channels must equal what the layer was declared with."""
    return require(sympy.Eq(given, expected), where=where, field=field,
                   value=lambda: f"{field}={expected}, input has C={given}",
                   message=lambda: (f"the input has {given} channels but {field} is "
                                    f"{expected}. Set {field} to match the previous layer's "
                                    "output"),
                   error=ShapeMismatchError)


# ---------------------------------------------------------------------- error translation


@contextlib.contextmanager
def reraise_validation(kind: str, data: Mapping[str, Any],
                       cls: type | None = None) -> Iterator[None]:
    """Turn pydantic's ValidationError into a SpecError naming layer, field and value."""
    try:
        yield
    except ValidationError as exc:
        raise _spec_error(kind, exc, data, cls) from None


def _spec_error(kind: str, exc: ValidationError, data: Mapping[str, Any],
                cls: type | None) -> SpecError:
    errors = exc.errors(include_url=False)
    # prefer the error carrying one of our own exceptions: it has the best message
    ours = [e for e in errors if isinstance((e.get("ctx") or {}).get("error"), SymcostError)]
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    first = (ours or extra or errors)[0]
    loc = [p for p in first["loc"] if not (isinstance(p, str) and _is_union_tag(p))]
    original = (first.get("ctx") or {}).get("error")
    layer = kind
    field_name: str | None
    if isinstance(original, SpecError) and original.field:
        field_name = original.field
        if loc:
            field_name = _loc_text(loc) + "." + field_name if loc[-1] != field_name else \
                _loc_text(loc)
        detail = original.detail
        layer = original.layer or kind
    else:
        field_name = _loc_text(loc) if loc else None
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field_name = f"{field_name}.kind" if field_name else "kind"
        detail = _detail(first, original, data, cls)
    if isinstance(original, SpecError) and original.layer and not loc:
        layer = original.layer
    error_type = type(original) if isinstance(original, SpecError) else SpecError
    return error_type(detail, layer=layer, field=field_name, value=first.get("input"))


def _is_union_tag(part: str) -> bool:
    # pydantic inserts the tag of a discriminated union member, or a type description
    return "[" in part or part in _KNOWN_TAGS or part.startswith(("function-", "literal"))


_KNOWN_TAGS: set[str] = set()


def register_tags(tags: set[str]) -> None:
    """Kinds that pydantic may insert into error locations (set by the spec union)."""
    _KNOWN_TAGS.update(tags)


def _loc_text(loc: list) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


def _detail(error: Mapping[str, Any], original: object, data: Mapping[str, Any],
            cls: type | None) -> str:
    etype = error["type"]
    given = error.get("input")
    if etype == "extra_forbidden":
        bad = str(error["loc"][-1])
        allowed = _allowed_fields(error, data, cls)
        near = difflib.get_close_matches(bad, allowed, n=1)
        hint = f" Did you mean {near[0]}?" if near else (
            " Known fields: " + ", ".join(allowed) + "." if allowed else "")
        return f"unknown field.{hint}"
    if etype == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        tag = str(ctx.get("tag"))
        kinds = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        near = difflib.get_close_matches(tag.lower(), kinds, n=1, cutoff=0.5)
        hint = f" Did you mean {near[0]}?" if near else " Known kinds: " + ", ".join(kinds) + "."
        return f"unknown kind {tag!r}.{hint}"
    if etype == "union_tag_not_found":
        return ("no 'kind'. Every spec names its kind, e.g. {'kind': 'conv2d', ...} "
                "(see symcost.spec.kind_classes()).")
    if etype == "missing":
        return f"this field is required. Give {error['loc'][-1]}=..."
    if isinstance(original, SymcostError):
        text = str(original)
        for prefix in ("size: ",):
            if text.startswith(prefix):
                text = text[len(prefix):]
        return text
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{msg} (given {given!r})."


def _allowed_fields(error: Mapping[str, Any], data: Mapping[str, Any],
                    top: type | None) -> list[str]:
    from ..spec import kind_classes

    kinds = kind_classes()
    loc = error["loc"]
    # the enclosing dict's kind tells which model's fields are allowed
    node: Any = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
            break
    kind = node.get("kind") if isinstance(node, Mapping) else data.get("kind")
    cls = kinds.get(kind) if isinstance(kind, str) else None
    if cls is None and len(loc) == 1:
        cls = top
    return sorted(cls.model_fields) if cls else []
