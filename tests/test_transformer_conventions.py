"""The transformer presets against what they claim to reproduce: each published formula
(Kaplan, Chinchilla, Narayanan, Korthikanti, PaLM), written out here from the paper in sympy,
is derived layer by layer from a symbolic decoder spec (``sc.zoo.decoder_lm``) under the
matching preset and checked with ``sc.equivalent``; the calflops preset against calflops run on
small Hugging Face models (random weights, eager attention, built from config objects)."""

import sys

import pytest
import sympy

import symcost as sc

L, d, V, B, T, F, H, Dh, n_ctx = sc.dims("L d V B T F H Dh n_ctx")


def per_op(result, metric="flops"):
    """Leaf rows summed by the last part of their path (q_proj, attention, fc1, lm_head...)."""
    out: dict[str, sympy.Expr] = {}
    for row in result.breakdown(leaves_only=True):
        label = row.path.rsplit(".", 1)[-1]
        out[label] = out.get(label, 0) + getattr(row.cost, metric)
    return out


def gpt(**kw):
    """GPT with symbolic heads H of width Dh (d_attn = H·Dh need not be d), FFN width F."""
    config = dict(n_kv_heads=None, head_dim=Dh, max_positions=n_ctx, bias=False,
                  tie_embeddings=False, mask="causal")
    config.update(kw)
    return sc.zoo.decoder_lm(L, d, H, F, V, **config)


SEQ = sc.Shape(N=B, L=T)


# --------------------------------------------------------------------------- Kaplan 2020


def test_kaplan_table1_per_operation():
    """Kaplan et al. 2020, Table 1, FLOPs per token of the forward pass."""
    d_attn = H * Dh
    ops = per_op(gpt().cost(SEQ, "kaplan"))
    tokens = B * T
    table1 = {  # operation -> (our rows, Table 1's FLOPs per token)
        "Embed": (ops["embed"] + ops["positions"], 4 * d),
        "Attention: QKV": (ops["q_proj"] + ops["k_proj"] + ops["v_proj"], 2 * L * d * 3 * d_attn),
        "Attention: Mask": (ops["attention"], 2 * L * n_ctx * d_attn),
        "Attention: Project": (ops["out_proj"], 2 * L * d_attn * d),
        "Feedforward": (ops["fc1"] + ops["fc2"], 2 * L * 2 * d * F),
        "De-embed": (ops["lm_head"], 2 * d * V),
    }
    for name, (ours, paper) in table1.items():
        # n_ctx is the context the attention sees: the T tokens of the input
        assert sc.equivalent(ours, tokens * paper.subs(n_ctx, T)), name
    # norms, biases, softmax, activations, residual adds: not in Table 1
    assert all(ops[k] == 0 for k in ("norm_1", "norm_2", "norm", "act", "add_1", "add_2"))


def test_kaplan_c_forward_is_2n_plus_the_context_term():
    """C_forward = 2N + 2·n_layer·n_ctx·d_attn, N = 2·d_model·n_layer·(2·d_attn + d_ff)
    (non-embedding), the embedding and de-embedding rows apart."""
    d_attn = H * Dh
    N = 2 * d * L * (2 * d_attn + F)
    result = gpt().cost(SEQ, "kaplan")
    ops = per_op(result)
    forward = (result.total.flops - ops["embed"] - ops["lm_head"]) / (B * T)
    assert sc.equivalent(forward, 2 * N + 2 * L * T * d_attn)
    # N is the spec's parameters less the embeddings, the untied head and the norms (which
    # Kaplan leaves out): the difference is an expression
    spec_params = result.total.params
    rest = sympy.expand(spec_params - N)
    assert sc.equivalent(rest, V * d + n_ctx * d + d * V + (2 * L + 1) * d)


# ------------------------------------------------------------------- Chinchilla App. F


def test_chinchilla_appendix_f_per_component():
    """Hoffmann et al. 2022, Appendix F, FLOPs per sequence (K key size, H heads)."""
    K = Dh
    ops = per_op(gpt().cost(sc.Shape(N=1, L=T), "chinchilla"))
    appendix_f = {
        "embeddings": (ops["embed"], 2 * T * V * d),
        "attention QKV": (ops["q_proj"] + ops["k_proj"] + ops["v_proj"],
                          L * 2 * 3 * T * d * K * H),
        # K@Q logits + softmax + softmax@query reductions, dense whatever the mask
        "attention core": (ops["attention"],
                           L * (2 * T**2 * K * H + 3 * H * T**2 + 2 * T**2 * K * H)),
        "final linear": (ops["out_proj"], L * 2 * T * K * H * d),
        "dense block": (ops["fc1"] + ops["fc2"], L * 2 * T * (d * F + d * F)),
        "final logits": (ops["lm_head"], 2 * T * d * V),
    }
    for name, (ours, paper) in appendix_f.items():
        assert sc.equivalent(ours, paper), name
    total = sum(paper for _, paper in appendix_f.values())
    assert sc.equivalent(sum(ops.values()), total)


# ----------------------------------------------------- Narayanan / Korthikanti / Megatron


def test_narayanan_parameter_count_and_the_final_layernorm():
    """Narayanan et al. 2021: P = 12·l·h²·(1 + 13/(12h) + (V + s)/(12·l·h)) for GPT (biases,
    learned positions s, tied embeddings, d_ff = 4h). The spec has one more LayerNorm (the
    final one): 2h."""
    l, h, s = L, d, n_ctx
    P = 12 * l * h**2 * (1 + sympy.Rational(13, 12) / h + (V + s) / (12 * l * h))
    lm = sc.zoo.decoder_lm(l, h, H, 4 * h, V, max_positions=s, bias=True, tie_embeddings=True)
    params = lm.cost(SEQ, "macs").total.params
    assert sc.equivalent(params - P, 2 * h)


def test_korthikanti_model_flops_are_three_megatron_forwards_without_mask():
    """Korthikanti et al. 2022: 72·B·s·l·h²·(1 + s/(6h) + V/(12·l·h)) per iteration = 3 × the
    megatron preset's forward with mask 'none' (a heads, head size h/a)."""
    a = sc.dim("a")
    l, h, s = L, d, T
    lm = sc.zoo.decoder_lm(l, h, a, 4 * h, V, max_positions=n_ctx, bias=True, mask="none")
    forward = lm.cost(sc.Shape(N=B, L=s), "megatron").total.flops
    korthikanti = 72 * B * s * l * h**2 * (1 + s / (6 * h) + V / (12 * l * h))
    assert sc.equivalent(3 * forward, korthikanti)


def test_palm_six_n_plus_twelve_lhqt_is_three_palm_forwards_per_token():
    """PaLM App. B: 6N + 12·L·H·Q·T per token trained (N all parameters), untied and tied,
    LLaMA-style (rotary, RMSNorm, SwiGLU) and GPT-style."""
    Q = Dh
    for kw in (dict(max_positions=None, norm="rmsnorm", mlp="swiglu"),
               dict(tie_embeddings=True, bias=True), dict(n_kv_heads=1)):
        result = gpt(**kw).cost(SEQ, "palm")
        N = result.total.params
        per_token = result.total.flops / (B * T)
        assert sc.equivalent(3 * per_token, 6 * N + 12 * L * H * Q * T), kw


def test_exact_causal_pairs_against_the_halved_square():
    """The census counts T·(T + 1)/2 causal pairs per head, Megatron T²/2: the flops of
    the 'macs' preset (every kept pair, 2 per MAC) exceed megatron's by 2·Dh·H·B·L·T
    (4·Dh FLOPs per pair, T/2 pairs per head and layer), on the attention rows only."""
    lm = gpt()
    exact = lm.cost(SEQ, "macs").total.flops
    halved = lm.cost(SEQ, "megatron").total.flops
    assert sc.equivalent(exact - halved, 4 * Dh * H * B * L * (T * (T + 1) / 2 - T**2 / 2))
    diff = sc.compare_conventions(lm, SEQ, "macs", "megatron", metric="flops")
    assert [(r.kind, r.count) for r in diff.rows] == [("attention", L)]
    assert sc.equivalent(diff.rows[0].difference, 2 * B * Dh * H * L * T)
    assert "T²/2" in diff.rows[0].rule_b
    # T = 8192: 33,558,528 pairs per head against 33,554,432
    at = diff.at(B=1, L=1, H=1, Dh=1, T=8192, d=8, F=8, V=8, n_ctx=8192)
    assert at.rows[0].value_a // 4 == 33_558_528 and at.rows[0].value_b // 4 == 33_554_432


def test_compare_conventions_explains_tools_rule_by_rule_on_a_transformer():
    lm = gpt(max_positions=None, norm="rmsnorm", mlp="swiglu", n_kv_heads=2)
    diff = sc.compare_conventions(lm, SEQ, "fvcore", "calflops", metric="flops")
    kinds = {r.kind: r for r in diff.rows}
    # fvcore: no softmax, no SiLU; calflops: F.softmax and F.silu counted, RMSNorm neither
    assert set(kinds) == {"attention", "silu"}
    assert sc.equivalent(kinds["attention"].difference, -B * H * T**2 * L)
    assert "F.softmax" in kinds["attention"].rule_b
    diff = sc.compare_conventions(lm, SEQ, "torch", "kaplan")
    assert {r.kind for r in diff.rows} == {"attention", "embedding"}


def test_fused_attention_is_zero_where_the_tool_has_no_formula():
    """nn.MultiheadAttention runs the fused kernel: FlopCounterMode on CPU (torch_cpu),
    fvcore, ptflops, calflops see 0; DeepSpeed, and FlopCounterMode on GPU or meta tensors
    (torch), price it dense."""
    mha = sc.MultiheadAttention(embed_dim=d, num_heads=H, head_dim=Dh, bias=False,
                                mask="causal", fused=True)
    x = sc.Shape(N=B, L=T, D=d)
    projections = 4 * 2 * B * T * d * H * Dh
    for name in ("torch_cpu", "fvcore", "ptflops", "calflops"):
        assert sc.equivalent(mha.cost(x, name).flops, projections), name
    for name in ("deepspeed", "torch"):
        assert sc.equivalent(mha.cost(x, name).flops, projections + 4 * B * H * T**2 * Dh)
    eager = mha.model_copy(update={"fused": False})
    assert sc.equivalent(eager.cost(x, "torch").flops, projections + 4 * B * H * T**2 * Dh)


# --------------------------------------------------------------- calflops, run itself


@pytest.fixture(scope="module")
def hf():
    pytest.importorskip("torch", reason="the calflops comparison needs torch")
    # transformers imports torchvision when it is installed, and a torchvision built for
    # another torch fails there (the case in some environments); none of these models needs
    # it, so it is hidden while transformers loads
    hide = "transformers" not in sys.modules
    saved = sys.modules.get("torchvision")
    if hide:
        sys.modules["torchvision"] = None  # type: ignore[assignment]
    try:
        # calflops imports transformers itself
        pytest.importorskip("calflops", reason="the calflops comparison needs calflops")
        transformers = pytest.importorskip(
            "transformers", reason="the calflops comparison builds Hugging Face models")
        transformers.LlamaConfig, transformers.GPT2Config  # noqa: B018 (lazy imports)
        transformers.LlamaForCausalLM, transformers.GPT2LMHeadModel  # noqa: B018
    finally:
        if hide and saved is not None:
            sys.modules["torchvision"] = saved
        elif hide:
            del sys.modules["torchvision"]
    return transformers


def _calflops(model, B_, T_):
    import torch
    from calflops import calculate_flops

    ids = torch.randint(0, model.config.vocab_size, (B_, T_))
    flops, macs, params = calculate_flops(model=model, kwargs={"input_ids": ids},
                                          print_results=False, print_detailed=False,
                                          output_as_string=False)
    return flops, macs, params


def _small(transformers, cls, config):
    import torch

    torch.manual_seed(0)
    config._attn_implementation = "eager"
    return cls(config).eval()


CASES = [(1, 7), (2, 13)]


@pytest.mark.parametrize("B_,T_", CASES)
def test_calflops_preset_equals_calflops_on_hf_llama(hf, B_, T_):
    cfg = hf.LlamaConfig(vocab_size=97, hidden_size=64, intermediate_size=96,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=64, tie_word_embeddings=False)
    model = _small(hf, hf.LlamaForCausalLM, cfg)
    flops, macs, params = _calflops(model, B_, T_)
    lm = sc.zoo.decoder_lm(2, 64, 4, 96, 97, n_kv_heads=2, norm="rmsnorm", mlp="swiglu",
                           bias=False, tie_embeddings=False)
    ours = lm.cost(sc.Shape(N=B_, L=T_), "calflops").total
    assert (ours.flops, ours.macs, ours.params) == (flops, macs, params)


@pytest.mark.parametrize("B_,T_", CASES)
def test_calflops_preset_equals_calflops_on_hf_gpt2_up_to_conv1d_bias(hf, B_, T_):
    """GPT-2's Conv1D calls torch.addmm, which calflops charges numel(bias) = out once per
    call (not per row): 3d + d + 4d + d = 9d per layer, which no spec field records."""
    n_layer, n_embd = 2, 48
    cfg = hf.GPT2Config(vocab_size=101, n_positions=40, n_embd=n_embd, n_layer=n_layer,
                        n_head=4)
    model = _small(hf, hf.GPT2LMHeadModel, cfg)
    flops, macs, params = _calflops(model, B_, T_)
    lm = sc.zoo.decoder_lm(n_layer, n_embd, 4, 4 * n_embd, 101, max_positions=40,
                           mlp="gelu_tanh", bias=True, tie_embeddings=True)
    ours = lm.cost(sc.Shape(N=B_, L=T_), "calflops").total
    assert (ours.macs, ours.params) == (macs, params)
    assert flops - ours.flops == 9 * n_embd * n_layer
