"""LLaMA 2 and 3 (Touvron et al. 2023; Meta 2024), Mistral 7B (Jiang et al. 2023) and
Mixtral 8×7B (Jiang et al. 2024) as Hugging Face ``transformers`` builds them
(``LlamaForCausalLM``, ``MistralForCausalLM``, ``MixtralForCausalLM``), with the published
configurations (the ``config.json`` of ``meta-llama/Llama-2-{7,13,70}b-hf``,
``meta-llama/Meta-Llama-3-{8,70}B``, ``mistralai/Mistral-7B-v0.1``,
``mistralai/Mixtral-8x7B-v0.1``).

Pre-norm blocks with RMSNorm, rotary position embedding on q and k, grouped-query attention
(``num_key_value_heads``), bias-free projections, a SwiGLU MLP (``gate_proj``, ``up_proj``,
``down_proj``) — a mixture of 8 such experts, 2 per token, in Mixtral — and an untied
``lm_head``. Rows are named as the modules: ``model.embed_tokens``,
``model.layers.0.input_layernorm``, ``model.layers.0.self_attn`` (parts ``q_proj``,
``k_proj``, ``v_proj``, ``rotary``, ``attention``, ``out_proj`` = HF's ``o_proj``),
``model.layers.0.post_attention_layernorm``, ``model.layers.0.mlp``, ``model.norm``,
``lm_head``; ``model.layers`` is a Repeat of the identical layers, so the 80-layer models
cost no more to build than one layer.

Hugging Face computes the rotary angles as an element-wise outer product of the positions
and ``inv_freq`` (transformers 5.24), so there is no model-level matmul to count; the
cos/sin tables are a per-length constant, not counted
(:func:`~symcost.layers.embedding.rotary_ops`).
Mistral's sliding window (4096) is the attention ``mask``; eager attention still scores
every pair (FlopCounterMode counts them all), and conventions that skip masked pairs read
the exact kept-pair count.

>>> import symcost as sc
>>> entry = sc.zoo.get("llama3_8b")
>>> entry.build().cost(entry.input(), "macs").total.params
8030261248
"""

from __future__ import annotations

from typing import Any

from ..containers import Sequential
from ..layers.attention import MultiheadAttention
from ..layers.base import Layer
from ..layers.embedding import Embedding
from ..layers.linear import Linear
from ..layers.mlp import GatedMLP, MoE
from ..layers.norm import RMSNorm
from .transformer_blocks import stack, transformer_block

__all__ = ["MODELS", "llama_model", "llama2_7b", "llama2_13b", "llama2_70b", "llama3_8b",
           "llama3_70b", "mistral_7b", "mixtral_8x7b"]


def llama_model(*, vocab_size, hidden_size, intermediate_size, num_hidden_layers,
                num_attention_heads, num_key_value_heads=None, head_dim=None,
                sliding_window=None, num_local_experts=None, num_experts_per_tok=2,
                tie_word_embeddings: bool = False, name: str = "llama") -> Sequential:
    """``LlamaForCausalLM`` (or Mistral's, or Mixtral's with ``num_local_experts``) of a
    config given by its field names; sizes may be symbols."""
    d = hidden_size
    mask: Any = "causal" if sliding_window is None else ("sliding", sliding_window)
    mlp: Layer = GatedMLP(d_model=d, d_ff=intermediate_size)
    if num_local_experts is not None:
        mlp = MoE(num_experts=num_local_experts, top_k=num_experts_per_tok, expert=mlp)
    block = transformer_block([
        ("input_layernorm", RMSNorm(normalized_shape=d), [
            ("self_attn", MultiheadAttention(
                embed_dim=d, num_heads=num_attention_heads, num_kv_heads=num_key_value_heads,
                head_dim=head_dim, bias=False, mask=mask, rotary=True))]),
        ("post_attention_layernorm", RMSNorm(normalized_shape=d), [("mlp", mlp)]),
    ])
    model = Sequential(name="model", layers=(
        Embedding(num_embeddings=vocab_size, embedding_dim=d, name="embed_tokens"),
        stack(block, num_hidden_layers, name="layers"),
        RMSNorm(normalized_shape=d, name="norm")))
    return Sequential(name=name, layers=(
        model, Linear(in_features=d, out_features=vocab_size, bias=False,
                      tied=tie_word_embeddings, name="lm_head")))


def llama2_7b() -> Sequential:
    """Llama 2 7B: 32 layers, width 4096, 32 heads, FFN 11008, vocab 32000."""
    return llama_model(vocab_size=32000, hidden_size=4096, intermediate_size=11008,
                       num_hidden_layers=32, num_attention_heads=32, name="llama2_7b")


def llama2_13b() -> Sequential:
    """Llama 2 13B: 40 layers, width 5120, 40 heads, FFN 13824, vocab 32000."""
    return llama_model(vocab_size=32000, hidden_size=5120, intermediate_size=13824,
                       num_hidden_layers=40, num_attention_heads=40, name="llama2_13b")


def llama2_70b() -> Sequential:
    """Llama 2 70B: 80 layers, width 8192, 64 heads and 8 kv heads (GQA), FFN 28672."""
    return llama_model(vocab_size=32000, hidden_size=8192, intermediate_size=28672,
                       num_hidden_layers=80, num_attention_heads=64, num_key_value_heads=8,
                       name="llama2_70b")


def llama3_8b() -> Sequential:
    """Llama 3 8B: 32 layers, width 4096, 32 heads and 8 kv heads, FFN 14336, vocab 128256."""
    return llama_model(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                       num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                       name="llama3_8b")


def llama3_70b() -> Sequential:
    """Llama 3 70B: 80 layers, width 8192, 64 heads and 8 kv heads, FFN 28672, vocab 128256."""
    return llama_model(vocab_size=128256, hidden_size=8192, intermediate_size=28672,
                       num_hidden_layers=80, num_attention_heads=64, num_key_value_heads=8,
                       name="llama3_70b")


def mistral_7b() -> Sequential:
    """Mistral 7B v0.1: LLaMA-like, 32 layers, width 4096, 32 heads and 8 kv heads, FFN
    14336, sliding-window attention (4096)."""
    return llama_model(vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                       num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                       sliding_window=4096, name="mistral_7b")


def mixtral_8x7b() -> Sequential:
    """Mixtral 8×7B v0.1: Mistral 7B's attention with a mixture of 8 SwiGLU experts (FFN
    14336), 2 per token; no sliding window."""
    return llama_model(vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                       num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                       num_local_experts=8, num_experts_per_tok=2, name="mixtral_8x7b")


#: The builders registered in the zoo by name.
MODELS = (llama2_7b, llama2_13b, llama2_70b, llama3_8b, llama3_70b, mistral_7b, mixtral_8x7b)
