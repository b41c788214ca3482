"""AlexNet as torchvision builds it (``torchvision.models.alexnet``): the one-GPU variant
of Krizhevsky's "one weird trick" paper (2014), with 64-192-384-256-256 channels.

Five biased convolutions with ReLU (11×11/4, 5×5, then three 3×3), three 3×3/2 max
poolings, adaptive average pooling to 6×6 and three biased linear layers
(9216 -> 4096 -> 4096 -> classes) with dropout.

>>> import symcost as sc
>>> sc.zoo.alexnet().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
714188480
"""

from __future__ import annotations

from ..containers import Sequential
from ..layers.activation import ReLU
from ..layers.conv import Conv2d
from ..layers.linear import Linear
from ..layers.pool import AdaptiveAvgPool2d, MaxPool2d
from ..layers.reshape import Dropout, Flatten

__all__ = ["MODELS", "alexnet"]


def alexnet(*, num_classes: int = 1000) -> Sequential:
    """AlexNet, torchvision's one-GPU variant (64-192-384-256-256 channels)."""
    def conv(c_in, c_out, k, stride=1, padding=0):
        return Conv2d(in_channels=c_in, out_channels=c_out, kernel_size=k, stride=stride,
                      padding=padding)

    def pool():
        return MaxPool2d(kernel_size=3, stride=2)

    features = [conv(3, 64, 11, 4, 2), ReLU(), pool(), conv(64, 192, 5, padding=2), ReLU(),
                pool(), conv(192, 384, 3, padding=1), ReLU(), conv(384, 256, 3, padding=1),
                ReLU(), conv(256, 256, 3, padding=1), ReLU(), pool()]
    return Sequential(name="alexnet", layers=[
        Sequential(name="features", layers=features),
        AdaptiveAvgPool2d(output_size=6, name="avgpool"), Flatten(name="flatten"),
        Sequential(name="classifier", layers=[
            Dropout(), Linear(in_features=256 * 36, out_features=4096), ReLU(),
            Dropout(), Linear(in_features=4096, out_features=4096), ReLU(),
            Linear(in_features=4096, out_features=num_classes)]),
    ])

#: The builders registered in the zoo by name.
MODELS = (
    alexnet,
)
