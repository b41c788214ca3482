"""Specs as JSON: one document per network, lossless in both directions.

A network document is ``{"network": <spec>, "input": <shape>}`` (``input`` optional);
a bare spec (an object with a ``kind``) is accepted too. Integers stay JSON integers,
expressions are strings read back by the safe parser of :mod:`symcost.dims`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import SpecError, SpecFileError
from .layers.base import Spec, reraise_validation
from .shapes import Shape
from .spec import spec_adapter

__all__ = ["spec_to_json", "spec_from_json", "load_spec", "document"]

#: Largest document read, in bytes.
MAX_DOCUMENT_BYTES = 10_000_000


def spec_to_json(spec: Spec, *, input: Shape | None = None, indent: int | None = 2) -> str:
    """Serialise a spec (and optionally its input shape) as a JSON document."""
    return json.dumps(document(spec, input=input), indent=indent)


def document(spec: Spec, *, input: Shape | None = None) -> dict[str, Any]:
    """The JSON-ready dict of a network document."""
    out: dict[str, Any] = {"network": spec.model_dump(mode="json", exclude_defaults=True)}
    if input is not None:
        out["input"] = input.model_dump(mode="json", exclude_none=True)
    return out


def spec_from_json(text: str | bytes, *, source: str = "document") -> tuple[Spec, Shape | None]:
    """Read a JSON document (or a bare spec): returns ``(spec, input_shape_or_None)``."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise SpecFileError(f"{source}: larger than {MAX_DOCUMENT_BYTES} bytes.")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise SpecFileError(f"{source}: not valid JSON ({exc}). Check the file's syntax."
                            ) from None
    return spec_from_data(data, source=source)


def spec_from_data(data: Any, *, source: str = "document") -> tuple[Spec, Shape | None]:
    """Validate already-parsed data (a network document or a bare spec)."""
    if not isinstance(data, dict):
        raise SpecFileError(f"{source}: expected a JSON object with a 'network' (a spec with a "
                            f"'kind'), got {type(data).__name__}.")
    if "kind" in data:
        network, shape_data = data, None
    else:
        unknown = sorted(set(data) - {"network", "input", "symcost"})
        if unknown or "network" not in data:
            raise SpecFileError(f"{source}: a document has keys 'network' and optionally "
                                f"'input' (found {sorted(data)}).")
        network, shape_data = data["network"], data.get("input")
    try:
        with reraise_validation(f"{source}: network", network if isinstance(network, dict)
                                else {}):
            spec = spec_adapter().validate_python(network)
    except RecursionError:
        raise SpecFileError(f"{source}: the network nests too deeply.") from None
    except ValidationError as exc:  # pragma: no cover - reraise_validation converts these
        raise SpecError(str(exc)) from None
    shape = None
    if shape_data is not None:
        if not isinstance(shape_data, dict):
            raise SpecFileError(f"{source}: 'input' must be an object such as "
                                '{"C": 3, "H": "H", "W": "W"}.')
        shape = Shape(**shape_data)
    return spec, shape


def load_spec(path: str | Path) -> tuple[Spec, Shape | None]:
    """Read a JSON network document from a file."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SpecFileError(f"{p}: larger than {MAX_DOCUMENT_BYTES} bytes.")
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecFileError(f"{p}: cannot read ({exc.strerror or exc}).") from None
    return spec_from_json(text, source=str(p))
