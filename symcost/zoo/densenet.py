"""DenseNet-BC (Huang et al. 2017) as torchvision builds it
(``torchvision.models.densenet``).

Stem: 7×7/2 convolution, BN, ReLU, 3×3/2 max pooling. A dense layer is BN, ReLU, 1×1
convolution to bn_size·k channels, BN, ReLU, 3×3 convolution to k (the growth rate)
channels, its output concatenated to its input (the ``concat`` merge of a
:class:`~symcost.Parallel` with an identity branch: concatenation moves data and costs no
arithmetic). Transitions: BN, ReLU, 1×1 convolution halving the channels, 2×2/2 average
pooling. Head: BN, ReLU, global average pooling, a biased linear layer. Convolutions have
no bias.

>>> import symcost as sc
>>> sc.zoo.densenet121().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
2834161664
"""

from __future__ import annotations

from ..containers import Parallel, Sequential
from ..layers.activation import ReLU
from ..layers.base import Spec
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from ..layers.reshape import Flatten, Identity
from .blocks import conv

__all__ = ["MODELS", "densenet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _dense_layer(c_in, growth_rate, bn_size, name) -> Parallel:
    mid = bn_size * growth_rate
    return Parallel(name=name, branches=[
        Identity(name="features"),
        Sequential(name="new", layers=[
            BatchNorm2d(num_features=c_in, name="norm1"), ReLU(name="relu1"),
            conv(c_in, mid, 1, name="conv1"),
            BatchNorm2d(num_features=mid, name="norm2"), ReLU(name="relu2"),
            conv(mid, growth_rate, 3, 1, 1, name="conv2")]),
    ])


def densenet(block_config=(6, 12, 24, 16), *, growth_rate: int = 32,
             num_init_features: int = 64, bn_size: int = 4, num_classes: int = 1000,
             name: str = "densenet") -> Sequential:
    """A DenseNet-BC (torchvision's ``DenseNet``)."""
    c = num_init_features
    features: list[Spec] = [
        conv(3, c, 7, 2, 3, name="conv0"), BatchNorm2d(num_features=c, name="norm0"),
        ReLU(name="relu0"), MaxPool2d(kernel_size=3, stride=2, padding=1, name="pool0")]
    for i, n in enumerate(block_config, start=1):
        layers = []
        for j in range(n):
            layers.append(_dense_layer(c, growth_rate, bn_size, f"denselayer{j + 1}"))
            c += growth_rate
        features.append(Sequential(name=f"denseblock{i}", layers=layers))
        if i != len(block_config):
            features.append(Sequential(name=f"transition{i}", layers=[
                BatchNorm2d(num_features=c, name="norm"), ReLU(name="relu"),
                conv(c, c // 2, 1, name="conv"),
                AvgPool2d(kernel_size=2, stride=2, name="pool")]))
            c //= 2
    features.append(BatchNorm2d(num_features=c, name="norm5"))
    return Sequential(name=name, layers=[
        Sequential(name="features", layers=features), ReLU(name="relu"),
        AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
        Linear(in_features=c, out_features=num_classes, name="classifier"),
    ])


def densenet121(*, num_classes: int = 1000) -> Sequential:
    """DenseNet-121: k = 32, blocks (6, 12, 24, 16)."""
    return densenet((6, 12, 24, 16), num_classes=num_classes, name="densenet121")


def densenet161(*, num_classes: int = 1000) -> Sequential:
    """DenseNet-161: k = 48, 96 initial features, blocks (6, 12, 36, 24)."""
    return densenet((6, 12, 36, 24), growth_rate=48, num_init_features=96,
                    num_classes=num_classes, name="densenet161")


def densenet169(*, num_classes: int = 1000) -> Sequential:
    """DenseNet-169: k = 32, blocks (6, 12, 32, 32)."""
    return densenet((6, 12, 32, 32), num_classes=num_classes, name="densenet169")


def densenet201(*, num_classes: int = 1000) -> Sequential:
    """DenseNet-201: k = 32, blocks (6, 12, 48, 32)."""
    return densenet((6, 12, 48, 32), num_classes=num_classes, name="densenet201")

#: The builders registered in the zoo by name.
MODELS = (
    densenet121, densenet161, densenet169, densenet201,
)
