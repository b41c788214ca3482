"""Spec files: load/dump of JSON and YAML documents, their schema, the shipped examples,
exact evaluation at huge sizes and byte-identical output across runs and hash seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import sympy
import yaml

import symcost as sc
from symcost.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
H32, W32 = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)


def _net():
    c_in, c_out, k = sc.dims("C_in C_out K")
    return sc.Sequential(layers=[
        sc.Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, padding="same"),
        sc.BatchNorm2d(num_features=c_out), sc.ReLU(),
        sc.MaxPool2d(kernel_size=2, stride=2),
        sc.Custom(label="attn", counts={"mac": "2*N*C*H*W*H*W"}),
    ], name="demo")


# --------------------------------------------------------------------- load / dump


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_dump_load_keeps_multiple_of_symbols(fmt):
    x = sc.Shape(C=sc.dim("C_in"), H=H32, W=W32)
    net = _net()
    text = sc.dump(net, input=x, format=fmt)
    doc = sc.load_document(text, format=fmt)
    assert doc.network == net and doc.input == x
    assert doc.input.H == H32 and doc.input.H != sc.dim("H")
    assert {n: getattr(s, "multiple", 1) for n, s in doc.symbols.items()} == {
        "C_in": 1, "C_out": 1, "H": 32, "K": 1, "W": 32}
    # the multiple survives into the formula: no floors for a /2 pool of a multiple of 32
    assert "floor" not in str(doc.network.cost(doc.input).macs)
    assert sc.load(text) == net  # format sniffed from the text


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_symbolic_width_multiplier_round_trips(fmt):
    # notebook 02's alpha: a positive real symbol, declared {"integer": false}
    alpha = sympy.Symbol("alpha", positive=True)
    net, x = sc.zoo.mobilenet_v1(alpha=alpha), sc.Shape(C=3, H=H32, W=W32)
    doc = sc.load_document(sc.dump(net, input=x, format=fmt))
    assert doc.symbols["alpha"] == alpha and doc.network == net
    assert doc.network.cost(x, "macs").macs == net.cost(x, "macs").macs
    with pytest.raises(sc.SpecFileError, match="only an integer size"):
        sc.load('{"symcost": 1, "symbols": {"a": {"integer": false, "multiple_of": 2}}, '
                '"network": {"kind": "relu"}}')


def test_document_shape_as_the_issue_spells_it():
    doc = json.loads(sc.dump(sc.ReLU(), input=sc.Shape(C=3, H=H32, W=W32)))
    assert doc == {"symcost": 2, "symbols": {"H": {"multiple_of": 32},
                                             "W": {"multiple_of": 32}},
                   "input": {"layout": "N C H W", "N": 1, "C": 3, "H": "H", "W": "W"},
                   "network": {"kind": "relu"}}


def test_version_2_gives_the_layout_and_version_1_still_loads():
    B, T = sc.dims("B T")
    seq = sc.Shape(N=B, L=T, D=768)
    doc = json.loads(sc.dump(sc.LayerNorm(normalized_shape=768), input=seq))
    assert doc["input"] == {"layout": "N L D", "N": "B", "L": "T", "D": 768}
    assert sc.load_document(json.dumps(doc)).input == seq
    # a version-1 file had no layout: its axes are N, C, H, W in that order, keys in any order
    old = sc.load_document('{"symcost": 1, "symbols": {"H": {}}, "input": {"W": 8, "H": "H", '
                           '"C": 3}, "network": {"kind": "relu"}}')
    assert old.input == sc.Shape(N=1, C=3, H=sc.dim("H"), W=8)
    with pytest.raises(sc.SpecFileError, match="layout names the axes"):
        sc.load('{"symcost": 2, "input": {"layout": "N L", "N": 1, "D": 3}, '
                '"network": {"kind": "relu"}}')


def test_paths_and_suffixes(tmp_path):
    net, x = _net(), sc.Shape(C=sc.dim("C_in"), H=H32, W=W32)
    for name in ("n.yaml", "n.yml", "n.json"):
        text = sc.dump(net, tmp_path / name, input=x)
        assert (tmp_path / name).read_text() == text
        assert text.startswith("{") == name.endswith(".json")
        assert sc.load(tmp_path / name) == net and sc.load(str(tmp_path / name)) == net
        doc = sc.load_document(tmp_path / name)
        assert (doc.network, doc.input) == (net, x)


def test_legacy_documents_still_load():
    net = sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3)
    assert sc.load('{"network": {"kind": "conv2d", "in_channels": 3, "out_channels": 8, '
                   '"kernel_size": 3}}') == net
    assert sc.load('{"kind": "relu"}') == sc.ReLU()
    with pytest.warns(DeprecationWarning, match="use symcost.dump"):
        text = sc.spec_to_json(net, input=sc.Shape(C=3, H=8, W=8))
    with pytest.warns(DeprecationWarning, match="use symcost.load_document"):
        spec, shape = sc.spec_from_json(text)  # the former API still reads and writes
    assert spec == net and shape == sc.Shape(C=3, H=8, W=8)


@pytest.mark.parametrize("text, words", [
    # the issue's example: a path in the file and a did-you-mean
    ('{"symcost": 1, "network": {"kind": "sequential", "layers": [{"kind": "relu"}, '
     '{"kind": "relu"}, {"kind": "relu"}, {"kind": "conv2d", "in_channels": 3, '
     '"out_channels": 4, "kernal_size": 3}]}}',
     ["network.layers[3].kernal_size: unknown field; did you mean kernel_size?"]),
    ('{"symcost": 1, "netwrk": {"kind": "relu"}}', ["netwrk: unknown field; did you mean "
                                                     "network?"]),
    ('{"symcost": 1, "input": {"C": 3, "Hh": 8}, "network": {"kind": "relu"}}',
     ["input.Hh: unknown field; did you mean H?"]),
    ('{"symcost": 1, "network": {"kind": "conv2d", "in_channels": "C", "out_channels": 4, '
     '"kernel_size": 3}}', ["network.in_channels", "'C' is not declared", '"symbols"']),
    ('{"symcost": 1, "symbols": {"C": {"multiple_of": 0}}, "network": {"kind": "relu"}}',
     ["symbols.C.multiple_of", "greater than or equal to 1"]),
    ('{"symcost": 1, "symbols": {"C": {"multiple_of": 2.5}}, "network": {"kind": "relu"}}',
     ["symbols.C.multiple_of"]),
    ('{"symcost": 1, "symbols": {"H": {"multiple": 32}}, "network": {"kind": "relu"}}',
     ["symbols.H.multiple: unknown field; did you mean multiple_of?"]),
    ('{"symcost": 1, "symbols": {"floor": {}}, "network": {"kind": "relu"}}',
     ["'floor' is not a usable dimension name"]),
    ('{"symcost": 3, "network": {"kind": "relu"}}', ["format version 3"]),
    ('{"symcost": 1, "network": {"kind": "relu", "name": NaN}}', ["NaN"]),
    ('{"symcost": 1, "network": {"kind": "relu"}, "network": {"kind": "tanh"}}',
     ["'network' appears twice"]),
    ("symcost: 1\nnetwork: !!python/object/apply:os.system ['true']\n", ["not valid YAML"]),
    ("symcost: 1\nnetwork: {kind: relu}\nnetwork: {kind: tanh}\n", ["appears twice"]),
    ("symcost: 1\nnetwork: {kind: conv2d, in_channels: 3, out_channels: 4, kernel_size: "
     "3.0}\n", ["network.kernel_size", "3.0"]),
    ("symcost: 1\nnetwork: {kind: conv2d, in_channels: 3, out_channels: 4, kernel_size: "
     "0x1F}\n", ["network.kernel_size", "decimal"]),
    ('{"symcost": 1, "network": {"kind": "sequential", "layers": [{"kind": "Relu"}]}}',
     ["network.layers[0].kind: unknown kind 'Relu'; did you mean relu?"]),
    ('{"symcost": 1, "network": {"layers": []}}', ["network.kind: no 'kind'"]),
    ("[" * 100_000, ["nests deeper than 100"]),  # libyaml alone crashes the interpreter
])
def test_errors_name_the_place_in_the_file(text, words):
    with pytest.raises(sc.SpecFileError) as info:
        sc.load(text)
    for word in words:
        assert word in str(info.value)


def test_dump_refuses_networks_without_a_faithful_document():
    h = sc.dim("H")
    net = sc.Sequential(layers=[sc.Conv2d(in_channels=3, out_channels=h, kernel_size=1),
                                sc.Conv2d(in_channels=H32, out_channels=4, kernel_size=1)])
    with pytest.raises(sc.SpecFileError, match="two different symbols"):
        sc.dump(net)
    odd = sympy.Symbol("b", negative=True)
    with pytest.raises(sc.SpecFileError, match="assumptions of its own"):
        sc.dump(sc.Conv2d(in_channels=odd**2, out_channels=3, kernel_size=1))
    with pytest.raises(sc.SpecFileError, match="format"):
        sc.dump(sc.ReLU(), format="toml")


def test_limits_have_clear_errors():
    from symcost import io

    with pytest.raises(sc.SpecFileError, match="larger than the limit"):
        sc.load('{"network": {"kind": "relu"}}' + " " * io.MAX_DOCUMENT_BYTES)
    with pytest.raises(sc.SpecFileError, match=f"more than {io.MAX_VALUES} values"):
        sc.load("[" + "1," * io.MAX_VALUES + "1]")
    with pytest.raises(sc.SpecFileError, match=f"more than {io.MAX_VALUES} values"):
        sc.load("- 1\n" * (io.MAX_VALUES + 1), format="yaml")
    with pytest.raises(sc.SpecFileError, match="more than 40 digits"):
        sc.load('{"network": {"kind": "repeat", "times": ' + "9" * 41 + ', "body": '
                '{"kind": "relu"}}}')


# --------------------------------------------------------------------- schema, examples


def _schema_text() -> str:
    import contextlib
    import io as _io

    out = _io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    return out.getvalue()


def test_committed_schema_is_what_symcost_schema_prints():
    # regenerate with: symcost schema > examples/symcost.schema.json
    assert (EXAMPLES / "symcost.schema.json").read_text() == _schema_text()


def test_schema_knows_every_kind():
    schema = json.loads(_schema_text())
    text = json.dumps(schema)
    for kind in sc.spec.kind_classes():
        assert f'"const": "{kind}"' in text, kind
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", sorted(p.name for p in EXAMPLES.iterdir()
                                        if p.suffix in (".json", ".yaml")
                                        and p.name != "symcost.schema.json"))
def test_examples_validate_against_the_schema_and_load(path):
    schema = json.loads((EXAMPLES / "symcost.schema.json").read_text())
    data = yaml.safe_load((EXAMPLES / path).read_text())
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    doc = sc.load_document(EXAMPLES / path)
    assert doc.input is not None
    # and the file is exactly what dump writes for it
    assert sc.dump(doc.network, input=doc.input, format="yaml" if path.endswith(".yaml")
                   else "json") == (EXAMPLES / path).read_text()


def test_schema_rejects_what_load_rejects():
    schema = json.loads((EXAMPLES / "symcost.schema.json").read_text())
    bad = {"symcost": 1, "network": {"kind": "conv2d", "in_channels": 3, "out_channels": 4,
                                     "kernal_size": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def test_examples_give_the_zoo_numbers():
    # resnet18's MACs at 224x224 (seed convention) equal the zoo model's: the file is the model
    entry = sc.zoo.get("resnet18")
    expected = entry.build().cost(entry.input(), "macs").evaluate(H=224, W=224).macs
    doc = sc.load_document(EXAMPLES / "resnet18.yaml")
    assert doc.network.cost(doc.input, "macs").evaluate(H=224, W=224).macs == expected


def test_cli_reports_yaml_and_dumps(tmp_path, capsys):
    assert main(["report", str(EXAMPLES / "resnet18.yaml"), "--at", "H=224", "W=224",
                 "--convention", "macs", "--format", "json"]) == 0
    # torchvision's resnet18 is quoted at 1.81 GMACs (1,814,073,344 with the fc layer)
    assert json.loads(capsys.readouterr().out)["total"]["macs"] == 1_814_073_344
    out = tmp_path / "m.yaml"
    assert main(["dump", "mobilenet_v1", "--format", "yaml", "--out", str(out)]) == 0
    capsys.readouterr()
    assert out.read_text() == (EXAMPLES / "mobilenet_v1.yaml").read_text()
    assert main(["dump", "mobilenet_v1", "--exact-floors"]) == 0
    assert json.loads(capsys.readouterr().out)["symbols"] == {"H": {}, "W": {}}
    bad = tmp_path / "bad.yaml"
    bad.write_text("symcost: 1\nnetwork: {kind: relu, nmae: x}\n")
    assert main(["report", str(bad)]) == 2
    assert "network.nmae: unknown field; did you mean name?" in capsys.readouterr().err


# --------------------------------------------------------------------- exactness


def test_evaluation_is_exact_beyond_10_18():
    # hand formula (independent of symcost): 3x3 conv, stride 2, padding 1, then the seed's
    # separable replacement; output side floor((H + 2 - 3)/2) + 1
    h, w = sc.dims("H W")
    net = sc.Sequential(layers=[
        sc.Conv2d(in_channels=3, out_channels=64, kernel_size=3, stride=2, padding=1),
        sc.SeparableConv2d(in_channels=64, out_channels=128, kernel_size=3, padding="same"),
    ])
    doc = sc.load_document(sc.dump(net, input=sc.Shape(C=3, H=h, W=w), format="yaml"))
    for hv, wv in [(10**9, 10**9), (10**9 + 1, 10**18 + 7), (3 * 10**20 + 1, 5)]:
        ho, wo = (hv - 1) // 2 + 1, (wv - 1) // 2 + 1
        expected = 3 * 64 * 9 * ho * wo + (64 * 9 * ho * wo + 64 * 128 * ho * wo)
        got = doc.network.cost(doc.input, "macs").evaluate(H=hv, W=wv).macs
        assert type(got) is int and got == expected
    assert expected > 10**18


# --------------------------------------------------------------------- determinism

_PRINT_ALL = """
import sys
import symcost as sc
from symcost.cli import main
for argv in (["report", "separable_vs_regular", "--format", "text"],
             ["report", "examples/resnet18.yaml", "--format", "latex", "--depth", "1"],
             ["report", "mobilenet_v1", "--format", "json", "--convention", "flops"],
             ["dump", "efficientnet_b0", "--format", "yaml"],
             ["dump", "densenet121", "--exact-floors"]):
    main(argv)
names = "Z Y X C_in C_out K Q P A B".split()
syms = sc.dims(" ".join(names))
layers = [sc.Conv2d(in_channels=syms[i], out_channels=syms[i + 1], kernel_size=syms[-1])
          for i in range(len(syms) - 2)]
net = sc.Sequential(layers=layers)
x = sc.Shape(C=syms[0], H=sc.dim("H", multiple_of=8), W=sc.dim("W"))
sys.stdout.write(sc.dump(net, input=x, format="yaml"))
sys.stdout.write(net.analyze(x, "flops").to_text())
sys.stdout.write(net.analyze(x, "flops").to_latex())
"""


def test_output_is_byte_identical_across_hash_seeds():
    procs = [subprocess.Popen([sys.executable, "-c", _PRINT_ALL], cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": seed,
                                   "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for seed in ("0", "1", "4242")]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        outputs.append(out)
    assert len(outputs[0]) > 10_000
    assert outputs[0] == outputs[1] == outputs[2]


def test_the_schema_model_reads_documents_as_load_does():
    # NetworkDocument (the source of the schema) and load agree on the shipped examples
    from symcost.dims import declared
    from symcost.io import NetworkDocument

    for path in ("resnet18.yaml", "separable_vs_regular.json"):
        doc = sc.load_document(EXAMPLES / path)
        with declared(doc.symbols):
            model = NetworkDocument.model_validate(yaml.safe_load((EXAMPLES / path).read_text()))
        assert model.network == doc.network and model.input == doc.input


def test_empty_symbols_and_bad_sources():
    assert sc.load("symcost: 1\nsymbols:\nnetwork: {kind: relu}\n") == sc.ReLU()
    for bad in (123, None, b"\xff\xfe", "no/such/file.yaml", "bad\x00path"):
        with pytest.raises(sc.SpecFileError):
            sc.load(bad)
