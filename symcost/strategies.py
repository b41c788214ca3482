"""Hypothesis strategies for symcost: dimensions, value assignments, layers, networks,
conventions.

Needs the ``hypothesis`` extra (``pip install 'symcost[hypothesis]'``); ``import symcost``
never imports hypothesis. Every strategy takes keyword-only arguments, and a bad argument
raises :class:`hypothesis.errors.InvalidArgument` naming it.

Layers and networks are valid **by construction**: each layer is drawn for the shape it
will receive (kernels that fit, groups that divide the channels, ``in_channels`` equal to
the input's), so nothing is filtered out and hypothesis shrinks failures to small networks.

>>> import symcost as sc
>>> from hypothesis import given
>>> from symcost import strategies as sst
>>> @given(sst.networks(input=sc.Shape(C=3, H=8, W=8), max_layers=3))
... def test_costs_are_non_negative(net):
...     assert net.cost(sc.Shape(C=3, H=8, W=8), "flops").total.flops >= 0
>>> test_costs_are_non_negative()

``st.from_type(symcost.Conv2d)`` works too, once the type strategies are registered: the
``hypothesis`` entry point of the installed package does it, or call
``symcost._hypothesis._hypothesis_setup_hook()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sympy

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as exc:  # pragma: no cover - hypothesis is installed with the test extra
    raise ImportError("symcost.strategies needs hypothesis: pip install "
                      "'symcost[hypothesis]'.") from exc

from .containers import Graph, GraphNode, Parallel, Repeat, Residual, Sequential
from .conventions import Convention, convention_names, get_convention
from .dims import dim, multiple_of
from .layers import activation as _act
from .layers import attention as _attn
from .layers import conv as _conv
from .layers import embedding as _emb
from .layers import merge as _merge
from .layers import mlp as _mlp
from .layers import norm as _norm
from .layers import pool as _pool
from .layers import reshape as _reshape
from .layers.base import Layer, Spec
from .layers.custom import Custom
from .layers.linear import Linear
from .layers.resample import Upsample
from .layers.scale import LayerScale
from .shapes import Shape
from .spec import LAYER_TYPES

__all__ = ["dims", "dim_values", "shapes", "layers", "merges", "networks", "conventions",
           "LAYER_KINDS", "CONTAINER_KINDS", "CUSTOM_OPERATIONS", "DRAWERS"]

SearchStrategy = st.SearchStrategy

_DIM_NAMES = ("N", "C", "C_in", "C_out", "K", "H", "W", "D", "G", "L", "d", "n", "t")


# ----------------------------------------------------------------------------- helpers


def _check_int(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidArgument(f"{name}={value!r} must be {bound}")
    return value


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _int_shape(shape: Any, name: str) -> Shape:
    if not isinstance(shape, Shape):
        raise InvalidArgument(f"{name}={shape!r} must be a symcost.Shape (or None)")
    for axis, value in shape.axes().items():
        if not (isinstance(value, sympy.Integer) and value > 0):
            raise InvalidArgument(f"{name}={shape!r}: axis {axis} must be a positive integer; "
                                  "layers are drawn for concrete shapes")
    return shape


def _ints(shape: Shape) -> tuple[int, int, int, int]:
    """Axis 0, axis 1 and the two spatial sizes of a map, as ints (0, 0 for other ranks)."""
    n, c = int(shape[0]), int(shape[1])
    if shape.rank == 4:
        return n, c, int(shape[2]), int(shape[3])
    return n, c, 0, 0


# ------------------------------------------------------------------------ dims, values


def dims(*, names: Iterable[str] | None = None,
         multiples: bool = False) -> SearchStrategy[sympy.Symbol]:
    """Dimension symbols, as :func:`symcost.dim` makes them (positive integers).

    ``names`` is the pool of names to draw from (default: common ones, ``C_in``, ``K``,
    ``H`` …); with ``multiples=True`` some symbols are declared ``multiple_of`` 2, 4, 8, 16
    or 32.
    """
    pool = tuple(_DIM_NAMES if names is None else names)
    if isinstance(names, str) or not pool:
        raise InvalidArgument(f"names={names!r} must be a non-empty iterable of names")
    for n in pool:
        try:
            dim(n)
        except Exception as exc:
            raise InvalidArgument(f"names: {n!r} is not a usable dimension name ({exc})") \
                from None
    if not isinstance(multiples, bool):
        raise InvalidArgument(f"multiples={multiples!r} must be True or False")
    name = st.sampled_from(pool)
    if not multiples:
        return name.map(dim)
    return st.builds(lambda n, m: dim(n, multiple_of=m), name, st.sampled_from([1, 2, 4, 8,
                                                                                 16, 32]))


def _free_symbols(obj: Any, seen: set[int] | None = None) -> set[sympy.Symbol]:
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return set()
    seen.add(id(obj))
    if isinstance(obj, sympy.Basic):
        return set(obj.free_symbols)
    free = getattr(obj, "free_symbols", None)
    if isinstance(free, (set, frozenset)):  # Cost
        return set(free)
    total = getattr(obj, "total", None)
    if total is not None and hasattr(total, "free_symbols") and not isinstance(obj, dict):
        return set(total.free_symbols) | _free_symbols(getattr(obj, "input", None), seen)
    out: set[sympy.Symbol] = set()
    if isinstance(obj, Shape):
        for value in obj.sizes:
            out |= _free_symbols(value, seen)
    elif isinstance(obj, (Spec, GraphNode)):
        for key in type(obj).model_fields:
            out |= _free_symbols(getattr(obj, key), seen)
    elif isinstance(obj, dict):
        for value in obj.values():
            out |= _free_symbols(value, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            out |= _free_symbols(value, seen)
    return out


def dim_values(obj: Any, *, min_value: int = 1,
               max_value: int = 8) -> SearchStrategy[dict[str, int]]:
    """An assignment ``{name: int}`` for every free symbol of ``obj``.

    ``obj`` is a spec or network, a :class:`~symcost.Shape`, a :class:`~symcost.Cost` or
    network cost, a sympy expression, or a list/tuple/dict of those. Values are multiples
    ``k·m`` (``min_value`` ≤ k ≤ ``max_value``) of each symbol's declared ``multiple_of``
    m. Relations between fields (groups dividing channels) are not implied: evaluate with
    :meth:`~symcost.Cost.evaluate`, which checks them.

    >>> import symcost as sc
    >>> from hypothesis import find
    >>> H = sc.dim("H", multiple_of=32)
    >>> find(dim_values(H * 2), lambda values: values["H"] > 32)
    {'H': 64}
    """
    lo = _check_int(min_value, "min_value", 1)
    hi = _check_int(max_value, "max_value", 1)
    if hi < lo:
        raise InvalidArgument(f"max_value={hi} must be at least min_value={lo}")
    symbols = sorted(_free_symbols(obj), key=lambda s: s.name)
    names = [s.name for s in symbols]
    if len(set(names)) != len(names):
        raise InvalidArgument(f"obj has two different symbols with one name among {names}: "
                              "make every size with symcost.dim")
    return st.fixed_dictionaries({
        s.name: st.integers(lo, hi).map(_times(multiple_of(s))) for s in symbols})


def _times(m: int):
    return lambda k: k * m


#: The axis names :func:`shapes` gives each rank.
LAYOUTS: dict[int, tuple[str, ...]] = {2: ("N", "C"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W"),
                                       5: ("N", "C", "T", "H", "W")}


def shapes(*, vector: bool | None = False, ranks: Iterable[int] | None = None,
           max_batch: int = 2, max_channels: int = 6, max_side: int = 8
           ) -> SearchStrategy[Shape]:
    """Concrete input shapes: feature maps N×C×H×W (``vector=True``: N×C vectors; None:
    either), or, with ``ranks``, shapes of those ranks (2: N×C, 3: N×C×L, 4: N×C×H×W,
    5: N×C×T×H×W)."""
    b = _check_int(max_batch, "max_batch", 1)
    c = _check_int(max_channels, "max_channels", 1)
    side = _check_int(max_side, "max_side", 1)
    if ranks is not None:
        chosen = sorted(set(ranks)) if not isinstance(ranks, (str, int)) else None
        if not chosen or any(r not in LAYOUTS for r in chosen):
            raise InvalidArgument(f"ranks={ranks!r} must be a non-empty list of ranks among "
                                  f"{sorted(LAYOUTS)}")
        return st.sampled_from(chosen).flatmap(lambda r: _shape_of_rank(r, b, c, side))
    if vector not in (True, False, None):
        raise InvalidArgument(f"vector={vector!r} must be True, False or None")
    maps = _shape_of_rank(4, b, c, side)
    vectors = _shape_of_rank(2, b, c, side)
    if vector is None:
        return maps | vectors
    return vectors if vector else maps


def _shape_of_rank(rank: int, b: int, c: int, side: int) -> SearchStrategy[Shape]:
    # 3-D maps stay small: the brute-force executor walks every window of every position
    side = min(side, 4) if rank == 5 else side
    names = LAYOUTS[rank]
    sides = [st.integers(1, side)] * (rank - 2)
    return st.tuples(st.integers(1, b), st.integers(1, c), *sides).map(
        lambda sizes: Shape._make(names, tuple(sympy.Integer(v) for v in sizes)))


# ------------------------------------------------------------------------------ layers

#: Operations a drawn :class:`~symcost.Custom` layer declares, by label: (counts, output).
#: Each is a real computation (tests/executor.py runs it) so its census can be checked.
CUSTOM_OPERATIONS: dict[str, tuple[dict[str, str], dict[str, str] | None]] = {
    "square": ({"mul": "N*C*H*W"}, None),
    "affine": ({"mul": "N*C*H*W", "add": "N*C*H*W"}, None),
    "channel_sum": ({"add": "N*(C - 1)*H*W"}, {"C": "1"}),
}


def _window(draw, size: int, *, max_kernel: int = 3, dilate: bool = True,
            pool_pad: bool = False) -> tuple[int, int, int, int]:
    """(kernel, stride, padding, dilation) along one axis whose window fits ``size``."""
    d = draw(st.integers(1, 2)) if dilate else 1
    k = draw(st.integers(1, max_kernel))
    if pool_pad:
        p = draw(st.integers(0, k // 2))
    else:
        p = draw(st.integers(0, max(0, k - 1)))
    # the dilated window must fit the padded input: shrink kernel, then dilation
    while d * (k - 1) + 1 > size + 2 * p and (k > 1 or d > 1):
        if d > 1:
            d -= 1
        else:
            k -= 1
            p = min(p, k // 2) if pool_pad else min(p, max(0, k - 1))
    s = draw(st.integers(1, 2))
    return k, s, p, d


def _pair(draw, a, b):
    return a if a == b or draw(st.booleans()) is False else (a, b)


def _axis_params(draw, h: int, w: int, **kw):
    kh, sh, ph, dh = _window(draw, h, **kw)
    if draw(st.booleans()):  # square: same along W when it fits
        kw_, sw, pw, dw = _window_same(kh, sh, ph, dh, w)
    else:
        kw_, sw, pw, dw = _window(draw, w, **kw)
    return (kh, kw_), (sh, sw), (ph, pw), (dh, dw)


def _window_same(k, s, p, d, size):
    while d * (k - 1) + 1 > size + 2 * p and (k > 1 or d > 1):
        if d > 1:
            d -= 1
        else:
            k -= 1
            p = min(p, max(0, k - 1))
    return k, s, p, d


def _one(pair_value):
    a, b = pair_value
    return a if a == b else pair_value


def _conv_fields(draw, h, w, *, dilate=True, allow_same=True):
    k, s, p, d = _axis_params(draw, h, w, dilate=dilate)
    padding: Any = _one(p)
    if allow_same and draw(st.integers(0, 4)) == 4:  # shrinks to plain numeric padding
        padding = draw(st.sampled_from(["same", "valid"]))
        if padding == "valid":
            k, d = tuple(_window_same(kk, 1, 0, dd, size)[0] for kk, dd, size in
                         zip(k, d, (h, w))), tuple(
                _window_same(kk, 1, 0, dd, size)[3] for kk, dd, size in zip(k, d, (h, w)))
        else:
            s = (1, 1) if draw(st.booleans()) else s  # torch supports 'same' at stride 1
    return dict(kernel_size=_one(k), stride=_one(s), padding=padding, dilation=_one(d))


def _nd_fields(draw, sizes: tuple[int, ...], *, dilate=True, pool_pad=False,
               allow_same=True, within=False):
    """Window fields along every spatial axis (1-D and 3-D layers)."""
    axes = [_window(draw, n, dilate=dilate, pool_pad=pool_pad, max_kernel=min(3, n) if within
                    else 3) for n in sizes]
    k, s, p, d = (tuple(a[i] for a in axes) for i in range(4))

    def one(values):
        return values[0] if len(set(values)) == 1 else values

    padding: Any = one(p)
    if allow_same and not pool_pad and draw(st.integers(0, 4)) == 4:
        padding, s = "same", tuple(1 for _ in s)  # torch supports 'same' at stride 1
    return dict(kernel_size=one(k), stride=one(s), padding=padding, dilation=one(d))


# --------------------------------------------------------------- one drawer per kind
# A drawer is (draw, shape, preserve) -> layer: a layer of its kind that accepts ``shape``
# (integer sizes), and keeps it unchanged when ``preserve`` (inside residual and repeated
# bodies). Which shapes a kind accepts comes from its class (``ranks``).

Drawer = Callable[[Any, Shape, bool], Layer]


def _channels(shape: Shape) -> int:
    return int(shape[1])


def _grouped_conv(cls) -> Drawer:
    """Conv1d, Conv2d, Conv3d: groups dividing the channels, windows that fit."""
    def drawer(draw, shape, preserve):
        c, bias = _channels(shape), draw(st.booleans())
        g = draw(st.sampled_from(_divisors(c)))
        if preserve:
            k = 3 if cls is not _conv.Conv2d else draw(st.sampled_from([1, 3]))
            return cls(in_channels=c, out_channels=c, kernel_size=k, padding=k // 2,
                       groups=g, bias=bias)
        out = g * draw(st.integers(1, 3))
        if cls is _conv.Conv2d:
            _, _, h, w = _ints(shape)
            return cls(in_channels=c, out_channels=out, groups=g, bias=bias,
                       **_conv_fields(draw, h, w))
        fields = _nd_fields(draw, tuple(int(n) for n in shape.spatial_sizes))
        return cls(in_channels=c, out_channels=out, groups=g, bias=bias,
                   kernel_size=fields.pop("kernel_size"), **fields)
    return drawer


def _depthwise(draw, shape, preserve):
    c, bias = _channels(shape), draw(st.booleans())
    if preserve:
        return _conv.DepthwiseConv2d(in_channels=c, kernel_size=3, padding=1, bias=bias)
    _, _, h, w = _ints(shape)
    return _conv.DepthwiseConv2d(in_channels=c, depth_multiplier=draw(st.integers(1, 2)),
                                 bias=bias, **_conv_fields(draw, h, w))


def _pointwise(draw, shape, preserve):
    c, bias = _channels(shape), draw(st.booleans())
    g = draw(st.sampled_from(_divisors(c)))
    out = c if preserve else g * draw(st.integers(1, 3))
    stride = 1 if preserve else draw(st.integers(1, 2))
    return _conv.PointwiseConv2d(in_channels=c, out_channels=out, groups=g, stride=stride,
                                 bias=bias)


def _separable(draw, shape, preserve):
    _, c, h, w = _ints(shape)
    return _conv.SeparableConv2d(in_channels=c, out_channels=draw(st.integers(1, 4)),
                                 depth_multiplier=draw(st.integers(1, 2)),
                                 bias=draw(st.booleans()), **_conv_fields(draw, h, w))


def _conv_transpose(draw, shape, preserve):
    _, c, h, w = _ints(shape)
    g = draw(st.sampled_from(_divisors(c)))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    full = min((h - 1) * s + d * (k - 1) + 1, (w - 1) * s + d * (k - 1) + 1)
    p = draw(st.integers(0, min(2, (full - 1) // 2)))
    op = draw(st.integers(0, max(s, d) - 1))
    return _conv.ConvTranspose2d(in_channels=c, out_channels=g * draw(st.integers(1, 2)),
                                 kernel_size=k, stride=s, padding=p, output_padding=op,
                                 dilation=d, groups=g, bias=draw(st.booleans()))


def _windowed_pool(cls) -> Drawer:
    """Max and average pools of any rank: padding at most half the window, as torch."""
    def drawer(draw, shape, preserve):
        is_max = cls.reduce == "max"
        if cls.spatial_rank == 2:
            _, _, h, w = _ints(shape)
            k, s, p, d = _axis_params(draw, h, w, dilate=is_max, pool_pad=True)
            fields: dict[str, Any] = dict(kernel_size=_one(k), stride=_one(s),
                                          padding=_one(p), dilation=_one(d))
        else:  # torch's avg_pool3d also needs every side at least the kernel
            fields = _nd_fields(draw, tuple(int(n) for n in shape.spatial_sizes),
                                dilate=is_max, pool_pad=True, within=cls.kernel_within_input)
        if not is_max:
            fields.pop("dilation")
        if draw(st.booleans()):
            fields["stride"] = None  # torch's default: the kernel
        return cls(ceil_mode=draw(st.booleans()), **fields)
    return drawer


def _adaptive(draw, shape, preserve):
    cells = [draw(st.integers(1, int(n) + 1)) for n in shape.spatial_sizes]
    cls = _pool.AdaptiveAvgPool1d if len(cells) == 1 else _pool.AdaptiveAvgPool2d
    return cls(output_size=cells[0] if len(set(cells)) == 1 else tuple(cells))


def _activation(cls) -> Drawer:
    def drawer(draw, shape, preserve):
        if cls is _act.PReLU:
            choices = sorted({1, _channels(shape)})
            return _act.PReLU(num_parameters=draw(st.sampled_from(choices)))
        if cls is _act.LeakyReLU:
            return _act.LeakyReLU(negative_slope=draw(st.sampled_from([0.01, 0.2])))
        if cls is _act.GELU:
            return _act.GELU(approximate=draw(st.sampled_from(["none", "tanh"])))
        return cls()
    return drawer


def _reshape_drawer(draw, shape, preserve):
    # H and W go together in a shape; a reshape that may keep one of them renames both
    names = [n + "r" if n in ("H", "W") else n for n in shape.names]
    sizes = [int(v) for v in shape.sizes]
    axes: dict[str, Any] = dict(zip(names[:-2], sizes[:-2]))
    if len(names) > 2 and draw(st.booleans()):  # merge the last two axes
        axes[names[-2] + names[-1]] = sizes[-2] * sizes[-1]
    else:  # split the last axis in two, one size derived (-1)
        axes.update(zip(names[-2:-1], sizes[-2:-1]))
        f = draw(st.sampled_from(_divisors(sizes[-1])))
        axes[names[-1]] = -1
        axes[f"part{shape.rank}"] = f
    return _reshape.Reshape(axes=axes)


def _rearrange(draw, shape, preserve):
    """A permutation of the axes, or a split of the last axis into two named parts."""
    names = [f"a{i}" for i in range(shape.rank)]
    if draw(st.booleans()):
        order = [names[0], *draw(st.permutations(names[1:]))]
        return _reshape.Rearrange(pattern=" ".join(names) + " -> " + " ".join(order))
    f = draw(st.sampled_from(_divisors(int(shape.last))))
    left = " ".join(names[:-1] + ["(x y)"])
    right = " ".join(names[:-1] + (["y", "x"] if draw(st.booleans()) else ["x", "y"]))
    return _reshape.Rearrange(pattern=f"{left} -> {right}", sizes={"x": f})


def _upsample(draw, shape, preserve):
    _, _, h, w = _ints(shape)
    mode = draw(st.sampled_from(["nearest", "bilinear"]))
    if draw(st.booleans()):
        return Upsample(scale_factor=draw(st.integers(1, 3)), mode=mode)
    return Upsample(size=(draw(st.integers(1, 2 * h)), draw(st.integers(1, 2 * w))), mode=mode)


def _custom(draw, shape, preserve):
    labels = sorted(CUSTOM_OPERATIONS) if shape.rank == 4 and not preserve else \
        ["affine", "square"]
    label = draw(st.sampled_from(labels))
    counts, output = CUSTOM_OPERATIONS[label]
    if shape.rank == 2:  # the same operations on a vector
        counts = {op: "N*C" for op in counts}
    return Custom(label=label, counts=counts, output=output)


def _chunk(draw, shape, preserve):
    chunks = draw(st.sampled_from(_divisors(_channels(shape))))
    return _reshape.ChannelChunk(chunks=chunks, index=draw(st.integers(0, chunks - 1)))


# sequences (…, T, d): T is the second last axis, d the last, whatever the names

def _mask(draw, T: int, *, max_prefix: int = 2) -> Any:
    """A mask of any kind with sizes that fit T queries: windows and chunks from 1 to
    T + 1 (a window wider than the sequence is allowed), a prefix of 0 to ``max_prefix``
    cached positions (0 where the keys are exactly the queries' positions)."""
    kind = draw(st.sampled_from(["none", "causal", "sliding", "chunked", "prefix"]))
    if kind in ("none", "causal"):
        return kind
    if kind == "prefix":
        return ("prefix", draw(st.integers(0, max_prefix)))
    return (kind, draw(st.integers(1, T + 1)))


def _attention(draw, shape, preserve):
    """Heads dividing the width (or an explicit head_dim), key/value heads dividing the
    heads, every mask kind, cross-attention (mask 'none'), rotary when the head dim is
    even."""
    d, T = int(shape.last), int(shape[-2])
    if draw(st.integers(0, 3)) == 0:  # an explicit head_dim: any head count
        heads, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 4))
        dh = head_dim
    else:
        heads, head_dim = draw(st.sampled_from(_divisors(d))), None
        dh = d // heads
    kv = draw(st.sampled_from(_divisors(heads)))
    cross = draw(st.integers(0, 3)) == 0
    mask = "none" if cross else _mask(draw, T)
    kdim = draw(st.integers(1, 4)) if cross and draw(st.booleans()) else None
    bias = draw(st.booleans())
    return _attn.MultiheadAttention(
        embed_dim=d, num_heads=heads, num_kv_heads=kv if kv != heads or
        draw(st.booleans()) else None, head_dim=head_dim, bias=bias,
        out_bias=draw(st.sampled_from([None, not bias])), mask=mask,
        kv_length=draw(st.integers(1, 4)) if cross else None, kdim=kdim,
        rotary=dh % 2 == 0 and draw(st.booleans()), scale=draw(st.booleans()),
        position_bias=draw(st.booleans()), fused=draw(st.booleans()))


def _positional(draw, shape, preserve):
    return _emb.PositionalEmbedding(num_positions=int(shape[-2]) + draw(st.integers(0, 2)),
                                    embedding_dim=int(shape.last))


def _rotary(draw, shape, preserve):
    d = int(shape.last)  # at least 2 (_ACCEPTS)
    if d % 2 == 0 and draw(st.booleans()):
        return _emb.RotaryEmbedding(dim=d)
    return _emb.RotaryEmbedding(dim=d, rotary_dim=2 * draw(st.integers(1, d // 2)))


def _feed_forward(cls, draw, d: int, max_ff: int = 5):
    return cls(d_model=d, d_ff=draw(st.integers(1, max_ff)),
               activation=draw(st.sampled_from(["gelu", "gelu_tanh", "relu", "silu"])),
               bias=draw(st.booleans()))


def _moe(draw, shape, preserve):
    """Experts E, top_k at most E, an MLP or gated MLP expert, shared experts."""
    d = int(shape.last)
    experts = draw(st.integers(1, 4))
    expert = _feed_forward(draw(st.sampled_from([_mlp.MLP, _mlp.GatedMLP])), draw, d, 3)
    return _mlp.MoE(num_experts=experts, top_k=draw(st.integers(1, experts)), expert=expert,
                    shared_experts=draw(st.integers(0, 1)), normalize=draw(st.booleans()))


def _always(make) -> Drawer:
    """A drawer whose layer keeps or changes the shape the same way whatever ``preserve``."""
    return lambda draw, shape, preserve: make(draw, shape)


#: One drawer per layer class; a test checks that every kind of ``LAYER_TYPES`` has one.
DRAWERS: dict[type[Layer], Drawer] = {
    _conv.Conv1d: _grouped_conv(_conv.Conv1d), _conv.Conv2d: _grouped_conv(_conv.Conv2d),
    _conv.Conv3d: _grouped_conv(_conv.Conv3d), _conv.DepthwiseConv2d: _depthwise,
    _conv.PointwiseConv2d: _pointwise, _conv.SeparableConv2d: _separable,
    _conv.ConvTranspose2d: _conv_transpose,
    **{cls: _windowed_pool(cls) for cls in (_pool.MaxPool1d, _pool.MaxPool2d,
                                            _pool.MaxPool3d, _pool.AvgPool1d,
                                            _pool.AvgPool2d, _pool.AvgPool3d)},
    _pool.GlobalAvgPool2d: _always(lambda d, s: _pool.GlobalAvgPool2d()),
    _pool.GlobalMaxPool2d: _always(lambda d, s: _pool.GlobalMaxPool2d()),
    _pool.AdaptiveAvgPool1d: _adaptive, _pool.AdaptiveAvgPool2d: _adaptive,
    **{cls: _activation(cls) for cls in _act.ACTIVATION_TYPES},
    _act.Softmax: _always(lambda d, s: _act.Softmax(
        dim=d(st.sampled_from([*range(1, s.rank), -1])))),
    Linear: lambda d, s, keep: Linear(in_features=int(s.last), out_features=int(s.last) if keep
                                      else d(st.integers(1, 5)), bias=d(st.booleans())),
    _norm.BatchNorm2d: _always(lambda d, s: _norm.BatchNorm2d(
        num_features=_channels(s), affine=d(st.booleans()), track_running_stats=True)),
    _norm.LayerNorm: _always(lambda d, s: _norm.LayerNorm(
        normalized_shape=int(s.last), elementwise_affine=d(st.booleans()),
        bias=d(st.booleans()))),
    _norm.LayerNorm2d: _always(lambda d, s: _norm.LayerNorm2d(
        num_channels=_channels(s), elementwise_affine=d(st.booleans()),
        bias=d(st.booleans()))),
    LayerScale: _always(lambda d, s: LayerScale(num_channels=_channels(s))),
    _reshape.Flatten: _always(lambda d, s: _reshape.Flatten()),
    _reshape.Identity: _always(lambda d, s: _reshape.Identity()),
    _reshape.Dropout: _always(lambda d, s: _reshape.Dropout(
        p=d(st.sampled_from([0.0, 0.1, 0.5])))),
    _reshape.StochasticDepth: _always(lambda d, s: _reshape.StochasticDepth(
        p=d(st.sampled_from([0.0, 0.2])), mode=d(st.sampled_from(["row", "batch"])))),
    _reshape.ChannelShuffle: _always(lambda d, s: _reshape.ChannelShuffle(
        groups=d(st.sampled_from(_divisors(_channels(s)))))),
    _reshape.ChannelChunk: _chunk,
    _reshape.Permute: _always(lambda d, s: _reshape.Permute(
        dims=tuple(d(st.permutations(list(range(s.rank))))))),
    _reshape.Reshape: _reshape_drawer, _reshape.Rearrange: _rearrange,
    Upsample: _upsample, Custom: _custom,
    _emb.Embedding: _always(lambda d, s: _emb.Embedding(
        num_embeddings=d(st.integers(1, 6)), embedding_dim=d(st.integers(1, 4)))),
    _emb.PositionalEmbedding: _positional, _emb.RotaryEmbedding: _rotary,
    _norm.RMSNorm: _always(lambda d, s: _norm.RMSNorm(
        normalized_shape=int(s.last), elementwise_affine=d(st.booleans()))),
    _attn.MultiheadAttention: _attention,
    _mlp.MLP: _always(lambda d, s: _feed_forward(_mlp.MLP, d, int(s.last))),
    _mlp.GatedMLP: _always(lambda d, s: _feed_forward(_mlp.GatedMLP, d, int(s.last))),
    _mlp.MoE: _moe,
}

_BY_KIND: dict[str, type[Layer]] = {cls.model_fields["kind"].default: cls for cls in DRAWERS}


def _build(kind: str, draw, shape: Shape, preserve: bool) -> Layer:
    """Draw one layer of ``kind`` that accepts ``shape`` (and keeps it, if ``preserve``)."""
    return DRAWERS[_BY_KIND[kind]](draw, shape, preserve)


#: Kinds drawn for vectors and N×C×H×W maps only (their formulas name N, C, H, W).
_NCHW_ONLY = {"custom"}
#: Kinds whose drawer can keep any input shape unchanged (drawn inside Residual, Repeat
#: bodies): those whose class keeps the shape, and the drawers that choose to.
_PRESERVING = {cls.model_fields["kind"].default for cls in DRAWERS if cls.keeps_shape} | {
    "conv1d", "conv2d", "conv3d", "depthwise_conv2d", "pointwise_conv2d", "linear", "custom"}


#: Every leaf layer kind the strategies draw (all of :data:`symcost.spec.LAYER_TYPES`).
LAYER_KINDS: tuple[str, ...] = tuple(cls.model_fields["kind"].default for cls in LAYER_TYPES)
#: Container kinds :func:`networks` may draw.
CONTAINER_KINDS: tuple[str, ...] = ("sequential", "residual", "parallel", "repeat", "graph")


def _kind_names(kinds: Any, name: str = "kinds") -> tuple[str, ...]:
    if kinds is None:
        return LAYER_KINDS
    if isinstance(kinds, (str, type)):
        kinds = [kinds]
    try:
        items = list(kinds)
    except TypeError:
        raise InvalidArgument(f"{name}={kinds!r} must be an iterable of kind names or layer "
                              "classes") from None
    out = []
    for item in items:
        if isinstance(item, type) and issubclass(item, Layer):
            item = item.model_fields["kind"].default
        if item not in LAYER_KINDS:
            raise InvalidArgument(f"{name}: {item!r} is not a layer kind. Use names from "
                                  f"symcost.strategies.LAYER_KINDS: {', '.join(LAYER_KINDS)}")
        out.append(item)
    if not out:
        raise InvalidArgument(f"{name}={kinds!r} must name at least one kind")
    return tuple(dict.fromkeys(out))


_RANKS = {cls.model_fields["kind"].default: cls.ranks for cls in LAYER_TYPES}


#: What a kind needs of its input beyond its class's ranks: sequences (…, T, d) of rank 3
#: and up; rotary pairs need d ≥ 2; an embedding adds an axis, drawn up to rank 4 so that
#: networks stay small.
_ACCEPTS: dict[str, Callable[[Shape], bool]] = {
    "multihead_attention": lambda s: s.rank >= 3,
    "positional_embedding": lambda s: s.rank >= 3,
    "rotary_embedding": lambda s: int(s.last) >= 2,
    "embedding": lambda s: s.rank <= 4,
}


#: The ranks :func:`layers` draws an input of, for kinds whose class takes any rank but
#: which need a sequence.
_ANY_RANKS = {"multihead_attention": (3, 4), "positional_embedding": (3, 4)}


def _suited(shape: Shape, names: tuple[str, ...]) -> Shape:
    """A drawn shape some kind of ``names`` accepts: a last axis of one widened to two
    when only rotary pairs were asked for."""
    if any(_fits(k, shape, False) for k in names) or int(shape.last) >= 2:
        return shape
    return shape.with_size(-1, 2)


def _fits(kind: str, shape: Shape, preserve: bool) -> bool:
    ranks = _RANKS[kind]
    if ranks is not None and shape.rank not in ranks:
        return False
    if kind in _ACCEPTS and not _ACCEPTS[kind](shape):
        return False
    if kind in _NCHW_ONLY and shape.names not in (("N", "C"), ("N", "C", "H", "W")):
        return False  # its drawn formulas name the axes N, C, H, W
    return not (preserve and kind not in _PRESERVING)


def _bridge(shape: Shape, rank: int) -> Layer:
    """A Rearrange from ``shape`` to ``rank`` axes: trailing axes merged, or unit axes
    appended (a 1-D map made from a feature map, a 3-D map with T = 1)."""
    names = [f"a{i}" for i in range(shape.rank)]
    if rank > shape.rank:
        right = names + ["1"] * (rank - shape.rank)
    else:
        right = names[:rank - 1] + ["(" + " ".join(names[rank - 1:]) + ")"]
    return _reshape.Rearrange(pattern=" ".join(names) + " -> " + " ".join(right))


@st.composite
def _layer_for(draw, shape: Shape, kinds: tuple[str, ...], preserve: bool = False):
    fitting = [k for k in kinds if _fits(k, shape, preserve)]
    if fitting:
        return _build(draw(st.sampled_from(fitting)), draw, shape, preserve)
    # nothing in kinds accepts this shape: change its rank for a kind that takes another
    # one (conv1d after a feature map), or pass it through
    other = sorted({k for k in kinds if _RANKS[k]} if not preserve else set())
    if not other:
        return _reshape.Identity()
    kind = draw(st.sampled_from(other))
    bridge = _bridge(shape, draw(st.sampled_from(_RANKS[kind] or (2,))))
    middle = bridge.output_shape(shape)
    if not _fits(kind, middle, False):
        return bridge
    return Sequential(layers=(bridge, _build(kind, draw, middle, False)))


def layers(*, kinds: Any = None, input: Shape | SearchStrategy[Shape] | None = None
           ) -> SearchStrategy[Layer]:
    """Layer specs of the given ``kinds`` (names such as ``"conv2d"`` or classes; default
    every built-in kind), each valid for ``input``: a :class:`~symcost.Shape` with integer
    axes, a strategy of shapes, or None for any small feature map (use
    ``st.data()`` or ``shapes().flatmap(...)`` to know which). Fields cover stride,
    padding (numbers, ``"same"``, ``"valid"``), dilation, groups, depth multiplier, bias,
    ceil mode, rectangular kernels.

    >>> import symcost as sc
    >>> from hypothesis import find
    >>> find(layers(kinds=["conv2d"], input=sc.Shape(C=4, H=5, W=5)), lambda c: c.groups > 1)
    Conv2d(in_channels=4, out_channels=2, kernel_size=1, groups=2, bias=False)
    """
    names = _kind_names(kinds)
    if input is None:
        accepted = {r for k in names for r in (_RANKS[k] or _ANY_RANKS.get(k, (2, 4)))}
        return shapes(ranks=accepted & set(LAYOUTS)).map(
            lambda s: _suited(s, names)).flatmap(
            lambda s: _layer_for(s, tuple(k for k in names if _fits(k, s, False))
                                 or names))
    if isinstance(input, SearchStrategy):
        return input.flatmap(lambda s: _layer_for(_int_shape(s, "input"), names))
    shape = _int_shape(input, "input")
    if not any(_fits(k, shape, False) for k in names):
        raise InvalidArgument(f"kinds={names!r}: none accepts input={shape} (they need a "
                              "feature map)")
    return _layer_for(shape, names)


#: The merge specs by kind.
_MERGES = {
    "add": _merge.Add, "mul": _merge.Mul, "concat": _merge.Concat, "matmul": _merge.MatMul}


def merges(*, kinds: Iterable[str] | None = None) -> SearchStrategy[_merge.Merge]:
    """Merge specs: ``add``, ``mul``, ``concat`` (and ``matmul`` when asked for)."""
    names = ["add", "mul", "concat"] if kinds is None else list(kinds)
    for k in names:
        if k not in _MERGES:
            raise InvalidArgument(f"kinds: {k!r} is not a merge kind. Use {sorted(_MERGES)}")
    if not names:
        raise InvalidArgument("kinds must name at least one merge kind")
    return st.sampled_from(names).map(lambda k: _MERGES[k]())


# ---------------------------------------------------------------------------- networks


def _chain(draw, shape: Shape, kinds, count: int, preserve: bool, depth: int,
           containers: tuple[str, ...]) -> tuple[list[Spec], Shape]:
    out: list[Spec] = []
    for _ in range(count):
        usable = [c for c in containers if c != "sequential"] if depth > 0 else []
        if usable and shape.rank == 4 and draw(st.integers(0, 3)) == 0:
            spec = _container(draw, draw(st.sampled_from(usable)), shape, kinds, depth - 1,
                              containers, preserve)
        else:
            spec = draw(_layer_for(shape, kinds, preserve))
        node = spec.node(shape)
        out.append(spec)
        shape = node.output
    return out, shape


def _container(draw, kind: str, shape: Shape, kinds, depth: int, containers,
               preserve: bool) -> Spec:
    c = int(shape.channels)
    if shape.rank != 4:  # the drawn shortcuts and concatenated branches are 2-D convolutions
        kind = "repeat"
    if kind == "residual":
        body, _ = _chain(draw, shape, kinds, draw(st.integers(1, 3)), True, depth, containers)
        merge = draw(merges(kinds=["add", "mul"]))
        shortcut = None
        if draw(st.booleans()):
            shortcut = _conv.PointwiseConv2d(in_channels=c, out_channels=c)
        return Residual(body=Sequential(layers=tuple(body)) if len(body) > 1 else body[0],
                        shortcut=shortcut, merge=merge)
    if kind == "repeat":
        body, _ = _chain(draw, shape, kinds, draw(st.integers(1, 2)), True, depth, containers)
        return Repeat(n=draw(st.integers(1, 3)),
                      body=Sequential(layers=tuple(body)) if len(body) > 1 else body[0])
    if kind == "parallel":
        merge = draw(merges(kinds=["add", "mul"] if preserve else ["add", "mul", "concat"]))
        branches: list[Spec] = []
        for _ in range(draw(st.integers(1, 3))):
            if merge.kind == "concat":
                out = draw(st.integers(1, 3))
                k = draw(st.sampled_from([1, 3]))
                branches.append(_conv.Conv2d(in_channels=c, out_channels=out, kernel_size=k,
                                             padding=k // 2, bias=draw(st.booleans())))
            else:
                chain, _ = _chain(draw, shape, kinds, draw(st.integers(1, 2)), True, depth,
                                  containers)
                branches.append(Sequential(layers=tuple(chain)) if len(chain) > 1
                                else chain[0])
        return Parallel(branches=tuple(branches), merge=merge)
    if kind == "graph":
        return _graph(draw, shape, kinds, depth, containers, preserve)
    raise InvalidArgument(f"containers: unknown container kind {kind!r}")  # pragma: no cover


def _graph(draw, shape: Shape, kinds, depth, containers, preserve: bool) -> Graph:
    """input → a → b, then a merge of two earlier values (add, mul, concat or, on a
    square map, matmul of a value with its transpose)."""
    names: list[str] = ["input"]
    shapes_: dict[str, Shape] = {"input": shape}
    nodes: list[GraphNode] = []
    for i in range(draw(st.integers(1, 3))):
        src = draw(st.sampled_from(names))
        spec = draw(_layer_for(shapes_[src], kinds, True))
        name = f"n{i}"
        nodes.append(GraphNode(name=name, op=spec, inputs=(src,)))
        shapes_[name] = spec.node(shapes_[src]).output
        names.append(name)
    a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    choices = ["add", "mul"] + ([] if preserve else ["concat"])
    sa = shapes_[a]
    if not preserve and sa.rank == 4 and sa[2] == sa[3]:
        choices.append("matmul")
    if sa.rank >= 3:  # every value has the input's shape: (…, heads, T, head_dim)
        choices.append("sdpa")
    merge = draw(st.sampled_from(choices))
    if merge == "sdpa":
        nodes += _sdpa_nodes(draw, names, sa)
    elif merge == "matmul":
        other = b if shapes_[b] == sa else a
        nodes.append(GraphNode(name="t", op=_reshape.Permute(dims=(0, 1, 3, 2)),
                               inputs=(other,)))
        nodes.append(GraphNode(name="out", op=_merge.MatMul(), inputs=(a, "t")))
    else:
        nodes.append(GraphNode(name="out", op=_MERGES[merge](), inputs=(a, b)))
    return Graph(nodes=tuple(nodes))


def _sdpa_nodes(draw, names: list[str], shape: Shape) -> list[GraphNode]:
    """Attention of three earlier values of one shape (…, H, T, Dh) as q, k and v; on a
    feature map, k and v may each keep a chunk of the channels (G key/value heads
    dividing the H query heads, enable_gqa)."""
    q, k, v = (draw(st.sampled_from(names)) for _ in range(3))
    nodes: list[GraphNode] = []
    gqa = draw(st.booleans())
    if shape.rank == 4:
        ratio = draw(st.sampled_from(_divisors(int(shape[1]))))
        if ratio > 1:
            gqa = True
            for label, src in (("k", k), ("v", v)):
                chunk = _reshape.ChannelChunk(chunks=ratio,
                                              index=draw(st.integers(0, ratio - 1)))
                nodes.append(GraphNode(name=label, op=chunk, inputs=(src,)))
            k, v = "k", "v"
    merge = _attn.ScaledDotProductAttention(mask=_mask(draw, int(shape[-2]), max_prefix=0),
                                            enable_gqa=gqa, scale=draw(st.booleans()))
    return nodes + [GraphNode(name="out", op=merge, inputs=(q, k, v))]


_DEFAULT_INPUT = Shape(C=3, H=8, W=8)


def networks(*, input: Shape = _DEFAULT_INPUT, min_layers: int = 1,
             max_layers: int = 6, kinds: Any = None,
             containers: Iterable[str] | None = None,
             max_depth: int = 2) -> SearchStrategy[Sequential]:
    """Networks (a :class:`~symcost.Sequential` at the top) valid for ``input`` by
    construction, with ``min_layers``…``max_layers`` top-level elements.

    Leaves are drawn from ``kinds`` (default all built-in kinds) for the shape each one
    receives; ``containers`` (default all: ``residual``, ``parallel``, ``repeat``,
    ``graph``; ``sequential`` nests through them) may appear down to ``max_depth`` levels,
    with the merges ``add``, ``mul``, ``concat`` and ``matmul`` inside ``Parallel`` and
    ``Graph``. Nothing is filtered, so failures shrink to short networks.
    """
    shape = _int_shape(input, "input")
    lo = _check_int(min_layers, "min_layers", 1)
    hi = _check_int(max_layers, "max_layers", 1)
    if hi < lo:
        raise InvalidArgument(f"max_layers={hi} must be at least min_layers={lo}")
    depth = _check_int(max_depth, "max_depth", 0, 4)
    names = _kind_names(kinds)
    if containers is None:
        boxes = CONTAINER_KINDS
    else:
        if isinstance(containers, str):
            raise InvalidArgument(f"containers={containers!r} must be a list of names")
        boxes = tuple(containers)
        bad = [c for c in boxes if c not in CONTAINER_KINDS]
        if bad:
            raise InvalidArgument(f"containers: {bad} are not container kinds. Use "
                                  f"{list(CONTAINER_KINDS)}")

    @st.composite
    def build(draw):
        count = draw(st.integers(lo, hi))
        layers_, _ = _chain(draw, shape, names, count, False, depth if boxes else 0, boxes)
        return Sequential(layers=tuple(layers_))

    return build()


def _container_of(kind: str, *, input: Shape = _DEFAULT_INPUT) -> SearchStrategy[Spec]:
    """One container of ``kind`` (residual, parallel, repeat, graph) for ``input``."""
    shape = _int_shape(input, "input")
    if kind not in CONTAINER_KINDS or kind == "sequential":
        raise InvalidArgument(f"kind={kind!r} must be one of residual, parallel, repeat, graph")

    @st.composite
    def build(draw):
        return _container(draw, kind, shape, LAYER_KINDS, 1, CONTAINER_KINDS, False)

    return build()


def conventions(*, names: Iterable[str] | None = None) -> SearchStrategy[Convention]:
    """The preset :class:`~symcost.Convention` objects (all, or those ``names``)."""
    known = convention_names()
    chosen = known if names is None else list(names)
    if isinstance(names, str):
        raise InvalidArgument(f"names={names!r} must be a list of convention names")
    bad = [n for n in chosen if n not in known]
    if bad or not chosen:
        raise InvalidArgument(f"names: {bad or chosen} — use some of {known}")
    return st.sampled_from([get_convention(n) for n in chosen])
