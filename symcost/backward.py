"""Backward censuses: what each layer kind computes when a loss is differentiated.

``net.cost(x, convention, training=True, recompute=None | "selective" | "full",
frozen=(paths...), input_requires_grad=False)`` prices a training step: every row's and
the total's cost is forward + backward + recomputed forward, each kept in ``cost.parts``
(``"forward"``, ``"backward"``, ``"recompute"``); params, buffers and activations are the
forward's. ``recompute="selective"`` runs the attention cores' forward again (Korthikanti et
al. 2022), ``"full"`` every layer's but the output layer's (Narayanan et al. 2021: the logits
are not recomputed). A layer whose path, or a parent's, is in ``frozen`` gets no weight
gradient (torch's ``requires_grad_(False)``); as torch's autograd, no layer computes the
gradient of an input that nothing before it made require grad (the first convolution, the
embedding), unless ``input_requires_grad``.

>>> import symcost as sc
>>> B, T, d, L, V = sc.dims("B T d L V")
>>> gpt = sc.zoo.decoder_lm(L, d, 16, 4 * d, V, max_positions=2048, mask="none")
>>> step = gpt.cost(sc.Shape(N=B, L=T), "megatron", training=True).total
>>> step.flops.factor()                      # Korthikanti et al.'s 72·B·s·l·h²·(…)
6*B*T*d*(2*L*T + 12*L*d + V)
>>> step.parts["backward"].flops.factor()
4*B*T*d*(2*L*T + 12*L*d + V)

One home for every rule: :data:`BACKWARD_RULES` maps every census kind to a function of its
forward census and two flags — ``input_grad`` (the gradient of the layer's input is needed:
some earlier layer, or the input, requires grad) and ``weight_grad`` (the layer has trainable
weights, not frozen). A kind without a rule raises :class:`~symcost.errors.SymcostError`
(``tests/test_backward.py`` checks every kind has one), so a new kind is never priced as free
by accident.

The rules count what a direct implementation of the chain rule does, convention-free; a
convention then prices the backward census with the rule of the layer's family, as it prices
the forward one:

================  ==========================================================================
family            backward census (n = elements)
================  ==========================================================================
mm, convolution   input gradient: the forward's MACs again (gradᵒᵘᵗ · Wᵀ, one dot product
                  per input element; a convolution's a transposed convolution, scattered:
                  no dot); weight gradient: the forward's MACs again (xᵀ · gradᵒᵘᵗ, one
                  dot product per weight); bias gradient one add per output element. A
                  frozen layer: input gradient only; the first layer, whose input needs no
                  gradient: weight gradient only (torch skips it).
bmm (matmul)      both operands' gradients: 2 × the forward's MACs.
sdpa              over the pairs the mask keeps (like the forward census): dP = dO·Vᵀ,
                  dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q (2 × the forward's MACs; a dot
                  product per kept pair, per query feature and per key feature of each
                  key/value head), the softmax's
                  backward (2 mul, 2 add per pair, one add fewer per query) and the scale's
                  mul per pair; ``attrs`` keep the dense figures (``dense_mac`` 2 × the
                  forward's) and, for a fused kernel, ``kernel_recompute_mac`` (the QKᵀ a
                  FlashAttention-style backward recomputes: torch counts it, 2.5 × forward).
softmax           y·(g − Σ g·y) per row of m: 2m mul, 2m − 1 add.
norm              LayerNorm per row of n: a = g·γ (n mul), means of a and a·x̂ (n mul,
                  2(n − 1) add, 2 div), rstd·(a − m₁ − x̂·m₂) (2n mul, 2n add); RMSNorm:
                  n mul (γ), n mul, n − 1 add, 1 div, 2n mul, n add; weight gradients Σ g·x̂
                  (n mul, n add) and Σ g (n add). BatchNorm as its forward census (running
                  statistics): g·scale (n mul), weight gradients 2n add + n mul.
elementwise       the derivative per element (:data:`ELEMENTWISE_BACKWARD`); add: free; mul:
                  both operands (2n mul).
embedding         a scatter-add of the output gradient into the table (lookups·width adds);
                  no input gradient (token ids); learned positions: a sum over the batch.
pool              max: the gradient scattered to the arg-max positions (one add per output);
                  average/adaptive/global average: the forward census again (the transpose
                  of a linear map).
resample          the forward census again (the transpose of the interpolation).
move              free (views, permutations, concatenation, dropout as at inference).
custom            its ``backward_counts``; without them the row is reported uncosted.
================  ==========================================================================

A convention prices a backward census with the rule of its family. Rules that read a
layer's ``attrs`` or ``params`` rather than its operations (Kaplan's and Chinchilla's embedding
as a matmul, PaLM's 2 FLOPs per parameter and position) price it as they price the forward:
those papers' training figure is 3 × their forward, which ``tests/test_backward.py`` derives
that way (PaLM's 6N + 12·L·H·Q·T); Megatron's, Narayanan's and Korthikanti's come out of
``training=True`` itself. ``attrs`` keep the forward's, except attention's dense figures.

MoE: the router's and experts' matrices follow ``mm``; ``moe_routing`` is a softmax over the
E experts (plus the k renormalising divisions' derivative); ``moe_combine`` the gradient of
the weighted sum (the experts' outputs: k·d mul per token; the routing weights: k·d mul and
k·d add).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import sympy

from .counts import OpCounts
from .errors import SymcostError
from .layers.base import Census

__all__ = ["BACKWARD_RULES", "ELEMENTWISE_BACKWARD", "RECOMPUTE", "backward_census",
           "check_recompute", "has_weights"]

#: Values of ``recompute`` in ``net.cost(..., training=True, recompute=...)``.
RECOMPUTE: tuple[str | None, ...] = (None, "selective", "full")

_ZERO = sympy.Integer(0)

#: Operations per element of an activation's input gradient, by kind (derivative times the
#: output gradient): ReLU a compare (the mask); ReLU6 two; LeakyReLU/PReLU a compare and a
#: multiply; ELU a compare, an add and a multiply (α·eˣ = y + α); sigmoid σ(1 − σ)·g; tanh
#: (1 − y²)·g; SiLU σ recomputed (exp, add, div) and g·σ·(1 + x·(1 − σ)); hard functions two
#: compares and a multiply (and an add); GELU Φ(x) + x·φ(x) (erf, exp, 4 mul, 2 add); GELU
#: tanh: the tanh recomputed and its derivative.
ELEMENTWISE_BACKWARD: dict[str, dict[str, int]] = {
    "relu": {"cmp": 1},
    "relu6": {"cmp": 2},
    "leaky_relu": {"cmp": 1, "mul": 1},
    "prelu": {"cmp": 1, "mul": 1},
    "elu": {"cmp": 1, "add": 1, "mul": 1},
    "sigmoid": {"mul": 2, "add": 1},
    "tanh": {"mul": 2, "add": 1},
    "silu": {"exp": 1, "add": 3, "div": 1, "mul": 3},
    "hardsigmoid": {"cmp": 2, "mul": 1},
    "hardswish": {"cmp": 2, "mul": 2, "add": 1},
    "gelu": {"erf": 1, "exp": 1, "mul": 4, "add": 2},
    "gelu_tanh": {"exp": 1, "div": 1, "mul": 9, "add": 4},
}

Rule = Callable[[Census, bool, bool], "OpCounts | None"]


def _per_element(table: dict[str, int], n: sympy.Expr) -> OpCounts:
    return OpCounts(**{op: w * n for op, w in table.items()})


def _gemm(c: Census, ig: bool, wg: bool) -> OpCounts:
    # input gradient: a Linear's and a transposed convolution's are dot products (one per
    # input element); a convolution's is a transposed convolution, scattered as
    # ConvTranspose2d's census counts it (each product accumulated: no dot). Weight
    # gradient: one dot product per weight, over every position it was applied at.
    conv = c.family == "convolution"
    gather = not conv or bool(c.attrs.get("transposed"))
    weights = c.attrs["weights"] if conv else c.ops.mac / c.attrs["rows"]
    mac = c.ops.mac * (int(ig) + int(wg))
    dot = (c.inputs if ig and gather else 0) + (weights if wg else 0)
    return OpCounts(mac=mac, dot=dot, add=c.ops.bias if wg else 0)


def _bmm(c: Census, ig: bool, wg: bool) -> OpCounts:
    if not ig:
        return OpCounts()
    return OpCounts(mac=2 * c.ops.mac, dot=2 * c.ops.dot)


def _attention(c: Census, ig: bool, wg: bool) -> OpCounts:
    if not ig:
        return OpCounts()
    a = c.attrs
    kept, queries = a["kept_pairs"], a["batch"] * a["heads"] * a["queries"]
    # dots: dP per kept pair; dQ per query feature; dK, dV per key feature of each
    # key/value head (summed over the query heads of its group)
    keys = a["batch"] * a["kv_heads"] * a["keys"]
    dot = kept + queries * a["head_dim"] + keys * (a["head_dim"] + a["value_dim"])
    return OpCounts(mac=2 * c.ops.mac, dot=dot,
                    mul=2 * kept + (kept if a["scale"] else 0),
                    add=2 * kept - queries + (kept if a.get("position_bias") else 0))


def _softmax(c: Census, ig: bool, wg: bool) -> OpCounts:
    if not ig:
        return OpCounts()
    rows = c.inputs - c.ops.add  # the forward adds n − 1 per row of n
    return OpCounts(mul=2 * c.inputs, add=2 * c.inputs - rows)


def _routing(c: Census, ig: bool, wg: bool) -> OpCounts:
    if not ig:
        return OpCounts()
    E, k = c.attrs["experts"], c.attrs["top_k"]
    tokens = c.inputs / E
    return OpCounts(mul=tokens * (2 * E + k), add=tokens * (2 * E - 1 + k))


def _combine(c: Census, ig: bool, wg: bool) -> OpCounts:
    return OpCounts(mul=2 * c.ops.mul, add=c.ops.mul) if ig else OpCounts()


def _layer_norm(c: Census, ig: bool, wg: bool, *, rms: bool = False) -> OpCounts:
    n_all = c.inputs
    rows = n_all / c.attrs["normalized"]
    weight = c.params != 0 or bool(c.attrs.get("affine"))
    out = OpCounts()
    if ig:
        if rms:
            out += OpCounts(mul=(n_all if weight else 0) + 3 * n_all,
                            add=2 * n_all - rows, div=rows)
        else:
            out += OpCounts(mul=(n_all if weight else 0) + 3 * n_all,
                            add=4 * n_all - 2 * rows, div=2 * rows)
    if wg and weight:
        # LayerNorm's shift β: 2·normalized parameters (RMSNorm has none)
        bias = not rms and sympy.expand(c.params - 2 * c.attrs["normalized"]) == 0
        out += OpCounts(mul=n_all, add=n_all + (n_all if bias else 0))
    return out


def _batch_norm(c: Census, ig: bool, wg: bool) -> OpCounts:
    n = c.inputs
    out = OpCounts(mul=n) if ig else OpCounts()
    if wg and c.params != 0:
        out += OpCounts(mul=n, add=2 * n)
    return out


def _elementwise(kind: str) -> Rule:
    def rule(c: Census, ig: bool, wg: bool) -> OpCounts:
        out = _per_element(ELEMENTWISE_BACKWARD[kind], c.inputs) if ig else OpCounts()
        if wg and c.params != 0:  # PReLU's slopes: Σ g·x where x < 0
            out += OpCounts(mul=c.inputs, add=c.inputs)
        return out
    return rule


def _gelu(c: Census, ig: bool, wg: bool) -> OpCounts:
    table = ELEMENTWISE_BACKWARD["gelu" if c.ops.erf != 0 else "gelu_tanh"]
    return _per_element(table, c.inputs) if ig else OpCounts()


def _mul(c: Census, ig: bool, wg: bool) -> OpCounts:
    return OpCounts(mul=2 * c.outputs) if ig else OpCounts()


def _layer_scale(c: Census, ig: bool, wg: bool) -> OpCounts:
    n = c.inputs
    return (OpCounts(mul=n) if ig else OpCounts()) + \
        (OpCounts(mul=n, add=n) if wg and c.params != 0 else OpCounts())


def _embedding(c: Census, ig: bool, wg: bool) -> OpCounts:
    return OpCounts(add=c.attrs["lookups"] * c.attrs["width"]) if wg else OpCounts()


def _positions(c: Census, ig: bool, wg: bool) -> OpCounts:
    # the input's gradient passes through the addition; the table's sums over the batch
    return OpCounts(add=c.outputs) if wg else OpCounts()


def _again(c: Census, ig: bool, wg: bool) -> OpCounts:
    return c.ops if ig else OpCounts()


def _max_pool(c: Census, ig: bool, wg: bool) -> OpCounts:
    return OpCounts(add=c.outputs) if ig else OpCounts()


def _pool(c: Census, ig: bool, wg: bool) -> OpCounts:
    if c.attrs.get("reduce") == "max" or "max" in c.kind:
        return _max_pool(c, ig, wg)
    return _again(c, ig, wg)


def _free(c: Census, ig: bool, wg: bool) -> OpCounts:
    return OpCounts()


def _custom(c: Census, ig: bool, wg: bool) -> OpCounts | None:
    return c.attrs.get("backward_counts")  # the user's formulas, else unknown


_CONV = ("conv1d", "conv2d", "conv3d", "conv_transpose2d", "depthwise_conv2d",
         "pointwise_conv2d")
_POOL = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
         "global_avg_pool2d", "global_max_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d")
_MOVE = ("flatten", "identity", "dropout", "stochastic_depth", "channel_shuffle",
         "channel_chunk", "permute", "rearrange", "reshape", "concat", "add")

#: Every census kind's backward rule (forward census, input_grad, weight_grad) -> census ops,
#: or None when no rule can be given (the row is then uncosted). Listed kind by kind.
BACKWARD_RULES: dict[str, Rule] = {
    **{k: _gemm for k in _CONV},
    "linear": _gemm,
    "matmul": _bmm,
    "sdpa": _attention,
    "attention": _attention,
    "softmax": _softmax,
    "moe_routing": _routing,
    "moe_combine": _combine,
    "layer_norm": _layer_norm,
    "layer_norm2d": _layer_norm,
    "rms_norm": lambda c, ig, wg: _layer_norm(c, ig, wg, rms=True),
    "batchnorm2d": _batch_norm,
    **{k: _elementwise(k) for k in ELEMENTWISE_BACKWARD if k not in ("gelu", "gelu_tanh")},
    "gelu": _gelu,
    "mul": _mul,
    "layer_scale": _layer_scale,
    "rotary_embedding": _again,
    "embedding": _embedding,
    "positional_embedding": _positions,
    **{k: _pool for k in _POOL},
    "upsample": _again,
    **{k: _free for k in _MOVE},
    "custom": _custom,
}


def has_weights(census: Census) -> bool:
    """Whether the layer holds weights a gradient can reach (its own, a tied matrix, or a
    shared module's)."""
    return census.params != 0 or bool(census.attrs.get("tied")) \
        or bool(census.attrs.get("shares"))


def backward_census(census: Census, *, input_grad: bool = True,
                    weight_grad: bool = True) -> Census | None:
    """The backward census of one layer's forward ``census``: ``input_grad`` when the
    gradient of the layer's input is needed, ``weight_grad`` when its weights train.
    None when the kind has no rule that can be given (a ``Custom`` layer).

    >>> import symcost as sc
    >>> B, T, d = sc.dims("B T d")
    >>> node = sc.Linear(in_features=d, out_features=d, bias=False).node(sc.Shape(N=B, L=T, D=d))
    >>> backward_census(node.census).ops.mac, backward_census(node.census, input_grad=False).ops.mac
    (2*B*T*d**2, B*T*d**2)
    """
    rule = BACKWARD_RULES.get(census.kind)
    if rule is None:
        raise SymcostError(f"backward: no rule for the layer kind {census.kind!r} (family "
                           f"{census.family!r}); add one to symcost.backward.BACKWARD_RULES.")
    wg = weight_grad and has_weights(census)
    ops = rule(census, input_grad, wg)
    if ops is None:
        return None
    attrs = {**census.attrs, "pass": "backward", "input_grad": input_grad,
             "weight_grad": wg}
    if "dense_mac" in attrs:
        attrs["dense_mac"] = 2 * census.attrs["dense_mac"] if input_grad else _ZERO
        attrs["kernel_recompute_mac"] = (census.attrs["all_pairs"] * census.attrs["head_dim"]
                                         if input_grad and census.attrs.get("fused")
                                         else _ZERO)
    if census.family == "convolution":
        attrs["weight_grad_mac"] = census.ops.mac if wg else _ZERO
    return replace(census, ops=ops, params=_ZERO, buffers=_ZERO, attrs=attrs)


def check_recompute(recompute: object) -> str | None:
    """``recompute`` if allowed, else a SymcostError naming the option and its values."""
    if recompute not in RECOMPUTE:
        raise SymcostError(f"recompute: unknown value {recompute!r}. Use one of: None (no "
                           "recomputation), 'selective' (the attention core, Korthikanti et "
                           "al.), 'full' (every layer's forward but the logits, Narayanan "
                           "et al.).")
    return recompute  # type: ignore[return-value]


# ------------------------------------------------------------------ the training pass
def grad_flags(node, spec, requires_grad: bool, frozen: tuple[str, ...],
               out: dict[Any, tuple]) -> bool:
    """Record, for every leaf under ``node`` (``id(node)`` -> (input_grad, weight_grad)),
    which gradients a backward pass computes, as torch's autograd does: a layer's input
    gradient only when something before it requires grad; weight gradients unless the
    layer's path is frozen. Returns whether ``node``'s output requires grad.

    In a ``Repeat`` whose input needs no gradient the first copy differs from the others
    (whose input does): ``out[("first", id)]`` holds its flags and the copy count.
    """
    if node.census is not None:
        trains = has_weights(node.census) and not _is_frozen(node.path, frozen)
        out[id(node)] = (requires_grad, trains)
        return requires_grad or trains
    children = node.children
    labels = [c.path.rsplit(".", 1)[-1] for c in children]
    kind = node.kind
    if kind == "graph" and spec is not None:
        values = {"input": requires_grad}
        for gn, child in zip(spec.nodes, children):
            rg = any(values.get(i, requires_grad) for i in gn.inputs)
            values[gn.name] = grad_flags(child, gn.op, rg, frozen, out)
        return values.get(spec.output or spec.nodes[-1].name, requires_grad)
    if kind in ("residual", "parallel"):
        body = [grad_flags(c, _child_spec(spec, i), requires_grad, frozen, out)
                for i, c in enumerate(children[:-1])]
        rg = requires_grad or any(body) if kind == "residual" else any(body)
        return grad_flags(children[-1], None, rg, frozen, out)
    if kind == "repeat":
        body_spec = getattr(spec, "body", None)
        first: dict[Any, tuple] = {}
        rg = grad_flags(children[0], body_spec, requires_grad, frozen, first)
        out.update(first)
        if rg != requires_grad:  # the copies after the first see an input that needs grad
            grad_flags(children[0], body_spec, rg, frozen, out)
            for key, flags in first.items():
                if out[key] != flags:
                    out[("first", key)] = (*flags, node.repeat)
        return rg
    if kind in _FAN_OUT:
        fan, rest = _FAN_OUT[kind]
        outs = [grad_flags(c, None, requires_grad, frozen, out)
                for c, label in zip(children, labels) if label in fan]
        rg = requires_grad if not outs else any(outs)
        merged = rg
        for c, label in zip(children, labels):
            if label in fan:
                continue
            if label in rest:  # reads the block's input too (the gate's partner, combine)
                merged = grad_flags(c, None, merged or requires_grad, frozen, out)
            else:
                merged = grad_flags(c, None, merged, frozen, out)
        return merged
    rg = requires_grad
    for i, c in enumerate(children):
        rg = grad_flags(c, _child_spec(spec, i), rg, frozen, out)
    return rg


#: Composite layers whose first parts all read the block's input (fan), and parts after
#: them that read the input as well as the previous part (rest).
_FAN_OUT: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "multihead_attention": (frozenset({"q_proj", "k_proj", "v_proj"}), frozenset()),
    "gated_mlp": (frozenset({"gate_proj", "up_proj"}), frozenset()),
    "moe": (frozenset({"router", "experts", "shared"}), frozenset()),
}


def _child_spec(spec, i: int):
    if spec is None:
        return None
    kids = [c for _, c in spec.children()] if hasattr(spec, "children") else []
    return kids[i] if i < len(kids) else None


def _is_frozen(path: str, frozen: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f + ".") for f in frozen)


def recomputed(root, recompute: str | None) -> set[int]:
    """ids of the leaves whose forward runs again in the backward pass: none; the
    attention cores (``selective``, Korthikanti et al.: softmax(QKᵀ)·V of every layer);
    every leaf but the output layer (``full``, Narayanan et al.: the logits are not
    recomputed; the output layer is the last ``mm`` leaf)."""
    leaves = [n for n in root.walk() if n.census is not None]
    if recompute is None:
        return set()
    if recompute == "selective":
        return {id(n) for n in leaves if n.census.family == "sdpa"}
    heads = [n for n in leaves if n.census.family == "mm"]
    last = id(heads[-1]) if heads else None
    return {id(n) for n in leaves if id(n) != last}
