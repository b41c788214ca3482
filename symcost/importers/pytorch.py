"""From a ``torch.nn.Module`` to a symcost :class:`~symcost.containers.Graph`.

:func:`from_torch` traces the module with ``torch.fx`` and maps every node of the trace —
module calls, functional calls, tensor methods and Python operators — to a symcost spec.
Shapes are propagated symbolically from the input :class:`~symcost.Shape` the user gives,
so the result's cost is a formula in the dims the user named (``H``, ``W``, ``N``).

How the trace becomes a graph:

* every operation becomes one :class:`~symcost.containers.GraphNode`, named by its module path
  (``layer1.0.conv1``); a functional call or operator is named after the module whose
  ``forward`` made it (``layer1.0.add``). A module called a second time is named as torch
  names it (``block@1``), is costed again, and ``shares`` the parameters of its first call;
* operations that move data without arithmetic and have no torch counterpart in symcost
  (``contiguous``, ``clone``, ``detach``, ``x.size()``) are followed but not listed;
* an operation symcost cannot map is a :class:`~symcost.Custom` layer without counts, which
  the cost reports in ``.uncosted`` with its path and op (never a silent zero); its output
  shape is read from a sample run (``strict=True`` raises instead);
* one sample forward pass (``torch.fx``'s ``ShapeProp`` at the ``sample`` sizes) checks
  every symbolic shape against torch's own, so a wrong mapping cannot go unnoticed.

The import has inference semantics (Dropout is the identity, BatchNorm uses its running
statistics), which is what the peer presets reproduce for eval-mode models. ``chunk`` and
``split`` along channels become one free node per piece (``chunk.0``, ``chunk.1``);
``permute`` becomes :class:`~symcost.Permute` and ``LayerNorm``/``F.layer_norm`` over the last
axis :class:`~symcost.LayerNorm` (ConvNeXt's channels-last blocks); torchvision's
``stochastic_depth`` is :class:`~symcost.StochasticDepth` and its ShuffleNetV2
``channel_shuffle`` is traced as one call, :class:`~symcost.ChannelShuffle`.

Tensors of any rank are shaped (the rank is read from the traced tensors): feature maps
``N×C×H×W``, vectors ``N×C``, 1-D maps ``N×C×L``, 3-D maps ``N×C×T×H×W`` and sequences
``N×L×D``; ``view``/``reshape`` become :class:`~symcost.Reshape` with the traced sizes.
An operation without a mapping whose output changes the rank is uncosted, and so is what
follows it until a mapped operation reads a tensor symcost shaped.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from ..containers import Graph, GraphNode, Sequential
from ..dims import _MultipleDim
from ..errors import SymcostError, TorchImportError
from ..layers import activation as act
from ..layers.conv import Conv1d, Conv2d, Conv3d, ConvTranspose2d
from ..layers.custom import Custom
from ..layers.linear import Linear
from ..layers.merge import Add, Concat, MatMul, Mul
from ..layers.norm import BatchNorm2d, LayerNorm
from ..layers.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    GlobalAvgPool2d,
    GlobalMaxPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from ..layers.resample import Upsample
from ..layers.reshape import (
    ChannelShuffle,
    Dropout,
    Flatten,
    Identity,
    Permute,
    Reshape,
    StochasticDepth,
)
from ..shapes import Shape

__all__ = ["from_torch"]

#: Default sample size of every symbolic axis but the batch (which samples at 2).
SAMPLE_SIZE = 224
#: Most elements of the sample input of the checking forward pass (512 MB of float32).
MAX_SAMPLE_ELEMENTS = 2**27


def from_torch(module, input: Shape, *, strict: bool = False, sample: dict | None = None,
               leaf_modules: tuple = ()) -> Graph:
    """Import a ``torch.nn.Module`` as a symcost :class:`~symcost.containers.Graph`.

    ``input`` is the symbolic input shape, e.g. ``Shape(N=1, C=3, H="H", W="W")``.
    ``strict=True`` raises :class:`~symcost.TorchImportError` listing every operation that
    has no mapping, instead of reporting them as uncosted. ``sample`` gives the values used
    for the checking forward pass (default: batch 2, every other symbol 224, rounded up to
    its declared multiple). ``leaf_modules`` are module types to keep opaque (not traced
    into); unless symcost maps them they are uncosted.

    >>> import torch.nn as nn
    >>> import symcost as sc
    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())
    >>> x = sc.Shape(C=3, H="H", W="W")
    >>> sc.from_torch(model, x).cost(x, "torch").total.flops
    432*(floor(H/2 - 1/2) + 1)*(floor(W/2 - 1/2) + 1)
    """
    torch, fx = _torch()
    if not isinstance(input, Shape):
        raise TorchImportError(f"from_torch: input must be a symcost.Shape (given {input!r}),"
                               " e.g. Shape(N=1, C=3, H='H', W='W').")
    if not isinstance(module, torch.nn.Module):
        raise TorchImportError(f"from_torch: expected a torch.nn.Module (given "
                               f"{type(module).__name__}).")
    if not isinstance(leaf_modules, tuple) or not all(isinstance(t, type)
                                                      for t in leaf_modules):
        raise TorchImportError(f"from_torch: leaf_modules must be a tuple of module types "
                               f"(given {leaf_modules!r}).")
    if fx.Tracer().is_leaf_module(module, "") or isinstance(module, tuple(leaf_modules)):
        # a bare nn.Conv2d or nn.Linear would be traced into its forward (F.conv2d), losing
        # the module symcost maps: import it as the one layer of a container
        module = torch.nn.Sequential(OrderedDict([(type(module).__name__.lower(), module)]))
    gm = _trace(fx, module, tuple(leaf_modules))
    values = _sample_values(input, sample)
    sizes = [int(ax.xreplace(values)) for ax in input.axes().values()]
    if math.prod(sizes) > MAX_SAMPLE_ELEMENTS:
        raise TorchImportError(f"from_torch: the sample input {tuple(sizes)} has "
                               f"{math.prod(sizes):,} elements, more than the "
                               f"{MAX_SAMPLE_ELEMENTS:,} the checking forward pass allows. "
                               "Pass sample={...} with smaller sizes.")
    example = torch.zeros(*sizes)
    _shape_prop(torch, fx, gm, example)
    builder = _Builder(gm, input, values)
    graph = builder.build(name=type(module).__name__)
    if strict and builder.unmapped:
        raise TorchImportError("from_torch(strict=True): no symcost mapping for "
                               + "; ".join(f"{p} ({op})" for p, op in builder.unmapped)
                               + ". Map them with a Custom layer, or pass strict=False to "
                               "list them in .uncosted.")
    return graph


# ------------------------------------------------------------------------------ torch glue


def _torch():
    try:
        import torch
        import torch.fx as fx
    except ImportError:  # pragma: no cover - exercised only without torch
        raise TorchImportError("from_torch needs PyTorch: pip install 'symcost[torch]' "
                               "(torch 2.x; the CPU build is enough).") from None
    return torch, fx


#: Functions traced as one call rather than through their body, when their module is loaded:
#: torchvision's ShuffleNetV2 shuffles channels through a 5-D view symcost does not shape.
_AUTOWRAP = (("torchvision.models.shufflenetv2", "channel_shuffle"),)


def _trace(fx, module, leaf_modules):
    autowrap = tuple(getattr(sys.modules[mod], fn) for mod, fn in _AUTOWRAP
                     if hasattr(sys.modules.get(mod), fn))

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return isinstance(m, leaf_modules) or super().is_leaf_module(m, qualname)

    try:
        graph = Tracer(autowrap_functions=autowrap).trace(module)
    except Exception as exc:  # fx raises many types; all mean "not traceable"
        raise TorchImportError(
            f"from_torch: torch.fx cannot trace {type(module).__name__}: "
            f"{type(exc).__name__}: {exc}. Typical causes are Python control flow on tensor "
            "values or sizes. Move that code into a submodule and pass its type in "
            "leaf_modules=(...) (it is then costed only if symcost maps it), or make the "
            "forward traceable.") from None
    return fx.GraphModule(module, graph)


def _sample_values(input: Shape, sample: dict | None) -> dict:
    if sample is not None and not isinstance(sample, Mapping):
        raise TorchImportError(f"from_torch: sample must be a dict of sizes by symbol name, "
                               f"e.g. {{'H': 64, 'W': 64}} (given {sample!r}).")
    names = {s.name: s for ax in input.axes().values() for s in ax.free_symbols}
    given = {}
    for key, value in (sample or {}).items():
        name = key.name if isinstance(key, sympy.Symbol) else key
        if name not in names:
            raise TorchImportError(f"from_torch: sample names {key!r}, which is not a symbol "
                                   "of the input shape (its symbols: "
                                   f"{', '.join(sorted(names)) or 'none'}).")
        m = int(names[name].multiple) if isinstance(names[name], _MultipleDim) else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value % m:
            raise TorchImportError(f"from_torch: sample {name} must be a positive int"
                                   + (f" multiple of {m}" if m > 1 else "")
                                   + f" (given {value!r}).")
        given[name] = value
    values: dict = {}
    for axis, expr in input.axes().items():
        for s in expr.free_symbols:
            if s.name in given:
                values[s] = sympy.Integer(given[s.name])
            elif s not in values:
                base = 2 if axis == "N" else SAMPLE_SIZE
                m = int(s.multiple) if isinstance(s, _MultipleDim) else 1
                values[s] = sympy.Integer(m * -(-base // m))
    return values


def _shape_prop(torch, fx, gm, example):
    from torch.fx.passes.shape_prop import ShapeProp

    was_training = gm.training
    gm.eval()
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(example)
    except Exception as exc:
        raise TorchImportError(f"from_torch: the sample forward pass on a tensor of shape "
                               f"{tuple(example.shape)} failed: {type(exc).__name__}: {exc}. "
                               "Pass sample={...} with sizes the model accepts.") from None
    finally:
        gm.train(was_training)


# ------------------------------------------------------------------------------ values


@dataclass
class _Tensor:
    """A traced tensor that symcost can shape: the graph node producing it, its shape."""

    node: str
    shape: Shape


@dataclass
class _Opaque:
    """A traced tensor outside symcost's shapes (another rank, or after an unmapped op)."""

    anchor: _Tensor
    origin: str = "a tensor symcost does not shape"
    """Why it is opaque, e.g. "3-D tensors after `flatten`": the reason every operation
    that reads it is uncosted."""


@dataclass
class _Op:
    """A mapped operation: the spec, the tensors it reads, parameters it owns."""

    spec: Any
    inputs: list
    params: int = 0


@dataclass
class _Value:
    """A traced value that is not an operation (a size, or the same tensor again)."""

    value: Any


@dataclass
class _Param:
    """A parameter or buffer read with ``get_attr``."""

    target: str
    numel: int
    shape: tuple[int, ...] = ()


_FREE_METHODS = {"contiguous", "clone", "detach", "float", "to", "cpu", "requires_grad_"}
#: Calls that read a tensor's sizes, rank or attributes (``x.shape``, ``x.size(0)``,
#: ``x.dim()``, ``torch._assert``): no arithmetic, never uncosted.
_SHAPE_PLUMBING = {"size", "dim", "getattr", "assert", "numel"}
#: Tensor attributes that describe it without computing anything (``x.T`` is not one).
_SIZE_ATTRS = {"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad"}


def _base(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def _fn_name(target) -> str:
    if isinstance(target, str):
        return target
    return getattr(target, "__name__", str(target)).lstrip("_").rstrip("_")


class _Builder:
    def __init__(self, gm, input: Shape, values: dict):
        self.gm = gm
        self.input = input
        self.values = values
        self.nodes: list[GraphNode] = []
        self.names: set[str] = {"input"}
        self.first_call: dict[str, str] = {}
        self.used_params: set[str] = set()
        self.unmapped: list[tuple[str, str]] = []
        self.env: dict[str, Any] = {}
        self.shapes: dict[str, Shape] = {"input": input}

    # -------------------------------------------------------------- driving the trace
    def build(self, name: str) -> Graph:
        output = None
        placeholders = 0
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                placeholders += 1
                if placeholders > 1:
                    raise TorchImportError(f"from_torch: the model takes more than one input "
                                           f"({node.name}); symcost imports single-input "
                                           "models.")
                self.env[node.name] = _Tensor("input", self.input)
            elif node.op == "output":
                output = self._first_tensor(node.args[0])
            elif node.op == "get_attr":
                attr = self.gm
                for part in node.target.split("."):
                    attr = getattr(attr, part)
                self.env[node.name] = (_Param(node.target, attr.numel(), tuple(attr.shape))
                                       if hasattr(attr, "numel") else attr)
            else:
                self.env[node.name] = self._visit(node)
        if not self.nodes:
            self._add("identity", Identity(), ["input"], "module", node=None)
        out_name = output.node if isinstance(output, _Tensor) else None
        if out_name == "input":
            out_name = None
        return Graph(name=name, nodes=self.nodes, output=out_name)

    def _first_tensor(self, value):
        if isinstance(value, (_Tensor, _Opaque)):
            return value if isinstance(value, _Tensor) else value.anchor
        if isinstance(value, (tuple, list)):
            for v in value:
                found = self._first_tensor(v)
                if found is not None:
                    return found
        if isinstance(value, dict):
            return self._first_tensor(list(value.values()))
        return None

    def _arg(self, a):
        from torch.fx import Node as FxNode

        if isinstance(a, FxNode):
            return self.env[a.name]
        if isinstance(a, (tuple, list)):
            return type(a)(self._arg(x) for x in a)
        if isinstance(a, dict):
            return {k: self._arg(v) for k, v in a.items()}
        return a

    def _visit(self, node):
        args = [self._arg(a) for a in node.args]
        kwargs = {k: self._arg(v) for k, v in node.kwargs.items()}
        tensors = [a for a in args if isinstance(a, (_Tensor, _Opaque))]
        if node.op == "call_module":
            sub = self.gm.get_submodule(node.target)
            op_text = f"{type(sub).__module__}.{type(sub).__name__}"
            source = "module"
            if any(isinstance(t, _Opaque) for t in tensors):
                return self._unmapped(node, op_text, args, source, module=sub)
            spec = _guarded(_module_spec, sub, args[0].shape) if tensors else None
            mapped = _Op(spec, [args[0]]) if spec is not None else None
        else:
            op_text = _fn_name(node.target)
            if op_text == "getitem" and isinstance(args[0], (list, tuple)) \
                    and isinstance(args[1], int):
                return args[0][args[1]]  # one piece of a chunk/split
            if op_text in ("chunk", "split") and isinstance(args[0], _Tensor):
                pieces = self._pieces(node, op_text, args, kwargs)
                if pieces is not None:
                    return pieces
            source = ("method" if node.op == "call_method" else
                      "operator" if getattr(node.target, "__module__", "") in
                      ("_operator", "operator") else "function")
            if not tensors and not any(isinstance(a, (_Tensor, _Opaque)) for a in
                                       _flat(args, kwargs)):
                return _size_arith(node, op_text, args, kwargs)
            if op_text in _SHAPE_PLUMBING and (
                    op_text != "getattr" or (len(args) > 1 and args[1] in _SIZE_ATTRS)):
                # reading sizes, ranks or attributes computes nothing: free, whatever the
                # tensor (sizes of a tensor symcost does not shape are unknown, None)
                if isinstance(args[0], _Tensor):
                    mapped = self._function_spec(node, op_text, args, kwargs)
                    if isinstance(mapped, _Value):
                        return mapped.value
                return None
            if any(isinstance(t, _Opaque) for t in _flat(args, kwargs)):
                return self._unmapped(node, op_text, args, source)
            mapped = self._function_spec(node, op_text, args, kwargs)
            if isinstance(mapped, _Value):
                return mapped.value
        if mapped is None:
            return self._unmapped(node, op_text, args, source,
                                  module=sub if node.op == "call_module" else None)
        return self._add(_base(node.name), mapped.spec, mapped.inputs, source, node=node,
                         params=mapped.params)

    # -------------------------------------------------------------- graph nodes
    def _path(self, node, label: str) -> str:
        stack = node.meta.get("nn_module_stack") if node is not None else None
        if node is not None and node.op == "call_module":
            path = list(stack)[-1] if stack else node.target
        else:
            owner = list(stack)[-1] if stack else ""
            path = f"{owner}.{label}" if owner else label
        unique, k = path, 1
        while unique in self.names:
            unique, k = f"{path}@{k}", k + 1
        return unique

    def _add(self, label, spec, inputs, source, *, node, params=0, check=True):
        path = self._path(node, label)
        names = [t.node for t in inputs]
        shares = None
        if node is not None and node.op == "call_module":
            shares = self.first_call.get(node.target)
            self.first_call.setdefault(node.target, path)
        if params and shares is None and isinstance(spec, Custom):
            spec = spec.model_copy(update={"params": sympy.Integer(params)})
        gn = GraphNode(name=path, op=spec, inputs=tuple(names), source=source, shares=shares)
        shapes = [self._shape_of(n) for n in names]
        if hasattr(spec, "combine"):
            out = spec.combine(shapes, path)[0]
        else:
            out = spec.node(shapes[0], path).output
        self.nodes.append(gn)
        self.names.add(path)
        self.shapes[path] = out
        if node is not None and check:
            self._check(node, path, out)
        return _Tensor(path, out)

    def _shape_of(self, name: str) -> Shape:
        return self.shapes[name]

    def _check(self, node, path, out: Shape):
        meta = node.meta.get("tensor_meta")
        real = getattr(meta, "shape", None)
        if real is None:
            return
        mine = [int(ax.xreplace(self.values)) for ax in out.axes().values()]
        if list(real) != mine:
            raise TorchImportError(
                f"from_torch: {path} ({_fn_name(node.target)}): symcost's shape {out} gives "
                f"{tuple(mine)} at the sample sizes, torch gives {tuple(real)}. Please report "
                "this model; strict=False cannot help here.")

    def _unmapped(self, node, op_text, args, source, module=None):
        path_hint = self._path(node, _base(node.name))
        self.unmapped.append((path_hint, op_text))
        opaque = next((t for t in _flat(args, {}) if isinstance(t, _Opaque)), None)
        anchor = next((t for t in _flat(args, {}) if isinstance(t, _Tensor)), None)
        if anchor is None:
            anchor = opaque.anchor if opaque else _Tensor("input", self.input)
        params = 0
        if module is not None:
            params = sum(p.numel() for p in module.parameters())
        for p in _flat(args, {}):  # weights read with get_attr, e.g. F.conv2d(x, self.w)
            if isinstance(p, _Param) and p.target not in self.used_params:
                self.used_params.add(p.target)
                params += p.numel
        meta = node.meta.get("tensor_meta")
        real = getattr(meta, "shape", None)
        # the reason, grouped in reports by the text before " — ": the tensor it reads
        # when symcost could not shape that, else the missing mapping itself
        why = opaque.origin if opaque is not None else f"no symcost mapping for {op_text}"
        label = f"{why} — {op_text}"
        if real is not None and len(real) == anchor.shape.rank:
            output = self._output_from_sample(anchor.shape, tuple(real))
            if output:
                label += ("; output shape read from the sample run (sizes fixed at the sample "
                          "size: later costs hold only there)")
            spec = Custom(label=label, output=output or None)
            return self._add(_base(node.name), spec, [anchor], source, node=node,
                             params=params)
        if opaque is None:
            rank = len(real) if real is not None else None
            origin = (f"{rank}-D tensors after `{op_text}` (another rank than its input)"
                      if rank is not None
                      else f"non-tensor outputs of `{op_text}`")
            why = origin
            label = f"{why} — {op_text}"
        else:
            origin = opaque.origin
        spec = Custom(label=label + "; its output has another rank, which symcost cannot "
                      "shape without a mapping")
        made = self._add(_base(node.name), spec, [anchor], source, node=node, params=params,
                         check=False)
        return _Opaque(made, origin)

    def _output_from_sample(self, shape: Shape, real: tuple) -> dict:
        """The axes (by name) whose sample size differs from symcost's: fixed there."""
        return {name: sympy.Integer(size) for name, expr, size in
                zip(shape.names, shape.sizes, real) if int(expr.xreplace(self.values)) != size}

    def _pieces(self, node, name, args, kwargs):
        """``chunk``/``split`` along one axis: one free node per piece, each reading x."""
        x = args[0]
        count_or_size = _kw(args, kwargs, 1, "chunks" if name == "chunk" else
                            "split_size_or_sections")
        dim = _kw(args, kwargs, 2, "dim", 0)
        meta = node.meta.get("tensor_meta")
        if not isinstance(dim, int) or not -x.shape.rank <= dim < x.shape.rank or dim % \
                x.shape.rank == 0 or not isinstance(meta, (tuple, list)) or not isinstance(
                count_or_size, int):
            return None
        axis = dim % x.shape.rank
        size = x.shape[axis]
        sizes = [int(m.shape[axis]) for m in meta]
        if not size.is_Integer or sum(sizes) != int(size):
            return None
        out = []
        for i, c in enumerate(sizes):
            spec = Custom(label=f"{name} piece {i + 1}/{len(sizes)} along axis {axis}",
                          counts={}, output={x.shape.names[axis]: c})
            out.append(self._add(f"{_base(node.name)}.{i}", spec, [x], "method"
                                 if node.op == "call_method" else "function", node=None))
        return out

    # -------------------------------------------------------------- functions/methods
    def _function_spec(self, node, name, args, kwargs):
        rule = _FUNCTIONS.get(name)
        if name in _FREE_METHODS and node.op == "call_method":
            return _Value(args[0])
        if name in ("size", "dim") and node.op == "call_method":
            return _Value(_size_of(args[0], name, args[1:], kwargs))
        if name == "getattr" and len(args) == 2 and args[1] == "shape":
            return _Value(_size_of(args[0], "size", [], {}))
        if rule is None:
            return None
        return _guarded(rule, self, args, kwargs)


def _guarded(rule, *args):
    """A mapping rule's result, or None (reported as unmapped) when it rejects the call's
    arguments — e.g. a non-integer scale factor or a pooling window that does not fit."""
    try:
        return rule(*args)
    except (TypeError, ValueError, SymcostError):
        return None


def _flat(args, kwargs):
    out = []
    for a in [*args, *kwargs.values()]:
        if isinstance(a, (tuple, list)):
            out.extend(_flat(a, {}))
        else:
            out.append(a)
    return out


def _size_of(t, name, args, kwargs):
    if not isinstance(t, _Tensor):
        return None
    axes = tuple(t.shape.axes().values())
    if name == "dim":
        return len(axes)
    i = args[0] if args else kwargs.get("dim")
    return axes if i is None else axes[i]


_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "floordiv": operator.floordiv, "getitem": operator.getitem}


def _size_arith(node, name, args, kwargs):
    """Arithmetic on sizes (``x.size(0) * 2``) and constants: evaluated symbolically."""
    fn = _ARITH.get(name)
    if fn is None:
        return None
    try:
        if name == "floordiv":
            return sympy.floor(sympy.sympify(args[0]) / args[1])
        return fn(*args)
    except Exception:
        return None


# ------------------------------------------------------------------------------ modules


def _ints(v):
    """A size or a pair, as spec fields take them: ints, or symbolic sizes traced from x."""
    if isinstance(v, (tuple, list)):
        values = tuple(_one_int(x) for x in v)
        return values if len(set(values)) > 1 else values[0]
    return _one_int(v)


def _one_int(x):
    return x if isinstance(x, sympy.Basic) and not x.is_Integer else int(x)


def _factor(v):
    if v is None:
        return None
    vals = v if isinstance(v, (tuple, list)) else (v,)
    if any(float(x) != int(x) for x in vals):
        return False
    return _ints(tuple(int(x) for x in vals))


def _module_spec(m, shape: Shape):
    """The spec of a module call, through :func:`_modules`' table (None: no mapping)."""
    rule = _modules().get(type(m))
    return None if rule is None else rule(m, shape)


def _conv(cls):
    def make(m, shape):
        padding = m.padding if isinstance(m.padding, str) else _ints(m.padding)
        return cls(in_channels=m.in_channels, out_channels=m.out_channels,
                   kernel_size=_ints(m.kernel_size), stride=_ints(m.stride), padding=padding,
                   dilation=_ints(m.dilation), groups=m.groups, bias=m.bias is not None)
    return make


def _max_pool_module(cls):
    return lambda m, shape: cls(kernel_size=_ints(m.kernel_size), stride=_ints(m.stride),
                                padding=_ints(m.padding), dilation=_ints(m.dilation),
                                ceil_mode=m.ceil_mode)


def _avg_pool_module(cls):
    # the divisor (count_include_pad, divisor_override) changes no count: one division each
    return lambda m, shape: cls(kernel_size=_ints(m.kernel_size), stride=_ints(m.stride),
                                padding=_ints(m.padding), ceil_mode=m.ceil_mode)


def _batch_norm(m, shape):
    return BatchNorm2d(num_features=m.num_features, affine=m.affine,
                       track_running_stats=m.track_running_stats)


@functools.cache
def _modules() -> dict[type, Any]:
    """Module type → rule ``(module, input shape) → spec or None``: the one place a torch
    module type is mapped."""
    import torch.nn as nn

    table: dict[type, Any] = {
        nn.Conv1d: _conv(Conv1d), nn.Conv2d: _conv(Conv2d), nn.Conv3d: _conv(Conv3d),
        nn.ConvTranspose2d: lambda m, shape: ConvTranspose2d(
            in_channels=m.in_channels, out_channels=m.out_channels,
            kernel_size=_ints(m.kernel_size), stride=_ints(m.stride),
            padding=_ints(m.padding), output_padding=_ints(m.output_padding),
            dilation=_ints(m.dilation), groups=m.groups, bias=m.bias is not None),
        nn.Linear: lambda m, shape: Linear(in_features=m.in_features,
                                           out_features=m.out_features,
                                           bias=m.bias is not None),
        nn.LayerNorm: lambda m, shape: _layer_norm(m.normalized_shape, m.elementwise_affine,
                                                   getattr(m, "bias", None) is not None),
        nn.BatchNorm1d: _batch_norm, nn.BatchNorm2d: _batch_norm, nn.BatchNorm3d: _batch_norm,
        nn.MaxPool1d: _max_pool_module(MaxPool1d), nn.MaxPool2d: _max_pool_module(MaxPool2d),
        nn.MaxPool3d: _max_pool_module(MaxPool3d),
        nn.AvgPool1d: _avg_pool_module(AvgPool1d), nn.AvgPool2d: _avg_pool_module(AvgPool2d),
        nn.AvgPool3d: _avg_pool_module(AvgPool3d),
        nn.AdaptiveAvgPool1d: lambda m, shape: _adaptive(m.output_size, shape),
        nn.AdaptiveAvgPool2d: lambda m, shape: _adaptive(m.output_size, shape),
        nn.AdaptiveMaxPool2d: lambda m, shape: (GlobalMaxPool2d() if _ints(m.output_size) == 1
                                                and shape.rank == 4 else None),
        nn.Identity: lambda m, shape: Identity(),
        nn.Flatten: lambda m, shape: _flatten(m.start_dim, m.end_dim, shape),
        nn.ChannelShuffle: lambda m, shape: ChannelShuffle(groups=m.groups),
        nn.Softmax: lambda m, shape: _softmax(m.dim, shape),
        **{t: lambda m, shape: Dropout(p=m.p)
           for t in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)},
        **{t: lambda m, shape: _upsample(m.size, m.scale_factor, m.mode)
           for t in (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)},
        **{getattr(nn, cls.__name__): _activation_module(cls) for cls in act.ACTIVATION_TYPES},
    }
    return table


def _layer_norm(normalized_shape, affine: bool, bias: bool):
    """``LayerNorm`` over the last axis only (an int or a 1-tuple ``normalized_shape``)."""
    sizes = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (
        normalized_shape,)
    if len(sizes) != 1:
        return None
    return LayerNorm(normalized_shape=int(sizes[0]), elementwise_affine=affine,
                     bias=affine and bias)


def _own_fields(cls) -> list[str]:
    """A spec's fields beyond kind and name, in order (an activation's are torch's names)."""
    return [f for f in cls.model_fields if f not in ("kind", "name")]


def _activation_module(cls):
    """``nn.LeakyReLU(0.2)`` → ``LeakyReLU(negative_slope=0.2)``: the module's attributes of
    the same names as the spec's fields."""
    return lambda m, shape: cls(**{f: getattr(m, f) for f in _own_fields(cls)
                                   if hasattr(m, f)})


_ADAPTIVE = {3: AdaptiveAvgPool1d, 4: AdaptiveAvgPool2d}


def _adaptive(output_size, shape):
    cls = _ADAPTIVE.get(shape.rank)
    if cls is None:
        return None
    rank = shape.rank - 2
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * rank
    sizes = tuple(size if s is None else int(s) for s, size in zip(sizes, shape.spatial_sizes))
    return cls(output_size=sizes if len(set(sizes)) > 1 else sizes[0])


def _flatten(start, end, shape):
    if shape.position(start, where="flatten") == shape.position(end, where="flatten"):
        return Identity()
    return Flatten(start_dim=start, end_dim=end)


def _upsample(size, scale, mode):
    if mode not in ("nearest", "bilinear"):
        return None
    if size is not None:
        return Upsample(size=_ints(size), mode=mode)
    factor = _factor(scale)
    return Upsample(scale_factor=factor, mode=mode) if factor else None


def _softmax(dim, shape):
    rank = shape.rank
    if dim is None:  # torch's implicit dim for a legacy call
        dim = 0 if rank in (0, 1, 3) else 1
    return act.Softmax(dim=dim % rank) if dim % rank != 0 else None


# ------------------------------------------------------------------------------ functions


def _single(make):
    """A rule for an op on one tensor (its first argument)."""

    def rule(b, args, kwargs):
        x = args[0]
        if not isinstance(x, _Tensor):
            return None
        spec = make(x.shape, list(args[1:]), kwargs)
        return None if spec is None else _Op(spec, [x])

    return rule


def _kw(args, kwargs, i, name, default=None):
    if len(args) > i:
        return args[i]
    return kwargs.get(name, default)


def _elementwise(op_name):
    """Tensor with tensor: a merge; tensor with a constant: one op per element."""
    merge = {"add": Add, "sub": Add, "mul": Mul}.get(op_name)

    def rule(b, args, kwargs):
        a, other = args[0], _kw(args, kwargs, 1, "other")
        if not isinstance(a, _Tensor):
            a, other = other, a
            if op_name in ("sub", "div") or not isinstance(a, _Tensor):
                return None
        if isinstance(other, _Tensor):
            if merge is None:
                return None
            return _Op(merge(), [a, other])
        census = {"add": "add", "sub": "add", "mul": "mul", "div": "div"}[op_name]
        params = 0
        if isinstance(other, _Param):
            if other.target not in b.used_params:
                b.used_params.add(other.target)
                params = other.numel
        elif not isinstance(other, (int, float, sympy.Expr)):
            return None
        elements = "*".join(a.shape.names)  # the input's axes, by name: every element
        return _Op(Custom(label=f"{op_name} by a constant", counts={census: elements}), [a],
                   params)

    return rule


def _mean(shape, rest, kwargs):
    dims = _kw(rest, kwargs, 0, "dim")
    keep = _kw(rest, kwargs, 1, "keepdim", False)
    if shape.rank != 4 or dims is None:
        return None
    dims = tuple(d % 4 for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    if sorted(dims) != [2, 3]:
        return None
    return GlobalAvgPool2d() if keep else Sequential(layers=[GlobalAvgPool2d(), Flatten()])


#: Names given to the axes of a reshaped tensor, by rank (the batch keeps N).
_RESHAPED = {2: ("N", "C"), 3: ("N", "L", "D"), 4: ("N", "C", "H", "W"),
             5: ("N", "C", "T", "H", "W")}


def _reshape(shape, rest, kwargs):
    """``view``/``reshape`` to the traced sizes (symbolic where they came from x.size()):
    a :class:`Reshape`; an unchanged shape is the identity, a flattening a Flatten."""
    sizes = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
    sizes = [sympy.sympify(v) for v in sizes]
    if not sizes or any(not isinstance(v, sympy.Expr) for v in sizes):
        return None
    known = sympy.Mul(*(v for v in sizes if v != -1))
    full = [shape.elements / known if v == -1 else v for v in sizes]
    if len(full) == shape.rank and all(sympy.expand(a - b) == 0
                                       for a, b in zip(full, shape.sizes)):
        return Identity()
    if len(full) == 2 and sympy.expand(full[0] - shape[0]) == 0:
        return Flatten()
    names = _RESHAPED.get(len(sizes)) or tuple(f"a{i}" for i in range(len(sizes)))
    return Reshape(axes={n: (-1 if v == -1 else v) for n, v in zip(names, sizes)})


def _torch_flatten(shape, rest, kwargs):
    return _flatten(_kw(rest, kwargs, 0, "start_dim", 0), _kw(rest, kwargs, 1, "end_dim", -1),
                    shape)


def _interpolate(shape, rest, kwargs):
    return _upsample(_kw(rest, kwargs, 0, "size"), _kw(rest, kwargs, 1, "scale_factor"),
                     _kw(rest, kwargs, 2, "mode", "nearest"))


def _pool(classes):
    """``F.max_poolNd``/``F.avg_poolNd``: the class for the input's rank."""
    def make(shape, rest, kwargs):
        cls = classes.get(shape.rank)
        if cls is None:
            return None
        k = _kw(rest, kwargs, 0, "kernel_size")
        stride = _kw(rest, kwargs, 1, "stride") or k
        fields = dict(kernel_size=_ints(k), stride=_ints(stride),
                      padding=_ints(_kw(rest, kwargs, 2, "padding", 0)))
        if cls in (MaxPool1d, MaxPool2d, MaxPool3d):
            fields.update(dilation=_ints(_kw(rest, kwargs, 3, "dilation", 1)),
                          ceil_mode=bool(_kw(rest, kwargs, 4, "ceil_mode", False)))
        else:
            fields.update(ceil_mode=bool(_kw(rest, kwargs, 3, "ceil_mode", False)))
        return cls(**fields)

    return make


def _transpose(shape, rest, kwargs):
    """Swapping two axes (``x.transpose(1, 2)``, ``x.t()``, ``x.mT``) moves data only: a
    :class:`Permute`."""
    if len(rest) == 2 and all(isinstance(d, int) for d in rest):
        a, b = (d % shape.rank for d in rest)
    elif not rest and shape.rank == 2:
        a, b = 0, 1
    else:
        return None
    dims = list(range(shape.rank))
    dims[a], dims[b] = dims[b], dims[a]
    return Permute(dims=tuple(dims))


def _pad(shape, rest, kwargs):
    """Constant padding of the last axes (``F.pad(x, (left, right, top, bottom))``): data
    movement, free; the padded axes grow."""
    pads = _kw(rest, kwargs, 0, "pad")
    mode = _kw(rest, kwargs, 1, "mode", "constant")
    if not isinstance(pads, (tuple, list)) or len(pads) % 2 or len(pads) // 2 > shape.rank - 2:
        return None
    grow = {}
    for i in range(len(pads) // 2):  # torch: the last axis first
        name = shape.names[-1 - i]
        grow[name] = f"{name} + {int(pads[2 * i]) + int(pads[2 * i + 1])}"
    return Custom(label=f"pad ({mode})", counts={}, output=grow)


def _cat(b, args, kwargs):
    tensors = _kw(args, kwargs, 0, "tensors")
    dim = _kw(args, kwargs, 1, "dim", 0)
    if not tensors or not all(isinstance(t, _Tensor) for t in tensors) or \
            not isinstance(dim, int):
        return None
    rank = tensors[0].shape.rank
    if dim % rank == 0:
        return None
    return _Op(Concat(dim=dim % rank), list(tensors))


def _matmul(b, args, kwargs):
    if len(args) == 2 and all(isinstance(t, _Tensor) for t in args):
        return _Op(MatMul(), list(args))
    return None


def _permute(shape, rest, kwargs):
    """``x.permute(0, 2, 3, 1)`` / ``torch.permute(x, dims)``: data movement, free."""
    dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
    dims = kwargs.get("dims", dims)
    if not dims or not all(isinstance(d, int) for d in dims):
        return None
    rank = len(dims)
    return Permute(dims=tuple(d % rank for d in dims))


def _functional_layer_norm(b, args, kwargs):
    """``F.layer_norm(x, normalized_shape, weight, bias)``: the weight and bias it reads are
    the layer's parameters (counted by the spec, so marked as used here)."""
    x = args[0]
    if not isinstance(x, _Tensor):
        return None
    weight = _kw(args, kwargs, 2, "weight")
    bias = _kw(args, kwargs, 3, "bias")
    for p in (weight, bias):
        if isinstance(p, _Param):
            if p.target in b.used_params:
                return None  # shared with another op: keep it visible as unmapped
    spec = _layer_norm(_kw(args, kwargs, 1, "normalized_shape"), weight is not None,
                       bias is not None)
    if spec is None or (bias is not None and weight is None):
        return None
    for p in (weight, bias):
        if isinstance(p, _Param):
            b.used_params.add(p.target)
    return _Op(spec, [x])


def _weights(b, tensors):
    """Mark parameters read by a functional call as this op's (None if another op has them
    already: then the call stays visible as unmapped)."""
    params = [p for p in tensors if isinstance(p, _Param)]
    if any(p.target in b.used_params for p in params):
        return None
    for p in params:
        b.used_params.add(p.target)
    return params


def _functional_linear(b, args, kwargs):
    """``F.linear(x, weight, bias)`` (what a root ``nn.Linear`` traces into)."""
    x, weight, bias = args[0], _kw(args, kwargs, 1, "weight"), _kw(args, kwargs, 2, "bias")
    if not isinstance(x, _Tensor) or not isinstance(weight, _Param) or len(weight.shape) != 2:
        return None
    if (bias is not None and not isinstance(bias, _Param)) or _weights(b, [weight, bias]) is None:
        return None
    out, fin = weight.shape
    return _Op(Linear(in_features=fin, out_features=out, bias=bias is not None), [x])


def _functional_conv(cls):
    """``F.conv1d/2d/3d(x, weight, bias, stride, padding, dilation, groups)``."""
    def rule(b, args, kwargs):
        x, weight = args[0], _kw(args, kwargs, 1, "weight")
        bias = _kw(args, kwargs, 2, "bias")
        if not isinstance(x, _Tensor) or not isinstance(weight, _Param) or \
                (bias is not None and not isinstance(bias, _Param)):
            return None
        groups = int(_kw(args, kwargs, 6, "groups", 1))
        padding = _kw(args, kwargs, 4, "padding", 0)
        spec = cls(in_channels=weight.shape[1] * groups, out_channels=weight.shape[0],
                   kernel_size=_ints(weight.shape[2:]),
                   stride=_ints(_kw(args, kwargs, 3, "stride", 1)),
                   padding=padding if isinstance(padding, str) else _ints(padding),
                   dilation=_ints(_kw(args, kwargs, 5, "dilation", 1)), groups=groups,
                   bias=bias is not None)
        if _weights(b, [weight, bias]) is None:
            return None
        return _Op(spec, [x])
    return rule


def _activation_function(cls):
    """``F.leaky_relu(x, 0.2)`` → ``LeakyReLU(negative_slope=0.2)``: the function's arguments
    after the input, by position or name, are the spec's fields."""
    def make(shape, rest, kwargs):
        fields = _own_fields(cls)
        given = dict(zip(fields, rest))
        given.update({k: v for k, v in kwargs.items() if k in fields})
        return cls(**given)
    return _single(make)


_MAX_POOLS = {3: MaxPool1d, 4: MaxPool2d, 5: MaxPool3d}
_AVG_POOLS = {3: AvgPool1d, 4: AvgPool2d, 5: AvgPool3d}

_FUNCTIONS = {
    # F.prelu reads a weight tensor: it stays unmapped (visible) rather than guessed
    **{cls.model_fields["kind"].default: _activation_function(cls)
       for cls in act.ACTIVATION_TYPES if cls is not act.PReLU},
    "softmax": _single(lambda s, r, k: _softmax(_kw(r, k, 0, "dim"), s)),
    "dropout": _single(lambda s, r, k: Dropout(p=_kw(r, k, 0, "p", 0.5))),
    "dropout2d": _single(lambda s, r, k: Dropout(p=_kw(r, k, 0, "p", 0.5))),
    "identity": _single(lambda s, r, k: Identity()),
    **{f"max_pool{r}d": _single(_pool(_MAX_POOLS)) for r in (1, 2, 3)},
    **{f"avg_pool{r}d": _single(_pool(_AVG_POOLS)) for r in (1, 2, 3)},
    "adaptive_avg_pool1d": _single(lambda s, r, k: _adaptive(_kw(r, k, 0, "output_size"), s)),
    "adaptive_avg_pool2d": _single(lambda s, r, k: _adaptive(_kw(r, k, 0, "output_size"), s)),
    "linear": _functional_linear, "conv1d": _functional_conv(Conv1d),
    "conv2d": _functional_conv(Conv2d), "conv3d": _functional_conv(Conv3d),
    "adaptive_max_pool2d": _single(
        lambda s, r, k: GlobalMaxPool2d() if _ints(_kw(r, k, 0, "output_size")) == 1
        and s.rank == 4 else None),
    "interpolate": _single(_interpolate), "upsample": _single(_interpolate),
    "channel_shuffle": _single(lambda s, r, k: ChannelShuffle(groups=_kw(r, k, 0, "groups"))),
    "flatten": _single(_torch_flatten), "view": _single(_reshape),
    "reshape": _single(_reshape), "mean": _single(_mean),
    "add": _elementwise("add"), "iadd": _elementwise("add"), "sub": _elementwise("sub"),
    "isub": _elementwise("sub"), "mul": _elementwise("mul"), "imul": _elementwise("mul"),
    "truediv": _elementwise("div"), "div": _elementwise("div"),
    "pad": _single(_pad), "transpose": _single(_transpose), "t": _single(_transpose),
    "cat": _cat, "concat": _cat, "matmul": _matmul, "bmm": _matmul,
    "permute": _single(_permute), "layer_norm": _functional_layer_norm,
    "stochastic_depth": _single(lambda s, r, k: StochasticDepth(
        p=float(_kw(r, k, 0, "p")), mode=_kw(r, k, 1, "mode", "row"))),
}
