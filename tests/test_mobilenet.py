"""MobileNetV1 against the paper (Howard et al. 2017, Tables 1, 6, 7) and Keras.

Paper figures are millions of Mult-Adds, printed rounded to the million (the 160 row is
printed 290 for 290.68M, so the check is "within one million"). The parameter figures
4,231,976 trainable and 21,888 non-trainable are what Keras' ``MobileNet(alpha=1.0)``
reports (keras.applications summary), an independent implementation with BN and a
biased classifier.
"""

import pytest
import sympy

import symcost as sc

IMAGE_224 = sc.Shape(C=3, H=224, W=224)


def macs(net, shape=IMAGE_224):
    return net.cost(shape, "macs").total.macs


def test_full_width_224_matches_the_paper_and_the_exact_count():
    assert macs(sc.zoo.mobilenet_v1()) == 568_740_352  # paper: 569M


@pytest.mark.parametrize("resolution, paper_millions", [(224, 569), (192, 418), (160, 290),
                                                         (128, 186)])
def test_resolution_multiplier_table(resolution, paper_millions):
    value = macs(sc.zoo.mobilenet_v1(), sc.Shape(C=3, H=resolution, W=resolution))
    assert abs(value / 1e6 - paper_millions) < 1


@pytest.mark.parametrize("alpha, paper_millions", [(1, 569), (0.75, 325), (0.5, 149),
                                                   (0.25, 41)])
def test_width_multiplier_table(alpha, paper_millions):
    assert round(macs(sc.zoo.mobilenet_v1(alpha)) / 1e6) == paper_millions


def test_weights_without_bias_and_bn():
    # params = learnable parameters; without BN and the classifier bias, only weights remain
    net = sc.zoo.mobilenet_v1(batchnorm=False, classifier_bias=False)
    assert net.cost(IMAGE_224).total.params == 4_209_088  # paper: 4.2M


def test_params_and_buffers_match_keras():
    total = sc.zoo.mobilenet_v1().cost(IMAGE_224).total
    assert total.params == 4_231_976
    assert total.buffers == 21_888


def test_closed_form_in_multiples_of_32_has_no_floor():
    h, w = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    total = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=h, W=w), "macs").total.macs
    assert not total.has(sympy.floor, sympy.ceiling)
    assert sympy.expand(total - (sympy.Rational(22629, 2) * h * w + 1_024_000)) == 0
    assert total.subs({h: 224, w: 224}) == 568_740_352


def test_plain_symbols_keep_exact_floors_and_agree_with_concrete_builds():
    h, w = sc.dims("H W")
    symbolic = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=h, W=w), "macs")
    assert symbolic.total.macs.has(sympy.floor)
    for size in [(200, 190), (97, 33), (224, 224), (33, 65)]:
        concrete = macs(sc.zoo.mobilenet_v1(), sc.Shape(C=3, H=size[0], W=size[1]))
        assert symbolic.evaluate(H=size[0], W=size[1]).macs == concrete


def test_symbolic_alpha_scales_roughly_quadratically():
    alpha = sympy.Symbol("alpha", positive=True)
    net = sc.zoo.mobilenet_v1(alpha, num_classes=1000)
    m = net.cost(IMAGE_224, "macs").total.macs
    assert m.subs(alpha, 1) == 568_740_352
    assert m.subs(alpha, sympy.Rational(1, 2)) == macs(sc.zoo.mobilenet_v1(0.5))
    poly = sympy.Poly(sympy.expand(m), alpha)
    assert poly.degree() == 2


@pytest.mark.parametrize("bad", [0, 1.5, -1, True, "x y"])
def test_invalid_alpha_is_a_clear_error(bad):
    with pytest.raises(sc.SpecError, match="alpha"):
        sc.zoo.mobilenet_v1(bad)
