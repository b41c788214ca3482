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

import math
import operator
import sys
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import sympy

from ..containers import Graph, GraphNode
from ..dims import _MultipleDim
from ..errors import SymcostError, TorchImportError
from ..layers.attention import MultiheadAttention
from ..layers.custom import Custom
from ..layers.reshape import (
    Identity,
)
from ..shapes import Shape
from .torch_rules import _FUNCTIONS, _module_spec
from .traced import (
    _FREE_METHODS,
    _SHAPE_PLUMBING,
    _SIZE_ATTRS,
    _base,
    _flat,
    _fn_name,
    _kw,
    _Op,
    _Opaque,
    _Param,
    _Tensor,
    _Value,
)

__all__ = ["from_torch"]

#: Default sample size of every symbolic axis but the batch (which samples at 2).
SAMPLE_SIZE = 224
#: Most elements of the sample input of the checking forward pass (512 MB of float32).
MAX_SAMPLE_ELEMENTS = 2**27


def from_torch(module, input: Shape, *, strict: bool = False, sample: dict | None = None,
               leaf_modules: tuple = ()) -> Graph:
    """Import a ``torch.nn.Module`` as a symcost :class:`~symcost.containers.Graph`.

    ``input`` is the symbolic input shape, e.g. ``Shape(N=1, C=3, H="H", W="W")``; a batch
    of token ids ``Shape(N=B, L=T)`` is fed to the checking forward pass as integers.
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
    # a batch of token ids, Shape(N=B, L=T), is fed as integers (an embedding looks them up)
    example = torch.zeros(*sizes, dtype=torch.long if input.names == ("N", "L") else None)
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
            if isinstance(sub, _torch()[0].nn.MultiheadAttention):
                return self._attention(node, sub, args, kwargs)
            spec = _guarded(_module_spec, sub, args[0].shape) if tensors else None
            mapped = _Op(spec, [args[0]]) if spec is not None else None
        else:
            op_text = _fn_name(node.target)
            if op_text == "expand" and isinstance(args[0], _Param):
                return args[0]  # a parameter broadcast over the batch: still that parameter
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

    def _attention(self, node, sub, args, kwargs):
        """``nn.MultiheadAttention(q, k, v)``: self-attention on a batch-first sequence is a
        :class:`~symcost.MultiheadAttention` (fused, as torch runs it); its result is the
        pair (output, weights), the weights left unshaped (None)."""
        op_text = f"{type(sub).__module__}.{type(sub).__name__}"
        q, k, v = (_kw(args, kwargs, i, name) for i, name in enumerate(("query", "key",
                                                                         "value")))
        mask = _kw(args, kwargs, 5, "attn_mask")
        causal = _kw(args, kwargs, 7, "is_causal", False)
        if not (isinstance(q, _Tensor) and q is k and q is v) or not sub.batch_first \
                or mask is not None or _kw(args, kwargs, 3, "key_padding_mask") is not None \
                or sub.bias_k is not None or sub.add_zero_attn or not sub._qkv_same_embed_dim:
            # cross-attention, (T, B, d) layout, explicit masks: not mapped (yet)
            return self._unmapped(node, op_text, args, "module", module=sub)
        spec = MultiheadAttention(embed_dim=sub.embed_dim, num_heads=sub.num_heads,
                                  bias=sub.in_proj_bias is not None,
                                  out_bias=sub.out_proj.bias is not None,
                                  mask="causal" if causal is True else "none", fused=True)
        out = self._add(_base(node.name), spec, [q], "module", node=node)
        return (out, None)

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
