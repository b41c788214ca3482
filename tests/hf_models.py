"""The transformer zoo's real models: Hugging Face ``transformers`` and torchvision builds.

One function per zoo name builds the exact class with the published configuration, written
out here in full (no hub download: every config is made in code), and returns it in eval
mode. ``device="meta"`` builds without allocating weights (parameter counts and FlopCounterMode
runs still work on meta tensors, except data-dependent code such as Mixtral's routing).

Used by benchmarks/transformers_reference.py (which writes
tests/fixtures/transformers_reference.json) and tests/test_hf_reference.py.

transformers imports torchvision when its model modules load, and the PyPI torchvision beside
the CPU torch only imports through tests/torchvision_compat.py; so :func:`transformers` runs
``import_torchvision()`` first, and everything here goes through it.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.torchvision_compat import import_torchvision

torch = pytest.importorskip("torch", reason="the reference models need torch")
FlopCounterMode = pytest.importorskip("torch.utils.flop_counter").FlopCounterMode

ATTN = "eager"  # attn_implementation of every HF model built here
# experts_implementation of Mixtral. transformers 5.x defaults to "grouped_mm", which
# FlopCounterMode counts as 0 (aten._grouped_mm is not in its registry) and whose meta kernel
# wants bf16; "eager" loops over the hit experts with torch.nonzero (fails on meta);
# "batched_mm" gathers each routed token's expert weights and runs aten.bmm: it works on meta
# and FCM counts every routed token, the same total as "eager" on CPU.
EXPERTS = "batched_mm"


def transformers():
    """The ``transformers`` module, imported after torchvision is made importable."""
    import_torchvision()
    import transformers as tf

    return tf


def _torchvision_models():
    tv = import_torchvision()
    if tv is None:
        raise ImportError("torchvision is not installed (extra 'vision')")
    return tv.models


# --- published configurations ------------------------------------------------------------
# GPT-2: openai-community/gpt2* config.json. All four share vocab 50257, n_positions 1024,
# n_ctx 1024, activation gelu_new, layer_norm_epsilon 1e-5, n_inner None (= 4 * n_embd),
# tied lm_head (tie_word_embeddings true). GPT2Config() equals gpt2 (small).
_GPT2_COMMON = dict(vocab_size=50257, n_positions=1024, activation_function="gelu_new",
                    layer_norm_epsilon=1e-5, n_inner=None, tie_word_embeddings=True)
GPT2 = dict(_GPT2_COMMON, n_embd=768, n_layer=12, n_head=12)  # gpt2: 768, 12 layers, 12 heads
GPT2_MEDIUM = dict(_GPT2_COMMON, n_embd=1024, n_layer=24, n_head=16)  # gpt2-medium
GPT2_LARGE = dict(_GPT2_COMMON, n_embd=1280, n_layer=36, n_head=20)  # gpt2-large
GPT2_XL = dict(_GPT2_COMMON, n_embd=1600, n_layer=48, n_head=25)  # gpt2-xl

# BERT: google-bert/bert-base-uncased config.json: vocab 30522, hidden 768, layers 12,
# heads 12, intermediate 3072, gelu, max_position_embeddings 512, type_vocab_size 2,
# layer_norm_eps 1e-12. BertConfig() equals bert-base-uncased.
BERT_BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, hidden_act="gelu",
                 max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12)
# google-bert/bert-large-uncased config.json: hidden 1024, layers 24, heads 16,
# intermediate 4096, otherwise as base.
BERT_LARGE = dict(BERT_BASE, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                  intermediate_size=4096)

# T5: google-t5/t5-small config.json: vocab 32128, d_model 512, d_kv 64, d_ff 2048,
# num_layers 6 (decoder 6), num_heads 8, relative_attention_num_buckets 32,
# relative_attention_max_distance 128 (the transformers default; older config.json files omit
# it), feed_forward_proj relu, layer_norm_epsilon 1e-6, tied embeddings and lm_head (the
# lm_head input is scaled by d_model**-0.5). T5Config() equals t5-small.
T5_SMALL = dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6,
                num_decoder_layers=6, num_heads=8, relative_attention_num_buckets=32,
                relative_attention_max_distance=128, feed_forward_proj="relu",
                layer_norm_epsilon=1e-6, tie_word_embeddings=True)
# google-t5/t5-base config.json: d_model 768, d_ff 3072, 12 layers each side, 12 heads.
T5_BASE = dict(T5_SMALL, d_model=768, d_ff=3072, num_layers=12, num_decoder_layers=12,
               num_heads=12)

# Llama: rope_theta goes in rope_parameters in transformers 5.x.
def _rope(theta):
    return {"rope_theta": float(theta), "rope_type": "default"}


# meta-llama/Llama-2-7b-hf config.json: vocab 32000, hidden 4096, intermediate 11008,
# layers 32, heads 32, kv heads 32, max_position_embeddings 4096, rms_norm_eps 1e-5,
# rope_theta 10000, tie_word_embeddings false, silu. (LlamaConfig() is LLaMA-1 7B: same
# shapes but max_position_embeddings 2048 and rms_norm_eps 1e-6.)
LLAMA2_7B = dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008,
                 num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32,
                 hidden_act="silu", max_position_embeddings=4096, rms_norm_eps=1e-5,
                 rope_parameters=_rope(10000), tie_word_embeddings=False,
                 attention_bias=False, mlp_bias=False)
# meta-llama/Llama-2-13b-hf config.json: hidden 5120, intermediate 13824, layers 40,
# heads 40, kv heads 40; rest as 7B.
LLAMA2_13B = dict(LLAMA2_7B, hidden_size=5120, intermediate_size=13824, num_hidden_layers=40,
                  num_attention_heads=40, num_key_value_heads=40)
# meta-llama/Llama-2-70b-hf config.json: hidden 8192, intermediate 28672, layers 80,
# heads 64, kv heads 8 (GQA); rest as 7B.
LLAMA2_70B = dict(LLAMA2_7B, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                  num_attention_heads=64, num_key_value_heads=8)
# meta-llama/Meta-Llama-3-8B config.json: vocab 128256, hidden 4096, intermediate 14336,
# layers 32, heads 32, kv heads 8, rope_theta 500000, max_position_embeddings 8192,
# rms_norm_eps 1e-5, tie_word_embeddings false.
LLAMA3_8B = dict(LLAMA2_7B, vocab_size=128256, intermediate_size=14336,
                 num_key_value_heads=8, max_position_embeddings=8192,
                 rope_parameters=_rope(500000))
# meta-llama/Meta-Llama-3-70B config.json: vocab 128256, hidden 8192, intermediate 28672,
# layers 80, heads 64, kv heads 8, rope_theta 500000, max_position_embeddings 8192.
LLAMA3_70B = dict(LLAMA3_8B, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                  num_attention_heads=64)

# mistralai/Mistral-7B-v0.1 config.json: vocab 32000, hidden 4096, intermediate 14336,
# layers 32, heads 32, kv heads 8, max_position_embeddings 32768, sliding_window 4096,
# rms_norm_eps 1e-5, rope_theta 10000, tie_word_embeddings false. (MistralConfig() has the
# same shapes and window but max_position_embeddings 131072 and rms_norm_eps 1e-6.)
MISTRAL_7B = dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                  num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                  hidden_act="silu", max_position_embeddings=32768, rms_norm_eps=1e-5,
                  rope_parameters=_rope(10000), sliding_window=4096,
                  tie_word_embeddings=False)
# mistralai/Mixtral-8x7B-v0.1 config.json: vocab 32000, hidden 4096, intermediate 14336,
# layers 32, heads 32, kv heads 8, max_position_embeddings 32768, num_local_experts 8,
# num_experts_per_tok 2, rope_theta 1e6, sliding_window null, rms_norm_eps 1e-5,
# router_aux_loss_coef 0.02, tie false. (MixtralConfig() differs only in
# max_position_embeddings 131072.)
MIXTRAL_8X7B = dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                    hidden_act="silu", max_position_embeddings=32768, rms_norm_eps=1e-5,
                    rope_parameters=_rope(1000000), sliding_window=None,
                    num_local_experts=8, num_experts_per_tok=2, router_aux_loss_coef=0.02,
                    router_jitter_noise=0.0, tie_word_embeddings=False)

# torchvision builders (weights=None), whose arguments are the paper configurations:
# vit_b_16: patch 16, layers 12, heads 12, hidden 768, mlp 3072, image 224, 1000 classes.
# vit_l_16: patch 16, layers 24, heads 16, hidden 1024, mlp 4096.
# swin_t: patch 4, embed_dim 96, depths [2, 2, 6, 2], heads [3, 6, 12, 24], window [7, 7],
# stochastic_depth_prob 0.2.
VIT_B_16 = dict(patch_size=16, num_layers=12, num_heads=12, hidden_dim=768, mlp_dim=3072,
                image_size=224, num_classes=1000)
VIT_L_16 = dict(VIT_B_16, num_layers=24, num_heads=16, hidden_dim=1024, mlp_dim=4096)
SWIN_T = dict(patch_size=[4, 4], embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24],
              window_size=[7, 7], stochastic_depth_prob=0.2, num_classes=1000)


def _device(device):
    return torch.device(device) if device == "meta" else contextlib.nullcontext()


def _hf(config_name, model_name, values, device, **overrides):
    tf = transformers()
    config = getattr(tf, config_name)(**dict(values, **overrides), attn_implementation=ATTN)
    with _device(device):
        model = getattr(tf, model_name)(config)
    return model.eval()


def gpt2(device="cpu", **overrides):
    return _hf("GPT2Config", "GPT2LMHeadModel", GPT2, device, **overrides)


def gpt2_medium(device="cpu", **overrides):
    return _hf("GPT2Config", "GPT2LMHeadModel", GPT2_MEDIUM, device, **overrides)


def gpt2_large(device="cpu", **overrides):
    return _hf("GPT2Config", "GPT2LMHeadModel", GPT2_LARGE, device, **overrides)


def gpt2_xl(device="cpu", **overrides):
    return _hf("GPT2Config", "GPT2LMHeadModel", GPT2_XL, device, **overrides)


def bert_base(device="cpu", **overrides):
    return _hf("BertConfig", "BertModel", BERT_BASE, device, **overrides)


def bert_large(device="cpu", **overrides):
    return _hf("BertConfig", "BertModel", BERT_LARGE, device, **overrides)


def t5_small(device="cpu", **overrides):
    return _hf("T5Config", "T5ForConditionalGeneration", T5_SMALL, device, **overrides)


def t5_base(device="cpu", **overrides):
    return _hf("T5Config", "T5ForConditionalGeneration", T5_BASE, device, **overrides)


def llama2_7b(device="meta", **overrides):
    return _hf("LlamaConfig", "LlamaForCausalLM", LLAMA2_7B, device, **overrides)


def llama2_13b(device="meta", **overrides):
    return _hf("LlamaConfig", "LlamaForCausalLM", LLAMA2_13B, device, **overrides)


def llama2_70b(device="meta", **overrides):
    return _hf("LlamaConfig", "LlamaForCausalLM", LLAMA2_70B, device, **overrides)


def llama3_8b(device="meta", **overrides):
    return _hf("LlamaConfig", "LlamaForCausalLM", LLAMA3_8B, device, **overrides)


def llama3_70b(device="meta", **overrides):
    return _hf("LlamaConfig", "LlamaForCausalLM", LLAMA3_70B, device, **overrides)


def mistral_7b(device="meta", **overrides):
    return _hf("MistralConfig", "MistralForCausalLM", MISTRAL_7B, device, **overrides)


def mixtral_8x7b(device="meta", **overrides):
    overrides.setdefault("experts_implementation", EXPERTS)
    return _hf("MixtralConfig", "MixtralForCausalLM", MIXTRAL_8X7B, device, **overrides)


def _tv(builder, values, device, **overrides):
    """``torchvision.models.<builder>(weights=None, **overrides)``, checked against values."""
    models = _torchvision_models()
    with _device(device):
        model = getattr(models, builder)(weights=None, **overrides)
    expected = dict(values, **overrides)
    if builder.startswith("vit"):
        built = dict(patch_size=model.patch_size, num_layers=len(model.encoder.layers),
                     num_heads=model.encoder.layers[0].self_attention.num_heads,
                     hidden_dim=model.hidden_dim, mlp_dim=model.mlp_dim,
                     image_size=model.image_size, num_classes=model.num_classes)
        if built != {k: expected[k] for k in built}:
            raise AssertionError(f"{builder} built {built}, expected {expected}")
    return model.eval()


def vit_b_16(device="cpu", **overrides):
    return _tv("vit_b_16", VIT_B_16, device, **overrides)


def vit_l_16(device="cpu", **overrides):
    return _tv("vit_l_16", VIT_L_16, device, **overrides)


def swin_t(device="cpu", **overrides):
    return _tv("swin_t", SWIN_T, device, **overrides)


ZOO = {f.__name__: f for f in (gpt2, gpt2_medium, gpt2_large, gpt2_xl, bert_base, bert_large,
                               t5_small, t5_base, llama2_7b, llama2_13b, llama2_70b, llama3_8b,
                               llama3_70b, mistral_7b, mixtral_8x7b, vit_b_16, vit_l_16,
                               swin_t)}

CONFIGS = {"gpt2": GPT2, "gpt2_medium": GPT2_MEDIUM, "gpt2_large": GPT2_LARGE,
           "gpt2_xl": GPT2_XL, "bert_base": BERT_BASE, "bert_large": BERT_LARGE,
           "t5_small": T5_SMALL, "t5_base": T5_BASE, "llama2_7b": LLAMA2_7B,
           "llama2_13b": LLAMA2_13B, "llama2_70b": LLAMA2_70B, "llama3_8b": LLAMA3_8B,
           "llama3_70b": LLAMA3_70B, "mistral_7b": MISTRAL_7B, "mixtral_8x7b": MIXTRAL_8X7B,
           "vit_b_16": VIT_B_16, "vit_l_16": VIT_L_16, "swin_t": SWIN_T}


# --- FlopCounterMode helpers --------------------------------------------------------------
def _run(model, inputs, counter):
    with torch.no_grad(), counter:
        if isinstance(inputs, dict):
            model(**inputs)
        elif isinstance(inputs, (tuple, list)):
            model(*inputs)
        else:
            model(inputs)
    return counter


def fcm_flops(model, inputs) -> int:
    """FlopCounterMode's total for one forward under torch.no_grad (a dict is passed as
    keyword arguments, a tuple or list positionally, anything else as the one argument)."""
    return int(_run(model, inputs, FlopCounterMode(display=False)).get_total_flops())


def fcm_breakdown(model, inputs) -> dict[str, dict[str, int]]:
    """FlopCounterMode's get_flop_counts(): module name ("Global" is the whole run) to
    aten op name to its flops, as plain str and int."""
    counts = _run(model, inputs, FlopCounterMode(display=False)).get_flop_counts()
    return {module: {str(op): int(n) for op, n in ops.items()} for module, ops in counts.items()}


def token_inputs(batch, length, device="cpu", vocab=100, seed=0):
    """Deterministic token ids of shape (batch, length) (zeros on the meta device)."""
    if device == "meta":
        return torch.zeros((batch, length), dtype=torch.long, device="meta")
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (batch, length), generator=generator)
