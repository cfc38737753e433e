"""Reflect and replicate padding of the last one or two dims, and their backwards.

``padding`` follows ``torch.nn.functional.pad``: ``(left, right)`` pads the last dim,
``(left, right, top, bottom)`` the last two. Every padded pixel copies an input pixel.
With ``i`` the padded position in input coordinates (``-left <= i < n + right``):

* reflect (mirror, not repeating the edge): ``x2 x1 | x0 x1 x2 ... x(n-1) | x(n-2)``;
  ``i`` reads ``-i`` if ``i < 0`` and ``2*(n-1) - i`` if ``i >= n``. Needs ``padding < n``.
* replicate (repeat the edge): ``x0 x0 | x0 x1 ... x(n-1) | x(n-1)``; ``i`` reads
  ``clamp(i, 0, n-1)``.

Backward: padding copies pixels, so its adjoint *folds* the gradient back: each
padded pixel's gradient is added to the input pixel it copied.

All forms view the input as (..., H, W); 1-D padding is 2-D padding of an (..., 1, W)
view with no rows added.
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_planes, prange, require_numpy
from tinygrad_edu.threads import run_ranges


def pad_amounts(kernel, padding, shape, reflect):
    """Check ``padding`` against an input of ``shape``; return (top, bottom, left, right)."""
    if len(padding) not in (2, 4):
        raise ValueError(
            f"{kernel}: padding must be (left, right) for the last dim or (left, right, top, bottom) "
            f"for the last two dims, got {tuple(padding)}"
        )
    padded_dims = len(padding) // 2
    if len(shape) < padded_dims:
        raise ValueError(
            f"{kernel}: padding {tuple(padding)} pads {padded_dims} dims, but the input has shape {tuple(shape)}"
        )
    if min(padding) < 0:
        raise ValueError(f"{kernel}: padding must be >= 0, got {tuple(padding)}")
    left, right, top, bottom = _unpack(padding)
    for size, before, after in [(shape[-1], left, right), (shape[-2] if padded_dims == 2 else 1, top, bottom)]:
        if reflect and max(before, after) >= size:
            raise ValueError(
                f"{kernel}: reflect padding must be smaller than the dim it pads (the mirror would run past "
                f"the far edge), got padding ({before}, {after}) for a dim of size {size}"
            )
        if size == 0 and before + after > 0:
            raise ValueError(f"{kernel}: cannot pad an empty dim (there is no edge to copy)")
    return top, bottom, left, right


def _unpack(padding):
    """(left, right, top, bottom), with no rows added for a 1-D pad."""
    if len(padding) == 2:
        return padding[0], padding[1], 0, 0
    return tuple(padding)


def _as_rows_cols(x, padding):
    """View ``x`` as (..., H, W): a 1-D pad gets a length-1 row axis."""
    return x if len(padding) == 4 else x[..., None, :]


def _undo_rows_cols(y, padding):
    return y if len(padding) == 4 else y[..., 0, :]


def _grad_input_shape(grad_shape, padding):
    left, right, top, bottom = _unpack(padding)
    shape = list(grad_shape)
    shape[-1] -= left + right
    if len(padding) == 4:
        shape[-2] -= top + bottom
    return tuple(shape)


def _reflect_index(i, n):
    return -i if i < 0 else (2 * (n - 1) - i if i >= n else i)


def _replicate_index(i, n):
    return min(max(i, 0), n - 1)


# ----------------------------------------------------------------------------- reference


def _pad_reference(x, padding, source_index, kernel):
    top, bottom, left, right = pad_amounts(kernel, padding, x.shape, source_index is _reflect_index)
    x2 = _as_rows_cols(x, padding)
    h, w = x2.shape[-2:]
    out = np.empty(x2.shape[:-2] + (top + h + bottom, left + w + right), dtype=x.dtype)
    for *lead, y, z in np.ndindex(out.shape):
        out[(*lead, y, z)] = x2[(*lead, source_index(y - top, h), source_index(z - left, w))]
    return _undo_rows_cols(out, padding)


def _pad_backward_reference(grad_out, padding, source_index, kernel):
    input_shape = _grad_input_shape(grad_out.shape, padding)
    top, bottom, left, right = pad_amounts(kernel, padding, input_shape, source_index is _reflect_index)
    g2 = _as_rows_cols(grad_out, padding)
    h, w = g2.shape[-2] - top - bottom, g2.shape[-1] - left - right
    grad_x = np.zeros(g2.shape[:-2] + (h, w), dtype=grad_out.dtype)
    for *lead, y, z in np.ndindex(g2.shape):
        grad_x[(*lead, source_index(y - top, h), source_index(z - left, w))] += g2[(*lead, y, z)]
    return _undo_rows_cols(grad_x, padding)


def pad_reflect_reference(x, padding):
    """Reflect padding with one loop per output element."""
    return _pad_reference(x, padding, _reflect_index, "pad_reflect_reference")


def pad_reflect_backward_reference(grad_out, padding):
    """Adjoint of :func:`pad_reflect_reference`: add each gradient into the pixel it copied."""
    return _pad_backward_reference(grad_out, padding, _reflect_index, "pad_reflect_backward_reference")


def pad_replicate_reference(x, padding):
    """Replicate padding with one loop per output element."""
    return _pad_reference(x, padding, _replicate_index, "pad_replicate_reference")


def pad_replicate_backward_reference(grad_out, padding):
    """Adjoint of :func:`pad_replicate_reference`: add each gradient into the pixel it copied."""
    return _pad_backward_reference(grad_out, padding, _replicate_index, "pad_replicate_backward_reference")


# ----------------------------------------------------------------------------- vectorised


def _pad_widths(x, padding):
    """``pad``'s per-dim (before, after) pairs."""
    left, right, top, bottom = _unpack(padding)
    if len(padding) == 2:
        return [(0, 0)] * (x.ndim - 1) + [(left, right)]
    return [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]


def pad_reflect(x, padding):
    """Reflect-pad the last 1 or 2 dims (the array library's ``pad(mode="reflect")``)."""
    pad_amounts("pad_reflect", padding, x.shape, reflect=True)
    return get_array_module(x).pad(x, _pad_widths(x, padding), mode="reflect")


def pad_replicate(x, padding):
    """Replicate-pad the last 1 or 2 dims (the array library's ``pad(mode="edge")``)."""
    pad_amounts("pad_replicate", padding, x.shape, reflect=False)
    return get_array_module(x).pad(x, _pad_widths(x, padding), mode="edge")


def _fold_last_dim(xp, g, before, after, reflect):
    """Fold the gradient of a padded last dim back onto the unpadded one."""
    n = g.shape[-1] - before - after
    grad = g[..., before : before + n].copy()
    if reflect:
        # padded position -k (k = 1..before) copied input k; position n-1+k copied n-1-k
        grad[..., 1 : before + 1] += xp.flip(g[..., :before], axis=-1)
        grad[..., n - 1 - after : n - 1] += xp.flip(g[..., before + n :], axis=-1)
    else:
        # every left pad copied input 0, every right pad input n-1
        grad[..., 0] += g[..., :before].sum(axis=-1)
        grad[..., n - 1] += g[..., before + n :].sum(axis=-1)
    return grad


def _pad_backward(grad_out, padding, reflect, kernel):
    xp = get_array_module(grad_out)
    top, bottom, left, right = pad_amounts(kernel, padding, _grad_input_shape(grad_out.shape, padding), reflect)
    grad = _fold_last_dim(xp, grad_out, left, right, reflect)  # the columns,
    if len(padding) == 4:  # then the rows, as the last dim of the transposed gradient
        grad = xp.swapaxes(_fold_last_dim(xp, xp.swapaxes(grad, -1, -2), top, bottom, reflect), -1, -2)
    return grad


def pad_reflect_backward(grad_out, padding):
    """Adjoint of :func:`pad_reflect`: the padded gradient folded back, mirrored."""
    return _pad_backward(grad_out, padding, True, "pad_reflect_backward")


def pad_replicate_backward(grad_out, padding):
    """Adjoint of :func:`pad_replicate`: the padded gradient folded back onto the edges."""
    return _pad_backward(grad_out, padding, False, "pad_replicate_backward")


# ----------------------------------------------------------------------------- numba


@njit_planes
def _pad_loops(x, out, top, left, reflect, first, last):
    planes, h, w = x.shape
    for p in prange(first, last):  # planes first..last-1: a task of threads.run_ranges
        for y in range(out.shape[1]):
            row = y - top
            if reflect:
                row = -row if row < 0 else (2 * (h - 1) - row if row >= h else row)
            else:
                row = min(max(row, 0), h - 1)
            for z in range(out.shape[2]):
                col = z - left
                if reflect:
                    col = -col if col < 0 else (2 * (w - 1) - col if col >= w else col)
                else:
                    col = min(max(col, 0), w - 1)
                out[p, y, z] = x[p, row, col]


@njit_planes
def _pad_backward_loops(grad_out, grad_x, top, left, reflect, first, last):
    planes, h, w = grad_x.shape
    for p in prange(first, last):
        for y in range(grad_out.shape[1]):
            row = y - top
            if reflect:
                row = -row if row < 0 else (2 * (h - 1) - row if row >= h else row)
            else:
                row = min(max(row, 0), h - 1)
            for z in range(grad_out.shape[2]):
                col = z - left
                if reflect:
                    col = -col if col < 0 else (2 * (w - 1) - col if col >= w else col)
                else:
                    col = min(max(col, 0), w - 1)
                grad_x[p, row, col] += grad_out[p, y, z]


def _pad_numba(x, padding, reflect, kernel):
    require_numpy(kernel, x)
    top, bottom, left, right = pad_amounts(kernel, padding, x.shape, reflect)
    x2 = _as_rows_cols(x, padding)  # (..., H, W), then one plane per leading index
    h, w = x2.shape[-2:]
    out = np.empty(x2.shape[:-2] + (top + h + bottom, left + w + right), dtype=x.dtype)
    planes, out_planes = np.ascontiguousarray(x2).reshape(-1, h, w), out.reshape(-1, *out.shape[-2:])
    run_ranges(lambda first, last: _pad_loops(planes, out_planes, top, left, reflect, first, last),
               len(planes), out.size)
    return _undo_rows_cols(out, padding)


def _pad_backward_numba(grad_out, padding, reflect, kernel):
    require_numpy(kernel, grad_out)
    top, bottom, left, right = pad_amounts(kernel, padding, _grad_input_shape(grad_out.shape, padding), reflect)
    g2 = _as_rows_cols(grad_out, padding)
    hp, wp = g2.shape[-2:]
    grad_x = np.zeros(g2.shape[:-2] + (hp - top - bottom, wp - left - right), dtype=grad_out.dtype)
    planes, grad_planes = np.ascontiguousarray(g2).reshape(-1, hp, wp), grad_x.reshape(-1, *grad_x.shape[-2:])
    run_ranges(lambda first, last: _pad_backward_loops(planes, grad_planes, top, left, reflect, first, last),
               len(planes), planes.size)
    return _undo_rows_cols(grad_x, padding)


def pad_reflect_numba(x, padding):
    """:func:`pad_reflect` as compiled loops over the planes (NumPy only)."""
    return _pad_numba(x, padding, True, "pad_reflect_numba")


def pad_reflect_backward_numba(grad_out, padding):
    """:func:`pad_reflect_backward` as compiled loops (NumPy only)."""
    return _pad_backward_numba(grad_out, padding, True, "pad_reflect_backward_numba")


def pad_replicate_numba(x, padding):
    """:func:`pad_replicate` as compiled loops over the planes (NumPy only)."""
    return _pad_numba(x, padding, False, "pad_replicate_numba")


def pad_replicate_backward_numba(grad_out, padding):
    """:func:`pad_replicate_backward` as compiled loops (NumPy only)."""
    return _pad_backward_numba(grad_out, padding, False, "pad_replicate_backward_numba")
