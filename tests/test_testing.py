"""symcost.testing: passing checks stay silent, failing ones explain themselves."""

import pytest
import sympy

import symcost as sc
from symcost.testing import assert_cost_equal, assert_identity, assert_ratio

C, K, H, W = sc.dims("C K H W")
X = sc.Shape(C=C, H=H, W=W)


def test_cost_equal_failure_lists_each_metric_with_difference_and_counterexample():
    conv = sc.Conv2d(in_channels=C, out_channels=C, kernel_size=3, padding=1, bias=False)
    biased = conv.model_copy(update={"bias": True})
    with pytest.raises(AssertionError) as info:
        assert_cost_equal(conv.cost(X, "flops"), biased.cost(X, "flops"))
    text = str(info.value)
    assert text.startswith("costs differ (convention 'flops') in ")
    assert "flops: " in text and "params: " in text and "counts.bias: " in text
    assert "difference (left - right) = -C*H*W" in text  # one bias add per output
    assert "difference (left - right) = -C\n" in text  # one bias parameter per channel
    assert "counterexample: C=1, H=1, W=1 gives" in text
    assert "macs" not in text.split("\n")[1]  # MACs agree and are not listed


def test_cost_equal_needs_one_convention_and_costs():
    dw = sc.DepthwiseConv2d(in_channels=C, kernel_size=K)
    with pytest.raises(AssertionError, match="different conventions: 'macs' vs 'flops'"):
        assert_cost_equal(dw.cost(X, "macs"), dw.cost(X, "flops"))
    with pytest.raises(sc.SymcostError, match="use assert_identity"):
        assert_cost_equal(C, C)
    with pytest.raises(sc.SymcostError, match="unknown metric"):
        assert_cost_equal(dw.cost(X), dw.cost(X), metrics=["speed"])


def test_identity_failure_shows_a_counterexample_with_both_values():
    with pytest.raises(AssertionError) as info:
        assert_identity(sympy.floor(H / 2) * 2, H)
    text = str(info.value)
    assert "value: 2*floor(H/2)  !=  H" in text
    assert "counterexample: H=1 gives 0 vs 1" in text


def test_identity_says_when_no_small_counterexample_exists():
    big = sympy.Max(H, 9) - 9  # zero for every H up to 9
    with pytest.raises(AssertionError, match="no counterexample among small positive"):
        assert_identity(big, 0)


def test_identity_on_costs_compares_every_metric_or_the_one_asked():
    a = sc.PointwiseConv2d(in_channels=C, out_channels=C).cost(X)
    b = sc.Conv2d(in_channels=C, out_channels=C, kernel_size=1, bias=False).cost(X)
    assert_identity(a, b)
    assert_identity(a, C**2 * H * W, metric="macs")
    with pytest.raises(AssertionError, match="macs: C\\*\\*2\\*H\\*W  !=  C\\*H\\*W"):
        assert_identity(a, C * H * W, metric="macs")
    with pytest.raises(sc.SymcostError, match="pass metric="):
        assert_identity(a, C)


def test_ratio_symbolic_failure_and_float_without_tolerance():
    reg = sc.Conv2d(in_channels=C, out_channels=C, kernel_size=K, padding="same").cost(X)
    sep = sc.SeparableConv2d(in_channels=C, out_channels=C, kernel_size=K,
                             padding="same").cost(X)
    assert_ratio(reg, sep, C * K**2 / (C + K**2))
    with pytest.raises(AssertionError) as info:
        assert_ratio(reg, sep, K**2)
    text = str(info.value)
    assert "ratio of macs: C*K**2/(C + K**2)  !=  K**2" in text
    assert "counterexample: C=1, K=1 gives 1/2 vs 1" in text
    with pytest.raises(sc.SymcostError, match="needs at="):
        assert_ratio(reg, sep, 8.4)


def test_ratio_numeric_with_tolerance_reports_the_relative_error():
    reg = sc.Conv2d(in_channels=C, out_channels=128, kernel_size=K, padding="same").cost(X)
    sep = sc.SeparableConv2d(in_channels=C, out_channels=128, kernel_size=K,
                             padding="same").cost(X)
    assert_ratio(reg, sep, 8.4, at={"K": 3}, rel=0.002)
    with pytest.raises(AssertionError) as info:
        assert_ratio(reg, sep, 9, at={"K": 3}, rel=0.01)
    text = str(info.value)
    assert "at K=3: 1152/137 = 8.40876, expected 9" in text and "> rel=0.01" in text
    with pytest.raises(sc.SymcostError, match="no value for K"):
        assert_ratio(reg, sep, 8.4, at={}, rel=0.01)
    with pytest.raises(sc.SymcostError, match="rel must be a non-negative"):
        assert_ratio(reg, sep, 8.4, at={"K": 3}, rel=-1)
