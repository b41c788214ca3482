"""Why two conventions disagree on one network: per layer kind, the rule each applies and
the difference it makes.

>>> import symcost as sc
>>> net = sc.Sequential(layers=[sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3),
...                             sc.BatchNorm2d(num_features=8), sc.ReLU()])
>>> diff = sc.compare_conventions(net, sc.Shape(C=3, H="H", W="W"), "fvcore", "thop")
>>> [(row.kind, row.difference) for row in diff.rows]
[('batchnorm2d', -16*(H - 2)*(W - 2))]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .conventions import Convention, describe_rule, get_convention
from .layers.base import Spec
from .shapes import Shape

__all__ = ["compare_conventions", "ConventionComparison", "KindDifference"]


@dataclass(frozen=True)
class KindDifference:
    """One layer kind on which two conventions disagree."""

    kind: str
    count: int
    """How many layers of this kind the network has."""
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

    def evaluate(self, **values: int) -> list[tuple[str, int, int]]:
        """``(kind, value_a, value_b)`` per differing kind, at numbers."""
        return [(r.kind, int(r.value_a.subs(values)), int(r.value_b.subs(values)))
                for r in self.rows]

    def __str__(self) -> str:
        lines = [f"{self.a} ({self.metric_a}) vs {self.b} ({self.metric_b}):",
                 f"  total {self.a}: {self.total_a}", f"  total {self.b}: {self.total_b}"]
        for r in self.rows:
            lines.append(f"  {r.kind} ×{r.count}: {self.a} counts {r.rule_a}; {self.b} counts "
                         f"{r.rule_b}; difference {r.difference}")
        return "\n".join(lines)


def compare_conventions(net: Spec, shape: Shape, a: str | Convention, b: str | Convention,
                        *, metric: str | None = None) -> ConventionComparison:
    """Compare conventions ``a`` and ``b`` on ``net`` with input ``shape``.

    Each side uses its headline figure (what its peer tool prints: ``flops`` for ``torch``,
    ``macs`` for the others) unless ``metric`` ("macs" or "flops") is given. The rows list,
    per layer kind, the rule of each side and the symbolic difference, for every kind whose
    totals differ.
    """
    ca, cb = get_convention(a), get_convention(b)
    ma, mb = metric or ca.headline, metric or cb.headline
    ra, rb = net.analyze(shape, ca), net.analyze(shape, cb)
    by_kind: dict[str, list] = {}
    for row_a, row_b in zip(ra.breakdown(leaves_only=True), rb.breakdown(leaves_only=True)):
        entry = by_kind.setdefault(row_a.kind, [0, sympy.Integer(0), sympy.Integer(0)])
        entry[0] += 1
        entry[1] += getattr(row_a.cost, ma)
        entry[2] += getattr(row_b.cost, mb)
    rows = []
    for kind, (count, va, vb) in by_kind.items():
        if sympy.expand(va - vb) != 0:
            rows.append(KindDifference(kind, count, _rule_text(ca, ma, kind),
                                       _rule_text(cb, mb, kind), va, vb))
    return ConventionComparison(ca.name, cb.name, ma, mb, getattr(ra.total, ma),
                                getattr(rb.total, mb), rows)


def _rule_text(conv: Convention, metric: str, kind: str) -> str:
    return describe_rule(getattr(conv, metric).rule_for(kind))
