"""ResNet (He et al. 2016), ResNeXt (Xie et al. 2017) and Wide ResNet (Zagoruyko &
Komodakis 2016), as torchvision builds them (``torchvision.models.resnet``).

Stem: 7×7/2 convolution, BN, ReLU, 3×3/2 max pooling; four stages of basic (two 3×3) or
bottleneck (1×1, 3×3, 1×1 with expansion 4) blocks, the first block of stages 2–4 striding
by 2 in its 3×3 convolution (ResNet v1.5) and every block whose shape changes taking a 1×1
projection shortcut with BN; global average pooling and a biased linear classifier.
Convolutions have no bias. Breakdown paths follow torchvision's module names
(``layer3.2.add.body.conv2``).

With H and W multiples of 32 every floor vanishes:

>>> import symcost as sc
>>> H, W = sc.dim("H", multiple_of=32), sc.dim("W", multiple_of=32)
>>> sc.zoo.resnet50().cost(sc.Shape(C=3, H=H, W=W), "macs").total.macs
81456*H*W + 2048000
"""

from __future__ import annotations

from ..containers import Residual, Sequential
from ..layers.activation import ReLU
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d, MaxPool2d
from ..layers.reshape import Flatten
from .blocks import conv

__all__ = ["MODELS", "resnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2",
           "wide_resnet101_2"]


def _block(c_in, planes, stride, *, bottleneck: bool, groups: int, width_per_group: int):
    expansion = 4 if bottleneck else 1
    c_out = planes * expansion
    if bottleneck:
        width = planes * width_per_group // 64 * groups
        body = [conv(c_in, width, 1, name="conv1"), BatchNorm2d(num_features=width, name="bn1"),
                ReLU(name="relu1"),
                conv(width, width, 3, stride, 1, groups=groups, name="conv2"),
                BatchNorm2d(num_features=width, name="bn2"), ReLU(name="relu2"),
                conv(width, c_out, 1, name="conv3"), BatchNorm2d(num_features=c_out, name="bn3")]
    else:
        body = [conv(c_in, planes, 3, stride, 1, name="conv1"),
                BatchNorm2d(num_features=planes, name="bn1"), ReLU(name="relu1"),
                conv(planes, planes, 3, 1, 1, name="conv2"),
                BatchNorm2d(num_features=planes, name="bn2")]
    shortcut = None
    if stride != 1 or c_in != c_out:
        shortcut = Sequential(name="downsample", layers=[
            conv(c_in, c_out, 1, stride), BatchNorm2d(num_features=c_out)])
    residual = Residual(name="add", body=Sequential(name="body", layers=body),
                        shortcut=shortcut)
    return Sequential(layers=[residual, ReLU(name="relu")]), c_out


def resnet(layers=(3, 4, 6, 3), *, bottleneck: bool = True, num_classes: int = 1000,
           groups: int = 1, width_per_group: int = 64, name: str = "resnet") -> Sequential:
    """A ResNet with ``layers`` blocks per stage (torchvision's ``ResNet``): bottleneck
    blocks, or basic blocks with ``bottleneck=False``. ``groups`` and ``width_per_group``
    give ResNeXt and Wide ResNet (bottleneck width = planes·width_per_group/64·groups)."""
    stages = []
    c = 64
    for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
        blocks = []
        for j in range(n):
            block, c = _block(c, planes, 2 if (i > 0 and j == 0) else 1,
                              bottleneck=bottleneck, groups=groups,
                              width_per_group=width_per_group)
            blocks.append(block)
        stages.append(Sequential(name=f"layer{i + 1}", layers=blocks))
    return Sequential(name=name, layers=[
        conv(3, 64, 7, 2, 3, name="conv1"), BatchNorm2d(num_features=64, name="bn1"),
        ReLU(name="relu"), MaxPool2d(kernel_size=3, stride=2, padding=1, name="maxpool"),
        *stages,
        AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
        Linear(in_features=c, out_features=num_classes, name="fc"),
    ])


def resnet18(*, num_classes: int = 1000) -> Sequential:
    """ResNet-18: basic blocks (2, 2, 2, 2)."""
    return resnet((2, 2, 2, 2), bottleneck=False, num_classes=num_classes, name="resnet18")


def resnet34(*, num_classes: int = 1000) -> Sequential:
    """ResNet-34: basic blocks (3, 4, 6, 3)."""
    return resnet((3, 4, 6, 3), bottleneck=False, num_classes=num_classes, name="resnet34")


def resnet50(*, num_classes: int = 1000) -> Sequential:
    """ResNet-50: bottleneck blocks (3, 4, 6, 3)."""
    return resnet((3, 4, 6, 3), num_classes=num_classes, name="resnet50")


def resnet101(*, num_classes: int = 1000) -> Sequential:
    """ResNet-101: bottleneck blocks (3, 4, 23, 3)."""
    return resnet((3, 4, 23, 3), num_classes=num_classes, name="resnet101")


def resnet152(*, num_classes: int = 1000) -> Sequential:
    """ResNet-152: bottleneck blocks (3, 8, 36, 3)."""
    return resnet((3, 8, 36, 3), num_classes=num_classes, name="resnet152")


def resnext50_32x4d(*, num_classes: int = 1000) -> Sequential:
    """ResNeXt-50 32×4d: ResNet-50 with 32 groups of width 4 in the 3×3 convolutions."""
    return resnet((3, 4, 6, 3), num_classes=num_classes, groups=32, width_per_group=4,
                  name="resnext50_32x4d")


def resnext101_32x8d(*, num_classes: int = 1000) -> Sequential:
    """ResNeXt-101 32×8d."""
    return resnet((3, 4, 23, 3), num_classes=num_classes, groups=32, width_per_group=8,
                  name="resnext101_32x8d")


def resnext101_64x4d(*, num_classes: int = 1000) -> Sequential:
    """ResNeXt-101 64×4d."""
    return resnet((3, 4, 23, 3), num_classes=num_classes, groups=64, width_per_group=4,
                  name="resnext101_64x4d")


def wide_resnet50_2(*, num_classes: int = 1000) -> Sequential:
    """Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide (width_per_group 128)."""
    return resnet((3, 4, 6, 3), num_classes=num_classes, width_per_group=128,
                  name="wide_resnet50_2")


def wide_resnet101_2(*, num_classes: int = 1000) -> Sequential:
    """Wide ResNet-101-2."""
    return resnet((3, 4, 23, 3), num_classes=num_classes, width_per_group=128,
                  name="wide_resnet101_2")

#: The builders registered in the zoo by name.
MODELS = (
    resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, resnext101_32x8d,
    resnext101_64x4d, wide_resnet50_2, wide_resnet101_2,
)
