"""Sequences and attention: the mask pair counts against brute-force enumeration, the
parameters of the attention and feed-forward kinds against torch modules, and MoE's total
and active parameters against a hand count."""

import itertools

import pytest
import sympy

import symcost as sc
from symcost.layers.attention import kept_pairs

from .profiles import examples  # noqa: F401  (the profile is registered on import)


def _allowed(mask, i: int, j: int, P: int = 0) -> bool:
    """Whether query i (0-based among the new ones) may see key j (0-based over all keys),
    written from each mask's definition, independently of symcost's closed forms."""
    kind, size = (mask, None) if isinstance(mask, str) else mask
    if kind == "none":
        return True
    if kind == "causal":
        return j <= i
    if kind == "prefix":
        return j <= i + size
    if kind == "sliding":
        return i - size < j <= i
    return j <= i and j // size == i // size  # chunked: causal within the query's chunk


@pytest.mark.parametrize("mask", ["none", "causal", ("prefix", 3), ("prefix", 0),
                                  ("sliding", 1), ("sliding", 4), ("sliding", 9),
                                  ("chunked", 1), ("chunked", 3), ("chunked", 8)])
def test_kept_pairs_equal_enumeration(mask):
    for T in range(1, 12):
        P = mask[1] if isinstance(mask, tuple) and mask[0] == "prefix" else 0
        S = T + P if mask != "none" else T + 2
        counted = sum(_allowed(mask, i, j) for i, j in itertools.product(range(T), range(S)))
        pairs, _ = kept_pairs(mask, sympy.Integer(T), sympy.Integer(S))
        assert pairs == counted, (mask, T)


def test_symbolic_pairs_match_the_published_closed_forms():
    T, W, P = sc.dims("T W P")
    # TRANSFORMERS.md §2a: causal T(T+1)/2, prefix T*P + T(T+1)/2, sliding (T >= W)
    # W*T - W(W-1)/2; the sliding form with min(T, W) reduces to it when T >= W
    assert sympy.expand(kept_pairs("causal", T, T)[0] - T * (T + 1) / 2) == 0
    assert sympy.expand(kept_pairs(("prefix", P), T, T + P)[0] - T * P - T * (T + 1) / 2) == 0
    sliding = kept_pairs(("sliding", W), T, T)[0]
    Tw = W + sc.dim("extra")  # T >= W
    assert sympy.expand(sliding.subs(T, Tw).subs(sympy.Min(Tw, W), W)
                        - (W * Tw - W * (W - 1) / 2)) == 0
    # T = 8192, W = 4096: 25,167,872 exact vs MaxText's T*W - W**2/2 = 25,165,824
    assert kept_pairs(("sliding", 4096), 8192, 8192)[0] == 25_167_872


def test_causal_with_mismatched_keys_is_refused():
    with pytest.raises(sc.ShapeMismatchError, match="causal"):
        kept_pairs("causal", sympy.Integer(4), sympy.Integer(5))


def test_attention_and_mlp_params_equal_torch_modules():
    torch = pytest.importorskip("torch", reason="torch not installed (extra 'torch')")
    seq = sc.Shape(N=2, L=5, D=48)
    mha = sc.MultiheadAttention(embed_dim=48, num_heads=6)
    ref = torch.nn.MultiheadAttention(48, 6)
    assert mha.cost(seq).params == sum(p.numel() for p in ref.parameters())
    cross = sc.MultiheadAttention(embed_dim=48, num_heads=6, kv_length=7, kdim=20)
    ref = torch.nn.MultiheadAttention(48, 6, kdim=20, vdim=20)
    assert cross.cost(seq).params == sum(p.numel() for p in ref.parameters())
    ln = sc.RMSNorm(normalized_shape=48)
    assert ln.cost(seq).params == sum(p.numel() for p in torch.nn.RMSNorm(48).parameters())


def test_moe_total_and_active_params_by_hand():
    B, T, d, F = sc.dims("B T d F")
    expert = sc.GatedMLP(d_model=d, d_ff=F)
    moe = sc.MoE(num_experts=8, top_k=2, expert=expert, shared_experts=1)
    result = sc.Sequential([moe]).cost(sc.Shape(N=B, L=T, D=d), "macs")
    # router 8d, 8 routed experts of 3dF, 1 shared expert; a token uses 2 routed + shared
    assert sympy.expand(result.params - (8 * d + 9 * 3 * d * F)) == 0
    assert sympy.expand(result.active_params - (8 * d + 3 * 3 * d * F)) == 0
    # MACs per token: router d*8, the top-2 experts and the shared one, 3dF each
    assert sympy.expand(result.total.macs - B * T * (8 * d + 9 * d * F)) == 0


def test_tied_head_counts_its_weight_once():
    B, T = sc.dims("B T")
    net = sc.Sequential([sc.Embedding(num_embeddings=100, embedding_dim=16),
                         sc.Linear(in_features=16, out_features=100, bias=False, tied=True)])
    result = net.cost(sc.Shape(N=B, L=T), "macs")
    assert result.params == 1600 and result.total.macs == 1600 * B * T


def test_a_token_model_imports_with_embedding_and_rms_norm():
    torch = pytest.importorskip("torch", reason="torch not installed (extra 'torch')")
    from torch.utils.flop_counter import FlopCounterMode

    nn = torch.nn

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.norm = nn.Embedding(50, 16), nn.RMSNorm(16)
            self.fc, self.head = nn.Linear(16, 32), nn.Linear(32, 50, bias=False)

        def forward(self, ids):
            return self.head(torch.relu(self.fc(self.norm(self.wte(ids)))))

    model = TinyLM()
    B, T = sc.dims("B T")
    x = sc.Shape(N=B, L=T)
    result = sc.from_torch(model, x).cost(x, "torch")
    assert result.uncosted == []
    assert result.params == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(3, 7, dtype=torch.long))
    assert result.evaluate(B=3, T=7).flops == counter.get_total_flops()  # FlopCounterMode


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_torch_transformer_encoder_imports_and_equals_flop_counter(norm_first, activation):
    """nn.TransformerEncoder(Layer) imported with from_torch: params equal the module's and
    the `torch` preset equals FlopCounterMode on the meta device in train mode, where torch
    runs attention through bmm (on CPU it counts fused attention 0, pytorch #195460)."""
    torch = pytest.importorskip("torch", reason="torch not installed (extra 'torch')")
    from torch.utils.flop_counter import FlopCounterMode

    layer = torch.nn.TransformerEncoderLayer(48, 4, 80, dropout=0.0, batch_first=True,
                                             norm_first=norm_first, activation=activation)
    model = torch.nn.TransformerEncoder(layer, 3, norm=torch.nn.LayerNorm(48),
                                        enable_nested_tensor=False)
    B, T = sc.dims("B T")
    x = sc.Shape(N=B, L=T, D=48)
    result = sc.from_torch(model, x).cost(x, "torch")
    assert result.uncosted == []
    assert result.params == sum(p.numel() for p in model.parameters())
    model = model.to("meta").train()
    for b, t in ((1, 5), (3, 11)):
        with FlopCounterMode(display=False) as counter:
            model(torch.zeros(b, t, 48, device="meta"))
        assert result.evaluate(B=b, T=t).flops == counter.get_total_flops(), (b, t)


@pytest.mark.parametrize("mask", [("sliding", 4096), ("chunked", 128), ("prefix", "P"),
                                  "causal"])
def test_mask_formulas_compile_exactly(mask):
    """lambdify handles the masks' Min and floor (it raised AttributeError on Min once)."""
    np = pytest.importorskip("numpy")
    B, T = sc.dims("B T")
    attn = sc.MultiheadAttention(embed_dim=64, num_heads=4, mask=mask, bias=False)
    cost = attn.cost(sc.Shape(N=B, L=T, D=64), "flops")
    names = sorted(s.name for s in cost.flops.free_symbols)
    fn = cost.lambdify(*names, metric="flops")
    points = [1, 7, 5000, 9000]
    values = fn(**{n: np.array(points) for n in names})
    assert [int(v) for v in values] == [cost.evaluate(**{n: p for n in names}).flops
                                       for p in points]


def test_a_misspelt_cost_option_is_named_with_a_hint():
    with pytest.raises(sc.SpecError, match="did you mean 'training'"):
        sc.zoo.gpt2().cost(sc.Shape(N=1, L=4), "torch", trainig=True)
