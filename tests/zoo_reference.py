"""Published figures the zoo is checked against, each with its source.

``TORCHVISION``: torchvision 0.29.1's weight metadata for each builder's default weights —
``meta["num_params"]`` (``numel`` summed over ``parameters()``: BatchNorm's γ and β count,
its running statistics do not) and ``meta["_ops"]``, shown as "GFLOPS" in torchvision's
model documentation: multiply-accumulates of convolutions, linear layers and matrix
products, in billions, rounded to 3 decimals (trailing zeros dropped), measured at batch 1
on the weights' eval crop size. Copied from the project's reference notes on torchvision's
published figures (shared/reference/torchvision_models.md), which read them from
torchvision's model builders (``torchvision/models/*.py``).

Paper figures: MobileNetV1 (Howard et al. 2017, arXiv:1704.04861) Table 4, "Conv
MobileNet": 4866 million Mult-Adds, 29.3 million parameters. MobileNetV2 (Sandler et al.
2018, arXiv:1801.04381) Tables 4 and 6, "MobileNetV2": 300 million MAdds, 3.4 million
parameters, at width 1.0 and 224×224.
"""

#: builder: (default weights, num_params, GFLOPS as printed, eval crop size).
TORCHVISION: dict[str, tuple[str, int, str, int]] = {
    "alexnet": ("IMAGENET1K_V1", 61_100_840, "0.714", 224),
    "vgg11": ("IMAGENET1K_V1", 132_863_336, "7.609", 224),
    "vgg11_bn": ("IMAGENET1K_V1", 132_868_840, "7.609", 224),
    "vgg13": ("IMAGENET1K_V1", 133_047_848, "11.308", 224),
    "vgg13_bn": ("IMAGENET1K_V1", 133_053_736, "11.308", 224),
    "vgg16": ("IMAGENET1K_V1", 138_357_544, "15.47", 224),
    "vgg16_bn": ("IMAGENET1K_V1", 138_365_992, "15.47", 224),
    "vgg19": ("IMAGENET1K_V1", 143_667_240, "19.632", 224),
    "vgg19_bn": ("IMAGENET1K_V1", 143_678_248, "19.632", 224),
    "resnet18": ("IMAGENET1K_V1", 11_689_512, "1.814", 224),
    "resnet34": ("IMAGENET1K_V1", 21_797_672, "3.664", 224),
    "resnet50": ("IMAGENET1K_V2", 25_557_032, "4.089", 224),
    "resnet101": ("IMAGENET1K_V2", 44_549_160, "7.801", 224),
    "resnet152": ("IMAGENET1K_V2", 60_192_808, "11.514", 224),
    "resnext50_32x4d": ("IMAGENET1K_V2", 25_028_904, "4.23", 224),
    "resnext101_32x8d": ("IMAGENET1K_V2", 88_791_336, "16.414", 224),
    "resnext101_64x4d": ("IMAGENET1K_V1", 83_455_272, "15.46", 224),
    "wide_resnet50_2": ("IMAGENET1K_V2", 68_883_240, "11.398", 224),
    "wide_resnet101_2": ("IMAGENET1K_V2", 126_886_696, "22.753", 224),
    "squeezenet1_0": ("IMAGENET1K_V1", 1_248_424, "0.819", 224),
    "squeezenet1_1": ("IMAGENET1K_V1", 1_235_496, "0.349", 224),
    "googlenet": ("IMAGENET1K_V1", 6_624_904, "1.498", 224),
    "densenet121": ("IMAGENET1K_V1", 7_978_856, "2.834", 224),
    "densenet161": ("IMAGENET1K_V1", 28_681_000, "7.728", 224),
    "densenet169": ("IMAGENET1K_V1", 14_149_480, "3.36", 224),
    "densenet201": ("IMAGENET1K_V1", 20_013_928, "4.291", 224),
    "mobilenet_v2": ("IMAGENET1K_V2", 3_504_872, "0.301", 224),
    "mobilenet_v3_large": ("IMAGENET1K_V2", 5_483_032, "0.217", 224),
    "mobilenet_v3_small": ("IMAGENET1K_V1", 2_542_856, "0.057", 224),
    "shufflenet_v2_x0_5": ("IMAGENET1K_V1", 1_366_792, "0.04", 224),
    "shufflenet_v2_x1_0": ("IMAGENET1K_V1", 2_278_604, "0.145", 224),
    "shufflenet_v2_x1_5": ("IMAGENET1K_V1", 3_503_624, "0.296", 224),
    "shufflenet_v2_x2_0": ("IMAGENET1K_V1", 7_393_996, "0.583", 224),
    "mnasnet0_5": ("IMAGENET1K_V1", 2_218_512, "0.104", 224),
    "mnasnet0_75": ("IMAGENET1K_V1", 3_170_208, "0.215", 224),
    "mnasnet1_0": ("IMAGENET1K_V1", 4_383_312, "0.314", 224),
    "mnasnet1_3": ("IMAGENET1K_V1", 6_282_256, "0.526", 224),
    "efficientnet_b0": ("IMAGENET1K_V1", 5_288_548, "0.386", 224),
    "efficientnet_b1": ("IMAGENET1K_V2", 7_794_184, "0.687", 240),
    "efficientnet_b2": ("IMAGENET1K_V1", 9_109_994, "1.088", 288),
    "efficientnet_b3": ("IMAGENET1K_V1", 12_233_232, "1.827", 300),
    "efficientnet_b4": ("IMAGENET1K_V1", 19_341_616, "4.394", 380),
    "efficientnet_b5": ("IMAGENET1K_V1", 30_389_784, "10.266", 456),
    "efficientnet_b6": ("IMAGENET1K_V1", 43_040_704, "19.068", 528),
    "efficientnet_b7": ("IMAGENET1K_V1", 66_347_960, "37.746", 600),
    "regnet_y_400mf": ("IMAGENET1K_V2", 4_344_144, "0.402", 224),
    "regnet_y_800mf": ("IMAGENET1K_V2", 6_432_512, "0.834", 224),
    "regnet_y_1_6gf": ("IMAGENET1K_V2", 11_202_430, "1.612", 224),
    "regnet_y_3_2gf": ("IMAGENET1K_V2", 19_436_338, "3.176", 224),
    "regnet_y_8gf": ("IMAGENET1K_V2", 39_381_472, "8.473", 224),
    "regnet_y_16gf": ("IMAGENET1K_V2", 83_590_140, "15.912", 224),
    "regnet_y_32gf": ("IMAGENET1K_V2", 145_046_770, "32.28", 224),
    "regnet_x_400mf": ("IMAGENET1K_V2", 5_495_976, "0.414", 224),
    "regnet_x_800mf": ("IMAGENET1K_V2", 7_259_656, "0.8", 224),
    "regnet_x_1_6gf": ("IMAGENET1K_V2", 9_190_136, "1.603", 224),
    "regnet_x_3_2gf": ("IMAGENET1K_V2", 15_296_552, "3.177", 224),
    "regnet_x_8gf": ("IMAGENET1K_V2", 39_572_648, "7.995", 224),
    "regnet_x_16gf": ("IMAGENET1K_V2", 54_278_536, "15.941", 224),
    "regnet_x_32gf": ("IMAGENET1K_V2", 107_811_560, "31.736", 224),
    "convnext_tiny": ("IMAGENET1K_V1", 28_589_128, "4.456", 224),
    "convnext_small": ("IMAGENET1K_V1", 50_223_688, "8.684", 224),
    "convnext_base": ("IMAGENET1K_V1", 88_591_464, "15.355", 224),
    "convnext_large": ("IMAGENET1K_V1", 197_767_336, "34.361", 224),
}

#: MobileNetV1, Table 4: (Mult-Adds in millions, parameters in millions), as printed.
MOBILENET_V1_CONV_PAPER = (4866, "29.3")
#: MobileNetV2, Table 4: (MAdds in millions, parameters in millions), as printed.
MOBILENET_V2_PAPER = (300, "3.4")
