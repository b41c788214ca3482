"""A total that leaves layers out says so everywhere (issue 18, item 1), and a closed form
says when it holds (item 2)."""

import csv
import io
import json
import warnings

import pytest

import symcost as sc
from symcost.report import uncosted_groups, validity

X = sc.Shape(C=3, H="H", W="W")


@pytest.fixture(scope="module")
def partial():
    """A network with two uncosted custom layers (one reason) and one costed conv."""
    net = sc.Sequential(name="partial", layers=[
        sc.Conv2d(in_channels=3, out_channels=8, kernel_size=1),
        sc.Custom(label="mystery", name="m1"), sc.Custom(label="mystery", name="m2")])
    return net.cost(X, "macs")


def test_total_and_evaluate_warn_when_layers_are_uncosted(partial):
    with pytest.warns(sc.SymcostWarning, match=r"INCOMPLETE.*2 uncosted layers"):
        assert partial.total.macs == 24 * sc.dim("H") * sc.dim("W")
    with pytest.warns(sc.SymcostWarning, match="evaluate: INCOMPLETE"):
        assert partial.evaluate(H=2, W=2).macs == 96


def test_the_warning_can_be_made_an_error(partial):
    with warnings.catch_warnings():
        warnings.simplefilter("error", sc.SymcostWarning)
        with pytest.raises(sc.SymcostWarning):
            partial.total  # noqa: B018


def test_a_complete_network_does_not_warn():
    net = sc.Sequential(layers=[sc.Conv2d(in_channels=3, out_channels=8, kernel_size=1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", sc.SymcostWarning)
        result = net.cost(X, "macs")
        result.total  # noqa: B018
        result.evaluate(H=2, W=2)


def _silently(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.SymcostWarning)
        return fn()


@pytest.mark.parametrize("evaluated", [False, True], ids=["symbolic", "numeric"])
def test_every_format_marks_the_total_incomplete(partial, evaluated):
    shown = _silently(lambda: partial.evaluate(H=4, W=4)) if evaluated else partial
    label = "total (INCOMPLETE: 2 uncosted)"
    text = shown.to_text()
    assert [line for line in text.splitlines() if line.startswith(label)], text
    assert f"| **{label}** |" in shown.to_markdown()
    assert rf"\textbf{{{label}}}" in shown.to_latex()
    assert f"<b>{label}</b>" in shown._repr_html_()
    assert list(csv.DictReader(io.StringIO(shown.to_csv())))[-1]["path"] == label
    data = json.loads(shown.to_json())
    assert data["incomplete"] is True
    assert data["uncosted_groups"] == [{"reason": data["uncosted"][0]["reason"], "count": 2,
                                        "paths": ["m1", "m2"]}]
    assert "INCOMPLETE" in shown.to_latex_macros()
    assert "INCOMPLETE: 2 uncosted" in repr(shown)


def test_uncosted_reasons_are_grouped_in_text(partial):
    lines = [x for x in partial.to_text().splitlines() if x.startswith("UNCOSTED")]
    assert len(lines) == 1 and lines[0].startswith("UNCOSTED 2 nodes, custom layer 'mystery'")
    assert lines[0].endswith(": m1, m2")


def test_complete_reports_say_total_and_flag_false():
    result = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=224, W=224), "macs")
    assert json.loads(result.to_json())["incomplete"] is False
    assert "INCOMPLETE" not in result.to_text() + result.to_latex() + result._repr_html_()


def test_groups_split_an_importer_reason_at_the_dash():
    pairs = [("fc", "3-D tensors after `flatten` — torch.nn.Linear"),
             ("norm", "3-D tensors after `flatten` — torch.nn.LayerNorm"),
             ("x", "no symcost mapping for roll — roll")]
    assert uncosted_groups(pairs) == [("3-D tensors after `flatten`", ["fc", "norm"]),
                                      ("no symcost mapping for roll", ["x"])]


# ------------------------------------------------------------------ validity conditions


@pytest.fixture(scope="module")
def resnet():
    h, w = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    return sc.zoo.resnet50().cost(sc.Shape(C=3, H=h, W=w), "macs")


def test_validity_names_each_declared_multiple():
    h, w, c = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32), sc.dim("C",
                                                                             multiple_of=8)
    assert validity([w, h]) == "H, W multiples of 32"
    assert validity([c, h]) == "C a multiple of 8; H a multiple of 32"
    assert validity([sc.dim("H")]) == ""


def test_every_symbolic_format_says_when_the_closed_form_holds(resnet):
    note = "hold for H, W multiples of 32"
    assert "81456*H*W + 2048000" in resnet.to_text(depth=1)
    for shown in (resnet.to_text(depth=1), resnet.to_markdown(depth=1),
                  resnet.to_latex(depth=1), resnet._repr_html_()):
        assert note in shown
    assert json.loads(resnet.to_json())["valid_for"] == "H, W multiples of 32"
    assert "H, W multiples of 32" in resnet.total._repr_latex_()


def test_every_formula_macro_carries_its_condition_in_a_comment(resnet):
    lines = resnet.to_latex_macros(prefix="rn").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(r"\newcommand") and r"\ensuremath" in line:
            name = line.split("}")[0].removeprefix(r"\newcommand{")
            assert lines[i - 1] == f"% {name} holds for H, W multiples of 32 (declared " \
                                   "multiple_of)", lines[i - 1]
    # the params are a number: no condition needed
    params = lines.index(next(x for x in lines if x.startswith(r"\newcommand{\rnParams}")))
    assert not lines[params - 1].startswith(r"% \rnParams")


def test_numbers_and_plain_dims_carry_no_condition(resnet):
    assert "multiples" not in resnet.evaluate(H=224, W=224).to_text()
    plain = sc.zoo.resnet18().cost(sc.Shape(C=3, H="H", W="W"), "macs")
    assert "multiple" not in plain.to_text(depth=1)
    assert json.loads(plain.to_json())["valid_for"] is None


@pytest.mark.parametrize("convention", sc.convention_names())
def test_each_report_says_what_flops_mean(convention):
    result = sc.Sequential(layers=[sc.ReLU()]).cost(X, convention)
    from symcost.report import flops_meaning

    meaning = flops_meaning(convention)
    assert meaning.startswith("FLOPs")
    assert meaning in result.to_text() and meaning in result.to_markdown()
    assert json.loads(result.to_json())["flops_mean"] == meaning
