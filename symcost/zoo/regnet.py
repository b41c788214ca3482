"""RegNetX and RegNetY (Radosavovic et al. 2020) as torchvision builds them
(``torchvision.models.regnet``).

Stem: 3×3/2 convolution to 32 channels, BN, ReLU. Four stages of residual bottleneck
blocks, the first of each striding by 2: 1×1 conv–BN–ReLU, 3×3 grouped conv (group width
g)–BN–ReLU, squeeze-and-excitation in RegNetY (squeeze to round(0.25·block input) channels,
ReLU, sigmoid gate), 1×1 conv–BN; a 1×1 projection–BN shortcut when the shape changes;
ReLU after the sum. Head: global average pooling, a biased linear layer.

The stage depths and widths come from the design-space parameters (depth, w_0, w_a, w_m)
by the paper's quantisation (:func:`regnet_stages`); the results are listed in
:data:`REGNET_STAGES` and the two are checked against each other.

>>> import symcost as sc
>>> sc.zoo.regnet_y_400mf().cost(sc.Shape(C=3, H=224, W=224), "macs").total.macs
401842848
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..containers import Residual, Sequential
from ..layers.activation import ReLU
from ..layers.base import Spec
from ..layers.linear import Linear
from ..layers.pool import AdaptiveAvgPool2d
from ..layers.reshape import Flatten
from .blocks import conv_norm_act, make_divisible, squeeze_excitation, variant

__all__ = ["MODELS", "REGNET_DESIGNS", "REGNET_STAGES", "regnet_stages", "regnet", "regnet_y_400mf",
           "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
           "regnet_y_16gf", "regnet_y_32gf", "regnet_x_400mf", "regnet_x_800mf",
           "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf",
           "regnet_x_32gf"]

#: Design-space parameters (depth, w_0, w_a, w_m, group width) of torchvision's models;
#: RegNetY adds squeeze-and-excitation with ratio 1/4.
REGNET_DESIGNS: dict[str, tuple[int, int, str, str, int]] = {
    "y_400mf": (16, 48, "27.89", "2.09", 8), "y_800mf": (14, 56, "38.84", "2.4", 16),
    "y_1_6gf": (27, 48, "20.71", "2.65", 24), "y_3_2gf": (21, 80, "42.63", "2.66", 24),
    "y_8gf": (17, 192, "76.82", "2.19", 56), "y_16gf": (18, 200, "106.23", "2.48", 112),
    "y_32gf": (20, 232, "115.89", "2.53", 232),
    "x_400mf": (22, 24, "24.48", "2.54", 16), "x_800mf": (16, 56, "35.73", "2.28", 16),
    "x_1_6gf": (18, 80, "34.01", "2.25", 24), "x_3_2gf": (25, 88, "26.31", "2.25", 48),
    "x_8gf": (23, 80, "49.56", "2.88", 120), "x_16gf": (22, 216, "55.59", "2.1", 128),
    "x_32gf": (23, 320, "69.86", "2.0", 168),
}

#: (depths, widths, group width) per model: what the quantisation gives.
REGNET_STAGES: dict[str, tuple[tuple[int, ...], tuple[int, ...], int]] = {
    "y_400mf": ((1, 3, 6, 6), (48, 104, 208, 440), 8),
    "y_800mf": ((1, 3, 8, 2), (64, 144, 320, 784), 16),
    "y_1_6gf": ((2, 6, 17, 2), (48, 120, 336, 888), 24),
    "y_3_2gf": ((2, 5, 13, 1), (72, 216, 576, 1512), 24),
    "y_8gf": ((2, 4, 10, 1), (224, 448, 896, 2016), 56),
    "y_16gf": ((2, 4, 11, 1), (224, 448, 1232, 3024), 112),
    "y_32gf": ((2, 5, 12, 1), (232, 696, 1392, 3712), 232),
    "x_400mf": ((1, 2, 7, 12), (32, 64, 160, 400), 16),
    "x_800mf": ((1, 3, 7, 5), (64, 128, 288, 672), 16),
    "x_1_6gf": ((2, 4, 10, 2), (72, 168, 408, 912), 24),
    "x_3_2gf": ((2, 6, 15, 2), (96, 192, 432, 1008), 48),
    "x_8gf": ((2, 5, 15, 1), (80, 240, 720, 1920), 120),  # stage 1: group width 80
    "x_16gf": ((2, 6, 13, 1), (256, 512, 896, 2048), 128),
    "x_32gf": ((2, 7, 13, 1), (336, 672, 1344, 2520), 168),
}


def regnet_stages(depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                  quant: int = 8) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """Stage depths, widths and group width from RegNet's design-space parameters.

    Block j has width w_0·w_m^round(log(1 + j·w_a/w_0)/log(w_m)) rounded to a multiple of
    ``quant``; runs of equal widths form the stages; widths are then made divisible by the
    group width (capped at the width, stage by stage, as :func:`regnet` does). Computed in
    double precision, as a decision on concrete numbers (no result is a float).

    >>> regnet_stages(16, 48, 27.89, 2.09, 8)
    ((1, 3, 6, 6), (48, 104, 208, 440), 8)
    """
    widths = []
    for j in range(depth):
        capacity = round(math.log((j * w_a + w_0) / w_0) / math.log(w_m))
        widths.append(int(round(w_0 * w_m**capacity / quant) * quant))
    depths: list[int] = []
    stage_widths: list[int] = []
    for w in widths:
        if stage_widths and stage_widths[-1] == w:
            depths[-1] += 1
        else:
            stage_widths.append(w)
            depths.append(1)
    adjusted = tuple(int(make_divisible(w, min(group_width, w))) for w in stage_widths)
    return tuple(depths), adjusted, group_width


def _block(c_in, c_out, stride, group_width, se_ratio):
    body = [conv_norm_act(c_in, c_out, 1, name="a"),
            conv_norm_act(c_out, c_out, 3, stride, groups=c_out // group_width, name="b")]
    if se_ratio:
        # torchvision: int(round(se_ratio * width_in)), Python's round (halves to even)
        squeeze = round(Fraction(se_ratio) * c_in)
        body.append(squeeze_excitation(c_out, squeeze, name="se"))
    body.append(conv_norm_act(c_out, c_out, 1, activation=None, name="c"))
    shortcut = None
    if c_in != c_out or stride != 1:
        shortcut = conv_norm_act(c_in, c_out, 1, stride, activation=None, name="proj")
    return Sequential(layers=[
        Residual(name="add", body=Sequential(name="f", layers=body), shortcut=shortcut),
        ReLU(name="activation")])


def regnet(depths, widths, group_width: int, *, se_ratio=None, num_classes: int = 1000,
           stem_width: int = 32, name: str = "regnet") -> Sequential:
    """A RegNet from its stage depths and widths (bottleneck multiplier 1)."""
    layers: list[Spec] = [conv_norm_act(3, stem_width, 3, 2, name="stem")]
    c = stem_width
    stages = []
    for i, (n, w) in enumerate(zip(depths, widths), start=1):
        g = min(group_width, w)
        blocks = [_block(c if j == 0 else w, w, 2 if j == 0 else 1, g, se_ratio)
                  for j in range(n)]
        stages.append(Sequential(name=f"block{i}", layers=blocks))
        c = w
    layers += [Sequential(name="trunk_output", layers=stages),
               AdaptiveAvgPool2d(output_size=1, name="avgpool"), Flatten(name="flatten"),
               Linear(in_features=c, out_features=num_classes, name="fc")]
    return Sequential(name=name, layers=layers)


def _regnet(key: str):
    depths, widths, group_width = REGNET_STAGES[key]
    doc = (f"RegNet{key[0].upper()}-{key[2:].upper().replace('_', '.')}: depths {depths}, "
           f"widths {widths}, group width {group_width}.")
    return variant(f"regnet_{key}", doc, regnet, depths, widths, group_width,
                   se_ratio="1/4" if key.startswith("y") else None, name=f"regnet_{key}")


regnet_y_400mf = _regnet("y_400mf")
regnet_y_800mf = _regnet("y_800mf")
regnet_y_1_6gf = _regnet("y_1_6gf")
regnet_y_3_2gf = _regnet("y_3_2gf")
regnet_y_8gf = _regnet("y_8gf")
regnet_y_16gf = _regnet("y_16gf")
regnet_y_32gf = _regnet("y_32gf")
regnet_x_400mf = _regnet("x_400mf")
regnet_x_800mf = _regnet("x_800mf")
regnet_x_1_6gf = _regnet("x_1_6gf")
regnet_x_3_2gf = _regnet("x_3_2gf")
regnet_x_8gf = _regnet("x_8gf")
regnet_x_16gf = _regnet("x_16gf")
regnet_x_32gf = _regnet("x_32gf")

#: The builders registered in the zoo by name.
MODELS = (
    regnet_y_400mf, regnet_y_800mf, regnet_y_1_6gf, regnet_y_3_2gf, regnet_y_8gf, regnet_y_16gf,
    regnet_y_32gf, regnet_x_400mf, regnet_x_800mf, regnet_x_1_6gf, regnet_x_3_2gf, regnet_x_8gf,
    regnet_x_16gf, regnet_x_32gf,
)
