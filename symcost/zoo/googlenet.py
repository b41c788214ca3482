"""GoogLeNet (Szegedy et al. 2015, Inception v1) as torchvision builds it
(``torchvision.models.googlenet``), without the auxiliary classifiers (they run only in
training, and torchvision drops them when it loads the ImageNet weights).

Every convolution is ``BasicConv2d``: convolution without bias, BN, ReLU. Inception block:
1×1 ‖ (1×1, 3×3) ‖ (1×1, 3×3) ‖ (3×3/1 max pool, 1×1), concatenated. The third branch is
3×3 where the paper has 5×5: torchvision keeps that for compatibility with its weights,
and so does this spec, so that counts match torchvision's. Max poolings use ``ceil_mode``.
The input normalisation of the pretrained model (``transform_input``: one multiply and add
per input value, no parameters) is left out.

>>> import symcost as sc
>>> sc.zoo.googlenet().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
1498376192
"""

from __future__ import annotations

from ..containers import Parallel, Sequential
from ..layers.activation import ReLU
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d, MaxPool2d
from ..layers.reshape import Dropout, Flatten
from .blocks import conv

__all__ = ["MODELS", "GOOGLENET_INCEPTIONS", "basic_conv", "inception", "googlenet"]

#: (name, in, 1×1, 3×3 reduce, 3×3, "5×5" reduce, "5×5", pool projection), or a pooling.
GOOGLENET_INCEPTIONS: tuple = (
    ("inception3a", 192, 64, 96, 128, 16, 32, 32),
    ("inception3b", 256, 128, 128, 192, 32, 96, 64),
    ("maxpool3", 3),
    ("inception4a", 480, 192, 96, 208, 16, 48, 64),
    ("inception4b", 512, 160, 112, 224, 24, 64, 64),
    ("inception4c", 512, 128, 128, 256, 24, 64, 64),
    ("inception4d", 512, 112, 144, 288, 32, 64, 64),
    ("inception4e", 528, 256, 160, 320, 32, 128, 128),
    ("maxpool4", 2),
    ("inception5a", 832, 256, 160, 320, 32, 128, 128),
    ("inception5b", 832, 384, 192, 384, 48, 128, 128),
)


def basic_conv(c_in, c_out, kernel_size, stride=1, padding=0, name=None) -> Sequential:
    """torchvision's ``BasicConv2d``: convolution (no bias), BatchNorm, ReLU."""
    return Sequential(name=name, layers=[
        conv(c_in, c_out, kernel_size, stride, padding, name="conv"),
        BatchNorm2d(num_features=c_out, name="bn"), ReLU(name="relu")])


def inception(c_in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
              name=None) -> Parallel:
    """An Inception block (torchvision's ``Inception``, its 3×3 "5×5" branch included)."""
    return Parallel(name=name, branches=[
        basic_conv(c_in, ch1x1, 1, name="branch1"),
        Sequential(name="branch2", layers=[basic_conv(c_in, ch3x3red, 1),
                                           basic_conv(ch3x3red, ch3x3, 3, padding=1)]),
        Sequential(name="branch3", layers=[basic_conv(c_in, ch5x5red, 1),
                                           basic_conv(ch5x5red, ch5x5, 3, padding=1)]),
        Sequential(name="branch4", layers=[
            MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            basic_conv(c_in, pool_proj, 1)]),
    ])


def googlenet(*, num_classes: int = 1000) -> Sequential:
    """GoogLeNet (Inception v1), without the auxiliary heads."""
    layers = [
        basic_conv(3, 64, 7, 2, 3, name="conv1"),
        MaxPool2d(kernel_size=3, stride=2, ceil_mode=True, name="maxpool1"),
        basic_conv(64, 64, 1, name="conv2"),
        basic_conv(64, 192, 3, padding=1, name="conv3"),
        MaxPool2d(kernel_size=3, stride=2, ceil_mode=True, name="maxpool2"),
    ]
    for row in GOOGLENET_INCEPTIONS:
        if len(row) == 2:
            layers.append(MaxPool2d(kernel_size=row[1], stride=2, ceil_mode=True, name=row[0]))
        else:
            name, c_in, c1, c3r, c3, c5r, c5, proj = row
            layers.append(inception(c_in, c1, c3r, c3, c5r, c5, proj, name=name))
    layers += [AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
               Dropout(p=0.2, name="dropout"),
               Linear(in_features=1024, out_features=num_classes, name="fc")]
    return Sequential(name="googlenet", layers=layers)

#: The builders registered in the zoo by name.
MODELS = (
    googlenet,
)
