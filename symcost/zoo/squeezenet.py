"""SqueezeNet 1.0 (Iandola et al. 2016) and 1.1, as torchvision builds them
(``torchvision.models.squeezenet``).

Fire module: a biased 1×1 "squeeze" convolution with ReLU, then two parallel biased
"expand" convolutions (1×1 and 3×3, padding 1) with ReLU, concatenated. Max poolings are
3×3/2 with ``ceil_mode``. Head: dropout, a biased 1×1 convolution to the classes, ReLU and
global average pooling (no linear layer). Version 1.1 starts with a 3×3 convolution of 64
channels and pools earlier, for about 2.4× fewer MACs.

>>> import symcost as sc
>>> sc.zoo.squeezenet1_1().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
349151936
"""

from __future__ import annotations

from ..containers import Parallel, Sequential
from ..layers.activation import ReLU
from ..layers.conv import Conv2d
from ..layers.pool import AdaptiveAvgPool2d, MaxPool2d
from ..layers.reshape import Dropout, Flatten

__all__ = ["MODELS", "fire", "squeezenet1_0", "squeezenet1_1"]


def fire(c_in: int, squeeze: int, expand1x1: int, expand3x3: int) -> Sequential:
    """A Fire module: squeeze 1×1, then expand 1×1 ‖ expand 3×3, concatenated."""
    return Sequential(layers=[
        Conv2d(in_channels=c_in, out_channels=squeeze, kernel_size=1, name="squeeze"),
        ReLU(name="squeeze_activation"),
        Parallel(name="expand", branches=[
            Sequential(name="expand1x1", layers=[
                Conv2d(in_channels=squeeze, out_channels=expand1x1, kernel_size=1), ReLU()]),
            Sequential(name="expand3x3", layers=[
                Conv2d(in_channels=squeeze, out_channels=expand3x3, kernel_size=3, padding=1),
                ReLU()]),
        ]),
    ])


def _pool():
    return MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


def _squeezenet(stem, body, num_classes: int, name: str) -> Sequential:
    return Sequential(name=name, layers=[
        Sequential(name="features", layers=[*stem, *body]),
        Sequential(name="classifier", layers=[
            Dropout(), Conv2d(in_channels=512, out_channels=num_classes, kernel_size=1),
            ReLU(), AdaptiveAvgPool2d(output_size=1)]),
        Flatten(name="flatten"),
    ])


def squeezenet1_0(*, num_classes: int = 1000) -> Sequential:
    """SqueezeNet 1.0: 7×7/2 stem of 96 channels, pools after Fire 3 and Fire 7."""
    stem = [Conv2d(in_channels=3, out_channels=96, kernel_size=7, stride=2), ReLU(), _pool()]
    body = [fire(96, 16, 64, 64), fire(128, 16, 64, 64), fire(128, 32, 128, 128), _pool(),
            fire(256, 32, 128, 128), fire(256, 48, 192, 192), fire(384, 48, 192, 192),
            fire(384, 64, 256, 256), _pool(), fire(512, 64, 256, 256)]
    return _squeezenet(stem, body, num_classes, "squeezenet1_0")


def squeezenet1_1(*, num_classes: int = 1000) -> Sequential:
    """SqueezeNet 1.1: 3×3/2 stem of 64 channels, pools after Fire 2 and Fire 4."""
    stem = [Conv2d(in_channels=3, out_channels=64, kernel_size=3, stride=2), ReLU(), _pool()]
    body = [fire(64, 16, 64, 64), fire(128, 16, 64, 64), _pool(), fire(128, 32, 128, 128),
            fire(256, 32, 128, 128), _pool(), fire(256, 48, 192, 192),
            fire(384, 48, 192, 192), fire(384, 64, 256, 256), fire(512, 64, 256, 256)]
    return _squeezenet(stem, body, num_classes, "squeezenet1_1")

#: The builders registered in the zoo by name.
MODELS = (
    squeezenet1_0, squeezenet1_1,
)
