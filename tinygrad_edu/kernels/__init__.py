"""Array-level kernels: arrays in, arrays out; no Tensor, no autograd.

The few ops whose inner loops NumPy cannot express as one array expression live here:
im2col/col2im (convolution), pooling, upsampling and reflect/replicate padding. Each
kernel file holds three forms of every kernel, proven equal by tests/kernels:

* ``name_reference``: plain Python loops, for reading (slow);
* ``name``: vectorised with the array namespace of its inputs (NumPy or CuPy);
* ``name_numba``: the loops compiled by Numba, parallel over the N*C planes (NumPy only).

The ops call the dispatch functions below. On CPU a *kernel set* picks the form:
``"numba"`` (compiled loops) or ``"numpy"`` (vectorised). CuPy arrays always take the
vectorised form. Choose the set with ``kernels.use("numpy")`` or the environment variable
``TINYGRAD_EDU_KERNELS=numpy``, read once at import.
"""
import os

import numpy as np

from tinygrad_edu.kernels import adaptive_pool, avg_pool, max_pool, pad, unfold, upsample
from tinygrad_edu.kernels._numba import HAVE_NUMBA
from tinygrad_edu.kernels.sizes import output_size

KERNEL_SETS = ("numpy", "numba")
ENV_VAR = "TINYGRAD_EDU_KERNELS"
# The faster set on the CPU measured (2 shared cores, float32): conv2d N=32, 64->64
# channels, 32x32, 3x3, padding 1, K-major columns: im2col + col2im of the whole batch
# 29 ms with NumPy, 27 ms with Numba; of one image 0.48 ms vs 0.18 ms; 2x2 max pooling
# of (32, 64, 32, 32), forward + backward: 16 ms with NumPy, 3 ms with Numba (16 vs 5 ms
# with another process busy on one core). benchmarks/README.md has whole-op timings.
# Without Numba installed the NumPy set is the only one.
DEFAULT_KERNEL_SET = "numba" if HAVE_NUMBA else "numpy"

_NUMBA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_kernel_set = DEFAULT_KERNEL_SET


def use(name):
    """Choose the CPU kernel set: ``"numpy"`` (vectorised) or ``"numba"`` (compiled loops)."""
    global _kernel_set
    if name not in KERNEL_SETS:
        raise ValueError(f"kernels.use: unknown kernel set {name!r}; the valid sets are 'numpy' and 'numba'")
    if name == "numba" and not HAVE_NUMBA:
        raise ImportError(
            "kernels.use('numba'): Numba is not installed (pip install numba); the 'numpy' set works without it"
        )
    _kernel_set = name


def current():
    """The CPU kernel set in use: ``"numpy"`` or ``"numba"``."""
    return _kernel_set


def _kernel_set_from_env():
    name = os.environ.get(ENV_VAR, "").strip()
    if not name:
        return DEFAULT_KERNEL_SET
    if name not in KERNEL_SETS:
        raise ValueError(f"{ENV_VAR}={name!r} names no kernel set; the valid sets are 'numpy' and 'numba'")
    return name


use(_kernel_set_from_env())


def _numba_applies(x, *more):
    """True when the Numba set is on and the arrays are NumPy's, with float32/float64 data
    ``x`` (what the compiled loops are built for). CuPy arrays never take this path."""
    return (
        _kernel_set == "numba"
        and isinstance(x, np.ndarray)
        and x.dtype in _NUMBA_DTYPES
        and all(isinstance(a, np.ndarray) for a in more)
    )


# ----------------------------------------------------------------------------- convolution


def im2col(x, kernel_size, stride, padding, dilation, out=None):
    """x (N, C, H, W) -> cols (C, kh, kw, N, OH, OW), written into ``out`` if given;
    see :mod:`tinygrad_edu.kernels.unfold`."""
    if _numba_applies(x):
        return unfold.im2col_numba(x, kernel_size, stride, padding, dilation, out)
    return unfold.im2col(x, kernel_size, stride, padding, dilation, out)


def col2im(cols, input_shape, kernel_size, stride, padding, dilation):
    """cols (C, kh, kw, N, OH, OW) -> (N, C, H, W), the adjoint of :func:`im2col`."""
    if _numba_applies(cols):
        return unfold.col2im_numba(cols, input_shape, kernel_size, stride, padding, dilation)
    return unfold.col2im(cols, input_shape, kernel_size, stride, padding, dilation)


# ----------------------------------------------------------------------------- max pooling


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """x (N, C, H, W) -> (out, indices); see :mod:`tinygrad_edu.kernels.max_pool`."""
    if _numba_applies(x):
        return max_pool.max_pool2d_forward_numba(x, kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool.max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_backward(grad_out, indices, input_shape):
    """Scatter-add ``grad_out`` to the argmax positions ``indices``."""
    if _numba_applies(grad_out, indices):
        return max_pool.max_pool2d_backward_numba(grad_out, indices, input_shape)
    return max_pool.max_pool2d_backward(grad_out, indices, input_shape)


def max_unpool2d(x, indices, output_size):
    """Scatter ``x`` into zeros of shape (N, C, *output_size) at ``indices``."""
    if _numba_applies(x, indices):
        return max_pool.max_unpool2d_numba(x, indices, output_size)
    return max_pool.max_unpool2d(x, indices, output_size)


def max_unpool2d_backward(grad_out, indices):
    """Gather ``grad_out`` at ``indices``: the adjoint of :func:`max_unpool2d`."""
    if _numba_applies(grad_out, indices):
        return max_pool.max_unpool2d_backward_numba(grad_out, indices)
    return max_pool.max_unpool2d_backward(grad_out, indices)


# ----------------------------------------------------------------------------- average pooling


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """x (N, C, H, W) -> (N, C, OH, OW); see :mod:`tinygrad_edu.kernels.avg_pool`."""
    if _numba_applies(x):
        return avg_pool.avg_pool2d_forward_numba(
            x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        )
    return avg_pool.avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool2d_backward(
    grad_out, input_shape, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """The adjoint of :func:`avg_pool2d_forward`."""
    if _numba_applies(grad_out):
        return avg_pool.avg_pool2d_backward_numba(
            grad_out, input_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        )
    return avg_pool.avg_pool2d_backward(
        grad_out, input_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


# ----------------------------------------------------------------------------- adaptive pooling


def adaptive_avg_pool2d_forward(x, output_size):
    """x (N, C, H, W) -> (N, C, *output_size); see :mod:`tinygrad_edu.kernels.adaptive_pool`."""
    if _numba_applies(x):
        return adaptive_pool.adaptive_avg_pool2d_forward_numba(x, output_size)
    return adaptive_pool.adaptive_avg_pool2d_forward(x, output_size)


def adaptive_avg_pool2d_backward(grad_out, input_shape):
    """The adjoint of :func:`adaptive_avg_pool2d_forward`."""
    if _numba_applies(grad_out):
        return adaptive_pool.adaptive_avg_pool2d_backward_numba(grad_out, input_shape)
    return adaptive_pool.adaptive_avg_pool2d_backward(grad_out, input_shape)


def adaptive_max_pool2d_forward(x, output_size):
    """x (N, C, H, W) -> (out, indices), both (N, C, *output_size)."""
    if _numba_applies(x):
        return adaptive_pool.adaptive_max_pool2d_forward_numba(x, output_size)
    return adaptive_pool.adaptive_max_pool2d_forward(x, output_size)


def adaptive_max_pool2d_backward(grad_out, indices, input_shape):
    """Scatter-add ``grad_out`` to the argmax positions (the same kernel as max pooling's)."""
    if _numba_applies(grad_out, indices):
        return adaptive_pool.adaptive_max_pool2d_backward_numba(grad_out, indices, input_shape)
    return adaptive_pool.adaptive_max_pool2d_backward(grad_out, indices, input_shape)


# ----------------------------------------------------------------------------- upsampling


def upsample_bilinear2d_forward(x, output_size, align_corners, scale_factor=None):
    """x (N, C, H, W) -> (N, C, *output_size); see :mod:`tinygrad_edu.kernels.upsample`."""
    if _numba_applies(x):
        return upsample.upsample_bilinear2d_forward_numba(x, output_size, align_corners, scale_factor)
    return upsample.upsample_bilinear2d_forward(x, output_size, align_corners, scale_factor)


def upsample_bilinear2d_backward(grad_out, input_shape, align_corners, scale_factor=None):
    """The adjoint of :func:`upsample_bilinear2d_forward`."""
    if _numba_applies(grad_out):
        return upsample.upsample_bilinear2d_backward_numba(grad_out, input_shape, align_corners, scale_factor)
    return upsample.upsample_bilinear2d_backward(grad_out, input_shape, align_corners, scale_factor)


def upsample_nearest2d_forward(x, output_size, scale_factor=None):
    """x (N, C, H, W) -> (N, C, *output_size), PyTorch's legacy 'nearest'."""
    if _numba_applies(x):
        return upsample.upsample_nearest2d_forward_numba(x, output_size, scale_factor)
    return upsample.upsample_nearest2d_forward(x, output_size, scale_factor)


def upsample_nearest2d_backward(grad_out, input_shape, scale_factor=None):
    """The adjoint of :func:`upsample_nearest2d_forward`."""
    if _numba_applies(grad_out):
        return upsample.upsample_nearest2d_backward_numba(grad_out, input_shape, scale_factor)
    return upsample.upsample_nearest2d_backward(grad_out, input_shape, scale_factor)


# ----------------------------------------------------------------------------- padding


def pad_reflect(x, padding):
    """Reflect-pad the last dim ``(left, right)`` or last two ``(left, right, top, bottom)``."""
    if _numba_applies(x):
        return pad.pad_reflect_numba(x, padding)
    return pad.pad_reflect(x, padding)


def pad_reflect_backward(grad_out, padding):
    """The adjoint of :func:`pad_reflect`."""
    if _numba_applies(grad_out):
        return pad.pad_reflect_backward_numba(grad_out, padding)
    return pad.pad_reflect_backward(grad_out, padding)


def pad_replicate(x, padding):
    """Replicate-pad the last dim ``(left, right)`` or last two ``(left, right, top, bottom)``."""
    if _numba_applies(x):
        return pad.pad_replicate_numba(x, padding)
    return pad.pad_replicate(x, padding)


def pad_replicate_backward(grad_out, padding):
    """The adjoint of :func:`pad_replicate`."""
    if _numba_applies(grad_out):
        return pad.pad_replicate_backward_numba(grad_out, padding)
    return pad.pad_replicate_backward(grad_out, padding)
