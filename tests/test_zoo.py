"""The zoo against torchvision and the papers.

Independent sources:
* ``tests/zoo_reference.py``: torchvision's published ``num_params`` and GFLOPS (weight
  metadata of torchvision 0.29.1) and the MobileNet papers' figures;
* ``tests/fixtures/torchvision_counts.json``: counts recorded once from torch 2.14.1's
  ``FlopCounterMode`` on torchvision 0.29.1's models at resolutions that are not multiples
  of 32, by ``tests/fixtures/make_torchvision_counts.py`` (the command is in its docstring).
None of these tests needs torch.
"""

import json
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
import sympy

import symcost as sc
from symcost.cli import main

from .profiles import sweep
from .zoo_reference import MOBILENET_V1_CONV_PAPER, MOBILENET_V2_PAPER, TORCHVISION

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "torchvision_counts.json")
                     .read_text())
COUNTED = sorted(FIXTURE["models"])
# the convolutional image models; the transformers have their own tests
# (tests/test_transformer_zoo.py): token inputs, and attention is not quadratic in H and W
IMAGE_MODELS = [e.name for e in sc.zoo.list_models()
                if e.name != "separable_vs_regular" and e.architecture == "cnn"]
H, W = sc.dims("H W")


def _sizes(key: str) -> tuple[int, int]:
    h, w = key.split("x")
    return int(h), int(w)


@cache
def plain_cost(name: str) -> sc.NetworkCost:
    """The model's cost with plain symbols H and W (exact floors kept)."""
    return sc.zoo.get(name).build().cost(sc.Shape(C=3, H=H, W=W), "macs")


@cache
def multiple_cost(name: str) -> sc.NetworkCost:
    """The model's cost with H and W declared multiples of its total stride."""
    entry = sc.zoo.get(name)
    return entry.build().cost(entry.input(multiple=True), "macs")


def gflops(macs: int) -> Fraction:
    """MACs in billions, rounded to 3 decimals as torchvision prints its GFLOPS."""
    return round(Fraction(macs, 10**9), 3)


# ------------------------------------------------------------------ published figures


def test_every_published_model_is_in_the_zoo():
    assert set(TORCHVISION) <= set(sc.zoo.list())


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_params_and_gflops_equal_torchvision_documentation(name):
    _, params, printed_gflops, crop = TORCHVISION[name]
    entry = sc.zoo.get(name)
    assert entry.resolution == crop
    total = entry.build().cost(sc.Shape(C=3, H=crop, W=crop), "macs").total
    assert total.params == params
    assert gflops(total.macs) == Fraction(printed_gflops)


@pytest.mark.parametrize("name", COUNTED)
def test_fixture_agrees_with_the_published_table(name):
    # two records of the same facts: the weight metadata copied by hand, and as the
    # fixture script read it from torchvision, whose FlopCounterMode also reproduces it
    recorded = FIXTURE["models"][name]
    weights, params, printed_gflops, crop = TORCHVISION[name]
    assert recorded["weights"].endswith(weights)
    assert (recorded["num_params"], recorded["crop"]) == (params, crop)
    assert Fraction(str(recorded["gflops"])) == Fraction(printed_gflops)
    assert gflops(recorded["macs"][f"{crop}x{crop}"]) == Fraction(printed_gflops)


# ------------------------------------------------- FlopCounterMode at odd resolutions


@pytest.mark.parametrize("name", sweep(COUNTED))
def test_symbolic_macs_equal_flop_counter_at_odd_resolutions(name):
    recorded = FIXTURE["models"][name]
    result = plain_cost(name)
    assert result.total.params == recorded["num_params"]
    for key, macs in recorded["macs"].items():
        h, w = _sizes(key)
        assert result.total.evaluate(H=h, W=w).macs == macs, key


@pytest.mark.parametrize("name", sweep(COUNTED))
def test_concrete_build_agrees_with_flop_counter(name):
    h, w = FIXTURE["resolutions"][0]
    concrete = sc.zoo.get(name).build().cost(sc.Shape(C=3, H=h, W=w), "macs")
    assert concrete.total.macs == FIXTURE["models"][name]["macs"][f"{h}x{w}"]


@pytest.mark.parametrize("label", sorted(FIXTURE["variants"]))
def test_builder_options_equal_torchvision(label):
    variant = FIXTURE["variants"][label]
    net = sc.zoo.get(variant["builder"]).build(**variant["kwargs"])
    result = net.cost(sc.Shape(C=3, H=H, W=W), "macs")
    assert result.total.params == variant["num_params"]
    for key, macs in variant["macs"].items():
        h, w = _sizes(key)
        assert result.total.evaluate(H=h, W=w).macs == macs, key


# ------------------------------------------------------------------ closed forms


def test_resnet50_is_a_floor_free_polynomial_in_multiples_of_32():
    h, w = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    macs = sc.zoo.resnet50().cost(sc.Shape(C=3, H=h, W=w), "macs").total.macs
    assert sympy.expand(macs - (81456 * h * w + 2048000)) == 0
    assert not macs.has(sympy.floor, sympy.ceiling)


def test_resnet50_with_plain_symbols_keeps_floors():
    macs = plain_cost("resnet50").total.macs
    assert macs.has(sympy.floor)
    assert plain_cost("resnet50").total.evaluate(H=224, W=224).macs == 81456 * 224**2 + 2048000


@pytest.mark.parametrize("name", sweep(IMAGE_MODELS))
def test_multiples_of_the_stride_give_a_polynomial_that_agrees(name):
    multiple = multiple_cost(name)
    macs = multiple.total.macs
    assert not macs.has(sympy.floor, sympy.ceiling, sympy.Piecewise)
    assert sympy.Poly(macs, *sorted(macs.free_symbols, key=str)).total_degree() == 2
    stride = sc.zoo.get(name).stride
    for h, w in [(7 * stride, 7 * stride), (8 * stride, 5 * stride)]:
        assert multiple.total.evaluate(H=h, W=w).macs \
            == plain_cost(name).total.evaluate(H=h, W=w).macs


def test_symbolic_width_multiplier_of_mobilenet_v2():
    alpha = sympy.Symbol("alpha", positive=True)
    net = sc.zoo.mobilenet_v2(alpha)
    image = sc.Shape(C=3, H=224, W=224)
    total = net.cost(image, "macs").total
    for value in (1, 2):  # where rounding to multiples of 8 changes nothing
        numeric = sc.zoo.mobilenet_v2(value).cost(image, "macs").total
        assert total.macs.subs(alpha, value) == numeric.macs
        assert total.params.subs(alpha, value) == numeric.params


# ------------------------------------------------------------------ the papers


def test_mobilenet_v2_paper_figures():
    # Table 4 prints 300M MAdds and 3.4M parameters: figures cut to the printed digits
    # (300.77M -> 300, 3.47M -> 3.4). The parameters leave out BatchNorm's γ and β, which
    # fold into the convolutions at inference; torchvision's 3,504,872 counts them.
    result = sc.zoo.mobilenet_v2().cost(sc.Shape(C=3, H=224, W=224), "macs")
    bn = sum(r.cost.params for r in result.rows if r.leaf and r.kind == "batchnorm2d")
    paper_macs, paper_params = MOBILENET_V2_PAPER
    assert result.total.macs == 300_774_272
    assert result.total.macs // 10**6 == paper_macs
    assert result.total.params - bn == 3_470_760
    assert Fraction(result.total.params - bn, 10**6) // Fraction(1, 10) \
        == Fraction(paper_params) * 10


def test_mobilenet_v1_full_convolution_paper_figures():
    # Table 4's "Conv MobileNet": 4866M Mult-Adds, 29.3M parameters. The parameters round to
    # 29.3M; the Mult-Adds are those of the convolutions: with the classifier's 1.024M the
    # network has 4867.3M (the separable model's 569M does include its classifier).
    result = sc.zoo.get("mobilenet_v1_full_conv").build().cost(
        sc.Shape(C=3, H=224, W=224), "macs")
    paper_macs, paper_params = MOBILENET_V1_CONV_PAPER
    fc = next(r for r in result.rows if r.path == "fc")
    assert result.total.macs == 4_867_293_184
    assert round(Fraction(result.total.macs - fc.cost.macs, 10**6)) == paper_macs
    assert round(Fraction(result.total.params, 10**5)) == Fraction(paper_params) * 10


def test_full_convolution_costs_about_8_to_9_times_more():
    image = sc.Shape(C=3, H=224, W=224)
    separable = sc.zoo.mobilenet_v1().cost(image, "macs").total.macs
    full = sc.zoo.mobilenet_v1(full_conv=True).cost(image, "macs").total.macs
    assert 8 < full / separable < 9


# ------------------------------------------------------------------ registry and CLI


def test_list_is_the_sorted_names():
    assert sc.zoo.list() == sc.zoo.names() == sorted(sc.zoo.names())
    assert [e.name for e in sc.zoo.list_models()] == sc.zoo.list()


def test_lookup_ignores_case_and_dashes():
    assert sc.zoo.get("ResNet50").name == "resnet50"
    assert sc.zoo.get("mobilenet-v3-large").name == "mobilenet_v3_large"


def test_unknown_model_names_the_choices():
    with pytest.raises(sc.UnknownModelError, match="resnet50"):
        sc.zoo.get("resnet51")


@pytest.mark.parametrize("name", sweep(IMAGE_MODELS))
def test_cli_reports_every_model(name, capsys):
    assert main(["report", name, "--at", "H=224", "W=224", "--convention", "macs",
                 "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"{sc.zoo.get(name).build().name} on input")
    assert "total" in out


def test_cli_reports_at_an_odd_size_and_with_builder_arguments(capsys):
    assert main(["report", "mobilenet_v2", "--param", "width_mult=0.75", "--at", "H=225",
                 "W=257", "--convention", "macs", "--depth", "0"]) == 0
    out = capsys.readouterr().out
    expected = FIXTURE["variants"]["mobilenet_v2 width_mult=0.75"]
    assert f"{expected['num_params']:,}" in out


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("build, kwargs, field", [
    (sc.zoo.mobilenet_v2, {"width_mult": 0}, "width_mult"),
    (sc.zoo.mobilenet_v2, {"width_mult": True}, "width_mult"),
    (sc.zoo.mobilenet_v3_large, {"width_mult": -1}, "width_mult"),
])
def test_invalid_width_multiplier_is_a_clear_error(build, kwargs, field):
    with pytest.raises(sc.SpecError, match=field):
        build(**kwargs)


def test_efficientnet_needs_numeric_multipliers():
    from symcost.zoo.efficientnet import efficientnet

    with pytest.raises(sc.SpecError, match="must be numbers"):
        efficientnet(sympy.Symbol("w", positive=True), 1)


def test_unknown_variants_are_clear_errors():
    from symcost.zoo.mobilenet_v3 import mobilenet_v3
    from symcost.zoo.shufflenet import shufflenet_v2

    with pytest.raises(sc.SpecError, match="'large' or 'small'"):
        mobilenet_v3("medium")
    with pytest.raises(sc.SpecError, match=r"0\.5, 1\.0, 1\.5, 2\.0"):
        shufflenet_v2("3.0")


@pytest.mark.parametrize("name", ["alexnet", "vgg11_bn", "googlenet", "squeezenet1_0",
                                  "convnext_tiny", "efficientnet_b0", "shufflenet_v2_x1_0"])
def test_every_operation_symbolically_equals_concrete_builds(name):
    # under "flops" the pools (VGG's overlapping 7×7 windows, ceil-mode max pools), norms and
    # activations count too: the closed form must agree with a build at numbers
    symbolic = sc.zoo.get(name).build().cost(sc.Shape(C=3, H=H, W=W), "flops").total
    for h, w in [(225, 199), (99, 131)]:
        concrete = sc.zoo.get(name).build().cost(sc.Shape(C=3, H=h, W=w), "flops").total
        assert symbolic.evaluate(H=h, W=w).as_dict() == concrete.evaluate().as_dict()
