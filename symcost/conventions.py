"""Conventions: named, immutable rules that price a census into MACs and FLOPs.

Layers count primitive operations (:mod:`symcost.counts`); a convention decides what those
operations are worth. It knows nothing of a layer beyond its ``kind`` and its census (plus
the numbers of input and output elements), which is what lets one network reproduce the
figures of the seed article, of torchvision, or of a peer tool.

A :class:`Pricing` is a linear rule: a weight per census entry, and per layer kind an
override. Terms are the census entries (:data:`~symcost.counts.OPS`) and ``inputs`` /
``outputs`` (element counts of the layer's input and output); an override may also be a
function of the census for rules that are not linear.

Presets (look them up with :func:`get_convention`):

``seed``   the founding article: MACCs for conv, depthwise, pointwise, transposed conv and
           FC; FLOPs for the rest — ReLU/ReLU6/LeakyReLU/PReLU/ELU one per element, sigmoid
           four, windowed pooling K·K per output, global pooling one per input; BatchNorm free
           (folded into the previous layer at inference); bias ignored. ``flops`` is the
           article's per-network sum of those per-layer figures.
``macs``   multiply-accumulates of conv/linear/matmul only, as MobileNet's "Mult-Adds" and
           torchvision's "GFLOPS" count; everything else is free. ``flops`` = 2 × MACs.
``flops``  every arithmetic operation: a dot product of length n is n multiplies and n − 1
           adds, a bias one more add, plus every element-wise op of the census (BatchNorm at
           inference: one multiply and one add per element).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import sympy

from .counts import OPS
from .errors import UnknownConventionError

if TYPE_CHECKING:
    from .cost import Cost
    from .layers.base import Census

__all__ = ["Convention", "Pricing", "get_convention", "convention_names", "SEED", "MACS",
           "FLOPS", "TERMS"]

#: Terms a linear rule may weight.
TERMS: tuple[str, ...] = OPS + ("inputs", "outputs")

Rule = Mapping[str, int] | Callable[["Census"], sympy.Expr]


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Pricing:
    """How one figure (MACs or FLOPs) is priced from a census.

    ``default`` weights census terms for every kind without an override; ``per_kind``
    maps a layer kind to its own weights (an empty mapping makes the kind free) or to a
    function of the census.
    """

    default: Mapping[str, int]
    per_kind: Mapping[str, Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rule in [self.default, *self.per_kind.values()]:
            if not callable(rule):
                bad = set(rule) - set(TERMS)
                if bad:
                    raise ValueError(f"Pricing: unknown terms {sorted(bad)}; use {TERMS}")
        object.__setattr__(self, "default", _frozen(self.default))
        object.__setattr__(self, "per_kind", _frozen(self.per_kind))

    def rule_for(self, kind: str) -> Rule:
        """The rule that prices ``kind``."""
        return self.per_kind.get(kind, self.default)

    def price(self, census: Census) -> sympy.Expr:
        """The priced figure of one layer's census."""
        rule = self.rule_for(census.kind)
        if callable(rule):
            return sympy.sympify(rule(census))
        terms = [weight * census.term(term) for term, weight in rule.items() if weight]
        terms = [t for t in terms if t != 0]
        if len(terms) < 2:
            return terms[0] if terms else sympy.Integer(0)
        # several terms often cancel (n − 1 adds + 1 divide = n): expand to show it
        return sympy.expand(sympy.Add(*terms))


@dataclass(frozen=True)
class Convention:
    """A named counting convention. Immutable; presets are module constants.

    >>> get_convention("seed").name
    'seed'
    """

    name: str
    summary: str
    macs: Pricing
    flops: Pricing

    def __repr__(self) -> str:
        return f"Convention({self.name!r})"

    def price(self, census: Census, *, bytes_per_element: int = 4,
              constraints: tuple = ()) -> Cost:
        """The :class:`~symcost.Cost` of one layer's census under this convention."""
        from .cost import Cost

        state = census.params + census.buffers
        return Cost(macs=self.macs.price(census), flops=self.flops.price(census),
                    params=census.params, buffers=census.buffers,
                    activations=census.outputs,
                    memory_bytes=bytes_per_element * (state + census.outputs),
                    counts=census.ops, convention=self.name, constraints=tuple(constraints))


_ACTIVATION_ONE = ("relu", "relu6", "leaky_relu", "prelu", "elu")
_ALL_OPS_ONCE = {op: 1 for op in OPS if op not in ("dot", "bias")}

SEED = Convention(
    name="seed",
    summary=("The founding article: MACCs for conv/depthwise/pointwise/deconv/FC, FLOPs for "
             "activations (1 per element, sigmoid 4) and pooling (K·K per output window, 1 per "
             "input for global pooling); BatchNorm folded away; bias ignored."),
    macs=Pricing(default={"mac": 1}),
    flops=Pricing(
        default=_ALL_OPS_ONCE,
        per_kind={
            **{k: {"outputs": 1} for k in _ACTIVATION_ONE},
            "sigmoid": {"outputs": 4},
            "batchnorm2d": {},
            "max_pool2d": {"cmp": 1, "outputs": 1},
            "global_max_pool2d": {"cmp": 1, "outputs": 1},
            "avg_pool2d": {"add": 1, "div": 1},
            "global_avg_pool2d": {"add": 1, "div": 1},
            "adaptive_avg_pool2d": {"add": 1, "div": 1},
        },
    ),
)

MACS = Convention(
    name="macs",
    summary=("Multiply-accumulates of conv, linear and matmul only (MobileNet's Mult-Adds, "
             "torchvision's GFLOPS); every other layer is free. flops = 2 × macs."),
    macs=Pricing(default={"mac": 1}),
    flops=Pricing(default={"mac": 2}),
)

FLOPS = Convention(
    name="flops",
    summary=("Every arithmetic operation: a length-n dot product is n multiplies and n − 1 "
             "adds, bias one add, plus every element-wise operation of the census."),
    macs=Pricing(default={"mac": 1}),
    flops=Pricing(default={**_ALL_OPS_ONCE, "mac": 2, "dot": -1, "bias": 1}),
)

_PRESETS: Mapping[str, Convention] = MappingProxyType(
    {c.name: c for c in (SEED, MACS, FLOPS)})


def convention_names() -> list[str]:
    """Names of the preset conventions."""
    return sorted(_PRESETS)


def get_convention(convention: str | Convention) -> Convention:
    """Look a preset up by name (a :class:`Convention` passes through).

    >>> get_convention("nope")
    Traceback (most recent call last):
    ...
    symcost.errors.UnknownConventionError: convention: unknown name 'nope'. Use one of: ...
    """
    if isinstance(convention, Convention):
        return convention
    try:
        return _PRESETS[convention]
    except (KeyError, TypeError):
        raise UnknownConventionError(convention, convention_names()) from None
