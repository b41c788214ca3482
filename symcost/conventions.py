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

Attention (family ``sdpa``) is counted by the census over the (query, key) pairs its mask
keeps, and its ``attrs`` carry the dense figures (``dense_mac``, ``all_pairs``: every pair),
so each preset says which it prices: ``seed``, ``macs`` and ``flops`` the exact kept pairs
(causal: T·(T + 1)/2 per head); every tool and paper preset the dense pairs (or Megatron's
T²/2), since none of them looks at the mask.

Peer presets reproduce, for eval-mode models imported with :func:`symcost.from_torch`, the
figure a peer tool prints (``Convention.headline`` says which of ``macs``/``flops`` that is;
the other is derived, FLOPs = 2 × MACs). Their rules are in :data:`FVCORE`, :data:`PTFLOPS`,
:data:`THOP` and :data:`TORCH`, and :func:`symcost.compare_conventions` explains where two
presets differ on one network.

Transformer presets reproduce the papers and tools quoted for language models, each rule
derived per layer from the census: :data:`KAPLAN` (Kaplan et al. 2020, Table 1),
:data:`CHINCHILLA` (Hoffmann et al. 2022, Appendix F), :data:`PALM` (Chowdhery et al. 2022,
Appendix B), :data:`MEGATRON` (Megatron-LM's ``num_floating_point_operations``; Narayanan et
al. 2021, Korthikanti et al. 2022), :data:`CALFLOPS` (calflops 0.3.2) and :data:`DEEPSPEED`
(DeepSpeed's flops profiler). All forward only; their headline is ``flops``.
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
           "FLOPS", "FVCORE", "PTFLOPS", "THOP", "TORCH", "TORCH_CPU", "KAPLAN", "CHINCHILLA",
           "PALM", "MEGATRON", "CALFLOPS", "DEEPSPEED", "TERMS", "describe_rule",
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


def _eager_only(eager: str, fused: str, weight: int) -> Callable[[Census], sympy.Expr]:
    """A tool that sees the eager attention's matmuls and not a fused kernel: ``weight`` ×
    the dense MACs (every (query, key) pair) when ``fused`` is False, 0 when it is True."""
    return _rule(f"{'' if weight == 1 else f'{weight}·'}{eager}; 0 when fused: {fused}",
                 lambda c: sympy.Integer(0) if c.attrs.get("fused")
                 else weight * c.attrs["dense_mac"])


_FVCORE_MACS = Pricing(families={
    "convolution": _rule("mac; 0 with padding 'same'/'valid' (torch traces "
                         "aten::_convolution_mode, which fvcore does not handle)",
                         lambda c: 0 if isinstance(c.attrs.get("padding"), str) else c.ops.mac),
    "mm": _GEMM_ONLY, "bmm": _GEMM_ONLY,
    "sdpa": _eager_only("dense_mac (eager aten::matmul of QKᵀ and of the weights by V, "
                        "every pair: masks ignored; GQA after the key/value heads are "
                        "repeated)", "fvcore 0.1.5 has no handle for "
                        "aten::scaled_dot_product_attention (warned)", 1),
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
    # Hugging Face's RMSNorm is pow, mean, rsqrt and mul, torch's nn.RMSNorm traces to
    # aten::rms_norm: fvcore has a handle for neither (skipped with a warning)
    "rms_norm": _rule("0: no fvcore handle (aten::rms_norm, or HF's pow/mean/rsqrt/mul, "
                      "skipped with a warning)", lambda c: sympy.Integer(0)),
})

FVCORE = Convention(
    name="fvcore",
    summary=("fvcore 0.1.5 FlopCountAnalysis (= mmengine): one MAC per multiply-accumulate of "
             "conv/linear/matmul (transposed conv input-centric; a conv with padding "
             "'same'/'valid' 0, fvcore misses aten::_convolution_mode), bias ignored; eval "
             "BatchNorm I (2I with affine); LayerNorm 5I (4I without weight); "
             "adaptive_avg_pool2d I; upsample nearest E, bilinear 4E; eager attention "
             "(matmuls) dense over every pair, fused SDPA 0; everything else (ReLU, "
             "pooling, add, mul, mean, softmax, GELU, RMSNorm, embedding lookups) 0."),
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
softmax 0. Transformers: eager attention (Hugging Face ``attn_implementation="eager"``:
``torch.matmul`` of QKᵀ and of the weights by V) ``dense_mac`` — every (query, key) pair,
whatever the mask; a fused ``aten::scaled_dot_product_attention`` (``fused=True``, as
``nn.MultiheadAttention`` runs it) 0, fvcore has no handle; ``aten::embedding``, GELU,
softmax, rotary (multiplies and adds) and RMSNorm (no handle for ``aten::rms_norm`` nor for
HF's ``pow``/``mean``/``rsqrt``) 0 with a warning. Headline: ``macs``. Matches fvcore
exactly on eval-mode models (tested when installed, on every torchvision classification
model that imports: tests/test_torchvision_peers.py).
"""

_PTFLOPS_MACS = Pricing(families={
    "convolution": {"mac": 1, "bias": 1}, "mm": {"mac": 1, "bias": 1}, "bmm": _GEMM_ONLY,
    "sdpa": _eager_only("dense_mac (eager matmuls reach aten.bmm: every pair, masks "
                        "ignored)", "ptflops 0.7.5's aten backend has no rule for the fused "
                        "scaled dot-product attention kernels", 1),
    "softmax": _FREE, "norm": _FREE, "pool": _FREE, "elementwise": _FREE,
    "embedding": _FREE, "move": _FREE, "resample": _FREE, "custom": _GEMM_ONLY,
})

PTFLOPS = Convention(
    name="ptflops",
    summary=("ptflops 0.7.5, backend='aten' (whole batch): conv and transposed conv MACs "
             "(input-centric) + one bias add per output element; linear MACs + bias "
             "(aten.addmm, also for a 4-D input, which torch 2.13 folds to 2-D); mm/bmm/matmul "
             "MACs (eager attention: dense over every pair; fused SDPA 0); every other op, "
             "BatchNorm, LayerNorm, embedding included, 0."),
    macs=_PTFLOPS_MACS, flops=_doubled(_PTFLOPS_MACS),
)
"""ptflops 0.7.5 ``get_model_complexity_info(..., backend='aten')``, whole batch.

Rules (``ptflops/aten_ops.py``, a TorchDispatchMode over aten ops): ``aten.convolution``
``N·prod(w)·prod(Ho, Wo)`` (transposed: input spatial size) ``+ N·Cout·Ho·Wo`` with bias;
``aten.addmm`` ``B·in·out + B·out``; ``mm``/``bmm``/``matmul`` ``prod(A)·B[-1]``; every other
aten op — BatchNorm, LayerNorm, RMSNorm, activations, softmax, embedding, pooling,
interpolation, add, mul — 0. Eager attention reaches ``aten.bmm`` (``dense_mac``: every pair,
masks ignored); the fused scaled dot-product attention kernels have no rule (0). torch 2.13 folds a
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
    # a router's softmax and top-k are functions (F.softmax, torch.topk) in every MoE
    # implementation symcost knows (Mixtral's included)
    "moe_routing": _rule("0: F.softmax and torch.topk are functions, not modules",
                         lambda c: sympy.Integer(0)),
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
             "unlisted modules 0 (attention, nn.Embedding, RMSNorm, GELU/SiLU, rotary)."),
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
ReLU, ReLU6, LeakyReLU, max pooling, Dropout and modules without a rule 0. Transformers:
attention 0 (Hugging Face's eager attention is a function of ``torch.matmul`` calls;
``nn.MultiheadAttention`` has no hook in 0.1.1), ``nn.Embedding``, RMSNorm, GELU/SiLU and
rotary 0 (no hook), a router's softmax/top-k 0 (functions); Linear layers (the projections,
the MLPs, the router, the language-model head) ``in·E``. Headline: ``macs``.
(ultralytics-thop 2.x differs: input-centric ConvTranspose2d, nearest 0.)
"""

_TORCH_CONV = _rule(
    "mac; a backward's weight gradient of a grouped convolution × groups (torch 2.13's "
    "conv_backward_flop counts it as if every input channel met every output channel)",
    lambda c: c.ops.mac + (c.attrs.get("groups", 1) - 1) * c.attrs.get("weight_grad_mac", 0))


def _torch_pricing(sdpa: Rule) -> Pricing:
    return Pricing(families={
        "convolution": _TORCH_CONV, "mm": _GEMM_ONLY, "bmm": _GEMM_ONLY, "sdpa": sdpa,
        "softmax": _FREE, "norm": _FREE, "pool": _FREE, "elementwise": _FREE,
        "embedding": _FREE, "move": _FREE, "resample": _FREE, "custom": _GEMM_ONLY,
    })


_TORCH_MACS = _torch_pricing(_rule(
    "dense_mac: QKᵀ and the weights by V over every pair (FlopCounterMode ignores masks and "
    "counts GQA with the query heads); eager bmm and the fused kernel alike, as on GPU or "
    "meta tensors; a fused kernel's backward also its QKᵀ recomputed (2.5 × forward)",
    lambda c: c.attrs["dense_mac"] + c.attrs.get("kernel_recompute_mac", 0)))

TORCH = Convention(
    name="torch",
    summary=("torch.utils.flop_counter.FlopCounterMode (torch 2.13): FLOPs = 2 × MACs of "
             "convolution (transposed: input-centric), mm/addmm/bmm (linear, matmul); bias, "
             "BatchNorm, activations, pooling, interpolation and element-wise ops 0; "
             "attention 2·dense_mac (every pair, masks ignored), eager or fused (as counted "
             "on GPU or meta tensors; torch_cpu has the CPU's 0 for fused kernels); "
             "embedding, LayerNorm/RMSNorm, softmax, rotary 0. The headline figure is "
             "flops; macs is half of it."),
    macs=_TORCH_MACS, flops=_doubled(_TORCH_MACS), headline="flops",
)
"""``torch.utils.flop_counter.FlopCounterMode`` of torch 2.13.0: ``get_total_flops()``.

Rules (``torch/utils/flop_counter.py`` registry): ``2·m·n·k`` for ``mm``/``addmm``/``bmm``/
``baddbmm`` (so linear and matmul), ``2·N·prod(w)·prod(Ho, Wo)`` for convolution (transposed:
input spatial size), bias ignored; BatchNorm, activations, pooling, interpolation,
softmax and element-wise ops 0. Transformers: the attention matmuls over every (query, key)
pair, ``2·dense_mac`` FLOPs whatever the mask ("NB: We aren't accounting for causal
attention" in its source), GQA counted with the query heads (Hugging Face repeats the
key/value heads first) — what FlopCounterMode counts for eager attention (a Hugging Face model
built with ``attn_implementation="eager"``: two ``bmm``) and for the fused
``scaled_dot_product_attention`` kernels on GPU or on meta tensors (which decompose to
``bmm``); embedding lookups, LayerNorm, RMSNorm, softmax, GELU/SiLU, rotary and the scale 0.
On CPU tensors torch 2.13 has no formula for the fused kernel
(``_scaled_dot_product_flash_attention_for_cpu``, pytorch #195460) and counts it 0: that is
the :data:`TORCH_CPU` preset. Headline: ``flops``. Matches FlopCounterMode exactly (tests at
sizes that are not multiples of the stride; the transformer zoo at odd (B, T)).

Training (``training=True``, FlopCounterMode around ``loss.backward()``): ``mm``/``bmm``
backward two matmuls (one for a frozen weight or an input that needs no gradient), a
convolution's ``convolution_backward`` (its weight gradient counted × groups, as torch's
formula does), eager attention four ``bmm``; a fused kernel's backward is the flash/efficient
formula, five matmuls with QKᵀ recomputed (2.5 × forward, as on GPU; on meta tensors SDPA
decomposes to ``bmm`` and its backward counts 2 ×). Checked against FlopCounterMode on GPT-2,
a small LLaMA, a conv net and ResNet-18 (``tests/test_backward.py``).
"""

TORCH_CPU = Convention(
    name="torch_cpu",
    summary=("torch's FlopCounterMode on CPU tensors: as torch, but a fused attention "
             "kernel (nn.MultiheadAttention, F.scaled_dot_product_attention) counts 0, "
             "torch 2.13 having no CPU formula for it (pytorch #195460): the tool's gap, "
             "reproduced. Eager attention (matmuls) counts as in torch."),
    macs=_torch_pricing(_eager_only(
        "dense_mac (eager bmm over every pair)", "torch 2.13's FlopCounterMode has no CPU "
        "formula for the fused kernel (pytorch #195460)", 1)),
    flops=_doubled(_torch_pricing(_eager_only(
        "dense_mac (eager bmm over every pair)", "torch 2.13's FlopCounterMode has no CPU "
        "formula for the fused kernel (pytorch #195460)", 1))),
    headline="flops",
)
"""FlopCounterMode on CPU tensors (torch 2.13.0): :data:`TORCH` with fused attention 0.

``nn.MultiheadAttention`` in eval mode under ``no_grad`` also takes a fast path
(``_native_multi_head_attention``) for which FlopCounterMode counts nothing at all, its
projections included; this preset does not model that path (run the model in train mode or
with gradients on to count the projections).
"""

# ------------------------------------------------------------- transformer presets
# Papers and tools quoted for language models. Each rule prices one layer from its own census
# and attrs (no network-level formula): the paper's figure is what the rules add up to on the
# network it describes (tests/test_transformer_conventions.py derives each one symbolically).

_ZERO_RULE = _rule("0", lambda c: sympy.Integer(0))


def _scaled(rule: Rule, factor: int) -> Rule:
    """``rule`` × ``factor`` (a paper's FLOPs from its MACs)."""
    if callable(rule):
        doc = rule.__doc__ or "rule"
        return _rule(doc if factor == 1 else f"{factor} × ({doc})",
                     lambda c: factor * rule(c))
    return {t: factor * w for t, w in rule.items()}


def _paper(name: str, summary: str, macs: Mapping[str, Rule], *,
           per_kind: Mapping[str, Rule] | None = None,
           flops_only: Mapping[str, Rule] | None = None,
           flops_only_kind: Mapping[str, Rule] | None = None) -> Convention:
    """A convention whose FLOPs are 2 × its MACs, plus the FLOPs that are no
    multiply-accumulate (``flops_only``: a softmax's 3 per element, say; a family or kind
    listed there takes that rule for FLOPs and 0 MACs unless ``macs`` names it)."""
    per_kind = dict(per_kind or {})
    flops_families = {f: _scaled(r, 2) for f, r in macs.items()}
    flops_families.update(flops_only or {})
    flops_kinds = {k: _scaled(r, 2) for k, r in per_kind.items()}
    flops_kinds.update(flops_only_kind or {})
    return Convention(name=name, summary=summary,
                      macs=Pricing(families=macs, per_kind=per_kind),
                      flops=Pricing(families=flops_families, per_kind=flops_kinds),
                      headline="flops")


def _gemms(**overrides: Rule) -> dict[str, Rule]:
    """Multiply-accumulates of the weight matmuls (conv, linear, matmul, custom); every
    other family free unless overridden."""
    gemms: dict[str, Rule] = {f: _GEMM_ONLY for f in ("convolution", "mm", "bmm", "custom")}
    return every_family(_FREE, **{**gemms, **overrides})


_DENSE_ATTENTION = _rule("dense_mac: both attention matmuls over every (query, key) pair "
                         "(T·S per head), whatever the mask",
                         lambda c: c.attrs["dense_mac"])

KAPLAN = _paper(
    "kaplan",
    "Kaplan et al. 2020, 'Scaling Laws for Neural Language Models', Table 1 (forward): 2 "
    "FLOPs per weight multiply-accumulate (QKV, projection, feed-forward, de-embedding "
    "2·d_model·n_vocab), no biases, norms, softmax or activations; the attention 'mask' "
    "term 2·n_ctx·d_attn per token and layer (one term: the dense QKᵀ, n_ctx keys); the "
    "embedding 4·d_model per token as Table 1 lists it (on the token lookup; learned "
    "positions inside it). C_forward = 2N + 2·n_layer·n_ctx·d_attn per token, plus the "
    "embedding and de-embedding rows Table 1 lists apart.",
    _gemms(
        sdpa=_rule("all_pairs·head_dim: Kaplan's 2·n_ctx·d_attn per token and layer at 2 "
                   "FLOPs per MAC, one term (the dense QKᵀ: every key of the context)",
                   lambda c: c.attrs["all_pairs"] * c.attrs["head_dim"]),
        embedding=_rule("2·width per lookup (Table 1's embedding row, 4·d_model FLOPs per "
                        "token, at 2 FLOPs per MAC)",
                        lambda c: 2 * c.attrs["lookups"] * c.attrs["width"])),
    per_kind={"positional_embedding": _rule(
        "0: Table 1's embedding row (4·d_model per token, on the token lookup) includes "
        "the positions", lambda c: sympy.Integer(0))},
)
"""Kaplan et al. 2020, Table 1 ("Parameter counts and compute (forward pass) estimates for a
Transformer model"), per token: embed ``4·d_model``; attention QKV ``2·n_layer·d_model·3·d_attn``;
mask ``2·n_layer·n_ctx·d_attn``; project ``2·n_layer·d_attn·d_model``; feed-forward
``2·n_layer·2·d_model·d_ff``; de-embed ``2·d_model·n_vocab``. Rules: every weight matmul
(``mm``, ``convolution``, ``bmm``, ``custom``) 2 FLOPs per MAC, bias never; attention
``2·all_pairs·head_dim`` FLOPs (the mask row: n_ctx = S keys, d_attn = heads·head_dim, every
pair, causal or not — Kaplan's one term stands for both matmuls at half context); token
embedding ``4·width`` per lookup, learned positions 0 (inside that row); norms, softmax,
activations, residual adds, rotary, MoE routing 0. MACs are half the FLOPs. Headline ``flops``.
"""

CHINCHILLA = _paper(
    "chinchilla",
    "Hoffmann et al. 2022 ('Chinchilla'), Appendix F, forward: embeddings as a matmul "
    "2·T·V·d; QKV, the final linear, the dense block and the logits 2 FLOPs per MAC; both "
    "attention matmuls dense (2·T²·K·H each); softmax 3 FLOPs per score (3·H·T²); nothing "
    "else (biases, norms, activations, positions, residual adds 0).",
    _gemms(
        sdpa=_DENSE_ATTENTION,
        embedding=_rule("lookups·table·width: the lookup as a one-hot matmul (App. F: "
                        "2·seq_len·vocab·d_model FLOPs)",
                        lambda c: c.attrs["lookups"] * c.attrs["table"] * c.attrs["width"])),
    per_kind={"positional_embedding": _rule(
        "0: App. F counts no position term (relative positions)", lambda c: sympy.Integer(0))},
    flops_only={
        "sdpa": _rule("2·dense_mac + 3·all_pairs: both matmuls dense (2·T²·K·H each) and "
                      "the softmax 3 FLOPs per score (3·H·T²)",
                      lambda c: 2 * c.attrs["dense_mac"] + 3 * c.attrs["all_pairs"]),
        "softmax": _rule("3·inputs (App. F's 3 FLOPs per softmax element)",
                         lambda c: 3 * c.inputs)},
)
"""Hoffmann et al. 2022, Appendix F ("FLOPs computation"), per sequence of T tokens:
embeddings ``2·T·V·d``; per layer QKV ``2·3·T·d·K·H``, K@Q logits ``2·T²·K·H``, softmax
``3·H·T²``, softmax@query reductions ``2·T²·K·H``, final linear ``2·T·K·H·d``, dense block
``2·T·(d·F + d·F)``; final logits ``2·T·d·V``. Rules: weight matmuls 2 FLOPs per MAC (bias
never); the token embedding a matmul, ``2·lookups·table·width``; attention
``2·dense_mac + 3·all_pairs`` (both matmuls over every pair, non-causal as in the paper, and
3 per softmax element); a standalone softmax ``3·inputs``; learned positions, norms,
activations, residual adds, rotary 0. MACs: the matmuls only (softmax 0). Headline ``flops``.
"""


def _palm_norm(c: Census) -> sympy.Expr:
    normalized = c.attrs.get("normalized")
    return sympy.Integer(0) if normalized is None else c.params * c.inputs / normalized


PALM = _paper(
    "palm",
    "Chowdhery et al. 2022 (PaLM), Appendix B: forward 2·N FLOPs per token (N every "
    "parameter, embeddings included, a shared input/output matrix once) + 4·L·H·Q·T "
    "(both attention matmuls dense); trained ×3 = 6N + 12·L·H·Q·T. Each layer: 2 FLOPs per "
    "parameter per position it is applied at; attention 2·dense_mac; nothing else.",
    _gemms(
        mm=_rule("mac + bias (one MAC per weight and position: 2·params·positions FLOPs); a "
                 "tied Linear only its bias, its matrix priced at the embedding (N counts it "
                 "once)", lambda c: (0 if c.attrs.get("tied") else c.ops.mac) + c.ops.bias),
        convolution={"mac": 1, "bias": 1},
        sdpa=_DENSE_ATTENTION,
        embedding=_rule("params·lookups: the table's parameters at every position (PaLM's "
                        "N includes the embedding)",
                        lambda c: c.params * c.attrs["lookups"]),
        norm=_rule("params·rows: a norm's weights at every position it normalises (0 for "
                   "BatchNorm)", _palm_norm)),
)
"""Chowdhery et al. 2022, Appendix B (model FLOPs utilisation): ``6·N + 12·L·H·Q·T`` FLOPs per
token trained, i.e. ``2·N + 4·L·H·Q·T`` forward, N all parameters (PaLM shares its input and
output embedding), Q the head dimension, T the sequence length, non-causal. Rules, per layer:
2 FLOPs per parameter per position it acts on — a Linear ``2·(mac + bias)`` (a ``tied`` one
only ``2·bias``: its matrix is the embedding's, priced there), an embedding table
``2·params·lookups`` (learned positions too), a norm ``2·params·rows``; attention
``2·dense_mac`` (= 4·H·Q·T per token and layer); softmax, activations, rotary, residual adds,
MoE routing 0 (the experts' and router's matmuls count as Linears: the active ones). MACs half.
Headline ``flops``.
"""

MEGATRON = _paper(
    "megatron",
    "Megatron-LM num_floating_point_operations (megatron/training/training.py), forward "
    "(the training figure is 3×): every GEMM 2·m·n·k (biases 0); attention 4·B·T·S·H·Dh, "
    "halved for a causal mask (T²/2 pairs, not the exact T·(T+1)/2); logits 2·B·T·d·V; "
    "embedding lookups, norms, softmax, activations 0.",
    _gemms(sdpa=_rule(
        "dense_mac, halved when the mask is not 'none' (Megatron's /2 for causal: "
        "T²/2 pairs per head, not T·(T+1)/2)",
        lambda c: c.attrs["dense_mac"] / 2 if c.attrs.get("causal") else c.attrs["dense_mac"])),
)
"""Megatron-LM's ``num_floating_point_operations`` (2025+, the figure its logs' TFLOP/s use),
forward: every GEMM ``2·m·n·k`` — QKV (with GQA's ``G`` key/value heads), projection, MLP
(gated: three matrices), the experts a token is routed to, the logits ``2·B·T·d·V``; attention
``2·B·T·S·H·Dh`` per matmul, both matmuls, ``/2`` for a causal mask ("cancels with FMA ×2":
T²/2 pairs, not the exact T·(T + 1)/2 — the difference from the ``flops`` or ``macs``
presets is an expression, ``B·H·Dh·T·(T + 1)·2 − 2·B·H·Dh·T²``); embedding lookups, norms,
softmax, activations, biases 0. Narayanan et al. 2021 and Korthikanti et al. 2022 (their
``72·B·s·l·h²·(1 + s/(6h) + V/(12·l·h))`` is 3 × this forward with mask ``"none"``) are the
same rules without the halving. A gap: the MoE router's GEMM (d·E per token) is counted here,
Megatron's formula omits it. MACs half. Headline ``flops``.
"""


def _calflops_like(name: str, summary: str, *, fused_sdpa: bool) -> Convention:
    eager = ("dense_mac (eager torch.matmul of QKᵀ and of the weights by V: every pair, "
             "masks ignored)")
    if fused_sdpa:
        sdpa_macs: Rule = _rule(eager + "; fused F.scaled_dot_product_attention the same "
                                "(patched since DeepSpeed PR #4724, not causal-aware)",
                                lambda c: c.attrs["dense_mac"])
        sdpa_flops: Rule = _rule(
            "2·dense_mac, + all_pairs for the eager F.softmax over every score; fused SDPA "
            "2·dense_mac (its softmax inside the kernel is not counted)",
            lambda c: 2 * c.attrs["dense_mac"] + (0 if c.attrs.get("fused")
                                                  else c.attrs["all_pairs"]))
    else:
        sdpa_macs = _eager_only(eager, "F.scaled_dot_product_attention is not patched "
                                "(calflops #46, #48)", 1)
        sdpa_flops = _rule(
            "2·dense_mac + all_pairs (eager torch.matmul twice and F.softmax over every "
            "score); 0 when fused: F.scaled_dot_product_attention is not patched",
            lambda c: sympy.Integer(0) if c.attrs.get("fused")
            else 2 * c.attrs["dense_mac"] + c.attrs["all_pairs"])
    one = {"outputs": 1}
    macs = Pricing(families=_gemms(sdpa=sdpa_macs))
    flops = Pricing(
        families=every_family(
            _FREE, convolution={"mac": 2, "bias": 1}, mm={"mac": 2}, bmm={"mac": 2},
            custom={"mac": 2}, sdpa=sdpa_flops, softmax={"inputs": 1}, pool={"inputs": 1},
            resample={"outputs": 1}),
        per_kind={
            # F.relu/relu6/leaky_relu/prelu/elu/silu/gelu are patched, sigmoid, tanh,
            # hardswish and tensor operators (x * y, x + y) are not
            **{k: one for k in ("relu", "relu6", "leaky_relu", "prelu", "elu", "silu")},
            "gelu": _rule("outputs with the erf (F.gelu); 0 for the tanh approximation "
                          "(Hugging Face's gelu_new, GPT-2's, is written with tensor "
                          "operators, which are not patched)",
                          lambda c: c.outputs if c.ops.erf != 0 else sympy.Integer(0)),
            **{k: _rule("5·inputs with a learned weight, 4·inputs without (F.layer_norm)",
                        lambda c: c.inputs * (5 if c.attrs.get("affine", True) else 4))
               for k in ("layer_norm", "layer_norm2d")},
            "batchnorm2d": _rule("inputs, ×2 with affine (F.batch_norm in eval mode)",
                                 lambda c: c.inputs * (2 if c.attrs.get("affine", True)
                                                       else 1)),
        })
    return Convention(name=name, summary=summary, macs=macs, flops=flops, headline="flops")


CALFLOPS = _calflops_like(
    "calflops",
    "calflops 0.3.2 calculate_flops (patched torch.nn.functional and tensor methods): "
    "F.linear 2·m·n·k FLOPs / m·n·k MACs, bias not added; torch.matmul counted, the @ "
    "operator and torch.bmm not; eager attention 2·dense_mac + a softmax per score (every "
    "pair), fused SDPA 0; F.softmax I; F.layer_norm 5I (4I without weight); RMSNorm, "
    "embedding, rotary, residual adds 0; F.gelu/F.silu/F.relu I (GELU's tanh approximation "
    "as HF writes it 0); conv 2·MACs + bias outputs; pooling I.",
    fused_sdpa=False)
"""calflops 0.3.2 ``calculate_flops`` (``calflops/pytorch_ops.py``), eval mode, one forward.

Rules (functions it patches): ``F.linear`` ``2·numel(x)·out`` FLOPs, ``numel(x)·out`` MACs,
bias not added; ``torch.addmm`` adds ``numel(bias)`` — only GPT-2's ``Conv1D`` calls it, with
a bias of ``out`` elements, ``out`` FLOPs per call (not per row): a gap the spec cannot see
(tests/test_transformer_conventions.py shows it as ``9·d·L``); ``torch.matmul``/
``Tensor.matmul`` ``2·prod(A)·B[-1]`` (the ``@`` operator, ``torch.bmm`` and
``F.scaled_dot_product_attention`` are not patched: a fused attention counts 0, calflops #46,
#48); ``F.softmax`` ``I``; ``F.layer_norm`` ``5I`` with a weight, ``4I`` without; eval
``F.batch_norm`` ``2I`` with affine, ``I`` without; ``F.relu``/``relu6``/``leaky_relu``/
``prelu``/``elu``/``silu``/``gelu`` ``I``; pooling ``I``; ``F.interpolate`` ``E``; conv
``2·MACs + bias·E``; ``F.embedding``, dropout 0. Whatever Hugging Face writes with tensor
operators counts 0: RMSNorm (``pow``/``mean``/``rsqrt``/``*``), rotary, the residual adds, the
attention scale and mask add, GPT-2's ``gelu_new``, the gated MLP's multiply, MoE's combine.
A MoE router's ``F.softmax`` is ``I`` (E per token). Headline ``flops`` (calflops prints both).
"""

DEEPSPEED = _calflops_like(
    "deepspeed",
    "DeepSpeed flops profiler (deepspeed/profiling/flops_profiler/profiler.py, after PR "
    "#4724): calflops' rules (calflops is its fork) plus torch.bmm/mm and the fused "
    "F.scaled_dot_product_attention, priced 2·dense_mac over every pair (not causal-aware).",
    fused_sdpa=True)
"""DeepSpeed's flops profiler (``get_model_profile``), current: the rules of :data:`CALFLOPS`
(calflops forked it) — ``F.linear`` ``2·m·n·k``, ``F.softmax`` ``I``, ``F.layer_norm``
``5I``/``4I``, ``F.gelu``/``F.silu`` ``I``, embedding 0 — plus ``torch.mm``/``torch.bmm`` and,
since PR #4724 (issue #4723), ``F.scaled_dot_product_attention`` at ``2·MACs`` with the dense
MACs ``B·H·T·S·(Dh + Dv)`` whatever the mask; third-party kernels (flash-attn) 0. Headline
``flops``.
"""

_PRESETS: Mapping[str, Convention] = MappingProxyType(
    {c.name: c for c in (SEED, MACS, FLOPS, FVCORE, PTFLOPS, THOP, TORCH, TORCH_CPU, KAPLAN,
                         CHINCHILLA, PALM, MEGATRON, CALFLOPS, DEEPSPEED)})


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
