"""The seed article's formulas and worked numbers (oracle: the seed article itself)."""

import sympy

import symcost as sc

# The seed's worked example: 3×3 kernels, 112×112 maps, 64 -> 128 channels.
EXAMPLE = {"C_in": 64, "C_out": 128, "K": 3, "H": 112, "W": 112}


def _layers(seed_dims):
    c_in, c_out, k, h, w = seed_dims
    x = sc.Shape(C=c_in, H=h, W=w)
    regular = sc.Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, padding="same")
    separable = sc.SeparableConv2d(in_channels=c_in, out_channels=c_out, kernel_size=k,
                                   padding="same")
    depthwise = sc.DepthwiseConv2d(in_channels=c_in, kernel_size=k, padding="same")
    pointwise = sc.PointwiseConv2d(in_channels=c_in, out_channels=c_out)
    return x, regular, separable, depthwise, pointwise


def test_worked_numbers_hold_exactly(seed_dims):
    x, regular, separable, depthwise, pointwise = _layers(seed_dims)
    assert depthwise.cost(x).evaluate(EXAMPLE).macs == 7_225_344
    assert pointwise.cost(x).evaluate(EXAMPLE).macs == 102_760_448
    assert separable.cost(x).evaluate(EXAMPLE).macs == 109_985_792
    assert regular.cost(x).evaluate(EXAMPLE).macs == 924_844_032


def test_separable_is_reported_as_its_two_parts(seed_dims):
    x, _, separable, _, _ = _layers(seed_dims)
    values = separable.cost(x).evaluate(EXAMPLE)
    assert values.parts["depthwise"].macs == 7_225_344
    assert values.parts["pointwise"].macs == 102_760_448
    assert values.macs == values.parts["depthwise"].macs + values.parts["pointwise"].macs


def test_ratio_is_exactly_the_seed_closed_form(seed_dims):
    _c_in, c_out, k, _h, _w = seed_dims
    x, regular, separable, _, _ = _layers(seed_dims)
    r = sc.ratio(regular.cost(x).macs, separable.cost(x).macs)
    assert r == c_out * k**2 / (c_out + k**2)
    value = r.subs({c_out: 128, k: 3})
    assert value == sympy.Rational(1152, 137)
    assert round(float(value), 2) == 8.41


def test_closed_forms_of_every_seed_rule():
    c_in, c_out, c, k, h, w, hout, wout, d = sc.dims("C_in C_out C K H W H_out W_out D")
    # the seed writes its formulas in output sizes; stride-1 "same" layers keep H, W
    x = sc.Shape(C=c_in, H=h, W=w)
    conv = sc.Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, padding="same")
    assert conv.cost(x).macs == k * k * c_in * h * w * c_out
    # transposed conv: counted like conv, over the input positions
    deconv = sc.ConvTranspose2d(in_channels=c_in, out_channels=c_out, kernel_size=k, stride=2)
    assert deconv.cost(x).macs == k * k * c_in * h * w * c_out
    # global pooling: each input value touched once
    xc = sc.Shape(C=c, H=h, W=w)
    assert sc.GlobalAvgPool2d().cost(xc).flops == h * w * c
    assert sc.GlobalMaxPool2d().cost(xc).flops == h * w * c
    assert sc.AdaptiveAvgPool2d(output_size=1).cost(xc).flops == h * w * c
    # windowed pooling: K·K per output element (outputs Hout × Wout via the input 2Hout)
    xp = sc.Shape(C=c, H=2 * hout, W=2 * wout)
    assert sc.MaxPool2d(kernel_size=2).cost(xp).flops == hout * wout * c * 4
    assert sc.AvgPool2d(kernel_size=2).cost(xp).flops == hout * wout * c * 4
    # depthwise with multiplier D, pointwise, separable
    dw = sc.DepthwiseConv2d(in_channels=c, kernel_size=k, depth_multiplier=d, padding="same")
    assert dw.cost(xc).macs == k * k * c * d * h * w
    pw = sc.PointwiseConv2d(in_channels=c_in, out_channels=c_out)
    assert pw.cost(x).macs == c_in * h * w * c_out
    sep = sc.SeparableConv2d(in_channels=c_in, out_channels=c_out, kernel_size=k,
                             padding="same")
    assert sympy.expand(sep.cost(x).macs - c_in * h * w * (k * k + c_out)) == 0
    # activations: ReLU/PReLU/ELU H·W·C, sigmoid 4·H·W·C
    for act in (sc.ReLU(), sc.PReLU(num_parameters=c), sc.ELU()):
        assert act.cost(xc).flops == h * w * c
    assert sc.Sigmoid().cost(xc).flops == 4 * h * w * c
    # FC: MACC = Cin·Cout
    fc = sc.Linear(in_features=c_in, out_features=c_out)
    assert fc.cost(sc.Shape(C=c_in)).macs == c_in * c_out
    # BN: 4·C numbers (γ, β learnable; running mean, variance) and free under seed
    bn = sc.BatchNorm2d(num_features=c).cost(xc)
    assert bn.params + bn.buffers == 4 * c
    assert bn.flops == 0 and bn.macs == 0


def test_seed_network_total_is_the_sum_over_layers(seed_dims):
    # "a network's total is the sum over its layers": conv (MACC) + ReLU (FLOPs)
    c_in, c_out, k, h, w = seed_dims
    net = sc.Sequential([sc.Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k,
                                   padding="same"), sc.ReLU()])
    total = net.cost(sc.Shape(C=c_in, H=h, W=w)).total.flops
    assert sympy.expand(total - (k * k * c_in * h * w * c_out + h * w * c_out)) == 0
