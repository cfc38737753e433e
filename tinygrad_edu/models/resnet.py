"""Residual networks (He, Zhang, Ren & Sun 2016, "Deep residual learning for image recognition").

A residual block computes y = relu(x + F(x)) with F = conv-BN-ReLU-conv-BN: the block
learns a correction to the identity. Backward, dy/dx = I + dF/dx, so the gradient reaches
early layers through the identity path even when dF/dx is small (the lecture's cure for
vanishing gradients). When a block halves the size and doubles the channels, the shortcut
must change shape too:

- ImageNet ResNets (``resnet18``, ``resnet34``): a 1x1 stride-2 convolution + BN
  (``downsample``; the paper's option B), in torchvision's layout and key names, so
  torchvision's weights load by name;
- CIFAR ResNet (``resnet20``): the paper's option A, a parameter-free shortcut that takes
  every second pixel and pads the new channels with zeros.
"""
from ..nn import functional as F
from ..nn import init
from ..nn.activation import ReLU
from ..nn.containers import Sequential
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalization import BatchNorm2d
from ..nn.pooling import AdaptiveAvgPool2d, MaxPool2d
from .checks import check_images, check_min_size


def conv3x3(in_channels, out_channels, stride=1):
    """3x3 convolution, padding 1, no bias (the BatchNorm after it has one)."""
    return Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(Module):
    """relu(shortcut(x) + bn2(conv2(relu(bn1(conv1(x)))))), torchvision's key names.

    ``downsample`` (a module or None) maps x to the shape of the residual when the block
    strides or changes the channel count; None means the identity.
    """

    expansion = 1

    def __init__(self, in_channels, channels, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(in_channels, channels, stride)
        self.bn1 = BatchNorm2d(channels)
        self.relu = ReLU()
        self.conv2 = conv3x3(channels, channels)
        self.bn2 = BatchNorm2d(channels)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        # BEGIN SOLUTION task 4.5
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)
        # END SOLUTION


class ResNet(Module):
    """torchvision's ImageNet ResNet with basic blocks: conv1 7x7/2 -> bn1 -> relu -> maxpool 3x3/2
    -> layer1..layer4 (64, 128, 256, 512 channels; layers 2-4 start with a stride-2 block)
    -> global average pool -> fc."""

    def __init__(self, blocks_per_layer, num_classes=1000, name="resnet"):
        super().__init__()
        self.name = name
        self.in_channels = 64
        self.conv1 = Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(64)
        self.relu = ReLU()
        self.maxpool = MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, blocks_per_layer[0])
        self.layer2 = self._make_layer(128, blocks_per_layer[1], stride=2)
        self.layer3 = self._make_layer(256, blocks_per_layer[2], stride=2)
        self.layer4 = self._make_layer(512, blocks_per_layer[3], stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512, num_classes)
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)

    def _make_layer(self, channels, blocks, stride=1):
        downsample = None
        if stride != 1 or self.in_channels != channels:
            downsample = Sequential(Conv2d(self.in_channels, channels, kernel_size=1, stride=stride, bias=False),
                                    BatchNorm2d(channels))
        layers = [BasicBlock(self.in_channels, channels, stride, downsample)]
        self.in_channels = channels
        layers += [BasicBlock(channels, channels) for _ in range(1, blocks)]
        return Sequential(*layers)

    def forward(self, x):
        check_images(self.name, x, 3, "conv1")
        check_min_size(self.name, x, 1, "it needs a non-empty image")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes=1000):
    """ResNet-18: [2, 2, 2, 2] basic blocks, 11,689,512 parameters for 1000 classes (torchvision's)."""
    return ResNet([2, 2, 2, 2], num_classes, "resnet18")


def resnet34(num_classes=1000):
    """ResNet-34: [3, 4, 6, 3] basic blocks, 21,797,672 parameters for 1000 classes (torchvision's)."""
    return ResNet([3, 4, 6, 3], num_classes, "resnet34")


class ZeroPadShortcut(Module):
    """The paper's option A shortcut: x[:, :, ::2, ::2] with zero channels appended on both sides
    (out_channels - in_channels of them in all), so x + F(x) lines up without any parameter."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.extra = out_channels - in_channels

    def forward(self, x):
        x = x[:, :, ::2, ::2]
        half = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, half, self.extra - half))  # (W, H, C) pads, last dim first


class CifarResNet(Module):
    """The CIFAR ResNet of the paper's section 4.2: conv 3x3 16 -> 3 stages of n basic blocks
    (16, 32, 64 channels; stages 2 and 3 start at stride 2) -> global average pool -> fc.
    6n + 2 weighted layers (n = 3: ResNet-20)."""

    def __init__(self, n, num_classes=10, in_channels=3, name="resnet"):
        super().__init__()
        self.name, self.image_channels = name, in_channels
        self.conv1 = conv3x3(in_channels, 16)
        self.bn1 = BatchNorm2d(16)
        self.relu = ReLU()
        self.in_channels = 16
        self.layer1 = self._make_layer(16, n)
        self.layer2 = self._make_layer(32, n, stride=2)
        self.layer3 = self._make_layer(64, n, stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, channels, blocks, stride=1):
        shortcut = ZeroPadShortcut(self.in_channels, channels) if stride != 1 else None
        layers = [BasicBlock(self.in_channels, channels, stride, shortcut)]
        self.in_channels = channels
        layers += [BasicBlock(channels, channels) for _ in range(1, blocks)]
        return Sequential(*layers)

    def forward(self, x):
        check_images(self.name, x, self.image_channels, "conv1")
        check_min_size(self.name, x, 1, "it needs a non-empty image")
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def resnet20(num_classes=10, in_channels=3):
    """ResNet-20 for 32x32 CIFAR images (n = 3): 269,722 parameters for 10 classes, the paper's
    "0.27M" (Table 6). Any image size works (global average pooling); odd sizes are rounded up
    by the stride-2 stages, as in PyTorch. ``in_channels=1`` for the digits."""
    return CifarResNet(3, num_classes, in_channels, "resnet20")
