"""The exceptions symcost raises.

Every error is a :class:`SymcostError`. Errors about user input also derive from the builtin
that fits (``ValueError``, ``KeyError``), so ``except ValueError`` keeps working. Messages
follow one pattern: ``where: what is wrong (what was given). How to fix.``
"""

from __future__ import annotations

import difflib


class SymcostError(Exception):
    """Base class of every error symcost raises."""


class SymcostWarning(UserWarning):
    """A result that may mislead: a total that leaves out uncosted layers.

    Turn it into an error with ``warnings.simplefilter("error", symcost.SymcostWarning)``
    (or ``-W error::symcost.SymcostWarning`` / pytest's ``filterwarnings``).
    """


class DimensionError(SymcostError, ValueError):
    """A size (a spec field, a shape axis or a string expression) is not acceptable."""


class SpecError(SymcostError, ValueError):
    """A layer spec is invalid: a field value, or a relation between fields.

    ``layer`` names the layer (its path and kind when known), ``field`` the offending field.
    """

    def __init__(self, message: str, *, layer: str | None = None, field: str | None = None,
                 value: object = None) -> None:
        self.layer = layer
        self.field = field
        self.value = value
        self.detail = message
        super().__init__(_compose(layer, field, message))

    def __reduce__(self):  # keep structured fields through pickling
        return (_rebuild_spec_error, (type(self), self.detail, self.layer, self.field, self.value))


class ShapeMismatchError(SpecError):
    """A layer does not accept the shape the previous layer produces."""


class UnboundDimensionError(SymcostError, KeyError):
    """Evaluation needs a value for every free symbol; some were not given."""

    def __init__(self, missing: list[str], unused: list[str] | None = None) -> None:
        self.missing = sorted(missing)
        self.unused = sorted(unused or [])
        msg = ("evaluate: no value for " + ", ".join(self.missing)
               + ". Pass every free symbol, e.g. evaluate("
               + ", ".join(f"{m}=..." for m in self.missing) + ").")
        if self.unused:
            msg += " Values given for unknown names: " + ", ".join(self.unused) + "."
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message

    def __reduce__(self):
        return (type(self), (self.missing, self.unused))


class ConstraintError(SymcostError, ValueError):
    """Values given to evaluate break a condition the formula relies on
    (an output size below 1, a divisibility, a channel match)."""


class UnknownConventionError(SymcostError, KeyError):
    """A convention name that is not one of the presets."""

    def __init__(self, name: object, known: list[str]) -> None:
        self.name = name
        self.known = known
        self.message = (f"convention: unknown name {name!r}.{did_you_mean(name, known)} "
                        "Use one of: " + ", ".join(known) + ".")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (type(self), (self.name, self.known))


class UnknownModelError(SymcostError, KeyError):
    """A built-in network name that the zoo does not have."""

    def __init__(self, name: object, known: list[str]) -> None:
        self.name = name
        self.known = known
        self.message = (f"zoo: no built-in network named {name!r}."
                        f"{did_you_mean(name, known)} Use one of: " + ", ".join(known)
                        + ", or a path to a JSON or YAML network document.")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (type(self), (self.name, self.known))


class SpecFileError(SymcostError, ValueError):
    """A network document (JSON file or text) cannot be read."""


def did_you_mean(name: object, known: list[str] | tuple[str, ...]) -> str:
    """`` Did you mean 'resnet50'?`` for the closest known names (empty when none is close).

    >>> print(did_you_mean("resnet5", ["resnet18", "resnet50", "vgg11"]))
     Did you mean 'resnet50' or 'resnet18'?
    """
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name.lower(), list(known), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def _compose(layer: str | None, field: str | None, message: str) -> str:
    where = layer or "spec"
    if field:
        where += f", field {field!r}"
    return f"{where}: {message}"


def _rebuild_spec_error(cls, detail, layer, field, value):
    return cls(detail, layer=layer, field=field, value=value)


class TorchImportError(SymcostError, ValueError):
    """A PyTorch model cannot be imported: torch is missing, ``torch.fx`` cannot trace it,
    or (with ``strict=True``) some of its operations have no symcost mapping."""


class CensusError(SymcostError, KeyError):
    """A census entry or pricing term that does not exist."""

    def __init__(self, name: object, known: tuple[str, ...] | list[str],
                 what: str = "census entry") -> None:
        self.name, self.known, self.what = name, list(known), what
        super().__init__(name)

    def __str__(self) -> str:
        return (f"unknown {self.what} {self.name!r}.{did_you_mean(self.name, self.known)} "
                "Use one of: " + ", ".join(self.known) + ".")

    def __reduce__(self):
        return (type(self), (self.name, self.known, self.what))


class ConventionError(SymcostError, ValueError):
    """A pricing rule or convention that cannot be built as given."""
