"""Conventions: named, immutable rules that price a census into MACs and FLOPs.

Layers count primitive operations (:mod:`symcost.counts`); a convention decides what those
operations are worth. It knows nothing of a layer beyond its ``kind`` and its census (plus
the numbers of input and output elements), which is what lets one network reproduce the
figures of the seed article, of torchvision, or of a peer tool.

A :class:`Pricing` gives a rule per operation family (:data:`~symcost.counts.FAMILIES`:
convolution, mm, bmm, sdpa, softmax, norm, pool, elementwise, embedding, move, resample,
custom) and, only for a peer tool's real quirks, per layer kind. A rule is linear — a
weight per term, the terms being the census entries (:data:`~symcost.counts.OPS`) and
``inputs`` / ``outputs`` (element counts of the layer's input and output) — or a function
of the census. Every preset states a rule for every family, so a new kind is priced by the
rule of its family, never silently as zero.

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

Peer presets reproduce, for eval-mode models imported with :func:`symcost.from_torch`, the
figure a peer tool prints (``Convention.headline`` says which of ``macs``/``flops`` that is;
the other is derived, FLOPs = 2 × MACs). Their rules are in :data:`FVCORE`, :data:`PTFLOPS`,
:data:`THOP` and :data:`TORCH`, and :func:`symcost.compare_conventions` explains where two
presets differ on one network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

import sympy

from .algebra import bounded_expand
from .cost import Cost
from .counts import FAMILIES, OPS
from .errors import CensusError, ConventionError, UnknownConventionError

if TYPE_CHECKING:
    from .layers.base import Census

__all__ = ["Convention", "Pricing", "get_convention", "convention_names", "SEED", "MACS",
           "FLOPS", "FVCORE", "PTFLOPS", "THOP", "TORCH", "TERMS", "describe_rule",
           "every_family", "linear"]

#: Terms a linear rule may weight.
TERMS: tuple[str, ...] = OPS + ("inputs", "outputs")

Rule = Mapping[str, int] | Callable[["Census"], sympy.Expr]


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Pricing:
    """How one figure (MACs or FLOPs) is priced from a census.

    A rule weights census terms (a mapping; an empty one makes the work free) or is a
    function of the census. ``families`` gives a rule per operation family
    (:data:`~symcost.counts.FAMILIES`); ``per_kind`` overrides it for one layer kind (a
    peer tool's quirk); ``default``, when given, prices every family not listed. Without
    ``default`` every family needs its rule, so a new family or kind is never priced by
    accident.

    >>> Pricing(families={"convolution": {"mac": 1}})
    Traceback (most recent call last):
    ...
    symcost.errors.ConventionError: Pricing: no rule for the families mm, bmm, ...
    """

    default: Mapping[str, int] | None = None
    per_kind: Mapping[str, Rule] = field(default_factory=dict)
    families: Mapping[str, Rule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rules = [*self.families.values(), *self.per_kind.values()]
        for rule in ([self.default] if self.default is not None else []) + rules:
            if not callable(rule):
                for term in rule:
                    if term not in TERMS:
                        raise ConventionError(str(CensusError(term, TERMS, "pricing term")))
        for family in self.families:
            if family not in FAMILIES:
                raise ConventionError(str(CensusError(family, FAMILIES, "operation family")))
        if self.default is None:
            missing = [f for f in FAMILIES if f not in self.families]
            if missing:
                raise ConventionError(
                    "Pricing: no rule for the families " + ", ".join(missing) + ". Give "
                    "families={...} a rule for each ({} makes one free), or default= to "
                    "price every family not listed alike.")
            object.__setattr__(self, "default", None)
        else:
            object.__setattr__(self, "default", _frozen(self.default))
        object.__setattr__(self, "per_kind", _frozen(self.per_kind))
        object.__setattr__(self, "families", _frozen(self.families))

    def source_of(self, kind: str, family: str) -> str:
        """Where the rule for ``kind`` (of ``family``) comes from: ``kind``, ``family`` or
        ``default``."""
        if kind in self.per_kind:
            return "kind"
        if family in self.families:
            return "family"
        if self.default is not None and family in FAMILIES:
            return "default"
        raise ConventionError(f"Pricing: no rule for {kind!r} of family {family!r}; "
                              "known families: " + ", ".join(FAMILIES) + ".")

    def rule_for(self, kind: str, family: str) -> Rule:
        """The rule that prices ``kind``, a layer kind of operation ``family``."""
        source = self.source_of(kind, family)
        if source == "kind":
            return self.per_kind[kind]
        if source == "family":
            return self.families[family]
        return cast(Rule, self.default)

    def price(self, census: Census) -> sympy.Expr:
        """The priced figure of one layer's census."""
        rule = self.rule_for(census.kind, census.family)
        if callable(rule):
            return sympy.sympify(rule(census))
        return linear(rule, census)


def linear(rule: Mapping[str, int], census: Census) -> sympy.Expr:
    """A linear rule applied to a census: the weighted sum of its terms."""
    terms = [weight * census.term(term) for term, weight in rule.items() if weight]
    terms = [t for t in terms if t != 0]
    if len(terms) < 2:
        return terms[0] if terms else sympy.Integer(0)
    # several terms often cancel (n − 1 adds + 1 divide = n): expand to show it, unless
    # the expansion would be huge (products of high powers): the sum is as exact
    return bounded_expand(sympy.Add(*terms))


def every_family(rule: Rule, **overrides: Rule) -> dict[str, Rule]:
    """One rule for every family, some families overridden: a preset's explicit choice."""
    unknown = [f for f in overrides if f not in FAMILIES]
    if unknown:
        raise ConventionError(str(CensusError(unknown[0], FAMILIES, "operation family")))
    return {f: overrides.get(f, rule) for f in FAMILIES}


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
    headline: str = "macs"
    """The figure this convention is about (what its peer tool prints): macs or flops."""

    def __repr__(self) -> str:
        return f"Convention({self.name!r})"

    def price(self, census: Census, *, bytes_per_element: int = 4,
              constraints: tuple = ()) -> Cost:
        """The :class:`~symcost.Cost` of one layer's census under this convention."""
        state = census.params + census.buffers
        return Cost(macs=self.macs.price(census), flops=self.flops.price(census),
                    params=census.params, buffers=census.buffers,
                    activations=census.outputs,
                    memory_bytes=bytes_per_element * (state + census.outputs),
                    counts=census.ops, convention=self.name, constraints=tuple(constraints))


_ACTIVATION_ONE = ("relu", "relu6", "leaky_relu", "prelu", "elu")
_ALL_OPS_ONCE = {op: 1 for op in OPS if op not in ("dot", "bias")}
_GEMM_ONLY = {"mac": 1}
_FREE: dict[str, int] = {}


def _rule(doc: str, fn: Callable[[Census], sympy.Expr]) -> Callable[[Census], sympy.Expr]:
    fn.__doc__ = doc
    return fn


_SEED_POOL = _rule("K·K per output window (cmp + outputs for max, add + div for average); "
                   "1 per input element for global pooling",
                   lambda c: linear({"cmp": 1, "outputs": 1} if c.attrs.get("reduce") == "max"
                                    else {"add": 1, "div": 1}, c))

SEED = Convention(
    name="seed",
    summary=("The founding article, M. Hollemans, 'How fast is my model?' (machinethink.net, "
             "2018): MACCs for conv/depthwise/pointwise/deconv/FC, FLOPs for "
             "activations (1 per element, sigmoid 4) and pooling (K·K per output window, 1 per "
             "input for global pooling); BatchNorm folded away; bias ignored."),
    macs=Pricing(families=every_family(_GEMM_ONLY)),
    flops=Pricing(
        families=every_family(_ALL_OPS_ONCE, pool=_SEED_POOL),
        per_kind={
            **{k: {"outputs": 1} for k in _ACTIVATION_ONE},
            "sigmoid": {"outputs": 4},
            "batchnorm2d": _FREE,
        },
    ),
)

MACS = Convention(
    name="macs",
    summary=("Multiply-accumulates of conv, linear and matmul only (MobileNet's Mult-Adds, "
             "torchvision's GFLOPS); every other layer is free. flops = 2 × macs."),
    macs=Pricing(families=every_family(_GEMM_ONLY)),
    flops=Pricing(families=every_family({"mac": 2})),
)

FLOPS = Convention(
    name="flops",
    summary=("Every arithmetic operation: a length-n dot product is n multiplies and n − 1 "
             "adds, bias one add, plus every element-wise operation of the census."),
    macs=Pricing(families=every_family(_GEMM_ONLY)),
    flops=Pricing(families=every_family({**_ALL_OPS_ONCE, "mac": 2, "dot": -1, "bias": 1})),
)


# ------------------------------------------------------------------------- peer presets
# Rules and versions from each tool's source and from running it (see the docstrings);
# tests/test_torch_import.py runs the tools themselves when they are installed.


def _doubled(pricing: Pricing) -> Pricing:
    """The same rules at twice the weight (FLOPs = 2 × MACs)."""

    def twice(rule: Rule) -> Rule:
        if callable(rule):
            return _rule("2 × (" + (rule.__doc__ or "rule") + ")", lambda c: 2 * rule(c))
        return {t: 2 * w for t, w in rule.items()}

    return Pricing(families={f: twice(r) for f, r in pricing.families.items()},
                   per_kind={k: twice(r) for k, r in pricing.per_kind.items()})


_FVCORE_MACS = Pricing(families={
    "convolution": _rule("mac; 0 with padding 'same'/'valid' (torch traces "
                         "aten::_convolution_mode, which fvcore does not handle)",
                         lambda c: 0 if isinstance(c.attrs.get("padding"), str) else c.ops.mac),
    "mm": _GEMM_ONLY, "bmm": _GEMM_ONLY,
    "sdpa": _rule("0: fvcore 0.1.5 has no handle for aten::scaled_dot_product_attention",
                  lambda c: sympy.Integer(0)),
    "softmax": _FREE, "norm": _FREE, "pool": _FREE, "elementwise": _FREE,
    "embedding": _FREE, "move": _FREE,
    "resample": _rule("outputs (nearest), 4·outputs (bilinear)",
                      lambda c: c.outputs * (4 if c.attrs.get("mode") == "bilinear" else 1)),
    "custom": _GEMM_ONLY,
}, per_kind={
    "batchnorm2d": _rule("inputs, ×2 with affine γ/β (eval mode)",
                         lambda c: c.inputs * (2 if c.attrs.get("affine", True) else 1)),
    "adaptive_avg_pool2d": {"inputs": 1},
    # aten::layer_norm, whether from nn.LayerNorm, F.layer_norm or torchvision's LayerNorm2d
    # (found on ConvNeXt by tests/test_torchvision_peers.py); fvcore's norm handle looks only
    # at the weight argument, so a LayerNorm with a weight and no bias is still 5 per element
    **{k: _rule("5·inputs with a learned weight, 4·inputs without (aten::layer_norm)",
                lambda c: c.inputs * (5 if c.attrs.get("affine", True) else 4))
       for k in ("layer_norm", "layer_norm2d")},
})

FVCORE = Convention(
    name="fvcore",
    summary=("fvcore 0.1.5 FlopCountAnalysis (= mmengine): one MAC per multiply-accumulate of "
             "conv/linear/matmul (transposed conv input-centric; a conv with padding "
             "'same'/'valid' 0, fvcore misses aten::_convolution_mode), bias ignored; eval "
             "BatchNorm I (2I with affine); LayerNorm 5I (4I without weight); "
             "adaptive_avg_pool2d I; upsample nearest E, bilinear 4E; everything else (ReLU, "
             "pooling, add, mul, mean, softmax) 0."),
    macs=_FVCORE_MACS, flops=_doubled(_FVCORE_MACS),
)
"""fvcore 0.1.5.post20221221 ``FlopCountAnalysis`` (also mmengine's counter), eval mode.

Rules (``fvcore/nn/flop_count.py`` handles; "flop" there means one multiply-accumulate):
conv ``N·Ho·Wo·Cout·(Cin/g)·K`` (but 0 for a conv with string padding, ``"same"`` or
``"valid"``, which torch traces as ``aten::_convolution_mode``, an op fvcore skips),
transposed conv ``N·Hi·Wi·Cin·(Cout/g)·K``, linear and matmul ``prod(A)·B[-1]``, bias
never; ``aten::batch_norm`` in eval ``I`` (``2I`` with affine); ``aten::layer_norm``
``5I`` with a weight, ``4I`` without (``nn.LayerNorm``, ``F.layer_norm`` and torchvision's
``LayerNorm2d`` alike); ``aten::adaptive_avg_pool2d`` ``I`` (``x.mean`` is not counted);
upsample nearest ``E``, bilinear ``4E``; ReLU, max/avg pooling, ``add``/``mul``, ``cat``,
softmax 0. Headline: ``macs``. Matches fvcore exactly on eval-mode models (tested when
installed, on every torchvision classification model that imports: tests/test_torchvision_peers.py).
"""

_PTFLOPS_MACS = Pricing(families={
    "convolution": {"mac": 1, "bias": 1}, "mm": {"mac": 1, "bias": 1}, "bmm": _GEMM_ONLY,
    "sdpa": _rule("0: ptflops 0.7.5's aten backend has no rule for scaled dot-product "
                  "attention", lambda c: sympy.Integer(0)),
    "softmax": _FREE, "norm": _FREE, "pool": _FREE, "elementwise": _FREE,
    "embedding": _FREE, "move": _FREE, "resample": _FREE, "custom": _GEMM_ONLY,
})

PTFLOPS = Convention(
    name="ptflops",
    summary=("ptflops 0.7.5, backend='aten' (whole batch): conv and transposed conv MACs "
             "(input-centric) + one bias add per output element; linear MACs + bias "
             "(aten.addmm, also for a 4-D input, which torch 2.13 folds to 2-D); mm/bmm/matmul "
             "MACs; every other op, BatchNorm included, 0."),
    macs=_PTFLOPS_MACS, flops=_doubled(_PTFLOPS_MACS),
)
"""ptflops 0.7.5 ``get_model_complexity_info(..., backend='aten')``, whole batch.

Rules (``ptflops/aten_ops.py``, a TorchDispatchMode over aten ops): ``aten.convolution``
``N·prod(w)·prod(Ho, Wo)`` (transposed: input spatial size) ``+ N·Cout·Ho·Wo`` with bias;
``aten.addmm`` ``B·in·out + B·out``; ``mm``/``bmm``/``matmul`` ``prod(A)·B[-1]``; every other
aten op — BatchNorm, activations, pooling, interpolation, add, mul — 0. torch 2.13 folds a
Linear on a contiguous 4-D input to ``addmm`` too, so its bias counts (measured; older
torch lowered it to matmul + add). Headline: ``macs``. (The default
``pytorch`` backend is a different convention: per-sample module hooks plus patched
functionals, which double-count; it is not reproduced.)
"""


def _module_only(doc: str, fn: Callable[[Census], sympy.Expr]) -> Callable:
    """thop hooks nn.Module types: a functional call or operator is invisible to it."""
    return _rule(doc + "; 0 when the op is a functional call, method or operator",
                 lambda c: fn(c) if c.attrs.get("source") in (None, "module")
                 else sympy.Integer(0))


_THOP_AVG_POOL = _module_only("outputs", lambda c: c.outputs)
_THOP_ADAPTIVE = _module_only("(input size / output size + 1)·outputs = inputs + outputs",
                              lambda c: c.inputs + c.outputs)
_THOP_NO_HOOK = _rule("0: thop 0.1.1 registers no hook for this family's modules",
                      lambda c: sympy.Integer(0))

_THOP_MACS = Pricing(families={
    "convolution": _module_only("mac", lambda c: c.ops.mac),
    "mm": _module_only("mac", lambda c: c.ops.mac),
    "bmm": _THOP_NO_HOOK, "sdpa": _THOP_NO_HOOK,
    "softmax": _module_only("rows·(n exp + (n−1) add + n div)",
                            lambda c: c.ops.exp + c.ops.add + c.ops.div),
    "norm": _THOP_NO_HOOK, "pool": _THOP_NO_HOOK, "elementwise": _THOP_NO_HOOK,
    "embedding": _THOP_NO_HOOK, "move": _THOP_NO_HOOK,
    "resample": _module_only("outputs (nearest), 11·outputs (bilinear)",
                             lambda c: c.outputs * (11 if c.attrs.get("mode") == "bilinear"
                                                    else 1)),
    "custom": _THOP_NO_HOOK,
}, per_kind={
    "conv_transpose2d": _module_only(
        "output-centric: outputs·(C_in/g)·kh·kw",
        lambda c: c.outputs * c.attrs["in_channels"] / c.attrs["groups"]
        * sympy.Mul(*c.attrs["kernel"])),
    "matmul": _rule("0: torch.matmul is a function, never a module thop hooks",
                    lambda c: sympy.Integer(0)),
    "batchnorm2d": _module_only("2·inputs, ×2 with affine",
                                lambda c: 2 * c.inputs * (2 if c.attrs.get("affine", True)
                                                          else 1)),
    # nn.LayerNorm itself only: a subclass (torchvision's LayerNorm2d) has no hook, and
    # F.layer_norm is a function (the importer maps both to functional layer_norm)
    "layer_norm": _module_only("2·inputs, ×2 with a learned weight (nn.LayerNorm)",
                               lambda c: 2 * c.inputs * (2 if c.attrs.get("affine", True)
                                                         else 1)),
    "prelu": _module_only("inputs (eval mode)", lambda c: c.inputs),
    **{k: _THOP_AVG_POOL for k in ("avg_pool1d", "avg_pool2d", "avg_pool3d")},
    # thop divides the input size by the output size per axis, (Hi·Wi/(Ho·Wo) + 1)·E =
    # I + E; that is not the window length when windows overlap (AlexNet's and VGG's heads
    # pool a 2×2 or 3×3 map to 6×6 or 7×7 at small inputs). thop computes it in float64 and
    # truncates with int() per module, which agrees with I + E wherever tested
    **{k: _THOP_ADAPTIVE for k in ("adaptive_avg_pool1d", "adaptive_avg_pool2d")},
    # torchvision's LayerNorm2d is a subclass of nn.LayerNorm, which thop's exact-type lookup
    # misses: 0 (as is F.layer_norm, by _module_only above)
    "layer_norm2d": _FREE,
})

THOP = Convention(
    name="thop",
    summary=("thop 0.1.1 (PyPI 'thop' 0.1.1.post2209072238) profile(): forward hooks on "
             "nn.Module types only, so functional calls and operators count 0. Conv E·(C_in/g)"
             "·K without bias; ConvTranspose2d output-centric E·(C_in/g)·K (≈ stride² above "
             "the others); Linear in·E; BatchNorm2d 2I (4I with affine); nn.LayerNorm 2I (4I "
             "with affine), its subclasses (torchvision's LayerNorm2d) 0; PReLU I; Softmax "
             "rows·(3n − 1); AvgPool2d E; AdaptiveAvgPool2d (Hi·Wi/(Ho·Wo) + 1)·E = I + E; "
             "Upsample nearest E, bilinear 11E; ReLU/ReLU6/LeakyReLU/MaxPool/Dropout 0; "
             "unlisted modules 0."),
    macs=_THOP_MACS, flops=_doubled(_THOP_MACS),
)
"""thop 0.1.1 (PyPI ``thop`` 0.1.1.post2209072238) ``profile()``: MACs from forward hooks.

Rules (``thop/profile.py`` ``register_hooks``, ``thop/vision/basic_hooks.py``): only
``nn.Module`` types are hooked, so a functional call, tensor method or Python operator
(``F.relu``, ``x.mean``, ``x + y``, ``torch.matmul``) counts 0 — the census ``source``
attribute, set by :func:`symcost.from_torch`, carries that. Conv ``E·(Cin/g)·K`` without
bias; ConvTranspose2d output-centric ``E·(Cin/g)·K``; Linear ``in·E``; BatchNorm2d ``2I``,
``4I`` with affine; ``nn.LayerNorm`` ``2I``, ``4I`` with ``elementwise_affine`` — hooks are
looked up by exact type, so a subclass such as torchvision's ``LayerNorm2d`` counts 0; PReLU
``I``; Softmax ``rows·(3n − 1)``; AvgPool2d ``E``; AdaptiveAvgPool2d
``(Hi·Wi/(Ho·Wo) + 1)·E`` = ``I + E`` (a size ratio, not the window when windows overlap);
Upsample nearest ``E``, bilinear ``11E``;
ReLU, ReLU6, LeakyReLU, max pooling, Dropout and modules without a rule 0. Headline:
``macs``. (ultralytics-thop 2.x differs: input-centric ConvTranspose2d, nearest 0.)
"""

_TORCH_MACS = Pricing(families={
    "convolution": _GEMM_ONLY, "mm": _GEMM_ONLY, "bmm": _GEMM_ONLY,
    "sdpa": _rule("0: torch 2.13's FlopCounterMode has no CPU formula for fused attention",
                  lambda c: sympy.Integer(0)),
    "softmax": _FREE, "norm": _FREE, "pool": _FREE, "elementwise": _FREE,
    "embedding": _FREE, "move": _FREE, "resample": _FREE, "custom": _GEMM_ONLY,
})

TORCH = Convention(
    name="torch",
    summary=("torch.utils.flop_counter.FlopCounterMode (torch 2.13): FLOPs = 2 × MACs of "
             "convolution (transposed: input-centric), mm/addmm/bmm (linear, matmul); bias, "
             "BatchNorm, activations, pooling, interpolation and element-wise ops 0. The "
             "headline figure is flops; macs is half of it."),
    macs=_TORCH_MACS, flops=_doubled(_TORCH_MACS), headline="flops",
)
"""``torch.utils.flop_counter.FlopCounterMode`` of torch 2.13.0: ``get_total_flops()``.

Rules (``torch/utils/flop_counter.py`` registry): ``2·m·n·k`` for ``mm``/``addmm``/``bmm``/
``baddbmm`` (so linear and matmul), ``2·N·prod(w)·prod(Ho, Wo)`` for convolution (transposed:
input spatial size), bias ignored; BatchNorm, activations, pooling, interpolation,
softmax and element-wise ops 0 (SDPA has no CPU formula: 0). Headline: ``flops``.
Matches FlopCounterMode exactly (tests at sizes that are not multiples of the stride).
"""

_PRESETS: Mapping[str, Convention] = MappingProxyType(
    {c.name: c for c in (SEED, MACS, FLOPS, FVCORE, PTFLOPS, THOP, TORCH)})


def describe_rule(rule: Rule) -> str:
    """A rule as text: ``2·mac + 1·bias``, ``0``, or a non-linear rule's docstring.

    >>> describe_rule({"mac": 2, "bias": 1}), describe_rule({})
    ('2·mac + bias', '0')
    """
    if callable(rule):
        return str(rule.__doc__ or getattr(rule, "__name__", "rule"))
    terms = [term if w == 1 else f"{w}·{term}" for term, w in rule.items() if w]
    return " + ".join(terms) or "0"


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
