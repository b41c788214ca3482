"""Transformer building blocks and the config-driven builders ``decoder_lm`` and ``encoder``.

A block is a :class:`~symcost.Graph` of sub-layers, each a residual unit: pre-norm
``x + op(norm(x))`` (GPT-2, LLaMA, T5, ViT) or post-norm ``norm(x + op(x))`` (BERT, the
original Transformer). A Graph rather than nested :class:`~symcost.Residual` containers so
that every row is named as the reference implementation names its module (``ln_1``,
``attn``, ``ln_2``, ``mlp``) with no ``body`` segments in between; the residual additions are
the nodes ``add_1``, ``add_2``, … A stack of identical blocks is one
:class:`~symcost.Repeat`, priced once whatever the depth, its body named ``0`` (the rows
under ``h.0`` stand for every layer; the Repeat row multiplies them).

Sizes may be symbols, so the builders give Kaplan et al.'s parameter count as the leading
term of an exact polynomial:

>>> import sympy
>>> import symcost as sc
>>> n, d, V = sc.dims("n_layer d_model V")
>>> lm = sc.zoo.decoder_lm(n_layers=n, d_model=d, n_heads=12, d_ff=4 * d, vocab=V)
>>> B, T = sc.dims("B T")
>>> sympy.expand(lm.cost(sc.Shape(N=B, L=T), "macs").total.params)
V*d_model + 12*d_model**2*n_layer + 13*d_model*n_layer + 2*d_model
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import sympy

from ..containers import Graph, GraphNode, Repeat, Sequential
from ..dims import as_expr
from ..errors import SpecError
from ..layers.attention import MultiheadAttention
from ..layers.base import Layer, Spec
from ..layers.embedding import Embedding, PositionalEmbedding
from ..layers.linear import Linear
from ..layers.merge import Add
from ..layers.mlp import MLP, GatedMLP
from ..layers.norm import LayerNorm, RMSNorm

__all__ = ["SubLayer", "norm_layer", "transformer_block", "stack", "decoder_lm", "encoder",
           "feed_forward", "kaplan_params"]

Norm = Literal["layernorm", "rmsnorm"]
FeedForward = Literal["gelu", "gelu_tanh", "relu", "swiglu", "geglu"]

#: One residual unit of a block: (norm's name, the norm, the ops in order as (name, layer)).
SubLayer = tuple[str, Layer, Sequence[tuple[str, Spec]]]


def norm_layer(kind: str, d_model: Any, *, name: str | None = None, bias: bool = True) -> Layer:
    """``LayerNorm(d_model)`` (with or without its shift) or ``RMSNorm(d_model)``."""
    if kind == "layernorm":
        return LayerNorm(normalized_shape=d_model, bias=bias, name=name)
    if kind == "rmsnorm":
        return RMSNorm(normalized_shape=d_model, name=name)
    raise SpecError(f"unknown norm {kind!r}. Use 'layernorm' or 'rmsnorm'.", field="norm",
                    value=kind)


def feed_forward(kind: str, d_model: Any, d_ff: Any, *, bias: bool, name: str = "mlp") -> Layer:
    """The feed-forward block: a plain MLP (``gelu``, ``gelu_tanh``, ``relu``) or a gated
    one (``swiglu``: SiLU gate, ``geglu``: GELU gate; three matrices)."""
    if kind in ("gelu", "gelu_tanh", "relu"):
        return MLP(d_model=d_model, d_ff=d_ff, activation=kind, bias=bias, name=name)
    if kind in ("swiglu", "geglu"):
        return GatedMLP(d_model=d_model, d_ff=d_ff, bias=bias, name=name,
                        activation="silu" if kind == "swiglu" else "gelu")
    raise SpecError(f"unknown mlp {kind!r}. Use 'gelu', 'gelu_tanh', 'relu', 'swiglu' or "
                    "'geglu'.", field="mlp", value=kind)


def transformer_block(sublayers: Sequence[SubLayer], *, pre_norm: bool = True,
                      name: str | None = "0", add_names: Sequence[str] | None = None) -> Graph:
    """A block of residual units as a Graph: pre-norm ``x + ops(norm(x))`` or post-norm
    ``norm(x + ops(x))``, in order. Nodes keep the given names (a module path such as
    ``attention.output.LayerNorm`` may be a node's name); the additions are ``add_1``, … or
    ``add_names``."""
    nodes: list[GraphNode] = []
    prev = "input"
    adds = list(add_names) if add_names is not None else \
        [f"add_{i + 1}" for i in range(len(sublayers))]
    for (norm_name, norm, ops), add in zip(sublayers, adds):
        current = prev
        if pre_norm:
            nodes.append(GraphNode(name=norm_name, op=norm, inputs=(current,)))
            current = norm_name
        for op_name, op in ops:
            nodes.append(GraphNode(name=op_name, op=op, inputs=(current,)))
            current = op_name
        nodes.append(GraphNode(name=add, op=Add(), inputs=(current, prev)))
        prev = add
        if not pre_norm:
            nodes.append(GraphNode(name=norm_name, op=norm, inputs=(add,)))
            prev = norm_name
    return Graph(name=name, nodes=tuple(nodes))


def stack(block: Spec, n_layers: Any, *, name: str) -> Spec:
    """``n_layers`` copies of ``block``: a Repeat (priced once), or the block itself for one
    layer."""
    return Repeat(n=n_layers, body=block, name=name)


def _attention(d_model, n_heads, *, n_kv_heads, head_dim, bias, mask, rotary, name,
               **more) -> MultiheadAttention:
    return MultiheadAttention(embed_dim=d_model, num_heads=n_heads, num_kv_heads=n_kv_heads,
                              head_dim=head_dim, bias=bias, mask=mask, rotary=rotary,
                              name=name, **more)


def _attention_mlp_block(d, n_heads, d_ff, *, n_kv_heads, head_dim, norm: str, mlp: str,
                         bias: bool, mask: Any, rotary: bool, pre_norm: bool) -> Graph:
    """The block both builders repeat: ``norm_1``, ``attn``, ``add_1``, ``norm_2``, ``mlp``,
    ``add_2`` (pre-norm; post-norm puts each norm after its add)."""
    return transformer_block([
        ("norm_1", norm_layer(norm, d, bias=bias), [
            ("attn", _attention(d, n_heads, n_kv_heads=n_kv_heads, head_dim=head_dim,
                                bias=bias, mask=mask, rotary=rotary, name=None))]),
        ("norm_2", norm_layer(norm, d, bias=bias), [
            ("mlp", feed_forward(mlp, d, d_ff, bias=bias))]),
    ], pre_norm=pre_norm)


def decoder_lm(n_layers: Any, d_model: Any, n_heads: Any, d_ff: Any, vocab: Any, *,
               n_kv_heads: Any = None, max_positions: Any = None, norm: Norm = "layernorm",
               mlp: FeedForward = "gelu", bias: bool = True, tie_embeddings: bool = True,
               mask: Any = "causal", head_dim: Any = None,
               name: str = "decoder_lm") -> Sequential:
    """A decoder-only language model (GPT-2 / LLaMA family) from its configuration; every
    size may be a symbol (``sc.dims``).

    ``embed`` (token Embedding(vocab, d_model)), ``positions`` (learned, when
    ``max_positions`` is given; otherwise rotary position embedding inside each attention),
    ``layers`` (a Repeat of ``n_layers`` pre-norm blocks ``norm_1``, ``attn``, ``add_1``,
    ``norm_2``, ``mlp``, ``add_2``), the final ``norm`` and ``lm_head`` (Linear(d_model,
    vocab) without bias, tied to ``embed`` when ``tie_embeddings``: its weights are counted
    once, at the embedding). ``bias`` applies to the attention and MLP projections and to
    LayerNorm's shift; ``n_kv_heads`` gives grouped-query attention; ``mlp`` is ``gelu``
    (two matrices, 4·d_model is GPT's d_ff) or ``swiglu`` (three, LLaMA's).

    Input: token ids ``Shape(N=B, L=T)``.

    >>> import symcost as sc
    >>> lm = sc.zoo.decoder_lm(2, 64, 4, 256, 100, max_positions=32)
    >>> lm.cost(sc.Shape(N=1, L=8), "macs").total.params
    108544
    """
    d = as_expr(d_model, where="d_model")
    block = _attention_mlp_block(d, n_heads, d_ff, n_kv_heads=n_kv_heads, head_dim=head_dim,
                                 norm=norm, mlp=mlp, bias=bias, mask=mask,
                                 rotary=max_positions is None, pre_norm=True)
    layers: list[Spec] = [Embedding(num_embeddings=vocab, embedding_dim=d, name="embed")]
    if max_positions is not None:
        layers.append(PositionalEmbedding(num_positions=max_positions, embedding_dim=d,
                                          name="positions"))
    layers += [stack(block, n_layers, name="layers"), norm_layer(norm, d, name="norm", bias=bias),
               Linear(in_features=d, out_features=vocab, bias=False, tied=tie_embeddings,
                      name="lm_head")]
    return Sequential(name=name, layers=tuple(layers))


def encoder(n_layers: Any, d_model: Any, n_heads: Any, d_ff: Any, vocab: Any | None = None,
            *, n_kv_heads: Any = None, max_positions: Any = None, norm: Norm = "layernorm",
            mlp: FeedForward = "gelu", bias: bool = True, pre_norm: bool = False,
            mask: Any = "none", head_dim: Any = None, final_norm: bool | None = None,
            name: str = "encoder") -> Sequential:
    """A bidirectional encoder (BERT-like) from its configuration; sizes may be symbols.

    ``embed`` (when ``vocab`` is given: the input is then token ids ``Shape(N=B, L=T)``;
    without it the input is a sequence ``Shape(N=B, L=T, D=d_model)``), ``positions``
    (learned, when ``max_positions`` is given; otherwise rotary), ``embed_norm`` (post-norm
    only, as BERT's embeddings.LayerNorm), ``layers`` (a Repeat of ``n_layers`` blocks with
    attention unmasked by default: post-norm ``attn``, ``add_1``, ``norm_1``, ``mlp``,
    ``add_2``, ``norm_2``, or pre-norm with ``pre_norm=True``) and, for pre-norm (or when
    ``final_norm``), a final ``norm``.

    >>> import symcost as sc
    >>> enc = sc.zoo.encoder(2, 64, 4, 256, max_positions=32)
    >>> enc.cost(sc.Shape(N=1, L=8, D=64), "macs").total.params
    102144
    """
    d = as_expr(d_model, where="d_model")
    block = _attention_mlp_block(d, n_heads, d_ff, n_kv_heads=n_kv_heads, head_dim=head_dim,
                                 norm=norm, mlp=mlp, bias=bias, mask=mask,
                                 rotary=max_positions is None, pre_norm=pre_norm)
    layers: list[Spec] = []
    if vocab is not None:
        layers.append(Embedding(num_embeddings=vocab, embedding_dim=d, name="embed"))
    if max_positions is not None:
        layers.append(PositionalEmbedding(num_positions=max_positions, embedding_dim=d,
                                          name="positions"))
    if not pre_norm:
        layers.append(norm_layer(norm, d, name="embed_norm", bias=bias))
    layers.append(stack(block, n_layers, name="layers"))
    if final_norm if final_norm is not None else pre_norm:
        layers.append(norm_layer(norm, d, name="norm", bias=bias))
    return Sequential(name=name, layers=tuple(layers))


def kaplan_params(n_layers: Any, d_model: Any) -> sympy.Expr:
    """Kaplan et al. (2020)'s non-embedding parameter count 12·n_layer·d_model² (d_ff =
    4·d_model, d_attn = d_model; biases and norms left out)."""
    return 12 * sympy.sympify(n_layers) * sympy.sympify(d_model) ** 2
