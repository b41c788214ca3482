"""Adaptive average pooling with torch's general windows, against torch's own windows
(recorded in tests/fixtures/torchvision_counts.json) and an independent enumeration of
overlapping intervals (tests/oracle.py)."""

import json
from pathlib import Path

import pytest
import sympy

import symcost as sc
from symcost.layers.pool import adaptive_taps

from .oracle import adaptive_window_rows

TORCH_TAPS = json.loads((Path(__file__).parent / "fixtures" / "torchvision_counts.json")
                        .read_text())["adaptive_avg_pool_taps"]
H, W = sc.dims("H W")


@pytest.mark.parametrize("n, m, taps", TORCH_TAPS)
def test_window_lengths_equal_torch(n, m, taps):
    assert adaptive_taps(sympy.Integer(n), sympy.Integer(m)) == taps
    assert sum(len(cell) for cell in adaptive_window_rows(n, m)) == taps


@pytest.mark.parametrize("m", [1, 2, 6, 7])
def test_symbolic_windows_evaluate_exactly(m):
    formula = adaptive_taps(H, sympy.Integer(m))
    for n in range(1, 40):
        assert formula.subs(H, n) == sum(len(c) for c in adaptive_window_rows(n, m))


def test_census_counts_every_window():
    pool = sc.AdaptiveAvgPool2d(output_size=(6, 7))
    for h, w in [(13, 13), (8, 20), (6, 7), (3, 5)]:
        rows_h, rows_w = adaptive_window_rows(h, 6), adaptive_window_rows(w, 7)
        adds = sum(len(a) * len(b) - 1 for a in rows_h for b in rows_w)
        counts = pool.cost(sc.Shape(N=2, C=3, H=h, W=w), "flops").counts
        assert counts.add == 2 * 3 * adds
        assert counts.div == 2 * 3 * 42


def test_symbolic_input_evaluates_like_concrete_inputs():
    symbolic = sc.AdaptiveAvgPool2d(output_size=7).cost(sc.Shape(C=512, H=H, W=W), "flops")
    for h, w in [(7, 7), (9, 8), (14, 3), (1, 1)]:
        concrete = sc.AdaptiveAvgPool2d(output_size=7).cost(sc.Shape(C=512, H=h, W=w), "flops")
        assert symbolic.evaluate(H=h, W=w).flops == concrete.flops


def test_divisible_sizes_collapse_to_the_input():
    h = sc.dim("H", multiple_of=7)
    cost = sc.AdaptiveAvgPool2d(output_size=7).cost(sc.Shape(C=1, H=h, W=h), "flops")
    assert cost.counts.add == h**2 - 49
    assert sc.AdaptiveAvgPool2d(output_size=1).cost(sc.Shape(C=1, H=H, W=W)).flops == H * W


def test_symbolic_output_size_needs_divisibility():
    m = sc.dim("m")
    cost = sc.AdaptiveAvgPool2d(output_size=m).cost(sc.Shape(C=1, H=H, W=H), "flops")
    assert cost.evaluate(m=4, H=8).counts["div"] == 16
    with pytest.raises(sc.ConstraintError, match="multiple of"):
        cost.evaluate(m=3, H=8)
