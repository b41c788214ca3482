"""Transformer feed-forward blocks: the plain MLP, the gated MLP (SwiGLU, GeGLU) and
mixture-of-experts."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, Literal

import sympy
from pydantic import Field

from ..checks import Constraint, require
from ..counts import OpCounts
from ..dims import Dim, NonNegDim
from ..errors import ShapeMismatchError
from ..shapes import Shape
from .activation import GELU, ReLU, SiLU
from .base import Census, Layer, Node, where_of
from .linear import Linear

if TYPE_CHECKING:
    from ..spec import AnyLayer
# AnyLayer is left undefined here on purpose, as in symcost.containers: symcost.spec
# rebuilds MoE once the union exists.

__all__ = ["MLP", "GatedMLP", "MoE", "ACTIVATIONS"]

#: The activations a feed-forward block names, as the layer each one is.
ACTIVATIONS: dict[str, Layer] = {"gelu": GELU(), "gelu_tanh": GELU(approximate="tanh"),
                                 "relu": ReLU(), "silu": SiLU()}
Activation = Literal["gelu", "gelu_tanh", "relu", "silu"]


def _child(path: str, label: str) -> str:
    return f"{path}.{label}" if path else label


class _FeedForward(Layer):
    """What the feed-forward blocks share: a width, a hidden width, their matrices."""

    family: ClassVar[str] = "mm"
    composite: ClassVar[bool] = True
    keeps_shape: ClassVar[bool] = True
    d_model: Dim
    """Width of the input and output."""
    d_ff: Dim
    """Hidden width (GPT-2's ``n_inner``, LLaMA's ``intermediate_size``)."""

    def _matrix(self, up: bool, bias: bool) -> Linear:
        """d_model → d_ff (``up``) or d_ff → d_model."""
        ins, outs = (self.d_model, self.d_ff) if up else (self.d_ff, self.d_model)
        return Linear(in_features=ins, out_features=outs, bias=bias)


class MLP(_FeedForward):
    """The transformer feed-forward block on the last axis: ``fc1`` (d_model → d_ff), the
    activation, ``fc2`` (d_ff → d_model) (GPT-2's and BERT's MLP, ViT's MLPBlock).

    params = 2·d_model·d_ff (+ d_ff + d_model with bias).
    """

    kind: Literal["mlp"] = "mlp"
    activation: Activation = "gelu"
    """``gelu``, ``gelu_tanh`` (GPT-2's ``gelu_new``), ``relu`` or ``silu``."""
    bias: bool = True
    """Biases on both matrices."""

    def parts(self) -> list[tuple[str, Layer]]:
        return [("fc1", self._matrix(True, self.bias)), ("act", ACTIVATIONS[self.activation]),
                ("fc2", self._matrix(False, self.bias))]


class GatedMLP(_FeedForward):
    """The gated feed-forward block (Shazeer 2020: SwiGLU with ``silu``, GeGLU with
    ``gelu``), as LLaMA's and Mistral's MLP: down(act(gate(x)) · up(x)), three matrices
    ``gate_proj``, ``up_proj`` (d_model → d_ff) and ``down_proj`` (d_ff → d_model), the
    activation and one multiply per hidden element.

    params = 3·d_model·d_ff (+ 2·d_ff + d_model with bias).

    >>> import symcost as sc
    >>> B, T, d, F = sc.dims("B T d F")
    >>> cost = sc.GatedMLP(d_model=d, d_ff=F).cost(sc.Shape(N=B, L=T, D=d), "macs")
    >>> cost.params, cost.macs
    (3*F*d, 3*B*F*T*d)
    """

    kind: Literal["gated_mlp"] = "gated_mlp"
    activation: Activation = "silu"
    """The gate's activation: ``silu`` (SwiGLU), ``gelu``/``gelu_tanh`` (GeGLU), ``relu``."""
    bias: bool = False
    """Biases on the three matrices (LLaMA: none)."""

    def parts(self) -> list[tuple[str, Layer]]:
        return [("gate_proj", self._matrix(True, self.bias)),
                ("up_proj", self._matrix(True, self.bias)),
                ("act", ACTIVATIONS[self.activation]),
                ("down_proj", self._matrix(False, self.bias))]

    def node(self, shape: Shape, path: str = "") -> Node:
        if not isinstance(shape, Shape):
            return super().node(shape, path)
        where = where_of(path, self.kind)
        parts = dict(self.parts())
        gate = parts["gate_proj"].node(shape, _child(path, "gate_proj"))
        up = parts["up_proj"].node(shape, _child(path, "up_proj"))
        act = parts["act"].node(gate.output, _child(path, "act"))
        e = act.output.elements
        mul = Node(_child(path, "mul"), "mul", act.output, act.output,
                   census=Census(kind="mul", ops=OpCounts(mul=e), inputs=2 * e, outputs=e,
                                 family="elementwise"))
        down = parts["down_proj"].node(act.output, _child(path, "down_proj"))
        return Node(path, self.kind, shape, down.output, children=[gate, up, act, mul, down],
                    composite=True, constraints=self.size_constraints(where))


class MoE(Layer):
    """Mixture of experts on the last axis (Shazeer et al. 2017; Mixtral): a bias-free
    ``router`` Linear(d_model, num_experts) scores every token, a softmax and a top-k
    selection route it to ``top_k`` of the ``num_experts`` copies of ``expert``, whose
    outputs are summed with the (renormalised) routing weights; ``shared_experts`` more
    copies see every token (DeepSeek-MoE).

    Parts: ``router``; ``routing`` (softmax over E: E exp, E − 1 add, E div; top-k:
    k·(E − 1) compares; renormalising: k − 1 adds and k divides, per token); ``experts``
    (the expert applied to k·tokens rows: exact whatever the routing, since every token
    goes to k distinct experts); ``shared`` (applied to every token, ×shared_experts);
    ``combine`` (k·d multiplies and (k − 1 + shared)·d adds per token).

    ``params`` counts every expert (what a checkpoint holds); the network result's
    ``active_params`` counts the router, k experts and the shared ones (what one token
    uses).
    """

    kind: Literal["moe"] = "moe"
    family: ClassVar[str] = "mm"
    composite: ClassVar[bool] = True
    keeps_shape: ClassVar[bool] = True
    num_experts: Dim
    """Experts E."""
    top_k: Dim
    """Experts per token k (at most E)."""
    expert: AnyLayer = Field(discriminator="kind")
    """One expert: a spec acting on the last axis that keeps the width (``GatedMLP``)."""
    shared_experts: NonNegDim = sympy.Integer(0)
    """Experts every token goes through besides the routed ones."""
    normalize: bool = True
    """Whether the k routing weights are renormalised to sum to 1 (Mixtral: True)."""

    def parts(self) -> list[tuple[str, Layer]]:
        return [("expert", self.expert)]

    def _checks(self, where: str) -> list[Constraint]:
        return require(sympy.Le(self.top_k, self.num_experts), where=where, field="top_k",
                       value=lambda: f"{self.top_k} (num_experts {self.num_experts})",
                       message=lambda: (f"routes each token to {self.top_k} experts of "
                                        f"{self.num_experts}; top_k must be at most "
                                        "num_experts"))

    def node(self, shape: Shape, path: str = "") -> Node:
        if not isinstance(shape, Shape):
            return super().node(shape, path)
        where = where_of(path, self.kind)
        constraints = self.size_constraints(where) + self._checks(where)
        E, k, s = self.num_experts, self.top_k, self.shared_experts
        d = shape.last
        tokens = shape.elements / d
        router = Linear(in_features=d, out_features=E, bias=False).node(
            shape, _child(path, "router"))
        routing_ops = OpCounts(exp=tokens * E, add=tokens * (E - 1 + (k - 1 if self.normalize
                                                                       else 0)),
                               div=tokens * (E + (k if self.normalize else 0)),
                               cmp=tokens * k * (E - 1))
        routing = Node(_child(path, "routing"), "moe_routing", router.output, router.output,
                       census=Census(kind="moe_routing", ops=routing_ops, inputs=tokens * E,
                                     outputs=tokens * k, family="softmax",
                                     attrs={"experts": E, "top_k": k}))
        routed = Shape._make(("N", shape.names[-1]), (k * tokens, d))
        experts = self.expert.node(routed, _child(path, "experts"))
        if experts.output.last != d or experts.output.rank != 2:
            raise ShapeMismatchError(f"an expert must keep the width {d}, but it turns "
                                     f"{routed} into {experts.output}.", layer=where,
                                     field="expert")
        for leaf in experts.walk():
            if leaf.census is not None:
                leaf.census = _all_experts(leaf.census, E, k)
        children = [router, routing, experts]
        if s != 0:
            shared = self.expert.node(Shape._make(("N", shape.names[-1]), (tokens, d)),
                                      _child(path, "shared"))
            shared.repeat = s
            children.append(shared)
        combine = OpCounts(mul=tokens * k * d, add=tokens * (k - 1 + s) * d)
        children.append(Node(_child(path, "combine"), "moe_combine", shape, shape,
                             census=Census(kind="moe_combine", ops=combine,
                                           inputs=tokens * (k + s) * d,
                                           outputs=shape.elements, family="elementwise")))
        return Node(path, self.kind, shape, shape, children=children, composite=True,
                    constraints=constraints)


def _all_experts(census: Census, E: sympy.Expr, k: sympy.Expr) -> Census:
    """An expert's leaf census with the parameters of all E experts; ``active_params``
    keeps those of the k a token uses."""
    attrs = {**census.attrs, "active_params": census.params * k,
             "active_buffers": census.buffers * k}
    return replace(census, params=census.params * E, buffers=census.buffers * E, attrs=attrs)
