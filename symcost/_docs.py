"""What ``help()`` and ``inspect.signature`` show for spec classes: the plain constructor
(field names and defaults, no type annotations), a short field list, and the methods a user
calls — not pydantic's forty inherited ones."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel

# pydantic's metaclass has no public name; this private path has been stable through 2.x
# (and type(BaseModel) is the same class, which a test checks)
from pydantic._internal._model_construction import ModelMetaclass

__all__ = ["SpecMeta", "plain_signature", "field_list", "FIELDS_HEADING", "without_fields"]

#: Where help()'s field list starts in a spec class's docstring.
FIELDS_HEADING = "\n\nFields (keyword arguments):\n"

def _fields(cls) -> list[tuple[str, Any]]:
    """(name, default or inspect.Parameter.empty) of every field but the ``kind`` tag,
    required first, ``name`` last."""
    out = []
    for name, info in cls.model_fields.items():
        if name == "kind":
            continue
        default = inspect.Parameter.empty if info.is_required() else info.default
        out.append((name, default))
    required = [f for f in out if f[1] is inspect.Parameter.empty]
    optional = [f for f in out if f[1] is not inspect.Parameter.empty and f[0] != "name"]
    return required + optional + [f for f in out if f[0] == "name"]


class _Default:
    """A default shown as its plain text (``1``, ``'same'``, ``True``)."""

    def __init__(self, value: Any) -> None:
        self.text = repr(value) if isinstance(value, str) else str(value)

    def __repr__(self) -> str:
        return self.text


def plain_signature(cls) -> inspect.Signature:
    """``(*, in_channels, out_channels, kernel_size, stride=1, ..., name=None)``: keyword
    arguments named as the fields, with their defaults, without annotations."""
    return inspect.Signature([
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                          default=(default if default is inspect.Parameter.empty
                                   else _Default(default)))
        for name, default in _fields(cls)])


def field_list(cls) -> str:
    """One line per field: name, default and the first line of its docstring."""
    lines = []
    for name, default in _fields(cls):
        info = cls.model_fields[name]
        doc = (info.description or "").strip().splitlines()
        head = name if default is inspect.Parameter.empty else f"{name}={_Default(default)!r}"
        lines.append(f"    {head}" + (f" — {doc[0]}" if doc else ""))
    return "\n".join(lines)


#: Methods containers and the analysis call on a spec, and the declarations a kind makes
#: for the registry, the conventions and the strategies: not meant for users' help().
_HOOKS = {"node", "infer", "parts", "composite", "combine", "size_constraints", "family",
          "ranks", "keeps_shape", "spatial_rank", "reduce", "kernel_within_input"}


class SpecMeta(ModelMetaclass):
    # pydantic's metaclass, with a plain signature, a field list in the docstring, and a
    # dir() of the class limited to what symcost defines (so help() fits a screen; instances
    # keep pydantic's full dir()). No docstring: __doc__ below is the property that builds
    # each spec class's one.

    @property
    def __signature__(cls) -> inspect.Signature:  # type: ignore[override]
        return plain_signature(cls)

    @__signature__.setter
    def __signature__(cls, value: Any) -> None:
        pass  # pydantic sets its annotated signature while building the class; ours wins

    @property
    def __doc__(cls) -> str | None:  # type: ignore[override]
        own = cls.__dict__.get("__doc__")
        if not isinstance(own, str) or "kind" not in getattr(cls, "model_fields", {}):
            return own
        return f"{inspect.cleandoc(own)}{FIELDS_HEADING}{field_list(cls)}\n"

    def __dir__(cls) -> list[str]:
        names: set[str] = set()
        for klass in cls.__mro__:
            if klass in (BaseModel, object):
                break
            names |= {n for n in vars(klass) if not n.startswith("_")
                      and n not in ("model_config", "model_fields", "model_computed_fields")}
        # pydantic's model_* methods and the analysis hooks still work; help() omits them
        return sorted(names - _HOOKS)


def without_fields(text: str) -> str:
    """A docstring without help()'s field list (JSON Schema descriptions stay as written)."""
    return text.split(FIELDS_HEADING, 1)[0]
