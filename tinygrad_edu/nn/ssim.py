"""Image-quality measures: SSIM (Wang, Bovik, Sheikh & Simoncelli 2004) and PSNR, and the
SSIM loss of the ConvNets lecture ("when the appearance of the result matters").

SSIM compares two images window by window in luminance, contrast and structure. With
Gaussian-weighted local statistics (window 11x11, sigma 1.5, weights w summing to 1):

    mu_x = sum w x,   sigma_x^2 = sum w x^2 - mu_x^2,   sigma_xy = sum w x y - mu_x mu_y
    SSIM(x, y) = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))

with C1 = (K1 L)^2, C2 = (K2 L)^2, K1 = 0.01, K2 = 0.03 and L the data range (1 for
images in [0, 1], 255 for 8-bit). The weighted sums are depthwise convolutions (one
Gaussian per channel, ``groups=C``) over the *valid* positions only, as in the authors'
MATLAB code (``filter2(w, x, 'valid')``); the SSIM of an image is the mean of the map over
positions and channels. Every step is an op with its own backward, so ``SSIMLoss`` =
1 - SSIM trains a network directly.

PSNR = 10 log10(L^2 / MSE), in dB, per image.

PyTorch has neither; the names and arguments follow the common ``pytorch_msssim`` /
torchmetrics conventions (``data_range``; ``reduction`` as in PyTorch's losses).
"""
import math

import numpy as np

from ..ops.conv import conv2d
from ..tensor import Tensor
from .module import Module


def gaussian_window(size=11, sigma=1.5):
    """(size, size) NumPy array w = g g^T, g the normalised 1-D Gaussian (sum w = 1)."""
    x = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-(x ** 2) / (2.0 * sigma ** 2))
    g /= g.sum()
    return np.outer(g, g)


def _check_pair(name, input, target, window_size=None):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: input and target must have the same shape, got {tuple(input.shape)} and "
                         f"{tuple(target.shape)}")
    if input.ndim != 4:
        raise ValueError(f"{name}: expected images (N, C, H, W), got shape {tuple(input.shape)}")
    if window_size is not None and min(input.shape[2:]) < window_size:
        raise ValueError(f"{name}: images of size {input.shape[2]}x{input.shape[3]} are smaller than the "
                         f"{window_size}x{window_size} window; use images of at least {window_size}x{window_size} or a "
                         f"smaller window_size")


def _reduce(name, values, reduction):
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    if reduction == "none":
        return values
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def ssim(input, target, data_range=1.0, window_size=11, sigma=1.5, K1=0.01, K2=0.03, reduction="mean"):
    """Mean SSIM of each image pair (N, C, H, W); ``reduction="none"`` gives one value per image.

        SSIM = mean over windows of (2 mu_x mu_y + C1)(2 sigma_xy + C2) /
                                    ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))

    Shape:
        - Input: (N, C, H, W), H and W at least window_size
        - Target: (N, C, H, W), same shape as the input
        - Output: scalar; (N,) with ``reduction="none"``

    Backward: composed: depthwise conv2d, ops/conv.py (Conv2d), with Mul, Sub, Add, Div
    (ops/elementwise.py) and Mean (ops/reduce.py).
    """
    _check_pair("ssim", input, target, window_size)
    channels = input.shape[1]
    window = np.broadcast_to(gaussian_window(window_size, sigma), (channels, 1, window_size, window_size))
    w = Tensor(np.ascontiguousarray(window).astype(input.dtype), device=input.device)

    def local_mean(z):  # sum of w * z over each valid window, channel by channel
        return conv2d(z, w, groups=channels)

    mu_x, mu_y = local_mean(input), local_mean(target)
    var_x = local_mean(input * input) - mu_x * mu_x
    var_y = local_mean(target * target) - mu_y * mu_y
    cov_xy = local_mean(input * target) - mu_x * mu_y
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))
    return _reduce("ssim", ssim_map.mean(dim=(1, 2, 3)), reduction)


def psnr(input, target, data_range=1.0, reduction="mean"):
    """PSNR in dB of each image pair, 10 log10(data_range^2 / MSE); ``reduction`` over the images.

        PSNR = 10 log10(data_range^2 / MSE),   MSE = mean over (C, H, W) of (x - t)^2

    Shape:
        - Input: (N, C, H, W)
        - Target: (N, C, H, W), same shape as the input
        - Output: scalar; (N,) with ``reduction="none"``

    Backward: composed: Sub, Pow, Div, Log (ops/elementwise.py) and Mean (ops/reduce.py).
    """
    _check_pair("psnr", input, target)
    mse = ((input - target) ** 2).mean(dim=(1, 2, 3))
    values = 10.0 * (data_range ** 2 / mse).log() / math.log(10.0)
    return _reduce("psnr", values, reduction)


class SSIMLoss(Module):
    """1 - SSIM(input, target): 0 for identical images, up to 2 (SSIM lies in [-1, 1]).

        loss = 1 - SSIM(input, target)    (the math: see ``ssim`` in this file)

    Shape:
        - Input: (N, C, H, W), H and W at least window_size
        - Target: (N, C, H, W), same shape as the input
        - Output: scalar; (N,) with ``reduction="none"``

    Backward: composed, as ``ssim``: ops/conv.py (Conv2d) with ops/elementwise.py and
    ops/reduce.py (Mean).
    """

    def __init__(self, data_range=1.0, window_size=11, sigma=1.5, K1=0.01, K2=0.03, reduction="mean"):
        super().__init__()
        self.data_range, self.window_size, self.sigma = data_range, window_size, sigma
        self.K1, self.K2, self.reduction = K1, K2, reduction

    def forward(self, input, target):
        values = ssim(input, target, self.data_range, self.window_size, self.sigma, self.K1, self.K2, reduction="none")
        return _reduce("SSIMLoss", 1.0 - values, self.reduction)

    def extra_repr(self):
        return f"data_range={self.data_range}, window_size={self.window_size}, sigma={self.sigma}"
