"""Hand-written PyTorch modules that exercise every operation symcost.from_torch maps.

Used by tests/test_torch_import.py and benchmarks/bench_torch.py.
"""

import pytest

torch = pytest.importorskip("torch", reason="the example models need torch")
nn = torch.nn
F = torch.nn.functional


class Block(nn.Module):
    """A residual block (grouped conv, BN with and without affine, in-place ReLU)."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, groups=4, bias=False)
        self.bn2 = nn.BatchNorm2d(c, affine=False)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


class ModuleNet(nn.Module):
    """Every mapped nn.Module type; ``block`` is called twice (a shared submodule)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1, padding_mode="reflect")
        self.bn = nn.BatchNorm2d(16)
        self.act = nn.ReLU6()
        self.pool = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        self.block = Block(16)
        self.dilated = nn.Conv2d(16, 32, 3, padding=2, dilation=2)
        self.depthwise = nn.Conv2d(32, 32, 5, padding="same", groups=32)
        self.shuffle = nn.ChannelShuffle(4)
        self.acts = nn.Sequential(nn.LeakyReLU(0.1), nn.PReLU(32), nn.ELU(), nn.SiLU(),
                                  nn.Hardswish(), nn.Hardsigmoid(), nn.GELU(),
                                  nn.GELU(approximate="tanh"), nn.Tanh(), nn.Sigmoid())
        self.up = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1, groups=2)
        self.up2 = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1,
                                      bias=False)
        self.avg = nn.AvgPool2d(2)
        self.nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.max2 = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.drop = nn.Dropout(0.2)
        self.ident = nn.Identity()
        self.fc = nn.Linear(8, 10)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.pool(self.act(self.bn(self.stem(x))))
        x = self.block(self.block(x))
        x = self.shuffle(self.depthwise(self.dilated(x)))
        x = self.up2(self.up(self.acts(x)))
        x = self.max2(self.bilinear(self.nearest(self.avg(x))))
        x = self.ident(self.drop(self.flatten(self.gap(x))))
        return self.softmax(self.fc(x))


class FunctionalNet(nn.Module):
    """Functional calls, tensor methods and Python operators."""

    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 8, 3, padding=1)
        self.conv_b = nn.Conv2d(3, 8, 1)
        self.head = nn.Linear(16, 12)
        self.tail = nn.Linear(12, 5, bias=False)

    def forward(self, x):
        a = F.relu(self.conv_a(x))
        b = torch.sigmoid(self.conv_b(x))
        y = torch.cat([a, b], dim=1)
        y = y * torch.sigmoid(y.mean((2, 3), keepdim=True))
        y = F.max_pool2d(y, 2)
        y = F.avg_pool2d(y, 3, stride=1, padding=1)
        s = y.sigmoid()
        y = (y + s) * 0.5 - s
        y = F.hardswish(F.silu(F.gelu(F.leaky_relu(F.elu(F.relu6(y)), 0.2))))
        y = torch.tanh(F.dropout(y, 0.1, training=self.training))
        y = torch.channel_shuffle(y, 2)
        left, right = y.chunk(2, dim=1)
        y = torch.cat([right, left], dim=1)
        y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)
        scores = F.softmax(torch.matmul(y, y.transpose(-2, -1)), dim=-1)
        y = scores @ y
        y = F.adaptive_avg_pool2d(y, 1)
        y = torch.flatten(y, 1)
        y = F.relu(self.head(y))
        return self.tail(y.view(y.size(0), -1))


class PyramidNet(nn.Module):
    """Sizes traced from the input (``interpolate(size=x.shape[-2:])``), padding, and a
    softmax over a flattened map."""

    def __init__(self):
        super().__init__()
        self.down1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.down2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.lateral = nn.Conv2d(3, 8, 1)

    def forward(self, x):
        coarse = self.down2(self.down1(x))
        y = self.lateral(x) + F.interpolate(coarse, size=x.shape[-2:], mode="nearest")
        y = F.pad(y, (1, 1, 2, 2))
        return y.flatten(1).softmax(-1)


class ResNet50(nn.Module):
    """ResNet-50 (torchvision's layout: stride on the 3×3 conv, projection shortcuts)."""

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            cout = width * 4
            self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(width)
            self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride,
                                                          bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            return self.relu(out + identity)

    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for i, (n, width) in enumerate(zip(layers, (64, 128, 256, 512))):
            blocks = []
            for j in range(n):
                blocks.append(self.Bottleneck(cin, width, 2 if j == 0 and i > 0 else 1))
                cin = width * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
