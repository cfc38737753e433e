"""Adaptive average and max pooling (NCHW, PyTorch semantics).

Adaptive pooling fixes the *output* size and derives the windows ("bins"). Along a dim
of length ``size`` pooled to ``out`` bins, bin ``i`` covers (PyTorch's rule)::

    start = floor(i * size / out)        end = ceil((i + 1) * size / out)

so bins cover the input, may overlap by one pixel, and differ in length by at most one.
A 2-D bin is (row bin) x (column bin).

Average: ``out = mean of x over the bin``. Max: the largest value and its flat index
``row * W + col`` (first maximum wins ties, the last NaN wins over everything, as PyTorch).

Backward: average pooling spreads ``grad / bin area`` back over the bin; max pooling
sends the gradient to the argmax, which is the same scatter-add as ordinary max
pooling (it only needs the indices).

The vectorised forms are *separable*: a rectangle's mean (or max) is the mean (max)
over rows of the means (maxes) over columns, so they loop over the OH + OW bins
instead of the OH * OW rectangles.
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_planes, prange, require_numpy
from tinygrad_edu.kernels.max_pool import max_pool2d_backward, max_pool2d_backward_numba, max_pool2d_backward_reference
from tinygrad_edu.threads import run_ranges


def adaptive_bins(size, out):
    """[(start, end), ...] of the ``out`` bins along a dim of length ``size``."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


# ----------------------------------------------------------------------------- reference


def adaptive_avg_pool2d_forward_reference(x, output_size):
    """Adaptive average pooling with one loop per index."""
    n, c, h, w = x.shape
    oh, ow = output_size
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for b, ch, oy, ox in np.ndindex(out.shape):
        (top, bottom), (left, right) = adaptive_bins(h, oh)[oy], adaptive_bins(w, ow)[ox]
        total = 0.0
        for row in range(top, bottom):
            for col in range(left, right):
                total += x[b, ch, row, col]
        out[b, ch, oy, ox] = total / ((bottom - top) * (right - left))
    return out


def adaptive_avg_pool2d_backward_reference(grad_out, input_shape):
    """Adjoint of :func:`adaptive_avg_pool2d_forward_reference`: each pixel of a bin
    receives ``grad_out / bin area``."""
    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    for b, ch, oy, ox in np.ndindex(grad_out.shape):
        (top, bottom), (left, right) = adaptive_bins(h, oh)[oy], adaptive_bins(w, ow)[ox]
        share = grad_out[b, ch, oy, ox] / ((bottom - top) * (right - left))
        for row in range(top, bottom):
            for col in range(left, right):
                grad_x[b, ch, row, col] += share
    return grad_x


def adaptive_max_pool2d_forward_reference(x, output_size):
    """Adaptive max pooling with one loop per index: returns (out, indices)."""
    n, c, h, w = x.shape
    oh, ow = output_size
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    indices = np.empty((n, c, oh, ow), dtype=np.int64)
    for b, ch, oy, ox in np.ndindex(out.shape):
        (top, bottom), (left, right) = adaptive_bins(h, oh)[oy], adaptive_bins(w, ow)[ox]
        best, best_index = x[b, ch, top, left], top * w + left
        for row in range(top, bottom):
            for col in range(left, right):
                if x[b, ch, row, col] > best or np.isnan(x[b, ch, row, col]):
                    best, best_index = x[b, ch, row, col], row * w + col
        out[b, ch, oy, ox], indices[b, ch, oy, ox] = best, best_index
    return out, indices


# The gradient of adaptive max pooling is the scatter-add of max pooling: same indices.
adaptive_max_pool2d_backward_reference = max_pool2d_backward_reference


# ----------------------------------------------------------------------------- vectorised


def adaptive_avg_pool2d_forward(x, output_size):
    """x (N, C, H, W) -> (N, C, OH, OW): mean over each column bin, then each row bin."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh, ow = output_size
    col_means = xp.empty((n, c, h, ow), dtype=x.dtype)
    for ox, (left, right) in enumerate(adaptive_bins(w, ow)):
        col_means[:, :, :, ox] = x[:, :, :, left:right].mean(axis=3)
    out = xp.empty((n, c, oh, ow), dtype=x.dtype)
    for oy, (top, bottom) in enumerate(adaptive_bins(h, oh)):
        out[:, :, oy, :] = col_means[:, :, top:bottom, :].mean(axis=2)
    return out


def adaptive_avg_pool2d_backward(grad_out, input_shape):
    """Adjoint of :func:`adaptive_avg_pool2d_forward`: the two means undone in
    reverse order, each spreading ``grad / bin length`` over its bin."""
    xp = get_array_module(grad_out)
    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    grad_col_means = xp.zeros((n, c, h, ow), dtype=grad_out.dtype)
    for oy, (top, bottom) in enumerate(adaptive_bins(h, oh)):
        grad_col_means[:, :, top:bottom, :] += grad_out[:, :, oy : oy + 1, :] / (bottom - top)
    grad_x = xp.zeros(input_shape, dtype=grad_out.dtype)
    for ox, (left, right) in enumerate(adaptive_bins(w, ow)):
        grad_x[:, :, :, left:right] += grad_col_means[:, :, :, ox : ox + 1] / (right - left)
    return grad_x


def _argmax_torch_rule(xp, seg, axis):
    """Index of the maximum along ``axis`` by PyTorch's rule: the first maximum, but the
    last NaN when there is one (PyTorch takes every NaN it meets)."""
    first_max = xp.argmax(seg, axis=axis)
    is_nan = xp.isnan(seg)
    last_nan = seg.shape[axis] - 1 - xp.argmax(xp.flip(is_nan, axis=axis), axis=axis)
    return xp.where(is_nan.any(axis=axis), last_nan, first_max)


def adaptive_max_pool2d_forward(x, output_size):
    """x (N, C, H, W) -> (out, indices), both (N, C, OH, OW).

    Stage 1: for every row and column bin, the max and its column. Stage 2: for every
    row bin, the row whose stage-1 max is largest. The first row holding the maximum,
    then the first column in it, is the first maximum in row-major order, as PyTorch.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh, ow = output_size
    row_max = xp.empty((n, c, h, ow), dtype=x.dtype)
    row_argmax = xp.empty((n, c, h, ow), dtype=xp.int64)  # column of each row's max
    for ox, (left, right) in enumerate(adaptive_bins(w, ow)):
        seg = x[:, :, :, left:right]
        k = _argmax_torch_rule(xp, seg, axis=3)
        row_max[:, :, :, ox] = xp.take_along_axis(seg, k[..., None], axis=3)[..., 0]
        row_argmax[:, :, :, ox] = left + k
    out = xp.empty((n, c, oh, ow), dtype=x.dtype)
    indices = xp.empty((n, c, oh, ow), dtype=xp.int64)
    for oy, (top, bottom) in enumerate(adaptive_bins(h, oh)):
        seg = row_max[:, :, top:bottom, :]
        k = _argmax_torch_rule(xp, seg, axis=2)[:, :, None, :]
        out[:, :, oy, :] = xp.take_along_axis(seg, k, axis=2)[:, :, 0, :]
        best_col = xp.take_along_axis(row_argmax[:, :, top:bottom, :], k, axis=2)[:, :, 0, :]
        indices[:, :, oy, :] = (top + k[:, :, 0, :]) * w + best_col
    return out, indices


adaptive_max_pool2d_backward = max_pool2d_backward


# ----------------------------------------------------------------------------- numba
# The loops see x as (planes, H, W), N*C planes, and each task gets a slice of them; the
# bins' edges are worked out once per call (``_bin_edges``), not per plane. Per plane the
# integer divisions of the edges and of ``plane // C`` cost more than the sums at the
# course's sizes: the small CNN's global pooling of (32, 64, 4, 4) took 42 us forward with
# them, 26 us without (one thread; benchmarks/issue14_log.md, "Twelfth session").


@njit_planes
def _bin_edges(size, out):
    """(starts, ends) of the ``out`` bins along a dim of length ``size`` (adaptive_bins)."""
    starts, ends = np.empty(out, dtype=np.int64), np.empty(out, dtype=np.int64)
    for i in range(out):
        starts[i], ends[i] = i * size // out, -(-(i + 1) * size // out)
    return starts, ends


@njit_planes
def _bins(in_hw, out_hw):
    """(tops, bottoms, lefts, rights): the row bins' edges, then the column bins'."""
    tops, bottoms = _bin_edges(in_hw[0], out_hw[0])
    lefts, rights = _bin_edges(in_hw[1], out_hw[1])
    return tops, bottoms, lefts, rights


@njit_planes
def _adaptive_avg_pool2d_loops(x, out):
    tops, bottoms, lefts, rights = _bins(x.shape[1:], out.shape[1:])
    for plane in prange(x.shape[0]):
        for oy in range(out.shape[1]):
            top, bottom = tops[oy], bottoms[oy]
            for ox in range(out.shape[2]):
                left, right = lefts[ox], rights[ox]
                total = 0.0
                for row in range(top, bottom):
                    for col in range(left, right):
                        total += x[plane, row, col]
                out[plane, oy, ox] = total / ((bottom - top) * (right - left))


@njit_planes
def _adaptive_avg_pool2d_backward_loops(grad_out, grad_x):
    tops, bottoms, lefts, rights = _bins(grad_x.shape[1:], grad_out.shape[1:])
    for plane in prange(grad_out.shape[0]):
        grad_x[plane] = 0
        for oy in range(grad_out.shape[1]):
            top, bottom = tops[oy], bottoms[oy]
            for ox in range(grad_out.shape[2]):
                left, right = lefts[ox], rights[ox]
                share = grad_out[plane, oy, ox] / ((bottom - top) * (right - left))
                for row in range(top, bottom):
                    for col in range(left, right):
                        grad_x[plane, row, col] += share


@njit_planes
def _adaptive_max_pool2d_loops(x, out, indices):
    w = x.shape[2]
    tops, bottoms, lefts, rights = _bins(x.shape[1:], out.shape[1:])
    for plane in prange(x.shape[0]):
        for oy in range(out.shape[1]):
            top, bottom = tops[oy], bottoms[oy]
            for ox in range(out.shape[2]):
                left, right = lefts[ox], rights[ox]
                best, best_index = x[plane, top, left], top * w + left
                for row in range(top, bottom):
                    for col in range(left, right):
                        value = x[plane, row, col]
                        if value > best or np.isnan(value):
                            best, best_index = value, row * w + col
                out[plane, oy, ox] = best
                indices[plane, oy, ox] = best_index


def _planes(a):
    """(N, C, H, W) -> (N*C, H, W), a view of a C-contiguous array."""
    return a.reshape((-1,) + a.shape[2:])


def adaptive_avg_pool2d_forward_numba(x, output_size):
    """:func:`adaptive_avg_pool2d_forward` as compiled loops (NumPy only)."""
    require_numpy("adaptive_avg_pool2d_forward_numba", x)
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    xp, op = _planes(x), _planes(out)
    run_ranges(lambda first, last: _adaptive_avg_pool2d_loops(xp[first:last], op[first:last]), len(xp), x.size)
    return out


def adaptive_avg_pool2d_backward_numba(grad_out, input_shape):
    """:func:`adaptive_avg_pool2d_backward` as compiled loops (NumPy only)."""
    require_numpy("adaptive_avg_pool2d_backward_numba", grad_out)
    grad_out = np.ascontiguousarray(grad_out)
    grad_x = np.empty(input_shape, dtype=grad_out.dtype)  # each plane zeroed by its task
    gp, xp = _planes(grad_out), _planes(grad_x)
    run_ranges(lambda first, last: _adaptive_avg_pool2d_backward_loops(gp[first:last], xp[first:last]), len(gp),
               grad_x.size)
    return grad_x


def adaptive_max_pool2d_forward_numba(x, output_size):
    """:func:`adaptive_max_pool2d_forward` as compiled loops (NumPy only)."""
    require_numpy("adaptive_max_pool2d_forward_numba", x)
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    indices = np.empty(out.shape, dtype=np.int64)
    xp, op, ip = _planes(x), _planes(out), _planes(indices)
    run_ranges(lambda first, last: _adaptive_max_pool2d_loops(xp[first:last], op[first:last], ip[first:last]),
               len(xp), x.size)
    return out, indices


adaptive_max_pool2d_backward_numba = max_pool2d_backward_numba
