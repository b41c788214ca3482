"""Cost: the priced, exact result for one layer (or a sum of layers).

Fields are sympy expressions; :meth:`Cost.evaluate` turns them into Python ints, and
:meth:`Cost.lambdify` into a fast integer function bound by name. ``==`` is identity, as for
any object that holds formulas: use :meth:`Cost.equals` (or ``symcost.testing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy
from sympy.functions.elementary.piecewise import ExprCondPair

from .checks import Constraint
from .counts import OPS, OpCounts
from .dims import multiple_of
from .errors import ConstraintError, SymcostError, UnboundDimensionError

__all__ = ["Cost", "CostValues", "METRICS", "bind_values", "int_lambdify", "check_metric"]

#: The priced metrics of a cost, in display order.
METRICS: tuple[str, ...] = ("macs", "flops", "params", "buffers", "activations", "memory_bytes")

_ZERO = sympy.Integer(0)


def check_metric(metric: object, where: str) -> str:
    """``metric`` if it names a metric, else a :class:`SymcostError` listing them.

    >>> check_metric("gflops", "ratio")
    Traceback (most recent call last):
    ...
    symcost.errors.SymcostError: ratio: unknown metric 'gflops'. Did you mean 'flops'? ...
    """
    if metric not in METRICS:
        from .errors import did_you_mean

        hint = did_you_mean(metric, list(METRICS))
        raise SymcostError(f"{where}: unknown metric {metric!r}.{hint} Use one of: "
                           + ", ".join(METRICS) + ".")
    return metric  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Cost:
    """Exact cost of a layer or network under one convention.

    ``macs`` and ``flops`` are priced by the convention; ``params`` are learnable parameters
    (what ``torch`` counts with ``numel`` over ``parameters()``), ``buffers`` the
    non-learnable state (BatchNorm's running mean and variance), ``activations`` the elements
    the layer outputs, and ``memory_bytes`` = ``bytes_per_element`` × (params + buffers +
    activations). ``counts`` is the census the figures were priced from, ``convention``
    the name of the preset that priced it, ``constraints`` the conditions the formulas rely
    on (checked by :meth:`evaluate` and :meth:`subs`), and ``parts`` the named costs of a
    layer reported in parts (``SeparableConv2d``: ``depthwise`` and ``pointwise``).

    >>> import symcost as sc
    >>> C_in, C_out, K, H, W = sc.dims("C_in C_out K H W")
    >>> conv = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same")
    >>> cost = conv.cost(sc.Shape(C=C_in, H=H, W=W))
    >>> cost.macs
    C_in*C_out*H*K**2*W
    >>> cost.evaluate(C_in=64, C_out=128, K=3, H=112, W=112).macs
    924844032
    """

    macs: sympy.Expr = _ZERO
    flops: sympy.Expr = _ZERO
    params: sympy.Expr = _ZERO
    buffers: sympy.Expr = _ZERO
    activations: sympy.Expr = _ZERO
    memory_bytes: sympy.Expr = _ZERO
    counts: OpCounts = field(default_factory=OpCounts)
    convention: str = "seed"
    constraints: tuple[Constraint, ...] = ()
    parts: Mapping[str, Cost] = field(default_factory=dict)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        return Cost.total([self, other])

    def __radd__(self, other: object) -> Cost:
        if other == 0:  # lets sum() work
            return self
        return NotImplemented

    def __mul__(self, factor: object) -> Cost:
        try:
            k = sympy.sympify(factor, strict=True)
        except sympy.SympifyError:
            return NotImplemented
        if not k.is_Rational and not k.free_symbols:
            raise SymcostError(f"Cost: can only scale by an exact number or expression "
                               f"(given {factor!r}).")
        if k == 1:
            return self
        return Cost(**{m: getattr(self, m) * k for m in METRICS},
                    counts=self.counts.scale(k), convention=self.convention,
                    constraints=self.constraints,
                    parts={n: p * k for n, p in self.parts.items()})

    __rmul__ = __mul__

    @staticmethod
    def total(costs: Iterable[Cost], convention: str | None = None) -> Cost:
        """Sum many costs in one pass. All must share a convention."""
        costs = list(costs)
        names = {c.convention for c in costs}
        if len(names) > 1:
            raise SymcostError("Cost: cannot add costs priced under different conventions ("
                               + ", ".join(sorted(names)) + "). Price both under one.")
        conv = convention or (names.pop() if names else "seed")
        sums = {m: sympy.Add(*(getattr(c, m) for c in costs)) for m in METRICS}
        constraints = tuple(dict.fromkeys(k for c in costs for k in c.constraints))
        return Cost(**sums, counts=OpCounts.total([c.counts for c in costs]),
                    convention=conv, constraints=constraints)

    # ------------------------------------------------------------------ symbolic work
    def map(self, fn) -> Cost:
        """Apply ``fn`` to every formula (metrics and census)."""
        return replace(self, **{m: fn(getattr(self, m)) for m in METRICS},
                       counts=self.counts.map(fn),
                       parts={n: p.map(fn) for n, p in self.parts.items()})

    @property
    def free_symbols(self) -> set[sympy.Symbol]:
        """Every symbol the formulas (and their validity conditions) depend on."""
        out: set[sympy.Symbol] = set()
        for m in METRICS:
            out |= getattr(self, m).free_symbols
        for _, v in self.counts.items():
            out |= v.free_symbols
        for c in self.constraints:
            out |= c.free_symbols
        return out

    def subs(self, values: Mapping[str | sympy.Symbol, Any] | None = None, /,
             **named: Any) -> Cost:
        """Substitute some symbols (by name or symbol) by numbers or expressions.

        Integers are checked against the conditions the formula relies on.
        """
        mapping = _by_symbol(self.free_symbols, {**(values or {}), **named}, partial=True)
        for c in self.constraints:
            c.check(mapping)
        kept = tuple(c for c in self.constraints
                     if c.condition.xreplace(mapping) not in (sympy.true, True))
        out = self.map(lambda e: e.xreplace(mapping))
        return replace(out, constraints=tuple(
            Constraint(c.condition.xreplace(mapping), c.where, c.field, c.message)
            for c in kept))

    def simplify(self) -> Cost:
        """Every formula simplified (slow on large networks; display never does this)."""
        return self.map(sympy.simplify)

    def expand(self) -> Cost:
        """Every formula expanded into a sum of monomials."""
        return self.map(sympy.expand)

    def equals(self, other: Cost, metrics: Iterable[str] = METRICS) -> bool:
        """Symbolic equality of the chosen metrics (proven, not sampled)."""
        from .algebra import equivalent

        return all(equivalent(getattr(self, m), getattr(other, m)) for m in metrics)

    def evaluate(self, values: Mapping[str | sympy.Symbol, int] | None = None, /,
                 **named: int) -> CostValues:
        """Exact integers for every metric, given a value for every free symbol.

        Raises :class:`UnboundDimensionError` listing every missing name, and
        :class:`ConstraintError` when the values break a condition of the formula (an output
        size below 1, groups not dividing channels, a multiple_of declaration).
        """
        mapping = bind_values(self.free_symbols, {**(values or {}), **named})
        for c in self.constraints:
            c.check(mapping)
        ints = {m: _to_int(getattr(self, m).xreplace(mapping), m) for m in METRICS}
        counts = {n: _to_int(v.xreplace(mapping), n) for n, v in self.counts.items()}
        parts = {n: p.evaluate(values, **named) for n, p in self.parts.items()}
        return CostValues(**ints, counts=counts, convention=self.convention, parts=parts)

    def lambdify(self, *names: str | sympy.Symbol, metric: str = "macs"):
        """A fast function of the named symbols computing one metric: exact, or it refuses.

        Works on Python ints (exact at any size) and on NumPy integer arrays (vectorised;
        the result is ``int64`` when every value fits, else an object array of Python ints,
        never a silent wrap-around). Arguments bind by name:
        ``f = cost.lambdify("H", "W"); f(H=224, W=224)``; positional arguments follow
        ``names``.

        The rule is :meth:`evaluate`'s: values must be positive integers, multiples of a
        declared ``multiple_of`` (the closed form assumes it; build with a plain ``dim`` for
        exact floors everywhere), and must keep every condition of the cost whose symbols
        are all among ``names`` (output sizes at least 1, groups dividing channels); a value
        that breaks one raises :class:`ConstraintError` naming it and the condition.
        """
        check_metric(metric, "lambdify")
        return int_lambdify(getattr(self, metric), names, self.constraints)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        inner = ", ".join(f"{m}={getattr(self, m)}" for m in METRICS)
        return f"Cost({inner}, convention={self.convention!r})"

    def _repr_latex_(self) -> str:
        from .report import cost_latex

        return cost_latex(self)


@dataclass(frozen=True)
class CostValues:
    """A cost evaluated at numbers: every metric and census entry an exact Python int."""

    macs: int
    flops: int
    params: int
    buffers: int
    activations: int
    memory_bytes: int
    counts: Mapping[str, int]
    convention: str
    parts: Mapping[str, CostValues] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        """The metrics as a plain dict."""
        return {m: getattr(self, m) for m in METRICS}

    def _repr_html_(self) -> str:
        from .report import cost_values_html

        return cost_values_html(self)

    @staticmethod
    def total(values: list[CostValues], convention: str) -> CostValues:
        """Sum of evaluated costs (metrics and census)."""
        counts = {op: sum(v.counts[op] for v in values) for op in OPS}
        return CostValues(**{m: sum(getattr(v, m) for v in values) for m in METRICS},
                          counts=counts, convention=convention)


def _to_int(value: sympy.Expr, what: str) -> int:
    if not value.is_Integer:
        raise SymcostError(f"evaluate: {what} did not reduce to an integer ({value}); this is "
                           "a symcost bug, please report it with the spec.")
    return int(value)


def _by_symbol(symbols: set[sympy.Symbol], values: Mapping[str | sympy.Symbol, Any],
               partial: bool) -> dict[sympy.Symbol, sympy.Expr]:
    # evaluate (partial=False) takes numbers only; subs also takes expressions
    by_name: dict[str, list[sympy.Symbol]] = {}
    for s in symbols:
        by_name.setdefault(s.name, []).append(s)
    mapping: dict[sympy.Symbol, sympy.Expr] = {}
    unused = []
    for key, value in values.items():
        name = key.name if isinstance(key, sympy.Symbol) else key
        if name not in by_name:
            unused.append(str(name))
            continue
        for sym in by_name[name]:
            mapping[sym] = _checked_value(sym, value, numbers_only=not partial)
    if not partial:
        missing = sorted({s.name for s in symbols if s not in mapping})
        if missing:
            raise UnboundDimensionError(missing, unused)
    return mapping


def bind_values(symbols: set[sympy.Symbol],
                values: Mapping[str | sympy.Symbol, Any]) -> dict[sympy.Symbol, sympy.Integer]:
    """Map every symbol to the value given for its name; list all missing names at once."""
    return _by_symbol(symbols, values, partial=False)


def _checked_value(sym: sympy.Symbol, value: Any, numbers_only: bool = False) -> sympy.Expr:
    import operator
    from fractions import Fraction

    if isinstance(value, sympy.Basic) and not value.is_Number:
        if numbers_only:
            raise ConstraintError(f"evaluate: {sym.name} must be a number (given {value}). "
                                  "To substitute an expression, use subs().")
        return value  # symbolic substitution (subs)
    if sym.is_integer is not True and not isinstance(value, (bool, float)) \
            and isinstance(value, (int, Fraction, sympy.Rational)):
        # a positive real symbol (a width multiplier): an exact fraction such as 3/4
        number = sympy.Rational(value.numerator, value.denominator) \
            if isinstance(value, Fraction) else sympy.Rational(value)
        if number <= 0:
            raise ConstraintError(f"evaluate: {sym.name} must be positive (given {value}).")
        return number
    if not isinstance(value, bool) and not isinstance(value, (int, sympy.Integer)):
        try:  # a NumPy integer, or anything else that is exactly an int
            value = operator.index(value)
        except TypeError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, sympy.Integer)):
        raise ConstraintError(f"evaluate: {sym.name} must be a positive int (given "
                              f"{value!r}). Sizes are whole numbers; round first.")
    if value < 1:
        raise ConstraintError(f"evaluate: {sym.name} must be at least 1 (given {value}).")
    m = multiple_of(sym)
    if value % m:
        raise ConstraintError(f"evaluate: {sym.name} was declared a multiple of {m} "
                              f"(given {value}). Use a multiple of {m}, or declare "
                              f"dim({sym.name!r}) without multiple_of.")
    return sympy.Integer(value)


# ---------------------------------------------------------------------- integer lambdify


class _FloorDiv(sympy.Function):
    """floor(p/q) for integer-valued p and positive q, printed as ``p // q``."""

    nargs = 2


def _integerize(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite so that every division is an integer floor division."""
    expr = expr.replace(
        lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
        lambda e: _split_division(e.args[0], ceil=isinstance(e, sympy.ceiling)))
    if not _has_fraction(expr):
        return expr
    num, den = sympy.fraction(sympy.together(expr))
    return num if den == 1 else _ExactDiv(num, den)


def _has_fraction(expr: sympy.Expr) -> bool:
    return any(isinstance(a, sympy.Rational) and not a.is_Integer
               for a in expr.atoms(sympy.Rational)) or any(
        p.exp.is_negative for p in expr.atoms(sympy.Pow))


def _split_division(arg: sympy.Expr, ceil: bool) -> sympy.Expr:
    num, den = sympy.fraction(sympy.together(arg))
    if den == 1:
        return num
    if ceil:
        return -_FloorDiv(-num, den)
    return _FloorDiv(num, den)


def _printer():
    from sympy.printing.pycode import PythonCodePrinter

    class _IntPrinter(PythonCodePrinter):
        def _print__FloorDiv(self, e):
            return f"(({self._print(e.args[0])}) // ({self._print(e.args[1])}))"

        def _print__ExactDiv(self, e):
            return f"_exact({self._print(e.args[0])}, {self._print(e.args[1])})"

        def _print_Min(self, e):
            return "_min(" + ", ".join(self._print(a) for a in e.args) + ")"

        def _print_Max(self, e):
            return "_max(" + ", ".join(self._print(a) for a in e.args) + ")"

        def _print_Piecewise(self, e):
            (a, cond), (b, _) = e.args
            return f"_where({self._print(cond)}, {self._print(a)}, {self._print(b)})"

    return _IntPrinter({"fully_qualified_modules": False, "inline": True,
                        "allow_unknown_functions": False})


def _is_array(args) -> bool:
    return any(hasattr(a, "shape") and getattr(a, "shape", ()) != () for a in args)


def _min(*args):
    if _is_array(args):
        import numpy as np

        return np.minimum.reduce(np.broadcast_arrays(*args))
    return min(args)


def _max(*args):
    if _is_array(args):
        import numpy as np

        return np.maximum.reduce(np.broadcast_arrays(*args))
    return max(args)


def _where(cond, a, b):
    if _is_array((cond, a, b)):
        import numpy as np

        return np.where(cond, a, b)
    return a if cond else b


def _scalar(name: str, value: Any, symbol: sympy.Symbol) -> Any:
    """One argument of a lambdified function, as an exact Python number, checked."""
    import operator

    if isinstance(value, bool):
        raise ConstraintError(f"lambdify: {name} must be a positive int (given {value!r}).")
    if symbol.is_integer:
        try:
            number: Any = operator.index(value)  # int, numpy integer, sympy Integer
        except TypeError:
            raise ConstraintError(f"lambdify: {name} must be a positive int (given "
                                  f"{value!r}). Sizes are whole numbers; round first.") from None
    else:
        from fractions import Fraction

        if isinstance(value, sympy.Rational):
            value = Fraction(int(value.p), int(value.q))
        if not isinstance(value, (int, Fraction)):
            raise ConstraintError(f"lambdify: {name} must be an exact positive number, an "
                                  f"int or a Fraction (given {value!r}).")
        number = value
    if number <= 0:
        raise ConstraintError(f"lambdify: {name} must be positive (given {value!r}).")
    m = multiple_of(symbol)
    if m != 1 and number % m:
        raise ConstraintError(
            f"lambdify: {name} = {number} is not a multiple of {m}, which its closed form "
            f"assumes (dim({name!r}, multiple_of={m})). Evaluate at multiples of {m}, or "
            f"build the cost with dim({name!r}) for exact floors at every value.")
    return number


def _argument(name: str, value: Any, symbol: sympy.Symbol) -> Any:
    """A scalar (checked, exact) or a numpy array (checked, as Python ints: no overflow)."""
    if not (hasattr(value, "shape") and hasattr(value, "dtype")) or value.shape == ():
        return _scalar(name, value.item() if hasattr(value, "item") else value, symbol)
    import numpy as np

    if value.dtype.kind not in "iu":
        raise ConstraintError(f"lambdify: {name} must be an integer array (given dtype "
                              f"{value.dtype}). Sizes are whole numbers.")
    if value.size and value.min() < 1:
        raise ConstraintError(f"lambdify: {name} must be positive (given {value.min()}).")
    m = multiple_of(symbol)
    if m != 1 and value.size and np.any(value % m):
        bad = value[value % m != 0].flat[0]
        raise ConstraintError(
            f"lambdify: {name} = {bad} is not a multiple of {m}, which its closed form "
            f"assumes (dim({name!r}, multiple_of={m})). Evaluate at multiples of {m}, or "
            f"build the cost with dim({name!r}) for exact floors at every value.")
    return value  # checked; computed as int64 only where a bound proves it fits (_bounded)


#: Largest magnitude an int64 intermediate may reach (a margin below 2**63).
_INT64_SAFE = 2**62


def _magnitude(expr: sympy.Basic, peaks: Mapping[sympy.Symbol, int]) -> int | None:
    """An upper bound on ``|value|`` of ``expr`` and of every sub-expression computed on
    the way, when each symbol's magnitude is at most its peak; None when unknown.

    The integerized forms have integer coefficients, so a sum's bound is the sum of its
    terms' bounds, a product's the product, a floor division's its numerator's (the divisor
    is at least 1): every intermediate value is bounded by the whole's bound."""
    if expr.is_Integer:
        return abs(int(expr))
    if expr.is_Symbol:
        return peaks.get(expr)  # type: ignore[call-overload]
    if isinstance(expr, sympy.Pow):
        if not (expr.exp.is_Integer and expr.exp >= 0):
            return None
        base = _magnitude(expr.base, peaks)
        return None if base is None else base ** int(expr.exp)
    parts = [_magnitude(a, peaks) for a in expr.args]
    if any(p is None for p in parts):
        return None
    bounds = [p for p in parts if p is not None]
    if isinstance(expr, sympy.Add):
        return sum(bounds)
    if isinstance(expr, sympy.Mul):
        out = 1
        for b in bounds:
            out *= b
        return out
    if isinstance(expr, (_FloorDiv, _ExactDiv)):
        return bounds[0] + 1
    if isinstance(expr, (sympy.Min, sympy.Max, sympy.Piecewise, ExprCondPair)):
        return max(bounds, default=0)
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        return bounds[0] + 1
    if isinstance(expr, sympy.core.relational.Relational):
        return max(bounds, default=0)
    if expr is sympy.true or expr is sympy.false:
        return 1
    return None


def _bounded(body: sympy.Expr, args: list[sympy.Symbol], values: list[Any]) -> list[Any]:
    """The arguments as they can be computed exactly: int64 arrays as they are when the
    magnitude bound of the formula at the arrays' peaks fits in int64, else arrays of
    Python ints (exact at any size, slower)."""
    arrays = [v for v in values if hasattr(v, "shape")]
    if not arrays:
        return values
    peaks = {s: (int(abs(v).max()) if hasattr(v, "shape") and v.size else abs(int(v)))
             for s, v in zip(args, values)}
    bound = _magnitude(body, peaks)
    if bound is not None and bound < _INT64_SAFE:
        return values
    return [v.astype(object) if hasattr(v, "shape") else v for v in values]


def _result(value: Any) -> Any:
    """Python int for scalars; int64 array when every value fits, else Python ints."""
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        return int(value)
    import numpy as np

    if value.dtype == object:
        flat = [int(v) for v in value.flat]
        if all(-2**63 <= v < 2**63 for v in flat):
            return np.array(flat, dtype=np.int64).reshape(value.shape)
    return value


def _exact(num: Any, den: Any) -> Any:
    """num / den, refusing when it is not a whole number (a formula used where it does not
    hold would be silently floored)."""
    q = num // den
    rest = num - q * den
    if hasattr(rest, "shape") and hasattr(rest, "any"):
        wrong = bool(rest.any())
    else:
        wrong = rest != 0
    if wrong:
        raise ConstraintError("lambdify: the formula does not give a whole number at these "
                              "values, so it does not hold there; check the values against "
                              "the cost's constraints.")
    return q


class _ExactDiv(sympy.Function):
    """p/q known to be a whole number, printed as ``_exact(p, q)``."""

    nargs = 2


def _exact_lambdify(expr: sympy.Basic, args: list[sympy.Symbol]):
    """A function evaluating ``expr`` (a size or a condition) in exact rational arithmetic on
    Python numbers: fractions stay fractions, floors are exact, nothing is a float."""
    from fractions import Fraction
    from math import ceil, floor

    from sympy.printing.pycode import PythonCodePrinter

    class _ExactPrinter(PythonCodePrinter):
        def _print_Rational(self, e):
            return f"_Q({e.p}, {e.q})"

        def _print_Half(self, e):
            return "_Q(1, 2)"

        def _print_Pow(self, e, rational=False):
            if e.exp.is_Integer and e.exp < 0:
                return f"(_Q(1) / ({self._print(e.base)})**{-int(e.exp)})"
            return f"(({self._print(e.base)})**{self._print(e.exp)})"

        def _print_floor(self, e):
            return f"_floor({self._print(e.args[0])})"

        def _print_ceiling(self, e):
            return f"_ceil({self._print(e.args[0])})"

        def _print_Min(self, e):
            return "min(" + ", ".join(self._print(a) for a in e.args) + ")"

        def _print_Max(self, e):
            return "max(" + ", ".join(self._print(a) for a in e.args) + ")"

        def _print_Piecewise(self, e):
            out = "None"
            for value, cond in reversed(e.args):
                out = f"(({self._print(value)}) if ({self._print(cond)}) else ({out}))"
            return out

    return sympy.lambdify(args, expr, modules=[{"_Q": Fraction, "_floor": floor,
                                                "_ceil": ceil}],
                          printer=_ExactPrinter({"fully_qualified_modules": False,
                                                 "inline": True,
                                                 "allow_unknown_functions": False}),
                          docstring_limit=0)


def _int_function(args: list[sympy.Symbol], expr: sympy.Basic):
    """``expr`` compiled to integer arithmetic (floor divisions, exact divisions, min, max,
    where) on Python ints or int64 arrays."""
    return sympy.lambdify(args, expr, modules=[{"_min": _min, "_max": _max, "_where": _where,
                                                "_exact": _exact}],
                          printer=_printer(), docstring_limit=0)


def _vector_condition(condition: sympy.Basic, args: list[sympy.Symbol]):
    """``condition`` as integer arithmetic on int64 arrays: ``(function, numerator)``, the
    relation applied to the numerator of ``lhs - rhs`` over a positive integer denominator
    (floors become floor divisions); None when it has no such form (a symbolic
    denominator), and the exact check is used instead."""
    if not isinstance(condition, sympy.core.relational.Relational):
        return None
    difference = (condition.lhs - condition.rhs).replace(
        lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
        lambda e: _split_division(e.args[0], ceil=isinstance(e, sympy.ceiling)))
    num, den = sympy.fraction(sympy.together(difference))
    if not (den.is_Integer and den > 0) or _has_fraction(num):
        return None
    return _int_function(args, type(condition)(num, 0, evaluate=False)), num


def _check_compiled(checks, names: list[str], args: list[sympy.Symbol],
                    values: list[Any]) -> None:
    """Run compiled constraints at every point of the (broadcast) arguments: each at the
    distinct values of its own symbols only (a constraint on H alone is checked once per
    distinct H, however many W it is paired with)."""
    if not checks:
        return
    np: Any = None  # numpy is an extra: imported only when arrays came in
    if any(hasattr(v, "shape") for v in values):
        import numpy as np

        grids = [g.ravel() for g in np.broadcast_arrays(*[np.asarray(v) for v in values])]
        default = [g[0].item() if g.size else 0 for g in grids]
    else:
        grids, default = [], list(values)
    groups: dict[tuple[int, ...], list] = {}
    for constraint, fn, vector in checks:
        idx = tuple(i for i, s in enumerate(args) if s in constraint.free_symbols)
        if grids and vector is not None:
            vector_fn, numerator = vector
            peaks = {args[i]: int(abs(grids[i]).max()) for i in idx}
            bound = _magnitude(numerator, peaks)
            if bound is not None and bound < _INT64_SAFE:
                with np.errstate(all="raise"):
                    ok = np.broadcast_to(np.asarray(vector_fn(*grids), dtype=bool),
                                         grids[0].shape)
                if not ok.all():
                    where = int(np.argmin(ok))
                    _broken(constraint, names, idx, [g[where].item() for g in grids])
                continue
        groups.setdefault(idx, []).append((constraint, fn))
    for idx, members in groups.items():
        if grids and idx:
            points: list[tuple[Any, ...]]
            if len(idx) == 1:  # the common case, and 1-D unique is a plain sort
                points = [(int(x),) for x in np.unique(grids[idx[0]])]
            else:
                rows = np.unique(np.stack([grids[i] for i in idx], axis=1), axis=0)
                points = [tuple(int(x) for x in row) for row in rows]
        else:
            points = [tuple(default[i] for i in idx)]
        for sub in points:
            point = list(default)
            for i, v in zip(idx, sub):
                point[i] = v
            for constraint, fn in members:
                try:
                    ok = bool(fn(*point))
                except (ZeroDivisionError, TypeError, ValueError):
                    ok = False
                if not ok:
                    _broken(constraint, names, idx, point)


def _broken(constraint: Constraint, names: list[str], idx: tuple[int, ...],
            point: list[Any]) -> None:
    shown = ", ".join(f"{names[i]}={point[i]}" for i in idx)
    raise ConstraintError(f"{constraint.where}, field {constraint.field!r}: "
                          f"{constraint.message} (fails at {shown}).")


def int_lambdify(expr: sympy.Expr, names: Iterable[str | sympy.Symbol],
                 constraints: Iterable[Constraint] = ()):
    """Compile ``expr`` to a function of ``names`` that is exact or refuses.

    Arguments are checked like :meth:`Cost.evaluate` checks them (positive integers, declared
    multiples), and so is every constraint whose symbols are all among ``names``; a value
    that breaks one raises :class:`ConstraintError` naming the value and the condition.
    Integer arithmetic only: Python ints stay exact at any size, and NumPy arrays are
    computed as Python ints, returned as ``int64`` when every value fits (else as an object
    array of Python ints), so nothing wraps around silently.
    """
    names = [n.name if isinstance(n, sympy.Symbol) else str(n) for n in names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SymcostError(f"lambdify: {', '.join(duplicated)} named more than once "
                           f"(given {', '.join(names)}). Name each symbol once.")
    expr = sympy.sympify(expr)
    free = {s.name: s for s in expr.free_symbols}
    missing = sorted(set(free) - set(names))
    if missing:
        raise UnboundDimensionError(missing)
    constraints = list(constraints)
    known = dict(free)
    for c in constraints:
        for s in c.free_symbols:
            known.setdefault(s.name, s)
    args = [known.get(n, sympy.Symbol(n, positive=True, integer=True)) for n in names]
    body = _integerize(expr)
    fn = _int_function(args, body)
    given = set(args)
    unique: dict[sympy.Basic, Constraint] = {}
    for c in constraints:  # many layers repeat one condition: check each once
        if c.free_symbols and c.free_symbols <= given:
            unique.setdefault(c.condition, c)
    checks = [(c, _exact_lambdify(c.condition, args), _vector_condition(c.condition, args))
              for c in unique.values()]

    def bound(*positional, **keywords):
        if positional:
            if len(positional) > len(names):
                raise SymcostError(f"lambdify: {len(positional)} positional values for "
                                   f"{len(names)} names ({', '.join(names)}).")
            keywords.update(zip(names, positional))
        absent = [n for n in names if n not in keywords]
        if absent or set(keywords) - set(names):
            raise UnboundDimensionError(absent, sorted(set(keywords) - set(names)))
        values = [_argument(n, keywords[n], s) for n, s in zip(names, args)]
        _check_compiled(checks, names, args, values)
        return _result(fn(*_bounded(body, args, values)))

    bound.__doc__ = f"{expr} as an integer function of {', '.join(names)}"
    bound.source = fn  # type: ignore[attr-defined]
    return bound
