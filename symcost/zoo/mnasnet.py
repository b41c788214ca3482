"""MNASNet-B1 (Tan et al. 2019) as torchvision builds it (``torchvision.models.mnasnet``),
with its depth multiplier alpha (torchvision's v2 stem, which scales with alpha too).

Stem: 3×3/2 convolution, BN, ReLU, a 3×3 depthwise separable convolution (depthwise–BN–
ReLU, 1×1–BN). Then six stacks of inverted residual blocks (1×1 expansion–BN–ReLU, k×k
depthwise–BN–ReLU, 1×1–BN; identity shortcut when shapes match), a 1×1 convolution to 1280
channels with BN and ReLU, global average pooling, dropout, a biased linear layer.
Channel counts are torchvision's ``_round_to_multiple_of(c·alpha, 8)``, which is
``make_divisible(c·alpha, 8)``.

>>> import symcost as sc
>>> sc.zoo.mnasnet1_0().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
314415872
"""

from __future__ import annotations

import sympy

from ..containers import Residual, Sequential
from ..layers.linear import Linear
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Dropout, Flatten
from .blocks import conv_norm_act, make_divisible, multiplier, variant

__all__ = ["MODELS", "MNASNET_STACKS", "mnasnet", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0",
           "mnasnet1_3"]

#: (output channels, kernel, first stride, expansion, repeats) of the six stacks.
MNASNET_STACKS: tuple[tuple[int, int, int, int, int], ...] = (
    (24, 3, 2, 3, 3), (40, 5, 2, 3, 3), (80, 5, 2, 6, 3), (96, 3, 1, 6, 2),
    (192, 5, 2, 6, 4), (320, 3, 1, 6, 1),
)


def _inverted_residual(c_in, c_out, kernel, stride, expansion):
    mid = c_in * expansion
    body = Sequential(name="layers", layers=[
        conv_norm_act(c_in, mid, 1), conv_norm_act(mid, mid, kernel, stride, groups=mid),
        conv_norm_act(mid, c_out, 1, activation=None)])
    if stride == 1 and sympy.sympify(c_in) == c_out:
        return Residual(body=body)
    return Sequential(layers=[body])


def mnasnet(alpha=1, *, num_classes: int = 1000, dropout: float = 0.2) -> Sequential:
    """MNASNet-B1 with depth multiplier ``alpha`` (torchvision's ``MNASNet``)."""
    a = multiplier(alpha, model="mnasnet", field="alpha")

    def depth(c):
        return make_divisible(c * a, 8)

    c0, c1 = depth(32), depth(16)
    layers = [conv_norm_act(3, c0, 3, 2),
              conv_norm_act(c0, c0, 3, 1, groups=c0), conv_norm_act(c0, c1, 1, activation=None)]
    c = c1
    for out, kernel, stride, expansion, repeats in MNASNET_STACKS:
        out = depth(out)
        stack = [_inverted_residual(c, out, kernel, stride, expansion)]
        stack += [_inverted_residual(out, out, kernel, 1, expansion) for _ in range(repeats - 1)]
        layers.append(Sequential(layers=stack))
        c = out
    layers.append(conv_norm_act(c, 1280, 1))
    return Sequential(name="mnasnet", layers=[
        Sequential(name="layers", layers=layers),
        AdaptiveAvgPool2d(output_size=1, name="mean"), Flatten(name="flatten"),
        Sequential(name="classifier", layers=[
            Dropout(p=dropout), Linear(in_features=1280, out_features=num_classes)]),
    ])


def _mnasnet(alpha: str):
    return variant("mnasnet" + alpha.replace(".", "_"),
                   f"MNASNet-B1 with depth multiplier {alpha}.", mnasnet, alpha)


mnasnet0_5 = _mnasnet("0.5")
mnasnet0_75 = _mnasnet("0.75")
mnasnet1_0 = _mnasnet("1.0")
mnasnet1_3 = _mnasnet("1.3")

#: The builders registered in the zoo by name.
MODELS = (
    mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3,
)
