"""ConvNeXt (Liu et al. 2022) as torchvision builds it (``torchvision.models.convnext``).

Stem: 4×4/4 biased convolution ("patchify") and LayerNorm over channels. Block: 7×7
depthwise biased convolution; then, channels-last (a :class:`~symcost.Permute`), LayerNorm,
a biased linear layer to 4C, GELU, a biased linear layer back to C; permuted back, scaled by
a learned per-channel layer scale (C parameters) and added to the input through stochastic
depth (the identity at inference). Between stages: LayerNorm over channels and a 2×2/2
biased convolution. Head: global average pooling, LayerNorm over channels, a biased linear
layer.

>>> import symcost as sc
>>> sc.zoo.convnext_tiny().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
4455531264
"""

from __future__ import annotations

from ..containers import Residual, Sequential
from ..layers.activation import GELU
from ..layers.conv import Conv2d, DepthwiseConv2d
from ..layers.linear import Linear
from ..layers.norm import LayerNorm, LayerNorm2d
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Flatten, Permute, StochasticDepth
from ..layers.scale import LayerScale
from .blocks import variant

__all__ = ["MODELS", "CONVNEXT_CONFIGS", "cn_block", "convnext", "convnext_tiny", "convnext_small",
           "convnext_base", "convnext_large"]

#: (stage widths, stage depths, stochastic depth probability) per variant.
CONVNEXT_CONFIGS: dict[str, tuple[tuple[int, ...], tuple[int, ...], float]] = {
    "tiny": ((96, 192, 384, 768), (3, 3, 9, 3), 0.1),
    "small": ((96, 192, 384, 768), (3, 3, 27, 3), 0.4),
    "base": ((128, 256, 512, 1024), (3, 3, 27, 3), 0.5),
    "large": ((192, 384, 768, 1536), (3, 3, 27, 3), 0.5),
}


def cn_block(dim, p: float = 0.0) -> Residual:
    """ConvNeXt's block (torchvision's ``CNBlock``)."""
    return Residual(body=Sequential(name="block", layers=[
        DepthwiseConv2d(in_channels=dim, kernel_size=7, padding=3, bias=True),
        Permute(dims=(0, 2, 3, 1)), LayerNorm(normalized_shape=dim),
        Linear(in_features=dim, out_features=4 * dim), GELU(),
        Linear(in_features=4 * dim, out_features=dim), Permute(dims=(0, 3, 1, 2)),
        LayerScale(num_channels=dim, name="layer_scale"),
        StochasticDepth(p=p, name="stochastic_depth"),
    ]))


def convnext(widths=(96, 192, 384, 768), depths=(3, 3, 9, 3), *, num_classes: int = 1000,
             stochastic_depth_prob: float = 0.1, name: str = "convnext") -> Sequential:
    """A ConvNeXt with the given stage widths and depths."""
    features = [Sequential(layers=[
        Conv2d(in_channels=3, out_channels=widths[0], kernel_size=4, stride=4),
        LayerNorm2d(num_channels=widths[0])])]
    total, index = sum(depths), 0
    for i, (width, depth) in enumerate(zip(widths, depths)):
        blocks = []
        for _ in range(depth):
            blocks.append(cn_block(width, stochastic_depth_prob * index / (total - 1)))
            index += 1
        features.append(Sequential(layers=blocks))
        if i + 1 < len(widths):
            features.append(Sequential(layers=[
                LayerNorm2d(num_channels=width),
                Conv2d(in_channels=width, out_channels=widths[i + 1], kernel_size=2,
                       stride=2)]))
    c = widths[-1]
    return Sequential(name=name, layers=[
        Sequential(name="features", layers=features),
        AdaptiveAvgPool2d(output_size=1, name="avgpool"),
        Sequential(name="classifier", layers=[
            LayerNorm2d(num_channels=c), Flatten(),
            Linear(in_features=c, out_features=num_classes)]),
    ])


def _convnext(key: str):
    widths, depths, p = CONVNEXT_CONFIGS[key]
    return variant(f"convnext_{key}",
                   f"ConvNeXt-{key.capitalize()}: widths {widths}, depths {depths}.",
                   convnext, widths, depths, stochastic_depth_prob=p, name=f"convnext_{key}")


convnext_tiny = _convnext("tiny")
convnext_small = _convnext("small")
convnext_base = _convnext("base")
convnext_large = _convnext("large")

#: The builders registered in the zoo by name.
MODELS = (
    convnext_tiny, convnext_small, convnext_base, convnext_large,
)
