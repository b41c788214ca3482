"""Roofline latency: bytes from the census, bounds, the decode B* against the ridge point."""

import pytest
import sympy

import symcost as sc


def test_linear_bytes_and_bound_by_hand():
    B, T = sc.dims("B T")
    res = sc.Sequential(layers=[sc.Linear(in_features=4096, out_features=4096, bias=False)]
                        ).cost(sc.Shape(N=B, L=T, D=4096), "macs")
    rf = res.latency("h100-sxm5", dtype="bf16")
    row = rf.rows[0]
    # bf16: read B*T*4096 inputs, write B*T*4096 outputs, read 4096^2 weights, 2 bytes each
    assert sympy.expand(row.bytes - 2 * (2 * B * T * 4096 + 4096**2)) == 0
    assert row.flops == 2 * B * T * 4096**2
    assert row.bound == "depends"
    peak, bw = sympy.Rational(19790, 2) * 10**11, sympy.Rational(335, 100) * 10**12
    assert rf.time == sympy.Max(row.flops / peak, row.bytes / bw)
    at1 = rf.evaluate(B=1, T=1)
    assert at1.rows[0].bound == "memory" and rf.evaluate(B=64, T=64).rows[0].bound == "compute"
    for fmt in (at1.to_text(), at1.to_markdown(), at1.to_latex(), at1._repr_html_(),
                rf.to_text()):
        assert "h100-sxm5" in fmt and "linear" in fmt


def test_llama3_8b_decode_turns_compute_bound_at_the_ridge_point():
    B, P = sc.dim("B"), sc.dim("P")
    lm = sc.zoo.decoder_lm(32, 4096, 32, 14336, 128256, n_kv_heads=8, norm="rmsnorm",
                           mlp="swiglu", bias=False, tie_embeddings=False,
                           mask=("prefix", P), name="llama3_8b")
    res = lm.cost(sc.Shape(N=B, L=1), "macs")  # one decode step after P cached tokens
    assert res.params == sc.zoo.llama3_8b().cost(sc.Shape(N=1, L=1), "macs").params
    rf = res.latency("h100-sxm5", dtype="bf16", activations=False)
    b_star = rf.turning_point("B", P=1)
    # by hand: H100 SXM5 bf16 dense 1979/2 TFLOP/s over 3.35 TB/s
    ridge = sympy.Rational(989.5e12) / sympy.Rational(3.35e12)
    assert abs(float(b_star.value) / float(ridge) - 1) < 0.01
    # and exactly: compute time equals memory time at B*, so flops/bytes is the ridge
    at = {sympy.Symbol("B", integer=True, positive=True): b_star.value}
    f = rf.flops.subs({s: b_star.value for s in rf.flops.free_symbols if s.name == "B"})
    f = f.subs({s: 1 for s in f.free_symbols if s.name == "P"})
    by = rf.bytes.subs({s: b_star.value for s in rf.bytes.free_symbols if s.name == "B"})
    by = by.subs({s: 1 for s in by.free_symbols if s.name == "P"})
    assert f / by == ridge and at
    # a long context makes decode memory-bound at every batch (the KV cache grows with B)
    with pytest.raises(sc.SymcostError, match="never overtakes"):
        rf.turning_point("B", P=8191)


def test_bad_dtype_and_efficiency_raise():
    B = sc.dim("B")
    res = sc.Sequential(layers=[sc.ReLU()]).cost(sc.Shape(N=B, C=3), "macs")
    with pytest.raises(sc.SymcostError, match="bf17"):
        res.latency("h100-sxm5", dtype="bf17")
    with pytest.raises(sc.SymcostError, match="efficiency"):
        res.latency("h100-sxm5", efficiency=1.5)
    with pytest.raises(sc.SymcostError, match="bf16"):
        res.latency("v100-sxm2", dtype="bf16")


def test_efficiency_is_exact():
    B = sc.dim("B")
    res = sc.Sequential(layers=[sc.ReLU()]).cost(sc.Shape(N=B, C=3), "macs")
    rf = res.latency("l4", dtype="fp16", efficiency=(0.5, 0.7))
    assert rf.bandwidth == sympy.Rational(7, 10) * 300 * 10**9
    assert not rf.time.atoms(sympy.Float)


def test_cli_latency_and_solve(capsys):
    from symcost.cli import main

    assert main(["latency", "gpt2", "--hw", "h100-sxm5", "--at", "B=8", "T=128"]) == 0
    assert "total" in capsys.readouterr().out
    assert main(["solve", "mobilenet_v1", "--metric", "macs", "--budget", "1e9",
                 "--for", "H"]) == 0
    assert "H = 288" in capsys.readouterr().out
    assert main(["solve", "gpt2", "--budget", "-1", "--for", "T"]) == 2
    assert "budget" in capsys.readouterr().err


def test_roofline_plot_has_a_point_per_layer():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from symcost.roofline import plot_roofline

    res = sc.zoo.gpt2().cost(sc.Shape(N=1, L=64), "macs")
    ax = plot_roofline(res.latency("h100-sxm5").evaluate())
    assert len(ax.collections) >= 1
