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

from collections.abc import Iterable
from typing import Any

import sympy

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as exc:  # pragma: no cover - hypothesis is installed with the test extra
    raise ImportError("symcost.strategies needs hypothesis: pip install "
                      "'symcost[hypothesis]'.") from exc

from .conventions import Convention, convention_names, get_convention
from .dims import dim, multiple_of
from .layers import activation as _act
from .layers import conv as _conv
from .layers import merge as _merge
from .layers import norm as _norm
from .layers import pool as _pool
from .layers import reshape as _reshape
from .layers.base import Layer, Spec
from .layers.custom import Custom
from .layers.linear import Linear
from .layers.resample import Upsample
from .layers.scale import LayerScale
from .network import Graph, GraphNode, Parallel, Repeat, Residual, Sequential
from .shapes import Shape
from .spec import LAYER_TYPES

__all__ = ["dims", "dim_values", "shapes", "layers", "merges", "networks", "conventions",
           "LAYER_KINDS", "CONTAINER_KINDS", "CUSTOM_OPERATIONS"]

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


def _build(kind: str, draw, shape: Shape, preserve: bool) -> Layer:
    """Draw one layer of ``kind`` that accepts ``shape`` (and keeps it, if ``preserve``)."""
    _, c, h, w = _ints(shape)
    is_map = shape.is_map
    bias = draw(st.booleans())
    spatial = tuple(int(n) for n in shape.spatial_sizes)
    if kind in ("conv1d", "conv3d"):
        conv: type[_conv.Conv1d | _conv.Conv3d] = (_conv.Conv1d if kind == "conv1d"
                                                      else _conv.Conv3d)
        g = draw(st.sampled_from(_divisors(c)))
        if preserve:
            return conv(in_channels=c, out_channels=c, kernel_size=3, padding=1, groups=g,
                        bias=bias)
        fields = _nd_fields(draw, spatial)
        return conv(in_channels=c, out_channels=g * draw(st.integers(1, 3)), groups=g,
                    bias=bias, kernel_size=fields.pop("kernel_size"), **fields)
    if kind in ("max_pool1d", "max_pool3d", "avg_pool1d", "avg_pool3d"):
        # torch's avg_pool3d also needs every side at least the kernel
        fields = _nd_fields(draw, spatial, dilate=kind.startswith("max"), pool_pad=True,
                            within=kind == "avg_pool3d")
        if not kind.startswith("max"):
            fields.pop("dilation")
        if draw(st.booleans()):
            fields["stride"] = None
        return _POOLS_ND[kind](ceil_mode=draw(st.booleans()), **fields)
    if kind == "adaptive_avg_pool1d":
        return _pool.AdaptiveAvgPool1d(output_size=draw(st.integers(1, spatial[0] + 1)))
    if kind == "rearrange":
        return _draw_rearrange(draw, shape)
    if kind == "reshape":
        names, sizes = list(shape.names), [int(v) for v in shape.sizes]
        axes: dict[str, Any] = dict(zip(names[:-2], sizes[:-2]))
        if len(names) > 2 and draw(st.booleans()):  # merge the last two axes
            axes[names[-2] + names[-1]] = sizes[-2] * sizes[-1]
        else:  # split the last axis in two, one size derived (-1)
            axes.update(zip(names[-2:-1], sizes[-2:-1]))
            f = draw(st.sampled_from(_divisors(sizes[-1])))
            axes[names[-1]] = -1
            axes[f"part{shape.rank}"] = f
        return _reshape.Reshape(axes=axes)
    if kind == "conv2d":
        g = draw(st.sampled_from(_divisors(c)))
        if preserve:
            k = draw(st.sampled_from([1, 3]))
            return _conv.Conv2d(in_channels=c, out_channels=c, kernel_size=k, padding=k // 2,
                                groups=g, bias=bias)
        out = g * draw(st.integers(1, 3))
        return _conv.Conv2d(in_channels=c, out_channels=out, groups=g, bias=bias,
                            **_conv_fields(draw, h, w))
    if kind == "depthwise_conv2d":
        if preserve:
            return _conv.DepthwiseConv2d(in_channels=c, kernel_size=3, padding=1, bias=bias)
        return _conv.DepthwiseConv2d(in_channels=c, depth_multiplier=draw(st.integers(1, 2)),
                                     bias=bias, **_conv_fields(draw, h, w))
    if kind == "pointwise_conv2d":
        g = draw(st.sampled_from(_divisors(c)))
        out = c if preserve else g * draw(st.integers(1, 3))
        stride = 1 if preserve else draw(st.integers(1, 2))
        return _conv.PointwiseConv2d(in_channels=c, out_channels=out, groups=g, stride=stride,
                                     bias=bias)
    if kind == "separable_conv2d":
        fields = _conv_fields(draw, h, w)
        return _conv.SeparableConv2d(in_channels=c, out_channels=draw(st.integers(1, 4)),
                                     depth_multiplier=draw(st.integers(1, 2)), bias=bias,
                                     **fields)
    if kind == "conv_transpose2d":
        g = draw(st.sampled_from(_divisors(c)))
        k = draw(st.integers(1, 3))
        s = draw(st.integers(1, 2))
        d = draw(st.integers(1, 2))
        full = min((h - 1) * s + d * (k - 1) + 1, (w - 1) * s + d * (k - 1) + 1)
        p = draw(st.integers(0, min(2, (full - 1) // 2)))
        op = draw(st.integers(0, max(s, d) - 1))
        return _conv.ConvTranspose2d(in_channels=c, out_channels=g * draw(st.integers(1, 2)),
                                     kernel_size=k, stride=s, padding=p, output_padding=op,
                                     dilation=d, groups=g, bias=bias)
    if kind in ("max_pool2d", "avg_pool2d"):
        k, s, p, d = _axis_params(draw, h, w, dilate=kind == "max_pool2d", pool_pad=True)
        stride = None if draw(st.booleans()) else _one(s)  # None: torch's default, kernel
        extra: dict[str, Any] = {"dilation": _one(d)} if kind == "max_pool2d" else {}
        pool = _pool.MaxPool2d if kind == "max_pool2d" else _pool.AvgPool2d
        return pool(kernel_size=_one(k), stride=stride, padding=_one(p),
                   ceil_mode=draw(st.booleans()), **extra)
    if kind == "global_avg_pool2d":
        return _pool.GlobalAvgPool2d()
    if kind == "global_max_pool2d":
        return _pool.GlobalMaxPool2d()
    if kind == "adaptive_avg_pool2d":
        oh, ow = draw(st.integers(1, h + 1)), draw(st.integers(1, w + 1))
        return _pool.AdaptiveAvgPool2d(output_size=oh if oh == ow else (oh, ow))
    if kind in _act.ACTIVATION_OPS and kind != "gelu_tanh":
        cls = _ACTIVATIONS[kind]
        if kind == "prelu":
            return _act.PReLU(num_parameters=draw(st.sampled_from(sorted({1, c}))))
        if kind == "leaky_relu":
            return _act.LeakyReLU(negative_slope=draw(st.sampled_from([0.01, 0.2])))
        if kind == "gelu":
            return _act.GELU(approximate=draw(st.sampled_from(["none", "tanh"])))
        return cls()
    if kind == "softmax":
        return _act.Softmax(dim=draw(st.sampled_from([*range(1, shape.rank), -1])))
    if kind == "linear":
        last = int(shape.last)
        return Linear(in_features=last, out_features=last if preserve else
                      draw(st.integers(1, 5)), bias=bias)
    if kind == "batchnorm2d":
        return _norm.BatchNorm2d(num_features=c, affine=draw(st.booleans()),
                                 track_running_stats=True)
    if kind == "layer_norm":
        return _norm.LayerNorm(normalized_shape=int(shape.last),
                               elementwise_affine=draw(st.booleans()), bias=bias)
    if kind == "layer_norm2d":
        return _norm.LayerNorm2d(num_channels=c, elementwise_affine=draw(st.booleans()),
                                 bias=bias)
    if kind == "layer_scale":
        return LayerScale(num_channels=c)
    if kind == "flatten":
        return _reshape.Flatten()
    if kind == "identity":
        return _reshape.Identity()
    if kind == "dropout":
        return _reshape.Dropout(p=draw(st.sampled_from([0.0, 0.1, 0.5])))
    if kind == "stochastic_depth":
        return _reshape.StochasticDepth(p=draw(st.sampled_from([0.0, 0.2])),
                                        mode=draw(st.sampled_from(["row", "batch"])))
    if kind == "channel_shuffle":
        return _reshape.ChannelShuffle(groups=draw(st.sampled_from(_divisors(c))))
    if kind == "channel_chunk":
        chunks = draw(st.sampled_from(_divisors(c)))
        return _reshape.ChannelChunk(chunks=chunks, index=draw(st.integers(0, chunks - 1)))
    if kind == "permute":
        return _reshape.Permute(dims=tuple(draw(st.permutations(list(range(shape.rank))))))
    if kind == "upsample":
        mode = draw(st.sampled_from(["nearest", "bilinear"]))
        if draw(st.booleans()):
            f = draw(st.integers(1, 3))
            return Upsample(scale_factor=f, mode=mode)
        return Upsample(size=(draw(st.integers(1, 2 * h)), draw(st.integers(1, 2 * w))),
                        mode=mode)
    if kind == "custom":
        labels = sorted(CUSTOM_OPERATIONS) if is_map and not preserve else ["affine", "square"]
        label = draw(st.sampled_from(labels))
        counts, output = CUSTOM_OPERATIONS[label]
        if not is_map:  # the same operations on a vector
            counts = {op: "N*C" for op in counts}
        return Custom(label=label, counts=counts, output=output)
    raise InvalidArgument(f"no strategy for layer kind {kind!r}")  # pragma: no cover


def _draw_rearrange(draw, shape: Shape) -> Layer:
    """A permutation of the axes, or a split of the last axis into two named parts."""
    names = [f"a{i}" for i in range(shape.rank)]
    if draw(st.booleans()):
        order = [names[0], *draw(st.permutations(names[1:]))]
        return _reshape.Rearrange(pattern=" ".join(names) + " -> " + " ".join(order))
    last = int(shape.last)
    f = draw(st.sampled_from(_divisors(last)))
    left = " ".join(names[:-1] + ["(x y)"])
    right = " ".join(names[:-1] + (["y", "x"] if draw(st.booleans()) else ["x", "y"]))
    return _reshape.Rearrange(pattern=f"{left} -> {right}", sizes={"x": f})


_POOLS_ND = {"max_pool1d": _pool.MaxPool1d, "max_pool3d": _pool.MaxPool3d,
             "avg_pool1d": _pool.AvgPool1d, "avg_pool3d": _pool.AvgPool3d}

_ACTIVATIONS = {cls.model_fields["kind"].default: cls for cls in (
    _act.ReLU, _act.ReLU6, _act.LeakyReLU, _act.PReLU, _act.ELU, _act.Sigmoid, _act.Tanh,
    _act.SiLU, _act.Hardswish, _act.Hardsigmoid, _act.GELU)}

#: Kinds drawn for vectors and N×C×H×W maps only (their formulas name N, C, H, W).
_NCHW_ONLY = {"custom"}
#: Kinds that can keep any input shape unchanged (drawn inside Residual, Repeat bodies).
_PRESERVING = {"conv2d", "depthwise_conv2d", "pointwise_conv2d", "relu", "relu6",
               "leaky_relu", "prelu", "elu", "sigmoid", "tanh", "silu", "hardswish",
               "hardsigmoid", "gelu", "softmax", "batchnorm2d", "layer_norm", "layer_norm2d",
               "layer_scale", "identity", "dropout", "stochastic_depth", "channel_shuffle",
               "linear", "custom", "conv1d", "conv3d"}


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


def _fits(kind: str, shape: Shape, preserve: bool) -> bool:
    ranks = _RANKS[kind]
    if ranks is not None and shape.rank not in ranks:
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
        accepted = {r for k in names for r in (_RANKS[k] or (2, 4))}
        return shapes(ranks=accepted & set(LAYOUTS)).flatmap(
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
    merge = draw(st.sampled_from(choices))
    if merge == "matmul":
        other = b if shapes_[b] == sa else a
        nodes.append(GraphNode(name="t", op=_reshape.Permute(dims=(0, 1, 3, 2)),
                               inputs=(other,)))
        nodes.append(GraphNode(name="out", op=_merge.MatMul(), inputs=(a, "t")))
    else:
        nodes.append(GraphNode(name="out", op=_MERGES[merge](), inputs=(a, b)))
    return Graph(nodes=tuple(nodes))


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
