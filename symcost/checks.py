"""Three-valued validation: raise when a condition is definitely false, defer it when the
symbols leave it undecided.

A deferred condition becomes a :class:`Constraint` that travels with the cost and is checked
when numbers are substituted (:meth:`symcost.Cost.evaluate`), so a formula is never evaluated
outside the region where it holds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy

from .dims import increasing
from .errors import ConstraintError, SpecError

__all__ = ["Constraint", "require", "divides", "decide", "size_conditions"]


def decide(condition: sympy.Basic | bool) -> bool | None:
    """True or False when the condition is decided, None when the symbols leave it open."""
    if condition is True or condition is sympy.true:
        return True
    if condition is False or condition is sympy.false:
        return False
    return None


@dataclass(frozen=True)
class Constraint:
    """A condition a formula relies on, checked at evaluation.

    ``where`` names the layer (path and kind), ``field`` the field or axis concerned,
    ``message`` says what must hold and how to fix a violation.
    """

    condition: sympy.Basic
    where: str
    field: str
    message: str

    @property
    def free_symbols(self) -> set[sympy.Symbol]:
        return self.condition.free_symbols

    def check(self, values: Mapping[sympy.Symbol, sympy.Basic]) -> None:
        """Raise :class:`ConstraintError` when the condition is false at ``values``.

        A condition that cannot even be formed at the values (a modulo by zero, a comparison
        with an infinity) fails too: it can only come from values outside the region.
        """
        try:
            at = self.condition.xreplace(values)
            verdict = decide(at)
            if verdict is None and not at.free_symbols:
                verdict = False
        except (ZeroDivisionError, TypeError, ValueError):
            verdict = False
        if verdict is False:
            shown = ", ".join(f"{s}={values[s]}" for s in
                              sorted(self.free_symbols, key=str) if s in values)
            raise ConstraintError(f"{self.where}, field {self.field!r}: {self.message} "
                                  f"(fails at {shown}).")

    def relocate(self, where: str) -> Constraint:
        return Constraint(self.condition, where, self.field, self.message)


def require(condition: sympy.Basic, *, where: str, field: str,
            value: object | Callable[[], object],
            message: str | Callable[[], str],
            error: type[SpecError] = SpecError) -> list[Constraint]:
    """Raise ``error`` if ``condition`` is false; return it as a deferred constraint (a
    one-element list) if undecided, else an empty list.

    ``value`` and ``message`` may be zero-argument callables: they are then formatted only
    when needed, since printing a large size expression costs far more than deciding it.
    """
    verdict = decide(condition)
    if verdict is True:
        return []
    if callable(message):
        message = message()
    if verdict is False:
        if callable(value):
            value = value()
        raise error(f"{message} (given {value}).", layer=where, field=field, value=value)
    return [Constraint(condition, where, field, message)]


def divides(divisor: sympy.Expr, dividend: sympy.Expr) -> sympy.Basic:
    """The condition ``divisor`` divides ``dividend``."""
    return sympy.Eq(sympy.Mod(dividend, divisor), 0)


@functools.lru_cache(maxsize=16384)
def _size_verdicts(expr: sympy.Expr, lower: int) -> tuple[bool | None, bool | None]:
    """Is ``expr`` at least ``lower``, is it a whole number: True, False or None (open)."""
    if increasing(expr) and expr.xreplace({s: sympy.Integer(1) for s in
                                            expr.free_symbols}) >= lower:
        # a cheap proof for the common case (sums of products of sizes), where sympy's
        # relational machinery is slow on large sums and often cannot decide
        at_least: bool | None = True
    else:
        try:
            at_least = decide(expr >= lower)
        except TypeError:  # a comparison sympy cannot form (a non-real value)
            at_least = False
    whole = expr.is_integer
    return at_least, (None if whole is None else bool(whole))


def size_conditions(expr: object, *, where: str, field: str,
                    lower: int = 1) -> list[Constraint]:
    """The conditions a size relies on: at least ``lower`` and a whole number.

    Raises :class:`SpecError` when one is definitely false; returns what the symbols leave
    open as deferred constraints (``out_channels="C-8"`` needs C >= 9 at evaluation,
    ``kernel_size="C/2"`` an even C). Integers were checked when the field was read.

    >>> from symcost import dim
    >>> [c.condition for c in size_conditions(dim("C") - 8, where="conv2d", field="out")]
    [C - 8 >= 1]
    """
    if not isinstance(expr, sympy.Expr) or expr.is_Integer:
        return []
    at_least, whole = _size_verdicts(expr, lower)
    out: list[Constraint] = []
    bound = "non-negative" if lower == 0 else f"at least {lower}"
    if at_least is False:
        raise SpecError(f"{field} = {expr} is below {lower} for every value of its symbols.",
                        layer=where, field=field, value=expr)
    if at_least is None:
        out += require(expr >= lower, where=where, field=field, value=lambda: expr,
                       message=lambda: (f"{field} = {expr} must be {bound}. Choose values "
                                        f"of its symbols that keep it {bound}"))
    if whole is not True:
        out += require(sympy.Eq(sympy.Mod(expr, 1), 0), where=where, field=field,
                       value=lambda: expr,
                       message=lambda: (f"{field} = {expr} must be a whole number. Choose "
                                        "values that divide evenly, or use floor()/ceil() "
                                        "(// in a string)"))
    return out
