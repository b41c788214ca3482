"""Embeddings: token lookups, learned positions and rotary position embedding."""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy

from ..checks import require
from ..counts import OpCounts
from ..dims import Dim
from ..errors import ShapeMismatchError
from .base import Census, Layer, match_channels

__all__ = ["Embedding", "PositionalEmbedding", "RotaryEmbedding", "rotary_ops"]


def rotary_ops(elements: sympy.Expr) -> OpCounts:
    """The census of rotating ``elements`` values (pairs (x₁, x₂) by the angle of their
    position): x₁·cos − x₂·sin and x₁·sin + x₂·cos, i.e. per element 2 multiplies and 1
    add (a subtraction for half of them). The cos/sin tables are computed once per length
    and are not counted here."""
    return OpCounts(mul=2 * elements, add=elements)


def _fresh_axis(names: tuple[str, ...]) -> str:
    """The name of the axis an embedding appends: D, else E, else D2, D3, … (a shape's
    axis names are distinct: embedding ids that are themselves embeddings stays valid)."""
    for name in ("D", "E", *(f"D{i}" for i in range(2, len(names) + 3))):
        if name not in names:
            return name
    raise AssertionError("unreachable: more candidate names than axes")  # pragma: no cover


class Embedding(Layer):
    """A lookup table, as ``torch.nn.Embedding``: ids (…) of any leading shape give
    vectors (…, embedding_dim). A lookup copies rows; it does no arithmetic (census empty,
    family ``embedding``; conventions that price it as a matmul, as Chinchilla does, read
    ``attrs["lookups"]``).

    params = num_embeddings·embedding_dim.

    >>> import symcost as sc
    >>> B, T = sc.dims("B T")
    >>> wte = sc.Embedding(num_embeddings=50257, embedding_dim=768)
    >>> wte.output_shape(sc.Shape(N=B, L=T)), wte.cost(sc.Shape(N=B, L=T)).params
    (Shape(N=B, L=T, D=768), 38597376)
    """

    kind: Literal["embedding"] = "embedding"
    family: ClassVar[str] = "embedding"
    num_embeddings: Dim
    """Rows of the table (the vocabulary V)."""
    embedding_dim: Dim
    """Width d of each row."""

    def infer(self, shape, where):
        lookups = shape.elements
        out = shape._make((*shape.names, _fresh_axis(shape.names)),
                          (*shape.sizes, self.embedding_dim))
        census = Census(kind=self.kind, ops=OpCounts(), inputs=lookups,
                        outputs=lookups * self.embedding_dim,
                        params=self.num_embeddings * self.embedding_dim,
                        attrs={"lookups": lookups, "table": self.num_embeddings,
                               "width": self.embedding_dim})
        return out, census, []


class PositionalEmbedding(Layer):
    """Learned absolute positions (GPT-2's ``wpe``, BERT's ``position_embeddings``, ViT's
    ``pos_embedding``): row t of a table of ``num_positions`` rows is added to position t of
    a sequence (…, T, embedding_dim). One add per element; T must not exceed the table.

    params = num_positions·embedding_dim.
    """

    kind: Literal["positional_embedding"] = "positional_embedding"
    family: ClassVar[str] = "embedding"
    keeps_shape: ClassVar[bool] = True
    num_positions: Dim
    """Rows of the table: the longest sequence the model takes."""
    embedding_dim: Dim
    """Width d."""

    def infer(self, shape, where):
        if shape.rank < 3:
            raise ShapeMismatchError(f"takes a sequence (…, T, d), got {shape} (rank "
                                     f"{shape.rank}).", layer=where)
        T = shape.sizes[-2]
        constraints = match_channels(shape.last, self.embedding_dim, where=where,
                                     field="embedding_dim")
        constraints += require(
            sympy.Le(T, self.num_positions), where=where, field="num_positions",
            value=lambda: f"{self.num_positions}, sequence length {T}",
            message=lambda: (f"the sequence has {T} positions, more than the table's "
                             f"{self.num_positions}. Shorten the input or enlarge the table"),
            error=ShapeMismatchError)
        e = shape.elements
        census = Census(kind=self.kind, ops=OpCounts(add=e), inputs=e, outputs=e,
                        params=self.num_positions * self.embedding_dim,
                        attrs={"lookups": e / shape.last, "table": self.num_positions,
                               "width": self.embedding_dim})
        return shape, census, constraints


class RotaryEmbedding(Layer):
    """Rotary position embedding (RoPE, Su et al. 2021) applied to the last axis of a
    tensor (…, T, dim): the first ``rotary_dim`` features (all by default) are rotated
    pairwise by position-dependent angles, 2 multiplies and 1 add per rotated element
    (:func:`rotary_ops`). No parameters (the frequencies are a fixed buffer, not counted).
    :class:`~symcost.MultiheadAttention` applies it to q and k with ``rotary=True``.
    """

    kind: Literal["rotary_embedding"] = "rotary_embedding"
    family: ClassVar[str] = "elementwise"
    keeps_shape: ClassVar[bool] = True
    dim: Dim
    """Size of the last axis (the head dimension)."""
    rotary_dim: Dim | None = None
    """Features rotated (partial rotary, GPT-NeoX); None: all of them."""

    def infer(self, shape, where):
        constraints = match_channels(shape.last, self.dim, where=where, field="dim")
        rot = self.rotary_dim if self.rotary_dim is not None else self.dim
        if self.rotary_dim is not None:
            constraints += require(
                sympy.Le(rot, self.dim), where=where, field="rotary_dim",
                value=f"{rot} (dim {self.dim})",
                message=f"rotates {rot} features of {self.dim}; give at most dim")
        # rotated features come in pairs, also when all of them are (rotary_dim None)
        constraints += require(sympy.Eq(sympy.Mod(rot, 2), 0), where=where,
                               field="rotary_dim" if self.rotary_dim is not None else "dim",
                               value=rot, message="rotary features come in pairs; give an "
                               "even size, or rotary_dim=an even part of dim")
        elements = shape.elements / shape.last * rot
        e = shape.elements
        census = Census(kind=self.kind, ops=rotary_ops(elements), inputs=e, outputs=e,
                        attrs={"rotary_dim": rot})
        return shape, census, constraints
