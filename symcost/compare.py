"""Why two conventions disagree on one network: per layer kind, the rule each applies and
the difference it makes.

>>> import symcost as sc
>>> net = sc.Sequential(layers=[sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3),
...                             sc.BatchNorm2d(num_features=8), sc.ReLU()])
>>> diff = sc.compare_conventions(net, sc.Shape(C=3, H="H", W="W"), "fvcore", "thop")
>>> [(row.kind, row.difference) for row in diff.rows]
[('batchnorm2d', -16*(H - 2)*(W - 2))]
>>> print(diff.at(H=32, W=32))
fvcore (macs) vs thop (macs): 208,800 vs 223,200
  batchnorm2d ×1: 14,400 vs 28,800, difference -14,400
      fvcore: inputs, ×2 with affine γ/β (eval mode)
      thop: 2·inputs, ×2 with affine; 0 when the op is a functional call, method or operator
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy

from .algebra import bounded_expand
from .checks import Constraint
from .conventions import Convention, describe_rule, get_convention
from .cost import bind_values
from .errors import SymcostError
from .layers.base import Spec
from .shapes import Shape
from .spec import kind_classes

__all__ = ["compare_conventions", "ConventionComparison", "KindDifference"]


@dataclass(frozen=True)
class KindDifference:
    """One layer kind on which two conventions disagree."""

    kind: str
    count: int | sympy.Expr
    """How many layers of this kind the network has (a symbol under a ``Repeat`` of n)."""
    rule_a: str
    rule_b: str
    value_a: sympy.Expr
    value_b: sympy.Expr

    @property
    def difference(self) -> sympy.Expr:
        """``value_a − value_b``, factored."""
        return sympy.factor(sympy.expand(self.value_a - self.value_b))


@dataclass(frozen=True)
class ConventionComparison:
    """The totals under two conventions and the kinds that explain their difference."""

    a: str
    b: str
    metric_a: str
    metric_b: str
    total_a: sympy.Expr
    total_b: sympy.Expr
    rows: list[KindDifference] = field(default_factory=list)
    constraints: tuple[Constraint, ...] = ()
    """The conditions the formulas hold under (output sizes at least 1, ...)."""

    def at(self, **values: int) -> ConventionComparison:
        """The same comparison with every symbol replaced by a number (exact integers).

        Raises :class:`~symcost.ConstraintError` when the values break a condition of the
        network, as :meth:`~symcost.Cost.evaluate` does.
        """
        symbols = set().union(self.total_a.free_symbols, self.total_b.free_symbols,
                              *(c.free_symbols for c in self.constraints))
        mapping = bind_values(symbols, values)
        for constraint in self.constraints:
            constraint.check(mapping)

        def num(e):
            return sympy.Integer(e.xreplace(mapping))

        rows = [replace(r, value_a=num(r.value_a), value_b=num(r.value_b),
                        count=num(sympy.sympify(r.count))) for r in self.rows]
        return replace(self, total_a=num(self.total_a), total_b=num(self.total_b), rows=rows)

    def _repr_html_(self) -> str:
        from .report import comparison_html

        return comparison_html(self)

    def __str__(self) -> str:
        lines = [f"{self.a} ({self.metric_a}) vs {self.b} ({self.metric_b}): "
                 f"{_short(self.total_a)} vs {_short(self.total_b)}"]
        for r in self.rows:
            count = _short(sympy.sympify(r.count))
            lines.append(f"  {r.kind} ×{count}: {_short(r.value_a)} vs {_short(r.value_b)}, "
                         f"difference {_short(r.difference)}")
            lines.append(f"      {self.a}: {r.rule_a}")
            lines.append(f"      {self.b}: {r.rule_b}")
        return "\n".join(lines)


def _short(expr: sympy.Expr) -> str:
    if expr.is_Integer:
        return f"{int(expr):,}"
    text = str(expr)
    return text if len(text) <= 60 else "(formula; use .at(...) for numbers)"


def compare_conventions(net: Spec, shape: Shape, a: str | Convention, b: str | Convention,
                        *, metric: str | None = None) -> ConventionComparison:
    """Compare conventions ``a`` and ``b`` on ``net`` with input ``shape``.

    Each side uses its headline figure (what its peer tool prints: ``flops`` for ``torch``,
    ``macs`` for the others) unless ``metric`` ("macs" or "flops") is given. The rows list,
    per layer kind, the rule of each side and the symbolic difference, for every kind whose
    totals differ.
    """
    if metric not in (None, "macs", "flops"):
        raise SymcostError(f"compare_conventions: metric must be 'macs' or 'flops', the two "
                           f"figures a convention prices (given {metric!r}).")
    ca, cb = get_convention(a), get_convention(b)
    ma, mb = metric or ca.headline, metric or cb.headline
    ra, rb = net.analyze(shape, ca), net.analyze(shape, cb)
    by_kind: dict[str, list] = {}
    for row_a, row_b in zip(ra.breakdown(leaves_only=True), rb.breakdown(leaves_only=True)):
        entry = by_kind.setdefault(row_a.kind, [0, sympy.Integer(0), sympy.Integer(0)])
        entry[0] += row_a.count
        entry[1] += getattr(row_a.cost, ma)
        entry[2] += getattr(row_b.cost, mb)
    # a leaf's family comes from its census: parts of a composite layer (an attention
    # core, a MoE's routing) are kinds with no spec class of their own
    families = {n.census.kind: n.census.family for n in net.node(shape).walk()
                if n.census is not None}
    rows = []
    for kind, (count, va, vb) in by_kind.items():
        if bounded_expand(va - vb) != 0:  # too large to expand: shown as a difference
            family = families.get(kind, "")
            rows.append(KindDifference(kind, count, _rule_text(ca, ma, kind, family),
                                       _rule_text(cb, mb, kind, family), va, vb))
    return ConventionComparison(ca.name, cb.name, ma, mb, getattr(ra.total, ma),
                                getattr(rb.total, mb), rows, ra.total.constraints)


def _rule_text(conv: Convention, metric: str, kind: str, family: str) -> str:
    if not family and kind in kind_classes():
        family = getattr(kind_classes()[kind], "family", "")  # containers have none
    return describe_rule(getattr(conv, metric).rule_for(kind, family))
