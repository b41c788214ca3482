"""Algebra on cost formulas: canonical ratios and decided equivalence.

Library code prefers ``cancel``/``factor`` to ``simplify`` (faster and predictable);
``simplify`` is the last resort of :func:`equivalent`.
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy

from .cost import Cost, check_metric
from .errors import SymcostError

__all__ = ["ratio", "equivalent", "counterexample"]


def _expr(value: Any, metric: str, where: str) -> sympy.Expr:
    if isinstance(value, Cost):
        return getattr(value, check_metric(metric, where))
    if hasattr(value, "total") and isinstance(value.total, Cost):
        return getattr(value.total, check_metric(metric, where))
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        raise SymcostError(f"{where}: expected a Cost, a network cost or a sympy expression "
                           f"(given {type(value).__name__}).") from None


def ratio(a: Any, b: Any, *, metric: str = "macs") -> sympy.Expr:
    """The simplified ratio a/b of two formulas, or of one metric of two costs.

    ``a`` and ``b`` are each a :class:`~symcost.Cost`, a network cost (its total is used)
    or a sympy expression; ``metric`` names the figure compared for costs (``"macs"``,
    ``"flops"``, ``"params"``, ``"buffers"``, ``"activations"``, ``"memory_bytes"``).
    The result is cancelled and factored, never passed through ``simplify``.

    >>> import symcost as sc
    >>> C_out, K = sc.dims("C_out K")
    >>> ratio(C_out * K**2 * 7, (K**2 + C_out) * 7)
    C_out*K**2/(C_out + K**2)
    """
    num, den = _expr(a, metric, "ratio"), _expr(b, metric, "ratio")
    if den == 0:
        raise SymcostError(f"ratio: the denominator's {metric} is identically zero.")
    return sympy.factor(sympy.cancel(num / den))


def equivalent(a: Any, b: Any, *, metric: str = "macs") -> bool:
    """True when a and b are provably equal for every positive-integer value of their
    symbols (their declared assumptions are used).

    False means "not proven": :func:`counterexample` finds a witness when one is small.
    """
    diff = _expr(a, metric, "equivalent") - _expr(b, metric, "equivalent")
    if diff == 0:
        return True
    for step in (sympy.expand, sympy.cancel, sympy.simplify):
        diff = step(diff)
        if diff == 0:
            return True
    return False


def counterexample(a: Any, b: Any, *, metric: str = "macs", limit: int = 8,
                   max_points: int = 4096) -> dict[str, int] | None:
    """The first assignment of small positive integers (1…``limit``, respecting declared
    multiples) where a and b differ, or None.

    The assignment names every symbol of a and b (even one that cancels in a − b), so both
    sides can be evaluated at it.

    >>> import symcost as sc
    >>> C, K = sc.dims("C K")
    >>> counterexample(C + 1, C)
    {'C': 1}
    >>> counterexample(C * K, K * C) is None
    True
    """
    ea, eb = _expr(a, metric, "counterexample"), _expr(b, metric, "counterexample")
    symbols = sorted(ea.free_symbols | eb.free_symbols, key=lambda s: s.name)
    ranges = [[getattr(s, "multiple", 1) * k for k in range(1, limit + 1)] for s in symbols]
    for point in itertools.islice(itertools.product(*ranges), max_points):
        values = dict(zip(symbols, map(sympy.Integer, point)))
        if sympy.simplify(ea.xreplace(values) - eb.xreplace(values)) != 0:
            return {s.name: int(v) for s, v in values.items()}
    return None
