"""Upsampling: ``interpolate`` with ``mode="nearest"`` or ``"bilinear"`` (NCHW).

Both are linear maps of the input (each output pixel is a fixed weighted sum of
input pixels), so each backward is the adjoint: every output gradient is sent back
to the input pixels it was read from, with the same weights.
"""
import math

from .. import kernels
from ..autograd.function import Function


class UpsampleNearest2d(Function):
    """out[n, c, y, x] = in[n, c, floor(y * H/OH), floor(x * W/OW)]  (PyTorch's "nearest").

    Backward: dL/din = sum of g over the output pixels that copied each input pixel.
    """

    @staticmethod
    def forward(ctx, x, out_hw, scale_factor):
        ctx.conf = (x.shape, scale_factor)
        return kernels.upsample_nearest2d_forward(x, out_hw, scale_factor)

    @staticmethod
    def backward(ctx, g):
        shape, scale_factor = ctx.conf
        return kernels.upsample_nearest2d_backward(g, shape, scale_factor), None, None


class UpsampleBilinear2d(Function):
    """out[y, x] = sum over the 4 nearest input pixels of (1 - |dy|)(1 - |dx|) * in[...],
    with source coordinates from ``align_corners`` (PyTorch's rules).

    Backward: each output gradient is split over the same 4 input pixels with the same
    bilinear weights (the transpose of the interpolation matrix).
    """

    @staticmethod
    def forward(ctx, x, out_hw, align_corners, scale_factor):
        ctx.conf = (x.shape, align_corners, scale_factor)
        return kernels.upsample_bilinear2d_forward(x, out_hw, align_corners, scale_factor)

    @staticmethod
    def backward(ctx, g):
        shape, align_corners, scale_factor = ctx.conf
        return kernels.upsample_bilinear2d_backward(g, shape, align_corners, scale_factor), None, None, None


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
    """Resize a (N, C, H, W) batch to ``size`` or by ``scale_factor`` (exactly one of them).

    With ``scale_factor`` the output size is floor(H * scale_factor) and, unless
    ``recompute_scale_factor=True``, the given scale is used to map output to input
    coordinates, as PyTorch does.

        nearest:   out[n, c, i, j] = x[n, c, floor(i * H_in / H_out), floor(j * W_in / W_out)]
        bilinear:  out[n, c, i, j] = sum over the 4 nearest input pixels of
                   (1 - |dy|)(1 - |dx|) * x[n, c, ...]   (source coordinates per align_corners)

    Shape:
        - Input: (N, C, H_in, W_in)
        - Output: (N, C, H_out, W_out), (H_out, W_out) = size, or
          H_out = floor(H_in * scale_factor), W_out likewise

    Backward: ops/upsample.py (UpsampleNearest2d, UpsampleBilinear2d): each output
    gradient goes back to the input pixels it was read from, with the same weights;
    the loops are in kernels/upsample.py.
    """
    if input.ndim != 4:
        raise RuntimeError(f"interpolate: only 4-D (N, C, H, W) input is supported here, got shape {input.shape}")
    if mode not in ("nearest", "bilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use 'nearest' or 'bilinear'")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: either size or scale_factor should be defined, and not both")
    h, w = input.shape[2:]
    scales = None
    if size is not None:
        out_hw = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        if len(out_hw) != 2:
            raise ValueError(f"interpolate: size must be an int or a pair for 4-D input, got {size!r}")
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
        if len(scales) != 2 or min(scales) <= 0:
            raise ValueError(f"interpolate: scale_factor must be positive (one or two numbers), got {scale_factor!r}")
        out_hw = (int(math.floor(h * scales[0])), int(math.floor(w * scales[1])))
        if recompute_scale_factor:
            scales = None
    if min(out_hw) <= 0:
        raise ValueError(f"interpolate: output size {out_hw} must be positive (input {input.shape})")
    if mode == "nearest":
        return UpsampleNearest2d.apply(input, out_hw, scales)
    return UpsampleBilinear2d.apply(input, out_hw, bool(align_corners), scales)
