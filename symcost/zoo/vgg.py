"""VGG (Simonyan & Zisserman 2015), configurations A, B, D, E (VGG-11/13/16/19), with and
without BatchNorm, as torchvision builds them (``torchvision.models.vgg``).

3×3 convolutions (padding 1, biased) with ReLU, BN after each convolution in the ``_bn``
variants, 2×2/2 max pooling between stages; adaptive average pooling to 7×7 (overlapping
windows when the map is not a multiple of 7); a classifier of three biased linear layers
(25088 -> 4096 -> 4096 -> classes) with ReLU and dropout.

>>> import symcost as sc
>>> sc.zoo.vgg16().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
15470264320
"""

from __future__ import annotations

from ..containers import Sequential
from ..layers.activation import ReLU
from ..layers.base import Spec
from ..layers.conv import Conv2d
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d, MaxPool2d
from ..layers.reshape import Dropout, Flatten
from .blocks import variant

__all__ = ["MODELS", "VGG_CONFIGS", "vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn"]

#: Output channels of each 3×3 convolution, "M" for max pooling (the paper's Table 1).
VGG_CONFIGS: dict[str, tuple] = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
          512, 512, 512, "M"),
}


def vgg(config: str = "D", *, batch_norm: bool = False, num_classes: int = 1000,
        name: str = "vgg") -> Sequential:
    """A VGG network of configuration ``config`` ("A", "B", "D" or "E")."""
    features: list[Spec] = []
    c = 3
    for v in VGG_CONFIGS[config]:
        if v == "M":
            features.append(MaxPool2d(kernel_size=2, stride=2))
            continue
        features.append(Conv2d(in_channels=c, out_channels=v, kernel_size=3, padding=1))
        if batch_norm:
            features.append(BatchNorm2d(num_features=v))
        features.append(ReLU())
        c = v
    return Sequential(name=name, layers=[
        Sequential(name="features", layers=features),
        AdaptiveAvgPool2d(output_size=7, name="avgpool"), Flatten(name="flatten"),
        Sequential(name="classifier", layers=[
            Linear(in_features=c * 49, out_features=4096), ReLU(), Dropout(),
            Linear(in_features=4096, out_features=4096), ReLU(), Dropout(),
            Linear(in_features=4096, out_features=num_classes)]),
    ])


def _vgg(config: str, batch_norm: bool, depth: int):
    name = f"vgg{depth}" + ("_bn" if batch_norm else "")
    doc = (f"VGG-{depth} (configuration {config})"
           + (" with BatchNorm after every convolution." if batch_norm else "."))
    return variant(name, doc, vgg, config, batch_norm=batch_norm, name=name)


vgg11 = _vgg("A", False, 11)
vgg11_bn = _vgg("A", True, 11)
vgg13 = _vgg("B", False, 13)
vgg13_bn = _vgg("B", True, 13)
vgg16 = _vgg("D", False, 16)
vgg16_bn = _vgg("D", True, 16)
vgg19 = _vgg("E", False, 19)
vgg19_bn = _vgg("E", True, 19)

#: The builders registered in the zoo by name.
MODELS = (
    vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn,
)
