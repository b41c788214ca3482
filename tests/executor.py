"""A brute-force executor: really computes each layer on an input, counting every operation.

Independent of symcost's formulas: output sizes come from walking window positions, the
arithmetic is done on :class:`Num`, a float that records each ``+ - * /``, comparison,
``exp``, ``erf`` and ``sqrt`` it takes part in, and containers are executed node by node.
The counts are what a direct, straightforward implementation performs; where symcost's
census is a modelling choice, the executor implements the algorithm that choice describes:

* a dot product of n terms is n multiplies and n − 1 adds (``mac`` = n, ``dot`` = 1), over
  every tap of the window, zero padding included (padding is real zeros that get multiplied);
* a transposed convolution scatters: each input value times each weight of its group,
  accumulated into the output (so each product is one multiply and one add: ``mac``);
* element-wise activations are evaluated branch-free, as a vectorised kernel does: both
  sides of ``x > 0 ? x : a·x`` are computed and one is selected (ELU computes ``exp`` for
  every element); a negation is a multiply;
* BatchNorm at inference uses per-channel scale and shift computed once from the frozen
  statistics (not counted): one multiply and one add per element;
* pooling windows are nominal: every window holds kh·kw values, padding included (−∞ for
  max, zeros for average), including ceil-mode overhang; softmax is the direct
  exp / sum / divide (no max subtraction); bilinear upsampling uses precomputed weights;
* attention scores only the (query, key) pairs its mask keeps, each query over its own kept
  keys (causal, prefix, sliding and chunked masks written from their definitions, not from
  symcost's closed forms); rotary tables (cos, sin) are precomputed constants; an embedding
  lookup copies rows (ids are read from the input values); a mixture of experts routes each
  token with a seeded router to top_k distinct experts, found by k passes of a max over
  all E scores (the chosen ones masked).

``run(spec, shape)`` returns the output values, the counts and, when torch is installed, the
same computation by ``torch.nn.functional`` so the executor itself is proven right.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np

from tests.oracle import adaptive_window_rows, window_starts

# ------------------------------------------------------------------- counting numbers


class Tally:
    """Operation counts; ``mode`` relabels the multiplies and adds of dot products,
    scatters and bias additions so they can be matched to the census's ``mac``, ``dot``
    and ``bias`` entries."""

    RELABEL = {"dot": {"mul": "mac_dot", "add": "dot_add"},
               "scatter": {"mul": "mac_scatter", "add": "scatter_add"},
               "bias": {"add": "bias"}}

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self._mode: str | None = None

    def hit(self, op: str) -> None:
        if self._mode is not None:
            op = self.RELABEL[self._mode].get(op, op)
        self.counts[op] += 1

    @contextlib.contextmanager
    def mode(self, name: str) -> Iterator[None]:
        previous, self._mode = self._mode, name
        try:
            yield
        finally:
            self._mode = previous

    def census(self) -> dict[str, int]:
        """The counts in the census's terms, after checking how dot products and
        scatters were formed."""
        c = Counter(self.counts)
        mac_dot, mac_scatter = c.pop("mac_dot", 0), c.pop("mac_scatter", 0)
        dot_add, scatter_add = c.pop("dot_add", 0), c.pop("scatter_add", 0)
        assert dot_add == mac_dot - c["dot"], "a dot product of n terms takes n - 1 adds"
        assert scatter_add == mac_scatter, "each scattered product is accumulated once"
        c["mac"] = mac_dot + mac_scatter
        return {k: v for k, v in c.items() if v}


class Num:
    """A float that counts the arithmetic done with it."""

    __slots__ = ("t", "v")

    def __init__(self, v: float, t: Tally) -> None:
        self.v, self.t = float(v), t

    def _new(self, op: str, v: float) -> Num:
        self.t.hit(op)
        return Num(v, self.t)

    def __add__(self, o):
        return self._new("add", self.v + _v(o))

    __radd__ = __add__

    def __sub__(self, o):
        return self._new("add", self.v - _v(o))

    def __rsub__(self, o):
        return self._new("add", _v(o) - self.v)

    def __mul__(self, o):
        return self._new("mul", self.v * _v(o))

    __rmul__ = __mul__

    def __neg__(self):
        return self._new("mul", -self.v)

    def __truediv__(self, o):
        return self._new("div", self.v / _v(o))

    def __rtruediv__(self, o):
        return self._new("div", _v(o) / self.v)

    def __gt__(self, o):
        self.t.hit("cmp")
        return self.v > _v(o)

    def __repr__(self) -> str:
        return f"Num({self.v})"


def _v(x) -> float:
    return x.v if isinstance(x, Num) else float(x)


def _unary(op: str, fn: Callable[[float], float]) -> Callable[[Num], Num]:
    def apply(x: Num) -> Num:
        return x._new(op, fn(x.v))
    return apply


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:  # deep random networks can grow values: follow IEEE, as torch does
        return math.inf


exp = _unary("exp", _exp)
erf = _unary("erf", math.erf)
sqrt = _unary("sqrt", math.sqrt)


def _num(b, like: Num) -> Num:
    return b if isinstance(b, Num) else Num(b, like.t)


def maximum(a: Num, b) -> Num:
    """max(a, b): one comparison."""
    return a if a > b else _num(b, a)


def minimum(a: Num, b) -> Num:
    """min(a, b): one comparison."""
    return _num(b, a) if a > b else a


def where_positive(x: Num, negative: Num) -> Num:
    """x > 0 ? x : negative, with ``negative`` already computed (branch-free)."""
    return x if x > 0 else negative


def total(values) -> Num:
    """Σ values, left to right: n − 1 additions."""
    it = iter(values)
    acc = next(it)
    for v in it:
        acc = acc + v
    return acc


def dot(xs, ws, t: Tally) -> Num:
    """One dot product Σ x_i·w_i, counted as mac/dot."""
    with t.mode("dot"):
        out = total(x * w for x, w in zip(xs, ws))
    t.counts["dot"] += 1
    return out


def num_array(values: np.ndarray, t: Tally) -> np.ndarray:
    out = np.empty(values.shape, dtype=object)
    for idx, v in np.ndenumerate(values):
        out[idx] = Num(v, t)
    return out


def values_of(arr: np.ndarray) -> np.ndarray:
    return np.vectorize(_v, otypes=[float])(arr) if arr.size else arr.astype(float)


def _pair(v):
    if isinstance(v, (tuple, list)):
        return tuple(int(x) for x in v)
    return (int(v), int(v))


# ------------------------------------------------------------------------ the layers


class Context:
    """Random parameters, the tally, and torch (None when absent)."""

    def __init__(self, rng: np.random.Generator, torch=None) -> None:
        self.rng, self.t, self.torch = rng, Tally(), torch
        self.routes: list[list[tuple[int, ...]]] = []  # each MoE's choice per token

    def normal(self, *shape):
        return self.rng.normal(size=shape)


def _pad_amounts(size, k, s, d, padding):
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // s)
        need = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
        return need // 2, need - need // 2
    return int(padding), int(padding)


def _padded(x: np.ndarray, pads, fill: float, t: Tally) -> np.ndarray:
    """``x`` padded with ``fill`` along its spatial axes: one (before, after) per axis."""
    spatial = x.shape[2:]
    out = np.empty(x.shape[:2] + tuple(n + a + b for n, (a, b) in zip(spatial, pads)),
                   dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = Num(fill, t)  # padding values are real operands
    out[(slice(None), slice(None), *(slice(a, a + n) for n, (a, _) in zip(spatial, pads)))] = x
    return out


def _per_axis(v, rank: int) -> tuple[int, ...]:
    if isinstance(v, (tuple, list)):
        return tuple(int(x) for x in v)
    return (int(v),) * rank


_TORCH_CONV = {1: "conv1d", 2: "conv2d", 3: "conv3d"}


def _conv(x, weight, bias, stride, padding, dilation, groups, ctx):
    """Direct grouped convolution over any number of spatial axes: every output is a dot
    product over its padded window."""
    t = ctx.t
    n = x.shape[0]
    c_out, cin_g, *kernel = weight.shape
    rank = len(kernel)
    spatial = x.shape[2:]
    pads = [_pad_amounts(size, k, s, d, p)
            for size, k, s, d, p in zip(spatial, kernel, stride, dilation, padding)]
    xp = _padded(x, pads, 0.0, t)
    starts = [window_starts(size + a + b, k, s, 0, d)
              for size, (a, b), k, s, d in zip(spatial, pads, kernel, stride, dilation)]
    out = np.empty((n, c_out, *(len(st) for st in starts)), dtype=object)
    cout_g = c_out // groups
    for b in range(n):
        for co in range(c_out):
            g = co // cout_g
            for pos in itertools.product(*(range(len(st)) for st in starts)):
                origin = [st[i] for st, i in zip(starts, pos)]
                xs, wts = [], []
                for ci in range(cin_g):
                    for taps in itertools.product(*(range(k) for k in kernel)):
                        where = tuple(o + tap * d for o, tap, d in zip(origin, taps, dilation))
                        xs.append(xp[(b, g * cin_g + ci, *where)])
                        wts.append(weight[(co, ci, *taps)])
                v = dot(xs, wts, t)
                if bias is not None:
                    with t.mode("bias"):
                        v = v + bias[co]
                out[(b, co, *pos)] = v

    def ref(torch, xv):
        F = torch.nn.functional
        flat = [amount for pair in reversed(pads) for amount in pair]  # torch: last axis first
        xt = F.pad(torch.from_numpy(xv), flat)
        return getattr(F, _TORCH_CONV[rank])(
            xt, torch.from_numpy(weight), None if bias is None else torch.from_numpy(bias),
            stride=tuple(stride), dilation=tuple(dilation), groups=groups).numpy()
    return out, ref


def _conv_padding(layer, rank: int = 2):
    p = layer.padding
    if isinstance(p, str):
        return (p,) * rank
    return _per_axis(p, rank)


def ex_conv(layer, x, ctx):
    """Conv1d, Conv2d and Conv3d: one grouped convolution of the layer's rank."""
    rank = x.ndim - 2
    g = int(layer.groups)
    kernel = _per_axis(layer.kernel_size, rank)
    w = ctx.normal(int(layer.out_channels), int(layer.in_channels) // g, *kernel)
    b = ctx.normal(int(layer.out_channels)) if layer.bias else None
    return _conv(x, w, b, _per_axis(layer.stride, rank), _conv_padding(layer, rank),
                 _per_axis(layer.dilation, rank), g, ctx)


def ex_depthwise(layer, x, ctx):
    c, m = int(layer.in_channels), int(layer.depth_multiplier)
    kh, kw = _pair(layer.kernel_size)
    w = ctx.normal(c * m, 1, kh, kw)
    b = ctx.normal(c * m) if layer.bias else None
    return _conv(x, w, b, _pair(layer.stride), _conv_padding(layer), _pair(layer.dilation), c,
                 ctx)


def ex_pointwise(layer, x, ctx):
    g = int(layer.groups)
    w = ctx.normal(int(layer.out_channels), int(layer.in_channels) // g, 1, 1)
    b = ctx.normal(int(layer.out_channels)) if layer.bias else None
    return _conv(x, w, b, _pair(layer.stride), (0, 0), (1, 1), g, ctx)


def ex_separable(layer, x, ctx):
    depthwise, pointwise = (part for _, part in layer.parts())
    mid, ref1 = ex_depthwise(depthwise, x, ctx)
    out, ref2 = ex_pointwise(pointwise, mid, ctx)
    return out, lambda torch, xv: ref2(torch, ref1(torch, xv))


def ex_conv_transpose(layer, x, ctx):
    """Scatter: every input value times every weight of its group, added into the output."""
    t = ctx.t
    n, c, h, w = x.shape
    g = int(layer.groups)
    c_out = int(layer.out_channels)
    kh, kw = _pair(layer.kernel_size)
    (sh, sw), (ph, pw) = _pair(layer.stride), _pair(layer.padding)
    (oph, opw), (dh, dw) = _pair(layer.output_padding), _pair(layer.dilation)
    weight = ctx.normal(c, c_out // g, kh, kw)
    bias = ctx.normal(c_out) if layer.bias else None
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (w - 1) * sw + dw * (kw - 1) + 1 + opw
    buf = np.empty((n, c_out, full_h, full_w), dtype=object)
    for idx in np.ndindex(buf.shape):
        buf[idx] = Num(0.0, t)
    cin_g, cout_g = c // g, c_out // g
    with t.mode("scatter"):
        for b in range(n):
            for ci in range(c):
                grp = ci // cin_g
                for y in range(h):
                    for xx in range(w):
                        for j in range(cout_g):
                            for ky in range(kh):
                                for kx in range(kw):
                                    oy, ox = y * sh + ky * dh, xx * sw + kx * dw
                                    co = grp * cout_g + j
                                    buf[b, co, oy, ox] = buf[b, co, oy, ox] + \
                                        x[b, ci, y, xx] * weight[ci, j, ky, kx]
    out = buf[:, :, ph:full_h - ph, pw:full_w - pw].copy()
    if bias is not None:
        with t.mode("bias"):
            for idx in np.ndindex(out.shape):
                out[idx] = out[idx] + bias[idx[1]]

    def ref(torch, xv):
        return torch.nn.functional.conv_transpose2d(
            torch.from_numpy(xv), torch.from_numpy(weight),
            None if bias is None else torch.from_numpy(bias), stride=(sh, sw),
            padding=(ph, pw), output_padding=(oph, opw), groups=g, dilation=(dh, dw)).numpy()
    return out, ref


def ex_linear(layer, x, ctx):
    fin, fout = int(layer.in_features), int(layer.out_features)
    weight = ctx.normal(fout, fin)
    bias = ctx.normal(fout) if layer.bias else None
    out = np.empty(x.shape[:-1] + (fout,), dtype=object)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx]
        for o in range(fout):
            v = dot(list(row), weight[o], ctx.t)
            if bias is not None:
                with ctx.t.mode("bias"):
                    v = v + bias[o]
            out[idx + (o,)] = v

    def ref(torch, xv):
        return torch.nn.functional.linear(torch.from_numpy(xv), torch.from_numpy(weight),
                                          None if bias is None else torch.from_numpy(bias)
                                          ).numpy()
    return out, ref


_TORCH_POOL = {("max", 1): "max_pool1d", ("max", 2): "max_pool2d", ("max", 3): "max_pool3d",
               ("avg", 1): "avg_pool1d", ("avg", 2): "avg_pool2d", ("avg", 3): "avg_pool3d"}


def _pool(layer, x, ctx, reduce):
    """Windowed pooling over any number of spatial axes."""
    t = ctx.t
    n, c, *spatial = x.shape
    rank = len(spatial)
    kernel = _per_axis(layer.kernel_size, rank)
    stride = _per_axis(layer.kernel_size if layer.stride is None else layer.stride, rank)
    pad = _per_axis(layer.padding, rank)
    dil = _per_axis(getattr(layer, "dilation", 1), rank)
    starts = [window_starts(size, k, s, p, d, layer.ceil_mode)
              for size, k, s, p, d in zip(spatial, kernel, stride, pad, dil)]
    # pad, and extend for ceil-mode overhang, so that every window holds all its values
    need = [max(st[-1] + d * (k - 1) + 1 - (size + 2 * p), 0)
            for st, d, k, size, p in zip(starts, dil, kernel, spatial, pad)]
    fill = -math.inf if reduce == "max" else 0.0
    xp = _padded(x, [(p, p + e) for p, e in zip(pad, need)], fill, t)
    out = np.empty((n, c, *(len(st) for st in starts)), dtype=object)
    for b in range(n):
        for ch in range(c):
            for pos in itertools.product(*(range(len(st)) for st in starts)):
                origin = [st[i] for st, i in zip(starts, pos)]
                taps = [xp[(b, ch, *(o + tap * d for o, tap, d in zip(origin, offs, dil)))]
                        for offs in itertools.product(*(range(k) for k in kernel))]
                if reduce == "max":
                    v = taps[0]
                    for tap in taps[1:]:
                        v = maximum(v, tap)
                else:
                    # torch's divisor (count_include_pad): the window clipped to the
                    # padded input
                    divisor = 1
                    for o, k, size, p in zip(origin, kernel, spatial, pad):
                        divisor *= min(o + k, size + 2 * p) - o
                    v = total(taps) / divisor
                out[(b, ch, *pos)] = v

    def ref(torch, xv):
        fn = getattr(torch.nn.functional, _TORCH_POOL[reduce, rank])
        xt = torch.from_numpy(xv)
        if reduce == "max":
            return fn(xt, kernel, stride, pad, dil, ceil_mode=layer.ceil_mode).numpy()
        return fn(xt, kernel, stride, pad, ceil_mode=layer.ceil_mode,
                  count_include_pad=True).numpy()
    return out, ref


def ex_max_pool(layer, x, ctx):
    return _pool(layer, x, ctx, "max")


def ex_avg_pool(layer, x, ctx):
    return _pool(layer, x, ctx, "avg")


def _global(x, reduce):
    n, c, _h, _w = x.shape
    out = np.empty((n, c, 1, 1), dtype=object)
    for b in range(n):
        for ch in range(c):
            vals = list(x[b, ch].ravel())
            if reduce == "max":
                v = vals[0]
                for other in vals[1:]:
                    v = maximum(v, other)
            else:
                v = total(vals) / len(vals)
            out[b, ch, 0, 0] = v
    return out


def ex_global_avg(layer, x, ctx):
    return _global(x, "avg"), lambda torch, xv: xv.mean(axis=(2, 3), keepdims=True)


def ex_global_max(layer, x, ctx):
    return _global(x, "max"), lambda torch, xv: xv.max(axis=(2, 3), keepdims=True)


def ex_adaptive_avg(layer, x, ctx):
    """Adaptive average pooling over any number of spatial axes (torch's windows)."""
    n, c, *spatial = x.shape
    cells = _per_axis(layer.output_size, len(spatial))
    rows = [adaptive_window_rows(size, m) for size, m in zip(spatial, cells)]
    out = np.empty((n, c, *cells), dtype=object)
    for b in range(n):
        for ch in range(c):
            for pos in itertools.product(*(range(m) for m in cells)):
                taps = [x[(b, ch, *where)]
                        for where in itertools.product(*(r[i] for r, i in zip(rows, pos)))]
                out[(b, ch, *pos)] = total(taps) / len(taps)

    def ref(torch, xv):
        fn = getattr(torch.nn.functional, f"adaptive_avg_pool{len(spatial)}d")
        return fn(torch.from_numpy(xv), cells).numpy()
    return out, ref


def _elementwise(fn, ref_fn):
    def execute(layer, x, ctx):
        out = np.empty(x.shape, dtype=object)
        for idx in np.ndindex(x.shape):
            out[idx] = fn(layer, x[idx], idx)
        return out, (lambda torch, xv: ref_fn(layer, torch, torch.from_numpy(xv)).numpy())
    return execute


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _sigmoid(x):
    return 1 / (1 + exp(-x))


def _tanh(x):
    return 1 - 2 / (exp(2 * x) + 1)


def _hardsigmoid(x):
    return minimum(maximum(x + 3, 0.0), 6.0) * (1 / 6)


def _gelu(layer, x, idx):
    if layer.approximate == "tanh":
        return 0.5 * x * (1 + _tanh(SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))))
    return x * (1 + erf(x * (1 / math.sqrt(2)))) * 0.5


def _prelu_weights(layer, x, ctx):
    k = int(layer.num_parameters)
    return ctx.rng.uniform(0.05, 0.5, size=k)


def ex_prelu(layer, x, ctx):
    a = _prelu_weights(layer, x, ctx)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        slope = a[idx[1]] if len(a) > 1 else a[0]
        out[idx] = where_positive(x[idx], slope * x[idx])

    def ref(torch, xv):
        return torch.nn.functional.prelu(torch.from_numpy(xv), torch.from_numpy(a)).numpy()
    return out, ref


def _torch_act(name):
    return lambda layer, torch, xt: getattr(torch.nn.functional, name)(xt)


ACTIVATIONS = {
    "relu": _elementwise(lambda l, x, i: maximum(x, 0.0), _torch_act("relu")),
    "relu6": _elementwise(lambda l, x, i: minimum(maximum(x, 0.0), 6.0), _torch_act("relu6")),
    "leaky_relu": _elementwise(
        lambda l, x, i: where_positive(x, l.negative_slope * x),
        lambda l, torch, xt: torch.nn.functional.leaky_relu(xt, l.negative_slope)),
    "elu": _elementwise(lambda l, x, i: where_positive(x, 1.0 * (exp(x) - 1)),
                        _torch_act("elu")),
    "sigmoid": _elementwise(lambda l, x, i: _sigmoid(x), lambda l, torch, xt: torch.sigmoid(xt)),
    "tanh": _elementwise(lambda l, x, i: _tanh(x), lambda l, torch, xt: torch.tanh(xt)),
    "silu": _elementwise(lambda l, x, i: x * _sigmoid(x), _torch_act("silu")),
    "hardsigmoid": _elementwise(lambda l, x, i: _hardsigmoid(x), _torch_act("hardsigmoid")),
    "hardswish": _elementwise(lambda l, x, i: x * _hardsigmoid(x), _torch_act("hardswish")),
    "gelu": _elementwise(_gelu, lambda l, torch, xt: torch.nn.functional.gelu(
        xt, approximate=l.approximate)),
}


def ex_softmax(layer, x, ctx):
    axis = layer.dim if layer.dim >= 0 else x.ndim + layer.dim
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape, dtype=object)
    for idx in np.ndindex(moved.shape[:-1]):
        e = [exp(v) for v in moved[idx]]
        s = total(e)
        out[idx] = np.array([v / s for v in e], dtype=object)
    return np.moveaxis(out, -1, axis), (
        lambda torch, xv: torch.softmax(torch.from_numpy(xv), dim=layer.dim).numpy())


def ex_batchnorm(layer, x, ctx):
    c = x.shape[1]
    gamma = ctx.normal(c) if layer.affine else np.ones(c)
    beta = ctx.normal(c) if layer.affine else np.zeros(c)
    mean, var, eps = ctx.normal(c), ctx.rng.uniform(0.5, 2.0, c), 1e-5
    scale = gamma / np.sqrt(var + eps)  # computed once from frozen statistics: not counted
    shift = beta - mean * scale
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        out[idx] = x[idx] * scale[idx[1]] + shift[idx[1]]

    def ref(torch, xv):
        t = torch.from_numpy
        return torch.nn.functional.batch_norm(
            t(xv), t(mean), t(var), t(gamma) if layer.affine else None,
            t(beta) if layer.affine else None, training=False, eps=eps).numpy()
    return out, ref


def _normalise(row, weight, bias, eps=1e-5):
    n = len(row)
    mean = total(row) / n
    d = [v - mean for v in row]
    var = total(v * v for v in d) / n
    r = 1 / sqrt(var + eps)
    y = [v * r for v in d]
    if weight is not None:
        y = [v * wt for v, wt in zip(y, weight)]
    if bias is not None:
        y = [v + bt for v, bt in zip(y, bias)]
    return y


def _ln_params(layer, n, ctx):
    affine = layer.elementwise_affine
    weight = ctx.normal(n) if affine else None
    bias = ctx.normal(n) if affine and layer.bias else None
    return weight, bias


def ex_layer_norm(layer, x, ctx):
    n = x.shape[-1]
    weight, bias = _ln_params(layer, n, ctx)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape[:-1]):
        out[idx] = np.array(_normalise(list(x[idx]), weight, bias), dtype=object)

    def ref(torch, xv):
        t = torch.from_numpy
        return torch.nn.functional.layer_norm(t(xv), (n,), None if weight is None else t(weight),
                                              None if bias is None else t(bias)).numpy()
    return out, ref


def ex_layer_norm2d(layer, x, ctx):
    moved = np.moveaxis(x, 1, -1)
    out, ref = ex_layer_norm(layer, moved, ctx)
    return np.moveaxis(out, -1, 1), (
        lambda torch, xv: np.moveaxis(ref(torch, np.ascontiguousarray(np.moveaxis(xv, 1, -1))),
                                      -1, 1))


def ex_layer_scale(layer, x, ctx):
    g = ctx.normal(x.shape[1])
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        out[idx] = x[idx] * g[idx[1]]
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return out, lambda torch, xv: xv * g.reshape(shape)


def _same(fn):
    """Data movement: the numpy operation, and the same by torch."""
    def execute(layer, x, ctx):
        return fn(layer, x), (lambda torch, xv: fn(layer, xv))
    return execute


def _shuffle(layer, x):
    g = int(layer.groups)
    n, c = x.shape[:2]
    return x.reshape((n, g, c // g) + x.shape[2:]).swapaxes(1, 2).reshape(x.shape)


def _chunk(layer, x):
    size = x.shape[1] // int(layer.chunks)
    return x[:, layer.index * size:(layer.index + 1) * size]


def ex_channel_shuffle(layer, x, ctx):
    def ref(torch, xv):
        return torch.nn.ChannelShuffle(int(layer.groups))(torch.from_numpy(xv)).numpy() \
            if xv.ndim == 4 else _shuffle(layer, xv)
    return _shuffle(layer, x), ref


def ex_channel_chunk(layer, x, ctx):
    def ref(torch, xv):
        return torch.from_numpy(xv).chunk(int(layer.chunks), dim=1)[layer.index].numpy()
    return _chunk(layer, x), ref


def ex_permute(layer, x, ctx):
    return x.transpose(layer.dims), (
        lambda torch, xv: torch.from_numpy(xv).permute(*layer.dims).numpy())


def _source_index(dst: int, size_in: int, size_out: int, scale: float | None):
    s = (size_in / size_out) if scale is None else 1.0 / scale
    src = max((dst + 0.5) * s - 0.5, 0.0)
    i0 = min(math.floor(src), size_in - 1)
    i1 = min(i0 + 1, size_in - 1)
    return i0, i1, src - i0


def ex_upsample(layer, x, ctx):
    n, c, h, w = x.shape
    if layer.size is not None:
        oh, ow = _pair(layer.size)
        scales = (None, None)
    else:
        fh, fw = _pair(layer.scale_factor)
        oh, ow = h * fh, w * fw
        scales = (fh, fw)
    out = np.empty((n, c, oh, ow), dtype=object)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    if layer.mode == "nearest":
                        si = min(math.floor(i * (h / oh)), h - 1)
                        sj = min(math.floor(j * (w / ow)), w - 1)
                        out[b, ch, i, j] = x[b, ch, si, sj]
                        continue
                    y0, y1, ly = _source_index(i, h, oh, scales[0])
                    x0, x1, lx = _source_index(j, w, ow, scales[1])
                    # four weighted neighbours with precomputed weights: 4 mul, 3 add
                    out[b, ch, i, j] = ((1 - ly) * (1 - lx)) * x[b, ch, y0, x0] + \
                        ((1 - ly) * lx) * x[b, ch, y0, x1] + \
                        (ly * (1 - lx)) * x[b, ch, y1, x0] + (ly * lx) * x[b, ch, y1, x1]

    def ref(torch, xv):
        F = torch.nn.functional
        kw = dict(mode=layer.mode)
        if layer.mode == "bilinear":
            kw["align_corners"] = False
        if layer.size is not None:
            return F.interpolate(torch.from_numpy(xv), size=(oh, ow), **kw).numpy()
        return F.interpolate(torch.from_numpy(xv), scale_factor=scales, **kw).numpy()
    return out, ref


def ex_custom(layer, x, ctx):
    """The operation a drawn Custom layer declares (symcost.strategies.CUSTOM_OPERATIONS)."""
    if layer.label == "square":
        out = np.empty(x.shape, dtype=object)
        for idx in np.ndindex(x.shape):
            out[idx] = x[idx] * x[idx]
        return out, lambda torch, xv: xv * xv
    if layer.label == "affine":
        out = np.empty(x.shape, dtype=object)
        for idx in np.ndindex(x.shape):
            out[idx] = x[idx] * 2.0 + 1.0
        return out, lambda torch, xv: xv * 2.0 + 1.0
    if layer.label == "channel_sum":
        out = np.empty((x.shape[0], 1) + x.shape[2:], dtype=object)
        for idx in np.ndindex(out.shape):
            b, _, *rest = idx
            out[idx] = total(x[(b, ch, *rest)] for ch in range(x.shape[1]))
        return out, lambda torch, xv: xv.sum(axis=1, keepdims=True)
    raise NotImplementedError(f"no executor for custom layer {layer.label!r}")


def _identity(layer, x, ctx):
    return x, lambda torch, xv: xv


def ex_flatten(layer, x, ctx):
    start, end = layer.start_dim % x.ndim, layer.end_dim % x.ndim
    shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
    return x.reshape(shape), lambda torch, xv: torch.flatten(
        torch.from_numpy(xv), layer.start_dim, layer.end_dim).numpy()


def ex_reshape(layer, x, ctx):
    """A view to the layer's sizes (a drawn Reshape gives numbers and at most one -1)."""
    sizes = []
    for value in layer.axes.values():
        if value is None:
            sizes.append(-1)
        elif value.is_Integer:
            sizes.append(int(value))
        else:
            raise NotImplementedError(f"the executor reshapes to numeric sizes, not {value}")
    return x.reshape(sizes), lambda torch, xv: torch.from_numpy(xv).reshape(sizes).numpy()


def _side(text: str) -> list[list[str]]:
    """``"a (b c) d"`` as [["a"], ["b", "c"], ["d"]]."""
    out, group = [], None
    for token in text.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            group = []
        elif token == ")":
            out.append(group)
            group = None
        elif group is not None:
            group.append(token)
        else:
            out.append([token])
    return out


def ex_rearrange(layer, x, ctx):
    """einops' rearrange written out with numpy: split the grouped input axes, transpose
    to the output's order of names, merge the output groups; einops itself (when
    installed) is the reference."""
    left, right = (_side(t) for t in layer.pattern.split("->"))
    known = {k: int(v) for k, v in layer.sizes.items()}
    for group, size in zip(left, x.shape):
        missing = [a for a in group if a not in known]
        rest = math.prod(known[a] for a in group if a in known)
        for a in missing:
            known[a] = size // rest
    names = [a for group in left for a in group]
    split = x.reshape([known[a] for a in names])
    order = [a for group in right for a in group]
    moved = split.transpose([names.index(a) for a in order])
    out = moved.reshape([math.prod(known[a] for a in group) for group in right])
    sizes = {k: int(v) for k, v in layer.sizes.items()}

    def ref(torch, xv):
        try:
            import einops
        except ImportError:  # the same numpy moves on plain values
            return xv.reshape(split.shape).transpose(
                [names.index(a) for a in order]).reshape(out.shape)
        return einops.rearrange(torch.from_numpy(xv), layer.pattern, **sizes).numpy()
    return out, ref


# ------------------------------------------------------ sequences, attention, experts


def _ids(values: np.ndarray, vocabulary: int) -> np.ndarray:
    """Token ids read from (float) input values, the same for the executor and torch."""
    return (np.floor(np.abs(values) * 7).astype(np.int64)) % vocabulary


def ex_embedding(layer, x, ctx):
    """A lookup: each id selects a row of the table; copies, no arithmetic."""
    V, d = int(layer.num_embeddings), int(layer.embedding_dim)
    table = ctx.normal(V, d)
    ids = _ids(values_of(x), V)
    out = np.empty(x.shape + (d,), dtype=object)
    for idx in np.ndindex(x.shape):
        for j in range(d):
            out[idx + (j,)] = Num(table[ids[idx], j], ctx.t)

    def ref(torch, xv):
        return torch.nn.functional.embedding(torch.from_numpy(_ids(xv, V)),
                                             torch.from_numpy(table)).numpy()
    return out, ref


def ex_positional_embedding(layer, x, ctx):
    """Row t of the table added to position t (axis -2)."""
    table = ctx.normal(int(layer.num_positions), int(layer.embedding_dim))
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        out[idx] = x[idx] + table[idx[-2], idx[-1]]
    T = x.shape[-2]

    def ref(torch, xv):
        rows = torch.nn.functional.embedding(torch.arange(T), torch.from_numpy(table))
        return (torch.from_numpy(xv) + rows).numpy()
    return out, ref


ROPE_BASE = 10000.0


def rotate(x: np.ndarray, rot: int, offset: int = 0) -> np.ndarray:
    """RoPE on counted values (LLaMA's half split: feature i pairs with i + rot/2) at
    positions offset + index along axis -2: a·cos − b·sin, a·sin + b·cos."""
    half = rot // 2
    out = x.copy()
    for idx in np.ndindex(x.shape[:-1]):
        t = idx[-1] + offset
        for i in range(half):
            theta = t * ROPE_BASE ** (-2 * i / rot)
            c, s = math.cos(theta), math.sin(theta)
            a, b = x[idx + (i,)], x[idx + (i + half,)]
            out[idx + (i,)] = a * c - b * s
            out[idx + (i + half,)] = a * s + b * c
    return out


def rotate_reference(xv: np.ndarray, rot: int, offset: int = 0) -> np.ndarray:
    """The same by Hugging Face's formula: x·cos + rotate_half(x)·sin on the first ``rot``
    features, frequency tables concatenated twice."""
    T = xv.shape[-2]
    inv = 1.0 / ROPE_BASE ** (np.arange(0, rot, 2) / rot)
    freqs = np.outer(np.arange(offset, offset + T), inv)
    emb = np.concatenate([freqs, freqs], axis=-1)
    xr = xv[..., :rot]
    x1, x2 = xr[..., :rot // 2], xr[..., rot // 2:]
    turned = np.concatenate([-x2, x1], axis=-1)
    return np.concatenate([xr * np.cos(emb) + turned * np.sin(emb), xv[..., rot:]], axis=-1)


def ex_rotary(layer, x, ctx):
    rot = int(layer.rotary_dim if layer.rotary_dim is not None else layer.dim)
    return rotate(x, rot), lambda torch, xv: rotate_reference(xv, rot)


def ex_rms_norm(layer, x, ctx):
    """x / √(mean(x²) + ε) · w per row of the last axis."""
    n, eps = x.shape[-1], 1e-6
    weight = ctx.normal(n) if layer.elementwise_affine else None
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape[:-1]):
        row = list(x[idx])
        r = 1 / sqrt(total(v * v for v in row) / n + eps)
        y = [v * r for v in row]
        if weight is not None:
            y = [v * w for v, w in zip(y, weight)]
        out[idx] = np.array(y, dtype=object)

    def ref(torch, xv):
        return torch.nn.functional.rms_norm(
            torch.from_numpy(xv), (n,), None if weight is None else torch.from_numpy(weight),
            eps=eps).numpy()
    return out, ref


def _chain_refs(refs):
    def chain(torch, xv):
        for ref in refs:
            xv = ref(torch, xv)
        return xv
    return chain


def ex_mlp(layer, x, ctx):
    refs = []
    for _, part in layer.parts():
        x, ref = execute(part, x, ctx)
        refs.append(ref)
    return x, _chain_refs(refs)


def ex_gated_mlp(layer, x, ctx):
    """down(act(gate(x)) · up(x))."""
    parts = dict(layer.parts())
    gate, rg = execute(parts["gate_proj"], x, ctx)
    up, ru = execute(parts["up_proj"], x, ctx)
    act, ra = execute(parts["act"], gate, ctx)
    out, rd = execute(parts["down_proj"], act * up, ctx)
    return out, lambda torch, xv: rd(torch, ra(torch, rg(torch, xv)) * ru(torch, xv))


def top_k(scores: list, k: int) -> list[int]:
    """k passes of a max over all E scores, the chosen ones masked: k·(E − 1) compares;
    ties go to the lower index."""
    masked = list(scores)
    chosen = []
    for _ in range(k):
        best = 0
        for e in range(1, len(masked)):
            if masked[e] > masked[best]:
                best = e
        chosen.append(best)
        masked[best] = Num(-math.inf, scores[0].t)
    return chosen


def ex_moe(layer, x, ctx):
    """Route every token (a row of the last axis) with a seeded bias-free router: softmax
    over E, top-k, renormalise; each expert (its own parameters) runs on the rows routed
    to it; outputs combined with the routing weights, plus the shared experts."""
    t = ctx.t
    E, k, shared = int(layer.num_experts), int(layer.top_k), int(layer.shared_experts)
    d = x.shape[-1]
    rows = x.reshape(-1, d)
    router = ctx.normal(E, d)
    routes, weights = [], []
    for row in rows:
        logits = [dot(list(row), router[e], t) for e in range(E)]
        e_ = [exp(v) for v in logits]
        z = total(e_)
        p = [v / z for v in e_]
        chosen = top_k(p, k)
        w = [p[c] for c in chosen]
        if layer.normalize:
            norm = total(w)
            w = [v / norm for v in w]
        routes.append(chosen)
        weights.append(w)
    ctx.routes.append([tuple(r) for r in routes])
    outputs: list[list] = [[None] * k for _ in range(len(rows))]
    expert_refs = []
    for e in range(E):
        slots = [(i, j) for i, r in enumerate(routes) for j, c in enumerate(r) if c == e]
        batch = np.empty((len(slots), d), dtype=object)
        for n, (i, _) in enumerate(slots):
            batch[n] = rows[i]
        y, ref = execute(layer.expert, batch, ctx)
        for n, (i, j) in enumerate(slots):
            outputs[i][j] = y[n]
        expert_refs.append(ref)
    shared_runs = [execute(layer.expert, rows, ctx) for _ in range(shared)]
    out = np.empty(rows.shape, dtype=object)
    for i in range(len(rows)):
        for f in range(d):
            acc = weights[i][0] * outputs[i][0][f]
            for j in range(1, k):
                acc = acc + weights[i][j] * outputs[i][j][f]
            for y, _ in shared_runs:
                acc = acc + y[i, f]
            out[i, f] = acc

    def ref(torch, xv):
        rv = xv.reshape(-1, d)
        logits = torch.from_numpy(rv) @ torch.from_numpy(router).T
        p = torch.softmax(logits, dim=-1).numpy()
        result = np.zeros_like(rv)
        for i, prow in enumerate(p):
            chosen = np.argsort(-prow, kind="stable")[:k]
            w = prow[chosen] / (prow[chosen].sum() if layer.normalize else 1.0)
            for c, wc in zip(chosen, w):
                result[i] += wc * expert_refs[c](torch, rv[i:i + 1])[0]
        for _, sref in shared_runs:
            result += sref(torch, rv)
        return result.reshape(xv.shape)
    return out.reshape(x.shape), ref


def kept_keys(mask, i: int, S: int) -> range:
    """The keys query i attends to, from the mask's definition (module docstring of
    symcost.layers.attention): every key, the ones up to itself, P cached ones more, the
    last W up to itself, or its own chunk up to itself."""
    if mask == "none":
        return range(S)
    if mask == "causal":
        return range(i + 1)
    kind, size = mask[0], int(mask[1])
    if kind == "prefix":
        return range(size + i + 1)
    if kind == "sliding":
        return range(max(0, i - size + 1), i + 1)
    return range(i - i % size, i + 1)  # chunked


def mask_matrix(mask, T: int, S: int) -> np.ndarray:
    """The boolean (T, S) mask torch takes (True: scored), by whole-array comparisons."""
    i, j = np.arange(T)[:, None], np.arange(S)[None, :]
    if mask == "none":
        return np.ones((T, S), dtype=bool)
    if mask == "causal":
        return j <= i
    kind, size = mask[0], int(mask[1])
    if kind == "prefix":
        return j <= i + size
    if kind == "sliding":
        return (j <= i) & (j > i - size)
    return (j <= i) & (j // size == i // size)


def attend(q, k, v, mask, scale: bool, t: Tally, bias=None):
    """softmax(scale·q·kᵀ [+ bias])·v over the kept pairs only. q (…, H, T, Dh), k (…, G,
    S, Dh), v (…, G, S, Dv); query head h reads key/value head h // (H/G)."""
    H, T, Dh = q.shape[-3:]
    G, S = k.shape[-3:-1]
    Dv = v.shape[-1]
    factor = 1 / math.sqrt(Dh)
    out = np.empty(q.shape[:-1] + (Dv,), dtype=object)
    for b in np.ndindex(q.shape[:-3]):
        for h in range(H):
            g = h // (H // G)
            for i in range(T):
                keys = kept_keys(mask, i, S)
                scores = []
                for j in keys:
                    s = dot(list(q[b + (h, i)]), list(k[b + (g, j)]), t)
                    if scale:
                        s = s * factor
                    if bias is not None:
                        s = s + bias[h, i, j]
                    scores.append(s)
                e = [exp(s) for s in scores]
                z = total(e)
                p = [v_ / z for v_ in e]
                for f in range(Dv):
                    out[b + (h, i, f)] = dot(p, [v[b + (g, j, f)] for j in keys], t)
    return out


def attend_reference(torch, q, k, v, mask, scale: bool, bias=None):
    """torch.nn.functional.scaled_dot_product_attention with the mask as a (T, S) matrix."""
    T, S = q.shape[-2], k.shape[-2]
    keep = mask_matrix(mask, T, S)
    attn_mask = torch.from_numpy(keep)
    if bias is not None:
        attn_mask = torch.from_numpy(np.where(keep, bias, -np.inf))
    return torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(np.ascontiguousarray(q)), torch.from_numpy(np.ascontiguousarray(k)),
        torch.from_numpy(np.ascontiguousarray(v)), attn_mask=attn_mask,
        scale=None if scale else 1.0, enable_gqa=q.shape[-3] != k.shape[-3]).numpy()


def _heads(x: np.ndarray, heads: int) -> np.ndarray:
    """(…, T, heads·Dh) → (…, heads, T, Dh)."""
    return np.moveaxis(x.reshape(x.shape[:-1] + (heads, x.shape[-1] // heads)), -2, -3)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    """(…, heads, T, Dh) → (…, T, heads·Dh)."""
    moved = np.moveaxis(x, -3, -2)
    return moved.reshape(moved.shape[:-2] + (-1,))


def ex_multihead_attention(layer, x, ctx):
    """q, k, v projections, rotary on q and k (positions after the cached ones), the
    core over the kept pairs (cached keys and values of a prefix drawn as given values),
    the output projection."""
    H, G, Dh = (int(v) for v in layer._sizes())
    parts = dict(layer.parts())
    lead, T = x.shape[:-2], x.shape[-2]
    mask = layer.mask
    P = int(mask[1]) if isinstance(mask, tuple) and mask[0] == "prefix" else 0
    kdim = int(layer.kdim if layer.kdim is not None else layer.embed_dim)
    source_v = None
    if layer.kv_length is not None:  # cross-attention: another sequence, given
        source_v = ctx.normal(*lead, int(layer.kv_length), kdim)
        source = num_array(source_v, ctx.t)
    else:
        source = x
    q, rq = ex_linear(parts["q_proj"], x, ctx)
    k, rk = ex_linear(parts["k_proj"], source, ctx)
    v, rv = ex_linear(parts["v_proj"], source, ctx)
    q, k, v = _heads(q, H), _heads(k, G), _heads(v, G)
    if layer.rotary:
        q, k = rotate(q, Dh, P), rotate(k, Dh, P)
    cache_k = ctx.normal(*lead, G, P, Dh)
    cache_v = ctx.normal(*lead, G, P, Dh)
    if P:
        k = np.concatenate([num_array(cache_k, ctx.t), k], axis=-2)
        v = np.concatenate([num_array(cache_v, ctx.t), v], axis=-2)
    S = k.shape[-2]
    bias = ctx.normal(H, T, S) if layer.position_bias else None
    core = attend(q, k, v, mask, layer.scale, ctx.t, bias)
    out, ro = ex_linear(parts["out_proj"], _merge_heads(core), ctx)

    def ref(torch, xv):
        src = xv if source_v is None else source_v
        qv, kv, vv = _heads(rq(torch, xv), H), _heads(rk(torch, src), G), _heads(rv(torch, src), G)
        if layer.rotary:
            qv, kv = rotate_reference(qv, Dh, P), rotate_reference(kv, Dh, P)
        kv = np.concatenate([cache_k, kv], axis=-2)
        vv = np.concatenate([cache_v, vv], axis=-2)
        core_v = attend_reference(torch, qv, kv, vv, mask, layer.scale, bias)
        return ro(torch, _merge_heads(core_v))
    return out, ref


# ------------------------------------------------------------------------ the merges


def ex_add(xs, ctx, merge=None):
    out = xs[0]
    for other in xs[1:]:
        out = out + other  # numpy broadcasts; every element addition goes through Num
    return out


def ex_mul(xs, ctx, merge=None):
    out = xs[0]
    for other in xs[1:]:
        out = out * other
    return out


def ex_concat(xs, ctx, merge=None):
    return np.concatenate(xs, axis=1)


def ex_matmul(xs, ctx, merge=None):
    a, b = xs
    if a.ndim == 2:
        out = np.empty((a.shape[0], b.shape[1]), dtype=object)
        for i in range(a.shape[0]):
            for j in range(b.shape[1]):
                out[i, j] = _dot_nums(list(a[i]), list(b[:, j]), ctx.t)
        return out
    batch = np.broadcast_shapes(a.shape[:2], b.shape[:2])
    a = np.broadcast_to(a, batch + a.shape[2:])
    b = np.broadcast_to(b, batch + b.shape[2:])
    out = np.empty(batch + (a.shape[2], b.shape[3]), dtype=object)
    for n, c in np.ndindex(batch):
        for i in range(a.shape[2]):
            for j in range(b.shape[3]):
                out[n, c, i, j] = _dot_nums(list(a[n, c, i]), list(b[n, c, :, j]), ctx.t)
    return out


def _dot_nums(xs, ys, t):
    """A dot product of two counted vectors: one multiply per pair (counted as mac)."""
    return dot(xs, ys, t)


def ex_sdpa(xs, ctx, merge):
    """F.scaled_dot_product_attention(q, k, v) over the pairs ``merge.mask`` keeps."""
    q, k, v = xs
    return attend(q, k, v, merge.mask, merge.scale, ctx.t)


MERGES = {"add": ex_add, "mul": ex_mul, "concat": ex_concat, "matmul": ex_matmul,
          "sdpa": ex_sdpa}


def merge_ref(merge, values, torch=None):
    """The merge on plain values (``merge`` a spec or a kind name); attention by torch."""
    kind = getattr(merge, "kind", merge)
    if kind == "sdpa":  # torch is the reference; without it, nothing to compare
        return None if torch is None else attend_reference(torch, *values, merge.mask,
                                                           merge.scale)
    if kind == "add":
        return sum(values[1:], values[0])
    if kind == "mul":
        out = values[0]
        for v in values[1:]:
            out = out * v
        return out
    if kind == "concat":
        return np.concatenate(values, axis=1)
    return np.matmul(values[0], values[1])


#: The executor of every leaf layer kind.
LAYERS: dict[str, Callable] = {
    "conv1d": ex_conv, "conv2d": ex_conv, "conv3d": ex_conv,
    "depthwise_conv2d": ex_depthwise, "pointwise_conv2d": ex_pointwise,
    "separable_conv2d": ex_separable, "conv_transpose2d": ex_conv_transpose,
    "linear": ex_linear, **{f"max_pool{r}d": ex_max_pool for r in (1, 2, 3)},
    **{f"avg_pool{r}d": ex_avg_pool for r in (1, 2, 3)},
    "adaptive_avg_pool1d": ex_adaptive_avg,
    "global_avg_pool2d": ex_global_avg, "global_max_pool2d": ex_global_max,
    "adaptive_avg_pool2d": ex_adaptive_avg, "prelu": ex_prelu, "softmax": ex_softmax,
    "batchnorm2d": ex_batchnorm, "layer_norm": ex_layer_norm, "layer_norm2d": ex_layer_norm2d,
    "layer_scale": ex_layer_scale, "flatten": ex_flatten, "identity": _identity,
    "dropout": _identity, "stochastic_depth": _identity,
    "channel_shuffle": ex_channel_shuffle, "channel_chunk": ex_channel_chunk,
    "permute": ex_permute, "reshape": ex_reshape, "rearrange": ex_rearrange,
    "upsample": ex_upsample, "custom": ex_custom, **ACTIVATIONS,
    "embedding": ex_embedding, "positional_embedding": ex_positional_embedding,
    "rotary_embedding": ex_rotary, "rms_norm": ex_rms_norm, "mlp": ex_mlp,
    "gated_mlp": ex_gated_mlp, "moe": ex_moe, "multihead_attention": ex_multihead_attention,
}

#: Every kind with an executor: leaf layers and merges.
ORACLES: set[str] = set(LAYERS) | set(MERGES)


# ------------------------------------------------------------------ networks and runs


def execute(spec, x: np.ndarray, ctx: Context):
    """Run ``spec`` (a layer or any container) on the counted array ``x``.

    Returns (output, reference): ``reference(torch, input values)`` recomputes the output
    from plain float inputs with torch (the same random parameters)."""
    from symcost.containers import Graph, Parallel, Repeat, Residual, Sequential

    if isinstance(spec, (Sequential, Repeat)):  # a Repeat is its body n times in a chain
        refs = []
        for layer in (spec.layers if isinstance(spec, Sequential) else
                      [spec.body] * int(spec.n)):
            x, ref = execute(layer, x, ctx)
            refs.append(ref)

        def chain(torch, xv):
            for ref in refs:
                xv = ref(torch, xv)
            return xv
        return x, chain
    if isinstance(spec, Residual):
        body, rb = execute(spec.body, x, ctx)
        other, ro = execute(spec.shortcut, x, ctx) if spec.shortcut is not None else \
            (x, lambda torch, xv: xv)
        out = MERGES[spec.merge.kind]([body, other], ctx, spec.merge)
        return out, lambda torch, xv: merge_ref(spec.merge, [rb(torch, xv), ro(torch, xv)],
                                                torch)
    if isinstance(spec, Parallel):
        runs = [execute(b, x, ctx) for b in spec.branches]
        out = MERGES[spec.merge.kind]([r[0] for r in runs], ctx, spec.merge)
        return out, lambda torch, xv: merge_ref(spec.merge, [r[1](torch, xv) for r in runs],
                                                torch)
    if isinstance(spec, Graph):
        values, refs = {"input": x}, {}
        for gn in spec.nodes:
            inputs = [values[i] for i in gn.inputs]
            if gn.op.kind in MERGES:
                values[gn.name] = MERGES[gn.op.kind](inputs, ctx, gn.op)
                refs[gn.name] = ("merge", gn.op, gn.inputs)
            else:
                values[gn.name], ref = execute(gn.op, inputs[0], ctx)
                refs[gn.name] = ("layer", ref, gn.inputs)
        output = spec.output or spec.nodes[-1].name

        def graph_ref(torch, xv):
            got = {"input": xv}
            for gn in spec.nodes:
                what, fn, inputs = refs[gn.name]
                args = [got[i] for i in inputs]
                got[gn.name] = (merge_ref(fn, args, torch) if what == "merge"
                                else fn(torch, args[0]))
            return got[output]
        return values[output], graph_ref
    return LAYERS[spec.kind](spec, x, ctx)


def random_input(shape, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(counted array, plain values) of the symcost ``shape``."""
    dims = tuple(int(v) for v in shape.axes().values())
    values = ctx.rng.normal(size=dims)
    return num_array(values, ctx.t), values


def run(spec, shape, *, seed: int = 0, torch=None):
    """Execute ``spec`` on a random input of ``shape``.

    Returns (output values, census-style counts, torch's output or None)."""
    ctx = Context(np.random.default_rng(seed), torch)
    x, xv = random_input(shape, ctx)
    ctx.t.counts.clear()  # creating inputs counts nothing, but be explicit
    out, ref = execute(spec, x, ctx)
    counts = ctx.t.census()
    expected = ref(torch, xv) if torch is not None else None
    return values_of(np.asarray(out)), counts, expected


def run_merge(merge, shapes, *, seed: int = 0, torch=None):
    """Execute a merge (a spec or a kind name) on random inputs; returns (output values,
    counts, the reference output: numpy's, torch's for attention)."""
    kind = getattr(merge, "kind", merge)
    ctx = Context(np.random.default_rng(seed))
    pairs = [random_input(s, ctx) for s in shapes]
    ctx.t.counts.clear()
    out = MERGES[kind]([p[0] for p in pairs], ctx, merge)
    return values_of(np.asarray(out)), ctx.t.census(), merge_ref(
        merge, [p[1] for p in pairs], torch)
