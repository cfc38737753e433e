"""DRUNet, the denoiser of DPIR (Zhang, Li, Zuo, Zhang, Van Gool & Timofte 2022, "Plug-and-play
image restoration with deep denoiser prior").

A U-Net whose stages are residual blocks, with the noise level as an input:

    input: the noisy image (in_channels) and a constant map holding sigma (1 channel)
    m_head:   conv 3x3 -> features[0]
    m_down1..3: ``blocks`` residual blocks, then a 2x2 stride-2 conv (halves the size, next width)
    m_body:   ``blocks`` residual blocks at features[3]
    m_up3..1: a 2x2 stride-2 transpose conv (doubles the size, previous width), then residual blocks
    m_tail:   conv 3x3 -> out_channels

The skips *add* the encoder's output to the decoder's input (x = up3(x + x4) ...), unlike the
2015 U-Net's concatenation. No BatchNorm and no biases anywhere (the authors found both
unnecessary); residual blocks are x + conv(relu(conv(x))). Feeding sigma as a channel lets
one network denoise every noise level, which plug-and-play (``pnp.py``) needs: its prior
step calls the denoiser with a decreasing sigma.

Key names follow the authors' reference code (KAIR's ``UNetRes``): ``m_head.weight``,
``m_down1.0.res.0.weight``, ``m_down1.4.weight`` (the stride-2 conv), ``m_up3.0.weight``,
``m_tail.weight``, so their released weights load by name. Parameter count: 32,640,960 for
the colour model (in 3 + 1 channels, out 3), the number the paper reports; 32,638,656 for
grayscale. Height and width must be multiples of 8 (three stride-2 stages).
"""
from ..nn.activation import ReLU
from ..nn.containers import Sequential
from ..nn.conv import Conv2d, ConvTranspose2d
from ..nn.module import Module
from .checks import check_images, check_multiple
from .dncnn import ResidualBlock
from .positional import noise_level_map


class DRUNet(Module):
    def __init__(self, in_channels=1, out_channels=1, features=(64, 128, 256, 512), blocks=4):
        super().__init__()
        if len(features) != 4:
            raise ValueError(f"drunet: features must hold 4 widths (one per scale), got {features}")
        self.in_channels = in_channels
        f0, f1, f2, f3 = features
        self.m_head = Conv2d(in_channels + 1, f0, 3, padding=1, bias=False)
        self.m_down1 = Sequential(*[ResidualBlock(f0, bias=False) for _ in range(blocks)], Conv2d(f0, f1, 2, stride=2, bias=False))
        self.m_down2 = Sequential(*[ResidualBlock(f1, bias=False) for _ in range(blocks)], Conv2d(f1, f2, 2, stride=2, bias=False))
        self.m_down3 = Sequential(*[ResidualBlock(f2, bias=False) for _ in range(blocks)], Conv2d(f2, f3, 2, stride=2, bias=False))
        self.m_body = Sequential(*[ResidualBlock(f3, bias=False) for _ in range(blocks)])
        self.m_up3 = Sequential(ConvTranspose2d(f3, f2, 2, stride=2, bias=False), *[ResidualBlock(f2, bias=False) for _ in range(blocks)])
        self.m_up2 = Sequential(ConvTranspose2d(f2, f1, 2, stride=2, bias=False), *[ResidualBlock(f1, bias=False) for _ in range(blocks)])
        self.m_up1 = Sequential(ConvTranspose2d(f1, f0, 2, stride=2, bias=False), *[ResidualBlock(f0, bias=False) for _ in range(blocks)])
        self.m_tail = Conv2d(f0, out_channels, 3, padding=1, bias=False)

    def forward(self, x, sigma=None):
        """``x``: noisy images (N, in_channels, H, W) and ``sigma`` (a number, or one per image),
        on the image's scale (25/255 for sigma 25 on [0, 1] images); or, with ``sigma=None``,
        x already holds the noise-level map as its last channel."""
        if sigma is not None:
            check_images("drunet", x, self.in_channels, "the noisy image (before the sigma map is appended)")
            x = noise_level_map(x, sigma)
        check_images("drunet", x, self.in_channels + 1, "m_head (image + noise-level map)")
        check_multiple("drunet", x, 8, "m_down1..3 are three 2x2 stride-2 convolutions")
        x1 = self.m_head(x)
        x2 = self.m_down1(x1)
        x3 = self.m_down2(x2)
        x4 = self.m_down3(x3)
        x = self.m_body(x4)
        x = self.m_up3(x + x4)
        x = self.m_up2(x + x3)
        x = self.m_up1(x + x2)
        return self.m_tail(x + x1)


def drunet(in_channels=1, out_channels=1, features=(64, 128, 256, 512), blocks=4):
    """DRUNet with ``blocks`` residual blocks per stage; call it as ``model(noisy, sigma)``."""
    return DRUNet(in_channels, out_channels, features, blocks)
