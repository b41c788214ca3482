"""LayerNorm and LayerNorm2d: closed forms, and counts against a direct implementation run
with counting numbers (tests/oracle.py), which also checks it computes a layer norm."""

import statistics

import pytest
import sympy

import symcost as sc

from .oracle import layer_norm

N, C, H, W = sc.dims("N C H W")


def test_layer_norm_census_closed_form():
    cost = sc.LayerNorm(normalized_shape=C).cost(sc.Shape(N=N, C=C), "flops")
    assert cost.counts.add == N * (4 * C - 1)
    assert cost.counts.mul == N * 3 * C
    assert (cost.counts.div, cost.counts.sqrt) == (3 * N, N)
    assert cost.params == 2 * C
    assert cost.buffers == 0
    assert sympy.expand(cost.flops - N * (7 * C + 3)) == 0  # 4C−1 + 3C + 3 + 1


@pytest.mark.parametrize("rows, n, affine, bias", [
    (1, 1, True, True), (3, 4, True, True), (2, 7, True, False), (5, 3, False, False),
])
def test_layer_norm_counts_equal_a_direct_implementation(rows, n, affine, bias):
    data = [[float((7 * r + 3 * i) % 11) for i in range(n)] for r in range(rows)]
    weight = [1.5] * n if affine else None
    shift = [0.25] * n if affine and bias else None
    outputs, tally = layer_norm(data, weight, shift)
    layer = sc.LayerNorm(normalized_shape=n, elementwise_affine=affine, bias=bias)
    counts = layer.cost(sc.Shape(N=rows, C=n), "flops").counts
    assert {k: v for k, v in counts.nonzero().items()} == tally
    # and the direct implementation is a layer norm
    for row, out in zip(data, outputs):
        if n > 1 and statistics.pstdev(row) > 0:
            plain = [(o - (shift[0] if shift else 0)) / (weight[0] if weight else 1)
                     for o in out]
            assert abs(statistics.fmean(plain)) < 1e-9
            assert abs(statistics.pstdev(plain) - 1) < 1e-3


def test_layer_norm_acts_on_the_last_axis_of_a_map():
    shape = sc.Shape(C=96, H=56, W=56)
    channels_last = sc.Permute(dims=(0, 2, 3, 1)).output_shape(shape)
    assert sc.LayerNorm(normalized_shape=96).output_shape(channels_last) == channels_last
    with pytest.raises(sc.ShapeMismatchError, match="normalized_shape"):
        sc.LayerNorm(normalized_shape=96).output_shape(sc.Shape(C=96, H=56, W=57))


def test_layer_norm2d_equals_permuted_layer_norm():
    # torchvision's LayerNorm2d is permute -> LayerNorm(C) -> permute back
    shape = sc.Shape(N=N, C=C, H=H, W=W)
    direct = sc.LayerNorm2d(num_channels=C).cost(shape, "flops")
    permuted = sc.Sequential(layers=[
        sc.Permute(dims=(0, 2, 3, 1)), sc.LayerNorm(normalized_shape=C),
        sc.Permute(dims=(0, 3, 1, 2))]).cost(shape, "flops").total
    assert direct.equals(permuted, ["flops", "params", "macs"])
    assert direct.params == 2 * C


def test_layer_norm2d_checks_channels():
    with pytest.raises(sc.ShapeMismatchError, match="num_channels"):
        sc.LayerNorm2d(num_channels=64).output_shape(sc.Shape(C=32, H=8, W=8))


def test_layer_norm_is_free_under_macs():
    assert sc.LayerNorm2d(num_channels=C).cost(sc.Shape(C=C, H=H, W=W), "macs").macs == 0
