"""Results: what analysing a spec on an input shape gives.

:meth:`Spec.analyze <symcost.layers.base.Spec.analyze>` (``net.cost``) builds the node tree
(:mod:`symcost.containers`), prices every leaf under a convention and returns a
:class:`NetworkCost`: the total, a per-layer breakdown, evaluation to numbers
(:class:`NetworkValues`) and the list of what could not be costed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import sympy

from .checks import Constraint, size_conditions
from .conventions import Convention, get_convention
from .cost import Cost, CostValues, bind_values
from .errors import SpecError, SymcostWarning
from .layers.base import Node, Spec, where_of
from .report import Reportable, incomplete_message
from .shapes import Shape

if TYPE_CHECKING:
    pass
# AnyLayer is left undefined here on purpose: pydantic defers the containers' fields until
# symcost.spec defines the union and calls model_rebuild.

__all__ = ["NetworkCost", "NetworkValues", "Row", "Rows"]


@dataclass(frozen=True, eq=False)
class Row:
    """One line of a breakdown: a layer or container, its output shape and its cost.

    ``cost`` is the row's whole contribution to the total (``count`` copies included).
    """

    path: str
    kind: str
    depth: int
    output: Shape
    cost: Cost
    count: sympy.Expr
    leaf: bool
    uncosted: str | None = None


class Rows(list):
    """A list of :class:`Row` (a breakdown) that Jupyter shows as an HTML table."""

    def _repr_html_(self) -> str:
        from .report import rows_html

        return rows_html(self)


@dataclass(eq=False)
class NetworkCost(Reportable):
    """Shapes, per-layer costs and the total of a spec on an input shape.

    ``spec`` and ``input`` are what was analysed, ``convention`` the pricing preset's name,
    ``rows`` the per-layer breakdown (preorder, containers before their children) and
    ``total`` the sum. When some layer could not be costed (``uncosted`` is not empty) the
    total leaves it out: reading ``total`` or calling ``evaluate`` then warns with a
    :class:`~symcost.errors.SymcostWarning`, and every report marks its total
    ``INCOMPLETE``.
    """

    spec: Spec
    input: Shape
    convention: str
    root: Node
    _total: Cost
    rows: list[Row]
    #: Formulas, not numbers (reports lay the two out differently).
    evaluated: ClassVar[bool] = False
    bytes_per_element: int = 4

    @classmethod
    def build(cls, spec: Spec, shape: Shape, convention: str | Convention = "seed", *,
              bytes_per_element: int = 4, training: bool = False,
              recompute: str | None = None, frozen: Any = (),
              input_requires_grad: bool = False) -> NetworkCost:
        conv = get_convention(convention)
        options = _training_options(training, recompute, frozen, input_requires_grad)
        if isinstance(bytes_per_element, bool) or not isinstance(bytes_per_element, int) \
                or bytes_per_element < 1:
            raise SpecError(f"bytes_per_element must be a positive int (given "
                            f"{bytes_per_element!r}), e.g. 4 for float32.",
                            layer=where_of("", spec.kind), field="bytes_per_element")
        root = spec.node(shape, "")
        root.constraints = _shape_constraints(shape) + root.constraints
        rows: list[Row] = []
        if training:
            total = _price_training(root, spec, conv, bytes_per_element, rows, *options)
        else:
            total = _price(root, conv, bytes_per_element, rows, 0, sympy.Integer(1))
        _unique_paths(rows)
        return cls(spec, shape, conv.name, root, total, rows, bytes_per_element)

    @property
    def total(self) -> Cost:
        """The network's cost: the sum of every row. Warns (:class:`SymcostWarning`) when
        some layers are uncosted, since the sum then leaves them out."""
        self._warn_incomplete("total")
        return self._total

    def _warn_incomplete(self, what: str) -> None:
        if self.uncosted:
            warnings.warn(incomplete_message(self.uncosted, what), SymcostWarning,
                          stacklevel=3)

    # shortcuts to the total, so layer.cost(...) and net.cost(...) read alike
    @property
    def macs(self) -> sympy.Expr:
        return self.total.macs

    @property
    def flops(self) -> sympy.Expr:
        return self.total.flops

    @property
    def params(self) -> sympy.Expr:
        return self.total.params

    @property
    def active_params(self) -> sympy.Expr:
        """Parameters one token (one sample) uses: ``params`` with each mixture-of-experts
        layer counting its router, its ``top_k`` routed experts and its shared ones instead
        of all experts (:class:`~symcost.MoE`). Equal to ``params`` without MoE layers."""
        return _active(self.root)

    @property
    def output(self) -> Shape:
        """The network's output shape."""
        return self.root.output

    @property
    def uncosted(self) -> list[tuple[str, str]]:
        """(path, reason) for every layer symcost could not cost; empty for built-in layers."""
        return [(r.path, r.uncosted) for r in self.rows if r.uncosted]

    def breakdown(self, depth: int | None = None, *, leaves_only: bool = False) -> Rows:
        """Rows for every layer and container (containers first), down to ``depth``; a list
        that Jupyter shows as a table."""
        return Rows(r for r in self.rows
                    if (depth is None or r.depth <= depth) and (r.leaf or not leaves_only))

    def evaluate(self, values: Mapping[str, int] | None = None, /,
                 **named: int) -> NetworkValues:
        """Exact integers for the total and every row, e.g. ``evaluate(H=224, W=224)``.

        Warns (:class:`SymcostWarning`) when some layers are uncosted.
        """
        self._warn_incomplete("evaluate")
        values = {**(values or {}), **named}
        total = self._total.evaluate(values)
        leaves = [r for r in self.rows if r.leaf]
        shapes = [self.input] + [r.output for r in self.rows]
        mapping = bind_values(self._total.free_symbols | _row_symbols(leaves)
                              | _shape_symbols(shapes), values)
        by_name = {s.name: v for s, v in mapping.items()}
        # rows are in preorder and a container's row is the sum of its children's rows
        # (counts included), so evaluate leaves only and add up the tree from the bottom
        evaluated: list[CostValues] = [None] * len(self.rows)  # type: ignore[list-item]
        pending: list[tuple[int, CostValues]] = []
        for i in range(len(self.rows) - 1, -1, -1):
            row = self.rows[i]
            if row.leaf:
                value = row.cost.evaluate(by_name)
            else:
                children = []
                while pending and pending[-1][0] == row.depth + 1:
                    children.append(pending.pop()[1])
                value = CostValues.total(children, self.convention)
            evaluated[i] = value
            pending.append((row.depth, value))
        rows = [(r, v, _eval_shape(r.output, mapping)) for r, v in zip(self.rows, evaluated)]
        return NetworkValues(self, dict(values), total, rows)

    def subs(self, values: Mapping[str, Any] | None = None, /, **named: Any) -> Cost:
        """The total with some symbols substituted."""
        return self.total.subs(values, **named)

    def latency(self, hw: Any, *, dtype: str = "bf16", efficiency: Any = 1,
                **options: Any) -> Any:
        """Per-layer roofline time on ``hw`` (:func:`symcost.roofline.latency`)."""
        from .roofline import latency

        return latency(self, hw, dtype=dtype, efficiency=efficiency, **options)

    def __repr__(self) -> str:
        return (f"NetworkCost({self.spec.name or self.spec.kind}, input={self.input}, "
                f"convention={self.convention!r}, macs={self._total.macs}"
                + (f", INCOMPLETE: {len(self.uncosted)} uncosted" if self.uncosted else "")
                + ")")


def _unique_paths(rows: list[Row]) -> None:
    """Every row's path names one layer: two siblings named alike, or a name with a dot
    that spells another layer's path, would make csv/json rows ambiguous."""
    seen: dict[str, Row] = {}
    for row in rows:
        if row.path in seen:
            raise SpecError(f"two layers have the path {row.path!r} ({seen[row.path].kind} "
                            f"and {row.kind}); paths name rows of the breakdown. Give "
                            "siblings different names, and avoid names with a dot that "
                            "spell another layer's path.", layer=where_of(row.path, row.kind),
                            field="name", value=row.path)
        seen[row.path] = row


def _shape_constraints(shape: Shape) -> list[Constraint]:
    """An input axis such as ``H-10`` must be at least 1 and whole wherever it is evaluated."""
    if not isinstance(shape, Shape):
        return []
    out: list[Constraint] = []
    for axis, size in shape.axes().items():
        out += size_conditions(size, where="input shape", field=axis)
    return out


def _shape_symbols(shapes: list[Shape]) -> set[sympy.Symbol]:
    out: set[sympy.Symbol] = set()
    for shape in shapes:
        for axis in shape.axes().values():
            out |= axis.free_symbols
    return out


def _row_symbols(rows: list[Row]) -> set[sympy.Symbol]:
    out: set[sympy.Symbol] = set()
    for r in rows:
        out |= r.cost.free_symbols
    return out


def _eval_shape(shape: Shape, mapping) -> Shape:
    return shape.map(lambda v: sympy.Integer(v.xreplace(mapping)))


@dataclass(eq=False)
class NetworkValues(Reportable):
    """A network cost evaluated at numbers."""

    network: NetworkCost
    values: dict[str, int]
    total: CostValues
    #: Numbers, not formulas.
    evaluated: ClassVar[bool] = True
    rows: list[tuple[Row, CostValues, Shape]] = field(default_factory=list)

    @property
    def macs(self) -> int:
        return self.total.macs

    @property
    def flops(self) -> int:
        return self.total.flops

    @property
    def active_params(self) -> int:
        """:attr:`NetworkCost.active_params` at these values."""
        active = self.network.active_params
        return int(active.xreplace({s: sympy.Integer(self.values[s.name])
                                    for s in active.free_symbols}))

    @property
    def params(self) -> int:
        return self.total.params

    def __repr__(self) -> str:
        at = " at " + ", ".join(f"{k}={v}" for k, v in self.values.items()) \
            if self.values else ""
        incomplete = self.network.uncosted
        return (f"NetworkValues({self.network.spec.name or self.network.spec.kind}{at}, "
                f"convention={self.network.convention!r}, macs={self.total.macs:,}"
                + (f", INCOMPLETE: {len(incomplete)} uncosted" if incomplete else "") + ")")


def _active(node: Node) -> sympy.Expr:
    """Active parameters of ``node``, copies (``repeat``) included."""
    if node.census is not None:
        return sympy.sympify(node.census.attrs.get("active_params", node.census.params))
    return node.repeat * sympy.Add(*(_active(c) for c in node.children))


def _price(node: Node, conv: Convention, bpe: int, rows: list[Row], depth: int,
           count: sympy.Expr) -> Cost:
    """Price ``node`` (recursively), append its rows, return its cost per single copy."""
    index = len(rows)
    if node.census is not None:
        cost = conv.price(node.census, bytes_per_element=bpe,
                          constraints=tuple(node.constraints))
        rows.append(Row(node.path, node.kind, depth, node.output, cost * count, count, True,
                        node.uncosted))
        return cost
    rows.append(None)  # type: ignore[arg-type]  # placeholder, filled below
    inner = count * node.repeat
    child_costs = [_price(c, conv, bpe, rows, depth + 1, inner) for c in node.children]
    cost = Cost.total(child_costs, conv.name)
    if node.constraints:
        cost = replace(cost, constraints=tuple(node.constraints) + cost.constraints)
    cost = cost * node.repeat
    if node.composite:
        cost = replace(cost, parts={c.path.rsplit(".", 1)[-1]: cc
                                    for c, cc in zip(node.children, child_costs)})
    rows[index] = Row(node.path, node.kind, depth, node.output, cost * count, count, False,
                      None)
    return cost


# ------------------------------------------------------------------ training (backward)
def _training_options(training: Any, recompute: Any, frozen: Any,
                      input_requires_grad: Any) -> tuple:
    from .backward import check_recompute

    for name, value in (("training", training), ("input_requires_grad", input_requires_grad)):
        if not isinstance(value, bool):
            raise SpecError(f"{name} must be True or False (given {value!r}).", field=name)
    check_recompute(recompute)
    if recompute is not None and not training:
        raise SpecError(f"recompute={recompute!r} needs training=True (recomputation is part "
                        "of the backward pass).", field="recompute", value=recompute)
    if isinstance(frozen, str):
        frozen = (frozen,)
    frozen = tuple(frozen)
    if frozen and not training:
        raise SpecError("frozen layers need training=True.", field="frozen")
    for f in frozen:
        if not isinstance(f, str):
            raise SpecError(f"frozen takes layer paths (strings), given {f!r}.",
                            field="frozen", value=f)
    return recompute, frozen, input_requires_grad


def _price_training(root: Node, spec: Spec, conv: Convention, bpe: int, rows: list[Row],
                    recompute: str | None, frozen: tuple[str, ...],
                    input_requires_grad: bool) -> Cost:
    from .backward import grad_flags, recomputed

    paths = {n.path for n in root.walk()}
    for name in frozen:
        if name not in paths:
            from .errors import did_you_mean

            raise SpecError(f"frozen: no layer has the path {name!r}."
                            + did_you_mean(name, sorted(p for p in paths if p)),
                            field="frozen", value=name)
    flags: dict[Any, tuple] = {}
    grad_flags(root, spec, input_requires_grad, frozen, flags)
    again = recomputed(root, recompute)
    f, b, r = _price_passes(root, conv, bpe, rows, 0, sympy.Integer(1), flags, again)
    return _passes(f, b, r)


def _passes(f: Cost, b: Cost, r: Cost) -> Cost:
    """One row's training cost: forward + backward + recomputed forward, each a part;
    parameters, buffers and activations are the forward's."""
    total = Cost.total([f, b, r])
    return replace(total, params=f.params, buffers=f.buffers, activations=f.activations,
                   memory_bytes=f.memory_bytes, constraints=f.constraints,
                   parts={"forward": f, "backward": b, "recompute": r})


def _price_passes(node: Node, conv: Convention, bpe: int, rows: list[Row], depth: int,
                  count: sympy.Expr, flags: dict[Any, tuple],
                  again: set[int]) -> tuple[Cost, Cost, Cost]:
    from .backward import backward_census

    zero = Cost(convention=conv.name)
    index = len(rows)
    if node.census is not None:
        constraints = tuple(node.constraints)
        f = conv.price(node.census, bytes_per_element=bpe, constraints=constraints)
        ig, wg = flags.get(id(node), (True, True))
        bc = backward_census(node.census, input_grad=ig, weight_grad=wg)
        uncosted = node.uncosted
        if bc is None:
            b = zero
            uncosted = uncosted or (f"{node.kind}: no backward counts (give the Custom "
                                    "layer backward_counts={...})")
        else:
            b = conv.price(bc, bytes_per_element=bpe)
            first = flags.get(("first", id(node)))
            if first is not None:  # a Repeat's first copy: its input needs no gradient
                fig, fwg, n = first
                bf = backward_census(node.census, input_grad=fig, weight_grad=fwg)
                once = conv.price(bf, bytes_per_element=bpe)  # type: ignore[arg-type]
                b = Cost.total([b * ((n - 1) / n), once * (sympy.Integer(1) / n)])
        r = f if id(node) in again else zero
        rows.append(Row(node.path, node.kind, depth, node.output, _passes(f, b, r) * count,
                        count, True, uncosted))
        return f, b, r
    rows.append(None)  # type: ignore[arg-type]  # placeholder, filled below
    inner = count * node.repeat
    child = [_price_passes(c, conv, bpe, rows, depth + 1, inner, flags, again)
             for c in node.children]
    passes = []
    for i in range(3):
        cost = Cost.total([c[i] for c in child], conv.name)
        if node.constraints:
            cost = replace(cost, constraints=tuple(node.constraints) + cost.constraints)
        passes.append(cost * node.repeat)
    f, b, r = passes
    cost = _passes(f, b, r)
    if node.composite:
        named = {c.path.rsplit(".", 1)[-1]: _passes(*cc) for c, cc in zip(node.children, child)}
        cost = replace(cost, parts={**named, **cost.parts})
    rows[index] = Row(node.path, node.kind, depth, node.output, cost * count, count, False,
                      None)
    return f, b, r
