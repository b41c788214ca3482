"""MobileNetV3-Large and -Small (Howard et al. 2019) as torchvision builds them
(``torchvision.models.mobilenetv3``), with the width multiplier and the ``reduced_tail``
and ``dilated`` options.

Block (kernel k, expansion e, output c, squeeze-and-excitation, activation, stride):
1×1 expansion with BN and the activation (left out when e equals the input), a k×k
depthwise convolution with BN and the activation, optionally squeeze-and-excitation
(squeeze to make_divisible(e/4, 8) channels, ReLU, hard-sigmoid gate), a linear 1×1
projection with BN; identity shortcut when the stride is 1 and the channels do not change.
"HS" blocks use hard-swish, "RE" blocks ReLU. Stem: 3×3/2 convolution to 16 channels, BN,
hard-swish. Head: 1×1 convolution to 6× the last block's channels with BN and hard-swish,
global average pooling, linear to 1280 (Large) or 1024 (Small) with hard-swish, dropout, a
linear classifier (both biased). Every channel count goes through ``make_divisible(·, 8)``.

>>> import symcost as sc
>>> sc.zoo.mobilenet_v3_large().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
216589760
"""

from __future__ import annotations

import sympy

from ..containers import Residual, Sequential
from ..errors import SpecError
from ..layers.activation import Hardsigmoid, Hardswish, ReLU
from ..layers.linear import Linear
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Dropout, Flatten
from .blocks import conv_norm_act, make_divisible, multiplier, squeeze_excitation

__all__ = ["MODELS", "MOBILENET_V3_LARGE", "MOBILENET_V3_SMALL", "mobilenet_v3",
           "mobilenet_v3_large", "mobilenet_v3_small"]

#: (input, kernel, expanded, output, SE, activation, stride) per block: the paper's Table 1
#: (Large), as torchvision lists it; the last three blocks belong to the "tail".
MOBILENET_V3_LARGE: tuple = (
    (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1), (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
)
#: The same for MobileNetV3-Small (the paper's Table 2).
MOBILENET_V3_SMALL: tuple = (
    (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1), (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2), (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1),
)
_LAST_CHANNEL = {"large": 1280, "small": 1024}


def _block(c_in, kernel, expanded, c_out, se, activation, stride, dilation):
    act = Hardswish if activation == "HS" else ReLU
    layers = []
    if expanded != c_in:
        layers.append(conv_norm_act(c_in, expanded, 1, activation=act))
    layers.append(conv_norm_act(expanded, expanded, kernel, 1 if dilation > 1 else stride,
                                groups=expanded, dilation=dilation, activation=act))
    if se:
        layers.append(squeeze_excitation(expanded, make_divisible(expanded // 4, 8,
                                                                  exact=True),
                                         gate=Hardsigmoid))
    layers.append(conv_norm_act(expanded, c_out, 1, activation=None))
    body = Sequential(name="block", layers=layers)
    if stride == 1 and sympy.sympify(c_in) == c_out:
        return Residual(body=body)
    return Sequential(layers=[body])


def mobilenet_v3(arch: str = "large", width_mult=1, *, num_classes: int = 1000,
                 reduced_tail: bool = False, dilated: bool = False,
                 dropout: float = 0.2) -> Sequential:
    """MobileNetV3 ``arch`` ("large" or "small") with width multiplier ``width_mult``.

    ``reduced_tail`` halves the channels of the last blocks and the head, ``dilated``
    replaces the last stride by dilation 2 (torchvision's options for detection).
    """
    if arch not in _LAST_CHANNEL:
        raise SpecError(f"unknown architecture {arch!r}. Use 'large' or 'small'.",
                        layer="mobilenet_v3", field="arch", value=arch)
    alpha = multiplier(width_mult, model=f"mobilenet_v3_{arch}", field="width_mult")
    table = MOBILENET_V3_LARGE if arch == "large" else MOBILENET_V3_SMALL
    divider = 2 if reduced_tail else 1

    def width(c):
        return make_divisible(c * alpha, 8)

    features = [conv_norm_act(3, width(16), 3, 2, activation=Hardswish)]
    for i, (c_in, k, e, c_out, se, act, s) in enumerate(table):
        tail = len(table) - i  # the last 3 blocks have the reduced tail and dilation
        c_in = c_in // divider if tail <= 2 else c_in
        e = e // divider if tail <= 2 else e
        c_out = c_out // divider if tail <= 3 else c_out
        dilation = 2 if dilated and tail <= 3 else 1
        features.append(_block(width(c_in), k, width(e), width(c_out), se, act, s, dilation))
    c = width(table[-1][3] // divider)
    features.append(conv_norm_act(c, 6 * c, 1, activation=Hardswish))
    last = width(_LAST_CHANNEL[arch] // divider)
    return Sequential(name=f"mobilenet_v3_{arch}", layers=[
        Sequential(name="features", layers=features),
        AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
        Sequential(name="classifier", layers=[
            Linear(in_features=6 * c, out_features=last), Hardswish(), Dropout(p=dropout),
            Linear(in_features=last, out_features=num_classes)]),
    ])


def mobilenet_v3_large(width_mult=1, *, num_classes: int = 1000, reduced_tail: bool = False,
                       dilated: bool = False) -> Sequential:
    """MobileNetV3-Large (torchvision's ``mobilenet_v3_large``)."""
    return mobilenet_v3("large", width_mult, num_classes=num_classes,
                        reduced_tail=reduced_tail, dilated=dilated)


def mobilenet_v3_small(width_mult=1, *, num_classes: int = 1000, reduced_tail: bool = False,
                       dilated: bool = False) -> Sequential:
    """MobileNetV3-Small (torchvision's ``mobilenet_v3_small``)."""
    return mobilenet_v3("small", width_mult, num_classes=num_classes,
                        reduced_tail=reduced_tail, dilated=dilated)

#: The builders registered in the zoo by name.
MODELS = (
    mobilenet_v3_large, mobilenet_v3_small,
)
