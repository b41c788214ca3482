"""Network documents: JSON and YAML files that load as exactly the network that was saved.

A document names its format version, the symbols it uses, its input and its network::

    {"symcost": 2,
     "symbols": {"H": {"multiple_of": 32}, "W": {"multiple_of": 32}},
     "input": {"layout": "N C H W", "N": 1, "C": 3, "H": "H", "W": "W"},
     "network": {"kind": "sequential", "layers": [...]}}

Integers stay integers; expressions are strings read back by the safe parser of
:mod:`symcost.dims`, with each declared name read as its declared symbol (so
``dim("H", multiple_of=32)`` survives the trip). Reading never runs code: JSON goes through
:func:`json.loads`, YAML through a safe loader only, and every document is bounded in bytes,
nesting depth and number of values before any of it is validated. Writing is canonical: the
same network gives the same bytes on every machine and every run.

Older documents (``{"network": ..., "input": ...}`` without ``"symcost"``, or a bare spec with
a ``kind``) are still read; their names are plain :func:`~symcost.dims.dim` symbols.
"""

from __future__ import annotations

import difflib
import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import sympy
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema

from ._docs import without_fields
from .dims import _check_name, declared, dim, dim_to_json, is_dim, multiple_of
from .errors import DimensionError, SpecError, SpecFileError
from .layers.base import Spec
from .layers.custom import AXES as CUSTOM_AXES
from .layers.custom import Custom
from .safe_text import (
    MAX_DOCUMENT_BYTES,
    MAX_NESTING,
    MAX_VALUES,
    _check_values,
    _decode,
    _parse_json,
    _parse_yaml,
    _read_file,
    _yaml,
)
from .shapes import Shape
from .spec import AnyLayer, spec_adapter
from .validation import reraise_validation

__all__ = ["load", "dump", "load_document", "Document", "NetworkDocument", "SymbolDeclaration",
           "document_schema", "spec_to_json", "spec_from_json", "load_spec", "document",
           "MAX_DOCUMENT_BYTES", "MAX_NESTING", "MAX_VALUES"]

#: The document format this version writes. Version 2 gives the input's axes in order
#: (``"layout": "N L D"``); version 1, whose inputs were N×C×H×W or N×C, still loads.
FORMAT_VERSION = 2
#: The format versions this version reads.
READ_VERSIONS = (1, 2)

_FORMATS = ("json", "yaml")
_TOP_KEYS = ("symcost", "symbols", "input", "network")


# ------------------------------------------------------------------------ the schema


class SymbolDeclaration(BaseModel):
    """What a document says about one symbol: a size (a positive integer, maybe a multiple
    of m) or, with ``integer: false``, a positive number such as a width multiplier."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    multiple_of: int = Field(1, ge=1, le=10**9, strict=True)
    """The size is a multiple of this (``dim(name, multiple_of=m)``); 1 when absent."""
    integer: bool = Field(True, strict=True)
    """False for a positive real symbol (``sympy.Symbol(name, positive=True)``), e.g. a
    width multiplier alpha; true (the default) for a size made by ``dim``."""

    @model_validator(mode="after")
    def _multiple_of_integers(self) -> SymbolDeclaration:
        if not self.integer and self.multiple_of != 1:
            raise SpecError("only an integer size can be a multiple of something.",
                            field="multiple_of", value=self.multiple_of)
        return self

    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol this declaration makes for ``name``."""
        if not self.integer:
            return sympy.Symbol(name, positive=True)
        return dim(name, multiple_of=self.multiple_of)

    @staticmethod
    def of(symbol: sympy.Symbol) -> dict[str, Any] | None:
        """The declaration of ``symbol`` as a document writes it (None: not declarable)."""
        if is_dim(symbol):
            m = multiple_of(symbol)
            return {"multiple_of": m} if m != 1 else {}
        if symbol == sympy.Symbol(symbol.name, positive=True):
            return {"integer": False}
        return None


SymbolName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
                                              max_length=100)]


class NetworkDocument(BaseModel):
    """A network document: what :func:`dump` writes, :func:`load` reads and
    ``symcost schema`` describes."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True,
                              title="symcost network document")

    symcost: Literal[1, 2]
    """Format version of the document (2 writes the input's layout; 1 still loads)."""
    symbols: dict[SymbolName, SymbolDeclaration] = {}
    """Every symbol the input and network use, by name (``{}`` for a plain size)."""
    input: Shape | None = None
    """The input shape, e.g. ``{"layout": "N C H W", "N": 1, "C": 3, "H": "H", "W": "W"}``
    or a sequence ``{"layout": "N L D", "N": "B", "L": "T", "D": 768}`` (N defaults to 1)."""
    network: AnyLayer
    """The network: any layer or container spec, tagged by ``kind``."""


class _SchemaGenerator(GenerateJsonSchema):
    """Writes sympy defaults (``N = 1``) the way documents spell them."""

    def encode_default(self, dft: Any) -> Any:
        return super().encode_default(_jsonable(dft))


def _jsonable(value: Any) -> Any:
    if isinstance(value, sympy.Basic):
        return dim_to_json(value)  # type: ignore[arg-type]
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def document_schema() -> dict[str, Any]:
    """The JSON Schema of a network document, generated from the pydantic models."""
    schema = NetworkDocument.model_json_schema(schema_generator=_SchemaGenerator)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    for definition in schema.get("$defs", {}).values():
        if "description" in definition:
            definition["description"] = without_fields(definition["description"])
    return schema


# ------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Document:
    """A loaded document: the network, its input shape (or None) and its symbols."""

    network: Spec
    input: Shape | None
    symbols: Mapping[str, sympy.Symbol]


# ------------------------------------------------------------------------ writing


def to_document(network: Spec, *, input: Shape | None = None) -> dict[str, Any]:
    """The JSON-ready dict of a network document, symbols declared.

    Raises :class:`SpecFileError` when a name stands for two different symbols (``H`` as
    a multiple of 32 in one place and plain in another) or for a symbol that is not a
    :func:`~symcost.dims.dim` (a rational width multiplier): such a network has no document
    that reads back as the same network.
    """
    if not isinstance(network, Spec):
        raise SpecFileError(f"dump: expected a symcost spec (a layer or container), got "
                            f"{type(network).__name__}.")
    if input is not None and not isinstance(input, Shape):
        raise SpecFileError(f"dump: input must be a symcost.Shape (given {input!r}).")
    symbols = _declarations(network, input)
    out: dict[str, Any] = {
        "symcost": FORMAT_VERSION,
        "symbols": {name: SymbolDeclaration.of(s) for name, s in sorted(symbols.items())},
    }
    if input is not None:
        out["input"] = input.to_json()
    out["network"] = network.model_dump(mode="json", exclude_defaults=True)
    return out


def without_multiples(network: Spec, input: Shape | None = None
                      ) -> tuple[Spec, Shape | None]:
    """The same network and input with every ``multiple_of`` declaration dropped, so that
    their costs keep the exact floors and hold at every size (used to evaluate a document
    whose H is declared a multiple of 32 at H = 78)."""
    data = to_document(network, input=input)
    data["symbols"] = {name: {k: v for k, v in (decl or {}).items() if k != "multiple_of"}
                       for name, decl in data["symbols"].items()}
    doc = _from_data(data, "document")
    return doc.network, doc.input


def dump(network: Spec, path: str | Path | None = None, *, format: str | None = None,
         input: Shape | None = None) -> str:
    """Write ``network`` (and its ``input`` shape) as a JSON or YAML document.

    Returns the text; with ``path`` also writes it there. ``format`` is ``"json"`` or
    ``"yaml"``; by default the path's suffix decides (``.yaml``/``.yml``), else JSON.
    The text is canonical (same network, same bytes) and is checked to load back as the
    same network before it is returned.

    >>> import symcost as sc
    >>> H = sc.dim("H", multiple_of=32)
    >>> print(sc.dump(sc.ReLU(), input=sc.Shape(C=3, H=H, W=H), format="yaml"), end="")
    symcost: 2
    symbols:
      H:
        multiple_of: 32
    input:
      layout: N C H W
      N: 1
      C: 3
      H: H
      W: H
    network:
      kind: relu
    """
    fmt = _format_of(format, path, default="json")
    data = to_document(network, input=input)
    text = _yaml_text(data) if fmt == "yaml" else json.dumps(data, indent=2) + "\n"
    again = _read_text(text, fmt, "dump")
    if again.network != network or again.input != input:  # pragma: no cover - a bug guard
        raise SpecFileError("dump: the document would not load back as the same network; "
                            "please report this as a symcost bug.")
    if path is not None:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SpecFileError(f"{path}: cannot write ({exc.strerror or exc}).") from None
    return text


def _yaml_text(data: dict[str, Any]) -> str:
    yaml = _yaml()
    # the pure-Python dumper on every machine: libyaml's emitter formats differently
    return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=False, width=100)


def _declarations(network: Spec, input: Shape | None) -> dict[str, sympy.Symbol]:
    seen: dict[str, tuple[sympy.Symbol, str]] = {}
    for symbol, where in _symbols_used(network, input):
        if SymbolDeclaration.of(symbol) is None:
            raise SpecFileError(
                f"dump: {where} uses {symbol}, a symbol with assumptions of its own; a "
                "document declares sizes (symcost.dim) and positive numbers "
                f"(sympy.Symbol({symbol.name!r}, positive=True)) only. Substitute one of "
                "those before saving.")
        first = seen.setdefault(symbol.name, (symbol, where))
        if first[0] != symbol:
            raise SpecFileError(
                f"dump: the name {symbol.name!r} stands for two different symbols: "
                f"{_described(first[0])} at {first[1]} and {_described(symbol)} at {where}. "
                f"Use one symbol per name, e.g. dim({symbol.name!r}, multiple_of=...) "
                "everywhere.")
    return {name: symbol for name, (symbol, _) in seen.items()}


def _described(symbol: sympy.Symbol) -> str:
    m = multiple_of(symbol)
    if not is_dim(symbol):
        return "a non-dim symbol"
    return f"a multiple of {m}" if m != 1 else "a plain dim"


def _symbols_used(network: Spec, input: Shape | None) -> Iterator[tuple[sympy.Symbol, str]]:
    """Every free symbol with the first place it occurs, in a fixed order.

    A :class:`Custom` layer's N, C, H, W name the axes of its input, not document symbols.
    """
    stack: list[tuple[Any, str, bool]] = [(network, "network", False)]
    if input is not None:
        stack.append((input, "input", False))
    while stack:
        value, where, custom = stack.pop()
        if isinstance(value, Shape):
            stack.extend((v, f"{where}.{n}", custom) for n, v in reversed(value.axes().items()))
        elif isinstance(value, BaseModel):
            inner = custom or isinstance(value, Custom)
            fields = list(type(value).model_fields)
            stack.extend((getattr(value, f), f"{where}.{f}", inner) for f in reversed(fields))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, f"{where}[{i}]", custom) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, dict):
            stack.extend((v, f"{where}.{k}", custom) for k, v in reversed(list(value.items())))
        elif isinstance(value, sympy.Basic):
            for symbol in sorted(value.free_symbols, key=lambda s: s.name):
                if not (custom and symbol.name in CUSTOM_AXES):
                    yield symbol, where


# ------------------------------------------------------------------------ reading


def load(source: str | Path | bytes, *, format: str | None = None) -> Spec:
    """Read a network from a document: a path, or the document's text.

    A ``str`` is document text when it starts with ``{`` or spans several lines, else a
    path. ``format`` (``"json"``/``"yaml"``) defaults to the path's suffix, or to JSON for
    text that starts with ``{`` and YAML otherwise. Use :func:`load_document` for the input
    shape and the symbols too.

    >>> import symcost as sc
    >>> sc.load('{"symcost": 1, "network": {"kind": "relu"}}')
    ReLU()
    """
    return load_document(source, format=format).network


def load_document(source: str | Path | bytes, *, format: str | None = None) -> Document:
    """Read a document: its network, input shape and declared symbols (see :func:`load`)."""
    if isinstance(source, Path) or (isinstance(source, str) and not _is_text(source)):
        path = Path(source)
        text = _read_file(path)
        return _read_text(text, _format_of(format, path, default=_sniff(text)), str(path))
    if isinstance(source, bytes):
        source = _decode(source, "document")
    if not isinstance(source, str):
        raise SpecFileError(f"load: expected a path or the document's text, got "
                            f"{type(source).__name__}.")
    source = source.removeprefix("\ufeff")  # a byte-order mark is not part of the document
    return _read_text(source, _format_of(format, None, default=_sniff(source)), "document")


def _is_text(source: str) -> bool:
    return source.lstrip("\ufeff \t\r").startswith(("{", "[")) or "\n" in source \
        or len(source) > 4096


def _sniff(text: str) -> str:
    return "json" if text.lstrip().startswith(("{", "[")) else "yaml"


def _format_of(format: str | None, path: str | Path | None, default: str) -> str:
    if format is None:
        suffix = Path(path).suffix.lower() if path is not None else ""
        return {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, default)
    if format not in _FORMATS:
        raise SpecFileError(f"format: {format!r} is not a document format. Use 'json' or "
                            "'yaml'.")
    return format


def _read_text(text: str, fmt: str, source: str) -> Document:
    if len(text) > MAX_DOCUMENT_BYTES or len(text.encode("utf-8", "replace")) \
            > MAX_DOCUMENT_BYTES:
        raise SpecFileError(f"{source}: larger than the limit of {MAX_DOCUMENT_BYTES} bytes.")
    data = _parse_yaml(text, source) if fmt == "yaml" else _parse_json(text, source)
    _check_values(data, source)
    return _from_data(data, source)


# ---- structure


def _from_data(data: Any, source: str) -> Document:
    if not isinstance(data, dict):
        raise SpecFileError(f"{source}: expected an object with a 'network' (a spec with a "
                            f"'kind'), got {_type_name(data)}.")
    if "kind" in data:  # a bare spec
        return Document(_network(data, source, "network"), None, {})
    unknown = [k for k in data if k not in _TOP_KEYS]
    if unknown:
        bad = unknown[0]
        near = difflib.get_close_matches(bad, _TOP_KEYS, n=1)
        hint = f"did you mean {near[0]}?" if near else \
            "a document has the keys " + ", ".join(_TOP_KEYS) + "."
        raise SpecFileError(f"{source}: {bad}: unknown field; {hint}")
    if "network" not in data:
        raise SpecFileError(f"{source}: no 'network'. A document is "
                            '{"symcost": 2, "symbols": {...}, "input": {...}, '
                            '"network": {"kind": ...}}.')
    strict = "symcost" in data
    if strict and (type(data["symcost"]) is not int or data["symcost"] not in READ_VERSIONS):
        raise SpecFileError(f"{source}: symcost: format version {data['symcost']!r} is not "
                            "one this version reads (it reads "
                            + " and ".join(map(str, READ_VERSIONS)) + ").")
    given = data.get("symbols")
    symbols = _symbols({} if given is None else given, source)
    with declared(symbols):
        network = _network(data["network"], source, "network")
        shape = _input(data.get("input"), source)
    if strict:
        for symbol, where in _symbols_used(network, shape):
            if symbol.name not in symbols:
                raise SpecFileError(
                    f"{source}: {where}: the symbol {symbol.name!r} is not declared. Add it "
                    f'to "symbols", e.g. "symbols": {{"{symbol.name}": {{}}}} (or '
                    f'{{"multiple_of": 32}} for a size that is a multiple of 32).')
    return Document(network, shape, symbols)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", int: "an integer",
            float: "a number", bool: "a boolean", type(None): "null"}.get(type(value),
                                                                           type(value).__name__)


_SYMBOLS_ADAPTER: TypeAdapter = TypeAdapter(dict[str, SymbolDeclaration])


def _symbols(data: Any, source: str) -> dict[str, sympy.Symbol]:
    if not isinstance(data, dict):
        raise SpecFileError(f"{source}: symbols: expected an object such as "
                            f'{{"H": {{"multiple_of": 32}}, "C_in": {{}}}}, got '
                            f"{_type_name(data)}.")
    out = {}
    for name, declaration in data.items():
        try:
            _check_name(name, f"symbols.{name}")
        except DimensionError as exc:
            raise SpecFileError(f"{source}: {exc}") from None
        if declaration is None:
            declaration = {}
        if not isinstance(declaration, dict):
            raise SpecFileError(f"{source}: symbols.{name}: expected an object, {{}} or "
                                f'{{"multiple_of": 32}}, got {_type_name(declaration)}.')
        parsed = _validated(SymbolDeclaration.model_validate, declaration, source,
                            f"symbols.{name}", SymbolDeclaration)
        out[name] = parsed.symbol(name)
    return out


def _network(data: Any, source: str, where: str) -> Spec:
    if not isinstance(data, dict):
        raise SpecFileError(f"{source}: {where}: expected a spec (an object with a 'kind'), "
                            f"got {_type_name(data)}.")
    try:
        return _validated(spec_adapter().validate_python, data, source, where)
    except RecursionError:  # pragma: no cover - _check_values bounds the depth first
        raise SpecFileError(f"{source}: {where}: nests too deeply.") from None


def _input(data: Any, source: str) -> Shape | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SpecFileError(f"{source}: input: expected an object such as "
                            f'{{"C": 3, "H": "H", "W": "W"}}, got {_type_name(data)}.')
    return _validated(Shape.from_json, data, source, "input")


def _validated(validate: Any, data: dict, source: str, where: str, cls: Any = None) -> Any:
    """``validate(data)``, its errors located in the file (``network.layers[3].kernal_size:
    unknown field; did you mean kernel_size?``)."""
    try:
        with reraise_validation(where, data, cls):
            return validate(data)
    except SpecError as exc:
        path = f"{where}.{exc.field}" if exc.field else where
        raise SpecFileError(f"{source}: {path}: {_sentence(exc)}") from None


def _sentence(exc: SpecError) -> str:
    """The detail of a validation error, as ``unknown field; did you mean kernel_size?``."""
    text = exc.detail
    return text.replace(". Did you mean", "; did you mean")


# ------------------------------------------------------------------------ the former API


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"symcost.{old} is deprecated and will be removed: use symcost.{new}, "
                  "which declare the symbols so that a document loads as the same network.",
                  DeprecationWarning, stacklevel=3)


def spec_to_json(spec: Spec, *, input: Shape | None = None, indent: int | None = 2) -> str:
    """Deprecated: use :func:`dump` (``sc.dump(net, input=x)``)."""
    _deprecated("spec_to_json", "dump(network, input=shape)")
    return json.dumps(to_document(spec, input=input), indent=indent)


def document(spec: Spec, *, input: Shape | None = None) -> dict[str, Any]:
    """Deprecated: use :func:`to_document`."""
    _deprecated("io.document", "io.to_document")
    return to_document(spec, input=input)


def spec_from_json(text: str | bytes, *, source: str = "document") -> tuple[Spec, Shape | None]:
    """Deprecated: use :func:`load_document` (``doc.network``, ``doc.input``)."""
    _deprecated("spec_from_json", "load_document(text)")
    if isinstance(text, bytes):
        text = _decode(text, source)
    doc = _read_text(text, "json", source)
    return doc.network, doc.input


def load_spec(path: str | Path) -> tuple[Spec, Shape | None]:
    """Deprecated: use :func:`load_document` (``doc.network``, ``doc.input``)."""
    _deprecated("load_spec", "load_document(path)")
    doc = load_document(Path(path))
    return doc.network, doc.input
