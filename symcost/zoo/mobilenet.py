"""MobileNetV1 (Howard et al., "MobileNets", 2017), Table 1.

The printed table gives the second-to-last depthwise layer stride 2; the 7×7 input of the
following row shows it is stride 1, and so it is built here.
"""

from __future__ import annotations

import sympy

from ..containers import Sequential
from ..layers.activation import ReLU, Softmax
from ..layers.conv import Conv2d, DepthwiseConv2d, PointwiseConv2d
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import GlobalAvgPool2d
from ..layers.reshape import Flatten
from .blocks import multiplier

__all__ = ["mobilenet_v1", "MOBILENET_V1_BLOCKS"]

#: (depthwise stride, pointwise output channels) of the 13 separable blocks, at alpha = 1.
MOBILENET_V1_BLOCKS: tuple[tuple[int, int], ...] = (
    (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
    (1, 512), (1, 512), (1, 512), (1, 512), (1, 512),
    (2, 1024), (1, 1024),
)


def _width(alpha: sympy.Expr, channels: int) -> sympy.Expr:
    scaled = alpha * channels
    if scaled.is_Number:
        return sympy.Integer(max(1, int(sympy.floor(scaled))))
    return scaled


def mobilenet_v1(alpha=1, *, num_classes: int = 1000, batchnorm: bool = True,
                 classifier_bias: bool = True, softmax: bool = True,
                 full_conv: bool = False) -> Sequential:
    """MobileNetV1 with width multiplier ``alpha`` (Table 1 of the paper).

    ``full_conv=True`` builds the paper's Table 4 baseline, "Conv MobileNet": every
    depthwise-separable block replaced by a regular 3×3 convolution (same channels and
    stride) with BN and ReLU.

    Every convolution is followed by BatchNorm and ReLU (``batchnorm=False`` drops the
    BatchNorms); convolutions have no bias. Channels are ``floor(alpha·C)``, exact for the
    paper's 1, 0.75, 0.5 and 0.25; a symbolic alpha keeps ``alpha·C`` (assumed integral).
    Resolution comes from the input shape.

    >>> import symcost as sc
    >>> net = sc.zoo.mobilenet_v1()
    >>> net.cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
    568740352
    """
    a = multiplier(alpha, model="mobilenet_v1", field="alpha", upper=1)

    def unit(conv, channels, label):
        layers = [conv]
        if batchnorm:
            layers.append(BatchNorm2d(num_features=channels, name="bn"))
        layers.append(ReLU(name="relu"))
        return Sequential(layers=layers, name=label)

    c = _width(a, 32)
    layers = [unit(Conv2d(in_channels=3, out_channels=c, kernel_size=3, stride=2, padding=1,
                          bias=False, name="conv"), c, "conv1")]
    for i, (stride, out) in enumerate(MOBILENET_V1_BLOCKS, start=1):
        o = _width(a, out)
        if full_conv:
            layers.append(Sequential(name=f"block{i}", layers=[unit(
                Conv2d(in_channels=c, out_channels=o, kernel_size=3, stride=stride, padding=1,
                       bias=False, name="conv"), o, "conv")]))
            c = o
            continue
        dw = unit(DepthwiseConv2d(in_channels=c, kernel_size=3, stride=stride, padding=1,
                                  name="conv"), c, "dw")
        pw = unit(PointwiseConv2d(in_channels=c, out_channels=o, name="conv"), o, "pw")
        layers.append(Sequential(layers=[dw, pw], name=f"block{i}"))
        c = o
    layers += [GlobalAvgPool2d(name="pool"), Flatten(name="flatten"),
               Linear(in_features=c, out_features=num_classes, bias=classifier_bias,
                      name="fc")]
    if softmax:
        layers.append(Softmax(name="softmax"))
    return Sequential(layers=layers, name="mobilenet_v1_full_conv" if full_conv else "mobilenet_v1")
