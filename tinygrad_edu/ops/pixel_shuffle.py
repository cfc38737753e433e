"""``pixel_shuffle`` and ``pixel_unshuffle``: trade channels for resolution (the
sub-pixel convolution of super-resolution networks, Shi et al., 2016).

    pixel_shuffle    (*, C * r^2, H, W) -> (*, C, H * r, W * r)
    pixel_unshuffle  (*, C, H * r, W * r) -> (*, C * r^2, H, W)

Channel c * r^2 + i * r + j of the input becomes the pixel at row offset i, column
offset j of every r x r block of output channel c. Both are a reshape, a permute and a
reshape, each the inverse of the other; no new Function is needed because the
gradient of a reshape is a reshape and the gradient of a permute is the inverse
permute (``ops/shape.py``): the gradient of pixel_shuffle is pixel_unshuffle.
"""
from ..tensor import Tensor


def _check(op, input, factor, what):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(factor, int) or isinstance(factor, bool) or factor <= 0:
        raise RuntimeError(f"{op}: {what} must be a positive integer, got {factor!r}")
    if input.ndim < 3:
        raise RuntimeError(f"{op}: expects input to have at least 3 dimensions (*, C, H, W), but got shape {input.shape}")


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels fills an r x r block."""
    _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle: expects its input's 'channel' dimension ({c}, shape {input.shape}) to be divisible by "
            f"the square of upscale_factor ({r * r})"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)                   # (*, C, i, j, H, W)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)              # (*, C, H, i, W, j)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): each r x r block becomes r^2 channels."""
    _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    r = downscale_factor
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle: expects height ({h}) and width ({w}) to be divisible by downscale_factor ({r}), "
            f"got input of shape {input.shape}"
        )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)                   # (*, C, H, i, W, j)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)              # (*, C, i, j, H, W)
    return x.reshape(*batch, c * r * r, h // r, w // r)
