"""The sequence kinds on named cases: every mask kind, grouped-query and cross-attention,
rotary after a prefix, a position bias, mixtures of experts — each executed on counting
numbers (tests/executor.py) against its census and torch; a MoE's total independent of
the routing; every new kind through JSON (the mask as a list)."""

import json
from collections import Counter

import numpy as np
import pytest

import symcost as sc
from tests import executor
from tests.executor import run
from tests.test_census_oracle import _float64, check  # noqa: F401  (the float64 fixture)

SEQ = sc.Shape(N=2, L=5, D=8)
MASKS = ["none", "causal", ("prefix", 0), ("prefix", 3), ("sliding", 1), ("sliding", 2),
         ("sliding", 7), ("chunked", 1), ("chunked", 2), ("chunked", 5)]

CASES = [
    *[(f"gqa mask {m}", sc.MultiheadAttention(embed_dim=8, num_heads=4, num_kv_heads=2,
                                              mask=m)) for m in MASKS],
    ("mqa rotary after a prefix, no scale, position bias",
     sc.MultiheadAttention(embed_dim=8, num_heads=4, num_kv_heads=1, head_dim=2, rotary=True,
                           mask=("prefix", 2), scale=False, position_bias=True)),
    ("cross-attention, rotary, kdim", sc.MultiheadAttention(
        embed_dim=8, num_heads=2, kv_length=3, kdim=6, rotary=True, out_bias=False)),
    ("rotary sliding", sc.MultiheadAttention(embed_dim=8, num_heads=2, rotary=True,
                                             mask=("sliding", 3), bias=False)),
    ("moe top 2 of 4, gated", sc.MoE(num_experts=4, top_k=2,
                                     expert=sc.GatedMLP(d_model=8, d_ff=3))),
    ("moe all experts, shared, not renormalised", sc.MoE(
        num_experts=3, top_k=3, shared_experts=2, normalize=False,
        expert=sc.MLP(d_model=8, d_ff=2, activation="gelu_tanh"))),
    ("moe one expert", sc.MoE(num_experts=1, top_k=1, expert=sc.Linear(in_features=8,
                                                                        out_features=8))),
    ("partial rotary", sc.RotaryEmbedding(dim=8, rotary_dim=4)),
    ("rms norm without weight", sc.RMSNorm(normalized_shape=8, elementwise_affine=False)),
    ("mlp relu", sc.MLP(d_model=8, d_ff=4, activation="relu", bias=False)),
    ("geglu with bias", sc.GatedMLP(d_model=8, d_ff=4, activation="gelu", bias=True)),
    ("positions to the brim", sc.PositionalEmbedding(num_positions=5, embedding_dim=8)),
    ("a small language model", sc.Sequential([
        sc.Embedding(num_embeddings=11, embedding_dim=8),
        sc.PositionalEmbedding(num_positions=6, embedding_dim=8),
        sc.Residual(body=sc.Sequential([sc.RMSNorm(normalized_shape=8),
                                        sc.MultiheadAttention(embed_dim=8, num_heads=2,
                                                              mask="causal", rotary=True)])),
        sc.Residual(body=sc.Sequential([sc.RMSNorm(normalized_shape=8),
                                        sc.GatedMLP(d_model=8, d_ff=6)])),
        sc.Linear(in_features=8, out_features=11, bias=False, tied=True)])),
]


@pytest.mark.parametrize("name, layer", CASES, ids=[c[0] for c in CASES])
def test_sequence_census_on_named_cases(name, layer):
    shape = sc.Shape(N=2, L=5) if name == "a small language model" else SEQ
    check(layer, shape)


def test_moe_total_does_not_depend_on_routing():
    """Five routers (seeds) send the tokens to different experts; the executed operations
    are the same, and equal to the census."""
    moe = sc.MoE(num_experts=4, top_k=2, shared_experts=1,
                 expert=sc.GatedMLP(d_model=8, d_ff=3))
    shape = sc.Shape(N=3, L=4, D=8)
    census = {op: int(v) for op, v in moe.cost(shape, "flops").counts.items() if v != 0}
    loads = set()
    for seed in range(5):
        ctx = executor.Context(np.random.default_rng(seed))
        x, _ = executor.random_input(shape, ctx)
        ctx.t.counts.clear()
        executor.execute(moe, x, ctx)
        assert ctx.t.census() == census, seed
        (routes,) = ctx.routes
        assert all(len(set(r)) == 2 for r in routes)  # two distinct experts per token
        load = Counter(e for r in routes for e in r)
        loads.add(tuple(load[e] for e in range(4)))
    assert len(loads) > 1, "the routers should not all send the tokens the same way"


def test_values_are_those_of_torch_for_a_llama_block():
    values, _, expected = run(CASES[-1][1], sc.Shape(N=2, L=5), torch=pytest.importorskip(
        "torch"))
    np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-9)


SPECS = [
    sc.Embedding(num_embeddings=50257, embedding_dim=768),
    sc.PositionalEmbedding(num_positions=1024, embedding_dim=768),
    sc.RotaryEmbedding(dim=128, rotary_dim=64), sc.RMSNorm(normalized_shape=4096),
    sc.MultiheadAttention(embed_dim=4096, num_heads=32, num_kv_heads=8, bias=False,
                          mask=("sliding", 4096), rotary=True),
    sc.MultiheadAttention(embed_dim=512, num_heads=8, kv_length=sc.dim("S"), kdim=256),
    sc.MLP(d_model=768, d_ff=3072, activation="gelu_tanh"),
    sc.GatedMLP(d_model=4096, d_ff=14336),
    sc.MoE(num_experts=8, top_k=2, expert=sc.GatedMLP(d_model=4096, d_ff=14336)),
    sc.Linear(in_features=768, out_features=50257, bias=False, tied=True),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.kind for s in SPECS])
def test_sequence_kinds_round_trip_through_json(spec):
    text = sc.dump(spec)
    assert sc.load(text) == spec


@pytest.mark.parametrize("mask", [["sliding", 4096], ["chunked", 8192], ["prefix", 0],
                                  ["prefix", "P"], "causal", "none"])
def test_masks_are_json_lists_and_load_back(mask):
    merge = sc.ScaledDotProductAttention(mask=mask, enable_gqa=True)
    graph = sc.Graph(nodes=[sc.GraphNode(name="o", op=merge, inputs=("input",) * 3)])
    doc = json.loads(sc.dump(graph))
    assert doc["network"]["nodes"][0]["op"].get("mask", "none") == mask  # defaults omitted
    loaded = sc.load(sc.dump(graph))
    assert loaded == graph and loaded.nodes[0].op.mask == merge.mask
