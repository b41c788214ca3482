"""EfficientNet-B0…B7 (Tan & Le 2019) as torchvision builds them
(``torchvision.models.efficientnet``), from the B0 table and the compound width and depth
multipliers.

MBConv block (expansion e, kernel k, stride s, output c): 1×1 expansion to
make_divisible(e·C_in, 8) channels with BN and SiLU (left out when e = 1), k×k depthwise
convolution with BN and SiLU, squeeze-and-excitation (squeeze to max(1, C_in//4)
channels, SiLU, sigmoid gate), linear 1×1 projection with BN; identity shortcut (through
stochastic depth, the identity at inference) when shapes match. Stem: 3×3/2 convolution to
32 channels, BN, SiLU. Head: 1×1 convolution to 4× the last block's channels, BN, SiLU,
global average pooling, dropout, a biased linear layer. Channels of a stage are
make_divisible(c·width, 8), its depth ceil(n·depth).

>>> import symcost as sc
>>> sc.zoo.efficientnet_b0().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
385814752
"""

from __future__ import annotations

import sympy

from ..containers import Residual, Sequential
from ..errors import SpecError
from ..layers.activation import SiLU
from ..layers.linear import Linear
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Dropout, Flatten, StochasticDepth
from .blocks import conv_norm_act, make_divisible, multiplier, squeeze_excitation, variant

__all__ = ["MODELS", "EFFICIENTNET_B0_STAGES", "EFFICIENTNET_SCALING", "efficientnet",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7"]

#: (expansion, kernel, first stride, input channels, output channels, layers) of the seven
#: stages of B0 (the paper's Table 1).
EFFICIENTNET_B0_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
)
#: (width multiplier, depth multiplier, dropout, eval crop size) per variant, as torchvision.
EFFICIENTNET_SCALING: dict[str, tuple[str, str, float, int]] = {
    "b0": ("1.0", "1.0", 0.2, 224), "b1": ("1.0", "1.1", 0.2, 240),
    "b2": ("1.1", "1.2", 0.3, 288), "b3": ("1.2", "1.4", 0.3, 300),
    "b4": ("1.4", "1.8", 0.4, 380), "b5": ("1.6", "2.2", 0.4, 456),
    "b6": ("1.8", "2.6", 0.5, 528), "b7": ("2.0", "3.1", 0.5, 600),
}


def _mbconv(c_in, c_out, expand_ratio, kernel, stride, p):
    expanded = make_divisible(c_in * expand_ratio, 8)
    layers = []
    if expanded != c_in:
        layers.append(conv_norm_act(c_in, expanded, 1, activation=SiLU))
    layers += [conv_norm_act(expanded, expanded, kernel, stride, groups=expanded,
                             activation=SiLU),
               squeeze_excitation(expanded, max(1, c_in // 4), activation=SiLU),
               conv_norm_act(expanded, c_out, 1, activation=None)]
    body = Sequential(name="block", layers=layers)
    if stride == 1 and c_in == c_out:
        return Residual(body=Sequential(name="block", layers=[
            body, StochasticDepth(p=p, name="stochastic_depth")]))
    return Sequential(layers=[body])


def efficientnet(width_mult=1, depth_mult=1, *, num_classes: int = 1000,
                 dropout: float = 0.2, stochastic_depth_prob: float = 0.2,
                 name: str = "efficientnet") -> Sequential:
    """An EfficientNet (V1) with compound multipliers ``width_mult`` and ``depth_mult``."""
    w = multiplier(width_mult, model=name, field="width_mult")
    d = multiplier(depth_mult, model=name, field="depth_mult")
    if not (w.is_Number and d.is_Number):
        raise SpecError("width_mult and depth_mult must be numbers: the stage depths "
                        "ceil(n·depth_mult) and channel roundings have no closed form in a "
                        "symbol.", layer=name, field="width_mult", value=(width_mult,
                                                                         depth_mult))

    def width(c):
        return int(make_divisible(c * w, 8))

    stages = [(e, k, s, width(ci), width(co), int(sympy.ceiling(n * d)))
              for e, k, s, ci, co, n in EFFICIENTNET_B0_STAGES]
    total = sum(st[-1] for st in stages)
    features = [conv_norm_act(3, stages[0][3], 3, 2, activation=SiLU)]
    index = 0
    for e, k, s, c_in, c_out, n in stages:
        blocks = []
        for i in range(n):
            p = stochastic_depth_prob * index / total
            blocks.append(_mbconv(c_in if i == 0 else c_out, c_out, e, k, s if i == 0 else 1, p))
            index += 1
        features.append(Sequential(layers=blocks))
    c = stages[-1][4]
    features.append(conv_norm_act(c, 4 * c, 1, activation=SiLU))
    return Sequential(name=name, layers=[
        Sequential(name="features", layers=features),
        AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
        Sequential(name="classifier", layers=[
            Dropout(p=dropout), Linear(in_features=4 * c, out_features=num_classes)]),
    ])


def _efficientnet(key: str):
    width, depth, dropout, crop = EFFICIENTNET_SCALING[key]
    name = f"efficientnet_{key}"
    doc = (f"EfficientNet-{key.upper()}: width ×{width}, depth ×{depth} (evaluated at "
           f"{crop}×{crop}).")
    return variant(name, doc, efficientnet, width, depth, dropout=dropout, name=name)


efficientnet_b0 = _efficientnet("b0")
efficientnet_b1 = _efficientnet("b1")
efficientnet_b2 = _efficientnet("b2")
efficientnet_b3 = _efficientnet("b3")
efficientnet_b4 = _efficientnet("b4")
efficientnet_b5 = _efficientnet("b5")
efficientnet_b6 = _efficientnet("b6")
efficientnet_b7 = _efficientnet("b7")

#: The builders registered in the zoo by name.
MODELS = (
    efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4,
    efficientnet_b5, efficientnet_b6, efficientnet_b7,
)
