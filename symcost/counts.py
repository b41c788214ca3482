"""The census: how many primitive operations of each kind a layer performs.

A layer counts, it never prices: turning a census into "MACs" or "FLOPs" is the job of a
:class:`~symcost.conventions.Convention`. The census is exact and convention-free, so one
network can be priced the way the seed article, torchvision, fvcore or torch would.

Entries (all counts for the whole batch):

``mac``   multiply-accumulates of dot products (conv, linear, matmul)
``dot``   number of dot products those MACs form (each of length n needs n - 1 adds)
``bias``  bias additions
``add``   other additions and subtractions
``mul``   other multiplications (negation and scaling included)
``div``   divisions
``cmp``   comparisons (max, ReLU, clamping)
``exp``   exponentials
``erf``   error-function evaluations (GELU)
``sqrt``  square roots
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import sympy

from .errors import CensusError

__all__ = ["OpCounts", "OPS", "FAMILIES"]

#: The census entries, in display order.
OPS: tuple[str, ...] = ("mac", "dot", "bias", "add", "mul", "div", "cmp", "exp", "erf", "sqrt")

#: Operation families: what a convention prices. Every layer kind declares one (on its class)
#: and every preset states a rule for each, so a new kind is never priced by accident.
FAMILIES: tuple[str, ...] = (
    "convolution",   # convolutions of any rank, grouped, depthwise, transposed
    "mm",            # matrix products: Linear, a matmul of two matrices
    "bmm",           # batched matrix products (attention scores, batched matmul)
    "sdpa",          # scaled dot-product attention as one fused operation
    "softmax",       # softmax along an axis
    "norm",          # batch, layer and RMS normalisation
    "pool",          # windowed, global and adaptive pooling
    "elementwise",   # activations, element-wise add/mul, learned scales
    "embedding",     # table lookups
    "move",          # views, permutations, concatenation, dropout at inference
    "resample",      # interpolation (upsampling)
    "custom",        # user formulas
)

_ZERO = sympy.Integer(0)


@dataclass(frozen=True, eq=False)
class OpCounts:
    """A census of primitive operations; every entry is an exact sympy expression.

    >>> from symcost import dims
    >>> C, H = dims("C H")
    >>> (OpCounts(cmp=C*H) + OpCounts(cmp=C, add=1)).nonzero()
    {'add': 1, 'cmp': C*H + C}
    """

    mac: sympy.Expr = _ZERO
    dot: sympy.Expr = _ZERO
    bias: sympy.Expr = _ZERO
    add: sympy.Expr = _ZERO
    mul: sympy.Expr = _ZERO
    div: sympy.Expr = _ZERO
    cmp: sympy.Expr = _ZERO
    exp: sympy.Expr = _ZERO
    erf: sympy.Expr = _ZERO
    sqrt: sympy.Expr = _ZERO

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, sympy.Basic):
                object.__setattr__(self, f.name, sympy.sympify(value, strict=True))

    @classmethod
    def from_mapping(cls, values: Mapping[str, sympy.Expr]) -> OpCounts:
        """Build from a mapping of entry names (an unknown name raises
        :class:`~symcost.errors.CensusError`, a ``KeyError``, with the nearest entry)."""
        unknown = sorted(set(values) - set(OPS))
        if unknown:
            raise CensusError(unknown[0], OPS)
        return cls(**values)

    def items(self) -> list[tuple[str, sympy.Expr]]:
        """All entries in display order."""
        return [(name, getattr(self, name)) for name in OPS]

    def nonzero(self) -> dict[str, sympy.Expr]:
        """The entries that are not identically zero."""
        return {name: value for name, value in self.items() if value != 0}

    def __add__(self, other: OpCounts) -> OpCounts:
        if not isinstance(other, OpCounts):
            return NotImplemented
        return OpCounts(**{n: a + getattr(other, n) for n, a in self.items()})

    def scale(self, factor: sympy.Expr) -> OpCounts:
        """Every entry multiplied by ``factor``."""
        return OpCounts(**{n: a * factor for n, a in self.items()})

    def map(self, fn) -> OpCounts:
        """Apply ``fn`` to every entry (used by subs, evaluate, simplify)."""
        return OpCounts(**{n: fn(a) for n, a in self.items()})

    @staticmethod
    def total(counts: list[OpCounts]) -> OpCounts:
        """Sum of many censuses, built in one pass (faster than repeated ``+``)."""
        return OpCounts(**{n: sympy.Add(*(getattr(c, n) for c in counts)) for n in OPS})

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.nonzero().items())
        return f"OpCounts({inner})"
