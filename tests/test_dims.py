"""Dimensions and the safe expression parser."""

import json

import pytest
import sympy

import symcost as sc


def test_dim_is_a_positive_integer_symbol_shared_with_strings():
    c = sc.dim("C_in")
    assert c.is_positive and c.is_integer
    assert sc.parse("C_in") == c
    assert sc.dims("A, B C") == (sc.dim("A"), sc.dim("B"), sc.dim("C"))


@pytest.mark.parametrize("text, expected", [
    ("C_in // 2 + 1", sympy.floor(sc.dim("C_in") / 2) + 1),
    ("ceil(H / 4)", sympy.ceiling(sc.dim("H") / 4)),
    ("min(H, 7) * max(W, 1)", sympy.Min(sc.dim("H"), 7) * sympy.Max(sc.dim("W"), 1)),
    ("2**10", sympy.Integer(1024)),
    ("H**(-1)", 1 / sc.dim("H")),
    ("-(-3)", sympy.Integer(3)),
    ("Min(H, W)", sympy.Min(sc.dim("H"), sc.dim("W"))),
    ("ceiling(H/2)", sympy.ceiling(sc.dim("H") / 2)),
])
def test_grammar(text, expected):
    assert sc.parse(text) == expected


def test_sympy_output_parses_back():
    h, w = sc.dims("H W")
    for expr in [sympy.floor((h - 1) / 2) + 1, sympy.ceiling(h / 3) * w, sympy.Min(h, w) + 1,
                 h * w / 1024, 3 * h**2]:
        assert sc.parse(sympy.sstr(expr)) == expr


def test_multiple_of_is_a_distinct_symbol_that_prints_as_its_name():
    h32 = sc.dim("H", multiple_of=32)
    assert h32 != sc.dim("H")
    assert str(h32) == "H" and sc.dims.__module__ == "symcost.dims"
    assert sc.dim("H", multiple_of=32) == h32  # same declaration, same symbol
    import pickle

    assert pickle.loads(pickle.dumps(h32)) == h32


@pytest.mark.parametrize("bad", ["", "   ", "1.5", "True", "None", "x if y else z",
                                 "H[0]", "'a'", "f(H)", "H.real", "lambda: 1", "H == W",
                                 "H @ W", "H % 2", "__H", "floor(H, W)", "1/0", "oo"])
def test_rejected_strings(bad):
    with pytest.raises(sc.DimensionError):
        sc.parse(bad)


def test_bare_user_symbols_become_dims_but_assumptions_are_kept():
    conv = sc.Conv2d(in_channels=sympy.Symbol("C"), out_channels=8, kernel_size=1)
    assert conv.in_channels == sc.dim("C")
    alpha = sympy.Symbol("alpha", positive=True)
    conv = sc.Conv2d(in_channels=32 * alpha, out_channels=8, kernel_size=1)
    assert conv.in_channels == 32 * alpha


def test_floats_inside_expressions_are_rejected():
    with pytest.raises(sc.SpecError, match="exact"):
        sc.Conv2d(in_channels=sympy.Float(2.0) * sc.dim("C"), out_channels=8, kernel_size=1)


def test_json_round_trip_is_lossless_and_keeps_integers():
    c, k = sc.dims("C K")
    conv = sc.Conv2d(in_channels=c, out_channels=2 * c, kernel_size=(k, 3),
                     stride=2, padding="same", groups=c // 2 + 0 * c + sympy.Integer(1) * 1)
    data = json.loads(conv.model_dump_json())
    assert data["kernel_size"] == ["K", 3] and data["stride"] == 2
    again = sc.Conv2d.model_validate_json(conv.model_dump_json())
    assert again == conv


def test_a_malformed_literal_is_an_error_without_a_python_warning():
    """Python warns about '1abc' before failing to parse it; a user sees only our error."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(sc.DimensionError, match="cannot parse '1abc'"):
            sc.parse("1abc")
