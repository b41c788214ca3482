"""Solving cost formulas: the largest size under a budget, where one cost overtakes another,
and which term dominates as a size grows.

Everything is exact: sympy solves polynomial and rational formulas; only when it cannot (a
floor of a size that is not a declared multiple, a Piecewise) does :func:`solve_max` fall back
to an integer search over the range, and the result says so (``method="search"``).

>>> import symcost as sc
>>> T, d = sc.dims("T d")
>>> sc.solve_max(T**2 * d + 5 * T, 10**6, "T", d=64).value
124
>>> sc.leading_term(3 * T**2 * d + 7 * T * d**2, "T")
3*T**2*d
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from .errors import SymcostError

__all__ = ["solve_max", "crossover", "leading_term", "big_o", "Solution", "Crossover"]

#: Above this many lattice points the search fallback checks monotonicity on a sample.
_FULL_CHECK = 200_000
#: Largest value the search fallback looks at when no ``hi`` is given.
_SEARCH_LIMIT = 2**62


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve_max`: ``value`` (a Python int), the formula solved, its
    value there and at the next size (over budget, unless ``value`` is ``hi``), how it was
    found (``"exact"``: sympy's roots; ``"search"``: integer bisection) and why the answer
    is the largest (``monotone``)."""

    value: int
    var: str
    expr: sympy.Expr
    budget: sympy.Rational
    at_value: sympy.Rational
    at_next: sympy.Rational | None
    method: str
    monotone: str

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __str__(self) -> str:
        nxt = "" if self.at_next is None else f"; at the next size {_fmt(self.at_next)}"
        return (f"{self.var} = {self.value} ({self.method}): {_fmt(self.at_value)} <= "
                f"{_fmt(self.budget)}{nxt}. {self.monotone}")


@dataclass(frozen=True)
class Crossover:
    """Where ``a`` overtakes ``b`` (:func:`crossover`): ``var`` = ``value`` (an expression in
    the other symbols, or a number), found ``exactly`` by sympy or by integer ``search``."""

    var: str
    value: sympy.Expr
    method: str
    note: str

    def __str__(self) -> str:
        return f"{self.var} = {self.value} ({self.method}). {self.note}"


def _fmt(x: sympy.Expr) -> str:
    if isinstance(x, sympy.Integer) or (x.is_Rational and x.q == 1):
        return f"{int(x):,}"
    if x.is_Rational:
        return f"{float(x):.6g}"
    return str(x)


def _expr_of(obj: Any, metric: str | None, where: str) -> sympy.Expr:
    """A formula from an expression, a Cost or a network result (per ``metric``)."""
    from .cost import Cost, check_metric
    from .results import NetworkCost

    if isinstance(obj, (Cost, NetworkCost)):
        if metric is None:
            raise SymcostError(f"{where}: a cost holds several metrics; pass metric= (e.g. "
                               "metric='flops').")
        check_metric(metric, where)
        cost = obj.total if isinstance(obj, NetworkCost) else obj
        return sympy.sympify(getattr(cost, metric))
    if hasattr(obj, "time") and hasattr(obj, "hardware") and metric in (None, "time"):
        return obj.time  # a roofline result
    if metric is not None:
        raise SymcostError(f"{where}: metric= applies to a Cost or a network result, not to "
                           f"{type(obj).__name__}.")
    try:
        return sympy.sympify(obj, strict=True)
    except sympy.SympifyError:
        raise SymcostError(f"{where}: expected a formula, a Cost or a network result (given "
                           f"{type(obj).__name__}).") from None


def _symbol(expr: sympy.Expr, var: str | sympy.Symbol, where: str) -> sympy.Symbol:
    name = var.name if isinstance(var, sympy.Symbol) else var
    if not isinstance(name, str):
        raise SymcostError(f"{where}: var must be a symbol or its name (given {var!r}).")
    found = [s for s in expr.free_symbols if s.name == name]
    if not found:
        have = sorted(s.name for s in expr.free_symbols)
        raise SymcostError(f"{where}: the formula has no symbol {name!r} (it has: "
                           + (", ".join(have) or "none") + ").")
    return found[0]  # type: ignore[return-value]


def _fix(expr: sympy.Expr, fixed: Mapping[str, Any], where: str) -> sympy.Expr:
    """Substitute fixed values by name; a string value names another symbol (``W="H"``)."""
    by_name = {s.name: s for s in expr.free_symbols}
    mapping: dict[sympy.Basic, sympy.Basic] = {}
    for name, value in fixed.items():
        if name not in by_name:
            raise SymcostError(f"{where}: the formula has no symbol {name!r} to fix (it has: "
                               + ", ".join(sorted(by_name)) + ").")
        if isinstance(value, str) and value in by_name:
            mapping[by_name[name]] = by_name[value]
        elif isinstance(value, str) and value.isidentifier():
            mapping[by_name[name]] = sympy.Symbol(value)  # matched by name downstream
        elif isinstance(value, sympy.Basic) and not value.is_Number:
            mapping[by_name[name]] = value
        else:
            from .hardware import exact_number

            mapping[by_name[name]] = exact_number(value, f"{where}: {name}")
    return expr.xreplace(mapping)


def _lattice(sym: sympy.Symbol) -> int:
    from .dims import multiple_of

    try:
        return int(multiple_of(sym))
    except Exception:  # a plain sympy symbol, not made by dim()
        return 1


def solve_max(expr: Any, budget: Any, var: str | sympy.Symbol, *, metric: str | None = None,
              lo: int | None = None, hi: int | None = None, **fixed: Any) -> Solution:
    """The largest integer ``var`` in ``[lo, hi]`` with ``expr <= budget``.

    ``expr`` is a formula, or a Cost / network result with ``metric=``; every other symbol
    is fixed by name in ``fixed`` (a string names another symbol: ``W="H"`` for a square
    input). A ``var`` declared ``multiple_of=m`` takes multiples of m only. ``lo`` defaults to
    the smallest size; ``hi`` to no bound.

    Exact first: a formula that is polynomial or rational in ``var`` (a ``Max`` of such, as a
    roofline time, too) is solved from its real roots, and it is checked to be increasing on
    ``[lo, hi]`` from the roots of its derivative: a formula that decreases anywhere there
    raises, since "the largest value under the budget" is then not a threshold. Otherwise an
    integer bisection is used (``method="search"``), after checking that the formula does
    not decrease between consecutive lattice points (all of them up to 200,000 points, a
    sample beyond, which the result states). The answer is always verified on exact
    integers: ``expr(value) <= budget < expr(value + m)``.
    """
    where = "solve_max"
    from .hardware import exact_number

    if isinstance(budget, str):
        budget_value = exact_number(budget, f"{where}: budget")
    else:
        try:
            budget_value = exact_number(budget, f"{where}: budget")
        except SymcostError:
            raise SymcostError(f"{where}: budget must be a positive number (given "
                               f"{budget!r}).") from None
    f = _fix(_expr_of(expr, metric, where), fixed, where)
    constraints = _constraints_of(expr)
    x = _symbol(f, var, where)
    extra = sorted(s.name for s in f.free_symbols if s != x)
    if extra:
        raise SymcostError(f"{where}: the formula still depends on " + ", ".join(extra)
                           + f" besides {x.name}; fix them, e.g. solve_max(..., "
                           + ", ".join(f"{n}=..." for n in extra) + ").")
    m = _lattice(x)
    first = m if lo is None else _check_bound(lo, "lo", m)
    last = None if hi is None else _check_bound(hi, "hi", m)
    if last is not None and last < first:
        raise SymcostError(f"{where}: hi ({hi}) is below lo ({first}).")

    def value_at(n: int) -> sympy.Rational:
        v = f.xreplace({x: sympy.Integer(n)})
        if not v.is_Rational:
            v = sympy.nsimplify(v) if v.is_number else v
        if not v.is_Rational:
            raise SymcostError(f"{where}: the formula is not a number at {x.name}={n} ({v}).")
        return v

    if value_at(first) > budget_value:
        raise SymcostError(f"{where}: no {x.name} in range: already at {x.name}={first} the "
                           f"formula is {_fmt(value_at(first))} > budget {_fmt(budget_value)}.")
    exact = _exact_max(f, x, budget_value, first, last, m, where)
    if exact is not None:
        value, statement = exact
        method = "exact"
    else:
        value, statement = _search_max(value_at, budget_value, first, last, m, x.name, where)
        method = "search"
    uncapped = value
    value, statement = _capped(value, statement, constraints, fixed, x, first, m, where)
    # verify on exact integers, whatever found it
    if value_at(value) > budget_value:  # pragma: no cover - a bug guard
        raise SymcostError(f"{where}: internal error: {x.name}={value} exceeds the budget.")
    nxt = value + m
    at_next = None if (last is not None and nxt > last) or value != uncapped \
        else value_at(nxt)
    if at_next is not None and at_next <= budget_value:  # pragma: no cover - a bug guard
        raise SymcostError(f"{where}: internal error: {x.name}={nxt} is also within budget.")
    return Solution(value, x.name, f, budget_value, value_at(value), at_next, method,
                    statement)


def _constraints_of(obj: Any) -> tuple:
    from .cost import Cost
    from .results import NetworkCost

    if isinstance(obj, NetworkCost):
        return obj._total.constraints
    if isinstance(obj, Cost):
        return obj.constraints
    return ()


def _capped(value: int, statement: str, constraints: tuple, fixed: Mapping[str, Any],
            x: sympy.Symbol, first: int, m: int, where: str) -> tuple[int, str]:
    """Lower ``value`` to the largest size the cost's own conditions allow (a context
    longer than GPT-2's 1024 positions is not a GPT-2 input), saying which condition."""
    if not constraints:
        return value, statement

    def broken(n: int):
        for c in constraints:
            cond = _fix(sympy.sympify(c.condition), {k: v for k, v in fixed.items()
                                                     if any(s.name == k for s in
                                                            c.condition.free_symbols)},
                        where)
            cond = cond.xreplace({s: sympy.Integer(n) for s in cond.free_symbols
                                  if s.name == x.name})
            if cond in (sympy.false, False):
                return c
        return None

    first_broken = broken(value)
    if first_broken is None:
        return value, statement
    if broken(first) is not None:
        c = broken(first)
        raise SymcostError(f"{where}: already at {x.name}={first} the cost's condition fails: "
                           f"{c.where}: {c.message}.")
    lo_, hi_ = first, value  # ok(lo_), not ok(hi_)
    while hi_ - lo_ > m:
        mid = lo_ + ((hi_ - lo_) // m // 2) * m
        if broken(mid) is None:
            lo_ = mid
        else:
            hi_ = mid
    return lo_, (f"{statement} Capped at {x.name}={lo_} by the cost's own condition "
                 f"({first_broken.where}: {first_broken.message}); the budget alone allows "
                 f"{value}.")


def _check_bound(value: Any, what: str, m: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SymcostError(f"solve_max: {what} must be a positive int (given {value!r}).")
    if value % m:
        raise SymcostError(f"solve_max: {what} must be a multiple of {m} (given {value}).")
    return value


def _pieces(f: sympy.Expr) -> list[sympy.Expr] | None:
    """``Max(a, b) <= c`` iff each piece is: split a Max (and sums of positive Maxes no)."""
    if isinstance(f, sympy.Max):
        out: list[sympy.Expr] = []
        for a in f.args:
            sub = _pieces(a)
            if sub is None:
                return None
            out += sub
        return out
    if f.has(sympy.Max, sympy.Min, sympy.Piecewise, sympy.floor, sympy.ceiling):
        return None
    return [f]


def _increasing_from(g: sympy.Expr, x: sympy.Symbol, first: int, last: int | None) -> bool:
    """Whether the rational function ``g`` is non-decreasing on the reals [first, last]."""
    _, den = sympy.fraction(sympy.cancel(sympy.together(g)))
    dg = sympy.cancel(sympy.diff(g, x))
    dnum, dden = sympy.fraction(dg)
    xr = sympy.Symbol("x_", real=True)
    upper = sympy.oo if last is None else sympy.Integer(last)
    for poly in (den, dden):
        if poly.free_symbols and any(
                first <= r <= upper for r in sympy.Poly(poly.xreplace({x: xr}), xr).real_roots()):
            return False  # a pole in the range
    p = sympy.Poly(dnum.xreplace({x: xr}), xr)
    cuts = [first] + sorted({r for r in p.real_roots() if first < r < upper})
    cuts.append(upper if last is not None else (cuts[-1] + 1))
    # the sign of g' is constant between consecutive roots: test one point in each piece
    for a, b in itertools.pairwise(cuts):
        mid = (sympy.Rational(a) + b) / 2 if b != sympy.oo else a + 1
        if sympy.sign(dg.xreplace({x: sympy.nsimplify(mid)})) < 0:
            return False
    return True


def _exact_max(f: sympy.Expr, x: sympy.Symbol, budget: sympy.Rational, first: int,
               last: int | None, m: int, where: str) -> tuple[int, str] | None:
    pieces = _pieces(f)
    if pieces is None:
        return None
    best: int | None = last
    for g in pieces:
        if not g.free_symbols:
            continue
        try:
            rational = sympy.cancel(sympy.together(g))
            num, den = sympy.fraction(rational)
            if not (num.is_polynomial(x) and den.is_polynomial(x)):
                return None
            if not _increasing_from(g, x, first, last):
                raise SymcostError(
                    f"{where}: the formula is not monotone in {x.name} on [{first}, "
                    f"{'oo' if last is None else last}] (its derivative {sympy.diff(g, x)} "
                    "changes sign there), so no largest value under the budget is defined. "
                    "Narrow the range with lo=/hi=.")
            xr = sympy.Symbol("x_", real=True)
            roots = sympy.Poly((num - budget * den).xreplace({x: xr}), xr).real_roots()
        except (sympy.PolynomialError, NotImplementedError):
            return None
        above = [r for r in roots if r >= first]
        if not above:
            if last is None:
                raise SymcostError(f"{where}: the budget is never exceeded as {x.name} grows; "
                                   "give hi= to bound the range.")
            continue
        root = min(above)
        n = int(sympy.floor(root))
        n -= n % m
        # the root may be exactly a lattice point with g(root) == budget: fine, g <= budget
        best = n if best is None else min(best, n)
    if best is None:
        raise SymcostError(f"{where}: the budget is never exceeded as {x.name} grows; give "
                           "hi= to bound the range.")
    return best, (f"Exact: increasing in {x.name} on [{first}, "
                  f"{'oo' if last is None else last}] (no root of the derivative there), "
                  "solved from the real roots of formula = budget.")


def _search_max(value_at, budget, first: int, last: int | None, m: int, name: str,
                where: str) -> tuple[int, str]:
    if last is None:  # find an upper end by doubling
        hi = first
        while value_at(hi) <= budget:
            if hi > _SEARCH_LIMIT:
                raise SymcostError(f"{where}: the formula stays under the budget up to "
                                   f"{name}={hi}; give hi= to bound the range.")
            hi *= 2
            hi -= hi % m
        last_checked = hi
    else:
        last_checked = last
    points = (last_checked - first) // m + 1
    if points <= _FULL_CHECK:
        sample = range(first, last_checked + 1, m)
        how = "every lattice point"
    else:
        step = max(1, points // _FULL_CHECK)
        sample = range(first, last_checked + 1, m * step)
        how = f"a sample of {len(sample)} evenly spaced points"
    values = [value_at(n) for n in sample]
    for (a, va), (b, vb) in zip(zip(sample, values), zip(sample[1:], values[1:])):
        if vb < va:
            raise SymcostError(f"{where}: the formula is not monotone in {name}: it falls from "
                               f"{_fmt(va)} at {a} to {_fmt(vb)} at {b}, so no largest value "
                               "under the budget is defined. Narrow the range with lo=/hi=.")
    lo_, hi_ = first, last_checked
    if value_at(hi_) <= budget:
        return hi_, (f"Integer search (sympy could not solve it): non-decreasing at {how} of "
                     f"[{first}, {last_checked}].")
    while hi_ - lo_ > m:  # invariant: f(lo_) <= budget < f(hi_)
        mid = lo_ + ((hi_ - lo_) // m // 2) * m
        if value_at(mid) <= budget:
            lo_ = mid
        else:
            hi_ = mid
    return lo_, (f"Integer search (sympy could not solve it in closed form): checked "
                 f"non-decreasing at {how} of [{first}, {last_checked}].")


def crossover(a: Any, b: Any, var: str | sympy.Symbol, *, metric: str | None = None,
              **fixed: Any) -> Crossover:
    """Where ``a`` overtakes ``b`` as ``var`` grows: the smallest positive root of
    ``a - b`` after which ``a > b``, as an expression in the other (positive) symbols.

    >>> import symcost as sc
    >>> T, d = sc.dims("T d")
    >>> str(sc.crossover(2 * T**2 * d, 8 * T * d**2, "T").value)
    '4*d'

    Both may be formulas, Costs or network results (with ``metric=``). Exact with sympy;
    when sympy cannot solve (or the other symbols are all fixed and the formulas hold
    floors), every other symbol must be fixed and an integer search over ``var`` finds the
    first size where ``a > b`` (``method="search"``).
    """
    where = "crossover"
    fa = _fix(_expr_of(a, metric, where), fixed, where)
    fb = _fix(_expr_of(b, metric, where), fixed, where)
    x = _symbol(fa - fb + sympy.Symbol(var if isinstance(var, str) else var.name), var, where)
    found = [s for s in (fa - fb).free_symbols if s.name == x.name]
    if not found:
        raise SymcostError(f"{where}: neither formula depends on {x.name}.")
    x = found[0]  # type: ignore[assignment]
    diff = sympy.cancel(sympy.together(fa - fb))
    xp = sympy.Symbol(x.name, positive=True)
    others = diff.free_symbols - {x}
    try:
        sols = sympy.solve(sympy.numer(diff).xreplace({x: xp}), xp)
    except (NotImplementedError, sympy.PolynomialError):
        sols = None
    if sols is not None:
        positive = [s for s in sols if s.is_positive is not False and s.is_real is not False]
        # keep the roots after which a > b
        good = []
        for s in positive:
            probe = _probe(others)
            s_num = s.xreplace(probe)
            if not s_num.is_real:
                continue
            after = diff.xreplace(probe).xreplace({x: s_num + 1 + abs(s_num) / 10})
            if after.is_positive:
                good.append((s_num, s))
        if good:
            good.sort(key=lambda t: t[0])
            value = sympy.factor(good[0][1])
            return Crossover(x.name, value, "exact",
                             f"a - b changes sign from - to + at this root (sympy.solve); "
                             f"checked at {_probe_text(others)}.")
        if positive or not sols:
            raise SymcostError(f"{where}: {x.name}: the first formula never overtakes the "
                               "second for positive sizes.")
    if others:
        raise SymcostError(f"{where}: sympy cannot solve a = b for {x.name}; fix "
                           + ", ".join(sorted(s.name for s in others))
                           + " to search over integers.")
    n = 1
    while n <= _SEARCH_LIMIT:
        if diff.xreplace({x: sympy.Integer(n)}) > 0:
            break
        n *= 2
    else:
        raise SymcostError(f"{where}: no crossover below {x.name}={_SEARCH_LIMIT}.")
    lo_, hi_ = n // 2, n
    while hi_ - lo_ > 1:
        mid = (lo_ + hi_) // 2
        if diff.xreplace({x: sympy.Integer(mid)}) > 0:
            hi_ = mid
        else:
            lo_ = mid
    return Crossover(x.name, sympy.Integer(hi_), "search",
                     "integer search: sympy could not solve a = b in closed form; the "
                     "smallest integer found (by doubling and bisection) where a > b.")


def _probe(symbols: set[sympy.Basic]) -> dict[sympy.Basic, sympy.Integer]:
    return {s: sympy.Integer(1024) for s in symbols}


def _probe_text(symbols: set[sympy.Basic]) -> str:
    return ", ".join(f"{s}=1024" for s in sorted(symbols, key=str)) or "the number"


def leading_term(expr: Any, var: str | sympy.Symbol, *, metric: str | None = None
                 ) -> sympy.Expr:
    """The term of ``expr`` that dominates as ``var`` → ∞ (coefficient kept, other symbols
    held fixed): ``2*n_layer*T**2*d_model`` for a decoder's FLOPs in T. Takes formulas,
    Costs and network results (``metric=``)."""
    f = _expr_of(expr, metric, "leading_term")
    x = _symbol(f, var, "leading_term")
    f = _defloor(f)
    expanded = sympy.expand(f)
    terms = sympy.Add.make_args(expanded)
    try:
        key = {t: sympy.degree(t, x) if t.is_polynomial(x) else None for t in terms}
    except sympy.PolynomialError:
        key = {t: None for t in terms}
    if all(k is not None for k in key.values()):
        top = max(key.values())  # type: ignore[type-var]
        return sympy.Add(*(t for t in terms if key[t] == top))
    xp = sympy.Symbol("x_", positive=True)
    lead = sympy.Order(f.xreplace({x: xp}), (xp, sympy.oo)).expr
    return sympy.limit(f.xreplace({x: xp}) / lead, xp, sympy.oo).xreplace({xp: x}) * \
        lead.xreplace({xp: x})


def big_o(expr: Any, *vars: str | sympy.Symbol, metric: str | None = None) -> sympy.Expr:
    """Big-O of ``expr`` as every named size → ∞ together (coefficients dropped):
    ``O(T**2*d + T*d**2)`` for attention plus MLP. With no ``vars``, every symbol."""
    f = _defloor(_expr_of(expr, metric, "big_o"))
    syms = [_symbol(f, v, "big_o") for v in vars] if vars else sorted(f.free_symbols, key=str)
    if not syms:
        return sympy.Order(1)
    pos = {s: sympy.Symbol(s.name, positive=True) for s in f.free_symbols}
    g = f.xreplace(pos)
    return sympy.Order(sympy.expand(g), *[(pos[s], sympy.oo) for s in syms])


def _defloor(f: sympy.Expr) -> sympy.Expr:
    """floor(u) and ceiling(u) grow like u: drop them for asymptotics."""
    return f.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
                     lambda e: e.args[0])
