"""Bilinear and nearest upsampling (resizing) and their backwards (NCHW, PyTorch semantics).

Every output pixel reads a few input pixels chosen by one rule per axis, so
resizing is *separable*: resize the rows, then the columns.

**Bilinear** (``interpolate(mode="bilinear")``). Output index ``dst`` maps to a real
source coordinate ``src``; its neighbours ``i0 = floor(src)`` and ``i1 = i0 + 1``
(clamped to the last pixel) are mixed with weights ``1 - lam`` and ``lam = src - i0``:

* ``align_corners=True``:  ``src = dst * (in - 1) / (out - 1)`` (corner pixels line up);
* ``align_corners=False``: ``src = max(scale * (dst + 0.5) - 0.5, 0)`` (pixel centres line
  up), where ``scale = 1 / scale_factor`` when the caller gave a scale factor (PyTorch
  keeps the given factor, with ``recompute_scale_factor=None``) and ``in / out`` otherwise;
* ``out == in`` copies.

**Nearest** (PyTorch's legacy ``mode="nearest"``): ``src = min(floor(dst * scale), in - 1)``
with the same ``scale``, computed in float32 as PyTorch does; ``out == in`` copies and
``out == 2 * in`` takes ``dst // 2``.

Backward: resizing is linear, so its adjoint sends each output gradient back to the
input pixels it read, with the same weights; pixels read by several outputs add up.

The source positions depend only on the sizes, so :func:`linear_source` and
:func:`nearest_source` compute them once on the host (NumPy on plain integers, never on
the input); the kernels then gather (forward) or scatter-add (backward).
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_planes, prange, require_numpy
from tinygrad_edu.threads import run_ranges


def _per_axis(scale_factor):
    return (None, None) if scale_factor is None else tuple(scale_factor)


def linear_source(in_size, out_size, align_corners, scale_factor=None):
    """Bilinear sources along one axis: NumPy arrays (i0, i1, lam1) of length ``out_size``;
    output ``dst`` = ``(1 - lam1) * in[i0] + lam1 * in[i1]``."""
    dst = np.arange(out_size)
    if out_size == in_size:
        return dst, dst, np.zeros(out_size)
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = scale * dst
    else:
        scale = 1.0 / scale_factor if scale_factor else in_size / out_size
        src = np.maximum(scale * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.where(i0 < in_size - 1, i0 + 1, i0)
    lam1 = np.clip(src - i0, 0.0, 1.0)
    return i0, i1, lam1


def nearest_source(in_size, out_size, scale_factor=None):
    """Nearest sources along one axis: a NumPy int64 array of length ``out_size``."""
    dst = np.arange(out_size)
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst // 2
    # PyTorch computes this scale and product in float32; copying that keeps the indices
    # identical where dst * scale lands (almost) exactly on an integer.
    scale = np.float32(1.0 / scale_factor) if scale_factor else np.float32(in_size) / np.float32(out_size)
    return np.minimum(np.floor(dst.astype(np.float32) * scale).astype(np.int64), in_size - 1)


# ----------------------------------------------------------------------------- reference


def _linear_source_one(dst, in_size, out_size, align_corners, scale_factor):
    """(i0, i1, lam1) of output index ``dst``: the rule of :func:`linear_source`, one pixel."""
    if out_size == in_size:
        return dst, dst, 0.0
    if align_corners:
        src = (in_size - 1) / (out_size - 1) * dst if out_size > 1 else 0.0
    else:
        scale = 1.0 / scale_factor if scale_factor else in_size / out_size
        src = max(scale * (dst + 0.5) - 0.5, 0.0)
    i0 = min(int(src), in_size - 1)  # src >= 0, so int() is floor()
    i1 = i0 + 1 if i0 < in_size - 1 else i0
    return i0, i1, min(max(src - i0, 0.0), 1.0)


def upsample_bilinear2d_forward_reference(x, output_size, align_corners, scale_factor=None):
    """Bilinear resizing with one loop per output pixel."""
    n, c, h, w = x.shape
    oh, ow = output_size
    (sh, sw) = _per_axis(scale_factor)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for b, ch, oy, ox in np.ndindex(out.shape):
        y0, y1, ly = _linear_source_one(oy, h, oh, align_corners, sh)
        x0, x1, lx = _linear_source_one(ox, w, ow, align_corners, sw)
        left = (1 - ly) * x[b, ch, y0, x0] + ly * x[b, ch, y1, x0]  # down the rows first,
        right = (1 - ly) * x[b, ch, y0, x1] + ly * x[b, ch, y1, x1]
        out[b, ch, oy, ox] = (1 - lx) * left + lx * right  # then across the columns
    return out


def upsample_bilinear2d_backward_reference(grad_out, input_shape, align_corners, scale_factor=None):
    """Adjoint of :func:`upsample_bilinear2d_forward_reference`: each output gradient
    goes back to its four input pixels with the forward's weights."""
    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    (sh, sw) = _per_axis(scale_factor)
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    for b, ch, oy, ox in np.ndindex(grad_out.shape):
        y0, y1, ly = _linear_source_one(oy, h, oh, align_corners, sh)
        x0, x1, lx = _linear_source_one(ox, w, ow, align_corners, sw)
        g = grad_out[b, ch, oy, ox]
        grad_x[b, ch, y0, x0] += (1 - ly) * (1 - lx) * g
        grad_x[b, ch, y1, x0] += ly * (1 - lx) * g
        grad_x[b, ch, y0, x1] += (1 - ly) * lx * g
        grad_x[b, ch, y1, x1] += ly * lx * g
    return grad_x


def _nearest_source_one(dst, in_size, out_size, scale_factor):
    """Source index of output index ``dst``: the rule of :func:`nearest_source`, one pixel."""
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst // 2
    scale = np.float32(1.0 / scale_factor) if scale_factor else np.float32(in_size) / np.float32(out_size)
    return min(int(np.floor(np.float32(dst) * scale)), in_size - 1)


def upsample_nearest2d_forward_reference(x, output_size, scale_factor=None):
    """Nearest resizing with one loop per output pixel."""
    n, c, h, w = x.shape
    oh, ow = output_size
    (sh, sw) = _per_axis(scale_factor)
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for b, ch, oy, ox in np.ndindex(out.shape):
        out[b, ch, oy, ox] = x[b, ch, _nearest_source_one(oy, h, oh, sh), _nearest_source_one(ox, w, ow, sw)]
    return out


def upsample_nearest2d_backward_reference(grad_out, input_shape, scale_factor=None):
    """Adjoint of :func:`upsample_nearest2d_forward_reference`: each output gradient is
    added to the one input pixel that output copied."""
    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    (sh, sw) = _per_axis(scale_factor)
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    for b, ch, oy, ox in np.ndindex(grad_out.shape):
        grad_x[b, ch, _nearest_source_one(oy, h, oh, sh), _nearest_source_one(ox, w, ow, sw)] += grad_out[b, ch, oy, ox]
    return grad_x


# ----------------------------------------------------------------------------- vectorised


def upsample_bilinear2d_forward(x, output_size, align_corners, scale_factor=None):
    """x (N, C, H, W) -> (N, C, OH, OW): two gathers and a weighted sum per axis."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh, ow = output_size
    (sh, sw) = _per_axis(scale_factor)
    i0, i1, ly = (xp.asarray(a) for a in linear_source(h, oh, align_corners, sh))
    j0, j1, lx = (xp.asarray(a) for a in linear_source(w, ow, align_corners, sw))
    ly = ly.astype(x.dtype)[:, None]  # (OH, 1): one weight per output row
    lx = lx.astype(x.dtype)
    rows = (1 - ly) * x[:, :, i0, :] + ly * x[:, :, i1, :]  # (N, C, OH, W)
    return (1 - lx) * rows[:, :, :, j0] + lx * rows[:, :, :, j1]


def upsample_bilinear2d_backward(grad_out, input_shape, align_corners, scale_factor=None):
    """Adjoint of :func:`upsample_bilinear2d_forward`: (N, C, OH, OW) -> input_shape.

    The forward's two steps undone in reverse order. Each step loops over the output
    positions of one axis and adds the weighted gradient slice into its two source
    slices (a slice ``+=`` per position, so repeated sources add up correctly).
    """
    xp = get_array_module(grad_out)
    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    (sh, sw) = _per_axis(scale_factor)
    grad_rows = xp.zeros((n, c, oh, w), dtype=grad_out.dtype)
    for ox, (j0, j1, lx) in enumerate(zip(*(a.tolist() for a in linear_source(w, ow, align_corners, sw)))):
        grad_rows[:, :, :, j0] += (1 - lx) * grad_out[:, :, :, ox]
        grad_rows[:, :, :, j1] += lx * grad_out[:, :, :, ox]
    grad_x = xp.zeros(input_shape, dtype=grad_out.dtype)
    for oy, (i0, i1, ly) in enumerate(zip(*(a.tolist() for a in linear_source(h, oh, align_corners, sh)))):
        grad_x[:, :, i0, :] += (1 - ly) * grad_rows[:, :, oy, :]
        grad_x[:, :, i1, :] += ly * grad_rows[:, :, oy, :]
    return grad_x


def upsample_nearest2d_forward(x, output_size, scale_factor=None):
    """x (N, C, H, W) -> (N, C, OH, OW): one gather."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh, ow = output_size
    (sh, sw) = _per_axis(scale_factor)
    rows = xp.asarray(nearest_source(h, oh, sh))
    cols = xp.asarray(nearest_source(w, ow, sw))
    return x[:, :, rows[:, None], cols[None, :]]


def upsample_nearest2d_backward(grad_out, input_shape, scale_factor=None):
    """Adjoint of :func:`upsample_nearest2d_forward`: sum the gradient of every output
    column into its source column, then every output row into its source row."""
    xp = get_array_module(grad_out)
    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    (sh, sw) = _per_axis(scale_factor)
    grad_rows = xp.zeros((n, c, oh, w), dtype=grad_out.dtype)
    for ox, col in enumerate(nearest_source(w, ow, sw).tolist()):
        grad_rows[:, :, :, col] += grad_out[:, :, :, ox]
    grad_x = xp.zeros(input_shape, dtype=grad_out.dtype)
    for oy, row in enumerate(nearest_source(h, oh, sh).tolist()):
        grad_x[:, :, row, :] += grad_rows[:, :, oy, :]
    return grad_x


# ----------------------------------------------------------------------------- numba


@njit_planes
def _bilinear_loops(x, out, i0, i1, ly, j0, j1, lx, first, last):
    n, c, oh, ow = out.shape
    for plane in prange(first, last):  # planes first..last-1: a task of threads.run_ranges
        b, ch = plane // c, plane % c
        for oy in range(oh):
            for ox in range(ow):
                left = (1 - ly[oy]) * x[b, ch, i0[oy], j0[ox]] + ly[oy] * x[b, ch, i1[oy], j0[ox]]
                right = (1 - ly[oy]) * x[b, ch, i0[oy], j1[ox]] + ly[oy] * x[b, ch, i1[oy], j1[ox]]
                out[b, ch, oy, ox] = (1 - lx[ox]) * left + lx[ox] * right


@njit_planes
def _bilinear_backward_loops(grad_out, grad_x, i0, i1, ly, j0, j1, lx, first, last):
    n, c, oh, ow = grad_out.shape
    for plane in prange(first, last):
        b, ch = plane // c, plane % c
        for oy in range(oh):
            for ox in range(ow):
                g = grad_out[b, ch, oy, ox]
                grad_x[b, ch, i0[oy], j0[ox]] += (1 - ly[oy]) * (1 - lx[ox]) * g
                grad_x[b, ch, i1[oy], j0[ox]] += ly[oy] * (1 - lx[ox]) * g
                grad_x[b, ch, i0[oy], j1[ox]] += (1 - ly[oy]) * lx[ox] * g
                grad_x[b, ch, i1[oy], j1[ox]] += ly[oy] * lx[ox] * g


@njit_planes
def _nearest_loops(x, out, rows, cols, first, last):
    n, c, oh, ow = out.shape
    for plane in prange(first, last):
        b, ch = plane // c, plane % c
        for oy in range(oh):
            for ox in range(ow):
                out[b, ch, oy, ox] = x[b, ch, rows[oy], cols[ox]]


@njit_planes
def _nearest_backward_loops(grad_out, grad_x, rows, cols, first, last):
    n, c, oh, ow = grad_out.shape
    for plane in prange(first, last):
        b, ch = plane // c, plane % c
        for oy in range(oh):
            for ox in range(ow):
                grad_x[b, ch, rows[oy], cols[ox]] += grad_out[b, ch, oy, ox]


def upsample_bilinear2d_forward_numba(x, output_size, align_corners, scale_factor=None):
    """:func:`upsample_bilinear2d_forward` as compiled loops (NumPy only)."""
    require_numpy("upsample_bilinear2d_forward_numba", x)
    (sh, sw) = _per_axis(scale_factor)
    rows = linear_source(x.shape[2], output_size[0], align_corners, sh)
    cols = linear_source(x.shape[3], output_size[1], align_corners, sw)
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    run_ranges(lambda first, last: _bilinear_loops(x, out, *rows, *cols, first, last),
               out.shape[0] * out.shape[1], out.size)
    return out


def upsample_bilinear2d_backward_numba(grad_out, input_shape, align_corners, scale_factor=None):
    """:func:`upsample_bilinear2d_backward` as compiled loops (NumPy only)."""
    require_numpy("upsample_bilinear2d_backward_numba", grad_out)
    (sh, sw) = _per_axis(scale_factor)
    rows = linear_source(input_shape[2], grad_out.shape[2], align_corners, sh)
    cols = linear_source(input_shape[3], grad_out.shape[3], align_corners, sw)
    grad_out = np.ascontiguousarray(grad_out)
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    run_ranges(lambda first, last: _bilinear_backward_loops(grad_out, grad_x, *rows, *cols, first, last),
               input_shape[0] * input_shape[1], grad_out.size)
    return grad_x


def upsample_nearest2d_forward_numba(x, output_size, scale_factor=None):
    """:func:`upsample_nearest2d_forward` as compiled loops (NumPy only)."""
    require_numpy("upsample_nearest2d_forward_numba", x)
    (sh, sw) = _per_axis(scale_factor)
    rows = nearest_source(x.shape[2], output_size[0], sh)
    cols = nearest_source(x.shape[3], output_size[1], sw)
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    run_ranges(lambda first, last: _nearest_loops(x, out, rows, cols, first, last),
               out.shape[0] * out.shape[1], out.size)
    return out


def upsample_nearest2d_backward_numba(grad_out, input_shape, scale_factor=None):
    """:func:`upsample_nearest2d_backward` as compiled loops (NumPy only)."""
    require_numpy("upsample_nearest2d_backward_numba", grad_out)
    (sh, sw) = _per_axis(scale_factor)
    rows = nearest_source(input_shape[2], grad_out.shape[2], sh)
    cols = nearest_source(input_shape[3], grad_out.shape[3], sw)
    grad_out = np.ascontiguousarray(grad_out)
    grad_x = np.zeros(input_shape, dtype=grad_out.dtype)
    run_ranges(lambda first, last: _nearest_backward_loops(grad_out, grad_x, rows, cols, first, last),
               input_shape[0] * input_shape[1], grad_out.size)
    return grad_x
