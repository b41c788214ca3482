"""Reference architectures as symbolic specs, looked up by name.

>>> from symcost import zoo
>>> zoo.names()
['mobilenet_v1', 'separable_vs_regular']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from ..dims import dim
from ..errors import UnknownModelError
from ..layers.base import Spec
from ..shapes import Shape
from .examples import separable_vs_regular, separable_vs_regular_input
from .mobilenet import mobilenet_v1

__all__ = ["ZooEntry", "names", "get", "list_models", "mobilenet_v1", "separable_vs_regular"]


@dataclass(frozen=True)
class ZooEntry:
    """A built-in network: how to build it and the input it is meant for."""

    name: str
    summary: str
    build: Callable[..., Spec]
    stride: int
    """Total stride; ``input(multiple=True)`` declares H and W multiples of it."""
    input_fn: Callable[[bool], Shape] | None = None

    def input(self, multiple: bool = True) -> Shape:
        """The symbolic input: ``Shape(C=3, H=H, W=W)`` for image models."""
        if self.input_fn is not None:
            return self.input_fn(multiple)
        m = self.stride if multiple else None
        return Shape(C=3, H=dim("H", multiple_of=m), W=dim("W", multiple_of=m))


_ENTRIES = MappingProxyType({e.name: e for e in (
    ZooEntry("mobilenet_v1", "MobileNetV1 (Howard et al. 2017, Table 1), width multiplier "
             "alpha", mobilenet_v1, 32),
    ZooEntry("separable_vs_regular", "The seed's example: a regular K×K convolution beside "
             "its depthwise-separable replacement", separable_vs_regular, 1,
             separable_vs_regular_input),
)})


def names() -> list[str]:
    """Names of the built-in networks."""
    return sorted(_ENTRIES)


def list_models() -> list[ZooEntry]:
    """The built-in networks."""
    return [_ENTRIES[n] for n in names()]


def get(name: str) -> ZooEntry:
    """A built-in network by name (case and '-' vs '_' ignored)."""
    key = str(name).strip().lower().replace("-", "_")
    try:
        return _ENTRIES[key]
    except KeyError:
        raise UnknownModelError(name, names()) from None
