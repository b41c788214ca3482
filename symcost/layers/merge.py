"""Merges: how the branches of a ``Residual`` or ``Parallel`` block combine.

``Add`` and ``Mul`` broadcast as torch does (an axis of size 1 stretches; squeeze-and-
excitation multiplies N×C×H×W by N×C×1×1); ``Concat`` joins along channels. A merge of k
inputs into E output elements costs (k − 1)·E additions (``Add``) or multiplications
(``Mul``); concatenation moves data and costs no arithmetic.
"""

from __future__ import annotations

from typing import Literal

import sympy

from ..checks import Constraint, require
from ..counts import OpCounts
from ..errors import ShapeMismatchError
from ..shapes import Shape
from .base import Census, Spec

__all__ = ["Add", "Mul", "Concat", "MatMul", "Merge"]


class Merge(Spec):
    """Base of the merge specs: combine several input shapes into one."""

    def combine(self, shapes: list[Shape], where: str) -> tuple[Shape, Census,
                                                                 list[Constraint]]:
        raise NotImplementedError


def _broadcast(shapes: list[Shape], where: str) -> tuple[Shape, list[Constraint]]:
    first = shapes[0]
    if any(s.is_map != first.is_map for s in shapes):
        raise ShapeMismatchError("cannot combine a feature map with a vector: "
                                 + ", ".join(str(s) for s in shapes) + ". Flatten both, or "
                                 "neither.", layer=where)
    axes = dict(first.axes())
    constraints: list[Constraint] = []
    for other in shapes[1:]:
        for name, b in other.axes().items():
            a = axes[name]
            if a == b or b == 1:
                continue
            if a == 1:
                axes[name] = b
                continue
            constraints += require(sympy.Eq(a, b), where=where, field=name,
                                   value=f"{a} vs {b}",
                                   message=(f"branch sizes along {name} differ and neither is "
                                            "1, so they do not broadcast. Make the branches "
                                            "agree (e.g. a projection shortcut)"),
                                   error=ShapeMismatchError)
    return Shape.model_construct(**{"N": axes["N"], "C": axes["C"], "H": axes.get("H"),
                                    "W": axes.get("W")}), constraints


class Add(Merge):
    """Element-wise sum of the branches (with broadcasting)."""

    kind: Literal["add"] = "add"

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

    def combine(self, shapes, where):
        out, constraints = _broadcast(shapes, where)
        e = out.elements
        return out, Census(kind=self.kind, ops=OpCounts(mul=(len(shapes) - 1) * e),
                           inputs=sympy.Add(*(s.elements for s in shapes)),
                           outputs=e), constraints


class Concat(Merge):
    """Concatenation along channels; the other axes must agree. No arithmetic."""

    kind: Literal["concat"] = "concat"

    def combine(self, shapes, where):
        first = shapes[0]
        constraints: list[Constraint] = []
        for other in shapes[1:]:
            for name in ("N", "H", "W"):
                a, b = getattr(first, name), getattr(other, name)
                if (a is None) != (b is None):
                    raise ShapeMismatchError("cannot concatenate a feature map with a vector. "
                                             "Flatten both, or neither.", layer=where)
                if a is not None:
                    constraints += require(
                        sympy.Eq(a, b), where=where, field=name,
                        value=lambda a=a, b=b: f"{a} vs {b}",
                        message=f"concatenated branches must agree along {name}",
                        error=ShapeMismatchError)
        out = first.replace(C=sympy.Add(*(s.C for s in shapes)))
        e = out.elements
        return out, Census(kind=self.kind, ops=OpCounts(), inputs=e, outputs=e), constraints


class MatMul(Merge):
    """Matrix product of two inputs, as ``torch.matmul``: the last two axes are the
    matrices (H×W of a feature map, N×C of a vector), the leading axes broadcast.

    A (…, m, k) @ B (…, k, n) gives (…, m, n): m·n dot products of length k per batch
    element, MACs = outputs·k. Used by imported graphs (attention scores, bilinear
    pooling); a ``Parallel`` does not use it.

    >>> import symcost as sc
    >>> L, d = sc.dims("L d")
    >>> q, kt = sc.Shape(N=2, C=4, H=L, W=d), sc.Shape(N=2, C=4, H=d, W=L)
    >>> out, census, _ = sc.MatMul().combine([q, kt], "scores")
    >>> out, census.ops.mac
    (Shape(N=2, C=4, H=L, W=L), 8*L**2*d)
    """

    kind: Literal["matmul"] = "matmul"

    def combine(self, shapes, where):
        if len(shapes) != 2:
            raise ShapeMismatchError(f"matmul takes two inputs, got {len(shapes)}.",
                                     layer=where)
        a, b = shapes
        if a.is_map != b.is_map:
            raise ShapeMismatchError(f"cannot multiply {a} by {b}: symcost multiplies two "
                                     "feature maps (batched matrices) or two vectors "
                                     "(matrices).", layer=where)
        if a.is_map:
            k, kb, m, n = a.W, b.H, a.H, b.W
            batch, constraints = _broadcast([a.replace(H=1, W=1), b.replace(H=1, W=1)],
                                            where)
            out = batch.replace(H=m, W=n)
        else:
            k, kb, m, n = a.C, b.N, a.N, b.C
            constraints = []
            out = Shape.model_construct(N=m, C=n, H=None, W=None)
        constraints += require(sympy.Eq(k, kb), where=where, field="inputs",
                               value=f"{a} @ {b}",
                               message=(f"inner sizes differ ({k} vs {kb}); the last axis of "
                                        "the first input must equal the second-to-last of "
                                        "the second"), error=ShapeMismatchError)
        e = out.elements
        return out, Census(kind=self.kind, ops=OpCounts(mac=e * k, dot=e),
                           inputs=a.elements + b.elements, outputs=e,
                           attrs={"inner": k}), constraints
