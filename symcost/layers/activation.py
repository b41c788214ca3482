"""Activations: element-wise non-linearities and softmax.

Each activation declares how many primitive operations it performs per element; the census
is that times the number of elements. The decompositions (what a straightforward
implementation does, per element x):

=============  ================================================  ==========================
kind           formula                                           per element
=============  ================================================  ==========================
relu           max(x, 0)                                         1 cmp
relu6          min(max(x, 0), 6)                                 2 cmp
leaky_relu     x if x > 0 else a·x                               1 cmp, 1 mul
prelu          x if x > 0 else a_c·x (learned a_c)               1 cmp, 1 mul
elu            x if x > 0 else a·(exp(x) − 1)                    1 cmp, 1 exp, 1 add, 1 mul
sigmoid        1/(1 + exp(−x))                                   1 mul, 1 exp, 1 add, 1 div
tanh           1 − 2/(exp(2x) + 1)                               1 mul, 1 exp, 2 add, 1 div
silu           x·sigmoid(x)                                      2 mul, 1 exp, 1 add, 1 div
hardsigmoid    min(max(x + 3, 0), 6)·(1/6)                       1 add, 2 cmp, 1 mul
hardswish      x·hardsigmoid(x)                                  1 add, 2 cmp, 2 mul
gelu           x·(1 + erf(x/√2))·(1/2)                           3 mul, 1 add, 1 erf
gelu (tanh)    x·(1 + tanh(√(2/π)(x + 0.044715x³)))·(1/2)        tanh + 6 mul, 2 add
=============  ================================================  ==========================

Softmax over an axis of n values: n exp, n − 1 add and n div per row.
The seed prices ReLU, PReLU and ELU (and here ReLU6, LeakyReLU) at 1 FLOP per element and
sigmoid at 4; other conventions price the census.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import sympy

from ..checks import require
from ..counts import OpCounts
from ..dims import Dim
from ..errors import SpecError
from .base import Census, Layer

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "Sigmoid", "Tanh", "SiLU",
           "Hardswish", "Hardsigmoid", "GELU", "Softmax", "ACTIVATION_OPS", "ACTIVATION_TYPES"]

_TANH = {"mul": 1, "exp": 1, "add": 2, "div": 1}

#: Primitive operations per element, by kind (the table above).
ACTIVATION_OPS: dict[str, dict[str, int]] = {
    "relu": {"cmp": 1},
    "relu6": {"cmp": 2},
    "leaky_relu": {"cmp": 1, "mul": 1},
    "prelu": {"cmp": 1, "mul": 1},
    "elu": {"cmp": 1, "exp": 1, "add": 1, "mul": 1},
    "sigmoid": {"mul": 1, "exp": 1, "add": 1, "div": 1},
    "tanh": _TANH,
    "silu": {"mul": 2, "exp": 1, "add": 1, "div": 1},
    "hardsigmoid": {"add": 1, "cmp": 2, "mul": 1},
    "hardswish": {"add": 1, "cmp": 2, "mul": 2},
    "gelu": {"mul": 3, "add": 1, "erf": 1},
    "gelu_tanh": {**_TANH, "mul": _TANH["mul"] + 6, "add": _TANH["add"] + 2},
}


class _Elementwise(Layer):
    """Shape-preserving activation; census = per-element ops × elements."""

    family: ClassVar[str] = "elementwise"
    keeps_shape: ClassVar[bool] = True

    def per_element(self) -> dict[str, int]:
        return ACTIVATION_OPS[self.kind]

    def learned(self, shape) -> sympy.Expr:
        return sympy.Integer(0)

    def infer(self, shape, where):
        n = shape.elements
        ops = OpCounts(**{op: k * n for op, k in self.per_element().items()})
        return shape, Census(kind=self.kind, ops=ops, inputs=n, outputs=n,
                             params=self.learned(shape)), self.checks(shape, where)

    def checks(self, shape, where):
        return []


class ReLU(_Elementwise):
    """ReLU, max(x, 0): one comparison per element. Seed: FLOPs = H·W·C."""

    kind: Literal["relu"] = "relu"


class ReLU6(_Elementwise):
    """ReLU6, min(max(x, 0), 6): two comparisons per element."""

    kind: Literal["relu6"] = "relu6"


class LeakyReLU(_Elementwise):
    """Leaky ReLU: one comparison and one multiply per element."""

    kind: Literal["leaky_relu"] = "leaky_relu"
    negative_slope: float = 0.01
    """The slope for x < 0 (it does not change the count, and never enters a formula)."""


class PReLU(_Elementwise):
    """PReLU: a learned slope per channel (``num_parameters = C``) or one shared slope.

    One comparison and one multiply per element; params = num_parameters.
    Seed: FLOPs = H·W·C.
    """

    kind: Literal["prelu"] = "prelu"
    num_parameters: Dim = sympy.Integer(1)
    """Learned slopes: 1 (shared) or the number of channels."""

    def learned(self, shape):
        return self.num_parameters

    def checks(self, shape, where):
        if self.num_parameters == 1:
            return []
        return require(sympy.Eq(self.num_parameters, shape.channels), where=where,
                       field="num_parameters", value=self.num_parameters,
                       message=f"PReLU needs 1 or C = {shape.channels} parameters (axis 1)")


class ELU(_Elementwise):
    """ELU: x for x > 0, else α·(exp(x) − 1). Seed: FLOPs = H·W·C."""

    kind: Literal["elu"] = "elu"


class Sigmoid(_Elementwise):
    """Sigmoid, 1/(1 + exp(−x)): negate, exp, add, divide — the seed's 4 FLOPs per element."""

    kind: Literal["sigmoid"] = "sigmoid"


class Tanh(_Elementwise):
    """Tanh, computed as 1 − 2/(exp(2x) + 1)."""

    kind: Literal["tanh"] = "tanh"


class SiLU(_Elementwise):
    """SiLU (swish), x·sigmoid(x)."""

    kind: Literal["silu"] = "silu"


class Hardsigmoid(_Elementwise):
    """Hard sigmoid, relu6(x + 3)/6."""

    kind: Literal["hardsigmoid"] = "hardsigmoid"


class Hardswish(_Elementwise):
    """Hard swish, x·relu6(x + 3)/6 (MobileNetV3)."""

    kind: Literal["hardswish"] = "hardswish"


class GELU(_Elementwise):
    """GELU, exact (erf) or with torch's tanh approximation."""

    kind: Literal["gelu"] = "gelu"
    approximate: Literal["none", "tanh"] = "none"
    """``"tanh"`` for the tanh approximation, as torch's ``approximate``."""

    def per_element(self):
        return ACTIVATION_OPS["gelu_tanh" if self.approximate == "tanh" else "gelu"]


#: Every element-wise activation kind: the one list the importer, the strategies and the
#: folding rules derive theirs from. Each class is named as its torch.nn module, its kind as
#: its torch.nn.functional function, and its fields as the module's attributes.
ACTIVATION_TYPES: tuple[type[_Elementwise], ...] = (
    ReLU, ReLU6, LeakyReLU, PReLU, ELU, Sigmoid, Tanh, SiLU, Hardsigmoid, Hardswish, GELU)


class Softmax(Layer):
    """Softmax along one axis (``dim`` in the input's layout; 1 = channels, the default;
    −1 the last axis, as attention scores use).

    Per row of n values: n exponentials, n − 1 additions, n divisions.
    """

    kind: Literal["softmax"] = "softmax"
    family: ClassVar[str] = "softmax"
    keeps_shape: ClassVar[bool] = True
    dim: int = 1
    """Axis: 1 (C), 2 (H), 3 (W), … or −1 (the last axis)."""

    def infer(self, shape, where):
        index = shape.position(self.dim, where=where)
        if index == 0:
            raise SpecError(f"axis {self.dim} is the batch axis of {shape}; softmax is taken "
                            "within a sample. Use 1 for channels or -1 for the last axis.",
                            layer=where, field="dim", value=self.dim)
        n = shape[index]
        total = shape.elements
        rows = total / n
        ops = OpCounts(exp=total, add=rows * (n - 1), div=total)
        return shape, Census(kind=self.kind, ops=ops, inputs=total, outputs=total), []
