"""A hypothesis generator of shape-consistent networks, for round-trip and property tests.

``networks()`` draws ``(network, input_shape)``: every layer's fields are chosen from the
shape that reaches it (in_channels = the incoming C, Linear's in_features = the last axis,
groups dividing the channels, windows padded so that no size can drop below 1), so every
drawn network analyses without error. It uses every kind of ``symcost.spec.LAYER_TYPES``,
the containers Sequential/Residual/Parallel/Repeat/Graph and the merges add/mul/concat/matmul
and sdpa.
It stays beside ``symcost.strategies`` because it also draws symbolic sizes (channel symbols,
symbolic H and W), which a document must declare and round-trip; the public strategies draw
concrete sizes.
"""

from __future__ import annotations

import sympy
from hypothesis import strategies as st

import symcost as sc
from symcost.spec import LAYER_TYPES

_CHANNEL_SYMBOLS = ("C_in", "C_mid", "D")
_ANY, _SAME_SPATIAL, _SAME_SHAPE = "any", "same_spatial", "same_shape"


def _channels(draw) -> sympy.Expr:
    if draw(st.booleans()):
        return sympy.Integer(draw(st.sampled_from([1, 2, 3, 4, 6, 8, 12, 16, 24, 32])))
    return sc.dim(draw(st.sampled_from(_CHANNEL_SYMBOLS)))


def _divisor(draw, c: sympy.Expr) -> int:
    if not c.is_Integer:
        return 1
    return draw(st.sampled_from([d for d in range(1, int(c) + 1) if int(c) % d == 0]))


def _map_layer(draw, kind: type, x: sc.Shape, mode: str) -> sc.AnyLayer | None:
    """A layer of ``kind`` that accepts the feature map ``x`` (None: not in this mode)."""
    c = x.channels
    keep = mode == _SAME_SHAPE
    stride = 1 if mode != _ANY else draw(st.sampled_from([1, 2]))
    out = c if keep else _channels(draw)
    pad = draw(st.sampled_from(["same", 1]))
    if kind is sc.Conv2d:
        g = _divisor(draw, c) if out == c else 1
        return sc.Conv2d(in_channels=c, out_channels=out, kernel_size=3, stride=stride,
                         padding=pad, groups=g, bias=draw(st.booleans()),
                         dilation=draw(st.sampled_from([1, 2])) if pad == "same" else 1)
    if kind is sc.ConvTranspose2d:
        if mode != _ANY:
            return None
        return sc.ConvTranspose2d(in_channels=c, out_channels=out, kernel_size=
                                  draw(st.sampled_from([2, 3, 4])), stride=
                                  draw(st.sampled_from([1, 2])), bias=draw(st.booleans()))
    if kind is sc.DepthwiseConv2d:
        m = 1 if keep else draw(st.sampled_from([1, 2]))
        return sc.DepthwiseConv2d(in_channels=c, kernel_size=3, padding=pad, stride=stride,
                                  depth_multiplier=m)
    if kind is sc.PointwiseConv2d:
        return sc.PointwiseConv2d(in_channels=c, out_channels=out, bias=draw(st.booleans()))
    if kind is sc.SeparableConv2d:
        return sc.SeparableConv2d(in_channels=c, out_channels=out, kernel_size=
                                  draw(st.sampled_from([3, sc.dim("K")])), padding="same",
                                  stride=stride)
    if kind in (sc.MaxPool2d, sc.AvgPool2d):
        return kind(kernel_size=3, stride=stride, padding=1)
    if kind in (sc.GlobalAvgPool2d, sc.GlobalMaxPool2d, sc.AdaptiveAvgPool2d, sc.Flatten):
        return None if mode != _ANY else kind()
    if kind is sc.BatchNorm2d:
        return sc.BatchNorm2d(num_features=c, affine=draw(st.booleans()))
    if kind is sc.LayerNorm2d:
        return sc.LayerNorm2d(num_channels=c)
    if kind is sc.LayerScale:
        return sc.LayerScale(num_channels=c)
    if kind is sc.PReLU:
        return sc.PReLU(num_parameters=draw(st.sampled_from([1, c])))
    if kind is sc.Linear:
        return sc.Linear(in_features=x.last, out_features=x.last if mode != _ANY else
                         _channels(draw))
    if kind is sc.LayerNorm:
        return sc.LayerNorm(normalized_shape=x.last)
    if kind is sc.ChannelShuffle:
        return sc.ChannelShuffle(groups=_divisor(draw, c))
    if kind is sc.ChannelChunk:
        if keep:
            return None
        n = _divisor(draw, c)
        return sc.ChannelChunk(chunks=n, index=draw(st.integers(0, n - 1)))
    if kind is sc.Permute:
        if mode != _ANY:
            return sc.Permute(dims=(0, 1, 2, 3))
        return sc.Permute(dims=(0, *draw(st.permutations([1, 2, 3]))))
    if kind is sc.Upsample:
        if mode != _ANY:
            return None
        if draw(st.booleans()):
            return sc.Upsample(scale_factor=draw(st.sampled_from([2, (1, 2)])),
                               mode=draw(st.sampled_from(["nearest", "bilinear"])))
        return sc.Upsample(size=(8, draw(st.sampled_from([8, 12]))))
    return _shape_free(draw, kind, x, mode)


def _shape_free(draw, kind: type, x: sc.Shape, mode: str = _SAME_SHAPE
                ) -> sc.AnyLayer | None:
    """Layers that keep any shape (activations, dropout, custom)."""
    if kind is sc.LeakyReLU:
        return sc.LeakyReLU(negative_slope=draw(st.sampled_from([0.01, 0.2, 0.1])))
    if kind is sc.GELU:
        return sc.GELU(approximate=draw(st.sampled_from(["none", "tanh"])))
    if kind is sc.Softmax:
        return sc.Softmax(dim=draw(st.sampled_from([1, -1])))
    if kind is sc.Dropout:
        return sc.Dropout(p=draw(st.sampled_from([0.0, 0.1, 0.5])))
    if kind is sc.StochasticDepth:
        return sc.StochasticDepth(p=draw(st.sampled_from([0.0, 0.2])),
                                  mode=draw(st.sampled_from(["row", "batch"])))
    if kind is sc.Custom:  # formulas in the input's axis names
        n, c = x.names[0], x.names[1]
        every = "*".join(x.names)
        formula = draw(st.sampled_from([f"2*{every}", f"{n}*{c} + K", f"{c}**2 // 3 + 1"]))
        return sc.Custom(label=draw(st.sampled_from(["attn", "op"])), counts={"mac": formula},
                         params=draw(st.sampled_from([0, 7, f"{c}*K"])))
    if kind in (sc.ReLU, sc.ReLU6, sc.ELU, sc.Sigmoid, sc.Tanh, sc.SiLU, sc.Hardswish,
                sc.Hardsigmoid, sc.Identity):
        return kind()
    if kind is sc.Rearrange:  # a round trip of the axes: any shape, kept
        names = " ".join(x.names)
        return sc.Rearrange(pattern=f"{names} -> {names}")
    if kind is sc.Reshape:  # the last two axes merged (a map to a sequence), or a no-op
        if x.rank > 2 and mode == _ANY and draw(st.booleans()):
            kept = [n + "r" if n in ("H", "W") else n for n in x.names[:-2]]  # H goes with W
            return sc.Reshape(axes={**dict(zip(kept, x.sizes[:-2])),
                                    "L": x.sizes[-2] * x.sizes[-1]})
        return sc.Reshape(axes={**dict(zip(x.names[:-1], x.sizes[:-1])), x.names[-1]: -1})
    return None


def _nd_layer(draw, kind: type, x: sc.Shape, mode: str) -> sc.AnyLayer | None:
    """A layer of ``kind`` for a 1-D (N×C×L) or 3-D (N×C×T×H×W) map."""
    c, rank = x.channels, x.rank - 2
    keep = mode == _SAME_SHAPE
    if kind in (sc.Conv1d, sc.Conv3d) and kind.spatial_rank == rank:
        return kind(in_channels=c, out_channels=c if keep else _channels(draw), kernel_size=3,
                    padding=draw(st.sampled_from(["same", 1])), bias=draw(st.booleans()))
    pools = {1: (sc.MaxPool1d, sc.AvgPool1d), 3: (sc.MaxPool3d, sc.AvgPool3d)}
    if kind in pools.get(rank, ()):
        return kind(kernel_size=3, stride=1, padding=1) if mode != _ANY else \
            kind(kernel_size=1, stride=draw(st.sampled_from([1, 2])))
    if kind is sc.AdaptiveAvgPool1d and rank == 1 and mode == _ANY:
        return kind(output_size=1)
    if kind is sc.BatchNorm2d:
        return sc.BatchNorm2d(num_features=c)
    if kind is sc.Linear:
        return sc.Linear(in_features=x.last, out_features=x.last)
    if kind is sc.LayerNorm:
        return sc.LayerNorm(normalized_shape=x.last)
    return _shape_free(draw, kind, x, mode)


def _vector_layer(draw, kind: type, x: sc.Shape, mode: str) -> sc.AnyLayer | None:
    if kind is sc.Linear:
        return sc.Linear(in_features=x.channels, out_features=x.channels if mode != _ANY else
                         _channels(draw), bias=draw(st.booleans()))
    if kind is sc.LayerNorm:
        return sc.LayerNorm(normalized_shape=x.channels, bias=draw(st.booleans()))
    if kind is sc.Permute:
        return sc.Permute(dims=(0, 1))
    if kind is sc.PReLU:
        return sc.PReLU(num_parameters=draw(st.sampled_from([1, x.channels])))
    return _shape_free(draw, kind, x, mode)


_SEQUENCE_KINDS = (sc.Embedding, sc.PositionalEmbedding, sc.RotaryEmbedding, sc.RMSNorm,
                   sc.MultiheadAttention, sc.MLP, sc.GatedMLP, sc.MoE)


def _mask(draw, T: sympy.Expr, prefixes=(0, 2)):
    """Every mask kind; sizes numeric (windows may exceed a symbolic T: Min stays exact);
    a prefix only of ``prefixes`` cached positions."""
    kind = draw(st.sampled_from(["none", "causal", "prefix", "sliding", "chunked"]))
    if kind in ("none", "causal"):
        return kind
    if kind == "prefix":
        return ["prefix", draw(st.sampled_from(prefixes))]  # JSON's spelling: a list
    return [kind, draw(st.sampled_from([1, 3, 4]))]


def _sequence_layer(draw, kind: type, x: sc.Shape, mode: str) -> sc.AnyLayer | None:
    """The sequence kinds on the last axis d (…, T, d), sizes possibly symbolic: one head
    or an explicit head_dim when d is a symbol, G = 1 or H key/value heads."""
    d = x.last
    if kind is sc.Embedding:
        return sc.Embedding(num_embeddings=draw(st.sampled_from([5, sc.dim("V")])),
                            embedding_dim=draw(st.sampled_from([4, sc.dim("d_e")]))) \
            if mode == _ANY and x.rank <= 4 else None
    if kind is sc.RMSNorm:
        return sc.RMSNorm(normalized_shape=d, elementwise_affine=draw(st.booleans()))
    if kind in (sc.MLP, sc.GatedMLP):
        return kind(d_model=d, d_ff=draw(st.sampled_from([8, sc.dim("F")])),
                    bias=draw(st.booleans()))
    if kind is sc.MoE:
        expert = draw(st.sampled_from([sc.MLP, sc.GatedMLP]))(d_model=d, d_ff=4)
        return sc.MoE(num_experts=draw(st.sampled_from([4, sc.dim("X")])), top_k=1,
                      expert=expert, shared_experts=draw(st.sampled_from([0, 1])))
    if x.rank < 3:
        return None
    if kind is sc.PositionalEmbedding:
        return sc.PositionalEmbedding(num_positions=x.sizes[-2] + 2, embedding_dim=d)
    if kind is sc.RotaryEmbedding:
        return sc.RotaryEmbedding(dim=d, rotary_dim=2) if not (d.is_Integer and d < 2) \
            else None
    heads = d if draw(st.booleans()) else 1
    head_dim = draw(st.sampled_from([None, 2]))
    cross = draw(st.integers(0, 3)) == 0
    return sc.MultiheadAttention(embed_dim=d, num_heads=heads,
                                 num_kv_heads=draw(st.sampled_from([None, 1, heads])),
                                 head_dim=head_dim, mask="none" if cross else _mask(
                                     draw, x.sizes[-2]),
                                 kv_length=sc.dim("S") if cross else None,
                                 rotary=head_dim == 2 and draw(st.booleans()),
                                 bias=draw(st.booleans()))


def _leaf(draw, x: sc.Shape, mode: str, kinds: tuple[type, ...]) -> sc.AnyLayer:
    kind = draw(st.sampled_from(kinds))
    if kind in _SEQUENCE_KINDS:
        layer = _sequence_layer(draw, kind, x, mode)
    else:
        layer = {2: _vector_layer, 4: _map_layer}.get(x.rank, _nd_layer)(draw, kind, x, mode)
    if layer is None:  # the kind does not fit here: any kind that keeps the shape does
        layer = _shape_free(draw, draw(st.sampled_from([sc.ReLU, sc.Tanh, sc.Identity,
                                                        sc.Dropout, sc.Custom])), x)
    if draw(st.integers(0, 4)) == 0:
        layer = layer.model_copy(update={"name": draw(st.sampled_from(["a", "b_1"]))})
    return layer


def _distinct(layers: list) -> list:
    """Siblings with distinct names (a repeated name is dropped): two rows with one path
    are refused, since csv/json breakdowns could not tell them apart."""
    seen: set[str] = set()
    out = []
    for layer in layers:
        if layer is not None and layer.name is not None:
            if layer.name in seen:
                layer = layer.model_copy(update={"name": None})
            else:
                seen.add(layer.name)
        out.append(layer)
    return out


def _spec(draw, x: sc.Shape, mode: str, depth: int, kinds: tuple[type, ...]) -> sc.AnyLayer:
    choice = draw(st.integers(0, 9)) if depth > 0 else 0
    if choice <= 3:
        return _leaf(draw, x, mode, kinds)
    if choice == 5:  # sequential
        layers, current = [], x
        for _ in range(draw(st.integers(1, 3))):
            layer = _spec(draw, current, mode if mode == _ANY else _SAME_SHAPE, depth - 1, kinds)
            layers.append(layer)
            current = layer.node(current).output
        return sc.Sequential(layers=_distinct(layers))
    if choice == 6:  # residual
        body = _spec(draw, x, _SAME_SHAPE, depth - 1, kinds)
        shortcut = _leaf(draw, x, _SAME_SHAPE, kinds) if draw(st.booleans()) else None
        body, shortcut = _distinct([body, shortcut])
        return sc.Residual(body=body, shortcut=shortcut,
                           merge=draw(st.sampled_from([sc.Add(), sc.Mul()])))
    if choice == 7 and x.rank == 4 and mode != _SAME_SHAPE:  # parallel, channels concatenated
        branches = [_spec(draw, x, _SAME_SPATIAL, depth - 1, kinds) for _ in range(
            draw(st.integers(1, 3)))]
        return sc.Parallel(branches=_distinct(branches))
    if choice == 8:
        n = draw(st.sampled_from([1, 3, sc.dim("R")]))
        return sc.Repeat(n=n, body=_spec(draw, x, _SAME_SHAPE, depth - 1, kinds))
    return _graph(draw, x, mode, depth, kinds)


def _graph(draw, x: sc.Shape, mode: str, depth: int, kinds: tuple[type, ...]) -> sc.AnyLayer:
    a = _spec(draw, x, _SAME_SHAPE, depth - 1, kinds)
    b = _leaf(draw, x, _SAME_SHAPE, kinds)
    nodes = [sc.GraphNode(name="a", op=a), sc.GraphNode(name="b", op=b, inputs=("a",))]
    merge = draw(st.sampled_from(["add", "mul", "matmul"] if mode == _ANY and x.rank == 4
                                 else ["add", "mul"]) if x.rank < 3 else
                 st.sampled_from(["add", "mul", "sdpa"] + (["matmul"] if mode == _ANY and
                                                           x.rank == 4 else [])))
    if merge == "sdpa":  # q, k, v of the input's shape (…, heads, T, head_dim)
        nodes.append(sc.GraphNode(name="m", op=sc.ScaledDotProductAttention(
            mask=_mask(draw, x.sizes[-2], prefixes=(0,)),
            scale=draw(st.booleans())), inputs=("b", "a", "input")))
    elif merge == "matmul":  # (H x W) @ (W x H): the second operand is a transpose
        nodes.append(sc.GraphNode(name="t", op=sc.Permute(dims=(0, 1, 3, 2)),
                                  inputs=("input",)))
        nodes.append(sc.GraphNode(name="m", op=sc.MatMul(), inputs=("b", "t")))
    else:
        op = sc.Add() if merge == "add" else sc.Mul()
        nodes.append(sc.GraphNode(name="m", op=op, inputs=("b", "input"),
                                  source=draw(st.sampled_from([None, "module", "operator"]))))
    return sc.Graph(nodes=nodes)


@st.composite
def input_shapes(draw, ranks: tuple[int, ...] = (2, 4)) -> sc.Shape:
    """A symbolic or numeric input feature map (sometimes a vector; 1-D and 3-D maps when
    ``ranks`` asks for them)."""
    m = draw(st.sampled_from([None, 8, 32]))
    h = sc.dim("H", multiple_of=m) if draw(st.booleans()) else sympy.Integer(
        draw(st.sampled_from([7, 16, 33])))
    w = sc.dim("W", multiple_of=m) if draw(st.booleans()) else h
    n = draw(st.sampled_from([1, 2, sc.dim("N")]))
    rank = draw(st.sampled_from(sorted(set(ranks), key=lambda r: (r != 4, r))))
    if rank == 2:
        return sc.Shape(N=n, C=_channels(draw))
    if rank == 3:
        return sc.Shape(N=n, C=_channels(draw), L=h)
    if rank == 5:
        return sc.Shape(N=n, C=_channels(draw), T=sc.dim("T"), H=h, W=w)
    return sc.Shape(N=n, C=_channels(draw), H=h, W=w)


@st.composite
def networks(draw, max_depth: int = 3,
             kinds: tuple[type, ...] = LAYER_TYPES) -> tuple[sc.AnyLayer, sc.Shape]:
    """``(network, input_shape)``: a shape-consistent network and the input it accepts.

    ``kinds`` narrows the leaf layers drawn (those that cannot take the shape reaching
    them are replaced by shape-keeping activations).
    """
    # the input ranks the kinds take (all of 2 to 5 when some kind takes any rank)
    ranks = {r for k in kinds for r in (k.ranks or (2, 3, 4, 5))}
    x = draw(input_shapes(ranks=tuple(sorted(ranks & {2, 3, 4, 5}))))
    layers, current = [], x
    for _ in range(draw(st.integers(1, 4))):
        layers.append(_spec(draw, current, _ANY, max_depth, tuple(kinds)))
        current = layers[-1].node(current).output
    return (layers[0] if len(layers) == 1 else sc.Sequential(layers=_distinct(layers))), x
