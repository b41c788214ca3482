"""Cost arithmetic, substitution, exact evaluation and the integer lambdify."""

import pytest
import sympy

import symcost as sc

C_in, C_out, K, H, W = sc.dims("C_in C_out K H W")
X = sc.Shape(C=C_in, H=H, W=W)
CONV = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same")


def test_add_scale_subs_free_symbols():
    a = CONV.cost(X)
    b = sc.ReLU().cost(sc.Shape(C=C_out, H=H, W=W))
    total = a + b
    assert total.macs == a.macs and total.flops == a.flops + C_out * H * W
    assert (2 * a).macs == 2 * a.macs and sum([a, a]).macs == 2 * a.macs
    assert a.free_symbols == {C_in, C_out, K, H, W}
    fixed = a.subs(K=3, C_out=C_out)
    assert fixed.macs == 9 * C_in * C_out * H * W


def test_evaluate_returns_python_ints_exact_beyond_int64():
    values = CONV.cost(X).evaluate(C_in=10**6, C_out=10**6, K=3, H=10**5, W=10**5)
    assert type(values.macs) is int
    assert values.macs == 9 * 10**12 * 10**10  # 9e22, far past 2**63


def test_evaluate_lists_every_missing_name_and_unknown_ones():
    with pytest.raises(sc.UnboundDimensionError) as info:
        CONV.cost(X).evaluate(C_in=3, Cout=4)
    msg = str(info.value)
    for name in ("C_out", "H", "K", "W", "Cout"):
        assert name in msg


def test_equals_is_symbolic_and_eq_is_identity():
    a = CONV.cost(X)
    b = sc.Conv2d(in_channels=C_in, out_channels=C_out, kernel_size=K, padding="same").cost(X)
    assert a.equals(b) and a is not b
    assert not a.equals(2 * b)


def test_lambdify_python_ints_match_evaluate_including_floors():
    net = sc.zoo.mobilenet_v1()
    symbolic = net.cost(sc.Shape(C=3, H=H, W=W), "macs")
    f = symbolic.total.lambdify("H", "W")
    for h, w in [(224, 224), (97, 33), (1000, 3), (33, 65)]:
        assert f(H=h, W=w) == symbolic.evaluate(H=h, W=w).macs
        assert f(h, w) == symbolic.evaluate(H=h, W=w).macs


def test_lambdify_multiple_of_symbols_stays_integer():
    h, w = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
    cost = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=h, W=w), "macs").total
    f = cost.lambdify("H", "W")
    assert f(224, 224) == 568_740_352 and type(f(224, 224)) is int


def test_lambdify_vectorises_over_numpy_arrays():
    np = pytest.importorskip("numpy", reason="numpy is the optional 'numpy' extra")
    cost = sc.zoo.mobilenet_v1().cost(sc.Shape(C=3, H=H, W=W), "macs").total
    f = cost.lambdify("H", "W")
    hs = np.arange(32, 1032, dtype=np.int64)
    out = f(H=hs, W=hs)
    assert out.dtype.kind == "i"
    assert [int(v) for v in out[[0, 192, 500]]] == [
        cost.evaluate(H=int(v), W=int(v)).macs for v in hs[[0, 192, 500]]]


def test_lambdify_other_metrics_and_errors():
    cost = CONV.cost(X, "flops")
    f = cost.lambdify("C_in", "C_out", "K", "H", "W", metric="params")
    assert f(3, 4, 3, 1, 1) == 3 * 4 * 9 + 4
    with pytest.raises(sc.UnboundDimensionError, match="K"):
        cost.lambdify("C_in", "C_out", "H", "W")
    with pytest.raises(sc.SymcostError, match="metric"):
        cost.lambdify("H", metric="gflops")
    g = cost.lambdify("C_in", "C_out", "K", "H", "W")
    with pytest.raises(sc.UnboundDimensionError, match="W"):
        g(1, 2, 3, 4)


def test_ratio_and_equivalent():
    sep = sc.SeparableConv2d(in_channels=C_in, out_channels=C_out, kernel_size=K,
                             padding="same")
    assert sc.ratio(sep.cost(X), CONV.cost(X)) == (C_out + K**2) / (C_out * K**2)
    assert sc.equivalent(sep.cost(X).macs, C_in * H * W * (K**2 + C_out))
    assert not sc.equivalent(sep.cost(X).macs, C_in * H * W * K**2)
    assert sc.counterexample(sympy.floor(H / 2) * 2, H) == {"H": 1}
    assert sc.counterexample(H + H, 2 * H) is None


def test_cost_latex_repr_renders_subscripts():
    latex = CONV.cost(X)._repr_latex_()
    assert "C_{in}" in latex and r"\text{MACs}" in latex and "aligned" in latex


def test_memory_bytes_uses_bytes_per_element():
    x = sc.Shape(C=2, H=3, W=3)
    conv = sc.Conv2d(in_channels=2, out_channels=4, kernel_size=1, bias=False)
    # 8 weights + 36 output elements
    assert conv.cost(x, bytes_per_element=2).memory_bytes == 2 * (8 + 36)
