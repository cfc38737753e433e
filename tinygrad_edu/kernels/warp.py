"""The affine warp of data augmentation (``RandomAffine``, ``affine``): every output
pixel of every image reads the input at its own source point (NCHW, float images).

``theta`` (N, 2, 3) maps an output pixel (x, y), in pixels from the image centre
(cx, cy) = ((W - 1) / 2, (H - 1) / 2), to the source point, in pixel indices::

    u = theta[n, 0, 0] x + theta[n, 0, 1] y + theta[n, 0, 2] + cx      (the column)
    v = theta[n, 1, 0] x + theta[n, 1, 1] y + theta[n, 1, 2] + cy      (the row)

(data/transforms.py's ``affine_matrices`` builds theta from angles, shifts and scales.)
cos(90 deg) is 6e-17, not 0, so a point within 1e-9 px of a pixel centre is moved onto
it: whole-pixel shifts and right-angle rotations then copy pixels exactly.

**Bilinear**: with x0 = floor(u), fx = u - x0 (and y0, fy the same for v),

    out = (1-fy)(1-fx) img[y0, x0] + (1-fy) fx img[y0, x0+1]
          + fy (1-fx) img[y0+1, x0] + fy fx img[y0+1, x0+1]
          + (1 - the weights of the neighbours inside the image) * fill

A neighbour outside the image weighs 0 (its read is clamped to the edge, so the index
stays valid). **Nearest**: img[floor(v + 0.5), floor(u + 0.5)], or ``fill`` outside.

Three forms, as every kernel here (kernels/__init__.py): the loops to read
(``warp_affine_reference``), the vectorised form (``warp_affine``, NumPy or CuPy: all
pixels of all images gathered at once with index arrays) and the same loops compiled
(``warp_affine_numba``). Why compiled: a batch of 32 digits of 8x8 took the vectorised
form 177-189 us, about 40 small NumPy calls on 2048 pixels, where the MLP's whole
training step takes about 500; the loops take 37 (benchmarks/issue14_log.md,
"Forty-ninth session").

The compiled and reference forms add up in float64 and round once into the image's
dtype; the vectorised form weighs float32 images in float32, so for them the forms agree
to float32 rounding (for float64 images, bit for bit).
"""
import math

import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_inline, njit_planes, prange, require_numpy
from tinygrad_edu.threads import run_ranges

INTERPOLATIONS = ("bilinear", "nearest")
SNAP = 1e-9  # px: a source point this close to a pixel centre is moved onto it


# ----------------------------------------------------------------------------- reference


def warp_affine_reference(x, theta, interpolation="bilinear", fill=0.0):
    """x (N, C, H, W) float -> the warped images, one source point per output pixel."""
    n, c, h, w = x.shape
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    out = np.empty(x.shape, dtype=x.dtype)
    for b in range(n):
        t = theta[b]
        for i in range(h):
            for j in range(w):
                u = t[0, 0] * (j - cx) + t[0, 1] * (i - cy) + t[0, 2] + cx
                v = t[1, 0] * (j - cx) + t[1, 1] * (i - cy) + t[1, 2] + cy
                u, v = _snapped_reference(u), _snapped_reference(v)
                for ch in range(c):
                    if interpolation == "nearest":
                        r, q = math.floor(v + 0.5), math.floor(u + 0.5)
                        out[b, ch, i, j] = x[b, ch, r, q] if 0 <= r < h and 0 <= q < w else fill
                        continue
                    x0, y0 = math.floor(u), math.floor(v)
                    fx, fy = u - x0, v - y0
                    total, covered = 0.0, 0.0
                    for r, wy in ((y0, 1 - fy), (y0 + 1, fy)):
                        for q, wx in ((x0, 1 - fx), (x0 + 1, fx)):
                            weight = wy * wx if 0 <= r < h and 0 <= q < w else 0.0
                            total += weight * float(x[b, ch, min(max(r, 0), h - 1), min(max(q, 0), w - 1)])
                            covered += weight
                    if fill:
                        total += (1 - covered) * fill
                    out[b, ch, i, j] = total
    return out


def _snapped_reference(u):
    """``u`` moved onto the nearest whole pixel when it is within SNAP of it."""
    whole = math.floor(u + 0.5)
    return float(whole) if abs(u - whole) < SNAP else u


# ----------------------------------------------------------------------------- vectorised


def warp_affine(x, theta, interpolation="bilinear", fill=0.0):
    """x (N, C, H, W) float -> the warped images: the four neighbours of all pixels of all
    images gathered at once with integer index arrays (no loop over pixels)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    dtype = x.dtype
    theta = xp.asarray(theta, dtype=np.float64)[:, :, :, None, None]  # (N, 2, 3, 1, 1)
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    xs = (xp.arange(w, dtype=np.float64) - cx)[None, None, :]
    ys = (xp.arange(h, dtype=np.float64) - cy)[None, :, None]
    u = theta[:, 0, 0] * xs + theta[:, 0, 1] * ys + theta[:, 0, 2] + cx  # (N, H, W) source column
    v = theta[:, 1, 0] * xs + theta[:, 1, 1] * ys + theta[:, 1, 2] + cy  # (N, H, W) source row
    u = xp.where(xp.abs(u - xp.round(u)) < SNAP, xp.round(u), u)
    v = xp.where(xp.abs(v - xp.round(v)) < SNAP, xp.round(v), v)

    batch = xp.arange(n)[:, None, None, None]
    channel = xp.arange(c)[None, :, None, None]

    def gather(rows, cols):
        """Pixels at integer (rows, cols) (N, H, W) of every channel, and where they exist."""
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        r, q = xp.clip(rows, 0, h - 1), xp.clip(cols, 0, w - 1)
        return x[batch, channel, r[:, None], q[:, None]], inside[:, None]

    if interpolation == "nearest":
        values, inside = gather(xp.floor(v + 0.5).astype(np.int64), xp.floor(u + 0.5).astype(np.int64))
        return xp.where(inside, values, xp.asarray(fill, dtype=dtype)).astype(dtype, copy=False)

    x0, y0 = xp.floor(u), xp.floor(v)
    fx, fy = (u - x0).astype(dtype), (v - y0).astype(dtype)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = xp.zeros((n, c, h, w), dtype=dtype)
    covered = xp.zeros((n, 1, h, w), dtype=dtype)  # total weight that fell inside the image
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            values, inside = gather(y0 + dy, x0 + dx)
            weight = (wy * wx)[:, None] * inside
            out += weight * values
            covered += weight
    if fill:
        out += (1 - covered) * xp.asarray(fill, dtype=dtype)
    return out


# ----------------------------------------------------------------------------- numba


@njit_inline
def _snapped(u):
    """``_snapped_reference``, compiled into the loops."""
    whole = np.floor(u + 0.5)
    return whole if abs(u - whole) < SNAP else u


@njit_inline
def _source_point(theta, b, i, j, cx, cy):
    """(u, v), the source point of output pixel (i, j) of image b (module docstring), snapped."""
    u = theta[b, 0, 0] * (j - cx) + theta[b, 0, 1] * (i - cy) + theta[b, 0, 2] + cx
    v = theta[b, 1, 0] * (j - cx) + theta[b, 1, 1] * (i - cy) + theta[b, 1, 2] + cy
    return _snapped(u), _snapped(v)


@njit_planes
def _bilinear_loops(x, theta, out, fill, first, last):
    n, c, h, w = x.shape
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    for b in prange(first, last):  # images first..last-1: a task of threads.run_ranges
        for i in range(h):
            for j in range(w):
                u, v = _source_point(theta, b, i, j, cx, cy)
                x0, y0 = np.floor(u), np.floor(v)
                fx, fy = u - x0, v - y0
                c0, r0 = int(x0), int(y0)
                # the four neighbours, (row, column) and weight; one outside weighs 0
                r1, c1 = r0 + 1, c0 + 1
                w00 = (1 - fy) * (1 - fx) if 0 <= r0 < h and 0 <= c0 < w else 0.0
                w01 = (1 - fy) * fx if 0 <= r0 < h and 0 <= c1 < w else 0.0
                w10 = fy * (1 - fx) if 0 <= r1 < h and 0 <= c0 < w else 0.0
                w11 = fy * fx if 0 <= r1 < h and 0 <= c1 < w else 0.0
                r0, r1 = min(max(r0, 0), h - 1), min(max(r1, 0), h - 1)  # clamped reads
                c0, c1 = min(max(c0, 0), w - 1), min(max(c1, 0), w - 1)
                rest = (1 - (w00 + w01 + w10 + w11)) * fill
                for ch in range(c):
                    total = w00 * x[b, ch, r0, c0] + w01 * x[b, ch, r0, c1]
                    total = total + w10 * x[b, ch, r1, c0] + w11 * x[b, ch, r1, c1]
                    out[b, ch, i, j] = total + rest if fill != 0 else total


@njit_planes
def _nearest_loops(x, theta, out, fill, first, last):
    n, c, h, w = x.shape
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    for b in prange(first, last):
        for i in range(h):
            for j in range(w):
                u, v = _source_point(theta, b, i, j, cx, cy)
                r, q = int(np.floor(v + 0.5)), int(np.floor(u + 0.5))
                inside = 0 <= r < h and 0 <= q < w
                for ch in range(c):
                    out[b, ch, i, j] = x[b, ch, r, q] if inside else fill


def warp_affine_numba(x, theta, interpolation="bilinear", fill=0.0):
    """:func:`warp_affine` as compiled loops (NumPy only)."""
    require_numpy("warp_affine_numba", x)
    x = np.ascontiguousarray(x)
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    out = np.empty(x.shape, dtype=x.dtype)
    loops = _nearest_loops if interpolation == "nearest" else _bilinear_loops
    run_ranges(lambda first, last: loops(x, theta, out, float(fill), first, last), x.shape[0], x.size)
    return out
