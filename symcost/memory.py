"""Memory of training and inference, in bytes per device, derived from the census.

``net.memory(x, ...)`` (:func:`memory`) adds up four things:

* **weights, gradients, optimizer states**: bytes per parameter from a named ``precision``
  (:data:`PRECISIONS`) and ``optimizer`` (:data:`OPTIMIZERS`), divided by the tensor-parallel
  size (norm weights stay replicated, as in Megatron-LM) and, under ZeRO (Rajbhandari et al.
  2020), by the data-parallel size: stage 1 partitions the optimizer states, stage 2 also the
  gradients, stage 3 also the weights. The literature disagrees on the gradients' width, so
  both are presets: ``"bf16-mixed"`` is ZeRO's 2 + 2 + 12 = 16 bytes per parameter (16-bit
  gradients), ``"bf16-mixed-fp32-grads"`` Megatron-LM's 2 + 4 + 12 = 18 (fp32 main grads).
* **activations saved for backward** (training): what each operation keeps for its
  gradient (:data:`SAVED_RULES`): a matmul its input (the weight is a parameter), an
  activation function its input, a norm its input and its per-row statistics, a dropout
  its mask (1 byte per element), an element-wise product both factors, attention q, k, v,
  its output and either the T·S softmax probabilities (``attention="eager"``) or the
  per-row log-sum-exp (``attention="flash"``). A tensor read by several operations (the
  input of q, k and v projections) counts once. With tensor parallelism the tensors inside
  the attention heads and the MLP's hidden layer are split ``t`` ways and the rest (the
  residual stream) is replicated unless ``sequence_parallel``; ``recompute="selective"``
  drops attention's quadratic tensors (Korthikanti et al. 2022), ``"full"`` keeps only
  each repeated block's input (plus one block's tensors while it is recomputed,
  ``recompute_buffer``).
* **KV cache** (inference): ``2·G·Dh·context·B·bytes`` per causal attention layer, the
  context capped at the window of a sliding-window layer (:func:`kv_cache_bytes`).
* **live activation** (inference): the largest input + output of one operation (with the
  T·S scores of eager attention).

Everything is a sympy expression in the network's symbols, exact (integers and rationals).

>>> import symcost as sc
>>> B, T = sc.dims("B T")
>>> m = sc.zoo.decoder_lm(2, 64, 4, 256, 100, max_positions=32).memory(sc.Shape(N=B, L=T))
>>> m.weights, m.gradients, m.optimizer       # bf16-mixed, adam: 2 + 2 + 12 bytes per param
(217088, 217088, 1302528)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from .errors import SpecError
from .layers.base import Census, Node, Spec
from .shapes import Shape

__all__ = ["Precision", "PRECISIONS", "OPTIMIZERS", "SAVED_RULES", "ATTENTION_KINDS",
           "MemoryCost", "MemoryRow", "memory", "kv_cache_bytes", "saved_tensors"]


@dataclass(frozen=True)
class Precision:
    """Bytes per element of each kind of tensor under one mixed-precision recipe."""

    name: str
    weights: sympy.Rational
    """Working copy of the weights (what the forward reads)."""
    gradients: sympy.Rational
    master: sympy.Rational
    """fp32 master copy kept by the optimizer (0 when the weights are already fp32)."""
    state: sympy.Rational
    """One optimizer state element (Adam's m and v)."""
    activations: sympy.Rational
    training: bool = True
    doc: str = ""


def _p(name, w, g, m, s, a, doc, training=True) -> Precision:
    r = sympy.Rational
    return Precision(name, r(w), r(g), r(m), r(s), r(a), training, doc)


#: The precision presets. Per parameter with Adam: fp32 16 bytes, bf16-mixed / fp16-mixed 16
#: (ZeRO's 2 + 2 + 12), bf16-mixed-fp32-grads 18 (Megatron-LM, llm-analysis, the EleutherAI
#: cookbook), bf16 8.
PRECISIONS: dict[str, Precision] = {p.name: p for p in (
    _p("fp32", 4, 4, 0, 4, 4, "everything in fp32"),
    _p("bf16-mixed", 2, 2, 4, 4, 2, "ZeRO's accounting: 16-bit weights and gradients, fp32 "
       "master weights and Adam states (2 + 2 + 12 = 16 bytes per parameter)"),
    _p("fp16-mixed", 2, 2, 4, 4, 2, "as bf16-mixed, with fp16 (ZeRO's paper)"),
    _p("bf16-mixed-fp32-grads", 2, 4, 4, 4, 2, "Megatron-LM's accounting: fp32 main "
       "gradients (2 + 4 + 12 = 18 bytes per parameter)"),
    _p("bf16", 2, 2, 0, 2, 2, "pure bf16: weights, gradients and optimizer states"),
    _p("fp16", 2, 2, 0, 2, 2, "pure fp16"),
    _p("int8", 1, 0, 0, 0, 2, "8-bit weights, 16-bit activations (inference only)", False),
    _p("int4", sympy.Rational(1, 2), 0, 0, 0, 2, "4-bit weights, 16-bit activations "
       "(inference only)", False),
)}

#: Optimizer states per parameter (each of the precision's ``state`` width).
OPTIMIZERS: dict[str, int] = {"adam": 2, "adamw": 2, "sgd-momentum": 1, "sgd": 0}

#: How attention is computed: ``eager`` keeps the T·S softmax probabilities for backward,
#: ``flash`` (FlashAttention, fused SDPA) only a log-sum-exp per query row (fp32).
ATTENTION_KINDS: tuple[str, ...] = ("eager", "flash")
RECOMPUTE: tuple[Any, ...] = (None, "selective", "full")
ZERO_STAGES: tuple[int, ...] = (0, 1, 2, 3)

#: What each operation keeps for its gradient (the rules this module applies).
SAVED_RULES: dict[str, str] = {
    "linear": "its input (the weight is a parameter, counted in weights)",
    "conv": "its input",
    "embedding": "its indices (int64, 8 bytes each)",
    "positional_embedding": "nothing (a slice of the table)",
    "layer_norm": "its input and, per row, mean and 1/std (fp32) unless norm_statistics=False",
    "rms_norm": "its input and, per row, 1/rms (fp32) unless norm_statistics=False",
    "batchnorm2d": "its input and, per channel, mean and 1/std (fp32)",
    "activation": "its input (relu: its output, the same size)",
    "dropout": "its mask, 1 byte per element",
    "mul": "both factors",
    "add / moves / avg pools": "nothing",
    "max pool": "its input and the argmax indices (int64)",
    "softmax": "its output",
    "multihead_attention": "its input once (q, k, v projections share it); eager: q, k, v "
                           "(k, v at the query heads' count, repeated as HF's repeat_kv), "
                           "the B·H·T·S probabilities (and, with attention_dropout, their "
                           "mask and the dropped copy) and the out projection's input; "
                           "flash: q, k, v (G heads), the output and a log-sum-exp per row",
    "gated_mlp": "its input once, the gate's output, the activation's output, the up "
                 "projection's output and the product (d + 4·F per token)",
    "mlp": "fc1's input, the activation's input, fc2's input",
}

_STAT = sympy.Integer(4)      # norm statistics and log-sum-exp are kept in fp32
_INDEX = sympy.Integer(8)     # int64 indices
_MASK = sympy.Integer(1)      # a dropout mask: one byte per element
_ONE = sympy.Integer(1)
_ACTIVATIONS = {"relu", "relu6", "leaky_relu", "prelu", "elu", "sigmoid", "tanh", "silu",
                "hardsigmoid", "hardswish", "gelu"}
_FREE = {"add", "identity", "flatten", "permute", "reshape", "rearrange", "channel_shuffle",
         "channel_chunk", "concat", "positional_embedding", "avg_pool1d", "avg_pool2d",
         "avg_pool3d", "global_avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
         "upsample", "moe_combine_free"}
_CAUSAL = ("causal", "prefix", "sliding", "chunked")


@dataclass(frozen=True)
class Saved:
    """One tensor kept for backward: elements, bytes per element, and whether it lives
    inside a tensor-parallel region (split t ways) or in the residual stream."""

    name: str
    elements: sympy.Expr
    width: sympy.Expr
    sharded: bool


@dataclass(frozen=True, eq=False)
class MemoryRow:
    """What one layer keeps for backward, per copy and per device: ``saved`` maps a tensor's
    name to bytes; ``count`` copies (a Repeat) contribute ``bytes``."""

    path: str
    kind: str
    count: sympy.Expr
    saved: Mapping[str, sympy.Expr]

    @property
    def per_copy(self) -> sympy.Expr:
        return sympy.Add(*self.saved.values())

    @property
    def bytes(self) -> sympy.Expr:
        return self.count * self.per_copy


@dataclass(eq=False)
class MemoryCost:
    """Bytes per device of a training step or an inference pass (:func:`memory`).

    ``total`` = weights + gradients + optimizer + activations + recompute_buffer + kv_cache.
    ``rows`` is the per-layer breakdown of ``activations`` (training) and ``options`` what
    was asked.
    """

    weights: sympy.Expr
    gradients: sympy.Expr
    optimizer: sympy.Expr
    activations: sympy.Expr
    kv_cache: sympy.Expr
    recompute_buffer: sympy.Expr
    params: sympy.Expr
    rows: list[MemoryRow] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> sympy.Expr:
        return (self.weights + self.gradients + self.optimizer + self.activations
                + self.recompute_buffer + self.kv_cache)

    def parts(self) -> dict[str, sympy.Expr]:
        """Every component and the total, by name."""
        return {"weights": self.weights, "gradients": self.gradients,
                "optimizer": self.optimizer, "activations": self.activations,
                "recompute_buffer": self.recompute_buffer, "kv_cache": self.kv_cache,
                "total": self.total}

    def evaluate(self, values: Mapping[str, Any] | None = None, /,
                 **named: Any) -> dict[str, sympy.Expr]:
        """Every component at numbers (exact: integers or rationals), by name."""
        values = {**(values or {}), **named}
        out = {}
        for name, expr in self.parts().items():
            expr = sympy.sympify(expr)
            out[name] = sympy.nsimplify(expr.subs({s: values[s.name] for s in expr.free_symbols
                                                   if s.name in values}))
        return out

    def by_kind(self) -> dict[str, sympy.Expr]:
        """Activation bytes summed per saved-tensor name over every layer."""
        out: dict[str, sympy.Expr] = {}
        for row in self.rows:
            for name, b in row.saved.items():
                out[name] = out.get(name, sympy.Integer(0)) + row.count * b
        return out

    def __repr__(self) -> str:
        return "MemoryCost(" + ", ".join(f"{k}={v}" for k, v in self.parts().items()) + ")"


def _choice(option: str, value: Any, allowed) -> None:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise SpecError(f"unknown {option} {value!r}. Allowed values: {shown}.",
                        field=option, value=value)


def _positive_int(option: str, value: Any) -> None:
    if isinstance(value, sympy.Expr) and value.is_integer and value.is_positive:
        return      # a symbol (sc.dim("t")): the formulas keep it
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{option} must be a positive integer (given {value!r}), e.g. "
                        f"{option}=8.", field=option, value=value)


def memory(spec: Spec, x: Shape, *, training: bool = True, precision: str = "bf16-mixed",
           optimizer: str = "adam", recompute: str | None = None, tensor_parallel: int = 1,
           sequence_parallel: bool = False, zero_stage: int = 0, data_parallel: int = 1,
           attention: str = "eager", attention_dropout: bool = False,
           norm_statistics: bool = True, kv_bytes: Any = None) -> MemoryCost:
    """Bytes per device of ``spec`` on ``x`` (the module's docstring says what is counted).

    ``attention_dropout`` adds the dropout on attention probabilities that Megatron-LM
    applies (its 1-byte mask and the dropped copy, eager only): the spec has no layer for
    it. ``norm_statistics=False`` leaves out the fp32 per-row statistics of norms, as
    Korthikanti et al.'s per-layer formula does. ``kv_bytes`` is the cache's bytes per element
    (default: the precision's activation width).
    """
    _choice("precision", precision, list(PRECISIONS))
    _choice("optimizer", optimizer, list(OPTIMIZERS))
    _choice("recompute", recompute, RECOMPUTE)
    _choice("zero_stage", zero_stage, ZERO_STAGES)
    _choice("attention", attention, ATTENTION_KINDS)
    _positive_int("tensor_parallel", tensor_parallel)
    _positive_int("data_parallel", data_parallel)
    prec = PRECISIONS[precision]
    if training and not prec.training:
        raise SpecError(f"precision {precision!r} is for inference only. Allowed values for "
                        "training: " + ", ".join(repr(n) for n, p in PRECISIONS.items()
                                                 if p.training) + ".",
                        field="precision", value=precision)
    if sequence_parallel and tensor_parallel == 1:
        raise SpecError("sequence_parallel splits the residual stream across the "
                        "tensor-parallel group: give tensor_parallel > 1.",
                        field="sequence_parallel", value=sequence_parallel)
    root = spec.node(x, "")
    t = sympy.sympify(tensor_parallel)
    _check_heads(root, tensor_parallel)
    options = dict(training=training, precision=precision, optimizer=optimizer,
                   recompute=recompute, tensor_parallel=tensor_parallel,
                   sequence_parallel=sequence_parallel, zero_stage=zero_stage,
                   data_parallel=data_parallel, attention=attention,
                   attention_dropout=attention_dropout, norm_statistics=norm_statistics)
    replicated, split = _params(root)
    params = replicated + split
    weights_elems = replicated + split / t
    nd = sympy.sympify(data_parallel)
    zero = sympy.Integer(0)

    def part(stage: int) -> sympy.Expr:
        return 1 / nd if zero_stage >= stage else sympy.Integer(1)

    if not training:
        a = prec.activations
        kv_width = sympy.sympify(kv_bytes) if kv_bytes is not None else a
        live = _largest_live(root, a, attention)
        kv = kv_cache_bytes(spec, x, bytes_per_element=kv_width,
                            tensor_parallel=tensor_parallel, root=root)
        return MemoryCost(weights_elems * prec.weights * part(3), zero, zero, live, kv, zero,
                          params, [], options)
    weights = weights_elems * prec.weights * part(3)
    gradients = weights_elems * prec.gradients * part(2)
    opt = weights_elems * (prec.master + OPTIMIZERS[optimizer] * prec.state) * part(1)
    rows: list[MemoryRow] = []
    ctx = _Ctx(prec.activations, attention, attention_dropout, norm_statistics, recompute,
               t, sequence_parallel)
    buffer = _collect(root, ctx, sympy.Integer(1), rows, False)
    activations = sympy.Add(*(r.bytes for r in rows))
    return MemoryCost(weights, gradients, opt, activations, zero, buffer, params, rows, options)


@dataclass(frozen=True)
class _Ctx:
    a: sympy.Expr
    attention: str
    attention_dropout: bool
    norm_statistics: bool
    recompute: str | None
    t: sympy.Expr
    sp: bool

    def bytes(self, s: Saved) -> sympy.Expr:
        if s.sharded or self.sp:
            return s.elements * s.width / self.t
        return s.elements * s.width


def saved_tensors(node: Node, *, activation_bytes: Any = 2, attention: str = "eager",
                  attention_dropout: bool = False, norm_statistics: bool = True,
                  selective: bool = False) -> list[Saved]:
    """What ``node`` (a leaf, or a multi-head attention, MLP or gated MLP) keeps for its
    gradient, per copy: one home for the rules of :data:`SAVED_RULES`."""
    a = sympy.sympify(activation_bytes)
    kind = node.kind
    if kind == "multihead_attention":
        return _mha(node, a, attention, attention_dropout, selective)
    if kind == "gated_mlp":
        gate, up, act, mul, _down = node.children
        return [Saved("input", node.input.elements, a, False),
                Saved("gate_out", gate.output.elements, a, True),
                Saved("act_out", act.output.elements, a, True),
                Saved("up_out", up.output.elements, a, True),
                Saved("product", mul.output.elements, a, True)]
    if kind == "mlp":
        fc1, act, fc2 = node.children
        return ([Saved("input", fc1.input.elements, a, False)]
                + [Saved(f"act.{s.name}", s.elements, s.width, True)
                   for s in saved_tensors(act, activation_bytes=a)]
                + [Saved("fc2_input", fc2.input.elements, a, True)])
    census = node.census
    if census is None:
        raise SpecError(f"no rule for what a {kind} keeps for backward.", layer=node.where)
    return _leaf(census, node, a, norm_statistics, attention, attention_dropout, selective)


def _leaf(c: Census, node: Node, a, stats: bool, attention: str, attention_dropout: bool,
          selective: bool) -> list[Saved]:
    kind = c.kind
    if kind in _FREE or (c.family == "move" and kind != "dropout"):
        return []
    if kind == "linear" or c.family == "convolution":
        return [Saved("input", c.inputs, a, False)]
    if kind == "embedding":
        return [Saved("indices", c.inputs, _INDEX, False)]
    if kind in ("layer_norm", "layer_norm2d", "rms_norm"):
        out = [Saved("input", c.inputs, a, False)]
        if stats:
            n = c.attrs.get("normalized") or node.input.last
            per_row = 2 if kind != "rms_norm" else 1
            out.append(Saved("statistics", per_row * c.inputs / n, _STAT, False))
        return out
    if kind == "batchnorm2d":
        return [Saved("input", c.inputs, a, False),
                Saved("statistics", 2 * node.input.channels, _STAT, False)]
    if kind in _ACTIVATIONS:
        return [Saved("input", c.inputs, a, False)]
    if kind == "dropout" or kind == "stochastic_depth":
        return [Saved("mask", c.inputs, _MASK, False)]
    if kind in ("mul", "matmul"):
        return [Saved("inputs", c.inputs, a, False)]
    if kind in ("softmax", "moe_routing"):
        return [Saved("output", c.inputs if kind == "moe_routing" else c.outputs, a, False)]
    if kind.startswith("max_pool") or kind == "global_max_pool2d":
        return [Saved("input", c.inputs, a, False), Saved("indices", c.outputs, _INDEX, False)]
    if kind == "rotary_embedding":
        return []   # multiplies by constant cos/sin tables: keeps only those
    if c.family == "sdpa":
        return _core(c, a, attention, attention_dropout, selective)
    if kind == "moe_combine":
        return [Saved("inputs", c.inputs, a, False)]
    # anything else: its input, the common case (named so a reader sees the assumption)
    return [Saved("input (assumed)", c.inputs, a, False)]


def _core(c: Census, a, attention: str, attention_dropout: bool,
          selective: bool) -> list[Saved]:
    at = c.attrs
    b, H, G, T, S = at["batch"], at["heads"], at["kv_heads"], at["queries"], at["keys"]
    Dh, Dv = at["head_dim"], at["value_dim"]
    if attention == "flash":
        return [Saved("q", b * H * T * Dh, a, True), Saved("k", b * G * S * Dh, a, True),
                Saved("v", b * G * S * Dv, a, True), Saved("output", b * H * T * Dv, a, True),
                Saved("logsumexp", b * H * T, _STAT, True)]
    out = [Saved("q", b * H * T * Dh, a, True), Saved("k", b * H * S * Dh, a, True),
           Saved("v", b * H * S * Dv, a, True)]
    if not selective:
        out.append(Saved("probs", b * H * T * S, a, True))
        if attention_dropout:
            out += [Saved("probs_mask", b * H * T * S, _MASK, True),
                    Saved("probs_dropped", b * H * T * S, a, True)]
    return out


def _mha(node: Node, a, attention: str, attention_dropout: bool,
         selective: bool) -> list[Saved]:
    kids = {c.path.rsplit(".", 1)[-1]: c for c in node.children}
    out = [Saved("input", node.input.elements, a, False)]
    if kids["k_proj"].input != node.input:      # cross-attention: the other sequence too
        out.append(Saved("kv_input", kids["k_proj"].input.elements, a, False))
    core = kids["attention"].census
    assert core is not None
    out += _core(core, a, attention, attention_dropout, selective)
    if attention == "eager":    # flash keeps the output itself: the out projection's input
        out.append(Saved("out_proj_input", kids["out_proj"].input.elements, a, True))
    return out


_UNITS = {"multihead_attention", "gated_mlp", "mlp"}


def _collect(node: Node, ctx: _Ctx, count: sympy.Expr, rows: list[MemoryRow],
             in_region: bool) -> sympy.Expr:
    """Append the rows of ``node``; return the recompute buffer (full recompute)."""
    if node.kind in _UNITS or node.census is not None:
        saved = saved_tensors(node, activation_bytes=ctx.a, attention=ctx.attention,
                              attention_dropout=ctx.attention_dropout,
                              norm_statistics=ctx.norm_statistics,
                              selective=ctx.recompute == "selective")
        entries: dict[str, sympy.Expr] = {}
        for s in saved:
            entries[s.name] = entries.get(s.name, sympy.Integer(0)) + ctx.bytes(s)
        rows.append(MemoryRow(node.path, node.kind, count, entries))
        return sympy.Integer(0)
    if node.kind == "repeat" and ctx.recompute == "full":
        inner: list[MemoryRow] = []
        for child in node.children:
            _collect(child, _Ctx(ctx.a, ctx.attention, ctx.attention_dropout,
                                 ctx.norm_statistics, None, ctx.t, ctx.sp),
                     sympy.Integer(1), inner, in_region)
        checkpoint = Saved("checkpoint", node.input.elements, ctx.a, False)
        rows.append(MemoryRow(node.path, node.kind, count * node.repeat,
                              {"checkpoint": ctx.bytes(checkpoint)}))
        return sympy.Add(*(r.bytes for r in inner))
    buffers = [_collect(c, ctx, count * node.repeat, rows, in_region) for c in node.children]
    nonzero = [b for b in buffers if b != 0]
    return sympy.Max(*nonzero) if nonzero else sympy.Integer(0)


def _params(root: Node) -> tuple[sympy.Expr, sympy.Expr]:
    """(replicated, tensor-parallel-split) parameters: norms are replicated."""
    rep: list[sympy.Expr] = []
    split: list[sympy.Expr] = []

    def walk(node: Node, count: sympy.Expr) -> None:
        if node.census is not None:
            (rep if node.census.family == "norm" else split).append(count * node.census.params)
            return
        for child in node.children:
            walk(child, count * node.repeat)

    walk(root, sympy.Integer(1))
    return sympy.Add(*rep), sympy.Add(*split)


def _attention_nodes(root: Node, count: sympy.Expr = _ONE):
    if node_is_attention(root):
        yield root, count
        return
    for child in root.children:
        yield from _attention_nodes(child, count * root.repeat)


def node_is_attention(node: Node) -> bool:
    return node.census is not None and node.census.family == "sdpa" \
        and "kv_heads" in node.census.attrs


def _definitely(cond) -> bool:
    return sympy.sympify(cond) is sympy.true


def _check_heads(root: Node, t: Any) -> None:
    if t == 1 or (isinstance(t, sympy.Expr) and not t.is_number):
        return
    for node, _ in _attention_nodes(root):
        H, G = node.census.attrs["heads"], node.census.attrs["kv_heads"]  # type: ignore
        if _definitely(sympy.Ne(sympy.Mod(H, t), 0)):
            raise SpecError(f"tensor_parallel={t} does not divide the {H} attention heads. "
                            "Allowed values: the divisors of the head count.",
                            layer=node.where, field="tensor_parallel", value=t)
        if _definitely(sympy.Ne(sympy.Mod(G, t), 0)) and _definitely(sympy.Ne(sympy.Mod(t, G), 0)):
            raise SpecError(f"tensor_parallel={t} neither divides nor is a multiple of the {G} "
                            "key/value heads. Allowed values: divisors or multiples of it.",
                            layer=node.where, field="tensor_parallel", value=t)


def kv_cache_bytes(spec: Spec, x: Shape, *, bytes_per_element: Any = 2,
                   tensor_parallel: int = 1, root: Node | None = None) -> sympy.Expr:
    """Bytes of the key/value cache after the sequence ``x`` (its keys: P + T under a prefix
    mask): ``2·G·Dh·keys·B·bytes`` per causal attention layer (keys and values of G heads),
    keys capped at W under a sliding window (``Min``) or C under chunks; cross-attention
    caches the other sequence's S keys once; an unmasked self-attention (an encoder) caches
    nothing. Split across ``tensor_parallel`` devices by key/value heads (replicated when
    there are fewer heads than devices)."""
    root = root if root is not None else spec.node(x, "")
    t = sympy.sympify(tensor_parallel)
    total = sympy.Integer(0)
    for node, count in _attention_nodes(root):
        at = node.census.attrs  # type: ignore[union-attr]
        cross = at["mask"] == "none"
        if cross and sympy.simplify(at["keys"] - at["queries"]) == 0:
            continue    # unmasked self-attention: nothing to cache for later tokens
        keys = at["keys"]
        if at.get("window") is not None:
            keys = sympy.Min(keys, at["window"])
        G = at["kv_heads"]
        # fewer key/value heads than devices: each device keeps a whole head (replicated)
        heads = 1 if _definitely(sympy.Ne(sympy.Mod(G, t), 0)) else G / t
        total += count * heads * (at["head_dim"] + at["value_dim"]) * keys * at["batch"] \
            * sympy.sympify(bytes_per_element)
    return total


def _largest_live(root: Node, a, attention: str) -> sympy.Expr:
    """The largest input + output of one operation (inference keeps nothing else)."""
    live: set[sympy.Expr] = set()
    for node in root.walk():
        c = node.census
        if c is None:
            continue
        size = c.inputs + c.outputs
        if c.family == "sdpa" and attention == "eager" and "all_pairs" in c.attrs:
            size += c.attrs["all_pairs"]
        live.add(sympy.expand(size * a))
    if not live:
        return sympy.Integer(0)
    return sympy.Max(*live)
