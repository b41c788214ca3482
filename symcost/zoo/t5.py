"""T5 v1.0 (Raffel et al. 2020) as Hugging Face ``transformers`` builds it
(``T5ForConditionalGeneration``), with the published configurations of ``google-t5/t5-small``
and ``t5-base`` (config.json: vocab 32128, d_kv 64, relu feed-forward, 32 relative-position
buckets, tied embeddings).

An encoder–decoder of pre-norm blocks. T5's norm is an RMS norm without mean or bias
(``T5LayerNorm`` = RMSNorm); attention has no bias and no score scaling (folded into the
initialisation: ``scale=False``), and adds a relative position bias to every scored pair
(``position_bias``; in the cross-attention, a zero bias HF adds all the same). The bias
tables (num_buckets × heads, in block 0 of each stack in HF) are the rows
``encoder.relative_attention_bias`` and ``decoder.relative_attention_bias`` (a lookup: no
arithmetic). The decoder's blocks have causal self-attention, cross-attention over the
encoder's output (``kv_length`` = the source length) and the feed-forward. The head is tied
to ``shared``, and its input is rescaled by d_model**-0.5 (``rescale``: one multiply per
element, as T5 v1.0 does when tied).

Input: the encoder's token ids ``Shape(N=B, L=T)``. A spec has one input, so the decoder's
length and the source length the cross-attention reads are fields of the build:
``source_length`` and ``target_length``, both the symbol T by default (the decoder is then
fed as many tokens as the encoder, as the reference measurements do); ``decoder_input_ids``
is a free node that gives the decoder its length. Rows otherwise follow HF:
``encoder.block.0.layer.0.SelfAttention``, ``…layer.1.DenseReluDense``,
``decoder.block.0.layer.1.EncDecAttention``, ``decoder.final_layer_norm``, ``lm_head``.

>>> import symcost as sc
>>> entry = sc.zoo.get("t5_small")
>>> entry.build().cost(entry.input(), "macs").total.params
60506624
"""

from __future__ import annotations

from typing import Any

from ..containers import Graph, GraphNode, Sequential
from ..dims import dim
from ..layers.attention import MultiheadAttention
from ..layers.custom import Custom
from ..layers.embedding import Embedding
from ..layers.linear import Linear
from ..layers.mlp import MLP
from ..layers.norm import RMSNorm
from .transformer_blocks import stack, transformer_block

__all__ = ["MODELS", "t5_model", "t5_small", "t5_base"]


def _attention(d, heads, d_kv, **more) -> MultiheadAttention:
    return MultiheadAttention(embed_dim=d, num_heads=heads, head_dim=d_kv, bias=False,
                              scale=False, position_bias=True, **more)


def _stack(*, d_model, d_kv, d_ff, num_layers, num_heads, num_buckets, decoder: bool,
           source_length) -> Sequential:
    d = d_model
    sub: list = [("layer.0.layer_norm", RMSNorm(normalized_shape=d), [
        ("layer.0.SelfAttention", _attention(d, num_heads, d_kv,
                                             mask="causal" if decoder else "none"))])]
    if decoder:
        sub.append(("layer.1.layer_norm", RMSNorm(normalized_shape=d), [
            ("layer.1.EncDecAttention", _attention(d, num_heads, d_kv,
                                                   kv_length=source_length))]))
    ff = f"layer.{len(sub)}"
    sub.append((f"{ff}.layer_norm", RMSNorm(normalized_shape=d), [
        (f"{ff}.DenseReluDense", MLP(d_model=d, d_ff=d_ff, activation="relu", bias=False))]))
    block = transformer_block(sub, add_names=[f"layer.{i}.add" for i in range(len(sub))])
    return Sequential(name="decoder" if decoder else "encoder", layers=(
        Custom(name="relative_attention_bias", label="relative position bias table",
               counts={}, params=num_buckets * num_heads,
               backward_counts={}),  # its gradient: the attention's position-bias adds
        stack(block, num_layers, name="block"),
        RMSNorm(normalized_shape=d, name="final_layer_norm")))


def t5_model(*, d_model, d_kv, d_ff, num_layers, num_heads, num_decoder_layers=None,
             vocab_size=32128, relative_attention_num_buckets=32,
             source_length: Any = None, target_length: Any = None,
             name: str = "t5") -> Graph:
    """``T5ForConditionalGeneration`` (v1.0: relu, tied head) of a ``T5Config`` given by its
    field names; ``source_length``/``target_length`` default to the symbol T."""
    T = dim("T")
    source = source_length if source_length is not None else T
    target = target_length if target_length is not None else T
    common = dict(d_model=d_model, d_kv=d_kv, d_ff=d_ff, num_heads=num_heads,
                  num_buckets=relative_attention_num_buckets, source_length=source)
    shared = Embedding(num_embeddings=vocab_size, embedding_dim=d_model)
    return Graph(name=name, nodes=(
        GraphNode(name="shared", op=shared),
        GraphNode(name="encoder", op=_stack(num_layers=num_layers, decoder=False, **common),
                  inputs=("shared",)),
        GraphNode(name="decoder_input_ids", op=Custom(
            label="decoder token ids", counts={}, output={"L": target},
            backward_counts={})),
        GraphNode(name="decoder.embed_tokens", op=shared, inputs=("decoder_input_ids",),
                  shares="shared"),
        GraphNode(name="decoder", op=_stack(
            num_layers=num_decoder_layers if num_decoder_layers is not None else num_layers,
            decoder=True, **common), inputs=("decoder.embed_tokens",)),
        GraphNode(name="rescale", op=Custom(label="d_model**-0.5 before the tied head",
                                            counts={"mul": "N*L*D"},
                                            backward_counts={"mul": "N*L*D"}),
                  inputs=("decoder",)),
        GraphNode(name="lm_head", op=Linear(in_features=d_model, out_features=vocab_size,
                                            bias=False, tied=True), inputs=("rescale",)),
    ))


def t5_small(*, source_length: Any = None, target_length: Any = None) -> Graph:
    """T5-small (60M): 6+6 layers, d_model 512, 8 heads of 64, FFN 2048."""
    return t5_model(d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8,
                    source_length=source_length, target_length=target_length,
                    name="t5_small")


def t5_base(*, source_length: Any = None, target_length: Any = None) -> Graph:
    """T5-base (220M): 12+12 layers, d_model 768, 12 heads of 64, FFN 3072."""
    return t5_model(d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
                    source_length=source_length, target_length=target_length,
                    name="t5_base")


#: The builders registered in the zoo by name.
MODELS = (t5_small, t5_base)
