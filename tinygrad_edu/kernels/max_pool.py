"""Max pooling, its backward, and max unpooling (NCHW, PyTorch semantics).

Forward: each output is the largest input in its window, and ``indices`` records
where it was, as a flat index ``row * W + col`` into the input's H*W plane (PyTorch's
convention, which is what ``max_unpool2d`` consumes)::

    out[n, c, oy, ox]     = max over taps (i, j) of xpad[n, c, oy*s_h + i*d_h, ox*s_w + j*d_w]
    indices[n, c, oy, ox] = row * W + col of that maximum

Padding counts as -inf, so it never wins. Ties go to the first tap in row-major
order (PyTorch compares with ``>``), and a NaN wins over everything (PyTorch: the last
NaN in the window), so NaN propagates. Each window must overlap the input, which
PyTorch's rule ``padding <= kernel_size // 2`` guarantees for dilation 1.

Backward: the gradient of a max is 1 at the argmax and 0 elsewhere, so each output
gradient is added to the input pixel its index points at. Overlapping windows may
share an argmax, hence *added*, not assigned.

Unpooling is the scatter ``out.flat[indices] = x`` (per plane); its backward is the
gather ``grad.flat[indices]``. The two are adjoints when the indices of a plane are
distinct.
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_inline, njit_planes, prange, require_numpy
from tinygrad_edu.kernels.sizes import output_size
from tinygrad_edu.threads import run_ranges


def pool_output_hw(input_hw, kernel_size, stride, padding, dilation, ceil_mode):
    """(OH, OW) of a pooling window over an (H, W) input."""
    return tuple(
        output_size(size, k, s, p, d, ceil_mode)
        for size, k, s, p, d in zip(input_hw, kernel_size, stride, padding, dilation)
    )


def _check_indices(kernel, indices, plane_size):
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= plane_size):
        raise ValueError(
            f"{kernel}: indices must lie in [0, {plane_size}) (flat positions in an H*W plane), "
            f"found values in [{int(indices.min())}, {int(indices.max())}]; "
            "check the output_size passed to max_unpool2d"
        )


# ----------------------------------------------------------------------------- reference


def max_pool2d_forward_reference(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """Max pooling with one loop per index: returns (out, indices)."""
    # BEGIN SOLUTION task 3.5
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = pool_output_hw((h, w), kernel_size, stride, padding, dilation, ceil_mode)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    indices = np.empty((n, c, oh, ow), dtype=np.int64)
    for b, ch, oy, ox in np.ndindex(out.shape):
        best, best_index = -np.inf, -1
        for i, j in np.ndindex(kh, kw):
            row, col = oy * sh - ph + i * dh, ox * sw - pw + j * dw
            if not (0 <= row < h and 0 <= col < w):
                continue  # a padding tap: -inf, never the max
            value = x[b, ch, row, col]
            if best_index < 0 or value > best or np.isnan(value):  # first tap, a strictly larger one, or NaN
                best, best_index = value, row * w + col
        out[b, ch, oy, ox], indices[b, ch, oy, ox] = best, best_index
    return out, indices
    # END SOLUTION


def max_pool2d_backward_reference(grad_out, indices, input_shape):
    """Adjoint of the selection in :func:`max_pool2d_forward_reference`: add each
    output gradient into the input pixel its index points at."""
    # BEGIN SOLUTION task 3.5
    n, c, h, w = input_shape
    grad_x = np.zeros((n, c, h * w), dtype=grad_out.dtype)
    for b, ch, oy, ox in np.ndindex(grad_out.shape):
        grad_x[b, ch, indices[b, ch, oy, ox]] += grad_out[b, ch, oy, ox]
    return grad_x.reshape(input_shape)
    # END SOLUTION


def max_unpool2d_reference(x, indices, output_size):
    """Scatter ``x`` into zeros of shape (N, C, *output_size) at ``indices``."""
    n, c = x.shape[:2]
    oh, ow = output_size
    _check_indices("max_unpool2d_reference", indices, oh * ow)
    out = np.zeros((n, c, oh * ow), dtype=x.dtype)
    for b, ch, y, z in np.ndindex(x.shape):
        out[b, ch, indices[b, ch, y, z]] = x[b, ch, y, z]
    return out.reshape(n, c, oh, ow)


def max_unpool2d_backward_reference(grad_out, indices):
    """Adjoint of :func:`max_unpool2d_reference`: gather the gradient at ``indices``."""
    n, c = grad_out.shape[:2]
    flat = grad_out.reshape(n, c, -1)
    grad_x = np.empty(indices.shape, dtype=grad_out.dtype)
    for b, ch, y, z in np.ndindex(indices.shape):
        grad_x[b, ch, y, z] = flat[b, ch, indices[b, ch, y, z]]
    return grad_x


# ----------------------------------------------------------------------------- vectorised


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """x (N, C, H, W) -> (out, indices), both (N, C, OH, OW); float input.

    A running maximum over the kernel taps: for each tap (i, j) the strided slice of
    the -inf-padded input holds that tap of every window, and ``where`` keeps the
    larger value and its flat index.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = pool_output_hw((h, w), kernel_size, stride, padding, dilation, ceil_mode)
    # Pad far enough for every window, including a ceil_mode window past the right padding.
    hp = max(h + 2 * ph, (oh - 1) * sh + (kh - 1) * dh + 1)
    wp = max(w + 2 * pw, (ow - 1) * sw + (kw - 1) * dw + 1)
    xpad = xp.full((n, c, hp, wp), -xp.inf, dtype=x.dtype)
    xpad[:, :, ph : ph + h, pw : pw + w] = x

    rows = xp.arange(oh)[:, None] * sh - ph  # (OH, 1): input row of tap i = 0 of each window
    cols = xp.arange(ow)[None, :] * sw - pw  # (1, OW)
    # Like PyTorch, start each window's index at its first tap inside the input, so a
    # window of -inf values still points at a real pixel.
    first_row = rows + (xp.maximum(-rows, 0) + dh - 1) // dh * dh
    first_col = cols + (xp.maximum(-cols, 0) + dw - 1) // dw * dw
    out = xp.full((n, c, oh, ow), -xp.inf, dtype=x.dtype)
    indices = xp.broadcast_to(first_row * w + first_col, (n, c, oh, ow))
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            tap = xpad[:, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw]
            better = (tap > out) | xp.isnan(tap)  # strict '>': the first maximum wins ties
            out = xp.where(better, tap, out)
            indices = xp.where(better, (rows + top) * w + (cols + left), indices)
    return out, indices


def max_pool2d_backward(grad_out, indices, input_shape):
    """Adjoint of the selection in :func:`max_pool2d_forward`: (N, C, OH, OW) -> input_shape.

    A scatter-add: ``bincount`` sums the weights that fall in each bin, and the bins
    are the flat input positions ``plane * H*W + index``. bincount sums in float64, a
    temporary twice the size of a float32 gradient, so it runs on groups of planes
    (at most ``_BINCOUNT_BINS`` bins at a time) to keep peak memory near the result's.
    """
    xp = get_array_module(grad_out, indices)
    n, c, h, w = input_shape
    planes, plane_in, plane_out = n * c, h * w, grad_out.shape[2] * grad_out.shape[3]
    bins = (xp.arange(planes).reshape(n, c, 1, 1) * plane_in + indices).reshape(-1)
    weights = grad_out.reshape(-1)
    grad = xp.empty(planes * plane_in, dtype=grad_out.dtype)
    step = max(1, _BINCOUNT_BINS // max(plane_in, 1))  # planes per group
    for p in range(0, planes, step):
        q = min(p + step, planes)
        part = slice(p * plane_out, q * plane_out)  # the outputs of planes p..q-1
        grad[p * plane_in : q * plane_in] = xp.bincount(
            bins[part] - p * plane_in, weights=weights[part], minlength=(q - p) * plane_in
        )
    return grad.reshape(input_shape)


_BINCOUNT_BINS = 2**19  # float64 bins per bincount call: 4 MiB


def max_unpool2d(x, indices, output_size):
    """Scatter x (N, C, H, W) into zeros (N, C, OH, OW): ``out.flat[indices] = x`` per plane.

    With repeated indices in a plane, which value lands is unspecified (as in PyTorch).
    """
    xp = get_array_module(x, indices)
    n, c = x.shape[:2]
    oh, ow = output_size
    _check_indices("max_unpool2d", indices, oh * ow)
    out = xp.zeros((n * c, oh * ow), dtype=x.dtype)
    planes = xp.arange(n * c)[:, None]
    out[planes, indices.reshape(n * c, -1)] = x.reshape(n * c, -1)
    return out.reshape(n, c, oh, ow)


def max_unpool2d_backward(grad_out, indices):
    """Adjoint of :func:`max_unpool2d`: the gather ``grad_out.flat[indices]`` per plane."""
    xp = get_array_module(grad_out, indices)
    n, c = grad_out.shape[:2]
    gathered = xp.take_along_axis(grad_out.reshape(n, c, -1), indices.reshape(n, c, -1), axis=2)
    return gathered.reshape(indices.shape)


# ----------------------------------------------------------------------------- numba


# The forward runs one output row at a time: the row's running maxima live in ``out``
# and ``indices``, and each tap (i, j) updates the whole row. Against a loop that finishes
# one window before the next (one thread, float32 (32, 64, 32, 32)): 2x2 stride-2 pooling
# 5.6 -> 3.0 ms, 3x3 stride-2 padding-1 11.6 -> 6.2 ms, 3x3 dilation-2 40 -> 7.7 ms.
# Variants of the row loop that put the update under an ``if`` or worked out each tap's
# valid columns first ran at 4.4-9.6 ms for the 2x2 case, so it stays this plain, with
# conditional expressions (benchmarks/issue14_log.md, "Eighth session"). A value is taken
# when nothing is yet (the first tap inside the input), when it is larger, or when it is
# NaN: ties keep the first, a NaN wins and the last NaN stays, as in the reference.
@njit_planes
def _max_pool2d_loops(x, out, indices, kh, kw, sh, sw, ph, pw, dh, dw, first, last):
    n, c, h, w = x.shape
    oh, ow = out.shape[2:]
    for plane in prange(first, last):  # planes first..last-1: a task of threads.run_ranges
        b, ch = plane // c, plane % c
        for oy in range(oh):
            for ox in range(ow):
                out[b, ch, oy, ox] = -np.inf
                indices[b, ch, oy, ox] = -1  # nothing taken yet
            for i in range(kh):
                row = oy * sh - ph + i * dh
                if row < 0 or row >= h:
                    continue
                for j in range(kw):
                    for ox in range(ow):
                        col = ox * sw - pw + j * dw
                        if 0 <= col < w:
                            value = x[b, ch, row, col]
                            best = out[b, ch, oy, ox]
                            taken = indices[b, ch, oy, ox]
                            take = taken < 0 or value > best or value != value  # (value != value: NaN)
                            out[b, ch, oy, ox] = value if take else best
                            indices[b, ch, oy, ox] = row * w + col if take else taken


# The course's pooling is MaxPool2d(2): 2x2 windows, stride 2, no padding, each window
# inside the input. For it the taps are four constants and each window is found in
# registers; the general loop above, with its runtime taps, spent 143 us on the small
# CNN's (32, 32, 8, 8) and this one 42 us (one thread; benchmarks/issue14_log.md, "Twelfth
# session"). The same rule: the first tap, then a larger value or a NaN.
#
# The loop finds the first maximum with conditional expressions, then lets a NaN win in
# a second look at the window. The rule's own test, ``value > best or value != value``,
# became a branch per tap, which the CPU guesses wrong half the time on activations
# (which tap wins is random); a conditional expression on one comparison becomes a
# select, no branch, and a NaN is rare, so its branch is guessed right. The compiler
# vectorised the former loop only for rows of at least 20 outputs; below that (the
# course's 32x32, 28x28, 16x16 and 8x8 images) it ran at 3.7-4.4 ns a value, this one at
# 0.4-1.4; on longer rows this one takes 0.35-0.39 against 0.30-0.33 (random float32, one
# thread, AMD EPYC Zen 3; benchmarks/issue14_log.md, "Fifty-eighth session").
@njit_planes
def _max_pool2d_2x2_loops(x, out, indices):
    _, _, w = x.shape  # x (planes, H, W); out and indices (planes, OH, OW)
    planes, oh, ow = out.shape
    for plane in prange(planes):
        for oy in range(oh):
            for ox in range(ow):
                row, col = 2 * oy, 2 * ox
                best, best_index = x[plane, row, col], row * w + col
                for i in range(2):
                    for j in range(2):
                        value = x[plane, row + i, col + j]
                        larger = value > best  # ">": a tie keeps the earlier tap
                        best_index = (row + i) * w + col + j if larger else best_index
                        best = value if larger else best
                for i in range(2):  # a NaN wins, the last one in the window
                    for j in range(2):
                        value = x[plane, row + i, col + j]
                        if value != value:
                            best, best_index = value, (row + i) * w + col + j
                out[plane, oy, ox] = best
                indices[plane, oy, ox] = best_index


# Pools of 3x3 windows at stride 2 or more (the ImageNet ResNet's: stride 2, padding 1;
# AlexNet's: stride 2) run a window at a time, in registers, by the same two looks as the
# 2x2 loop. A window inside the input has the nine taps at constant offsets, so the
# compiler unrolls them and keeps the selects; one that reaches into the padding (or past
# the end, in ceil mode) takes the taps inside the input. The general loop's test for a
# tap became a branch there, its value stored under a jump (the compiler's choice for a
# test that mixes the float comparison with the integer ``taken < 0``), guessed wrong
# about half the time on activations: 11-15 ns an input value, this loop 1.4-7 (random
# float32, one thread, AMD EPYC Zen 3; (32, 64, 32, 32) at stride 2 with padding 1 23-24
# -> 6.7-7.1 ms; benchmarks/issue14_log.md, "Fifty-ninth session"). At stride 1 the
# compiler runs the general loop on SIMD lanes (contiguous taps), which beat this one
# (31 against 50 ms on that input). MaxPool2d(2)'s loop above is the same rule with its
# taps written out, not a call of ``_window_max``: through it, that loop took 1.18-1.26x
# its time on planes 32 or more wide (1.02-1.03x on 8 and 16).
@njit_inline
def _window_max(x, plane, r0, r1, c0, c1, w):
    """(value, flat index) of the maximum of x[plane, r0:r1, c0:c1] by the rule: the
    first maximum (a select on each ``>``), then the last NaN, if any."""
    best, best_index = x[plane, r0, c0], r0 * w + c0
    for i in range(r0, r1):
        for j in range(c0, c1):
            value = x[plane, i, j]
            larger = value > best  # ">": a tie keeps the earlier tap
            best_index = i * w + j if larger else best_index
            best = value if larger else best
    for i in range(r0, r1):  # a NaN wins, the last one in the window
        for j in range(c0, c1):
            value = x[plane, i, j]
            if value != value:
                best, best_index = value, i * w + j
    return best, best_index


@njit_planes
def _max_pool2d_3x3_loops(x, out, indices, sh, sw, ph, pw):
    _, h, w = x.shape  # x (planes, H, W); out and indices (planes, OH, OW)
    planes, oh, ow = out.shape
    for plane in prange(planes):
        for oy in range(oh):
            row = oy * sh - ph  # the window's first tap, maybe in the padding
            for ox in range(ow):
                col = ox * sw - pw
                if 0 <= row and row + 3 <= h and 0 <= col and col + 3 <= w:  # inside: nine fixed taps
                    best, best_index = _window_max(x, plane, row, row + 3, col, col + 3, w)
                else:  # the taps inside the input (each window overlaps it)
                    best, best_index = _window_max(
                        x, plane, max(row, 0), min(row + 3, h), max(col, 0), min(col + 3, w), w
                    )
                out[plane, oy, ox] = best
                indices[plane, oy, ox] = best_index


@njit_planes
def _scatter_add_loops(values, indices, out, first, last):
    """out[b, ch, indices[b, ch, y, z]] += values[b, ch, y, z] for the planes first..last-1,
    each zeroed first; out is (N, C, plane size)."""
    n, c, h, w = values.shape
    for plane in prange(first, last):
        b, ch = plane // c, plane % c
        for k in range(out.shape[2]):
            out[b, ch, k] = 0
        for y in range(h):
            for z in range(w):
                out[b, ch, indices[b, ch, y, z]] += values[b, ch, y, z]


@njit_planes
def _scatter_loops(values, indices, out):
    """out[b, ch, indices[b, ch, y, z]] = values[b, ch, y, z]; out is (N, C, plane size)."""
    n, c, h, w = values.shape
    for plane in prange(n * c):
        b, ch = plane // c, plane % c
        for y in range(h):
            for z in range(w):
                out[b, ch, indices[b, ch, y, z]] = values[b, ch, y, z]


@njit_planes
def _gather_loops(source, indices, out):
    """out[b, ch, y, z] = source[b, ch, indices[b, ch, y, z]]; source is (N, C, plane size)."""
    n, c, h, w = out.shape
    for plane in prange(n * c):
        b, ch = plane // c, plane % c
        for y in range(h):
            for z in range(w):
                out[b, ch, y, z] = source[b, ch, indices[b, ch, y, z]]


def max_pool2d_forward_numba(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """:func:`max_pool2d_forward` as compiled loops over the N*C planes (NumPy only),
    ranges of planes as tasks on the threads for a large x (threads.run_ranges)."""
    require_numpy("max_pool2d_forward_numba", x)
    n, c, h, w = x.shape
    oh, ow = pool_output_hw((h, w), kernel_size, stride, padding, dilation, ceil_mode)
    x = np.ascontiguousarray(x)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    indices = np.empty((n, c, oh, ow), dtype=np.int64)
    settings = (*kernel_size, *stride, *padding, *dilation)
    xp, op, ip = (a.reshape((n * c,) + a.shape[2:]) for a in (x, out, indices))  # (planes, ., .) views
    if settings == (2, 2, 2, 2, 0, 0, 1, 1) and 2 * oh <= h and 2 * ow <= w:  # MaxPool2d(2), windows inside
        run_ranges(lambda first, last: _max_pool2d_2x2_loops(xp[first:last], op[first:last], ip[first:last]),
                   n * c, x.size)
    elif kernel_size == (3, 3) and dilation == (1, 1) and min(stride) >= 2:
        run_ranges(lambda first, last: _max_pool2d_3x3_loops(xp[first:last], op[first:last], ip[first:last],
                                                             *stride, *padding), n * c, x.size)
    else:
        run_ranges(lambda first, last: _max_pool2d_loops(x, out, indices, *settings, first, last), n * c, x.size)
    return out, indices


def max_pool2d_backward_numba(grad_out, indices, input_shape):
    """:func:`max_pool2d_backward` as compiled loops (NumPy only), ranges of planes as
    tasks on the threads for a large input (threads.run_ranges)."""
    require_numpy("max_pool2d_backward_numba", grad_out, indices)
    n, c, h, w = input_shape
    grad_out, indices = np.ascontiguousarray(grad_out), np.ascontiguousarray(indices, dtype=np.int64)
    grad_x = np.empty((n, c, h * w), dtype=grad_out.dtype)  # each plane zeroed by its task
    run_ranges(lambda first, last: _scatter_add_loops(grad_out, indices, grad_x, first, last), n * c, grad_x.size)
    return grad_x.reshape(input_shape)


def max_unpool2d_numba(x, indices, output_size):
    """:func:`max_unpool2d` as compiled loops (NumPy only)."""
    require_numpy("max_unpool2d_numba", x, indices)
    n, c = x.shape[:2]
    oh, ow = output_size
    _check_indices("max_unpool2d_numba", indices, oh * ow)
    out = np.zeros((n, c, oh * ow), dtype=x.dtype)
    _scatter_loops(np.ascontiguousarray(x), np.ascontiguousarray(indices, dtype=np.int64), out)
    return out.reshape(n, c, oh, ow)


def max_unpool2d_backward_numba(grad_out, indices):
    """:func:`max_unpool2d_backward` as compiled loops (NumPy only)."""
    require_numpy("max_unpool2d_backward_numba", grad_out, indices)
    n, c = grad_out.shape[:2]
    grad_x = np.empty(indices.shape, dtype=grad_out.dtype)
    source = np.ascontiguousarray(grad_out).reshape(n, c, -1)
    _gather_loops(source, np.ascontiguousarray(indices, dtype=np.int64), grad_x)
    return grad_x
