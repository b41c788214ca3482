"""solve_max, crossover, leading_term and big_o, each against an independent check."""

import pytest
import sympy

import symcost as sc


def _brute_max(f, budget, lo, hi, step=1):
    best = None
    for n in range(lo, hi + 1, step):
        if f(n) <= budget:
            best = n
    return best


def test_mobilenet_largest_square_resolution_under_one_gmac_matches_brute_force():
    H, W = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    res = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=H, W=W), "macs")
    sol = sc.solve_max(res, 10**9, "H", metric="macs", W="H")
    f = res.total.lambdify("H", "W", metric="macs")
    assert sol.value == _brute_max(lambda n: f(H=n, W=n), 10**9, 32, 2048, 32) == 288
    assert sol.method == "exact"
    assert sol.at_value == f(H=288, W=288) <= 10**9 < f(H=320, W=320)


@pytest.mark.parametrize("budget, B", [(10**11, 1), (10**11, 3), (2 * 10**11, 2),
                                       (10**12, 1)])
def test_gpt2_largest_context_under_a_flop_budget_matches_brute_force(budget, B):
    res = sc.zoo.gpt2().cost(sc.zoo.get("gpt2").input(), "torch")
    sol = sc.solve_max(res, budget, "T", metric="flops", B=B)
    f = res.total.lambdify("B", "T", metric="flops")
    # GPT-2 has 1024 positions: the brute force runs over every context it accepts
    assert sol.value == _brute_max(lambda t: f(B=B, T=t), budget, 1, 1024)
    assert sol.method == "exact"
    if sol.value == 1024:
        assert "Capped" in sol.monotone and "1024" in sol.monotone


def test_solve_max_falls_back_to_search_on_floors_and_says_so():
    x = sc.dim("x")
    f = sympy.floor(x / 3) * 7 + x
    sol = sc.solve_max(f, 1000, "x")
    assert sol.method == "search" and "search" in sol.monotone.lower()
    assert sol.value == _brute_max(lambda n: (n // 3) * 7 + n, 1000, 1, 2000)


def test_solve_max_max_of_pieces_is_exact():
    x = sc.dim("x")
    sol = sc.solve_max(sympy.Max(x**2, 50 * x), 10**4, "x")
    assert sol.method == "exact"
    assert sol.value == _brute_max(lambda n: max(n * n, 50 * n), 10**4, 1, 1000) == 100


@pytest.mark.parametrize("budget, words", [(-5, "budget"), (0, "budget"), ("lots", "budget")])
def test_bad_budget_raises_naming_it(budget, words):
    x = sc.dim("x")
    with pytest.raises(sc.SymcostError, match=words):
        sc.solve_max(x**2, budget, "x")


def test_non_monotone_formula_raises():
    x = sc.dim("x")
    with pytest.raises(sc.SymcostError, match="not monotone"):
        sc.solve_max((x - 10) ** 2, 100, "x")
    with pytest.raises(sc.SymcostError, match="not monotone"):
        sc.solve_max(sympy.floor((x - 10) ** 2 / 2), 10**6, "x", hi=100)


def test_unknown_and_unfixed_symbols_are_named():
    x, y = sc.dims("x y")
    with pytest.raises(sc.SymcostError, match="'z'"):
        sc.solve_max(x * y, 10, "z")
    with pytest.raises(sc.SymcostError, match="y"):
        sc.solve_max(x * y, 10, "x")
    with pytest.raises(sc.SymcostError, match="no x in range"):
        sc.solve_max(x + 100, 10, "x")


@pytest.mark.parametrize("mask, expected", [("none", 2), ("causal", None)])
def test_attention_overtakes_mlp_at_a_constant_times_d_model(mask, expected):
    B, T, d = sc.dims("B T d_model")
    x = sc.Shape(N=B, L=T, D=d)
    attn = sc.MultiheadAttention(embed_dim=d, num_heads=16, mask=mask).cost(x, "macs")
    mlp = sc.MLP(d_model=d, d_ff=4 * d).cost(x, "macs")
    c = sc.crossover(attn, mlp, "T", metric="macs")
    # by hand: none: 4Td^2 + 2T^2 d = 8Td^2 -> T = 2d; causal: 4Td^2 + T(T+1)d = 8Td^2 -> 4d - 1
    want = 2 * d if expected else 4 * d - 1
    assert sympy.simplify(c.value - want) == 0 and c.method == "exact"


def test_crossover_search_fallback_is_marked():
    x = sc.dim("x")
    c = sc.crossover(x * sympy.log(x), 10 * x, "x")
    assert c.method in ("exact", "search")
    c2 = sc.crossover(sympy.floor(x / 7) ** 2, 3 * x, "x")
    assert c2.method == "search"
    n = int(c2.value)
    assert (n // 7) ** 2 > 3 * n and ((n - 1) // 7) ** 2 <= 3 * (n - 1)


def test_leading_term_of_a_decoder_in_T_is_2_n_layer_T2_d_model():
    d, T, B = sc.dims("d_model T B")
    lm = sc.zoo.decoder_lm(n_layers=sc.dim("n_layer"), d_model=d, n_heads=16, d_ff=4 * d,
                           vocab=sc.dim("V"), max_positions=1024)
    res = lm.cost(sc.Shape(N=B, L=T), "macs")
    n_layer = sc.dim("n_layer")
    assert sympy.expand(sc.leading_term(res, "T", metric="flops")
                        - 2 * B * n_layer * T**2 * d) == 0
    assert sc.leading_term(res.total, "T", metric="macs") == B * n_layer * T**2 * d
    o = sc.big_o(res, "T", "d_model", metric="flops")
    assert o == sympy.Order(T**2 * d + T * d**2, (T, sympy.oo), (d, sympy.oo)).xreplace(
        {s: sympy.Symbol(s.name, positive=True) for s in (T, d)})


def test_cost_needs_a_metric():
    x = sc.dim("x")
    cost = sc.Linear(in_features=x, out_features=3).cost(sc.Shape(N=1, L=2, D=x))
    with pytest.raises(sc.SymcostError, match="metric"):
        sc.leading_term(cost, "x")
    with pytest.raises(sc.SymcostError, match="gflops"):
        sc.leading_term(cost, "x", metric="gflops")
