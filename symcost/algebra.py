"""Algebra on cost formulas: canonical ratios and decided equivalence.

Library code prefers ``cancel``/``factor`` to ``simplify`` (faster and predictable);
``simplify`` is the last resort of :func:`equivalent`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import sympy

from .cost import Cost, check_metric
from .errors import SymcostError

__all__ = ["ratio", "equivalent", "counterexample", "expansion_size", "bounded_expand",
           "MAX_EXPANDED_TERMS"]

#: The most terms :func:`bounded_expand` lets an expansion produce.
MAX_EXPANDED_TERMS = 2000


def expansion_size(expr: sympy.Basic, cap: int = MAX_EXPANDED_TERMS) -> int:
    """An upper bound on the number of terms ``sympy.expand(expr)`` produces (arguments of
    floors and the like included), saturating just above ``cap``: cheap to compute, where
    the expansion itself can take hours (``(H+1)**64*(W+1)**64`` has 4,225 terms; with a
    third such factor, 274,625).

    >>> from symcost import dims
    >>> H, W = dims("H W")
    >>> expansion_size((H + 1)**2 * (W + 1))
    6
    >>> expansion_size((H + 1)**64 * (W + 1)**64 * (H + W)**64) > MAX_EXPANDED_TERMS
    True
    """
    def terms(e: sympy.Basic) -> int:
        if e.is_Add:
            return min(cap + 1, sum(terms(a) for a in e.args))
        if e.is_Mul:
            out = 1
            for a in e.args:
                out = min(cap + 1, out * terms(a))
            return out
        if e.is_Pow and e.exp.is_Integer and e.exp > 1:
            # a sum of t terms to the n-th power has at most C(n + t - 1, t - 1) monomials
            base = terms(e.base)
            return min(cap + 1, math.comb(int(e.exp) + base - 1, base - 1))
        return 1

    total = terms(expr)
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function) and total <= cap:
            total += sum(terms(a) for a in node.args)
    return min(total, cap + 1)


def bounded_expand(expr: sympy.Expr, cap: int = MAX_EXPANDED_TERMS) -> sympy.Expr:
    """``sympy.expand(expr)`` when the result stays below ``cap`` terms, else ``expr``
    unchanged (the same value, only not multiplied out)."""
    if expansion_size(expr, cap) > cap:
        return expr
    return sympy.expand(expr)


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

    Formulas whose expansion would exceed :data:`MAX_EXPANDED_TERMS` terms are not
    simplified (that could take hours): their exact quotient is returned as it is.

    >>> import symcost as sc
    >>> C_out, K = sc.dims("C_out K")
    >>> ratio(C_out * K**2 * 7, (K**2 + C_out) * 7)
    C_out*K**2/(C_out + K**2)
    """
    num, den = _expr(a, metric, "ratio"), _expr(b, metric, "ratio")
    if den == 0:
        raise SymcostError(f"ratio: the denominator's {metric} is identically zero.")
    if expansion_size(num) > MAX_EXPANDED_TERMS or expansion_size(den) > MAX_EXPANDED_TERMS:
        # cancelling polynomials of hundreds of thousands of terms takes hours: the exact
        # quotient, unsimplified
        return num / den
    return sympy.factor(sympy.cancel(num / den))


def equivalent(a: Any, b: Any, *, metric: str = "macs") -> bool:
    """True when a and b are provably equal for every positive-integer value of their
    symbols (their declared assumptions are used).

    False means "not proven": :func:`counterexample` finds a witness when one is small.
    """
    diff = _expr(a, metric, "equivalent") - _expr(b, metric, "equivalent")
    if diff == 0:
        return True
    if expansion_size(diff) > MAX_EXPANDED_TERMS:
        return False  # too large to prove within bounds: "not proven"
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
