"""Merges: how the branches of a ``Residual`` or ``Parallel`` block combine.

``Add`` and ``Mul`` broadcast as torch does (an axis of size 1 stretches; squeeze-and-
excitation multiplies N×C×H×W by N×C×1×1; axes align from the right, so a sequence
N×L×D adds a positional table L×D); ``Concat`` joins along channels (or ``dim``). A merge of k
inputs into E output elements costs (k − 1)·E additions (``Add``) or multiplications
(``Mul``); concatenation moves data and costs no arithmetic.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy

from ..checks import Constraint, require
from ..counts import OpCounts
from ..errors import ShapeMismatchError
from ..shapes import Shape
from .base import Census, Spec

__all__ = ["Add", "Mul", "Concat", "MatMul", "Merge"]


class Merge(Spec):
    """Base of the merge specs: combine several input shapes into one."""

    #: The operation family (:data:`~symcost.counts.FAMILIES`) that conventions price.
    family: ClassVar[str] = ""

    def combine(self, shapes: list[Shape], where: str) -> tuple[Shape, Census,
                                                                 list[Constraint]]:
        raise NotImplementedError


def _broadcast(shapes: list[Shape], where: str) -> tuple[Shape, list[Constraint]]:
    """torch's broadcasting: axes align from the right, a size 1 stretches, a missing
    leading axis counts as 1. The result takes the names of the longest input."""
    rank = max(s.rank for s in shapes)
    longest = next(s for s in shapes if s.rank == rank)
    sizes = list(longest.sizes)
    constraints: list[Constraint] = []
    for other in shapes:
        offset = rank - other.rank
        for j, b in enumerate(other.sizes):
            i = offset + j
            a = sizes[i]
            if a == b or b == 1:
                continue
            if a == 1:
                sizes[i] = b
                continue
            name = longest.names[i]
            constraints += require(sympy.Eq(a, b), where=where, field=name,
                                   value=f"{a} vs {b}",
                                   message=(f"branch sizes along {name} differ and neither is "
                                            "1, so they do not broadcast. Make the branches "
                                            "agree (e.g. a projection shortcut)"),
                                   error=ShapeMismatchError)
    return Shape._make(longest.names, tuple(sizes)), constraints


class Add(Merge):
    """Element-wise sum of the branches (with broadcasting)."""

    kind: Literal["add"] = "add"
    family: ClassVar[str] = "elementwise"

    def combine(self, shapes, where):
        out, constraints = _broadcast(shapes, where)
        e = out.elements
        return out, Census(kind=self.kind, ops=OpCounts(add=(len(shapes) - 1) * e),
                           inputs=sympy.Add(*(s.elements for s in shapes)),
                           outputs=e), constraints


class Mul(Merge):
    """Element-wise product of the branches (with broadcasting), e.g. squeeze-and-excitation
    gating."""

    kind: Literal["mul"] = "mul"
    family: ClassVar[str] = "elementwise"

    def combine(self, shapes, where):
        out, constraints = _broadcast(shapes, where)
        e = out.elements
        return out, Census(kind=self.kind, ops=OpCounts(mul=(len(shapes) - 1) * e),
                           inputs=sympy.Add(*(s.elements for s in shapes)),
                           outputs=e), constraints


class Concat(Merge):
    """Concatenation along an axis (``dim``, channels by default); the other axes must
    agree. No arithmetic."""

    kind: Literal["concat"] = "concat"
    family: ClassVar[str] = "move"
    dim: int = 1
    """The axis joined (1: channels; −1: the last)."""

    def combine(self, shapes, where):
        first = shapes[0]
        axis = first.position(self.dim, where=where)
        constraints: list[Constraint] = []
        for other in shapes[1:]:
            if other.rank != first.rank:
                raise ShapeMismatchError(f"cannot concatenate {first} with {other}: the ranks "
                                         "differ. Flatten both, or neither.", layer=where)
            for i, (name, a, b) in enumerate(zip(first.names, first.sizes, other.sizes)):
                if i == axis:
                    continue
                constraints += require(
                    sympy.Eq(a, b), where=where, field=name,
                    value=lambda a=a, b=b: f"{a} vs {b}",
                    message=f"concatenated branches must agree along {name}",
                    error=ShapeMismatchError)
        out = first.with_size(axis, sympy.Add(*(s[axis] for s in shapes)))
        e = out.elements
        return out, Census(kind=self.kind, ops=OpCounts(), inputs=e, outputs=e), constraints


class MatMul(Merge):
    """Matrix product of two inputs, as ``torch.matmul``: the last two axes are the
    matrices, the leading axes broadcast (a rank-2 input is one matrix).

    A (…, m, k) @ B (…, k, n) gives (…, m, n): m·n dot products of length k per batch
    element, MACs = outputs·k. Family ``mm`` for two matrices, ``bmm`` for batches (attention
    scores, bilinear pooling). Used by graphs; a ``Parallel`` does not use it.

    >>> import symcost as sc
    >>> L, d = sc.dims("L d")
    >>> q, kt = sc.Shape(N=2, C=4, H=L, W=d), sc.Shape(N=2, C=4, H=d, W=L)
    >>> out, census, _ = sc.MatMul().combine([q, kt], "scores")
    >>> out, census.ops.mac, census.family
    (Shape(N=2, C=4, H=L, W=L), 8*L**2*d, 'bmm')
    """

    kind: Literal["matmul"] = "matmul"
    family: ClassVar[str] = "bmm"

    def combine(self, shapes, where):
        if len(shapes) != 2:
            raise ShapeMismatchError(f"matmul takes two inputs, got {len(shapes)}.",
                                     layer=where)
        a, b = shapes
        m, k = a.sizes[-2:]
        kb, n = b.sizes[-2:]
        batch, constraints = _broadcast([Shape._make(a.names[:-2] or ("N",),
                                                     a.sizes[:-2] or (sympy.Integer(1),)),
                                         Shape._make(b.names[:-2] or ("N",),
                                                     b.sizes[:-2] or (sympy.Integer(1),))],
                                        where) if a.rank > 2 or b.rank > 2 else (None, [])
        if batch is None:
            out = Shape._make(a.names, (m, n))
        else:
            names = (*batch.names, *a.names[-2:]) if a.rank >= b.rank else \
                (*batch.names, *b.names[-2:])
            out = Shape._make(tuple(names), (*batch.sizes, m, n))
        constraints += require(sympy.Eq(k, kb), where=where, field="inputs",
                               value=f"{a} @ {b}",
                               message=(f"inner sizes differ ({k} vs {kb}); the last axis of "
                                        "the first input must equal the second-to-last of "
                                        "the second"), error=ShapeMismatchError)
        e = out.elements
        family = "mm" if a.rank == 2 and b.rank == 2 else "bmm"
        return out, Census(kind=self.kind, ops=OpCounts(mac=e * k, dot=e),
                           inputs=a.elements + b.elements, outputs=e,
                           attrs={"inner": k}, family=family), constraints
