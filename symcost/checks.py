"""Three-valued validation: raise when a condition is definitely false, defer it when the
symbols leave it undecided.

A deferred condition becomes a :class:`Constraint` that travels with the cost and is checked
when numbers are substituted (:meth:`symcost.Cost.evaluate`), so a formula is never evaluated
outside the region where it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy

from .errors import ConstraintError, SpecError

__all__ = ["Constraint", "require", "divides", "decide"]


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

    def check(self, values: Mapping[sympy.Symbol, sympy.Integer]) -> None:
        """Raise :class:`ConstraintError` when the condition is false at ``values``."""
        verdict = decide(self.condition.xreplace(values))
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
