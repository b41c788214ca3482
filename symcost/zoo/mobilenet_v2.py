"""MobileNetV2 (Sandler et al. 2018) as torchvision builds it
(``torchvision.models.mobilenetv2``), with its width multiplier.

Stem: 3×3/2 convolution, BN, ReLU6. Inverted residual block (expansion t, output c,
stride s): 1×1 expansion to t·C_in channels with BN and ReLU6 (left out when t = 1), a 3×3
depthwise convolution with BN and ReLU6, a linear 1×1 projection with BN; an identity
shortcut when the stride is 1 and the channels do not change. Head: 1×1 convolution to
1280 channels with BN and ReLU6, global average pooling, dropout, a biased linear layer.

Channels are ``make_divisible(c·width_mult, round_nearest)`` (torchvision's
``_make_divisible``); the last convolution keeps at least 1280 channels. A symbolic
``width_mult`` gives the unrounded closed form (channels c·width_mult, the last
convolution Max(1, width_mult)·1280), which the paper's cost model describes; it equals the
rounded network wherever the rounding changes nothing (e.g. 1.0, 0.5).

>>> import symcost as sc
>>> sc.zoo.mobilenet_v2().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
300774272
"""

from __future__ import annotations

import sympy

from ..containers import Residual, Sequential
from ..layers.activation import ReLU6
from ..layers.base import Spec
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Dropout, Flatten
from .blocks import conv, conv_norm_act, make_divisible, multiplier

__all__ = ["MODELS", "MOBILENET_V2_SETTING", "inverted_residual", "mobilenet_v2"]

#: (expansion t, output channels c, repeats n, first stride s): the paper's Table 2.
MOBILENET_V2_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
    (6, 160, 3, 2), (6, 320, 1, 1),
)


def inverted_residual(c_in, c_out, stride: int, expand_ratio) -> Sequential | Residual:
    """MobileNetV2's block (torchvision's ``InvertedResidual``)."""
    hidden = c_in * expand_ratio
    layers: list[Spec] = []
    if expand_ratio != 1:
        layers.append(conv_norm_act(c_in, hidden, 1, activation=ReLU6))
    layers += [conv_norm_act(hidden, hidden, 3, stride, groups=hidden, activation=ReLU6),
               conv(hidden, c_out, 1), BatchNorm2d(num_features=c_out)]
    body = Sequential(name="conv", layers=layers)
    if stride == 1 and sympy.sympify(c_in) == c_out:
        return Residual(body=body)
    return Sequential(layers=[body])


def mobilenet_v2(width_mult=1, *, num_classes: int = 1000, round_nearest: int = 8,
                 dropout: float = 0.2) -> Sequential:
    """MobileNetV2 with width multiplier ``width_mult`` (torchvision's ``MobileNetV2``)."""
    alpha = multiplier(width_mult, model="mobilenet_v2", field="width_mult")

    def width(c):
        return make_divisible(c * alpha, round_nearest)

    c = width(32)
    last = make_divisible(1280 * sympy.Max(1, alpha), round_nearest)
    features: list[Spec] = [conv_norm_act(3, c, 3, 2, activation=ReLU6)]
    for t, channels, n, s in MOBILENET_V2_SETTING:
        out = width(channels)
        for i in range(n):
            features.append(inverted_residual(c, out, s if i == 0 else 1, t))
            c = out
    features.append(conv_norm_act(c, last, 1, activation=ReLU6))
    return Sequential(name="mobilenet_v2", layers=[
        Sequential(name="features", layers=features),
        AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
        Sequential(name="classifier", layers=[
            Dropout(p=dropout), Linear(in_features=last, out_features=num_classes)]),
    ])

#: The builders registered in the zoo by name.
MODELS = (
    mobilenet_v2,
)
