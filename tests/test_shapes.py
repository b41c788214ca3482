"""Output sizes against brute-force window enumeration (tests/oracle.py)."""

import itertools

import pytest
import sympy

import symcost as sc
from symcost.shapes import collapse, window_out

from .oracle import window_starts

H = sc.dim("H")


# ceil_mode belongs to pools, which take dilation 1 and padding <= k/2 (as torch requires)
CASES = [c for c in itertools.product([1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2],
                                      [False, True])
         if not c[4] or (c[3] == 1 and 2 * c[2] <= c[0])]


@pytest.mark.parametrize("k, s, p, d, ceil_mode", CASES)
def test_window_rule_matches_enumeration(k, s, p, d, ceil_mode):
    formula = window_out(H, k, s, p, d, ceil_mode)
    for size in range(1, 24):
        expected = len(window_starts(size, k, s, p, d, ceil_mode))
        if expected == 0:
            assert formula.subs(H, size) < 1
            continue
        assert formula.subs(H, size) == expected, (size, formula)


def test_same_padding_is_ceil_of_size_over_stride():
    conv = sc.Conv2d(in_channels=1, out_channels=1, kernel_size=3, stride=2, padding="same")
    assert conv.output_shape(sc.Shape(C=1, H=H, W=7)).H == sympy.ceiling(H / 2)
    assert conv.output_shape(sc.Shape(C=1, H=H, W=7)).W == 4


def test_valid_padding_is_no_padding():
    conv = sc.Conv2d(in_channels=1, out_channels=1, kernel_size=3, padding="valid")
    assert conv.output_shape(sc.Shape(C=1, H=H, W=7)).H == H - 2


def test_per_axis_pairs():
    conv = sc.Conv2d(in_channels=1, out_channels=1, kernel_size=(1, 7), padding=(0, 3),
                     stride=(2, 1), dilation=(1, 1))
    out = conv.output_shape(sc.Shape(C=1, H=10, W=9))
    assert (out.H, out.W) == (5, 9)


def test_multiple_of_collapses_resnet_stem_floors():
    h = sc.dim("H", multiple_of=32)
    stem = sc.Sequential([sc.Conv2d(in_channels=3, out_channels=64, kernel_size=7, stride=2,
                                    padding=3), sc.MaxPool2d(kernel_size=3, stride=2,
                                                             padding=1)])
    out = stem.cost(sc.Shape(C=3, H=h, W=h)).output
    assert out.H == h / 4 and not out.H.has(sympy.floor)


def test_collapse_keeps_floors_that_divisibility_does_not_decide():
    h = sc.dim("H", multiple_of=32)
    assert collapse(sympy.floor(h / 64)).has(sympy.floor)
    assert collapse(sympy.floor(h / 16)) == h / 16


def test_transposed_output_size():
    deconv = sc.ConvTranspose2d(in_channels=4, out_channels=2, kernel_size=4, stride=2,
                                padding=1, output_padding=1)
    # torch: (H - 1)*2 - 2 + 3 + 1 + 1
    assert deconv.output_shape(sc.Shape(C=4, H=H, W=5)).H == 2 * H + 1


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    # torch.nn.MaxPool2d(3, stride=3, padding=1, ceil_mode=True) on 7: ceil(6/3)+1 = 3,
    # and the third window starts at 6 < 7 + 1, so 3 are kept; on 5: ceil(4/3)+1 = 3,
    # the third starts at 6 >= 5 + 1 and is dropped.
    pool = sc.MaxPool2d(kernel_size=3, stride=3, padding=1, ceil_mode=True)
    assert pool.output_shape(sc.Shape(C=1, H=7, W=5)).H == 3
    assert pool.output_shape(sc.Shape(C=1, H=7, W=5)).W == 2
