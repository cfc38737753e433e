"""Average pooling and its backward (NCHW, PyTorch semantics, no dilation).

Forward: the sum of each window divided by a divisor::

    out[n, c, oy, ox] = sum of x over the window / divisor[oy, ox]

PyTorch's divisor rules, per window, with the window clipped to the padded input
first (a ``ceil_mode`` window may hang past the right padding; that part never counts):

* ``divisor_override`` given: that number;
* ``count_include_pad=True``: the window's area inside the *padded* input;
* ``count_include_pad=False``: the window's area inside the input itself.

Both areas are (rows) x (cols), so the divisor is an outer product of two 1-D counts.

Backward: pooling is linear, so its adjoint spreads each output gradient evenly
back over its window: every input pixel in the window receives
``grad_out / divisor``; overlapping windows add up.
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_planes, prange, require_numpy
from tinygrad_edu.kernels.sizes import output_size
from tinygrad_edu.threads import run_ranges


def avg_pool_output_hw(input_hw, kernel_size, stride, padding, ceil_mode):
    """(OH, OW) of average pooling (dilation is always 1)."""
    return tuple(
        output_size(size, k, s, p, 1, ceil_mode) for size, k, s, p in zip(input_hw, kernel_size, stride, padding)
    )


def avg_pool_divisors(
    xp, input_hw, output_hw, kernel_size, stride, padding, count_include_pad, divisor_override, dtype
):
    """The (OH, OW) array of divisors, by PyTorch's rules (see the module docstring)."""
    if divisor_override is not None:
        return xp.full(output_hw, divisor_override, dtype=dtype)
    counts = []
    for size, out, k, s, p in zip(input_hw, output_hw, kernel_size, stride, padding):
        start = xp.arange(out) * s - p  # window start, in input coordinates
        end = xp.minimum(start + k, size + p)  # clipped to the padded input
        if count_include_pad:
            counts.append(end - start)
        else:  # clipped to the input; an (impossible under PyTorch's rules) empty window divides by 1
            counts.append(xp.maximum(xp.minimum(end, size) - xp.maximum(start, 0), 1))
    return (counts[0][:, None] * counts[1][None, :]).astype(dtype)


# ----------------------------------------------------------------------------- reference


def _window_divisor(top, left, kernel_size, input_hw, padding, count_include_pad, divisor_override):
    """Divisor of the window whose top-left tap is at (top, left) (reference form)."""
    if divisor_override is not None:
        return divisor_override
    divisor = 1
    for start, k, size, p in zip((top, left), kernel_size, input_hw, padding):
        end = min(start + k, size + p)  # the window clipped to the padded input
        divisor *= end - start if count_include_pad else min(end, size) - max(start, 0)
    return divisor


def avg_pool2d_forward_reference(
    x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Average pooling with one loop per index."""
    # BEGIN SOLUTION task 3.6
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = avg_pool_output_hw((h, w), kernel_size, stride, padding, ceil_mode)
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for b, ch, oy, ox in np.ndindex(out.shape):
        top, left = oy * sh - ph, ox * sw - pw
        total = 0.0
        for row in range(max(top, 0), min(top + kh, h)):  # the window's rows inside the input
            for col in range(max(left, 0), min(left + kw, w)):
                total += x[b, ch, row, col]
        divisor = _window_divisor(top, left, kernel_size, (h, w), padding, count_include_pad, divisor_override)
        out[b, ch, oy, ox] = total / divisor if divisor > 0 else 0.0
    return out
    # END SOLUTION


def avg_pool2d_backward_reference(
    grad_out, input_shape, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Adjoint of :func:`avg_pool2d_forward_reference`: each input pixel of a window
    receives ``grad_out / divisor`` of that window."""
    # BEGIN SOLUTION task 3.6
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    for b, ch, oy, ox in np.ndindex(grad_out.shape):
        top, left = oy * sh - ph, ox * sw - pw
        divisor = _window_divisor(top, left, kernel_size, (h, w), padding, count_include_pad, divisor_override)
        if divisor <= 0:
            continue
        for row in range(max(top, 0), min(top + kh, h)):
            for col in range(max(left, 0), min(left + kw, w)):
                grad_x[b, ch, row, col] += grad_out[b, ch, oy, ox] / divisor
    return grad_x
    # END SOLUTION


# ----------------------------------------------------------------------------- vectorised


def _padded_extent(size, out, k, s, p):
    """Padded length that holds every window, a ceil_mode window past the right padding too."""
    return max(size + 2 * p, (out - 1) * s + k)


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """x (N, C, H, W) -> (N, C, OH, OW): window sums by one strided slice per kernel
    tap (zero padding), then divided by the divisors."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = avg_pool_output_hw((h, w), kernel_size, stride, padding, ceil_mode)
    xpad = xp.zeros((n, c, _padded_extent(h, oh, kh, sh, ph), _padded_extent(w, ow, kw, sw, pw)), dtype=x.dtype)
    xpad[:, :, ph : ph + h, pw : pw + w] = x
    total = xp.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            total += xpad[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
    divisors = avg_pool_divisors(
        xp, (h, w), (oh, ow), kernel_size, stride, padding, count_include_pad, divisor_override, x.dtype
    )
    return total / divisors


def avg_pool2d_backward(
    grad_out, input_shape, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Adjoint of :func:`avg_pool2d_forward`: (N, C, OH, OW) -> input_shape.

    The forward's slice loop run backwards: ``grad_out / divisors`` is added into
    every tap's strided slice of a zero-padded buffer, and the padding is cut off.
    """
    xp = get_array_module(grad_out)
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = grad_out.shape[2:]
    divisors = avg_pool_divisors(
        xp, (h, w), (oh, ow), kernel_size, stride, padding, count_include_pad, divisor_override, grad_out.dtype
    )
    share = grad_out / divisors
    gpad = xp.zeros((n, c, _padded_extent(h, oh, kh, sh, ph), _padded_extent(w, ow, kw, sw, pw)), dtype=grad_out.dtype)
    for i in range(kh):
        for j in range(kw):
            gpad[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += share
    return gpad[:, :, ph : ph + h, pw : pw + w]


# ----------------------------------------------------------------------------- numba


@njit_planes
def _avg_pool2d_loops(x, divisors, out, kh, kw, sh, sw, ph, pw, first, last):
    n, c, h, w = x.shape
    oh, ow = divisors.shape
    for plane in prange(first, last):  # planes first..last-1: a task of threads.run_ranges
        b, ch = plane // c, plane % c
        for oy in range(oh):
            top = oy * sh - ph
            for ox in range(ow):
                left = ox * sw - pw
                total = 0.0
                for row in range(max(top, 0), min(top + kh, h)):
                    for col in range(max(left, 0), min(left + kw, w)):
                        total += x[b, ch, row, col]
                out[b, ch, oy, ox] = total / divisors[oy, ox]


@njit_planes
def _avg_pool2d_backward_loops(grad_out, divisors, grad_x, kh, kw, sh, sw, ph, pw, first, last):
    n, c, h, w = grad_x.shape
    oh, ow = divisors.shape
    for plane in prange(first, last):
        b, ch = plane // c, plane % c
        for oy in range(oh):
            top = oy * sh - ph
            for ox in range(ow):
                left = ox * sw - pw
                share = grad_out[b, ch, oy, ox] / divisors[oy, ox]
                for row in range(max(top, 0), min(top + kh, h)):
                    for col in range(max(left, 0), min(left + kw, w)):
                        grad_x[b, ch, row, col] += share


def avg_pool2d_forward_numba(
    x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """:func:`avg_pool2d_forward` as compiled loops over the N*C planes (NumPy only)."""
    require_numpy("avg_pool2d_forward_numba", x)
    n, c, h, w = x.shape
    oh, ow = avg_pool_output_hw((h, w), kernel_size, stride, padding, ceil_mode)
    divisors = avg_pool_divisors(
        np, (h, w), (oh, ow), kernel_size, stride, padding, count_include_pad, divisor_override, x.dtype
    )
    x = np.ascontiguousarray(x)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    settings = (*kernel_size, *stride, *padding)
    run_ranges(lambda first, last: _avg_pool2d_loops(x, divisors, out, *settings, first, last), n * c, x.size)
    return out


def avg_pool2d_backward_numba(
    grad_out, input_shape, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """:func:`avg_pool2d_backward` as compiled loops over the N*C planes (NumPy only)."""
    require_numpy("avg_pool2d_backward_numba", grad_out)
    divisors = avg_pool_divisors(
        np, input_shape[2:], grad_out.shape[2:], kernel_size, stride, padding, count_include_pad, divisor_override,
        grad_out.dtype,
    )
    grad_out = np.ascontiguousarray(grad_out)
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    settings = (*kernel_size, *stride, *padding)
    run_ranges(lambda first, last: _avg_pool2d_backward_loops(grad_out, divisors, grad_x, *settings, first, last),
               input_shape[0] * input_shape[1], grad_x.size)
    return grad_x
