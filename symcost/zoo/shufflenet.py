"""ShuffleNetV2 (Ma et al. 2018) as torchvision builds it
(``torchvision.models.shufflenetv2``), at widths ×0.5, ×1.0, ×1.5 and ×2.0.

Stem: 3×3/2 convolution, BN, ReLU, 3×3/2 max pooling. A stride-1 unit splits the channels
in two halves (:class:`~symcost.ChannelChunk`), passes the first through and sends the
second through 1×1 conv–BN–ReLU, 3×3 depthwise conv–BN, 1×1 conv–BN–ReLU; a stride-2 unit
sends the whole input through two branches (3×3/2 depthwise conv–BN, 1×1 conv–BN–ReLU; and
the stride-1 branch with stride 2). Both concatenate and shuffle the channels in 2 groups.
Head: 1×1 convolution, BN, ReLU, global average pooling, a biased linear layer.
Convolutions have no bias.

>>> import symcost as sc
>>> sc.zoo.shufflenet_v2_x1_0().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
144907992
"""

from __future__ import annotations

from ..containers import Parallel, Sequential
from ..errors import SpecError
from ..layers.activation import ReLU
from ..layers.linear import Linear
from ..layers.norm import BatchNorm2d
from ..layers.pool import AdaptiveAvgPool2d, MaxPool2d
from ..layers.reshape import ChannelChunk, ChannelShuffle, Flatten
from .blocks import conv, conv_norm_act, variant

__all__ = ["MODELS", "SHUFFLENET_V2_CHANNELS", "shufflenet_v2", "shufflenet_v2_x0_5",
           "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]

#: Output channels of the stem, stages 2–4 and the last convolution, per width (Table 5).
SHUFFLENET_V2_CHANNELS: dict[str, tuple[int, ...]] = {
    "0.5": (24, 48, 96, 192, 1024), "1.0": (24, 116, 232, 464, 1024),
    "1.5": (24, 176, 352, 704, 1024), "2.0": (24, 244, 488, 976, 2048),
}


def _branch(c_in, c_out, stride, name):
    return Sequential(name=name, layers=[
        conv(c_in, c_out, 1), BatchNorm2d(num_features=c_out), ReLU(),
        conv(c_out, c_out, 3, stride, 1, groups=c_out), BatchNorm2d(num_features=c_out),
        conv(c_out, c_out, 1), BatchNorm2d(num_features=c_out), ReLU()])


def _unit(c_in, c_out, stride) -> Sequential:
    half = c_out // 2
    if stride == 1:
        branches = [ChannelChunk(chunks=2, index=0, name="x1"),
                    Sequential(name="x2", layers=[ChannelChunk(chunks=2, index=1),
                                                  *_branch(half, half, 1, "b").layers])]
    else:
        branches = [Sequential(name="branch1", layers=[
                        conv(c_in, c_in, 3, stride, 1, groups=c_in),
                        BatchNorm2d(num_features=c_in), conv(c_in, half, 1),
                        BatchNorm2d(num_features=half), ReLU()]),
                    _branch(c_in, half, stride, "branch2")]
    return Sequential(layers=[Parallel(name="cat", branches=branches),
                              ChannelShuffle(groups=2, name="shuffle")])


def shufflenet_v2(width: str = "1.0", *, num_classes: int = 1000,
                  stages_repeats=(4, 8, 4)) -> Sequential:
    """ShuffleNetV2 at ``width`` ("0.5", "1.0", "1.5" or "2.0")."""
    if str(width) not in SHUFFLENET_V2_CHANNELS:
        raise SpecError(f"unknown width {width!r}. Use one of "
                        + ", ".join(SHUFFLENET_V2_CHANNELS) + ".", layer="shufflenet_v2",
                        field="width", value=width)
    channels = SHUFFLENET_V2_CHANNELS[str(width)]
    c = channels[0]
    layers = [conv_norm_act(3, c, 3, 2, name="conv1"),
              MaxPool2d(kernel_size=3, stride=2, padding=1, name="maxpool")]
    for i, (repeats, out) in enumerate(zip(stages_repeats, channels[1:4]), start=2):
        units = [_unit(c, out, 2)] + [_unit(out, out, 1) for _ in range(repeats - 1)]
        layers.append(Sequential(name=f"stage{i}", layers=units))
        c = out
    layers += [conv_norm_act(c, channels[4], 1, name="conv5"),
               AdaptiveAvgPool2d(output_size=1, name="mean"), Flatten(name="flatten"),
               Linear(in_features=channels[4], out_features=num_classes, name="fc")]
    return Sequential(name="shufflenet_v2_x" + str(width).replace(".", "_"), layers=layers)


def _shufflenet(width: str):
    return variant("shufflenet_v2_x" + width.replace(".", "_"), f"ShuffleNetV2 ×{width}.",
                   shufflenet_v2, width)


shufflenet_v2_x0_5 = _shufflenet("0.5")
shufflenet_v2_x1_0 = _shufflenet("1.0")
shufflenet_v2_x1_5 = _shufflenet("1.5")
shufflenet_v2_x2_0 = _shufflenet("2.0")

#: The builders registered in the zoo by name.
MODELS = (
    shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0,
)
