"""How each torch module type and each traced function maps to a symcost spec: the one
table of module rules (:func:`_modules`) and the one table of function rules
(:data:`_FUNCTIONS`), each rule reading its call's arguments and the input's shape."""

from __future__ import annotations

import functools
from typing import Any

import sympy

from ..containers import Repeat, Residual, Sequential
from ..layers import activation as act
from ..layers.attention import MultiheadAttention
from ..layers.conv import Conv1d, Conv2d, Conv3d, ConvTranspose2d
from ..layers.custom import Custom
from ..layers.embedding import Embedding
from ..layers.linear import Linear
from ..layers.merge import Add, Concat, MatMul, Mul
from ..layers.mlp import MLP
from ..layers.norm import BatchNorm2d, LayerNorm, RMSNorm
from ..layers.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    GlobalAvgPool2d,
    GlobalMaxPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from ..layers.resample import Upsample
from ..layers.reshape import (
    ChannelShuffle,
    Dropout,
    Flatten,
    Identity,
    Permute,
    Reshape,
    StochasticDepth,
)
from ..shapes import Shape
from .traced import _kw, _Op, _Param, _Tensor

__all__: list[str] = []  # package-private: used by importers.pytorch

def _ints(v):
    """A size or a pair, as spec fields take them: ints, or symbolic sizes traced from x."""
    if isinstance(v, (tuple, list)):
        values = tuple(_one_int(x) for x in v)
        return values if len(set(values)) > 1 else values[0]
    return _one_int(v)


def _one_int(x):
    return x if isinstance(x, sympy.Basic) and not x.is_Integer else int(x)


def _factor(v):
    if v is None:
        return None
    vals = v if isinstance(v, (tuple, list)) else (v,)
    if any(float(x) != int(x) for x in vals):
        return False
    return _ints(tuple(int(x) for x in vals))


def _module_spec(m, shape: Shape):
    """The spec of a module call, through :func:`_modules`' table (None: no mapping)."""
    rule = _modules().get(type(m))
    return None if rule is None else rule(m, shape)


def _conv(cls):
    def make(m, shape):
        padding = m.padding if isinstance(m.padding, str) else _ints(m.padding)
        return cls(in_channels=m.in_channels, out_channels=m.out_channels,
                   kernel_size=_ints(m.kernel_size), stride=_ints(m.stride), padding=padding,
                   dilation=_ints(m.dilation), groups=m.groups, bias=m.bias is not None)
    return make


def _max_pool_module(cls):
    return lambda m, shape: cls(kernel_size=_ints(m.kernel_size), stride=_ints(m.stride),
                                padding=_ints(m.padding), dilation=_ints(m.dilation),
                                ceil_mode=m.ceil_mode)


def _avg_pool_module(cls):
    # the divisor (count_include_pad, divisor_override) changes no count: one division each
    return lambda m, shape: cls(kernel_size=_ints(m.kernel_size), stride=_ints(m.stride),
                                padding=_ints(m.padding), ceil_mode=m.ceil_mode)


def _batch_norm(m, shape):
    return BatchNorm2d(num_features=m.num_features, affine=m.affine,
                       track_running_stats=m.track_running_stats)


@functools.cache
def _modules() -> dict[type, Any]:
    """Module type → rule ``(module, input shape) → spec or None``: the one place a torch
    module type is mapped."""
    import torch.nn as nn

    table: dict[type, Any] = {
        nn.Conv1d: _conv(Conv1d), nn.Conv2d: _conv(Conv2d), nn.Conv3d: _conv(Conv3d),
        nn.ConvTranspose2d: lambda m, shape: ConvTranspose2d(
            in_channels=m.in_channels, out_channels=m.out_channels,
            kernel_size=_ints(m.kernel_size), stride=_ints(m.stride),
            padding=_ints(m.padding), output_padding=_ints(m.output_padding),
            dilation=_ints(m.dilation), groups=m.groups, bias=m.bias is not None),
        nn.Linear: lambda m, shape: Linear(in_features=m.in_features,
                                           out_features=m.out_features,
                                           bias=m.bias is not None),
        nn.LayerNorm: lambda m, shape: _layer_norm(m.normalized_shape, m.elementwise_affine,
                                                   getattr(m, "bias", None) is not None),
        nn.Embedding: lambda m, shape: Embedding(num_embeddings=m.num_embeddings,
                                                 embedding_dim=m.embedding_dim),
        nn.RMSNorm: lambda m, shape: _rms_norm(m.normalized_shape, m.elementwise_affine),
        nn.TransformerEncoderLayer: _encoder_layer,
        nn.TransformerEncoder: _encoder,
        nn.BatchNorm1d: _batch_norm, nn.BatchNorm2d: _batch_norm, nn.BatchNorm3d: _batch_norm,
        nn.MaxPool1d: _max_pool_module(MaxPool1d), nn.MaxPool2d: _max_pool_module(MaxPool2d),
        nn.MaxPool3d: _max_pool_module(MaxPool3d),
        nn.AvgPool1d: _avg_pool_module(AvgPool1d), nn.AvgPool2d: _avg_pool_module(AvgPool2d),
        nn.AvgPool3d: _avg_pool_module(AvgPool3d),
        nn.AdaptiveAvgPool1d: lambda m, shape: _adaptive(m.output_size, shape),
        nn.AdaptiveAvgPool2d: lambda m, shape: _adaptive(m.output_size, shape),
        nn.AdaptiveMaxPool2d: lambda m, shape: (GlobalMaxPool2d() if _ints(m.output_size) == 1
                                                and shape.rank == 4 else None),
        nn.Identity: lambda m, shape: Identity(),
        nn.Flatten: lambda m, shape: _flatten(m.start_dim, m.end_dim, shape),
        nn.ChannelShuffle: lambda m, shape: ChannelShuffle(groups=m.groups),
        nn.Softmax: lambda m, shape: _softmax(m.dim, shape),
        **{t: lambda m, shape: Dropout(p=m.p)
           for t in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)},
        **{t: lambda m, shape: _upsample(m.size, m.scale_factor, m.mode)
           for t in (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)},
        **{getattr(nn, cls.__name__): _activation_module(cls) for cls in act.ACTIVATION_TYPES},
    }
    return table


def _layer_norm(normalized_shape, affine: bool, bias: bool):
    """``LayerNorm`` over the last axis only (an int or a 1-tuple ``normalized_shape``)."""
    sizes = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (
        normalized_shape,)
    if len(sizes) != 1:
        return None
    return LayerNorm(normalized_shape=int(sizes[0]), elementwise_affine=affine,
                     bias=affine and bias)


def _encoder_layer(m, shape):
    """``nn.TransformerEncoderLayer`` (batch-first): self-attention and the MLP, each in a
    residual, post-norm (``norm_first=False``, torch's default) or pre-norm."""
    import torch.nn.functional as F

    act = {F.relu: "relu", F.gelu: "gelu"}.get(m.activation) if callable(m.activation) \
        else None
    if not m.self_attn.batch_first or act is None or not m.self_attn._qkv_same_embed_dim:
        return None
    d, attn = m.linear1.in_features, m.self_attn
    sa = MultiheadAttention(name="self_attn", embed_dim=d, num_heads=attn.num_heads,
                            bias=attn.in_proj_bias is not None,
                            out_bias=attn.out_proj.bias is not None, fused=True)
    ff = MLP(name="mlp", d_model=d, d_ff=m.linear1.out_features, activation=act,
             bias=m.linear1.bias is not None)
    norms = [_layer_norm(n.normalized_shape, n.elementwise_affine, n.bias is not None)
             for n in (m.norm1, m.norm2)]
    if None in norms:
        return None
    norm1, norm2 = (n.model_copy(update={"name": f"norm{i}"}) for i, n in
                    enumerate(norms, 1))
    if m.norm_first:
        layers = [Residual(body=Sequential([norm1, sa])), Residual(body=Sequential([norm2, ff]))]
    else:
        layers = [Residual(body=sa), norm1, Residual(body=ff), norm2]
    return Sequential(layers)


def _encoder(m, shape):
    """``nn.TransformerEncoder``: its layers (copies of one layer) as a ``Repeat``, then the
    optional final norm."""
    layer = _encoder_layer(m.layers[0], shape) if len(m.layers) else None
    if layer is None:
        return None
    parts = [Repeat(name="layers", n=len(m.layers), body=layer)]
    if m.norm is not None:
        if not isinstance(m.norm, _torch_nn().LayerNorm):
            return None
        norm = _layer_norm(m.norm.normalized_shape, m.norm.elementwise_affine,
                           m.norm.bias is not None)
        if norm is None:
            return None
        parts.append(norm.model_copy(update={"name": "norm"}))
    return Sequential(parts)


def _torch_nn():
    import torch.nn as nn

    return nn


def _rms_norm(normalized_shape, affine: bool):
    """``RMSNorm`` over the last axis only (an int or a 1-tuple ``normalized_shape``)."""
    sizes = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (
        normalized_shape,)
    if len(sizes) != 1:
        return None
    return RMSNorm(normalized_shape=int(sizes[0]), elementwise_affine=affine)


def _own_fields(cls) -> list[str]:
    """A spec's fields beyond kind and name, in order (an activation's are torch's names)."""
    return [f for f in cls.model_fields if f not in ("kind", "name")]


def _activation_module(cls):
    """``nn.LeakyReLU(0.2)`` → ``LeakyReLU(negative_slope=0.2)``: the module's attributes of
    the same names as the spec's fields."""
    return lambda m, shape: cls(**{f: getattr(m, f) for f in _own_fields(cls)
                                   if hasattr(m, f)})


_ADAPTIVE = {3: AdaptiveAvgPool1d, 4: AdaptiveAvgPool2d}


def _adaptive(output_size, shape):
    cls = _ADAPTIVE.get(shape.rank)
    if cls is None:
        return None
    rank = shape.rank - 2
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * rank
    sizes = tuple(size if s is None else int(s) for s, size in zip(sizes, shape.spatial_sizes))
    return cls(output_size=sizes if len(set(sizes)) > 1 else sizes[0])


def _flatten(start, end, shape):
    if shape.position(start, where="flatten") == shape.position(end, where="flatten"):
        return Identity()
    return Flatten(start_dim=start, end_dim=end)


def _upsample(size, scale, mode):
    if mode not in ("nearest", "bilinear"):
        return None
    if size is not None:
        return Upsample(size=_ints(size), mode=mode)
    factor = _factor(scale)
    return Upsample(scale_factor=factor, mode=mode) if factor else None


def _softmax(dim, shape):
    rank = shape.rank
    if dim is None:  # torch's implicit dim for a legacy call
        dim = 0 if rank in (0, 1, 3) else 1
    return act.Softmax(dim=dim % rank) if dim % rank != 0 else None


# ------------------------------------------------------------------------------ functions


def _single(make):
    """A rule for an op on one tensor (its first argument)."""

    def rule(b, args, kwargs):
        x = args[0]
        if not isinstance(x, _Tensor):
            return None
        spec = make(x.shape, list(args[1:]), kwargs)
        return None if spec is None else _Op(spec, [x])

    return rule


def _elementwise(op_name):
    """Tensor with tensor: a merge; tensor with a constant: one op per element."""
    merge = {"add": Add, "sub": Add, "mul": Mul}.get(op_name)

    def rule(b, args, kwargs):
        a, other = args[0], _kw(args, kwargs, 1, "other")
        if not isinstance(a, _Tensor):
            a, other = other, a
            if op_name in ("sub", "div") or not isinstance(a, _Tensor):
                return None
        if isinstance(other, _Tensor):
            if merge is None:
                return None
            return _Op(merge(), [a, other])
        census = {"add": "add", "sub": "add", "mul": "mul", "div": "div"}[op_name]
        params = 0
        if isinstance(other, _Param):
            if other.target not in b.used_params:
                b.used_params.add(other.target)
                params = other.numel
        elif not isinstance(other, (int, float, sympy.Expr)):
            return None
        elements = "*".join(a.shape.names)  # the input's axes, by name: every element
        return _Op(Custom(label=f"{op_name} by a constant", counts={census: elements}), [a],
                   params)

    return rule


def _mean(shape, rest, kwargs):
    dims = _kw(rest, kwargs, 0, "dim")
    keep = _kw(rest, kwargs, 1, "keepdim", False)
    if shape.rank != 4 or dims is None:
        return None
    dims = tuple(d % 4 for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    if sorted(dims) != [2, 3]:
        return None
    return GlobalAvgPool2d() if keep else Sequential(layers=[GlobalAvgPool2d(), Flatten()])


#: Names given to the axes of a reshaped tensor, by rank (the batch keeps N).
_RESHAPED = {2: ("N", "C"), 3: ("N", "L", "D"), 4: ("N", "C", "H", "W"),
             5: ("N", "C", "T", "H", "W")}


def _reshape(shape, rest, kwargs):
    """``view``/``reshape`` to the traced sizes (symbolic where they came from x.size()):
    a :class:`Reshape`; an unchanged shape is the identity, a flattening a Flatten."""
    sizes = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
    sizes = [sympy.sympify(v) for v in sizes]
    if not sizes or any(not isinstance(v, sympy.Expr) for v in sizes):
        return None
    known = sympy.Mul(*(v for v in sizes if v != -1))
    full = [shape.elements / known if v == -1 else v for v in sizes]
    if len(full) == shape.rank and all(sympy.expand(a - b) == 0
                                       for a, b in zip(full, shape.sizes)):
        return Identity()
    if len(full) == 2 and sympy.expand(full[0] - shape[0]) == 0:
        return Flatten()
    names = _RESHAPED.get(len(sizes)) or tuple(f"a{i}" for i in range(len(sizes)))
    return Reshape(axes={n: (-1 if v == -1 else v) for n, v in zip(names, sizes)})


def _torch_flatten(shape, rest, kwargs):
    return _flatten(_kw(rest, kwargs, 0, "start_dim", 0), _kw(rest, kwargs, 1, "end_dim", -1),
                    shape)


def _interpolate(shape, rest, kwargs):
    return _upsample(_kw(rest, kwargs, 0, "size"), _kw(rest, kwargs, 1, "scale_factor"),
                     _kw(rest, kwargs, 2, "mode", "nearest"))


def _pool(classes):
    """``F.max_poolNd``/``F.avg_poolNd``: the class for the input's rank."""
    def make(shape, rest, kwargs):
        cls = classes.get(shape.rank)
        if cls is None:
            return None
        k = _kw(rest, kwargs, 0, "kernel_size")
        stride = _kw(rest, kwargs, 1, "stride") or k
        fields = dict(kernel_size=_ints(k), stride=_ints(stride),
                      padding=_ints(_kw(rest, kwargs, 2, "padding", 0)))
        if cls in (MaxPool1d, MaxPool2d, MaxPool3d):
            fields.update(dilation=_ints(_kw(rest, kwargs, 3, "dilation", 1)),
                          ceil_mode=bool(_kw(rest, kwargs, 4, "ceil_mode", False)))
        else:
            fields.update(ceil_mode=bool(_kw(rest, kwargs, 3, "ceil_mode", False)))
        return cls(**fields)

    return make


def _transpose(shape, rest, kwargs):
    """Swapping two axes (``x.transpose(1, 2)``, ``x.t()``, ``x.mT``) moves data only: a
    :class:`Permute`."""
    if len(rest) == 2 and all(isinstance(d, int) for d in rest):
        a, b = (d % shape.rank for d in rest)
    elif not rest and shape.rank == 2:
        a, b = 0, 1
    else:
        return None
    dims = list(range(shape.rank))
    dims[a], dims[b] = dims[b], dims[a]
    return Permute(dims=tuple(dims))


def _pad(shape, rest, kwargs):
    """Constant padding of the last axes (``F.pad(x, (left, right, top, bottom))``): data
    movement, free; the padded axes grow."""
    pads = _kw(rest, kwargs, 0, "pad")
    mode = _kw(rest, kwargs, 1, "mode", "constant")
    if not isinstance(pads, (tuple, list)) or len(pads) % 2 or len(pads) // 2 > shape.rank - 2:
        return None
    grow = {}
    for i in range(len(pads) // 2):  # torch: the last axis first
        name = shape.names[-1 - i]
        grow[name] = f"{name} + {int(pads[2 * i]) + int(pads[2 * i + 1])}"
    return Custom(label=f"pad ({mode})", counts={}, output=grow)


def _cat(b, args, kwargs):
    tensors = _kw(args, kwargs, 0, "tensors")
    dim = _kw(args, kwargs, 1, "dim", 0)
    if tensors and isinstance(dim, int) and any(isinstance(t, _Param) for t in tensors):
        return _cat_learned(b, tensors, dim)
    if not tensors or not all(isinstance(t, _Tensor) for t in tensors) or \
            not isinstance(dim, int):
        return None
    rank = tensors[0].shape.rank
    if dim % rank == 0:
        return None
    return _Op(Concat(dim=dim % rank), list(tensors))


def _cat_learned(b, tensors, dim: int):
    """``torch.cat([token.expand(n, -1, -1), x], dim=1)``: learned tokens (ViT's class
    token) joined to one tensor; data movement, the tokens counted as parameters."""
    xs = [t for t in tensors if isinstance(t, _Tensor)]
    ps = [t for t in tensors if isinstance(t, _Param)]
    if len(xs) != 1 or len(xs) + len(ps) != len(tensors):
        return None
    x = xs[0]
    rank = x.shape.rank
    if dim % rank == 0 or any(len(p.shape) != rank for p in ps):
        return None
    axis = x.shape.names[dim % rank]
    used = _weights(b, ps)
    if used is None:
        return None
    extra = sum(p.shape[dim % rank] for p in ps)
    return _Op(Custom(label="concatenation with learned tokens", counts={},
                      output={axis: f"{axis} + {extra}"}), [x], sum(p.numel for p in used))


def _matmul(b, args, kwargs):
    if len(args) == 2 and all(isinstance(t, _Tensor) for t in args):
        return _Op(MatMul(), list(args))
    return None


def _permute(shape, rest, kwargs):
    """``x.permute(0, 2, 3, 1)`` / ``torch.permute(x, dims)``: data movement, free."""
    dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
    dims = kwargs.get("dims", dims)
    if not dims or not all(isinstance(d, int) for d in dims):
        return None
    rank = len(dims)
    return Permute(dims=tuple(d % rank for d in dims))


def _functional_layer_norm(b, args, kwargs):
    """``F.layer_norm(x, normalized_shape, weight, bias)``: the weight and bias it reads are
    the layer's parameters (counted by the spec, so marked as used here)."""
    x = args[0]
    if not isinstance(x, _Tensor):
        return None
    weight = _kw(args, kwargs, 2, "weight")
    bias = _kw(args, kwargs, 3, "bias")
    for p in (weight, bias):
        if isinstance(p, _Param):
            if p.target in b.used_params:
                return None  # shared with another op: keep it visible as unmapped
    spec = _layer_norm(_kw(args, kwargs, 1, "normalized_shape"), weight is not None,
                       bias is not None)
    if spec is None or (bias is not None and weight is None):
        return None
    for p in (weight, bias):
        if isinstance(p, _Param):
            b.used_params.add(p.target)
    return _Op(spec, [x])


def _weights(b, tensors):
    """Mark parameters read by a functional call as this op's (None if another op has them
    already: then the call stays visible as unmapped)."""
    params = [p for p in tensors if isinstance(p, _Param)]
    if any(p.target in b.used_params for p in params):
        return None
    for p in params:
        b.used_params.add(p.target)
    return params


def _functional_linear(b, args, kwargs):
    """``F.linear(x, weight, bias)`` (what a root ``nn.Linear`` traces into)."""
    x, weight, bias = args[0], _kw(args, kwargs, 1, "weight"), _kw(args, kwargs, 2, "bias")
    if not isinstance(x, _Tensor) or not isinstance(weight, _Param) or len(weight.shape) != 2:
        return None
    if (bias is not None and not isinstance(bias, _Param)) or _weights(b, [weight, bias]) is None:
        return None
    out, fin = weight.shape
    return _Op(Linear(in_features=fin, out_features=out, bias=bias is not None), [x])


def _functional_conv(cls):
    """``F.conv1d/2d/3d(x, weight, bias, stride, padding, dilation, groups)``."""
    def rule(b, args, kwargs):
        x, weight = args[0], _kw(args, kwargs, 1, "weight")
        bias = _kw(args, kwargs, 2, "bias")
        if not isinstance(x, _Tensor) or not isinstance(weight, _Param) or \
                (bias is not None and not isinstance(bias, _Param)):
            return None
        groups = int(_kw(args, kwargs, 6, "groups", 1))
        padding = _kw(args, kwargs, 4, "padding", 0)
        spec = cls(in_channels=weight.shape[1] * groups, out_channels=weight.shape[0],
                   kernel_size=_ints(weight.shape[2:]),
                   stride=_ints(_kw(args, kwargs, 3, "stride", 1)),
                   padding=padding if isinstance(padding, str) else _ints(padding),
                   dilation=_ints(_kw(args, kwargs, 5, "dilation", 1)), groups=groups,
                   bias=bias is not None)
        if _weights(b, [weight, bias]) is None:
            return None
        return _Op(spec, [x])
    return rule


def _activation_function(cls):
    """``F.leaky_relu(x, 0.2)`` → ``LeakyReLU(negative_slope=0.2)``: the function's arguments
    after the input, by position or name, are the spec's fields."""
    def make(shape, rest, kwargs):
        fields = _own_fields(cls)
        given = dict(zip(fields, rest))
        given.update({k: v for k, v in kwargs.items() if k in fields})
        return cls(**given)
    return _single(make)


_MAX_POOLS = {3: MaxPool1d, 4: MaxPool2d, 5: MaxPool3d}
_AVG_POOLS = {3: AvgPool1d, 4: AvgPool2d, 5: AvgPool3d}

_FUNCTIONS = {
    # F.prelu reads a weight tensor: it stays unmapped (visible) rather than guessed
    **{cls.model_fields["kind"].default: _activation_function(cls)
       for cls in act.ACTIVATION_TYPES if cls is not act.PReLU},
    "softmax": _single(lambda s, r, k: _softmax(_kw(r, k, 0, "dim"), s)),
    "dropout": _single(lambda s, r, k: Dropout(p=_kw(r, k, 0, "p", 0.5))),
    "dropout2d": _single(lambda s, r, k: Dropout(p=_kw(r, k, 0, "p", 0.5))),
    "identity": _single(lambda s, r, k: Identity()),
    **{f"max_pool{r}d": _single(_pool(_MAX_POOLS)) for r in (1, 2, 3)},
    **{f"avg_pool{r}d": _single(_pool(_AVG_POOLS)) for r in (1, 2, 3)},
    "adaptive_avg_pool1d": _single(lambda s, r, k: _adaptive(_kw(r, k, 0, "output_size"), s)),
    "adaptive_avg_pool2d": _single(lambda s, r, k: _adaptive(_kw(r, k, 0, "output_size"), s)),
    "linear": _functional_linear, "conv1d": _functional_conv(Conv1d),
    "conv2d": _functional_conv(Conv2d), "conv3d": _functional_conv(Conv3d),
    "adaptive_max_pool2d": _single(
        lambda s, r, k: GlobalMaxPool2d() if _ints(_kw(r, k, 0, "output_size")) == 1
        and s.rank == 4 else None),
    "interpolate": _single(_interpolate), "upsample": _single(_interpolate),
    "channel_shuffle": _single(lambda s, r, k: ChannelShuffle(groups=_kw(r, k, 0, "groups"))),
    "flatten": _single(_torch_flatten), "view": _single(_reshape),
    "reshape": _single(_reshape), "mean": _single(_mean),
    "add": _elementwise("add"), "iadd": _elementwise("add"), "sub": _elementwise("sub"),
    "isub": _elementwise("sub"), "mul": _elementwise("mul"), "imul": _elementwise("mul"),
    "truediv": _elementwise("div"), "div": _elementwise("div"),
    "pad": _single(_pad), "transpose": _single(_transpose), "t": _single(_transpose),
    "cat": _cat, "concat": _cat, "matmul": _matmul, "bmm": _matmul,
    "permute": _single(_permute), "layer_norm": _functional_layer_norm,
    "stochastic_depth": _single(lambda s, r, k: StochasticDepth(
        p=float(_kw(r, k, 0, "p")), mode=_kw(r, k, 1, "mode", "row"))),
}
