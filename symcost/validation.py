"""Validation errors in symcost's words: pydantic's ``ValidationError`` becomes a
:class:`~symcost.errors.SpecError` that names the layer, the field (located in nested
specs and documents) and the value, with a did-you-mean for unknown fields and kinds."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from .errors import SpecError, SymcostError

__all__ = ["reraise_validation", "register_kinds"]


@contextlib.contextmanager
def reraise_validation(kind: str, data: Mapping[str, Any],
                       cls: type | None = None) -> Iterator[None]:
    """Turn pydantic's ValidationError into a SpecError naming layer, field and value."""
    try:
        yield
    except ValidationError as exc:
        raise _spec_error(kind, exc, data, cls) from None


def _spec_error(kind: str, exc: ValidationError, data: Mapping[str, Any],
                cls: type | None) -> SpecError:
    errors = exc.errors(include_url=False)
    # prefer the error carrying one of our own exceptions: it has the best message
    ours = [e for e in errors if isinstance((e.get("ctx") or {}).get("error"), SymcostError)]
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    first = (ours or extra or errors)[0]
    loc = [p for p in first["loc"] if not (isinstance(p, str) and _is_union_tag(p))]
    original = (first.get("ctx") or {}).get("error")
    layer = kind
    field_name: str | None
    if isinstance(original, SpecError) and original.field:
        field_name = original.field
        if loc:
            field_name = _loc_text(loc) + "." + field_name if loc[-1] != field_name else \
                _loc_text(loc)
        detail = original.detail
        layer = original.layer or kind
    else:
        field_name = _loc_text(loc) if loc else None
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field_name = f"{field_name}.kind" if field_name else "kind"
        detail = _detail(first, original, data, cls)
    if isinstance(original, SpecError) and original.layer and not loc:
        layer = original.layer
    error_type = type(original) if isinstance(original, SpecError) else SpecError
    return error_type(detail, layer=layer, field=field_name, value=first.get("input"))


def _is_union_tag(part: str) -> bool:
    # pydantic inserts the tag of a discriminated union member, or a type description
    return "[" in part or part in _KINDS or part.startswith(("function-", "literal"))


_KINDS: dict[str, Any] = {}


def register_kinds(kinds: Mapping[str, Any]) -> None:
    """The spec classes by kind tag: the tags pydantic may insert into error locations, and
    whose fields an unknown field is compared with (set by :mod:`symcost.spec`, which
    builds the union)."""
    _KINDS.update(kinds)


def _loc_text(loc: list) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


def _detail(error: Mapping[str, Any], original: object, data: Mapping[str, Any],
            cls: type | None) -> str:
    etype = error["type"]
    given = error.get("input")
    if etype == "extra_forbidden":
        bad = str(error["loc"][-1])
        allowed = _allowed_fields(error, data, cls)
        near = difflib.get_close_matches(bad, allowed, n=1)
        hint = f" Did you mean {near[0]}?" if near else (
            " Known fields: " + ", ".join(allowed) + "." if allowed else "")
        return f"unknown field.{hint}"
    if etype == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        tag = str(ctx.get("tag"))
        kinds = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        near = difflib.get_close_matches(tag.lower(), kinds, n=1, cutoff=0.5)
        hint = f" Did you mean {near[0]}?" if near else " Known kinds: " + ", ".join(kinds) + "."
        return f"unknown kind {tag!r}.{hint}"
    if etype == "union_tag_not_found":
        return ("no 'kind'. Every spec names its kind, e.g. {'kind': 'conv2d', ...} "
                "(see symcost.spec.kind_classes()).")
    if etype == "missing":
        return f"this field is required. Give {error['loc'][-1]}=..."
    if isinstance(original, SymcostError):
        text = str(original)
        for prefix in ("size: ",):
            if text.startswith(prefix):
                text = text[len(prefix):]
        return text
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{msg} (given {given!r})."


def _allowed_fields(error: Mapping[str, Any], data: Mapping[str, Any],
                    top: type | None) -> list[str]:
    loc = error["loc"]
    # the enclosing dict's kind tells which model's fields are allowed
    node: Any = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
            break
    kind = node.get("kind") if isinstance(node, Mapping) else data.get("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None and len(loc) == 1:
        cls = top
    return sorted(cls.model_fields) if cls else []
