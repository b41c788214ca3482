"""Hostile inputs for the expression parser and the document loader, grouped by attack class.

Each generator takes the path of a sentinel file that its code-running payloads try to
create (``touch``, ``open(..., 'w')``); a test and ``benchmarks/fuzz_attacks.py`` feed every
payload to symcost and then check the sentinel does not exist. An attack is
``Attack(cls, target, payload)``: ``target`` is ``"expr"`` (:func:`symcost.parse`),
``"json"`` or ``"yaml"`` (:func:`symcost.load` with that format). Every one must end in a
:class:`symcost.SymcostError` or load correctly, quickly, and run nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import symcost as sc


@dataclass(frozen=True)
class Attack:
    """One hostile input."""

    cls: str
    target: str  # "expr", "json" or "yaml"
    payload: str | bytes

    @property
    def label(self) -> str:
        text = self.payload if isinstance(self.payload, str) else self.payload.decode(
            "utf-8", "replace")
        return f"{self.cls}/{self.target}: {text[:50]!r}"


def run(attack: Attack) -> object:
    """Feed one attack to symcost: returns the result, or raises what symcost raised."""
    if attack.target == "expr":
        return sc.parse(attack.payload)  # type: ignore[arg-type]
    return sc.load_document(attack.payload, format=attack.target)


def _doc(value: object, field: str = "kernel_size") -> str:
    """A conv2d document whose ``field`` holds ``value`` (any JSON value)."""
    layer = {"kind": "conv2d", "in_channels": 3, "out_channels": 8, "kernel_size": 3}
    layer[field] = value
    return json.dumps({"symcost": 1, "symbols": {}, "input": {"C": 3, "H": 32, "W": 32},
                       "network": layer})


def _yaml_doc(value: str, field: str = "kernel_size") -> str:
    """The same document in YAML with ``value`` spliced in verbatim."""
    return ("symcost: 1\ninput: {C: 3, H: 32, W: 32}\nnetwork:\n  kind: conv2d\n"
            f"  in_channels: 3\n  out_channels: 8\n  {field}: {value}\n")


def _both(cls: str, exprs: list[str]) -> Iterator[Attack]:
    for text in exprs:
        yield Attack(cls, "expr", text)
        yield Attack(cls, "json", _doc(text))
        yield Attack(cls, "json", _doc(text, "out_channels"))


def injection(sentinel: Path) -> Iterator[Attack]:
    """Code that would create the sentinel if anything evaluated it."""
    s = str(sentinel)
    exprs = [
        f"__import__('os').system('touch {s}')",
        f"__import__('subprocess').call(['touch', '{s}'])",
        f"eval(\"open('{s}', 'w')\")",
        f"exec(\"open('{s}', 'w')\")",
        f"open('{s}', 'w')",
        f"(lambda: open('{s}', 'w'))()",
        f"[open('{s}', 'w') for _ in (1,)]",
        f"(x := open('{s}', 'w'))",
        "H.__class__.__mro__[1].__subclasses__()",
        "().__class__.__bases__[0].__subclasses__()",
        "H.__dict__", "H.__globals__", "__builtins__", "__import__",
        f"floor.__globals__['__builtins__']['open']('{s}', 'w')",
        "sympy.sympify('H')", "H.subs(H, 1)", "globals()", "locals()", "vars()",
        f"f'{{open(\"{s}\", \"w\")}}'", "H if H else W", "H[0]", "{H: W}", "H, W",
        "import os", f"os.system('touch {s}')", "H; W", "yield H", "await H", "*H",
    ]
    yield from _both("injection", exprs)
    # YAML tags that a full loader would turn into calls
    for tag in [f'!!python/object/apply:os.system ["touch {s}"]',
                f'!!python/object/apply:builtins.open ["{s}", "w"]',
                f'!!python/object/new:subprocess.Popen [["touch", "{s}"]]',
                "!!python/name:os.system", "!!python/module:os",
                f'!!python/object/apply:builtins.eval ["open(\'{s}\', \'w\')"]',
                f'!!python/object:builtins.object {{path: "{s}"}}']:
        yield Attack("yaml-tags", "yaml", _yaml_doc(tag))
        yield Attack("yaml-tags", "yaml", f"{tag}\n")
    for tag in ["!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2001-12-14", "!custom 3",
                "!!omap [{a: 1}]", "!!pairs [{a: 1}]", "!!float 3", "!!str 3", "!!int '3'",
                "2001-12-14", "0x1F", "0o17", "1_000", "190:20:30", "yes", "on", "~"]:
        yield Attack("yaml-tags", "yaml", _yaml_doc(tag))


def huge_numbers(sentinel: Path) -> Iterator[Attack]:
    """Numbers that take forever to compute or to print."""
    exprs = ["10**10**10", "9**9**9", "2**64**64", "(10**10)**(10**10)", "10**100",
             "2**-64**2", "H**1000000", "H**-10**9", "1" * 5000, "1" * 41,
             "9" * 40 + "*" + "9" * 40, "2**64 * 2**64 * 2**64 * 2**64 * 2**64 * 2**64",
             "floor(10**40/3)**64", "((H**64)**64)**64", "max(" + "H," * 200 + "H)"]
    yield from _both("huge-numbers", exprs)
    for digits in (41, 1000, 4301, 100_000):
        yield Attack("huge-numbers", "json", _doc(0).replace('"kernel_size": 0',
                                                                '"kernel_size": ' + "7" * digits))
        yield Attack("huge-numbers", "yaml", _yaml_doc("7" * digits))


def deep_nesting(sentinel: Path) -> Iterator[Attack]:
    """Nesting that overflows recursive parsers (libyaml's composer segfaults at ~10**4)."""
    for n in (41, 1000, 10**5):
        yield Attack("deep-nesting", "expr", "(" * n + "H" + ")" * n)
        yield Attack("deep-nesting", "expr", "-" * n + "H")
        yield Attack("deep-nesting", "expr", "floor(" * n + "H" + ")" * n)
        yield Attack("deep-nesting", "json", "[" * n + "]" * n)
        yield Attack("deep-nesting", "json", '{"a":' * n + "1" + "}" * n)
        yield Attack("deep-nesting", "json", _doc(json.loads("[" * min(n, 500) + "]"
                                                             * min(n, 500))))
        yield Attack("deep-nesting", "yaml", "[" * n)
        yield Attack("deep-nesting", "yaml", "[" * n + "]" * n)
        yield Attack("deep-nesting", "yaml", "{a: " * n + "1" + "}" * n)
        yield Attack("deep-nesting", "yaml", "".join("  " * i + "- \n" for i in range(min(n,
                                                                                   3000))))
    for n in (50, 150):  # a network nested as deeply as a document may (and deeper)
        layer: dict = {"kind": "relu"}
        for _ in range(n):
            layer = {"kind": "sequential", "layers": [layer]}
        doc = {"symcost": 1, "input": {"C": 3, "H": 8, "W": 8}, "network": layer}
        yield Attack("deep-nesting", "json", json.dumps(doc))


def long_inputs(sentinel: Path) -> Iterator[Attack]:
    """Megabyte inputs: an expression, a string value, a wide network, an oversize file."""
    mb = 1_000_000
    yield Attack("long-inputs", "expr", "H+" * (mb // 2) + "H")
    yield Attack("long-inputs", "expr", "H" * mb)
    yield Attack("long-inputs", "json", _doc("H" * mb))
    yield Attack("long-inputs", "json", _doc("x" * mb, "name"))
    yield Attack("long-inputs", "yaml", _yaml_doc("x" * mb, "name"))
    relu = '{"kind": "relu"}, '
    count = (mb - 200) // len(relu)
    wide = ('{"symcost": 1, "input": {"C": 3, "H": 8, "W": 8}, "network": {"kind": '
            '"sequential", "layers": [' + relu * count + '{"kind": "relu"}]}}')
    yield Attack("long-inputs", "json", wide)
    yield Attack("long-inputs", "json", ' ' * (3 * mb) + '{"network": {"kind": "relu"}}')
    yield Attack("long-inputs", "json", "[" + "1, " * (mb // 3) + "1]")
    yield Attack("long-inputs", "yaml", "- 1\n" * (mb // 4))
    yield Attack("long-inputs", "json", b"\xff" * 1000)
    yield Attack("long-inputs", "json", '{"network": {"kind": "relu", "name": "'
                 + "\\ud800" * 1000 + '"}}')


def lookalikes(sentinel: Path) -> Iterator[Attack]:
    """Unicode that looks like ASCII sizes, names and keys."""
    exprs = ["\uff13", "\uff11\uff12", "C\u200b_in", "\u0421_in", "\u0397", "H\u200d",
             "\u202eH", "H\u00a0+ W", "H\u2212W", "H\u00d7W", "\u2155", "\U0001d407", "H\x00",
             "\u00b2", "H\u00b2", "\u0661\u0662", "C_\u0456n", "\ufeffH", "H\n+W", "H\t"]
    yield from _both("lookalikes", exprs)
    for key in ["k\u0456nd", "kernel\u200b_size", "\uff4b\uff49\uff4e\uff44"]:
        text = _doc(3).replace('"kernel_size"', json.dumps(key), 1)
        yield Attack("lookalikes", "json", text)
    yield Attack("lookalikes", "json", _doc(3).replace('"conv2d"', '"c\u043env2d"'))
    yield Attack("lookalikes", "yaml", _yaml_doc("\uff13"))
    yield Attack("lookalikes", "json", '{"symcost": 1, "symbols": {"\u041d": {}}, '
                 '"network": {"kind": "relu"}}')


def bad_numbers(sentinel: Path) -> Iterator[Attack]:
    """NaN, infinities, floats and booleans where integers are required."""
    for token in ["NaN", "Infinity", "-Infinity", "3.0", "1e3", "2.5", "1e400", "-0.0",
                  "true", "null", "-3", "0", '"3.0"', '"1e3"', '"nan"', '"inf"', '"oo"',
                  "[3.0, 3]", "[3]", "[3, 3, 3]", "{}", '"3/2"', '"H/2"']:
        yield Attack("bad-numbers", "json", _doc(0).replace('"kernel_size": 0',
                                                               '"kernel_size": ' + token))
    for token in [".nan", ".inf", "-.inf", "3.0", "1e3", "2.5", "true", "null", "'3.0'",
                  "0b11", "+3", "3.", ".5"]:
        yield Attack("bad-numbers", "yaml", _yaml_doc(token))
    yield Attack("bad-numbers", "json", '{"symcost": 1.0, "network": {"kind": "relu"}}')
    yield Attack("bad-numbers", "json", '{"symcost": true, "network": {"kind": "relu"}}')
    yield Attack("bad-numbers", "json", '{"symcost": 1, "symbols": {"H": {"multiple_of": '
                 '32.0}}, "network": {"kind": "relu"}}')
    yield Attack("bad-numbers", "json", '{"symcost": 1, "symbols": {"H": {"multiple_of": '
                 '"32"}}, "network": {"kind": "relu"}}')


def alias_bombs(sentinel: Path) -> Iterator[Attack]:
    """YAML billion laughs: aliases that expand exponentially."""
    for levels in (5, 9, 20):
        lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        for i in range(1, levels):
            lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
        yield Attack("alias-bombs", "yaml", "\n".join(lines) + "\n")
        yield Attack("alias-bombs", "yaml", "\n".join(lines) + f"\nnetwork: *a{levels - 1}\n")
    layer = "x: &r {kind: relu}\n"
    yield Attack("alias-bombs", "yaml", "symcost: 1\n" + "network:\n  kind: sequential\n"
                 "  layers: &l0 [{kind: relu}, {kind: relu}]\n")
    yield Attack("alias-bombs", "yaml", layer + "symcost: 1\nnetwork: *r\n")
    yield Attack("alias-bombs", "yaml", "a: &a [*a]\n")
    yield Attack("alias-bombs", "yaml", "&a [*a, *a]\n")


def duplicate_keys(sentinel: Path) -> Iterator[Attack]:
    """The same key twice: which one wins must never be a guess."""
    yield Attack("duplicate-keys", "json", '{"symcost": 1, "network": {"kind": "relu"}, '
                 '"network": {"kind": "tanh"}}')
    yield Attack("duplicate-keys", "json", _doc(3)[:-2] + ', "kernel_size": 5}}')
    yield Attack("duplicate-keys", "json", '{"symcost": 1, "symbols": {"H": {}, "H": '
                 '{"multiple_of": 2}}, "network": {"kind": "relu"}}')
    yield Attack("duplicate-keys", "yaml", _yaml_doc("3") + "  kernel_size: 5\n")
    yield Attack("duplicate-keys", "yaml", "symcost: 1\nnetwork: {kind: relu}\n"
                 "network: {kind: tanh}\n")
    yield Attack("duplicate-keys", "yaml", "symcost: 1\nnetwork: {kind: relu, kind: tanh}\n")
    yield Attack("duplicate-keys", "yaml", "? [a]\n: 1\n")
    yield Attack("duplicate-keys", "yaml", "1: 2\nnetwork: {kind: relu}\n")
    yield Attack("duplicate-keys", "yaml", "base: &b {kind: relu}\nsymcost: 1\n"
                 "network: {<<: *b, name: x}\n")


def structure(sentinel: Path) -> Iterator[Attack]:
    """Well-formed syntax, wrong structure: unknown kinds and fields, wrong types."""
    docs = [
        [], "", 3, None, {"network": 3}, {"network": []}, {"symcost": 2, "network": {}},
        {"symcost": 1}, {"symcost": 1, "network": {"kind": "__class__"}},
        {"symcost": 1, "network": {"kind": "relu", "__init__": 1}},
        {"symcost": 1, "network": {"kind": "sequential", "layers": [{"kind": "conv2d",
                                   "in_channels": 3, "out_channels": 4, "kernal_size": 3}]}},
        {"symcost": 1, "network": {"kind": "conv2d", "in_channels": "C", "out_channels": 4,
                                   "kernel_size": 3}},
        {"symcost": 1, "symbols": {"C": {"multiple_of": 0}}, "network": {"kind": "relu"}},
        {"symcost": 1, "symbols": {"floor": {}}, "network": {"kind": "relu"}},
        {"symcost": 1, "symbols": {"_x": {}}, "network": {"kind": "relu"}},
        {"symcost": 1, "symbols": [], "network": {"kind": "relu"}},
        {"symcost": 1, "symbols": {"H": {"multiple": 32}}, "network": {"kind": "relu"}},
        {"symcost": 1, "input": {"C": 3, "HH": 3}, "network": {"kind": "relu"}},
        {"symcost": 1, "input": [3, 32, 32], "network": {"kind": "relu"}},
        {"symcost": 1, "netwrk": {"kind": "relu"}},
        {"symcost": 1, "network": {"kind": "graph", "nodes": [{"name": "a", "op":
                                   {"kind": "relu"}, "inputs": ["a"]}]}},
        {"symcost": 1, "network": {"kind": "custom", "counts": {"mac": "__import__('os')"}}},
        {"symcost": 1, "network": {"kind": "custom", "counts": {"system": "1"}}},
        {"symcost": 1, "network": {"kind": "repeat", "times": 10**30, "body": {"kind":
                                                                              "relu"}}},
    ]
    for doc in docs:
        yield Attack("structure", "json", json.dumps(doc))
        yield Attack("structure", "yaml", json.dumps(doc))
    yield Attack("structure", "json", "{not json")
    yield Attack("structure", "yaml", "a: b: c")
    yield Attack("structure", "yaml", "%YAML 9.9\n---\na: 1\n")
    yield Attack("structure", "yaml", "--- a\n--- b\n")
    yield Attack("structure", "yaml", "\x00\x01")


#: Every attack class, in the order the benchmark prints them.
GENERATORS: dict[str, Callable[[Path], Iterator[Attack]]] = {
    "injection": injection, "huge-numbers": huge_numbers, "deep-nesting": deep_nesting,
    "long-inputs": long_inputs, "lookalikes": lookalikes, "bad-numbers": bad_numbers,
    "alias-bombs": alias_bombs, "duplicate-keys": duplicate_keys, "structure": structure,
}


def all_attacks(sentinel: Path) -> list[Attack]:
    """Every fixed attack (the yaml-tags class comes from :func:`injection`)."""
    return [a for make in GENERATORS.values() for a in make(sentinel)]
