"""Reading untrusted document text: bytes decoded with a size limit, JSON and YAML parsed
with bounds on nesting, values, strings and integer digits, YAML read by its 1.2 core rules
with no tags, duplicate keys refused. What comes out is plain data (dicts, lists, strings,
numbers) for :mod:`symcost.io` to validate as a network document. Nothing here runs code."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from .errors import SpecFileError

__all__ = ["MAX_DOCUMENT_BYTES", "MAX_NESTING", "MAX_VALUES", "MAX_STRING", "MAX_INT_DIGITS"]

#: Largest document read, in bytes (the largest built-in network is about 65 kB as JSON).
MAX_DOCUMENT_BYTES = 2_000_000
#: Deepest nesting of objects and arrays in a document.
MAX_NESTING = 100
#: Most values (objects, arrays and scalars, aliases counted each time used) in a document.
MAX_VALUES = 100_000
#: Longest string value, in characters (expressions have their own, smaller limit).
MAX_STRING = 10_000
#: Integers in a document have at most this many decimal digits.
MAX_INT_DIGITS = 40


def _read_file(path: Path) -> str:
    shown = str(path) if str(path).isprintable() else repr(str(path))
    try:
        size = path.stat().st_size
        if size <= MAX_DOCUMENT_BYTES:
            with path.open("rb") as handle:
                raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SpecFileError(f"{shown}: cannot read ({getattr(exc, 'strerror', None) or exc})."
                            ) from None
    if size > MAX_DOCUMENT_BYTES:
        raise SpecFileError(f"{shown}: {size} bytes, larger than the limit of "
                            f"{MAX_DOCUMENT_BYTES}.")
    return _decode(raw, shown)


def _decode(raw: bytes, source: str) -> str:
    """A document's bytes as text: bounded in size, UTF-8 only."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise SpecFileError(f"{source}: {len(raw)} bytes, larger than the limit of "
                            f"{MAX_DOCUMENT_BYTES}.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecFileError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})."
                            ) from None




def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise SpecFileError(f"{source}: the key {exc.key!r} appears twice in one object. "
                            "Keep one.") from None
    except json.JSONDecodeError as exc:
        raise SpecFileError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno}). Check the file's syntax.") from None
    except RecursionError:
        raise SpecFileError(f"{source}: nests deeper than {MAX_NESTING} levels.") from None
    except ValueError as exc:  # NaN/Infinity, integers beyond Python's digit limit
        if "digits" in str(exc):
            raise SpecFileError(f"{source}: an integer of more than {MAX_INT_DIGITS} digits; "
                                "sizes that large are not sizes.") from None
        raise SpecFileError(f"{source}: not valid JSON ({exc}).") from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a document may hold")


def _yaml():
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is in the test extra
        raise SpecFileError("YAML documents need PyYAML: pip install 'symcost[yaml]' (or "
                            "save the document as JSON).") from None
    return yaml


def _parse_yaml(text: str, source: str) -> Any:
    yaml = _yaml()
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _scan_yaml(yaml, text, base, source)
        return yaml.load(text, Loader=_strict_loader(yaml, base))
    except _DuplicateKey as exc:
        raise SpecFileError(f"{source}: the key {exc.key!r} appears twice in one mapping. "
                            "Keep one.") from None
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # PyYAML >= 6.0.4 stops deep nesting itself
            raise SpecFileError(f"{source}: nests deeper than {MAX_NESTING} levels.") from None
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise SpecFileError(f"{source}: not valid YAML ({exc.problem}{where}). Documents "
                            "use plain YAML: no tags such as !!python/object.") from None
    except yaml.YAMLError as exc:
        raise SpecFileError(f"{source}: not valid YAML ({exc}).") from None
    except RecursionError:  # pragma: no cover - the event scan stops deep nesting first
        raise SpecFileError(f"{source}: nests deeper than {MAX_NESTING} levels.") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # a scalar its resolver cannot turn into a value (an integer beyond the digit limit)
        raise SpecFileError(f"{source}: not valid YAML ({exc}).") from None


def _scan_yaml(yaml, text: str, base: type, source: str) -> None:
    """Bound nesting and values on the event stream, before anything is built: libyaml's
    composer recurses in C (``'[' * 10**5`` crashes the interpreter) and building objects
    is what costs time."""
    stack: list[list[bool]] = []  # per open collection: [is_mapping, next node is a key]
    values = 0
    node_events = (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                   yaml.SequenceStartEvent)
    for event in yaml.parse(text, Loader=base):
        if isinstance(event, node_events):
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[1]:
                top[1] = False  # a mapping key
            else:
                if top is not None and top[0]:
                    top[1] = True
                values += 1
                if values > MAX_VALUES:
                    raise SpecFileError(f"{source}: more than {MAX_VALUES} values.")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([isinstance(event, yaml.MappingStartEvent), True])
                if len(stack) > MAX_NESTING:
                    raise SpecFileError(f"{source}: nests deeper than {MAX_NESTING} levels.")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()


_LOADERS: dict[type, type] = {}

#: Plain scalars read as YAML 1.2's core schema: decimal integers only (no 0x1F, 0o17,
#: 1_000 or 190:20:30), true/false only (no yes/on), no timestamps.
_CORE_RESOLVERS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
)


def _strict_loader(yaml, base: type) -> type:
    """``base`` (a safe loader) that refuses duplicate keys within one mapping."""
    if base not in _LOADERS:
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                keys = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in keys
                    except TypeError:
                        raise yaml.constructor.ConstructorError(
                            None, None, "a mapping key must be a plain string",
                            key_node.start_mark) from None
                    if duplicate:
                        raise _DuplicateKey(str(key))
                    keys.add(key)
            return base.construct_mapping(self, node, deep=deep)

        loader: Any = type("StrictSafeLoader", (base,), {
            "construct_mapping": construct_mapping, "yaml_implicit_resolvers": {}})
        for tag, pattern, first in _CORE_RESOLVERS:
            loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
        _LOADERS[base] = loader
    return _LOADERS[base]


def _check_values(data: Any, source: str) -> None:
    """Bound the parsed data (values, depth, numbers, strings) and keep it to JSON types."""
    count = 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise SpecFileError(f"{source}: more than {MAX_VALUES} values (YAML aliases count "
                                "each time they are used).")
        if depth > MAX_NESTING:
            raise SpecFileError(f"{source}: nests deeper than {MAX_NESTING} levels.")
        label = where or "the document"
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise SpecFileError(f"{source}: {label}: the key {key!r} is not a string.")
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if value.bit_length() > 3.33 * MAX_INT_DIGITS and \
                    len(str(abs(value))) > MAX_INT_DIGITS:
                raise SpecFileError(f"{source}: {label}: an integer of more than "
                                    f"{MAX_INT_DIGITS} digits.")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise SpecFileError(f"{source}: {label}: {value} is not a number a document "
                                    "may hold. Sizes are integers or expressions.")
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                raise SpecFileError(f"{source}: {label}: a string of {len(value)} characters "
                                    f"(the limit is {MAX_STRING}).")
        else:
            raise SpecFileError(f"{source}: {label}: a {type(value).__name__} value; "
                                "documents hold only objects, arrays, strings, numbers, "
                                "booleans and null.")
