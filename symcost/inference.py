"""Inference: prefill a prompt, then decode one token at a time against the KV cache.

``net.decode(context=P, new_tokens=g)`` prices the network on one new token per sequence
(``Shape(N=B, L=1)``) whose attention sees the cache: every causal self-attention becomes
the mask ``("prefix", t)`` (t cached keys, then the token itself), a sliding window of W the
mask ``("prefix", Min(t, W - 1))``. ``per_token`` is that cost as a formula in the position
``t``; ``macs`` / ``flops`` are its sum over the g tokens (t = P, …, P + g − 1) in closed form
(sympy's summation; a window's ``Min`` is summed by splitting at t = W − 1), e.g. the
attention pairs of g tokens after P: g·P + g·(g + 1)/2.

>>> import symcost as sc
>>> P, g, d = sc.dims("P g d")
>>> lm = sc.zoo.decoder_lm(2, 64, 4, 256, 100, max_positions=4096)
>>> dec = lm.decode(P, g)
>>> dec.kv_cache          # bytes after the P + g positions, bf16
512*P + 512*g
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .conventions import Convention
from .errors import SpecError
from .layers.attention import MultiheadAttention
from .layers.base import Spec
from .layers.embedding import Embedding
from .memory import _attention_nodes, kv_cache_bytes
from .results import NetworkCost
from .shapes import Shape

__all__ = ["PrefillCost", "DecodeCost", "prefill", "decode", "decode_spec", "sum_closed"]

#: The position of the token being generated: keys already cached before it.
POSITION = sympy.Symbol("t", integer=True, nonnegative=True)


@dataclass(eq=False)
class PrefillCost:
    """The prompt's forward pass (``cost``) and the KV cache it leaves (bytes)."""

    cost: NetworkCost
    kv_cache: sympy.Expr

    @property
    def macs(self) -> sympy.Expr:
        return self.cost.total.macs

    @property
    def flops(self) -> sympy.Expr:
        return self.cost.total.flops


@dataclass(eq=False)
class DecodeCost:
    """Generating ``new_tokens`` after ``context`` cached positions (:func:`decode`)."""

    per_token: NetworkCost
    """One token at position ``t`` (:data:`POSITION`): a formula in t."""
    position: sympy.Symbol
    context: sympy.Expr
    new_tokens: sympy.Expr
    macs: sympy.Expr
    """Sum of ``per_token`` MACs over t = context … context + new_tokens − 1, closed form."""
    flops: sympy.Expr
    kv_cache: sympy.Expr
    """Bytes of the cache after the last token (context + new_tokens positions)."""
    kv_cache_per_token: sympy.Expr
    """Bytes one more position adds (with no sliding window reached)."""
    params: sympy.Expr
    active_params: sympy.Expr
    """Parameters one token uses (a mixture of experts: router, top-k and shared experts)."""
    active_experts: dict[str, sympy.Expr]
    """``{moe path: top_k}``: the experts each token runs in each MoE layer."""



def _sequence_input(spec: Spec, batch: Any, length: Any, x: Shape | None) -> Shape:
    if x is not None:
        if "L" not in x.names:
            raise SpecError(f"the input {x} has no sequence axis L. Give it as "
                            "sc.Shape(N=B, L=T) (token ids) or sc.Shape(N=B, L=T, D=d).",
                            field="x", value=str(x))
        return x.with_size(x.names.index("L"), length)
    first = _first_layer(spec)
    if not isinstance(first, Embedding):
        raise SpecError("the network does not start with an Embedding, so its input is not "
                        "token ids: pass x=sc.Shape(N=B, L=T, D=d).", field="x")
    return Shape(N=batch, L=length)


def _first_layer(spec: Spec) -> Spec:
    children = getattr(spec, "children", None)
    if callable(children):
        kids = children()
        if kids:
            return _first_layer(kids[0][1])
    return spec


def prefill(spec: Spec, x: Shape, convention: str | Convention = "macs", *,
            kv_bytes: Any = 2, tensor_parallel: int = 1) -> PrefillCost:
    """The forward pass over the prompt ``x`` and the KV cache it fills (bytes)."""
    cost = spec.cost(x, convention)  # type: ignore[attr-defined]
    return PrefillCost(cost, kv_cache_bytes(spec, x, bytes_per_element=kv_bytes,
                                            tensor_parallel=tensor_parallel, root=cost.root))


def decode_spec(spec: Spec, position: Any = POSITION) -> Spec:
    """``spec`` with every causal self-attention seeing ``position`` cached keys before the
    one new token; refuses a network without one (an encoder cannot generate)."""
    found: list[str] = []

    def rewrite(node: Spec) -> Spec:
        if isinstance(node, MultiheadAttention):
            mask = node.mask
            if node.kv_length is not None:
                return node                          # cross-attention: a fixed memory
            if mask == "causal":
                new: Any = ("prefix", sympy.sympify(position))
            elif isinstance(mask, tuple) and mask[0] == "sliding":
                new = ("prefix", sympy.Min(sympy.sympify(position), mask[1] - 1))
            elif isinstance(mask, tuple) and mask[0] == "prefix":
                new = ("prefix", mask[1] + position)
            elif isinstance(mask, tuple) and mask[0] == "chunked":
                raise SpecError("decoding under a chunked mask has no closed form here yet "
                                "(its cached keys restart every chunk). Allowed masks for "
                                "decode: 'causal', ('sliding', W), ('prefix', P).",
                                field="mask", value=f"chunked({mask[1]})")
            else:
                return node
            found.append(str(mask))
            return node.model_copy(update={"mask": new})
        if hasattr(node, "map_children"):
            return node.map_children(lambda _label, child: rewrite(child))  # type: ignore
        return node

    out = rewrite(spec)
    if not found:
        raise SpecError("decode needs a causal self-attention (a decoder); this network's "
                        "attention is unmasked (an encoder-only model cannot generate one "
                        "token at a time). Allowed masks: 'causal', ('sliding', W), "
                        "('prefix', P).", field="mask", value="none")
    return out


def decode(spec: Spec, context: Any, new_tokens: Any, *, batch: Any = 1,
           x: Shape | None = None, convention: str | Convention = "macs",
           kv_bytes: Any = 2, tensor_parallel: int = 1) -> DecodeCost:
    """Generating ``new_tokens`` (g) one at a time after ``context`` (P) cached positions,
    ``batch`` sequences at once: the per-token cost at position t and its closed-form sum
    over the g tokens, the KV cache at the end, the active parameters and experts.

    ``x`` is the prompt's shape when the network does not start with an embedding (its
    ``L`` axis becomes 1)."""
    P, g = sympy.sympify(context), sympy.sympify(new_tokens)
    one = _sequence_input(spec, batch, 1, x)
    stepped = decode_spec(spec, POSITION)
    per_token = stepped.cost(one, convention)  # type: ignore[attr-defined]
    total = per_token.total
    macs = sum_closed(total.macs, POSITION, P, g)
    flops = sum_closed(total.flops, POSITION, P, g)
    ctx = _sequence_input(spec, batch, P + g, x)
    kv = kv_cache_bytes(spec, ctx, bytes_per_element=kv_bytes, tensor_parallel=tensor_parallel)
    step = sympy.Symbol("_n", integer=True, positive=True)
    per_pos = kv_cache_bytes(spec, _sequence_input(spec, batch, step, x),
                             bytes_per_element=kv_bytes, tensor_parallel=tensor_parallel)
    per_pos = sympy.expand(sympy.Poly(per_pos.replace(
        sympy.Min, lambda *a: next((v for v in a if step in v.free_symbols), a[0])),
                                      step).coeff_monomial(step))
    experts = {}
    for node in per_token.root.walk():
        if node.kind == "moe_routing" and node.census is not None:
            experts[node.path.rsplit(".", 1)[0]] = node.census.attrs["top_k"]
    return DecodeCost(per_token, POSITION, P, g, macs, flops, kv, per_pos, total.params,
                      per_token.active_params, experts)


def sum_closed(expr: sympy.Expr, t: sympy.Symbol, start: Any, count: Any) -> sympy.Expr:
    """Σ expr over t = start … start + count − 1, in closed form.

    ``expr`` is a polynomial in t, plus terms linear in ``Min(t, M)`` (a sliding window),
    each summed exactly: with k = Min(count, Max(0, M − start + 1)) positions below the cap,
    Σ Min(t, M) = k·start + k·(k − 1)/2 + (count − k)·M.
    """
    start, count = sympy.sympify(start), sympy.sympify(count)
    expr = sympy.expand(sympy.sympify(expr))
    mins = sorted({m for m in expr.atoms(sympy.Min) if t in m.free_symbols}, key=str)
    total = sympy.Integer(0)
    for m in mins:
        z = sympy.Dummy("z")
        replaced = sympy.expand(expr.xreplace({m: z}))
        coeff = replaced.coeff(z, 1)
        if t in coeff.free_symbols or sympy.expand(replaced.coeff(z, 2)) != 0:
            raise SpecError(f"cannot sum {m} in closed form: it is not linear in the window.",
                            field="mask")
        args = [a for a in m.args if t not in a.free_symbols]
        inner = [a for a in m.args if t in a.free_symbols]
        if len(inner) != 1 or sympy.expand(inner[0] - t) != 0 or len(args) != 1:
            raise SpecError(f"cannot sum {m} in closed form.", field="mask")
        M = args[0]
        k = sympy.Min(count, sympy.Max(0, M - start + 1))
        total += coeff * (k * start + k * (k - 1) / 2 + (count - k) * M)
        expr = sympy.expand(replaced.coeff(z, 0))
    i = sympy.Dummy("i", integer=True, nonnegative=True)
    poly = sympy.summation(expr.subs(t, start + i), (i, 0, count - 1))
    return sympy.expand(poly + total)


def attention_layers(spec: Spec, x: Shape) -> int:
    """How many attention cores ``spec`` applies on ``x`` (Repeat copies counted)."""
    return sum((c for _, c in _attention_nodes(spec.node(x, ""))), sympy.Integer(0))
