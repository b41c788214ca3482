"""The expression parser and the document loader under attack (payloads in tests/attacks.py).

Every input ends in a SymcostError or loads correctly, runs nothing (a sentinel file the
payloads try to create never appears) and never hangs (a 10 s alarm; the benchmark
benchmarks/fuzz_attacks.py reports the slowest rejection, which is well under 1 s).
"""

from __future__ import annotations

import json
import string

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcost as sc

from .attacks import GENERATORS, Attack, all_attacks, run
from .watchdog import watchdog


def _outcome(attack: Attack) -> str:
    with watchdog(10):
        try:
            result = run(attack)
        except sc.SymcostError:
            return "rejected"
    if attack.target == "expr":
        assert isinstance(result, sympy.Expr)
    else:
        assert isinstance(result, sc.io.Document)
    return "loaded"


@pytest.mark.parametrize("cls", list(GENERATORS))
def test_every_attack_is_rejected_or_loaded_and_runs_nothing(cls, tmp_path):
    sentinel = tmp_path / "pwned"
    outcomes = [_outcome(a) for a in GENERATORS[cls](sentinel)]
    assert outcomes and not sentinel.exists()
    if cls in ("injection", "alias-bombs", "duplicate-keys", "deep-nesting"):
        # nothing of these loads, except what a document may legitimately hold
        assert outcomes.count("loaded") <= 12


def test_sentinel_would_be_seen(tmp_path):
    # the check can fail: running a payload's code for real creates the sentinel
    sentinel = tmp_path / "pwned"
    payload = next(a for a in all_attacks(sentinel) if a.payload.startswith("open("))
    eval(payload.payload).close()
    assert sentinel.exists()


@pytest.mark.parametrize("text", ["[" * 100_000, "{a: " * 100_000, "- " * 50_000 + "x"])
def test_libyaml_nesting_crash_is_prevented(text):
    # regression: yaml.load(text, Loader=CSafeLoader) segfaults at this depth with PyYAML
    # 6.0.3 (6.0.4 refuses it itself); either way the user gets the same error
    with pytest.raises(sc.SpecFileError, match="nests deeper"):
        sc.load(text, format="yaml")


def test_yaml_scalars_mean_what_they_show():
    # regression: YAML 1.1 read 0x1F as 31, 190:20:30 as 685230, 010 as 8, yes as True
    for token in ["0x1F", "190:20:30", "0o17", "1_000", "010"]:
        with pytest.raises(sc.SpecFileError):
            sc.load(f"symcost: 1\nnetwork: {{kind: conv2d, in_channels: 3, out_channels: 4,"
                    f" kernel_size: {token}}}\n")
    net = sc.load("symcost: 1\nnetwork: {kind: conv2d, in_channels: 3, out_channels: 4, "
                  "kernel_size: 3, bias: true}\n")
    assert net.kernel_size == 3 and net.bias is True


# ------------------------------------------------------------------ fuzzing

_TOKENS = ["H", "W", "C_in", "(", ")", "+", "-", "*", "/", "//", "**", ",", "floor", "ceil",
           "min", "max", "0", "1", "2", "64", "9" * 45, "__import__", "os", ".", "system",
           "lambda", ":", "[", "]", "eval", "exec", "'", '"', "__class__", "\uff13",
           "\u0391", "\u200b", " ", "\n", "nan", "inf", "1e9", "0x10", "_", "!", "@", "%",
           "if", "else", "not", "and", "{", "}", "=", ":="]

tokens = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)
any_text = st.text(max_size=200) | st.text(string.printable, max_size=200) | tokens

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | tokens,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["kind", "layers", "body", "in_channels", "out_channels",
                         "kernel_size", "name", "network", "input", "symbols", "C", "H",
                         "multiple_of", "branches", "nodes", "op", "n"]) | st.text(max_size=8),
        inner, max_size=5),
    max_leaves=30)
_KINDS = sorted(sc.spec.kind_classes())
layer_dicts = st.fixed_dictionaries({"kind": st.sampled_from(_KINDS)}, optional={
    f: json_values for f in ["in_channels", "out_channels", "kernel_size", "stride",
                             "padding", "groups", "layers", "body", "n", "num_features",
                             "counts", "dims", "scale_factor", "size", "branches", "nodes"]})
documents = st.fixed_dictionaries({"symcost": st.just(1) | json_values, "network":
                                   layer_dicts | json_values},
                                  optional={"symbols": json_values | st.dictionaries(
                                      st.sampled_from(["H", "W", "C_in", "_x", "floor"]),
                                      st.fixed_dictionaries({}, optional={
                                          "multiple_of": json_values}), max_size=3),
                                      "input": json_values})

_FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck))


def _fuzz_parse(text):
    with watchdog(10):
        try:
            assert isinstance(sc.parse(text), sympy.Expr)
        except sc.DimensionError:
            pass


def _fuzz_text(text, fmt):
    with watchdog(10):
        try:
            sc.load_document(text, format=fmt)
        except sc.SymcostError:
            pass


def _fuzz_document(doc, fmt):
    _fuzz_text(json.dumps(doc) if fmt == "json" else _yaml_text(doc), fmt)


def _yaml_text(doc) -> str:
    import yaml

    return yaml.safe_dump(doc)


@settings(max_examples=300, **_FUZZ)
@given(any_text)
def test_fuzz_parse(text):
    _fuzz_parse(text)


@settings(max_examples=200, **_FUZZ)
@given(documents, st.sampled_from(["json", "yaml"]))
def test_fuzz_documents(doc, fmt):
    _fuzz_document(doc, fmt)


@settings(max_examples=200, **_FUZZ)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
       st.sampled_from(["json", "yaml"]))
def test_fuzz_raw_text(text, fmt):
    _fuzz_text(text, fmt)


def _mutated(draw, doc):
    """``doc`` with one value replaced, one key renamed or one key removed, somewhere."""
    doc = json.loads(json.dumps(doc))
    parent, key = None, None
    node = doc
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 5)) > 0:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    if parent is None:
        return draw(json_values)
    action = draw(st.sampled_from(["replace", "rename", "delete"]))
    if action == "replace" or isinstance(parent, list):
        parent[key] = draw(json_values)
    elif action == "rename":
        parent[draw(st.text(max_size=12))] = parent.pop(key)
    else:
        del parent[key]
    return doc


_SEEDS = [sc.io.to_document(sc.zoo.get(n).build(), input=sc.zoo.get(n).input())
          for n in ("resnet18", "mobilenet_v1", "separable_vs_regular")]
mutated_documents = st.builds(lambda d: d, st.sampled_from(_SEEDS)).flatmap(
    lambda d: st.composite(lambda draw: _mutated(draw, d))())


@settings(max_examples=100, **_FUZZ)
@given(mutated_documents, st.sampled_from(["json", "yaml"]))
def test_fuzz_mutated_documents(doc, fmt):
    _fuzz_document(doc, fmt)


@pytest.mark.slow
@settings(max_examples=2_000, **_FUZZ)
@given(mutated_documents, st.sampled_from(["json", "yaml"]))
def test_fuzz_mutated_documents_slow(doc, fmt):
    _fuzz_document(doc, fmt)


@pytest.mark.slow
@settings(max_examples=10_000, **_FUZZ)
@given(any_text)
def test_fuzz_parse_slow(text):
    _fuzz_parse(text)


@pytest.mark.slow
@settings(max_examples=10_000, **_FUZZ)
@given(documents, st.sampled_from(["json", "yaml"]))
def test_fuzz_documents_slow(doc, fmt):
    _fuzz_document(doc, fmt)


@pytest.mark.slow
@settings(max_examples=10_000, **_FUZZ)
@given(st.text(max_size=300), st.sampled_from(["json", "yaml"]))
def test_fuzz_raw_text_slow(text, fmt):
    _fuzz_text(text, fmt)


@pytest.mark.parametrize("text", ["((H**64)**64)**64", "H**64*H**64", "(H**8)**9"])
def test_combined_powers_are_bounded(text):
    # regression: each ** was bounded, their product was not (H**262144 evaluated at
    # H = 10**9 is a 2.4-million-digit integer)
    with pytest.raises(sc.DimensionError, match="exponent limit"):
        sc.parse(text)
