"""Attention: masks counted exactly, scaled dot-product attention, multi-head attention.

A mask decides which (query, key) pairs an attention head scores. The census of attention
counts the work over the pairs the mask keeps, exactly (what a kernel that skips masked
pairs must do), and records in its ``attrs`` the dense work a kernel that scores every pair
does (T·S pairs per head), so that a convention picks which one it prices:

==========================  ======================================  =========================
mask                        kept pairs per head (T queries)         keys S
==========================  ======================================  =========================
``"none"``                  T·S                                     any (cross-attention)
``"causal"``                T·(T + 1)/2                             T
``("prefix", P)``           T·P + T·(T + 1)/2 (causal after P       P + T
                            cached positions)
``("sliding", W)``          m·(m + 1)/2 + (T − m)·W, m = min(T, W)  T
                            (= W·T − W·(W − 1)/2 when T ≥ W)
``("chunked", C)``          n·C·(C + 1)/2 + r·(r + 1)/2,            T
                            n = ⌊T/C⌋, r = T − n·C
==========================  ======================================  =========================

A query attends to itself in every causal kind (the window W counts the query's own
position, as Mistral's and torch's sliding windows do).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import sympy
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from ..checks import Constraint, require, size_conditions
from ..counts import OpCounts
from ..dims import MAX_EXPR_LENGTH, Dim, as_expr, dim_to_json
from ..errors import DimensionError, ShapeMismatchError, SpecError
from ..shapes import Shape
from .base import Census, Layer, Node, where_of, with_family
from .embedding import rotary_ops
from .linear import Linear
from .merge import Merge

__all__ = ["Mask", "MASK_KINDS", "kept_pairs", "attention_census", "ScaledDotProductAttention",
           "MultiheadAttention"]

#: The mask kinds: two words and three with a size.
MASK_KINDS: tuple[str, ...] = ("none", "causal", "prefix", "sliding", "chunked")
_SIZED = {"prefix": "P, the number of cached positions before the T new ones",
          "sliding": "W, the window (the query's own position included)",
          "chunked": "C, the chunk length"}
_MASK_HELP = ("Use 'none', 'causal', ('prefix', P), ('sliding', W) or ('chunked', C), e.g. "
              "mask=('sliding', 4096).")


def _parse_mask(value: Any) -> str | tuple[str, sympy.Expr]:
    if isinstance(value, str):
        if value in ("none", "causal"):
            return value
        if value in _SIZED:
            raise DimensionError(f"mask: {value!r} needs a size, {_SIZED[value]}. "
                                 + _MASK_HELP)
        raise DimensionError(f"mask: unknown kind {value!r}. " + _MASK_HELP)
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], str):
        kind, size = value
        if kind not in _SIZED:
            raise DimensionError(f"mask: unknown kind {kind!r} with a size. " + _MASK_HELP)
        try:
            return kind, as_expr(size, where=f"mask {kind}", allow_zero=kind == "prefix")
        except DimensionError as exc:  # the size's own complaint, and what to give instead
            least = "0 or more" if kind == "prefix" else "1 or more"
            raise DimensionError(f"{exc} The {kind} mask's size is {_SIZED[kind]}: give "
                                 f"{least}, e.g. mask=('{kind}', 4096).") from None
    raise DimensionError(f"mask: expected a kind or (kind, size), given {value!r}. "
                         + _MASK_HELP)


def _mask_to_json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [value[0], dim_to_json(value[1])]
    return value


_SIZE_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 0},
                          {"type": "string", "maxLength": MAX_EXPR_LENGTH}]}

#: An attention mask: ``"none"``, ``"causal"``, ``("prefix", P)``, ``("sliding", W)`` or
#: ``("chunked", C)`` (a list of two in JSON).
Mask = Annotated[
    Any,
    PlainValidator(_parse_mask),
    PlainSerializer(_mask_to_json, when_used="always"),
    WithJsonSchema({"anyOf": [
        {"enum": ["none", "causal"]},
        {"type": "array", "prefixItems": [{"enum": ["prefix", "sliding", "chunked"]},
                                          _SIZE_SCHEMA], "minItems": 2, "maxItems": 2}]}),
]


def mask_text(mask: str | tuple[str, sympy.Expr]) -> str:
    """A mask as shown in reports: ``causal``, ``sliding(4096)``."""
    return mask if isinstance(mask, str) else f"{mask[0]}({mask[1]})"


def keys_for(mask: str | tuple[str, sympy.Expr], T: sympy.Expr) -> sympy.Expr:
    """The key length a self-attention with ``mask`` sees: T, or P + T after a prefix."""
    return T + mask[1] if isinstance(mask, tuple) and mask[0] == "prefix" else T


def kept_pairs(mask: str | tuple[str, sympy.Expr], T: sympy.Expr, S: sympy.Expr, *,
               where: str = "attention") -> tuple[sympy.Expr, list[Constraint]]:
    """(query, key) pairs one head scores under ``mask``, for T queries and S keys (exact
    closed forms, the module's table), and the conditions they rely on.

    >>> import symcost as sc
    >>> T, W = sc.dims("T W")
    >>> kept_pairs("causal", T, T)[0]
    T*(T + 1)/2
    >>> kept_pairs(("sliding", 4096), 8192, 8192)[0], 8192 * 4096 - 4096**2 // 2
    (25167872, 25165824)
    """
    if mask == "none":
        return T * S, []
    # "causal" has no size (0 is never read): a plain expression keeps the types exact
    kind, size = (mask, sympy.Integer(0)) if isinstance(mask, str) else mask
    constraints: list[Constraint] = []
    if kind != "causal":
        constraints += size_conditions(size, where=where, field="mask",
                                       lower=0 if kind == "prefix" else 1)
    expected = T + size if kind == "prefix" else T
    constraints += require(
        sympy.Eq(S, expected), where=where, field="mask", value=lambda: mask_text(mask),
        message=lambda: (f"a {kind} mask needs {'P + T' if kind == 'prefix' else 'as many'} "
                         f"keys {'as queries ' if kind != 'prefix' else ''}({expected}), but "
                         f"the keys number {S}. Use mask='none' for cross-attention"),
        error=ShapeMismatchError)
    if kind == "causal":
        return T * (T + 1) / 2, constraints
    if kind == "prefix":
        return T * size + T * (T + 1) / 2, constraints
    if kind == "sliding":
        m = sympy.Min(T, size)
        return m * (m + 1) / 2 + (T - m) * size, constraints
    n = sympy.floor(T / size)
    r = T - n * size
    return n * size * (size + 1) / 2 + r * (r + 1) / 2, constraints


def attention_census(kind: str, *, batch: sympy.Expr, heads: sympy.Expr,
                     kv_heads: sympy.Expr, T: sympy.Expr, S: sympy.Expr,
                     head_dim: sympy.Expr, value_dim: sympy.Expr, pairs: sympy.Expr,
                     mask: Any, scale: bool, fused: bool, position_bias: bool = False,
                     inputs: sympy.Expr | None = None) -> Census:
    """The census of softmax(scale·QKᵀ [+ bias])·V over the kept ``pairs`` per head.

    Per head and batch element: one dot product of length ``head_dim`` per kept pair
    (scores), a multiply per pair (scale), the row softmax over each query's kept keys
    (an exponential and a division per pair, one add fewer than pairs per query), and one
    dot product per query and value feature over its kept keys (pairs·value_dim MACs).
    ``attrs`` hold the dense figures (every pair scored) for conventions: ``dense_pairs``
    T·S, ``dense_mac``.
    """
    rows = batch * heads
    kept, dense = rows * pairs, rows * T * S
    queries = rows * T
    ops = OpCounts(mac=kept * (head_dim + value_dim), dot=kept + queries * value_dim,
                   mul=kept if scale else 0, add=kept - queries + (kept if position_bias else 0),
                   exp=kept, div=kept)
    outputs = queries * value_dim
    if inputs is None:
        inputs = queries * head_dim + batch * kv_heads * S * (head_dim + value_dim)
    attrs = {"heads": heads, "kv_heads": kv_heads, "head_dim": head_dim,
             "value_dim": value_dim, "queries": T, "keys": S, "batch": batch,
             "mask": mask_text(mask), "causal": mask != "none", "pairs": pairs,
             "dense_pairs": T * S, "kept_pairs": kept, "all_pairs": dense,
             "dense_mac": dense * (head_dim + value_dim), "scale": scale, "fused": fused,
             "position_bias": position_bias,
             # the window a sliding/chunked mask keeps, for KV-cache sizes (symcost.memory)
             "window": mask[1] if isinstance(mask, tuple) and mask[0] != "prefix" else None}
    return Census(kind=kind, ops=ops, inputs=inputs, outputs=outputs, attrs=attrs,
                  family="sdpa")


class ScaledDotProductAttention(Merge):
    """``torch.nn.functional.scaled_dot_product_attention(q, k, v, ...)`` as a merge of
    three inputs: q (…, H, T, Dh), k (…, G, S, Dh), v (…, G, S, Dv) give (…, H, T, Dv).

    ``H`` query heads share ``G`` key/value heads (grouped-query attention, torch's
    ``enable_gqa=True``; G = 1 is multi-query attention): G must divide H. The census is
    :func:`attention_census` over the pairs the ``mask`` keeps (:func:`kept_pairs`).

    >>> import symcost as sc
    >>> B, H, T, Dh = sc.dims("B H T Dh")
    >>> q = sc.Shape(N=B, heads=H, L=T, head_dim=Dh)
    >>> out, census, _ = sc.ScaledDotProductAttention(mask="causal").combine([q, q, q], "sdpa")
    >>> out, census.ops.mac
    (Shape(N=B, heads=H, L=T, head_dim=Dh), B*Dh*H*T*(T + 1))
    """

    kind: Literal["sdpa"] = "sdpa"
    family: ClassVar[str] = "sdpa"
    mask: Mask = "none"
    """Which pairs are scored: ``"none"``, ``"causal"``, ``("prefix", P)``,
    ``("sliding", W)``, ``("chunked", C)``."""
    enable_gqa: bool = False
    """Let G key/value heads serve H query heads (G divides H), as torch's flag."""
    scale: bool = True
    """Whether scores are scaled (by 1/√Dh); T5 folds the scale into its weights."""

    def combine(self, shapes, where):
        if len(shapes) != 3:
            raise ShapeMismatchError(f"scaled dot-product attention takes three inputs (q, k, "
                                     f"v), got {len(shapes)}.", layer=where, field="inputs")
        q, k, v = shapes
        for label, s in (("q", q), ("k", k), ("v", v)):
            if s.rank < 3:
                raise ShapeMismatchError(
                    f"{label} must be (…, heads, length, features), got {s} (rank {s.rank}).",
                    layer=where, field="inputs", value=str(s))
        H, T, Dh = q.sizes[-3:]
        G, S, Dk = k.sizes[-3:]
        Gv, Sv, Dv = v.sizes[-3:]
        constraints = []
        for cond, label, text in ((sympy.Eq(Dh, Dk), "k", "q and k must have the same "
                                   "feature size (the last axis)"),
                                  (sympy.Eq(S, Sv), "v", "k and v must have the same length"),
                                  (sympy.Eq(G, Gv), "v", "k and v must have the same number "
                                   "of heads")):
            constraints += require(cond, where=where, field="inputs", value=f"{label}",
                                   message=text, error=ShapeMismatchError)
        constraints += _heads_divide(H, G, where, gqa=self.enable_gqa)
        pairs, more = kept_pairs(self.mask, T, S, where=where)
        batch = sympy.Mul(*q.sizes[:-3])
        census = attention_census(self.kind, batch=batch, heads=H, kv_heads=G, T=T, S=S,
                                  head_dim=Dh, value_dim=Dv, pairs=pairs, mask=self.mask,
                                  scale=self.scale, fused=True,
                                  inputs=q.elements + k.elements + v.elements)
        return q.with_size(-1, Dv), census, constraints + more


def _heads_divide(H, G, where: str, *, gqa: bool = True, field: str = "num_kv_heads"):
    if not gqa:
        return require(sympy.Eq(H, G), where=where, field="enable_gqa", value=f"{H} vs {G}",
                       message=(f"q has {H} heads and k/v {G}; set enable_gqa=True for "
                                "grouped-query attention"), error=ShapeMismatchError)
    return require(sympy.Eq(sympy.Mod(H, G), 0), where=where, field=field,
                   value=f"{G} (heads {H})",
                   message=(f"{G} key/value heads do not divide {H} query heads; each "
                            "key/value head serves a whole group of query heads. Use a "
                            "divisor of the head count"), error=SpecError)


class MultiheadAttention(Layer):
    """Multi-head attention on a sequence (…, T, embed_dim), reported in parts:
    ``q_proj``, ``k_proj``, ``v_proj`` (Linear), ``rotary`` (when ``rotary``), ``attention``
    (the scaled dot-product core, :func:`attention_census`) and ``out_proj``.

    ``num_kv_heads`` G < ``num_heads`` H is grouped-query attention (G = 1 multi-query): the
    k and v projections give G·head_dim features. ``head_dim`` defaults to
    embed_dim / num_heads (which must then divide). ``kv_length`` S makes it
    cross-attention: keys and values come from another sequence (…, S, ``kdim``), e.g. an
    encoder's output; with ``mask=("prefix", P)`` the keys are the P cached positions and
    the T new ones (only the new ones are projected).

    params = embed_dim·H·Dh + 2·kdim·G·Dh + H·Dh·embed_dim (+ biases H·Dh + 2·G·Dh +
    embed_dim).

    >>> import symcost as sc
    >>> B, T, d = sc.dims("B T d")
    >>> mha = sc.MultiheadAttention(embed_dim=d, num_heads=4, bias=False, mask="causal")
    >>> cost = mha.cost(sc.Shape(N=B, L=T, D=d), "macs")
    >>> cost.params, cost.macs.factor()
    (4*d**2, B*T*d*(T + 4*d + 1))
    """

    kind: Literal["multihead_attention"] = "multihead_attention"
    family: ClassVar[str] = "sdpa"
    composite: ClassVar[bool] = True
    keeps_shape: ClassVar[bool] = True
    ranks: ClassVar[tuple[int, ...] | None] = None
    embed_dim: Dim
    """Model width d of the queries' input (and of the output)."""
    num_heads: Dim
    """Query heads H."""
    num_kv_heads: Dim | None = None
    """Key/value heads G (grouped-query attention); None: as many as query heads."""
    head_dim: Dim | None = None
    """Features per head; None: embed_dim / num_heads."""
    bias: bool = True
    """Biases on the four projections (GPT-2, BERT, ViT: True; LLaMA: False)."""
    out_bias: bool | None = None
    """Bias of the output projection when it differs from ``bias``; None: as ``bias``."""
    mask: Mask = "none"
    """Which pairs are scored (the module's table)."""
    kv_length: Dim | None = None
    """Keys' length S for cross-attention (another sequence); None: self-attention."""
    kdim: Dim | None = None
    """Features of the sequence keys and values are projected from; None: embed_dim."""
    rotary: bool = False
    """Rotary position embedding applied to q and k (LLaMA, Mistral)."""
    scale: bool = True
    """Whether scores are scaled by 1/√head_dim (T5: False)."""
    position_bias: bool = False
    """A bias added to every scored pair (T5's relative position bias)."""
    fused: bool = False
    """Whether the core runs as one fused kernel (``F.scaled_dot_product_attention``, as
    ``torch.nn.MultiheadAttention`` does) rather than eager matmuls and softmax (Hugging
    Face's ``attn_implementation="eager"``): the work is the same; tools that see no fused
    kernel (fvcore, calflops) price it 0."""

    def _sizes(self):
        H = self.num_heads
        G = self.num_kv_heads if self.num_kv_heads is not None else H
        Dh = self.head_dim if self.head_dim is not None else self.embed_dim / H
        return H, G, Dh

    def _where_ok(self, where: str) -> list[Constraint]:
        H, G, _ = self._sizes()
        constraints = []
        if self.head_dim is None:
            constraints += require(
                sympy.Eq(sympy.Mod(self.embed_dim, H), 0), where=where, field="num_heads",
                value=f"{H} (embed_dim {self.embed_dim})",
                message=(f"{H} heads do not divide embed_dim={self.embed_dim}; give a head "
                         "count that divides the width, or head_dim explicitly"))
        if self.num_kv_heads is not None:
            constraints += _heads_divide(H, G, where)
        if self.rotary:
            constraints += require(
                sympy.Eq(sympy.Mod(self._sizes()[2], 2), 0), where=where, field="rotary",
                value=lambda: f"head_dim {self._sizes()[2]}",
                message=lambda: (f"rotary embedding turns features in pairs, but a head has "
                                 f"{self._sizes()[2]} features; give an even head_dim (or "
                                 "embed_dim/num_heads), or rotary=False"))
        if self.kv_length is not None and self.mask != "none":
            raise SpecError(f"cross-attention (kv_length={self.kv_length}) takes mask='none'"
                            f", not {mask_text(self.mask)}: its keys come from another "
                            "sequence.", layer=where, field="mask", value=mask_text(self.mask))
        return constraints

    def parts(self) -> list[tuple[str, Layer]]:
        H, G, Dh = self._sizes()
        d = self.embed_dim
        kdim = self.kdim if self.kdim is not None else d
        out_bias = self.bias if self.out_bias is None else self.out_bias
        return [("q_proj", Linear(in_features=d, out_features=H * Dh, bias=self.bias)),
                ("k_proj", Linear(in_features=kdim, out_features=G * Dh, bias=self.bias)),
                ("v_proj", Linear(in_features=kdim, out_features=G * Dh, bias=self.bias)),
                ("out_proj", Linear(in_features=H * Dh, out_features=d, bias=out_bias))]

    def node(self, shape: Shape, path: str = "") -> Node:
        if not isinstance(shape, Shape):
            return super().node(shape, path)
        where = where_of(path, self.kind)
        if shape.rank < 3:
            raise ShapeMismatchError(
                f"takes a sequence (…, T, embed_dim), got {shape} (rank {shape.rank}). Give "
                "the input as sc.Shape(N=B, L=T, D=d).", layer=where)
        constraints = self.size_constraints(where) + self._where_ok(where)
        H, G, Dh = self._sizes()
        T = shape.sizes[-2]
        kdim = self.kdim if self.kdim is not None else self.embed_dim
        if self.kv_length is not None:
            S = self.kv_length
            source = shape.with_size(-2, S).with_size(-1, kdim)
        else:
            S = keys_for(self.mask, T)
            source = shape.with_size(-1, kdim)
        parts = dict(self.parts())

        def child(label: str, layer: Layer, given: Shape) -> Node:
            return layer.node(given, f"{path}.{label}" if path else label)

        q = child("q_proj", parts["q_proj"], shape)
        k = child("k_proj", parts["k_proj"], source)
        v = child("v_proj", parts["v_proj"], source)
        children = [q, k, v]
        core_path = f"{path}.attention" if path else "attention"
        batch = sympy.Mul(*shape.sizes[:-2])
        if self.rotary:
            # q has T rows; k has as many rows as were projected: S of another sequence
            # for cross-attention, else the T new ones (a prefix's cache is already rotated)
            elements = batch * (T * H + source.sizes[-2] * G) * Dh
            # the census of RotaryEmbedding on q and k (one kind, one census)
            rot = Census(kind="rotary_embedding", ops=rotary_ops(elements), inputs=elements,
                         outputs=elements, attrs={"rotary_dim": Dh}, family="elementwise")
            rot_path = f"{path}.rotary" if path else "rotary"
            children.append(Node(rot_path, "rotary_embedding", q.output, q.output, census=rot))
        pairs, more = kept_pairs(self.mask, T, S, where=where_of(core_path, "attention"))
        constraints += more
        census = attention_census("attention", batch=batch, heads=H, kv_heads=G, T=T, S=S,
                                  head_dim=Dh, value_dim=Dh, pairs=pairs, mask=self.mask,
                                  scale=self.scale, fused=self.fused,
                                  position_bias=self.position_bias,
                                  inputs=batch * (H * T + 2 * G * S) * Dh)
        heads_out = shape.with_size(-1, H * Dh)
        children.append(Node(core_path, "attention", q.output, heads_out,
                             census=with_family(census, "sdpa")))
        out = child("out_proj", parts["out_proj"], heads_out)
        children.append(out)
        return Node(path, self.kind, shape, out.output, children=children, composite=True,
                    constraints=constraints)
