"""The transformer zoo against the real models, and the config-driven builders symbolically.

References, each independent of symcost:
* ``tests/fixtures/transformers_reference.json`` (branch hf-reference,
  ``benchmarks/transformers_reference.py``): for every zoo entry, ``sum(p.numel() for p in
  model.parameters())`` of the Hugging Face ``transformers`` 5.24.0 class
  (``GPT2LMHeadModel``, ``BertModel``, ``T5ForConditionalGeneration``, ``LlamaForCausalLM``,
  ``MistralForCausalLM``, ``MixtralForCausalLM``) or the torchvision 0.28.0 builder
  (``vit_b_16``, ``vit_l_16``) built from its published config (written out in
  ``tests/hf_models.py``), and torch 2.13.0 FlopCounterMode totals at (B, T) points with
  eager attention (ViT: the meta-device count, the one that sees every matmul);
* the same classes built live here (meta device) when torch and transformers are installed.

FlopCounterMode with eager attention counts QKᵀ and AV as bmm over every (query, key) pair:
4·B·H·T·S·Dh FLOPs per attention, as the ``torch`` preset prices it; ``torch_cpu`` is
FlopCounterMode on CPU tensors, where a fused kernel (torchvision's attention) counts 0.
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

import pytest
import sympy

import symcost as sc

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "transformers_reference.json")
                     .read_text())["zoo"]
LANGUAGE = [e.name for e in sc.zoo.list_models() if e.architecture == "transformer"]
VISION = [e.name for e in sc.zoo.list_models() if e.architecture == "vision_transformer"]
VIT = [n for n in VISION if n.startswith("vit")]
B, T = sc.dims("B T")
SIDE = sc.dim("H", multiple_of=16)

@cache
def lm_cost(name: str, convention: str = "torch") -> sc.NetworkCost:
    entry = sc.zoo.get(name)
    return entry.build().cost(entry.input(), convention)


@cache
def vit_cost(name: str, convention: str = "torch") -> sc.NetworkCost:
    image = sc.Shape(N=B, C=3, H=SIDE, W=SIDE)
    return sc.zoo.get(name).build().cost(image, convention)


def _points(name):
    return sorted(FIXTURE[name]["fcm"].items())


# ------------------------------------------------------------------ registry


def test_every_reference_model_is_in_the_zoo():
    assert set(FIXTURE) == set(LANGUAGE) | set(VISION)


@pytest.mark.parametrize("name", LANGUAGE)
def test_language_models_take_token_ids(name):
    assert sc.zoo.get(name).input() == sc.Shape(N=B, L=T)


def test_vision_transformers_take_a_square_image_sized_by_the_table():
    assert sc.zoo.get("vit_b_16").input() == sc.Shape(C=3, H=SIDE, W=SIDE)
    # the published builder is the 224 one; its table fixes the image size
    fixed = sc.zoo.vit_b_16().cost(sc.Shape(C=3, H=224, W=224), "macs").total
    assert fixed.params == FIXTURE["vit_b_16"]["params"]
    with pytest.raises(sc.ShapeMismatchError, match="num_positions"):
        sc.zoo.vit_b_16().cost(sc.Shape(C=3, H=240, W=240), "macs")


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize("name", LANGUAGE)
def test_params_equal_the_hf_class_on_its_published_config(name):
    # FIXTURE[name]["class"] built from FIXTURE[name]["config"] (tests/hf_models.py)
    ref = FIXTURE[name]
    assert lm_cost(name).total.params == ref["params"], (ref["class"], ref["config"])


@pytest.mark.parametrize("name", VIT)
def test_vit_params_equal_torchvision_at_224_and_as_a_formula_of_the_size(name):
    params = vit_cost(name).total.params
    assert params.subs(SIDE, 224) == FIXTURE[name]["params"]
    if name == "vit_b_16":  # torchvision.models.vit_b_16(image_size=384)
        assert params.subs(SIDE, 384) == FIXTURE[name]["fcm"]["B2_img384"]["params"]


def test_mixtral_counts_every_expert():
    # params count all 8 experts (what the checkpoint holds); 2 of 8 per token leave the
    # published 12.9B active (Mistral AI's announcement), here by hand and as reported
    result = lm_cost("mixtral_8x7b")
    total = result.total.params
    assert total == FIXTURE["mixtral_8x7b"]["params"]
    experts = 32 * 8 * 3 * 4096 * 14336
    assert total - experts * 6 // 8 == 12_879_925_248 == result.active_params


# ------------------------------------------------------------------ FlopCounterMode


@pytest.mark.parametrize("name", LANGUAGE)
def test_eager_torch_flops_equal_flop_counter_mode(name):
    total = lm_cost(name).total
    for key, point in _points(name):
        assert total.evaluate(B=point["B"], T=point["T"]).flops == point["flops"], key


@pytest.mark.parametrize("name", VIT)
def test_vit_torch_flops_equal_flop_counter_mode_on_meta(name):
    total = vit_cost(name).total
    for key, point in _points(name):
        expected = point["meta_eval_no_grad"]["flops"]
        got = total.evaluate(B=point["B"], H=point["image_size"]).flops
        assert got == expected, key


@pytest.mark.parametrize("name", VIT)
def test_vit_torch_cpu_preset_equals_flop_counter_mode_on_cpu(name):
    # torchvision's nn.MultiheadAttention runs fused SDPA, which FlopCounterMode counts 0 on
    # CPU (the projections count when grad is on: the slow path; eval + no_grad takes the
    # fast path and drops the whole block, which no per-layer rule can reproduce)
    total = vit_cost(name, "torch_cpu").total
    for key, point in _points(name):
        expected = point["cpu_train_no_grad"]["flops"]
        assert total.evaluate(B=point["B"], H=point["image_size"]).flops == expected, key


def test_swin_t_equals_torchvision_at_224_and_is_linear_in_the_area():
    image = sc.Shape(N=B, C=3, H=sc.dim("H", multiple_of=224), W=sc.dim("W", multiple_of=224))
    total = sc.zoo.get("swin_t").build().cost(image, "torch").total
    ref = FIXTURE["swin_t"]
    assert total.params == ref["params"]
    assert total.buffers == ref["buffers_persistent"]  # relative_position_index, 12 × 49²
    for key, point in _points("swin_t"):
        s = point["image_size"]
        assert total.evaluate(B=point["B"], H=s, W=s).flops == point["flops"], key
    # windows of fixed size: attention grows with the area, not its square
    assert sympy.Poly(total.flops, image.H, image.W).total_degree() == 2


def test_gpt2_closed_form_is_the_reference_polynomial():
    # FCM on GPT2LMHeadModel: 1536·B·T·(24T + 160849) (fixture report, section 3)
    flops = lm_cost("gpt2").total.flops
    assert sympy.expand(flops - 1536 * B * T * (24 * T + 160849)) == 0


def test_torch_preset_equals_flop_counter_mode_on_gpt2():
    cost = lm_cost("gpt2", "torch").total
    for _, point in _points("gpt2"):
        assert cost.evaluate(B=point["B"], T=point["T"]).flops == point["flops"]


# ------------------------------------------------------------------ live, when installed


def _live():
    pytest.importorskip("torch", reason="the live reference models need torch")
    pytest.importorskip("transformers", reason="transformers not installed (the live "
                        "comparison needs it; the fixture tests above do not)")
    from tests import hf_models

    return hf_models


@pytest.mark.parametrize("name", ["gpt2", "llama3_8b"])
def test_params_equal_the_live_class_on_meta(name):
    hf = _live()
    model = hf.ZOO[name](device="meta")  # GPT2LMHeadModel / LlamaForCausalLM, published config
    assert lm_cost(name).total.params == sum(p.numel() for p in model.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("name", LANGUAGE + VISION)
def test_params_equal_every_live_class_on_meta(name):
    hf = _live()
    model = hf.ZOO[name](device="meta")
    numel = sum(p.numel() for p in model.parameters())
    entry = sc.zoo.get(name)
    params = entry.build().cost(entry.input(), "macs").total.evaluate(H=224, W=224).params \
        if name in VISION else lm_cost(name).total.params
    assert params == numel


def test_gpt2_flops_equal_live_flop_counter_mode_on_meta():
    hf = _live()
    model = hf.gpt2(device="meta")
    total = lm_cost("gpt2").total
    for b, t in [(1, 7), (3, 333)]:
        fcm = hf.fcm_flops(model, {"input_ids": hf.token_inputs(b, t, device="meta")})
        assert total.evaluate(B=b, T=t).flops == fcm


@pytest.mark.slow
@pytest.mark.parametrize("name", ["llama3_8b", "mistral_7b", "mixtral_8x7b", "t5_base",
                                  "bert_large"])
def test_flops_equal_live_flop_counter_mode_on_meta(name):
    hf = _live()
    model = hf.ZOO[name](device="meta")
    total = lm_cost(name).total
    b, t = 3, 333
    inputs = {"input_ids": hf.token_inputs(b, t, device="meta")}
    if name.startswith("t5"):
        inputs["decoder_input_ids"] = hf.token_inputs(b, t, device="meta")
    assert total.evaluate(B=b, T=t).flops == hf.fcm_flops(model, inputs)


@pytest.mark.slow
def test_t5_with_a_source_longer_than_the_target_equals_live_flop_counter_mode():
    hf = _live()
    S = sc.dim("S")
    spec = sc.zoo.t5_small(source_length=S)  # the decoder's length stays the symbol T
    total = spec.cost(sc.Shape(N=B, L=S), "torch").total
    inputs = {"input_ids": hf.token_inputs(2, 9, device="meta"),
              "decoder_input_ids": hf.token_inputs(2, 5, device="meta")}
    assert total.evaluate(B=2, S=9, T=5).flops == hf.fcm_flops(hf.t5_small(device="meta"),
                                                               inputs)


@pytest.mark.slow
def test_vit_flops_equal_live_flop_counter_mode_on_meta():
    hf = _live()
    import torch

    for size in (224, 384):
        model = hf.vit_b_16(device="meta", image_size=size)
        x = torch.zeros((2, 3, size, size), device="meta")
        assert vit_cost("vit_b_16").total.evaluate(B=2, H=size).flops == hf.fcm_flops(model, x)
    image = sc.Shape(N=B, C=3, H=sc.dim("H", multiple_of=224), W=sc.dim("W", multiple_of=224))
    swin = sc.zoo.get("swin_t").build().cost(image, "torch").total
    x = torch.zeros((1, 3, 448, 224), device="meta")  # a shifted last stage, not square
    assert swin.evaluate(B=1, H=448, W=224).flops == hf.fcm_flops(hf.swin_t(device="meta"), x)


# ------------------------------------------------------------------ symbolic builders

n, d, V, H, G = sc.dims("n_layer d_model V n_heads n_kv")


def _params(**kwargs) -> sympy.Expr:
    config = dict(n_layers=n, d_model=d, n_heads=12, d_ff=4 * d, vocab=V)
    config.update(kwargs)
    return sympy.expand(sc.zoo.decoder_lm(**config).cost(sc.Shape(N=B, L=T), "macs")
                        .total.params)


def test_kaplan_count_is_the_leading_term_of_the_params():
    params = _params()
    assert sympy.Poly(params, d).LC() == 12 * n
    non_embedding = params - V * d
    assert sympy.limit(non_embedding / (12 * n * d**2), d, sympy.oo) == 1


def test_the_exact_params_of_a_gpt_like_decoder():
    # per layer 12d² (attention 4d², MLP 8d²) + 13d (biases 4d + 5d, two LayerNorms 4d);
    # final LayerNorm 2d; tied head: V·d once; learned positions P·d
    P = sc.dim("P")
    assert _params(max_positions=P) == sympy.expand(
        n * (12 * d**2 + 13 * d) + 2 * d + V * d + P * d)
    assert _params(tie_embeddings=False) - _params() == V * d


def test_gqa_saves_two_kv_projections_per_missing_head():
    full = _params(n_heads=H, bias=False)
    grouped = _params(n_heads=H, n_kv_heads=G, bias=False)
    # k_proj and v_proj shrink from d×d to d×(G·d/H) in every layer
    assert sympy.simplify(full - grouped - 2 * n * d**2 * (H - G) / H) == 0


def test_swiglu_and_rmsnorm_as_llama():
    params = _params(norm="rmsnorm", mlp="swiglu", bias=False, d_ff=sc.dim("F"),
                     tie_embeddings=False)
    F = sc.dim("F")
    assert params == sympy.expand(n * (4 * d**2 + 3 * d * F + 2 * d) + d + 2 * V * d)


def test_attention_is_quadratic_in_the_length_under_eager_torch():
    lm = sc.zoo.decoder_lm(n_layers=n, d_model=d, n_heads=H, d_ff=4 * d, vocab=V)
    flops = sympy.expand(lm.cost(sc.Shape(N=B, L=T), "torch").total.flops)
    # 4·B·H·T²·Dh per layer, Dh = d/H: 4·n·B·T²·d
    assert sympy.Poly(flops, T).coeff_monomial(T**2) == 4 * n * B * d
    assert sympy.Poly(flops, T).coeff_monomial(T) == sympy.expand(
        2 * B * (n * 12 * d**2 + d * V))


def test_encoder_builder_symbolic():
    enc = sc.zoo.encoder(n, d, 12, 4 * d, V, max_positions=sc.dim("P"))
    params = sympy.expand(enc.cost(sc.Shape(N=B, L=T), "macs").total.params)
    assert sympy.Poly(params, d).LC() == 12 * n


def test_bad_configurations_are_clear_errors():
    with pytest.raises(sc.SpecError, match="norm"):
        sc.zoo.decoder_lm(2, 64, 4, 256, 100, norm="batchnorm")
    with pytest.raises(sc.SpecError, match="mlp"):
        sc.zoo.decoder_lm(2, 64, 4, 256, 100, mlp="tanh")
    with pytest.raises(sc.SymcostError, match="num_heads"):
        sc.zoo.decoder_lm(2, 64, 5, 256, 100).cost(sc.Shape(N=1, L=8), "macs")
    with pytest.raises(sc.SymcostError, match="num_kv_heads"):
        sc.zoo.decoder_lm(2, 64, 4, 256, 100, n_kv_heads=3).cost(sc.Shape(N=1, L=8), "macs")


# ------------------------------------------------------------------ depth costs nothing


def test_llama3_70b_closed_form_builds_fast_and_independently_of_depth():
    from symcost.zoo.llama import llama_model

    def build_time(layers):
        spec = llama_model(vocab_size=128256, hidden_size=8192, intermediate_size=28672,
                           num_hidden_layers=layers, num_attention_heads=64,
                           num_key_value_heads=8)
        start = time.perf_counter()
        total = spec.cost(sc.Shape(N=B, L=T), "torch").total
        total.flops, total.params  # noqa: B018
        return time.perf_counter() - start

    build_time(1)  # warm caches
    one, eighty = min(build_time(1) for _ in range(3)), min(build_time(80) for _ in range(3))
    assert eighty < 0.5
    assert eighty < 3 * one + 0.05


def test_cli_reports_a_tied_language_model(capsys):
    # a tied, bias-free lm_head has params 0; it used to be the int 0, which crashed the report
    from symcost.cli import main

    assert main(["report", "gpt2", "--at", "B=3", "T=333", "--convention", "torch",
                 "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "lm_head" in out and "124,439,808" in out
