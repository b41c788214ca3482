"""Assertions for tests and papers: costs equal, ratios as claimed, identities that hold.

Each assertion proves what it can symbolically (every positive-integer value of the
symbols, declared multiples respected) and, when the proof fails, raises ``AssertionError``
with the per-metric difference, simplified, and a concrete counterexample assignment when a
small one exists.

>>> import symcost as sc
>>> from symcost.testing import assert_identity, assert_ratio
>>> C, K, H, W = sc.dims("C K H W")
>>> x = sc.Shape(C=C, H=H, W=W)
>>> dw = sc.DepthwiseConv2d(in_channels=C, kernel_size=K, padding="same")
>>> assert_identity(dw.cost(x), dw.as_conv2d().cost(x))
>>> assert_ratio(sc.Conv2d(in_channels=C, out_channels=C, kernel_size=K,
...                        padding="same").cost(x), dw.cost(x), C)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sympy

from .algebra import counterexample, equivalent, ratio
from .cost import METRICS, Cost
from .counts import OPS
from .errors import SymcostError

__all__ = ["assert_cost_equal", "assert_ratio", "assert_identity"]


def _as_cost(value: Any) -> Cost | None:
    if isinstance(value, Cost):
        return value
    total = getattr(value, "total", None)
    return total if isinstance(total, Cost) else None


def _as_expr(value: Any, what: str) -> sympy.Expr:
    cost = _as_cost(value)
    if cost is not None:
        raise SymcostError(f"{what}: a Cost has several metrics; pass metric=... to compare "
                           "one, or use assert_cost_equal.")
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        raise SymcostError(f"{what}: expected a Cost, a network cost or a sympy expression "
                           f"(given {type(value).__name__}).") from None


def _simplified(expr: sympy.Expr) -> sympy.Expr:
    from .algebra import MAX_EXPANDED_TERMS, expansion_size

    if expansion_size(expr) > MAX_EXPANDED_TERMS:
        return expr  # too large to simplify within bounds: shown as it is
    out = sympy.factor(sympy.cancel(sympy.expand(expr)))
    return out if sympy.count_ops(out) <= sympy.count_ops(expr) else expr


def _difference(name: str, a: sympy.Expr, b: sympy.Expr) -> str | None:
    """None when a == b provably; otherwise the lines describing the difference."""
    if equivalent(a, b, metric=name):
        return None
    diff = _simplified(a - b)
    lines = [f"  {name}: {a}  !=  {b}", f"    difference (left - right) = {diff}"]
    witness = counterexample(a, b, metric=name)
    if witness is not None:
        left, right = _at(a, witness), _at(b, witness)
        shown = ", ".join(f"{k}={v}" for k, v in witness.items()) or "any values"
        lines.append(f"    counterexample: {shown} gives {left} vs {right}")
    else:
        lines.append("    no counterexample among small positive integers (1..8): the "
                     "difference may vanish only for values outside that range, or sympy "
                     "could not prove equality")
    return "\n".join(lines)


def _at(expr: sympy.Expr, values: Mapping[str, int]) -> sympy.Expr:
    mapping = {s: sympy.Integer(values[s.name]) for s in expr.free_symbols
               if s.name in values}
    return sympy.nsimplify(sympy.simplify(expr.xreplace(mapping)))


def _metric_list(metrics: Iterable[str] | str | None, default: Iterable[str]) -> list[str]:
    if metrics is None:
        return list(default)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    known = set(METRICS) | {f"counts.{op}" for op in OPS}
    unknown = [m for m in names if m not in known]
    if unknown:
        raise SymcostError(f"unknown metric(s) {unknown}. Use " + ", ".join(METRICS)
                           + " or counts.<op> (" + ", ".join(OPS) + ").")
    return names


def _metric(cost: Cost, name: str) -> sympy.Expr:
    if name.startswith("counts."):
        return getattr(cost.counts, name.split(".", 1)[1])
    return getattr(cost, name)


def _cost_problems(a: Cost, b: Cost, names: list[str]) -> list[str]:
    """The description of every metric in ``names`` where ``a`` and ``b`` differ."""
    return [p for p in (_difference(m, _metric(a, m), _metric(b, m)) for m in names)
            if p is not None]


def _exact(value: Any, name: str) -> sympy.Expr:
    """A value of ``at=`` as an exact number (0.75 is 3/4, not a float)."""
    if isinstance(value, bool):
        raise SymcostError(f"assert_ratio: at[{name!r}] must be a number (given {value!r}).")
    if isinstance(value, float):
        return sympy.nsimplify(value, rational=True)
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        raise SymcostError(f"assert_ratio: at[{name!r}] must be a number (given "
                           f"{value!r}).") from None


def _at_values(expr: sympy.Expr, at: Mapping[str, Any]) -> sympy.Expr:
    """``expr`` with each symbol named in ``at`` replaced by its exact value."""
    return expr.xreplace({s: _exact(at[s.name], s.name) for s in expr.free_symbols
                          if s.name in at})


def _fail(title: str, problems: list[str]) -> None:
    raise AssertionError(title + "\n" + "\n".join(problems))


def assert_cost_equal(a: Any, b: Any, *, metrics: Iterable[str] | str | None = None) -> None:
    """Assert two costs are equal in every metric and every census entry.

    ``a`` and ``b`` are :class:`~symcost.Cost` values or network results (their totals are
    compared). ``metrics`` restricts the comparison (names of :data:`~symcost.cost.METRICS`,
    or ``"counts.mac"`` etc. for census entries). Both must be priced under one convention.

    >>> import symcost as sc
    >>> C, H = sc.dims("C H")
    >>> x = sc.Shape(C=C, H=H, W=H)
    >>> pw = sc.PointwiseConv2d(in_channels=C, out_channels=2 * C)
    >>> assert_cost_equal(pw.cost(x), pw.as_conv2d().cost(x))
    """
    ca, cb = _as_cost(a), _as_cost(b)
    if ca is None or cb is None:
        bad = type(a if ca is None else b).__name__
        raise SymcostError(f"assert_cost_equal: expected two Costs or network costs (given "
                           f"{bad}). For formulas use assert_identity.")
    if ca.convention != cb.convention:
        raise AssertionError(f"costs priced under different conventions: {ca.convention!r} "
                             f"vs {cb.convention!r}. Price both under one.")
    problems = _cost_problems(ca, cb, _metric_list(metrics, [*METRICS,
                                                              *(f"counts.{op}" for op in OPS)]))
    if problems:
        _fail(f"costs differ (convention {ca.convention!r}) in {len(problems)} metric(s):",
              problems)


def assert_identity(lhs: Any, rhs: Any, *, metric: Iterable[str] | str | None = None) -> None:
    """Assert that two formulas are equal for every positive-integer value of their symbols.

    ``lhs`` and ``rhs`` are sympy expressions (or numbers), or both costs: then every
    metric is compared, or only ``metric`` (one name or several).

    >>> import symcost as sc
    >>> C_out, K = sc.dims("C_out K")
    >>> assert_identity(1 / C_out + 1 / K**2, (C_out + K**2) / (C_out * K**2))
    >>> assert_identity(C_out + 1, C_out)
    Traceback (most recent call last):
    ...
    AssertionError: identity does not hold:
      value: C_out + 1  !=  C_out
        difference (left - right) = 1
        counterexample: C_out=1 gives 2 vs 1
    """
    ca, cb = _as_cost(lhs), _as_cost(rhs)
    if ca is not None and cb is not None:
        problems = _cost_problems(ca, cb, _metric_list(metric, METRICS))
    else:
        if (ca is None) != (cb is None) and metric is None:
            raise SymcostError("assert_identity: one side is a Cost and the other a formula; "
                               "pass metric=... or compare cost.macs (etc.) directly.")
        if metric is not None and (ca is not None or cb is not None):
            (name,) = _metric_list(metric, METRICS)
            a = _metric(ca, name) if ca is not None else _as_expr(lhs, "assert_identity")
            b = _metric(cb, name) if cb is not None else _as_expr(rhs, "assert_identity")
        else:
            name = "value"
            a, b = _as_expr(lhs, "assert_identity"), _as_expr(rhs, "assert_identity")
        problem = _difference(name, a, b)
        problems = [problem] if problem is not None else []
    if problems:
        _fail("identity does not hold:", problems)


def assert_ratio(a: Any, b: Any, expected: Any, *, metric: str = "macs",
                 at: Mapping[str, int] | None = None, rel: float = 1e-9) -> None:
    """Assert that the ratio a/b (of one metric, MACs by default) equals ``expected``.

    Without ``at`` the check is exact and symbolic: ``expected`` is a formula or an exact
    number, and the ratio must equal it for every value of the symbols. With ``at`` (values
    for the symbols) the ratio and ``expected`` (a number, or a formula evaluated at the
    same values) are compared numerically with relative tolerance ``rel`` — how a paper's
    rounded "≈ 8.4×" is checked.

    >>> import symcost as sc
    >>> C_in, C_out, K, H, W = sc.dims("C_in C_out K H W")
    >>> x = sc.Shape(C=C_in, H=H, W=W)
    >>> reg = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same")
    >>> sep = sc.SeparableConv2d(in_channels=C_in, out_channels=C_out, kernel_size=K,
    ...                          padding="same")
    >>> assert_ratio(reg.cost(x), sep.cost(x), C_out * K**2 / (C_out + K**2))
    >>> assert_ratio(reg.cost(x), sep.cost(x), 8.4, at={"C_out": 128, "K": 3}, rel=0.01)
    """
    r = ratio(a, b, metric=metric)
    if at is None:
        exp = _as_expr(expected, "assert_ratio")
        if isinstance(expected, float) or exp.has(sympy.Float):
            raise SymcostError("assert_ratio: a float expected value needs at={...} and a "
                               "tolerance rel=...; give an exact value (sympy.Rational) for an "
                               "exact check.")
        problem = _difference(f"ratio of {metric}", r, exp)
        if problem is not None:
            _fail("ratio is not as expected:", [problem])
        return
    if not isinstance(rel, (int, float)) or isinstance(rel, bool) or rel < 0:
        raise SymcostError(f"assert_ratio: rel must be a non-negative number (given {rel!r}).")
    missing = sorted(s.name for s in r.free_symbols if s.name not in at)
    if missing:
        raise SymcostError("assert_ratio: at= gives no value for " + ", ".join(missing)
                           + f" (the ratio is {r}). Add them, e.g. at={{"
                           + ", ".join(f"'{m}': ..." for m in missing) + "}.")
    got = _at_values(r, at)
    exp = sympy.sympify(expected)
    exp_at = _at_values(exp, at)
    if exp_at.free_symbols:
        raise SymcostError(f"assert_ratio: the expected value {exp} still has "
                           f"{sorted(map(str, exp_at.free_symbols))} after at=; give them too.")
    g, e = float(got), float(exp_at)
    if abs(g - e) > rel * max(abs(g), abs(e)):
        shown = ", ".join(f"{k}={v}" for k, v in at.items())
        _fail("ratio is not as expected:", [
            f"  ratio of {metric} = {r}",
            f"    at {shown}: {got} = {g:.6g}, expected {e:.6g} (relative error "
            f"{abs(g - e) / max(abs(e), 1e-300):.3g} > rel={rel:g})"])
