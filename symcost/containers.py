"""Containers: the specs that compose other specs and propagate shapes through them.

``Sequential``, ``Residual``, ``Parallel``, ``Repeat`` and ``Graph`` are members of the same
spec union as the layers (:mod:`symcost.spec`), so a whole network is one document. Each
container's ``node`` propagates a symbolic input shape through its children and checks every
junction (a mismatch names both layers by path); :mod:`symcost.results` prices the tree.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

import sympy
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from .checks import Constraint, require
from .conventions import Convention
from .dims import Dim
from .errors import ShapeMismatchError, SpecError
from .layers.base import Node, Spec, check_name, where_of, with_family
from .layers.merge import Add, Concat, Merge, Mul
from .shapes import Shape
from .validation import reraise_validation

if TYPE_CHECKING:  # typing_extensions comes with pydantic; needed by the type checker only
    from typing_extensions import Self

    from .results import NetworkCost
    from .spec import AnyLayer, GraphOp
# AnyLayer is left undefined here on purpose: pydantic defers the containers' fields until
# symcost.spec defines the union and calls model_rebuild.

__all__ = ["Sequential", "Residual", "Parallel", "Repeat", "Graph", "GraphNode",
           "MAX_CONTAINER_DEPTH"]


def _child_path(path: str, label: str) -> str:
    return f"{path}.{label}" if path else label


def _merge_from_text(value: Any) -> Any:
    return {"kind": value} if isinstance(value, str) else value


MergeSpec = Annotated[Annotated[Add | Mul | Concat, Field(discriminator="kind")],
                      BeforeValidator(_merge_from_text)]


#: The training options cost() passes on to analyze().
_TRAINING_OPTIONS = ("training", "recompute", "frozen", "input_requires_grad")

#: The deepest nesting of containers a network may have.
MAX_CONTAINER_DEPTH = 100
_CHILD_FIELD = {"residual": "body", "repeat": "body", "parallel": "branches", "graph": "nodes"}


class _Container(Spec):
    _depth: int = PrivateAttr(default=1)

    def cost(self, shape: Shape, convention: str | Convention = "seed", *,
             bytes_per_element: int = 4, **training: Any) -> NetworkCost:
        """Price every layer: a :class:`NetworkCost` (training options as ``analyze``)."""
        unknown = sorted(set(training) - set(_TRAINING_OPTIONS))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], _TRAINING_OPTIONS, n=1)
            raise SpecError(f"cost() takes no option {unknown[0]!r}"
                            + (f" (did you mean {hint[0]!r}?)" if hint else "")
                            + ". Its options: bytes_per_element, "
                            + ", ".join(_TRAINING_OPTIONS) + ".",
                            layer=where_of("", self.kind), field=unknown[0])
        return self.analyze(shape, convention, bytes_per_element=bytes_per_element,
                            **training)

    def memory(self, shape: Shape, **options: Any):
        """Bytes per device, training or inference: :func:`symcost.memory.memory`."""
        from .memory import memory

        return memory(self, shape, **options)

    def prefill(self, shape: Shape, convention: str | Convention = "macs", **options: Any):
        """Processing the prompt ``shape``: :func:`symcost.inference.prefill`."""
        from .inference import prefill

        return prefill(self, shape, convention, **options)

    def decode(self, context: Any, new_tokens: Any, **options: Any):
        """Generating tokens after a cache: :func:`symcost.inference.decode`."""
        from .inference import decode

        return decode(self, context, new_tokens, **options)

    def children(self) -> list[tuple[str, Spec]]:
        """``(label, child)`` for every direct child, in order; the label is the child's
        segment of a row path (its name, else its position or role)."""
        return []

    def map_children(self, fn: Callable[[str, Spec], Spec]) -> Self:
        """A copy with every direct child replaced by ``fn(label, child)``: the one walk
        that transforms a tree (BatchNorm folding) without knowing each container."""
        raise NotImplementedError

    def _children(self) -> list[Spec]:
        return [child for _, child in self.children()]

    @model_validator(mode="after")
    def _bounded_depth(self):
        # deeper trees exhaust Python's recursion in costing and serialising: refuse them
        # here, with a message, rather than with a RecursionError later
        depth = 1 + max((getattr(c, "_depth", 0) for c in self._children()), default=0)
        if depth > MAX_CONTAINER_DEPTH:
            raise SpecError(f"containers nest {depth} deep, deeper than the limit of "
                            f"{MAX_CONTAINER_DEPTH}. Flatten the nesting (a Sequential of "
                            "Sequentials is one Sequential) or use Repeat.",
                            field=_CHILD_FIELD.get(self.kind, "layers"), value=depth)
        self._depth = depth
        return self


def _merge_node(merge, shapes: list[Shape], path: str, mpath: str | None = None) -> Node:
    if not shapes:
        raise SpecError("a merge needs at least one input; list the nodes it combines.",
                        layer=where_of(mpath or path, merge.kind), field="inputs")
    mpath = mpath if mpath is not None else _child_path(path, merge.name or merge.kind)
    out, census, constraints = merge.combine(shapes, where_of(mpath, merge.kind))
    return Node(mpath, merge.kind, shapes[0], out, census=with_family(census, merge.family),
                constraints=constraints)


class Sequential(_Container):
    """Layers applied one after another; each must accept what the previous one gives.

    >>> import symcost as sc
    >>> net = sc.Sequential(layers=[sc.Conv2d(in_channels=3, out_channels=8, kernel_size=3),
    ...                             sc.ReLU()])
    >>> net.cost(sc.Shape(C=3, H=32, W=32)).total.macs
    194400
    """

    kind: Literal["sequential"] = "sequential"
    layers: tuple[AnyLayer, ...]
    """The layers, in order."""

    def __init__(self, layers=None, /, **data):
        if layers is not None:
            data["layers"] = layers
        super().__init__(**data)

    def children(self) -> list[tuple[str, Spec]]:
        return [(layer.name or str(i), layer) for i, layer in enumerate(self.layers)]

    def map_children(self, fn: Callable[[str, Spec], Spec]) -> Self:
        return self.model_copy(update={"layers": tuple(fn(label, c)
                                                       for label, c in self.children())})

    def node(self, shape: Shape, path: str = "") -> Node:
        children: list[Node] = []
        current = shape
        for i, layer in enumerate(self.layers):
            child_path = _child_path(path, layer.name or str(i))
            try:
                child = layer.node(current, child_path)
            except ShapeMismatchError as exc:
                if not children:
                    raise
                prev = children[-1]
                raise type(exc)(f"{exc.detail} Its input comes from {prev.where}, which "
                                f"outputs {prev.output}.", layer=exc.layer, field=exc.field,
                                value=exc.value) from None
            children.append(child)
            current = child.output
        return Node(path, self.kind, shape, current, children=children)


class Residual(_Container):
    """``merge(body(x), shortcut(x))``: identity shortcut by default, or a projection.

    The merge is an element-wise ``add`` (ResNet); ``mul`` gives gating blocks.
    """

    kind: Literal["residual"] = "residual"
    body: AnyLayer
    """The residual branch."""
    shortcut: AnyLayer | None = None
    """Projection shortcut (e.g. a 1×1 conv and BN); the identity when None."""
    merge: MergeSpec = Add()
    """How the two branches combine."""

    def children(self) -> list[tuple[str, Spec]]:
        out: list[tuple[str, Spec]] = [(self.body.name or "body", self.body)]
        if self.shortcut is not None:
            out.append((self.shortcut.name or "shortcut", self.shortcut))
        return out

    def map_children(self, fn: Callable[[str, Spec], Spec]) -> Self:
        shortcut = self.shortcut
        if shortcut is not None:
            shortcut = fn(shortcut.name or "shortcut", shortcut)
        return self.model_copy(update={"body": fn(self.body.name or "body", self.body),
                                       "shortcut": shortcut})

    def node(self, shape: Shape, path: str = "") -> Node:
        body = self.body.node(shape, _child_path(path, self.body.name or "body"))
        children = [body]
        other = shape
        if self.shortcut is not None:
            sc = self.shortcut.node(shape, _child_path(path, self.shortcut.name or "shortcut"))
            children.append(sc)
            other = sc.output
        merged = _merge_node(self.merge, [body.output, other], path)
        children.append(merged)
        return Node(path, self.kind, shape, merged.output, children=children)


class Parallel(_Container):
    """Branches applied to the same input, merged by ``concat`` (default), ``add`` or
    ``mul`` (Inception blocks, squeeze-and-excitation)."""

    kind: Literal["parallel"] = "parallel"
    branches: tuple[AnyLayer, ...] = Field(min_length=1)
    """The branches."""
    merge: MergeSpec = Concat()
    """How the branches combine."""

    def __init__(self, branches=None, /, **data):
        if branches is not None:
            data["branches"] = branches
        super().__init__(**data)

    def children(self) -> list[tuple[str, Spec]]:
        return [(b.name or str(i), b) for i, b in enumerate(self.branches)]

    def map_children(self, fn: Callable[[str, Spec], Spec]) -> Self:
        return self.model_copy(update={"branches": tuple(fn(label, b)
                                                         for label, b in self.children())})

    def node(self, shape: Shape, path: str = "") -> Node:
        children = [b.node(shape, _child_path(path, b.name or str(i)))
                    for i, b in enumerate(self.branches)]
        merged = _merge_node(self.merge, [c.output for c in children], path)
        return Node(path, self.kind, shape, merged.output, children=[*children, merged])


class Repeat(_Container):
    """``n`` copies of a shape-preserving ``body`` (n may be a symbol: depth as a variable).

    >>> import symcost as sc
    >>> n, C, H = sc.dims("n C H")
    >>> block = sc.Repeat(n=n, body=sc.PointwiseConv2d(in_channels=C, out_channels=C))
    >>> block.cost(sc.Shape(C=C, H=H, W=H), "macs").total.macs
    C**2*H**2*n
    """

    kind: Literal["repeat"] = "repeat"
    n: Dim
    """Number of copies."""
    body: AnyLayer
    """The repeated block; its output shape must equal its input shape."""

    def children(self) -> list[tuple[str, Spec]]:
        return [(self.body.name or "body", self.body)]

    def map_children(self, fn: Callable[[str, Spec], Spec]) -> Self:
        return self.model_copy(update={"body": fn(self.body.name or "body", self.body)})

    def node(self, shape: Shape, path: str = "") -> Node:
        where = where_of(path, self.kind)
        constraints: list[Constraint] = self.size_constraints(where)
        body = self.body.node(shape, _child_path(path, self.body.name or "body"))
        if body.output.rank != shape.rank:
            raise ShapeMismatchError(f"a repeated body must keep its shape, but it turns "
                                     f"{shape} into {body.output}. Repeat only "
                                     "shape-preserving blocks.", layer=where, field="body")
        for axis, a, b in zip(shape.names, shape.sizes, body.output.sizes):
            constraints += require(
                sympy.Eq(a, b), where=where, field="body", value=f"{axis}: {a} -> {b}",
                message=(f"a repeated body must keep its shape, but it changes {axis}. "
                         "Repeat only shape-preserving blocks; put the first, resizing block "
                         "before the Repeat"), error=ShapeMismatchError)
        return Node(path, self.kind, shape, shape, children=[body], repeat=self.n,
                    constraints=constraints)


class GraphNode(BaseModel):
    """One operation of a :class:`Graph`: a layer (one input) or a merge (several)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        with reraise_validation("graph node", data, GraphNode):
            super().__init__(**data)

    name: str
    """Unique name; the row's path in the breakdown (an imported module's path)."""
    op: GraphOp
    """The layer, container or merge (``add``, ``mul``, ``concat``, ``matmul``) applied."""
    inputs: tuple[str, ...] = ("input",)
    """Names of earlier nodes (or ``"input"``, the graph's input) it reads, in order."""
    source: str | None = None
    """Where the operation came from, e.g. ``module``, ``function``, ``method`` or
    ``operator`` for an imported torch graph; copied into the census ``attrs`` so that a
    convention can price a module and a functional call differently (thop sees only
    modules)."""
    shares: str | None = None
    """Name of an earlier node whose parameters this one reuses (a torch module called
    twice): its operations are counted again, its parameters and buffers are not."""

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        check_name(value)
        return value


class Graph(_Container):
    """A general dataflow graph: named nodes in topological order, each reading the outputs
    of earlier nodes. What :func:`symcost.from_torch` produces from a ``torch.fx`` trace
    (any DAG, where Sequential/Residual/Parallel cover only chains and forks).

    >>> import symcost as sc
    >>> g = sc.Graph(nodes=[
    ...     sc.GraphNode(name="conv", op=sc.Conv2d(in_channels=8, out_channels=8,
    ...                  kernel_size=3, padding=1, bias=False)),
    ...     sc.GraphNode(name="relu", op=sc.ReLU(), inputs=("conv",)),
    ...     sc.GraphNode(name="add", op=sc.Add(), inputs=("relu", "input"))])
    >>> g.cost(sc.Shape(C=8, H="H", W="W"), "macs").total.macs
    576*H*W
    """

    kind: Literal["graph"] = "graph"
    nodes: tuple[GraphNode, ...] = Field(min_length=1)
    """The operations, each after the nodes it reads."""
    output: str | None = None
    """The node whose output is the graph's output (default: the last)."""

    @model_validator(mode="after")
    def _wired(self):
        seen = {"input"}
        by_name = {gn.name: gn for gn in self.nodes}
        for gn in self.nodes:
            where = where_of(gn.name, gn.op.kind)
            if gn.name in seen:
                raise SpecError("node names must be unique and not 'input'; rename it.",
                                layer=where, field="name", value=gn.name)
            unknown = [i for i in gn.inputs if i not in seen]
            if not gn.inputs:
                raise SpecError("reads no input; a layer reads one, a merge at least one. "
                                "List them, e.g. inputs=['input'].", layer=where,
                                field="inputs", value=gn.inputs)
            if gn.shares is not None:
                target = by_name.get(gn.shares)
                if target is None or gn.shares not in seen:
                    raise SpecError("shares the parameters of a node that is not an earlier "
                                    "node.", layer=where, field="shares", value=gn.shares)
                if target.op.kind != gn.op.kind or target.op.model_dump(
                        exclude={"name"}) != gn.op.model_dump(exclude={"name"}):
                    raise SpecError(f"shares the parameters of {gn.shares!r} "
                                    f"({target.op.kind}), which is not the same layer; only "
                                    "a layer identical to the earlier one can reuse its "
                                    "parameters.", layer=where, field="shares",
                                    value=gn.shares)
            if unknown:
                raise SpecError(f"reads {unknown}, which are not earlier nodes. List nodes "
                                "in topological order.", layer=where, field="inputs",
                                value=gn.inputs)
            if not isinstance(gn.op, Merge) and len(gn.inputs) != 1:
                raise SpecError("a layer reads exactly one input; combine several with a "
                                "merge (add, mul, concat, matmul).", layer=where,
                                field="inputs", value=gn.inputs)
            seen.add(gn.name)
        if self.output is not None and self.output not in seen:
            raise SpecError("is not a node of the graph.", layer="graph", field="output",
                            value=self.output)
        return self

    def children(self) -> list[tuple[str, Spec]]:
        return [(gn.name, gn.op) for gn in self.nodes]

    def map_children(self, fn: Callable[[str, Spec], Spec]) -> Self:
        return self.model_copy(update={"nodes": tuple(
            gn.model_copy(update={"op": fn(gn.name, gn.op)}) for gn in self.nodes)})

    def node(self, shape: Shape, path: str = "") -> Node:
        values = {"input": shape}
        children: list[Node] = []
        for gn in self.nodes:
            child_path = _child_path(path, gn.name)
            shapes = [values[i] for i in gn.inputs]
            if isinstance(gn.op, Merge):
                child = _merge_node(gn.op, shapes, path, child_path)
            else:
                child = gn.op.node(shapes[0], child_path)
                if child.uncosted and gn.source is not None:
                    # an importer's label already says why (a Custom's advice to give
                    # counts is for layers a user wrote)
                    child.uncosted = getattr(gn.op, "label", child.uncosted)
            if gn.source is not None or gn.shares is not None:
                for leaf in child.walk():
                    if leaf.census is not None:
                        leaf.census = _tagged(leaf.census, gn)
            values[gn.name] = child.output
            children.append(child)
        output = values[self.output or self.nodes[-1].name]
        return Node(path, self.kind, shape, output, children=children)


def _tagged(census, gn: GraphNode):
    attrs = {**census.attrs, "source": gn.source}
    if gn.shares is None:
        return replace(census, attrs=attrs)
    zero = sympy.Integer(0)
    return replace(census, params=zero, buffers=zero, attrs={**attrs, "shares": gn.shares})
