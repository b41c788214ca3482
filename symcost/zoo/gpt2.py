"""GPT-2 (Radford et al. 2019) as Hugging Face ``transformers`` builds it
(``GPT2LMHeadModel``), with the published configurations of ``openai-community/gpt2``,
``gpt2-medium``, ``gpt2-large`` and ``gpt2-xl`` (config.json: vocab 50257, n_positions 1024,
activation ``gelu_new``, ``n_inner`` None = 4·n_embd, tied ``lm_head``).

Rows are named as the modules: ``transformer.wte``, ``transformer.wpe``,
``transformer.h.0.ln_1``, ``transformer.h.0.attn`` (its parts ``q_proj``, ``k_proj``,
``v_proj`` are the three thirds of HF's fused ``c_attn``, ``out_proj`` is ``c_proj``),
``transformer.h.0.mlp`` (``fc1`` = ``c_fc``, ``fc2`` = ``c_proj``), ``transformer.ln_f``,
``lm_head`` (tied to ``wte``: its weights are counted once, at ``wte``). ``transformer.h``
is a Repeat of n_layer identical blocks. Attention is causal and dense under ``torch``
(eager attention scores every pair: the mask is added, not skipped).

>>> import symcost as sc
>>> entry = sc.zoo.get("gpt2")
>>> entry.build().cost(entry.input(), "macs").total.params
124439808
"""

from __future__ import annotations

from ..containers import Sequential
from ..dims import dims
from ..layers.attention import MultiheadAttention
from ..layers.embedding import Embedding, PositionalEmbedding
from ..layers.linear import Linear
from ..layers.mlp import MLP
from ..layers.norm import LayerNorm
from ..shapes import Shape
from .transformer_blocks import stack, transformer_block

__all__ = ["MODELS", "gpt2_model", "gpt2", "gpt2_medium", "gpt2_large", "gpt2_xl",
           "token_input"]


def token_input(multiple: bool = True) -> Shape:
    """The symbolic input of a language model: token ids ``Shape(N=B, L=T)``."""
    B, T = dims("B T")
    return Shape(N=B, L=T)


def gpt2_model(n_layer, n_embd, n_head, *, vocab_size=50257, n_positions=1024, n_inner=None,
               name: str = "gpt2") -> Sequential:
    """``GPT2LMHeadModel`` of a ``GPT2Config``; sizes may be symbols."""
    d = n_embd
    inner = n_inner if n_inner is not None else 4 * d
    block = transformer_block([
        ("ln_1", LayerNorm(normalized_shape=d), [
            ("attn", MultiheadAttention(embed_dim=d, num_heads=n_head, mask="causal"))]),
        ("ln_2", LayerNorm(normalized_shape=d), [
            ("mlp", MLP(d_model=d, d_ff=inner, activation="gelu_tanh"))]),
    ])
    transformer = Sequential(name="transformer", layers=(
        Embedding(num_embeddings=vocab_size, embedding_dim=d, name="wte"),
        PositionalEmbedding(num_positions=n_positions, embedding_dim=d, name="wpe"),
        stack(block, n_layer, name="h"),
        LayerNorm(normalized_shape=d, name="ln_f")))
    return Sequential(name=name, layers=(
        transformer,
        Linear(in_features=d, out_features=vocab_size, bias=False, tied=True, name="lm_head")))


def gpt2() -> Sequential:
    """GPT-2 small (124M): 12 layers, width 768, 12 heads (HF ``openai-community/gpt2``)."""
    return gpt2_model(12, 768, 12, name="gpt2")


def gpt2_medium() -> Sequential:
    """GPT-2 medium (355M): 24 layers, width 1024, 16 heads (``gpt2-medium``)."""
    return gpt2_model(24, 1024, 16, name="gpt2_medium")


def gpt2_large() -> Sequential:
    """GPT-2 large (774M): 36 layers, width 1280, 20 heads (``gpt2-large``)."""
    return gpt2_model(36, 1280, 20, name="gpt2_large")


def gpt2_xl() -> Sequential:
    """GPT-2 XL (1.5B): 48 layers, width 1600, 25 heads (``gpt2-xl``)."""
    return gpt2_model(48, 1600, 25, name="gpt2_xl")


#: The builders registered in the zoo by name.
MODELS = (gpt2, gpt2_medium, gpt2_large, gpt2_xl)
