"""Conventions price one census many ways. Numeric oracles: the peer tools' outputs measured
on one-layer models at batch N = 2 (torch 2.13, CPU), as recorded in the team's conventions
survey (CONVENTIONS.md, section 2: fvcore, ptflops aten backend, torch FlopCounterMode)."""

import dataclasses

import pytest
import sympy

import symcost as sc

# case -> (layer, input shape, {tool: reported number})
PEER_MEASUREMENTS = {
    "conv3x3 16->32 bias 32x32": (
        sc.Conv2d(in_channels=16, out_channels=32, kernel_size=3, padding=1, bias=True),
        sc.Shape(N=2, C=16, H=32, W=32),
        {"fvcore": 9_437_184, "ptflops_aten": 9_502_720, "torch_fcm": 18_874_368}),
    "convT 16->8 k4 s2 bias": (
        sc.ConvTranspose2d(in_channels=16, out_channels=8, kernel_size=4, stride=2, padding=1),
        sc.Shape(N=2, C=16, H=16, W=16),
        {"fvcore": 1_048_576, "ptflops_aten": 1_064_960, "torch_fcm": 2_097_152,
         "thop_0.1.1": 4_194_304}),
    "convT 16->16 k4 s2 g4": (
        sc.ConvTranspose2d(in_channels=16, out_channels=16, kernel_size=4, stride=2, padding=1,
                           groups=4, bias=False),
        sc.Shape(N=2, C=16, H=16, W=16),
        {"fvcore": 524_288, "ptflops_aten": 524_288, "torch_fcm": 1_048_576}),
    "linear 64->128 on (2,10,64) bias": (
        sc.Linear(in_features=64, out_features=128),
        sc.Shape(N=2, C=10, H=1, W=64),
        {"fvcore": 163_840, "ptflops_aten": 166_400, "torch_fcm": 327_680}),
}


@pytest.mark.parametrize("case", list(PEER_MEASUREMENTS))
def test_macs_preset_reproduces_fvcore_and_torch(case):
    layer, shape, reported = PEER_MEASUREMENTS[case]
    cost = layer.cost(shape, "macs")
    assert cost.macs == reported["fvcore"]          # fvcore: fused multiply-add = 1
    assert cost.flops == reported["torch_fcm"]      # FlopCounterMode: 2 per MAC, no bias


@pytest.mark.parametrize("case", list(PEER_MEASUREMENTS))
def test_census_explains_ptflops_aten_bias(case):
    layer, shape, reported = PEER_MEASUREMENTS[case]
    counts = layer.cost(shape).counts
    assert counts.mac + counts.bias == reported["ptflops_aten"]  # MACs + one add per bias


def test_output_centric_reading_explains_thop_transposed_conv():
    layer, shape, reported = PEER_MEASUREMENTS["convT 16->8 k4 s2 bias"]
    census = layer.node(shape).census
    # thop 0.1.1 counts transposed conv per output element: outputs · C_in/g · K·K
    assert census.outputs * 16 * 16 == reported["thop_0.1.1"]
    assert reported["thop_0.1.1"] // census.ops.mac == 4  # stride² too high


def test_batchnorm_eval_matches_fvcore_2I_under_flops():
    # fvcore: BatchNorm2d eval with affine = 2·I (I = 16,384 measured)
    shape = sc.Shape(N=2, C=32, H=16, W=16)
    assert shape.elements == 16_384
    cost = sc.BatchNorm2d(num_features=32).cost(shape, "flops")
    assert cost.flops == 32_768
    assert sc.BatchNorm2d(num_features=32).cost(shape, "seed").flops == 0  # folded away


def test_global_pool_matches_fvcore_I():
    shape = sc.Shape(N=2, C=32, H=16, W=16)
    assert sc.AdaptiveAvgPool2d(output_size=1).cost(shape, "seed").flops == 16_384


def test_flops_preset_linear_follows_the_seed_reading():
    c_in, c_out = sc.dims("C_in C_out")
    x = sc.Shape(C=c_in)
    with_bias = sc.Linear(in_features=c_in, out_features=c_out).cost(x, "flops").flops
    without = sc.Linear(in_features=c_in, out_features=c_out, bias=False).cost(x, "flops")
    assert with_bias == 2 * c_in * c_out
    assert sympy.expand(without.flops - (2 * c_in - 1) * c_out) == 0
    # brute force: a dot product of 5 numbers is 5 multiplies and 4 additions
    assert sc.Linear(in_features=5, out_features=1, bias=False).cost(
        sc.Shape(C=5), "flops").flops == 9


def test_macs_preset_ignores_everything_but_gemm_like_work():
    net = sc.Sequential([sc.Conv2d(in_channels=3, out_channels=4, kernel_size=1),
                         sc.BatchNorm2d(num_features=4), sc.ReLU(), sc.MaxPool2d(kernel_size=2),
                         sc.Sigmoid()])
    total = net.cost(sc.Shape(C=3, H=4, W=4), "macs").total
    assert total.macs == 3 * 4 * 16 and total.flops == 2 * total.macs


def test_seed_activation_rules():
    x = sc.Shape(C=2, H=3, W=5)
    for layer, per in [(sc.ReLU(), 1), (sc.ReLU6(), 1), (sc.LeakyReLU(), 1), (sc.ELU(), 1),
                       (sc.PReLU(), 1), (sc.Sigmoid(), 4), (sc.Tanh(), 5), (sc.GELU(), 5)]:
        assert layer.cost(x, "seed").flops == per * 30, layer.kind


def test_conventions_are_immutable_and_looked_up_by_name():
    seed = sc.get_convention("seed")
    assert sc.get_convention(seed) is seed
    assert sc.convention_names() == ["calflops", "chinchilla", "deepspeed", "flops", "fvcore",
                                     "kaplan", "macs", "megatron", "palm", "ptflops", "seed",
                                     "thop", "torch", "torch_cpu"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        seed.name = "x"
    with pytest.raises(TypeError):
        seed.flops.per_kind["relu"] = {}


def test_a_user_convention_prices_without_touching_layers():
    per_sample = sc.Convention(
        name="relu_heavy", summary="ReLU costs 10 per element; MACs as usual",
        macs=sc.Pricing(default={"mac": 1}),
        flops=sc.Pricing(default={"mac": 1}, per_kind={"relu": {"outputs": 10}}))
    cost = sc.ReLU().cost(sc.Shape(C=2, H=2, W=2), per_sample)
    assert cost.flops == 80 and cost.convention == "relu_heavy"


def test_pricing_rejects_unknown_terms():
    with pytest.raises(sc.ConventionError,
                       match=r"unknown pricing term 'macc'\. Did you mean 'mac'"):
        sc.Pricing(default={"macc": 1})


def test_costs_under_different_conventions_do_not_add():
    x = sc.Shape(C=2, H=2, W=2)
    with pytest.raises(sc.SymcostError, match="different conventions"):
        sc.ReLU().cost(x, "seed") + sc.ReLU().cost(x, "flops")
