"""What the importer knows of each traced value: a tensor symcost shapes, one it cannot,
a mapped operation, a plain value, a parameter read with ``get_attr``; and the small
helpers that read a traced call's arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..shapes import Shape

__all__: list[str] = []  # package-private: used by importers.pytorch and importers.torch_rules

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


def _flat(args, kwargs):
    out = []
    for a in [*args, *kwargs.values()]:
        if isinstance(a, (tuple, list)):
            out.extend(_flat(a, {}))
        else:
            out.append(a)
    return out


def _kw(args, kwargs, i, name, default=None):
    if len(args) > i:
        return args[i]
    return kwargs.get(name, default)
