"""Memory: the papers' formulas come out of specs (Korthikanti et al. 2022, ZeRO), options
that are not allowed name themselves, and torch autograd keeps what the rules say."""

from __future__ import annotations

import pytest
import sympy

import symcost as sc
from symcost.zoo.transformer_blocks import transformer_block

s, b, h, a, t, L, V = sc.dims("s b h a t L V")
Nd = sc.dim("N_d")


def megatron_layer(d=h, heads=a, p=0.1):
    """GPT's layer as Megatron-LM runs it: LayerNorm, attention, dropout, LayerNorm, GELU
    MLP, dropout (the attention-probability dropout is the ``attention_dropout`` option)."""
    return transformer_block([
        ("ln_1", sc.LayerNorm(normalized_shape=d), [
            ("attn", sc.MultiheadAttention(embed_dim=d, num_heads=heads, mask="causal")),
            ("drop_1", sc.Dropout(p=p))]),
        ("ln_2", sc.LayerNorm(normalized_shape=d), [
            ("mlp", sc.MLP(d_model=d, d_ff=4 * d, activation="gelu")),
            ("drop_2", sc.Dropout(p=p))])])


KORTHIKANTI = dict(attention_dropout=True, norm_statistics=False)
ROWS = [  # (options, Korthikanti et al.'s per-layer bytes)
    ({}, s * b * h * (34 + 5 * a * s / h)),                                        # Eq. 1
    ({"tensor_parallel": t}, s * b * h * (10 + 24 / t + 5 * a * s / (h * t))),       # Eq. 2
    ({"tensor_parallel": t, "sequence_parallel": True},
     s * b * h * (34 / t + 5 * a * s / (h * t))),                                  # Eq. 4
    ({"tensor_parallel": t, "recompute": "selective"}, s * b * h * (10 + 24 / t)),   # Table 2
    ({"tensor_parallel": t, "sequence_parallel": True, "recompute": "selective"},
     s * b * h * 34 / t),                                                          # Eq. 6
]


@pytest.mark.parametrize("options,expected", ROWS)
def test_korthikanti_activation_memory_per_layer(options, expected):
    m = megatron_layer().memory(sc.Shape(N=b, L=s, D=h), **KORTHIKANTI, **options)
    assert sc.equivalent(m.activations, expected)


def test_full_recompute_keeps_each_layers_input():
    stack = sc.Repeat(n=L, body=megatron_layer(), name="layers")
    m = stack.memory(sc.Shape(N=b, L=s, D=h), recompute="full", **KORTHIKANTI)
    assert sc.equivalent(m.activations, 2 * s * b * h * L)     # Table 2: 2sbh per layer
    assert sc.equivalent(m.recompute_buffer, s * b * h * (34 + 5 * a * s / h))


def test_flash_attention_drops_the_quadratic_term():
    m = megatron_layer().memory(sc.Shape(N=b, L=s, D=h), attention="flash",
                                norm_statistics=False)
    # the 34sbh stay (flash keeps its output, which is the out projection's input); the
    # 5as²b of probabilities become a 4-byte log-sum-exp per head and row
    assert sc.equivalent(m.activations, s * b * h * 34 + 4 * a * s * b)


def test_zero_stages_reproduce_figure_1():
    lm = sc.zoo.decoder_lm(n_layers=L, d_model=h, n_heads=16, d_ff=4 * h, vocab=V,
                           max_positions=1024)
    x = sc.Shape(N=b, L=s)
    N = lm.cost(x, "macs").total.params
    per_param = {}
    for stage in (0, 1, 2, 3):
        m = lm.memory(x, zero_stage=stage, data_parallel=Nd)
        per_param[stage] = sympy.simplify((m.weights + m.gradients + m.optimizer) / N)
    assert per_param[0] == 16                                       # 2 + 2 + 12
    assert sympy.simplify(per_param[1] - (4 + 12 / Nd)) == 0
    assert sympy.simplify(per_param[2] - (2 + 14 / Nd)) == 0
    assert sympy.simplify(per_param[3] - 16 / Nd) == 0
    gb = [per_param[k].subs(Nd, 64) * sympy.Rational(75, 10) for k in range(4)]   # N = 7.5e9
    assert [round(float(v), 1) for v in gb] == [120.0, 31.4, 16.6, 1.9]


def test_megatron_counts_18_bytes_per_parameter():
    lm = sc.zoo.decoder_lm(2, 64, 4, 256, 100, max_positions=32)
    x = sc.Shape(N=1, L=8)
    m = lm.memory(x, precision="bf16-mixed-fp32-grads")
    assert (m.weights + m.gradients + m.optimizer) == 18 * m.params


def test_inference_is_weights_cache_and_largest_live_tensor():
    lm = sc.zoo.llama3_8b()
    B, T = sc.dims("B T")
    m = lm.memory(sc.Shape(N=B, L=T), training=False, precision="bf16")
    assert m.weights == 2 * m.params and m.gradients == 0 and m.optimizer == 0
    assert sc.equivalent(m.kv_cache, 131072 * B * T)
    values = m.evaluate(B=1, T=8192)
    assert values["total"] == values["weights"] + values["kv_cache"] + values["activations"]


BAD = [
    (dict(precision="fp64"), "precision"),
    (dict(zero_stage=4), "zero_stage"),
    (dict(optimizer="lion"), "optimizer"),
    (dict(recompute="some"), "recompute"),
    (dict(attention="paged"), "attention"),
    (dict(tensor_parallel=3), "tensor_parallel"),
    (dict(tensor_parallel=0), "tensor_parallel"),
    (dict(sequence_parallel=True), "sequence_parallel"),
    (dict(precision="int4"), "precision"),
]


@pytest.mark.parametrize("options,name", BAD)
def test_invalid_options_name_the_option_and_the_allowed_values(options, name):
    lm = sc.zoo.decoder_lm(2, 64, 4, 256, 100, max_positions=32)
    with pytest.raises(sc.SymcostError, match=name) as info:
        lm.memory(sc.Shape(N=1, L=8), **options)
    assert info.value.field == name


def test_tensor_parallel_must_divide_heads_allowed_values_named():
    lm = sc.zoo.decoder_lm(2, 64, 4, 256, 100, max_positions=32)
    with pytest.raises(sc.SymcostError, match="divisors of the head count"):
        lm.memory(sc.Shape(N=1, L=8), tensor_parallel=3)
