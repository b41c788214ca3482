"""BatchNorm folding: the symbolic proof, the network transform, and numeric weights.

At inference BatchNorm computes ``z = γ·(y − μ)/√(σ² + ε) + β`` per channel. When ``y``
comes from a linear layer (``y = Σ w_i·x_i + b``: a convolution, depthwise or pointwise
convolution, or a fully connected layer), the two compose into one linear layer with

    w'_i = w_i·γ/√(σ² + ε)        b' = (b − μ)·γ/√(σ² + ε) + β

(``b = 0`` when the layer had no bias). Three tools follow from that identity:

* :func:`fold_proof` derives it with sympy, step by step, for a dot product of symbolic
  length n, and shows that the difference simplifies to 0;
* :func:`fold_batchnorm` rewrites a network spec: every BatchNorm2d directly after a
  foldable layer disappears and that layer gains a bias; a report says what was folded and
  why everything else was not;
* :func:`fold_conv_bn` folds real weights (numpy), grouped and depthwise included.

The forward direction (linear layer → BN) is always exact and is the default. A BN *before*
a convolution or linear layer folds into that layer's weights only where the layer pads
with nothing (a padded zero would have been normalised to β − μ·γ/√(σ² + ε) by BN, and
stays 0 in the folded layer): :func:`fold_batchnorm` does that backward folding only when
asked (``backward=True``) and only into unpadded layers, and :func:`fold_bn_conv` folds
the weights; the report says, for every BN kept, whether backward folding was possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from .containers import Graph, GraphNode, Parallel, Repeat, Residual, Sequential
from .errors import SymcostError
from .layers.activation import ACTIVATION_TYPES
from .layers.base import Spec, where_of
from .layers.conv import Conv2d, ConvTranspose2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d
from .layers.linear import Linear
from .layers.merge import Merge
from .layers.norm import BatchNorm2d
from .shapes import Shape
from .spec import LAYER_TYPES

__all__ = ["fold_proof", "FoldProof", "ProofStep", "fold_batchnorm", "FoldResult",
           "FoldReport", "Folded", "NotFolded", "fold_conv_bn", "fold_bn_conv", "FOLDABLE"]

#: Layers a following BatchNorm2d folds into (they are linear and gain a per-channel bias).
FOLDABLE: tuple[type, ...] = (Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d,
                              Linear)


# ------------------------------------------------------------------------- the proof


@dataclass(frozen=True)
class ProofStep:
    """One line of a derivation: ``lhs = rhs``, with a sentence saying why."""

    text: str
    lhs: sympy.Expr
    rhs: sympy.Expr

    def latex(self) -> str:
        """``lhs = rhs`` in LaTeX (sympy's printer)."""
        return f"{sympy.latex(self.lhs)} = {sympy.latex(self.rhs)}"


@dataclass(frozen=True)
class FoldProof:
    """A derivation that folding BatchNorm into the preceding linear layer is exact.

    ``steps`` are displayed in order (in Jupyter as Markdown with LaTeX); ``difference`` is
    BN(layer(x)) − folded(x) after simplification, and is 0 when the proof holds.

    >>> proof = fold_proof()
    >>> proof.difference, proof.holds
    (0, True)
    """

    bias: bool
    steps: tuple[ProofStep, ...]
    difference: sympy.Expr
    symbols: dict[str, sympy.Expr] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """True when the difference simplified to exactly 0."""
        return self.difference == 0

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def _repr_markdown_(self) -> str:
        title = "with" if self.bias else "without"
        lines = [f"**Folding BatchNorm into a linear layer {title} bias**", ""]
        for k, step in enumerate(self.steps, 1):
            lines += [f"{k}. {step.text}", "", f"$$ {step.latex()} $$", ""]
        verdict = "holds for every input" if self.holds else "does NOT simplify to 0"
        lines.append(f"Difference: ${sympy.latex(self.difference)}$ — the identity {verdict}.")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        rows = " \\\\\n".join(
            f"&\\text{{({k})}}\\quad {sympy.latex(s.lhs)} = {sympy.latex(s.rhs)}"
            for k, s in enumerate(self.steps, 1))
        return "$$\\begin{aligned}\n" + rows + "\n\\end{aligned}$$"

    def __str__(self) -> str:
        out = [f"({k}) {s.text}\n    {s.lhs} = {s.rhs}" for k, s in enumerate(self.steps, 1)]
        return "\n".join(out)


def fold_proof(bias: bool = True) -> FoldProof:
    """Prove with sympy that conv/linear → BN equals one linear layer with folded weights.

    The layer's output for one output channel is a dot product of symbolic length n,
    ``y = Σ_{i=1}^{n} w_i·x_i (+ b)``, which covers convolutions of every kernel size,
    stride, dilation and group count (each output is such a dot product over its window)
    and fully connected layers. The proof substitutes ``y`` into BN, writes the folded layer
    with ``w'_i = w_i·γ/√(σ² + ε)`` and ``b' = (b − μ)·γ/√(σ² + ε) + β`` (``b = 0``
    without bias), pulls the constant factor out of the sum and expands the difference.

    >>> print(fold_proof(bias=False).steps[-1].rhs)
    0
    """
    from sympy.simplify.simplify import factor_sum

    if not isinstance(bias, bool):
        raise SymcostError(f"fold_proof: bias must be True or False (given {bias!r}).")
    i, n = sympy.symbols("i n", integer=True, positive=True)
    w, x, wf = sympy.IndexedBase("w"), sympy.IndexedBase("x"), sympy.IndexedBase("w'")
    gamma, beta, mu = sympy.symbols("gamma beta mu", real=True)
    var, eps = sympy.symbols("sigma^2 epsilon", positive=True)
    b = sympy.Symbol("b", real=True) if bias else sympy.Integer(0)
    y_sym, z_sym, zf_sym, bf_sym = sympy.symbols("y z z' b'")
    scale = gamma / sympy.sqrt(var + eps)

    dot = sympy.Sum(w[i] * x[i], (i, 1, n))
    y = dot + b
    z = gamma * (y_sym - mu) / sympy.sqrt(var + eps) + beta
    z_of_x = z.subs(y_sym, y)
    w_new = w[i] * scale
    b_new = (b - mu) * scale + beta
    folded = sympy.Sum(wf[i] * x[i], (i, 1, n)) + bf_sym
    folded_x = sympy.Sum(w_new * x[i], (i, 1, n)) + b_new
    pulled = folded_x.replace(lambda e: isinstance(e, sympy.Sum), factor_sum)
    difference = sympy.expand(z_of_x - pulled)
    layer = "with bias b" if bias else "without bias"
    steps = (
        ProofStep(f"The linear layer ({layer}): one output channel is a dot product of its "
                  "input window x with the weights w.", y_sym, y),
        ProofStep("BatchNorm at inference, with running mean μ, variance σ², scale γ and "
                  "shift β of that channel.", z_sym, z),
        ProofStep("Substitute the layer's output into BatchNorm.", z_sym, z_of_x),
        ProofStep("The folded layer: new weights w' and bias b'.", zf_sym, folded),
        ProofStep("Its weights: each old weight times the channel's factor γ/√(σ² + ε).",
                  wf[i], w_new),
        ProofStep("Its bias: the old bias shifted and scaled the same way, plus β."
                  if bias else "Its bias: the layer had none, so b' = β − μ·γ/√(σ² + ε).",
                  bf_sym, b_new),
        ProofStep("Substitute w' and b', and take the constant factor out of the sum.",
                  zf_sym, pulled),
        ProofStep("BatchNorm of the layer minus the folded layer, expanded: zero for every "
                  "input x, every n and every statistic.", z_sym - zf_sym, difference),
    )
    return FoldProof(bias=bias, steps=steps, difference=difference,
                     symbols={"gamma": gamma, "beta": beta, "mu": mu, "var": var,
                              "eps": eps, "n": n})


# ------------------------------------------------------------------ the network transform


@dataclass(frozen=True)
class Folded:
    """A BatchNorm that was folded: its path, and the layer that absorbed it."""

    batchnorm: str
    into: str
    kind: str
    channels: sympy.Expr
    """Bias parameters the layer gained (0 when it had a bias already)."""
    copies: sympy.Expr = sympy.Integer(1)
    """How many times the pair occurs (the ``n`` of enclosing Repeats)."""
    direction: str = "forward"
    """``forward`` (layer → BN, into the layer before) or ``backward`` (BN → layer, into
    the layer after; only with ``backward=True``)."""


@dataclass(frozen=True)
class NotFolded:
    """A BatchNorm that stays, and why."""

    batchnorm: str
    reason: str


@dataclass(frozen=True)
class FoldReport:
    """What :func:`fold_batchnorm` folded and what it left, each with a reason."""

    folded: tuple[Folded, ...]
    kept: tuple[NotFolded, ...]

    @property
    def added_bias(self) -> sympy.Expr:
        """Bias parameters the folded layers gained: one per output channel of each
        folded layer that had no bias before (a layer that had one keeps its count), times
        the copies of an enclosing Repeat."""
        return sympy.Add(*(f.channels * f.copies for f in self.folded))

    def lines(self) -> list[str]:
        """One line per BatchNorm, folded ones first."""
        out = [f"folded  {f.batchnorm} into {f.into}"
               + (" (backward)" if f.direction == "backward" else "")
               + (f": +{f.channels} bias" if f.channels != 0 else ": bias updated")
               for f in self.folded]
        out += [f"kept    {k.batchnorm}: {k.reason}" for k in self.kept]
        return out

    def __str__(self) -> str:
        head = f"{len(self.folded)} BatchNorm folded, {len(self.kept)} kept"
        return "\n".join([head, *self.lines()])

    def _repr_markdown_(self) -> str:
        rows = [f"| {f.batchnorm} | folded into `{f.into}` |" for f in self.folded]
        rows += [f"| {k.batchnorm} | kept: {k.reason} |" for k in self.kept]
        return "\n".join([f"**{len(self.folded)} BatchNorm folded, {len(self.kept)} kept**",
                          "", "| BatchNorm | outcome |", "|---|---|", *rows])


@dataclass(frozen=True)
class FoldResult:
    """The network with BatchNorms folded, and the report."""

    network: Spec
    report: FoldReport

    def __iter__(self):  # network, report = fold_batchnorm(net)
        return iter((self.network, self.report))

    def __str__(self) -> str:
        return str(self.report)

    def _repr_markdown_(self) -> str:
        return self.report._repr_markdown_()


def _path(path: str, label: str) -> str:
    return f"{path}.{label}" if path else label


class _Folder:
    def __init__(self) -> None:
        self.folded: list[Folded] = []
        self.kept: list[NotFolded] = []
        self.copies: sympy.Expr = sympy.Integer(1)  # product of enclosing Repeat counts
        self.inputs: dict[str, Shape] = {}  # input shape of each path, when one was given
        self.backward = False

    # a BatchNorm that stays: record why
    def keep(self, bn: BatchNorm2d, path: str, reason: str) -> None:
        self.kept.append(NotFolded(where_of(path, bn.kind), reason))

    def refusal(self, bn: BatchNorm2d, prev: Spec | None, prev_path: str,
                context: str) -> str | None:
        """Why ``bn`` cannot fold into ``prev`` (None when it can)."""
        if not bn.track_running_stats:
            return ("track_running_stats=False: it normalises with the statistics of each "
                    "batch even at inference, so there are no fixed μ and σ² to fold")
        if prev is None:
            shared = ("; its input is the block's input, which the other branch also reads"
                      if context.startswith(("the residual", "the shortcut", "branch"))
                      else "")
            return (f"it is the first layer of {context}: no linear layer precedes it there"
                    f"{shared}")
        where = where_of(prev_path, prev.kind)
        if isinstance(prev, ConvTranspose2d):
            return (f"it follows {where}: folding into a transposed convolution is exact but "
                    "symcost folds only Conv2d, DepthwiseConv2d, PointwiseConv2d, "
                    "SeparableConv2d and Linear")
        if not isinstance(prev, FOLDABLE):
            if prev.kind in _NONLINEAR:
                return (f"it follows {where}, which is not linear: conv → {prev.kind} → BN "
                        "does not fold (only conv/linear → BN does)")
            return (f"it follows {where}: only Conv2d, DepthwiseConv2d, PointwiseConv2d, "
                    "SeparableConv2d and Linear fold")
        if isinstance(prev, Linear):
            if bn.num_features != prev.out_features:
                return (f"it normalises {bn.num_features} channels but {where} outputs "
                        f"{prev.out_features} features: the Linear acts on the last axis of a "
                        "feature map, which BatchNorm does not normalise")
            node = self.inputs.get(prev_path)
            if node is not None and node.is_map:
                return (f"{where} acts on the last axis (W) of a feature map {node}, while "
                        "BatchNorm normalises channels: a per-channel factor cannot enter "
                        "the Linear's weights")
        return None

    def fold_pair(self, prev: Spec, prev_path: str, bn: BatchNorm2d, bn_path: str,
                  direction: str = "forward") -> Spec:
        channels = (sympy.Integer(0) if getattr(prev, "bias", False) else _out_channels(prev))
        self.folded.append(Folded(where_of(bn_path, bn.kind), where_of(prev_path, prev.kind),
                                  prev.kind, channels, self.copies, direction))
        return prev.model_copy(update={"bias": True})

    def backward_refusal(self, bn: BatchNorm2d, nxt: Spec | None, path: str) -> str | None:
        """Why ``bn`` cannot fold into the layer after it (None when it can, exactly)."""
        if nxt is None:
            return "no layer follows it in its container"
        where = where_of(path, nxt.kind)
        if not isinstance(nxt, FOLDABLE):
            return f"{where} is not a convolution or linear layer"
        if isinstance(nxt, Linear):
            node = self.inputs.get(path)
            if bn.num_features != nxt.in_features or (node is not None and node.is_map):
                return (f"{where} acts on the last axis of a feature map, not on the "
                        "channels BatchNorm normalises")
            return None
        if _pads(nxt):
            return (f"{where} pads with zeros, and padded zeros are not normalised, so the "
                    "fold would change the border outputs")
        return None

    # ---------------------------------------------------------------- walking the tree
    def spec(self, spec: Spec, path: str, context: str) -> Spec:
        if isinstance(spec, Sequential):
            return self.sequence(spec, path, context)
        if isinstance(spec, (Residual, Parallel, Repeat)):
            where = where_of(path, spec.kind)

            def visit(label: str, child: Spec) -> Spec:
                return self.spec(child, _path(path, label), f"{_role(spec, child)} of {where}")

            if not isinstance(spec, Repeat):
                return spec.map_children(visit)
            outer, self.copies = self.copies, self.copies * spec.n
            try:
                return spec.map_children(visit)
            finally:
                self.copies = outer
        if isinstance(spec, Graph):
            return self.graph(spec, path)
        if isinstance(spec, BatchNorm2d):
            reason = self.refusal(spec, None, "", context)
            if spec.track_running_stats:
                reason = f"{reason}. Nor does it fold backward: no layer follows it there"
            self.keep(spec, path, reason or "")
        return spec

    def sequence(self, seq: Sequential, path: str, context: str) -> Sequential:
        out: list[Spec] = []
        out_paths: list[str] = []
        pending: tuple[BatchNorm2d, str] | None = None  # a BN folding into the next layer
        layers = seq.layers
        for i, layer in enumerate(layers):
            lpath = _path(path, layer.name or str(i))
            if isinstance(layer, BatchNorm2d):
                prev, prev_path, locate = _tail(out[-1], out_paths[-1]) if out else \
                    (None, "", None)
                reason = self.refusal(layer, prev, prev_path, context)
                if reason is None and prev is not None and locate is not None:
                    out[-1] = locate(self.fold_pair(prev, prev_path, layer, lpath))
                    continue  # the BatchNorm disappears; later paths keep their labels
                if layer.track_running_stats:
                    nxt = layers[i + 1] if i + 1 < len(layers) else None
                    npath = _path(path, nxt.name or str(i + 1)) if nxt is not None else ""
                    why = self.backward_refusal(layer, nxt, npath)
                    if why is None and self.backward and nxt is not None:
                        pending = (layer, lpath)
                        continue
                    if why is None and nxt is not None:
                        reason = (f"{reason}. It would fold backward into "
                                  f"{where_of(npath, nxt.kind)}, which pads with nothing: "
                                  "pass backward=True")
                    else:
                        reason = f"{reason}. Nor does it fold backward: {why}"
                self.keep(layer, lpath, reason or "")
                out.append(layer)
                out_paths.append(lpath)
                continue
            new = self.spec(layer, lpath, f"{where_of(lpath, layer.kind)}")
            if pending is not None:
                new = self.fold_pair(new, lpath, pending[0], pending[1], "backward")
                pending = None
            out.append(new)
            out_paths.append(lpath)
        # unnamed layers after a removed BN shift by one position: the report names the
        # original paths
        return seq.model_copy(update={"layers": tuple(out)})

    def graph(self, graph: Graph, path: str) -> Graph:
        readers: dict[str, int] = {}
        for gn in graph.nodes:
            for name in gn.inputs:
                readers[name] = readers.get(name, 0) + 1
        shared = {gn.shares for gn in graph.nodes if gn.shares}
        output = graph.output or graph.nodes[-1].name
        nodes: dict[str, GraphNode] = {}
        rename: dict[str, str] = {}
        for gn in graph.nodes:
            gpath = _path(path, gn.name)
            inputs = tuple(rename.get(i, i) for i in gn.inputs)
            op = gn.op
            if isinstance(op, BatchNorm2d):
                source = inputs[0]
                prev_node = nodes.get(source)
                prev = prev_node.op if prev_node is not None else None
                reason = self.refusal(op, prev, _path(path, source),
                                      f"{where_of(path, graph.kind)} (it reads the graph's "
                                      "input)")
                if reason is None and prev_node is not None:
                    prev_where = where_of(_path(path, source), prev_node.op.kind)
                    if readers.get(gn.inputs[0], 0) > 1 or gn.inputs[0] == output:
                        reason = (f"the output of {prev_where} is also read elsewhere, which "
                                  "needs the un-normalised values")
                    elif prev_node.shares is not None or source in shared:
                        reason = (f"{prev_where} shares its weights with another node; "
                                  "folding would change both")
                if reason is None and prev_node is not None:
                    new_op = self.fold_pair(prev_node.op, _path(path, source), op, gpath)
                    nodes[source] = prev_node.model_copy(update={"op": new_op})
                    rename[gn.name] = source
                    continue
                self.keep(op, gpath, reason or "")
                nodes[gn.name] = gn.model_copy(update={"inputs": inputs})
                continue
            if not isinstance(op, BatchNorm2d) and hasattr(op, "node") and \
                    not _is_merge(op):
                op = self.spec(op, gpath, where_of(gpath, op.kind))
            nodes[gn.name] = gn.model_copy(update={"op": op, "inputs": inputs})
        new_output = rename.get(output, output) if graph.output is not None else None
        return graph.model_copy(update={"nodes": tuple(nodes.values()),
                                        "output": new_output})


def _pads(layer: Spec) -> bool:
    """Whether a convolution pads its input with zeros (a SeparableConv2d: its depthwise
    part)."""
    if isinstance(layer, PointwiseConv2d):
        return False
    padding = layer.padding  # type: ignore[attr-defined]
    if padding == "valid":
        return False
    if padding == "same":
        kernel = layer.kernel_size  # type: ignore[attr-defined]
        return any(k != 1 for k in (kernel if isinstance(kernel, tuple) else (kernel,)))
    return any(p != 0 for p in (padding if isinstance(padding, tuple) else (padding,)))


#: Kinds a BatchNorm cannot fold through: every activation (the kinds of the activation
#: table), softmax, and max pooling.
_NONLINEAR = {*(cls.model_fields["kind"].default for cls in ACTIVATION_TYPES), "softmax",
              *(cls.model_fields["kind"].default for cls in LAYER_TYPES
                if getattr(cls, "reduce", None) == "max")}


def _is_merge(op: Any) -> bool:
    return isinstance(op, Merge)


def _role(container: Spec, child: Spec) -> str:
    """How a refusal names where a BatchNorm stands: the residual body, the shortcut, a
    branch, the repeated body."""
    if isinstance(container, Residual):
        return "the residual body" if child is container.body else "the shortcut"
    if isinstance(container, Parallel):
        return f"branch {next(i for i, b in enumerate(container.branches) if b is child)}"
    return "the repeated body"


def _out_channels(layer: Spec) -> sympy.Expr:
    if isinstance(layer, Linear):
        return layer.out_features
    return layer.out_channels  # type: ignore[attr-defined]


def _tail(spec: Spec, path: str):
    """The layer that produces ``spec``'s output, through nested Sequentials: (layer, its
    path, a function rebuilding ``spec`` with that layer replaced), or (spec, path, set)."""
    if isinstance(spec, Sequential) and spec.layers:
        last = spec.layers[-1]
        index = len(spec.layers) - 1
        inner, inner_path, locate = _tail(last, _path(path, last.name or str(index)))
        if locate is None:
            return inner, inner_path, None

        def rebuild(new: Spec) -> Spec:
            layers = list(spec.layers)
            layers[-1] = locate(new)
            return spec.model_copy(update={"layers": tuple(layers)})

        return inner, inner_path, rebuild
    if isinstance(spec, (Residual, Parallel, Repeat, Graph)):
        return spec, path, None
    return spec, path, lambda new: new


def fold_batchnorm(network: Spec, input: Shape | None = None, *,
                   backward: bool = False) -> FoldResult:
    """Fold every BatchNorm2d that directly follows a linear layer into that layer.

    A BN folds when it comes right after a Conv2d, DepthwiseConv2d, PointwiseConv2d,
    SeparableConv2d (into its pointwise part) or Linear, in the same Sequential (the linear
    layer may end a nested Sequential) or as the only reader of that layer in a Graph. The
    layer gains ``bias=True`` and the BN disappears; MACs do not change, BN's parameters,
    buffers and operations disappear, and each folded layer that had no bias gains one per
    output channel. Every other BN is kept and the report says why: it follows a
    non-linear layer (conv → ReLU → BN), it is the first layer of a branch, it tracks no
    running statistics, or the layer's output is read elsewhere.

    With ``backward=True``, a BN that cannot fold forward folds into the layer right after
    it in its Sequential (BN → conv), when that layer is a Conv2d, DepthwiseConv2d,
    PointwiseConv2d, SeparableConv2d or Linear that pads with nothing: exact only there,
    since padded zeros are not normalised (:func:`fold_bn_conv` folds the weights). Without
    it, the report says where backward folding would have been possible.

    A Linear folds only when it acts on a vector (features = the channels BatchNorm
    normalises). Its output features must equal the BN's channels; give ``input`` (the
    network's input shape) to also rule out a Linear applied to the last axis of a feature
    map whose size happens to match.

    >>> import symcost as sc
    >>> net = sc.Sequential([sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3,
    ...                                bias=False), sc.BatchNorm2d(num_features=8), sc.ReLU()])
    >>> folded, report = fold_batchnorm(net)
    >>> [layer.kind for layer in folded.layers], folded.layers[0].bias
    (['conv2d', 'relu'], True)
    >>> print(report)
    1 BatchNorm folded, 0 kept
    folded  1 (batchnorm2d) into 0 (conv2d): +8 bias
    """
    if not isinstance(network, Spec) or _is_merge(network):
        raise SymcostError(f"fold_batchnorm: expected a layer or network spec (given "
                           f"{type(network).__name__}). Build one with symcost.Sequential "
                           "or take one from symcost.zoo.")
    folder = _Folder()
    if input is not None:
        if not isinstance(input, Shape):
            raise SymcostError(f"fold_batchnorm: input must be a symcost.Shape (given "
                               f"{type(input).__name__}).")
        folder.inputs = {n.path: n.input for n in network.node(input).walk()}
    folder.backward = backward
    new = folder.spec(network, "", "the network")
    return FoldResult(new, FoldReport(tuple(folder.folded), tuple(folder.kept)))


# ----------------------------------------------------------------------- numeric weights


def _numpy():
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is installed with the test extra
        raise SymcostError("fold_conv_bn needs numpy: pip install 'symcost[numpy]'.") from None
    return numpy


def _bn_vectors(np, c: int, dtype, gamma, beta, mean, var, eps, bias_len: int, bias,
                where: str):
    def vector(value: Any, name: str, default: float, size: int) -> Any:
        if value is None:
            return np.full(size, default, dtype=dtype)
        arr = np.asarray(value, dtype=np.result_type(np.asarray(value), dtype))
        if arr.shape != (size,):
            raise SymcostError(f"{where}: {name} must have one value per channel, shape "
                               f"({size},) (given {arr.shape}). Pass the BatchNorm's {name} "
                               f"for the layer's {size} channels.")
        return arr

    if mean is None or var is None:
        raise SymcostError(f"{where}: mean and var are required (the BatchNorm's running "
                           "statistics); a BN without them cannot be folded.")
    g, be = vector(gamma, "gamma", 1.0, c), vector(beta, "beta", 0.0, c)
    mu, v = vector(mean, "mean", 0.0, c), vector(var, "var", 1.0, c)
    b = vector(bias, "bias", 0.0, bias_len)
    if np.any(v + eps <= 0):
        raise SymcostError(f"{where}: var + eps must be positive in every channel (given a "
                           "non-positive value); check the running variance and eps.")
    scale = g / np.sqrt(v + eps)
    return scale, be - mu * scale, mu, be, b


def _weight(np, weight: Any, where: str):
    w = np.asarray(weight)
    if w.ndim < 2:
        raise SymcostError(f"{where}: weight must have the output channels first and at "
                           f"least 2 axes (given shape {w.shape}), e.g. (C_out, C_in/groups, "
                           "kh, kw) or (out, in).")
    return w, np.result_type(w, np.float32 if w.dtype.kind != "f" else w.dtype)


def fold_conv_bn(weight: Any, bias: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                 eps: float = 1e-5) -> tuple[Any, Any]:
    """Fold BatchNorm statistics into the weights of the preceding layer (numpy arrays).

    ``weight`` has the output channels first, as torch stores it: ``(C_out, C_in/groups,
    kh, kw)`` for any convolution (grouped and depthwise included: C_out = C·D) or
    ``(out, in)`` for a linear layer. ``bias`` may be None (no bias); ``gamma`` and
    ``beta`` may be None (``affine=False``: 1 and 0). Returns ``(weight', bias')`` with
    ``weight' = weight·γ/√(var + ε)`` along the first axis and
    ``bias' = (bias − mean)·γ/√(var + ε) + β``, in the arrays' common floating dtype.

    >>> import numpy as np
    >>> w, b = fold_conv_bn(np.ones((2, 1, 1, 1)), None, np.array([2., 4.]),
    ...                     np.array([0., 1.]), np.array([1., 0.]), np.array([3., 15.]),
    ...                     eps=1.0)
    >>> w.ravel().tolist(), b.tolist()
    ([1.0, 1.0], [-1.0, 1.0])
    """
    np = _numpy()
    w, dtype = _weight(np, weight, "fold_conv_bn")
    c = w.shape[0]
    scale, _, mu, be, b = _bn_vectors(np, c, dtype, gamma, beta, mean, var, eps, c, bias,
                                      "fold_conv_bn")
    new_w = w * scale.reshape((c,) + (1,) * (w.ndim - 1))
    new_b = (b - mu) * scale + be
    return new_w, new_b


def fold_bn_conv(weight: Any, bias: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                 eps: float = 1e-5, *, groups: int = 1) -> tuple[Any, Any]:
    """Fold a BatchNorm into the weights of the layer that *follows* it (numpy arrays).

    BN(x) = s·x + t per input channel (s = γ/√(var + ε), t = β − mean·s), so a
    convolution or linear layer after it computes Σ w·(s·x + t) + b: the folded layer has
    ``weight'[o, i] = weight[o, i]·s[c(o, i)]`` and ``bias'[o] = bias[o] + Σ_i,k
    weight[o, i, k]·t[c(o, i)]``, where c(o, i) is the input channel that weight reads
    (its group's offset plus i). Exact only when the layer pads with nothing: a padded
    zero would have been normalised to t by BN, and is 0 in the folded layer.

    >>> import numpy as np
    >>> w, b = fold_bn_conv(np.ones((1, 2, 1, 1)), None, np.array([2., 4.]),
    ...                     np.array([0., 1.]), np.array([1., 0.]), np.array([3., 15.]),
    ...                     eps=1.0)
    >>> w.ravel().tolist(), b.tolist()
    ([1.0, 1.0], [0.0])
    """
    np = _numpy()
    w, dtype = _weight(np, weight, "fold_bn_conv")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 \
            or w.shape[0] % groups:
        raise SymcostError(f"fold_bn_conv: groups must be a positive int dividing the "
                           f"{w.shape[0]} output channels (given {groups!r}).")
    c_out, cin_g = w.shape[0], w.shape[1]
    scale, shift, *_, b = _bn_vectors(np, cin_g * groups, dtype, gamma, beta, mean, var, eps,
                                      c_out, bias, "fold_bn_conv")
    channel = (np.arange(c_out)[:, None] // (c_out // groups)) * cin_g + np.arange(cin_g)
    shape = (c_out, cin_g) + (1,) * (w.ndim - 2)
    new_w = w * scale[channel].reshape(shape)
    new_b = b + (w * shift[channel].reshape(shape)).reshape(c_out, -1).sum(axis=1)
    return new_w, new_b
