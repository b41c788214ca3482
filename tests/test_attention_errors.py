"""Bad sequence and attention specs: each is a SymcostError naming the layer path, the
field and the value, with a hint of what to give instead (table-driven)."""

import pytest

import symcost as sc

SEQ = sc.Shape(N=2, L=8, D=12)


def _in_network(layer, shape=SEQ):
    """The layer as block 0 of a network, so that its path is part of the message."""
    return lambda: sc.Sequential([sc.Identity(), layer]).cost(shape)


# (id, action, error class, path, field, value in the message, hint in the message)
CASES = [
    ("heads do not divide the width",
     _in_network(sc.MultiheadAttention(embed_dim=12, num_heads=5)), sc.SpecError,
     "1 (multihead_attention)", "num_heads", "5 (embed_dim 12)", "divides the width"),
    ("kv heads do not divide the heads",
     _in_network(sc.MultiheadAttention(embed_dim=12, num_heads=4, num_kv_heads=3)),
     sc.SpecError, "1 (multihead_attention)", "num_kv_heads", "3 (heads 4)",
     "Use a divisor of the head count"),
    ("top_k above the experts",
     _in_network(sc.MoE(num_experts=4, top_k=5, expert=sc.MLP(d_model=12, d_ff=8))),
     sc.SpecError, "1 (moe)", "top_k", "5 (num_experts 4)", "at most num_experts"),
    ("a mask of an unknown kind",
     (lambda: sc.MultiheadAttention(embed_dim=12, num_heads=4, mask="diagonal")),
     sc.SpecError, "multihead_attention", "mask", "'diagonal'", "mask=('sliding', 4096)"),
    ("an unknown sized mask",
     (lambda: sc.ScaledDotProductAttention(mask=["window", 3])),
     sc.SpecError, "sdpa", "mask", "'window'", "('chunked', C)"),
    ("a sliding window of 0",
     (lambda: sc.MultiheadAttention(embed_dim=12, num_heads=4, mask=("sliding", 0))),
     sc.SpecError, "multihead_attention", "mask", "given 0", "give 1 or more"),
    ("a negative sliding window",
     (lambda: sc.MultiheadAttention(embed_dim=12, num_heads=4, mask=["sliding", -2])),
     sc.SpecError, "multihead_attention", "mask", "given -2", "give 1 or more"),
    ("a sequence fed to a Conv2d",
     _in_network(sc.Conv2d(in_channels=8, out_channels=4, kernel_size=3)),
     sc.ShapeMismatchError, "1 (conv2d)", "input", "Shape(N=2, L=8, D=12)", "Conv1d"),
    ("a sequence longer than the positions table",
     _in_network(sc.PositionalEmbedding(num_positions=4, embedding_dim=12)),
     sc.ShapeMismatchError, "1 (positional_embedding)", "num_positions",
     "sequence length 8", "enlarge the table"),
    ("a causal mask on cross-attention",
     _in_network(sc.MultiheadAttention(embed_dim=12, num_heads=4, kv_length=5,
                                       mask="causal")),
     sc.SpecError, "1 (multihead_attention)", "mask", "causal", "mask='none'"),
    ("rotary on an odd head dim",
     _in_network(sc.MultiheadAttention(embed_dim=9, num_heads=3, rotary=True),
                 sc.Shape(N=2, L=8, D=9)),
     sc.SpecError, "1 (multihead_attention)", "rotary", "head_dim 3", "even head_dim"),
    ("rotary over an odd width",
     _in_network(sc.RotaryEmbedding(dim=5), sc.Shape(N=2, L=8, D=5)),
     sc.SpecError, "1 (rotary_embedding)", "dim", "given 5", "even"),
    ("a prefix mask with as many keys as queries",
     (lambda: sc.ScaledDotProductAttention(mask=("prefix", 2)).combine(
         [sc.Shape(N=1, heads=2, L=4, D=3)] * 3, "0 (sdpa)")),
     sc.ShapeMismatchError, "0 (sdpa)", "mask", "prefix(2)", "mask='none'"),
    ("grouped heads without enable_gqa",
     (lambda: sc.ScaledDotProductAttention().combine(
         [sc.Shape(N=1, heads=4, L=4, D=3), sc.Shape(N=1, heads=2, L=4, D=3),
          sc.Shape(N=1, heads=2, L=4, D=3)], "0 (sdpa)")),
     sc.ShapeMismatchError, "0 (sdpa)", "enable_gqa", "4 vs 2", "enable_gqa=True"),
]


@pytest.mark.parametrize("action, error, path, field, value, hint", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_attention_specs_raise_clear_symcost_errors(action, error, path, field, value,
                                                        hint):
    with pytest.raises(error) as info:
        action()
    err = info.value
    assert isinstance(err, sc.SymcostError) and isinstance(err, ValueError)
    message = str(err)
    assert err.field == field, message
    assert path in (err.layer or ""), message
    assert value in message and hint in message, message
    assert "pydantic" not in message and "validation error" not in message, message
