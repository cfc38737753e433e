"""Denoisers that predict the noise: DnCNN and DN-ResNet (the denoising lecture).

The forward model is y = x + w with w ~ N(0, sigma^2 I). Since E[x | y] = y - E[w | y], a
network f that estimates the noise gives the denoised image as y - f(y) ("residual
learning"): the noise is small and structureless, easier to learn than the image.

DnCNN (Zhang, Zuo, Chen, Meng & Zhang 2017, "Beyond a Gaussian denoiser"): ``depth`` 3x3
convolutions, no pooling (the receptive field of layer d is (2d+1) x (2d+1): 35x35 for 17
layers):

    layer 1:          conv(channels -> 64) with bias, ReLU
    layers 2..D-1:    conv(64 -> 64) without bias, BatchNorm, ReLU
    layer D:          conv(64 -> channels) without bias

Parameters for depth 17, one channel, 64 features: (9*64 + 64) + 15*(9*64*64 + 2*64) + 9*64
= 640 + 554,880 + 576 = 556,096. ``batch_norm=False`` drops the BatchNorms and gives the
middle convolutions a bias instead; ``residual=False`` makes the network output the image
itself: the lecture's four-way ablation (with/without BN x with/without residual learning).

DN-ResNet (Ren, El-Khamy & Lee 2018): a head convolution, residual blocks
(conv-ReLU-conv plus the identity) and a tail convolution that estimates the noise; the
image is again y - f(y). The paper varies the number of blocks for speed; ``blocks`` sets it.
"""
from ..nn.activation import ReLU
from ..nn.containers import Sequential
from ..nn.conv import Conv2d
from ..nn.module import Module
from ..nn.normalization import BatchNorm2d
from .checks import check_images


class DnCNN(Module):
    def __init__(self, channels=1, depth=17, features=64, batch_norm=True, residual=True):
        super().__init__()
        if depth < 2:
            raise ValueError(f"dncnn: depth must be at least 2 (a first and a last convolution), got {depth}")
        self.channels, self.residual = channels, residual
        layers = [Conv2d(channels, features, kernel_size=3, padding=1, bias=True), ReLU()]
        for _ in range(depth - 2):
            layers.append(Conv2d(features, features, kernel_size=3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(BatchNorm2d(features))
            layers.append(ReLU())
        layers.append(Conv2d(features, channels, kernel_size=3, padding=1, bias=False))
        self.layers = Sequential(*layers)

    def forward(self, y):
        # BEGIN SOLUTION task 5.3
        check_images("dncnn", y, self.channels, "layers.0 (the first convolution)")
        out = self.layers(y)
        return y - out if self.residual else out  # residual: out is the noise estimate
        # END SOLUTION


def dncnn(channels=1, depth=17, features=64, batch_norm=True, residual=True):
    """DnCNN-``depth``; returns the denoised image y - f(y) (``residual=True``) or f(y)."""
    return DnCNN(channels, depth, features, batch_norm, residual)


class ResidualBlock(Module):
    """x + conv(relu(conv(x))): 3x3 convolutions, no normalisation. ``res`` holds the two
    convolutions at indices 0 and 2 (the key names of the DPIR authors' ResBlock)."""

    def __init__(self, channels, bias=True):
        super().__init__()
        self.res = Sequential(Conv2d(channels, channels, 3, padding=1, bias=bias), ReLU(),
                              Conv2d(channels, channels, 3, padding=1, bias=bias))

    def forward(self, x):
        return x + self.res(x)


class DNResNet(Module):
    def __init__(self, channels=1, features=64, blocks=8):
        super().__init__()
        self.channels = channels
        self.head = Sequential(Conv2d(channels, features, 3, padding=1), ReLU())
        self.blocks = Sequential(*[ResidualBlock(features) for _ in range(blocks)])
        self.tail = Conv2d(features, channels, 3, padding=1)

    def forward(self, y):
        check_images("dn_resnet", y, self.channels, "head.0 (the first convolution)")
        noise = self.tail(self.blocks(self.head(y)))
        return y - noise


def dn_resnet(channels=1, features=64, blocks=8):
    """DN-ResNet: head conv + ReLU, ``blocks`` residual blocks, tail conv estimating the noise;
    returns y - f(y). Parameters: (9c*F + F) + blocks * 2*(9F^2 + F) + (9F*c + c); 592,065 for
    the defaults (c = 1, F = 64, 8 blocks)."""
    return DNResNet(channels, features, blocks)
