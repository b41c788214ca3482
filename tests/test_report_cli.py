"""Reports in every format, and the command line."""

import json
import subprocess
import sys

import pytest

import symcost as sc
from symcost.cli import main

H, W = sc.dims("H W")


@pytest.fixture(scope="module")
def mobilenet():
    return sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=H, W=W), "macs")


def test_text_markdown_latex_json_agree_on_the_total(mobilenet):
    values = mobilenet.evaluate(H=224, W=224)
    assert "568,740,352" in values.to_text()
    assert "**568,740,352**" in values.to_markdown()
    latex = values.to_latex(caption="MobileNetV1 at 224", label="tab:mnv1")
    assert r"568\,740\,352" in latex and r"\toprule" in latex and r"\label{tab:mnv1}" in latex
    data = json.loads(values.to_json())
    assert data["total"]["macs"] == 568_740_352 and data["values"] == {"H": 224, "W": 224}
    assert data["uncosted"] == []


def test_symbolic_reports_show_closed_forms(mobilenet):
    text = mobilenet.to_text(depth=1)
    assert "floor" in text  # plain H, W keep their exact floors
    data = json.loads(mobilenet.to_json(depth=1))
    assert isinstance(data["total"]["macs"], str) and "H" in data["total"]["macs"]
    # floors are shown (without \left/\right, so that long formulas can break)
    assert r"\lfloor" in mobilenet.to_latex(depth=1)


def test_html_for_jupyter(mobilenet):
    html = mobilenet._repr_html_()
    assert html.startswith("<div>") and "<table>" in html and "\\(" in html
    numeric = mobilenet.evaluate(H=224, W=224)._repr_html_()
    assert "%" in numeric  # share of total


def test_latex_escapes_names():
    net = sc.Sequential(name="my_net", layers=[sc.ReLU(name="a_b&c")])
    out = net.cost(sc.Shape(C=1, H=2, W=2)).evaluate().to_latex()
    assert r"a\_b\&c" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_cli_report_every_format(fmt, capsys):
    assert main(["report", "mobilenet_v1", "--at", "H=224", "W=224", "--convention",
                 "macs", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "568" in out and "740" in out


def test_cli_closed_forms_without_at_have_no_floors(capsys):
    assert main(["report", "mobilenet_v1", "--convention", "macs", "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "22629*H*W/2 + 1024000" in out and "floor" not in out


def test_cli_falls_back_to_exact_floors_for_odd_sizes(capsys):
    assert main(["report", "mobilenet_v1", "--at", "H=200", "W=190", "--convention",
                 "macs"]) == 0
    expected = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=200, W=190), "macs").total.macs
    assert f"{int(expected):,}" in capsys.readouterr().out


def test_cli_params_and_json_files(tmp_path, capsys):
    assert main(["report", "mobilenet_v1", "--param", "alpha=0.5", "--at", "H=224",
                 "W=224", "--convention", "macs", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["macs"] == 149_497_088
    doc = tmp_path / "net.json"
    doc.write_text(sc.dump(sc.zoo.mobilenet_v1(), input=sc.Shape(C=3, H=H, W=W)))
    assert main(["report", str(doc), "--at", "H=224", "W=224", "--convention", "macs"]) == 0
    assert "568,740,352" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["report", "resnet9000"], ["no built-in network", "mobilenet_v1"]),
    (["report", "mobilenet_v1", "--convention", "fvcorez"], ["unknown name", "seed"]),
    (["report", "mobilenet_v1", "--at", "H224"], ["NAME=VALUE"]),
    (["report", "mobilenet_v1", "--at", "H=-3", "W=2"], ["positive integer"]),
    (["report", "mobilenet_v1", "--param", "beta=2"], ["--param", "beta"]),
    (["report", "missing.json"], ["missing.json", "cannot read"]),
])
def test_cli_errors_are_clear(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symcost: error:")
    for word in words:
        assert word in err


def test_cli_malformed_and_inputless_files(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["report", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    inputless = tmp_path / "n.json"
    inputless.write_text(json.dumps({"network": {"kind": "relu"}}))
    assert main(["report", str(inputless)]) == 2
    assert "'input'" in capsys.readouterr().err
    typo = tmp_path / "t.json"
    typo.write_text(json.dumps({"network": {"kind": "conv2d", "in_channels": 3,
                                            "out_channels": 4, "kernal_size": 3},
                                "input": {"C": 3, "H": 8, "W": 8}}))
    assert main(["report", str(typo)]) == 2
    assert "kernel_size" in capsys.readouterr().err


def test_list_and_conventions(capsys):
    assert main(["list"]) == 0 and "mobilenet_v1" in capsys.readouterr().out
    assert main(["conventions"]) == 0 and "seed" in capsys.readouterr().out


def test_console_script_module_runs():
    proc = subprocess.run([sys.executable, "-m", "symcost.cli", "report", "mobilenet_v1",
                           "--at", "H=224", "W=224", "--depth", "1"],
                          capture_output=True, text=True, check=True)
    assert "mobilenet_v1" in proc.stdout
