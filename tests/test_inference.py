"""Prefill and decode: KV-cache bytes of the published models, the closed-form sum over
generated tokens against an explicit loop, MoE's active experts, encoders refused."""

from __future__ import annotations

import pytest
import sympy

import symcost as sc

P, g, B = sc.dims("P g B")


@pytest.mark.parametrize("name,per_token", [("llama3_8b", 131072), ("llama2_70b", 327680)])
def test_kv_cache_bytes_per_token_bf16(name, per_token):
    dec = sc.zoo.get(name).build().decode(P, g, batch=B)
    assert dec.kv_cache_per_token == per_token * B
    assert sc.equivalent(dec.kv_cache, per_token * B * (P + g))


def test_decode_total_equals_the_loop_and_the_pair_count():
    L, d, V = 3, 64, 100
    lm = sc.zoo.decoder_lm(L, d, 4, 4 * d, V, max_positions=4096)
    dec = lm.decode(P, g, batch=B)
    t = dec.position
    for p0, g0 in [(0, 1), (7, 5), (100, 13)]:
        loop = sum(dec.per_token.total.macs.subs(t, p0 + i) for i in range(g0))
        assert dec.macs.subs({P: p0, g: g0}) == loop.subs(B, 1) * B
    # attention: 2·d MACs per kept pair and layer over g·P + g·(g + 1)/2 pairs; the rest
    # (projections, MLP, logits) is the same for every token
    rest = sympy.expand(dec.macs - 2 * d * L * B * (g * P + g * (g + 1) / 2))
    assert rest.free_symbols == {B, g} and sympy.degree(rest, g) == 1


def test_sliding_window_decode_sums_the_cap_exactly():
    dec = sc.zoo.mistral_7b().decode(P, g)
    t = dec.position
    for p0, g0 in [(10, 4), (4090, 12), (5000, 3)]:
        loop = sum(dec.per_token.total.macs.subs(t, p0 + i) for i in range(g0))
        assert dec.macs.subs({P: p0, g: g0}) == loop
    assert dec.kv_cache == 131072 * sympy.Min(4096, P + g)


def test_moe_decode_reports_active_experts_and_params():
    dec = sc.zoo.mixtral_8x7b().decode(P, g)
    assert set(dec.active_experts.values()) == {2}
    assert dec.active_params < dec.params


def test_prefill_is_the_forward_and_fills_the_cache():
    T = sc.dim("T")
    pre = sc.zoo.llama3_8b().prefill(sc.Shape(N=B, L=T))
    assert sc.equivalent(pre.kv_cache, 131072 * B * T)
    assert pre.macs == sc.zoo.llama3_8b().cost(sc.Shape(N=B, L=T), "macs").total.macs


def test_decode_refuses_an_encoder():
    with pytest.raises(sc.SymcostError, match="causal") as info:
        sc.zoo.bert_base().decode(P, g)
    assert info.value.field == "mask"
