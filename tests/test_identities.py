"""Identities a paper author states, each proven with symcost.testing.

Sources: the seed article (depthwise/pointwise/separable MACs and the ratio
``C_out*K**2/(C_out + K**2)``); Howard et al. 2017, "MobileNets", section 3.1 (separable /
regular = 1/N + 1/D_K²), section 3.3 (width multiplier α: cost roughly α²; resolution
multiplier ρ: ρ²) and eq. 7; Sandler et al. 2018, "MobileNetV2", section 3.4 / Table 1 text:
a bottleneck block of input h×w, expansion t, kernel k, d' input and d'' output channels
costs h·w·d'·t·(d' + k² + d'') multiply-adds.
"""

import pytest
import sympy

import symcost as sc
from symcost.testing import assert_cost_equal, assert_identity, assert_ratio
from symcost.zoo.mobilenet_v2 import inverted_residual

C, C_in, C_out, K, D, H, W = sc.dims("C C_in C_out K D H W")
X = sc.Shape(C=C, H=H, W=W)


@pytest.mark.parametrize("convention", ["macs", "flops", "seed", "fvcore"])
@pytest.mark.parametrize("stride, padding", [(1, "same"), (2, 1), (1, 0)])
def test_depthwise_is_a_grouped_conv_with_groups_c(convention, stride, padding):
    dw = sc.DepthwiseConv2d(in_channels=C, kernel_size=K, depth_multiplier=D, stride=stride,
                            padding=padding)
    grouped = sc.Conv2d(in_channels=C, out_channels=C * D, kernel_size=K, stride=stride,
                        padding=padding, groups=C, bias=False)
    assert_cost_equal(dw.cost(X, convention), grouped.cost(X, convention))


@pytest.mark.parametrize("convention", ["macs", "flops", "seed"])
@pytest.mark.parametrize("bias", [True, False])
def test_pointwise_is_a_conv_with_k_1(convention, bias):
    pw = sc.PointwiseConv2d(in_channels=C_in, out_channels=C_out, bias=bias)
    conv = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=1, bias=bias)
    x = sc.Shape(C=C_in, H=H, W=W)
    assert_cost_equal(pw.cost(x, convention), conv.cost(x, convention))


def test_separable_over_regular_is_the_mobilenet_form():
    x = sc.Shape(C=C_in, H=H, W=W)
    regular = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same")
    separable = sc.SeparableConv2d(in_channels=C_in, out_channels=C_out, kernel_size=K,
                                   padding="same")
    # MobileNets section 3.1: 1/N + 1/D_K**2
    assert_ratio(separable.cost(x), regular.cost(x), 1 / C_out + 1 / K**2)
    # ... which is the inverse of the seed's C_out*K**2/(C_out + K**2)
    assert_ratio(regular.cost(x), separable.cost(x), C_out * K**2 / (C_out + K**2))
    assert_identity(1 / C_out + 1 / K**2, 1 / (C_out * K**2 / (C_out + K**2)))
    # the seed's worked example: about 8.4x at C_out=128, K=3
    assert_ratio(regular.cost(x), separable.cost(x), 8.4, at={"C_out": 128, "K": 3}, rel=0.01)
    assert_ratio(regular.cost(x), separable.cost(x), sympy.Rational(1152, 137),
                 at={"C_out": 128, "K": 3}, rel=0)


def test_separable_is_depthwise_plus_pointwise():
    x = sc.Shape(C=C_in, H=H, W=W)
    sep = sc.SeparableConv2d(in_channels=C_in, out_channels=C_out, kernel_size=K,
                             padding="same").cost(x)
    dw = sc.DepthwiseConv2d(in_channels=C_in, kernel_size=K, padding="same").cost(x)
    pw = sc.PointwiseConv2d(in_channels=C_in, out_channels=C_out).cost(x)  # same-size map
    assert_cost_equal(sep, dw + pw, metrics=["macs", "flops", "params"])
    assert_identity(sep.macs, C_in * H * W * (K**2 + C_out))  # the seed's formula


def test_mobilenet_v2_bottleneck_cost():
    d1, d2, t, k, h, w = sc.dims("d1 d2 t k h w")
    block = sc.Sequential([
        sc.PointwiseConv2d(in_channels=d1, out_channels=t * d1), sc.ReLU6(),
        sc.DepthwiseConv2d(in_channels=t * d1, kernel_size=k, padding="same"), sc.ReLU6(),
        sc.PointwiseConv2d(in_channels=t * d1, out_channels=d2),
    ])
    cost = block.cost(sc.Shape(C=d1, H=h, W=w), "macs").total
    assert_identity(cost.macs, h * w * d1 * t * (d1 + k**2 + d2))


def test_mobilenet_v2_zoo_block_cost():
    """The zoo's inverted residual (3×3, stride 1, with BN) has the paper's MACs."""
    d1, d2, t, h, w = sc.dims("d1 d2 t h w")
    block = inverted_residual(d1, d2, 1, t)
    cost = block.cost(sc.Shape(C=d1, H=h, W=w), "macs").total
    assert_identity(cost.macs, h * w * d1 * t * (d1 + 3**2 + d2))


ALPHA, RHO = sympy.symbols("alpha rho", positive=True)


def _part_macs(net, shape, part):
    rows = net.cost(shape, "macs").breakdown(depth=2)
    return sympy.Add(*(r.cost.macs for r in rows
                       if r.path.startswith("block") and r.path.endswith("." + part)))


def test_width_multiplier_scales_pointwise_by_alpha_squared_and_depthwise_by_alpha():
    """Eq. 7: the pointwise term αM·αN is quadratic in α, the depthwise term D_K²·αM linear;
    the pointwise layers hold ~95 % of the MACs, hence "roughly α²" overall."""
    image = sc.Shape(C=3, H=224, W=224)
    thin, full = sc.zoo.mobilenet_v1(ALPHA), sc.zoo.mobilenet_v1()
    assert_ratio(_part_macs(thin, image, "pw"), _part_macs(full, image, "pw"), ALPHA**2)
    assert_ratio(_part_macs(thin, image, "dw"), _part_macs(full, image, "dw"), ALPHA)


@pytest.mark.parametrize("alpha", [0.75, 0.5])
def test_width_multiplier_scales_the_whole_network_by_about_alpha_squared(alpha):
    image = sc.Shape(C=3, H=224, W=224)
    net = sc.zoo.mobilenet_v1(ALPHA).cost(image, "macs")
    full = sc.zoo.mobilenet_v1().cost(image, "macs")
    # the first conv and the classifier are linear in alpha: "roughly alpha squared"
    assert_ratio(net, full, ALPHA**2, at={"alpha": alpha}, rel=0.05)
    with pytest.raises(AssertionError):  # and not exactly
        assert_ratio(net, full, ALPHA**2)
    # and the exact value matches the zoo built at that alpha (paper Table 6: 325M, 149M)
    exact = sc.zoo.mobilenet_v1(alpha).cost(image, "macs").total.macs
    assert net.total.macs.subs(ALPHA, sympy.nsimplify(alpha)) == exact


def test_resolution_multiplier_scales_by_rho_squared():
    Hm, Wm = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    net = sc.zoo.mobilenet_v1()
    res = net.cost(sc.Shape(C=3, H=Hm, W=Wm), "macs")
    fc = next(r for r in res.rows if r.path == "fc").cost.macs
    conv_part = res.total.macs - fc
    scaled = conv_part.subs({Hm: RHO * 224, Wm: RHO * 224})
    assert_identity(sympy.expand(scaled / conv_part.subs({Hm: 224, Wm: 224})), RHO**2)
    # the whole network at the paper's resolutions (Table 7): within 1 % of rho**2
    for size in (192, 160, 128):
        assert_ratio(res.total.macs, res.total.macs.subs({Hm: 224, Wm: 224}),
                     sympy.Rational(size, 224) ** 2, at={"H": size, "W": size}, rel=0.01)


def test_mobilenet_eq7_width_and_resolution_per_block():
    """MobileNets eq. 7: D_K·D_K·αM·ρD_F·ρD_F + αM·αN·ρD_F·ρD_F for one separable layer."""
    M, N, DK, DF = sc.dims("M N D_K D_F")
    a, r = sympy.symbols("alpha rho", positive=True)
    (F,) = sc.dims("F")  # the scaled map side rho*D_F, an integer
    x = sc.Shape(C=a * M, H=F, W=F)
    sep = sc.SeparableConv2d(in_channels=a * M, out_channels=a * N, kernel_size=DK,
                             padding="same")
    assert_identity(sep.cost(x, "macs").macs.subs(F, r * DF),
                    DK * DK * a * M * r * DF * r * DF + a * M * a * N * r * DF * r * DF)
