"""The four tile transforms of Winograd's minimal filtering F(m x m, 3x3), m = 2 or 4 (Lavin &
Gray 2016, "Fast algorithms for convolutional neural networks").

A 3x3 convolution computes each m x m block of output pixels from an a x a tile d of the
(padded) input, a = m + 2: 9 m^2 multiplications per input channel done directly.
Winograd's algorithm needs a^2 (16 for m = 2 against 36; 36 for m = 4 against 144):

    Y = A^T [ (G w G^T) * (B^T d B) ] A          (* elementwise; Y m x m, w 3x3, d a x a)

F(2x2, 3x3), the one to read first (the polynomial points 0, 1, -1):

    B^T = [[1, 0, -1,  0],     G = [[1,    0,    0  ],     A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],          [1/2,  1/2,  1/2],            [0, 1, -1, -1]]
           [0, -1, 1,  0],          [1/2, -1/2,  1/2],
           [0, 1,  0, -1]]          [0,    0,    1  ]]

F(4x4, 3x3) uses the points 0, 1, -1, 2, -2 (its matrices are ``MATRICES[4]`` below).

The transforms B^T d B and A^T M A are a few additions (and, for m = 4, multiplications by
2, 4, 5 and 8). Summed over the input channels, the a^2 products U * V of each tile become
a^2 matrix products, one per position (i, j) of the transformed tile:

    M[i, j] (OC, P) = U[i, j] (OC, C) @ V[i, j] (C, P)       P = the tiles of the batch

with U = G w G^T per (o, c) and V = B^T d B per (c, tile): a^2 OC C P multiply-adds for
m^2 P output pixels, against 9 OC C m^2 P for im2col, 2.25x fewer for m = 2 and 4x for
m = 4 (ops/winograd.py puts the pieces together). The price of m = 4 is precision: the
larger points (up to 8 in A^T) cost float32 about 25x more rounding (measured on 64
channels: up to 1e-5 of the output's scale, against 4e-7 for m = 2 and 9e-7 for im2col).

The layout of the transformed tiles here is (a^2, C, P): position i*a + j first, then the
channel, then the tile p, so that each M[i, j] is one GEMM over contiguous rows. A tile
(ty, tx) reads the rows m*ty .. m*ty + a-1 of the input padded to (m TH + 2, m TW + 2),
TH, TW = ceil(OH / m), ceil(OW / m), and as many columns (neighbouring tiles overlap by
two pixels). The kernels pad it themselves: ``winograd_tiles`` takes the unpadded x and the
convolution's ``padding`` (the image at rows ph.., columns pw.., zeros around and past
it), and ``winograd_tiles_adjoint`` returns the gradient of the unpadded x. The tiles of
images n0..n1-1 are numbered one of two ways (``images_inner``, ``tile_number``):

    image by image        p = ((n - n0) * TH + ty) * TW + tx
    images innermost      p = (ty * TW + tx) * (n1 - n0) + (n - n0)

Images innermost for F(4x4)'s short rows (fewer than BAND_TILES tiles) of at least
IMAGES_INNER_MIN images: there the compiled loops run along the images of a tile position
on SIMD lanes (kernels/winograd_loops.py); the products do not care about the order.

The backward needs the adjoints (transposes) of the two data transforms:

- ``winograd_tiles``:          V = B^T d B          of each tile d of the padded input;
- ``winograd_untile``:         Y = A^T M A          each m x m output block (cut at the edge);
- ``winograd_untile_adjoint``: dM = A g A^T         of each m x m block of dL/dY (zeros past the edge);
- ``winograd_tiles_adjoint``:  dd = B dV B^T        added into the overlapping tiles of the padded
                                                    input's gradient, of which the image's part is
                                                    written out.

Each takes the block size ``m`` (and the tile transforms the ``padding``) as its last
arguments. Three forms of each, proven equal by tests/kernels/test_winograd.py:
``*_reference`` (loops with the matrices, for reading), the vectorised form (NumPy or
CuPy) and ``*_numba`` (the matrix products written out as the few operations they are,
NumPy only; the loops are in kernels/winograd_loops.py).
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels import winograd_loops as loops
from tinygrad_edu.kernels._numba import require_numpy

# m: (B^T, G, A^T) of F(m x m, 3x3)
MATRICES = {
    2: (
        np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64),
        np.array([[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]], dtype=np.float64),
        np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64),
    ),
    4: (
        np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], dtype=np.float64),
        np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                  [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], dtype=np.float64),
        np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=np.float64),
    ),
}


# The numbering of the tiles (the module docstring): images innermost for F(4x4)'s rows of
# fewer than BAND_TILES tiles when a call has at least IMAGES_INNER_MIN images. With fewer
# images the SIMD lanes go unfilled and the image-by-image loops are faster (three images:
# 2.6x; eight: about even with the padding they save; measured, "Thirty-eighth session").
BAND_TILES = loops.BAND_TILES
IMAGES_INNER_MIN = 8


def _check_m(kernel, m):
    if m not in MATRICES:
        raise ValueError(f"{kernel}: the output block size m must be 2 or 4 (F(2x2, 3x3) or F(4x4, 3x3)), got {m!r}")


def matrices(m, dtype=np.float64):
    """(B^T, G, A^T) of F(m x m, 3x3) in ``dtype``; m is 2 or 4."""
    _check_m("winograd", m)
    return tuple(a.astype(dtype) for a in MATRICES[m])


def tile_grid(out_hw, m):
    """(TH, TW): the m x m output blocks that cover an (OH, OW) output."""
    return -(-out_hw[0] // m), -(-out_hw[1] // m)


def images_inner(m, tiles, images):
    """Are the tiles of ``images`` (start, stop) numbered images innermost (else image by
    image)? F(4x4) with rows of fewer than BAND_TILES tiles, at least IMAGES_INNER_MIN images."""
    return m == 4 and tiles[1] < BAND_TILES and images[1] - images[0] >= IMAGES_INNER_MIN


def tile_number(i, ty, tx, count, tiles, inner):
    """p of tile (ty, tx) of the i-th of ``count`` images, in the numbering ``inner`` says."""
    return (ty * tiles[1] + tx) * count + i if inner else (i * tiles[0] + ty) * tiles[1] + tx


def _check(kernel, images, n, t, m, tiles):
    """The transformed array t has the (m + 2)^2 positions of a tile and the tiles of
    images (start, stop) of a batch of n."""
    if t.shape[0] != (m + 2) ** 2:
        raise ValueError(f"{kernel}: F({m}x{m}, 3x3) has {(m + 2) ** 2} positions per tile, got an array of shape {t.shape}")
    n0, n1 = images
    if not 0 <= n0 < n1 <= n:
        raise ValueError(f"{kernel}: images must be (start, stop) with 0 <= start < stop <= {n}, got {images}")
    if t.shape[2] != (n1 - n0) * tiles[0] * tiles[1]:
        raise ValueError(
            f"{kernel}: the transformed array has {t.shape[2]} tiles, but images {images} of {tiles[0]}x{tiles[1]} tiles "
            f"have {(n1 - n0) * tiles[0] * tiles[1]}"
        )


def _input_tiles(kernel, x, t, images, m, padding):
    """(TH, TW) of an input x (N, C, H, W), or its gradient, padded by ``padding`` (ph, pw)
    for a 3x3 kernel, with its transformed tiles t checked against it (the tile transform
    and its adjoint)."""
    _check_m(kernel, m)
    if len(padding) != 2 or any(int(p) != p or p < 0 for p in padding):
        raise ValueError(f"{kernel}: padding must be two integers >= 0 (rows, columns), got {tuple(padding)}")
    out_hw = (x.shape[2] + 2 * padding[0] - 2, x.shape[3] + 2 * padding[1] - 2)
    if min(out_hw) < 1:
        raise ValueError(
            f"{kernel}: an input of {x.shape[2]}x{x.shape[3]} padded by {tuple(padding)} is smaller than the 3x3 kernel"
        )
    tiles = tile_grid(out_hw, m)
    _check(kernel, images, x.shape[0], t, m, tiles)
    return tiles


def _output_tiles(kernel, y, t, images, m):
    """(TH, TW) of an output y (N, OC, OH, OW), or its gradient, with its transformed
    tiles t checked against it (the untile transform and its adjoint)."""
    _check_m(kernel, m)
    th, tw = tile_grid(y.shape[2:], m)
    _check(kernel, images, y.shape[0], t, m, (th, tw))
    return th, tw


def _padded(x, images, m, tiles, padding):
    """Images (start, stop) of x zero-padded to (m TH + 2, m TW + 2), the image at (ph, pw)."""
    xp = get_array_module(x)
    (n0, n1), (ph, pw), (h, w) = images, padding, x.shape[2:]
    xpad = xp.zeros((n1 - n0, x.shape[1], m * tiles[0] + 2, m * tiles[1] + 2), dtype=x.dtype)
    xpad[:, :, ph : ph + h, pw : pw + w] = x[n0:n1]
    return xpad


# -------------------------------------------------------------------- reference (loops)
def winograd_tiles_reference(x, out, images, m, padding):
    """out[:, c, p] = (B^T d B).ravel() for the a x a tile d of images[0]..images[1]-1 of x
    padded by ``padding``, at tile p."""
    tiles = _input_tiles("winograd_tiles", x, out, images, m, padding)
    xpad = _padded(x, images, m, tiles, padding)
    b_t = matrices(m, x.dtype)[0]
    a, count, inner = m + 2, images[1] - images[0], images_inner(m, tiles, images)
    for i in range(count):
        for ty in range(tiles[0]):
            for tx in range(tiles[1]):
                p = tile_number(i, ty, tx, count, tiles, inner)
                for c in range(x.shape[1]):
                    d = xpad[i, c, m * ty : m * ty + a, m * tx : m * tx + a]
                    out[:, c, p] = (b_t @ d @ b_t.T).reshape(a * a)
    return out


def winograd_untile_reference(mt, out, images, m):
    """out[n, o, m ty : m ty + m, m tx : m tx + m] = A^T mt A for the tile p of (n, ty, tx),
    cut at the edge of out (N, OC, OH, OW)."""
    oh, ow = out.shape[2:]
    tiles = _output_tiles("winograd_untile", out, mt, images, m)
    a_t = matrices(m, mt.dtype)[2]
    count, inner = images[1] - images[0], images_inner(m, tiles, images)
    for i in range(count):
        for ty in range(tiles[0]):
            for tx in range(tiles[1]):
                p = tile_number(i, ty, tx, count, tiles, inner)
                rows, cols = min(m, oh - m * ty), min(m, ow - m * tx)
                for o in range(mt.shape[1]):
                    y = a_t @ mt[:, o, p].reshape(m + 2, m + 2) @ a_t.T
                    out[images[0] + i, o, m * ty : m * ty + rows, m * tx : m * tx + cols] = y[:rows, :cols]
    return out


def winograd_untile_adjoint_reference(g, out, images, m):
    """out[:, o, p] = (A gt A^T).ravel() for the m x m block gt of g (N, OC, OH, OW) at
    tile p, zeros past the edge: the adjoint of ``winograd_untile``."""
    oh, ow = g.shape[2:]
    tiles = _output_tiles("winograd_untile_adjoint", g, out, images, m)
    a_t = matrices(m, g.dtype)[2]
    count, inner = images[1] - images[0], images_inner(m, tiles, images)
    for i in range(count):
        for ty in range(tiles[0]):
            for tx in range(tiles[1]):
                p = tile_number(i, ty, tx, count, tiles, inner)
                rows, cols = min(m, oh - m * ty), min(m, ow - m * tx)
                for o in range(g.shape[1]):
                    block = np.zeros((m, m), dtype=g.dtype)
                    block[:rows, :cols] = g[images[0] + i, o, m * ty : m * ty + rows, m * tx : m * tx + cols]
                    out[:, o, p] = (a_t.T @ block @ a_t).reshape((m + 2) ** 2)
    return out


def winograd_tiles_adjoint_reference(dv, out, images, m, padding):
    """The adjoint of ``winograd_tiles``: B dv B^T for the tile p of (n, ty, tx) added into
    its window m ty .. m ty + a-1, m tx .. m tx + a-1 of the padded input's gradient
    (overlapping tiles add up), whose image part (at ``padding``) is written to out[n]
    (N, C, H, W) for the images in range."""
    tiles = _input_tiles("winograd_tiles_adjoint", out, dv, images, m, padding)
    b_t = matrices(m, dv.dtype)[0]
    a, count, inner = m + 2, images[1] - images[0], images_inner(m, tiles, images)
    dxpad = np.zeros((count, out.shape[1], m * tiles[0] + 2, m * tiles[1] + 2), dtype=dv.dtype)
    for i in range(count):
        for ty in range(tiles[0]):
            for tx in range(tiles[1]):
                p = tile_number(i, ty, tx, count, tiles, inner)
                for c in range(out.shape[1]):
                    dxpad[i, c, m * ty : m * ty + a, m * tx : m * tx + a] += b_t.T @ dv[:, c, p].reshape(a, a) @ b_t
    (ph, pw), (h, w) = padding, out.shape[2:]
    out[images[0] : images[1]] = dxpad[:, :, ph : ph + h, pw : pw + w]
    return out


# -------------------------------------------------------------- vectorised (NumPy or CuPy)
def _as_tiles(t, n, tiles, inner):
    """(a^2, C, P) with P numbered as ``inner`` says -> (n, C, TH, TW, a, a): each tile a matrix."""
    a, (th, tw) = int(round(t.shape[0] ** 0.5)), tiles
    if inner:  # P = (TH, TW, n)
        return t.reshape(a, a, t.shape[1], th, tw, n).transpose(5, 2, 3, 4, 0, 1)
    return t.reshape(a, a, t.shape[1], n, th, tw).transpose(3, 2, 4, 5, 0, 1)


def _from_tiles(tiles, out, inner):
    """(n, C, TH, TW, a, a) -> out (a^2, C, P), P numbered as ``inner`` says; one copy."""
    n, c, th, tw, a = tiles.shape[:5]
    order = (4, 5, 1, 2, 3, 0) if inner else (4, 5, 1, 0, 2, 3)
    out[...] = tiles.transpose(order).reshape(a * a, c, n * th * tw)
    return out


def winograd_tiles(x, out, images, m, padding):
    """V = B^T d B of every a x a tile d of the padded input, as one batched matrix
    product (see ``*_reference``)."""
    xp = get_array_module(x, out)
    th, tw = tiles = _input_tiles("winograd_tiles", x, out, images, m, padding)
    xpad = _padded(x, images, m, tiles, padding)
    # d[n, c, ty, tx, i, j] = xpad[n, c, m ty + i, m tx + j], from a^2 strided slices
    d = xp.stack([xp.stack([xpad[:, :, i : i + m * th : m, j : j + m * tw : m] for j in range(m + 2)], axis=-1)
                  for i in range(m + 2)], axis=-2)
    b_t = xp.asarray(matrices(m, x.dtype)[0])
    return _from_tiles(b_t @ d @ b_t.T, out, images_inner(m, tiles, images))


def winograd_untile(mt, out, images, m):
    """Y = A^T mt A of every tile, written as m x m blocks into out (N, OC, OH, OW)."""
    xp = get_array_module(mt, out)
    n, oc, oh, ow = out.shape
    th, tw = tiles = _output_tiles("winograd_untile", out, mt, images, m)
    a_t = xp.asarray(matrices(m, mt.dtype)[2])
    y = a_t @ _as_tiles(mt, images[1] - images[0], tiles, images_inner(m, tiles, images)) @ a_t.T  # (n, OC, TH, TW, m, m)
    y = y.transpose(0, 1, 2, 4, 3, 5).reshape(-1, oc, m * th, m * tw)
    out[images[0] : images[1]] = y[:, :, :oh, :ow]
    return out


def winograd_untile_adjoint(g, out, images, m):
    """dM = A gt A^T of every m x m block gt of g (zeros past the edge), into out (a^2, OC, P)."""
    xp = get_array_module(g, out)
    n, oc, oh, ow = g.shape
    th, tw = tiles = _output_tiles("winograd_untile_adjoint", g, out, images, m)
    count = images[1] - images[0]
    blocks = xp.zeros((count, oc, m * th, m * tw), dtype=g.dtype)
    blocks[:, :, :oh, :ow] = g[images[0] : images[1]]
    blocks = blocks.reshape(count, oc, th, m, tw, m).transpose(0, 1, 2, 4, 3, 5)  # (n, OC, TH, TW, m, m)
    a_t = xp.asarray(matrices(m, g.dtype)[2])
    return _from_tiles(a_t.T @ blocks @ a_t, out, images_inner(m, tiles, images))


def winograd_tiles_adjoint(dv, out, images, m, padding):
    """B dV B^T of every tile added into its (overlapping) window of the padded input's
    gradient; the image's part of it into out."""
    xp = get_array_module(dv, out)
    th, tw = tiles = _input_tiles("winograd_tiles_adjoint", out, dv, images, m, padding)
    count = images[1] - images[0]
    b_t = xp.asarray(matrices(m, dv.dtype)[0])
    dd = b_t.T @ _as_tiles(dv, count, tiles, images_inner(m, tiles, images)) @ b_t  # (n, C, TH, TW, a, a)
    dxpad = xp.zeros((count, out.shape[1], m * th + 2, m * tw + 2), dtype=dv.dtype)
    for i in range(m + 2):  # a^2 strided adds; within one of them no two tiles meet
        for j in range(m + 2):
            dxpad[:, :, i : i + m * th : m, j : j + m * tw : m] += dd[..., i, j]
    (ph, pw), (h, w) = padding, out.shape[2:]
    out[images[0] : images[1]] = dxpad[:, :, ph : ph + h, pw : pw + w]
    return out


# ------------------------------------------------------------- Numba (NumPy arrays only)
def _constants(dtype):
    """The constants of F(4x4, 3x3)'s transforms in the data's dtype: (2, 4, 5, 8)."""
    return np.array([2, 4, 5, 8], dtype=dtype)


def _flat(t):
    """(work, flat, s0, s1) for the images-innermost loops: the transformed array t (a^2, C, P)
    as one 1-D array over its memory and the element strides of its positions and channels
    (kernels/winograd_loops.py says why). ``work`` is t, or a contiguous copy of it where
    t's tiles are not contiguous or its rows overlap (the caller copies a written one back)."""
    size = t.itemsize
    s0, s1, s2 = t.strides
    count, c, p = t.shape
    if s2 != size or s1 % size or s0 % size or s1 < p * size or s0 < c * s1:
        t = np.ascontiguousarray(t)
        s0, s1 = t.strides[:2]
    s0, s1 = s0 // size, s1 // size
    return t, np.lib.stride_tricks.as_strided(t, shape=((count - 1) * s0 + (c - 1) * s1 + p,), strides=(size,)), s0, s1


def winograd_tiles_numba(x, out, images, m, padding):
    """``winograd_tiles`` compiled (NumPy arrays only)."""
    require_numpy("winograd_tiles_numba", x, out)
    th, tw = tiles = _input_tiles("winograd_tiles", x, out, images, m, padding)
    (n0, n1), (ph, pw) = images, padding
    if images_inner(m, tiles, images):
        planes = np.zeros((4 * th + 2, 4 * tw + 2, n1 - n0), dtype=x.dtype)  # its border stays zero
        cols = np.empty((36, n1 - n0), dtype=x.dtype)
        work, flat, s0, s1 = _flat(out)
        loops._images_tiles4_loops(x, flat, s0, s1, n0, n1, th, tw, _constants(x.dtype), ph, pw, planes, cols)
        if work is not out:
            out[...] = work
        return out
    plane = np.zeros((m * th + 2, m * tw + 2), dtype=x.dtype)  # one padded plane; its border stays zero
    if m == 2:
        loops._tiles2_loops(x, out, n0, n1, th, tw, ph, pw, plane)
    else:
        loops._tiles4_loops(x, out, n0, n1, th, tw, _constants(x.dtype), ph, pw, plane)
    return out


def winograd_untile_numba(mt, out, images, m):
    """``winograd_untile`` compiled (NumPy arrays only)."""
    require_numpy("winograd_untile_numba", mt, out)
    th, tw = tiles = _output_tiles("winograd_untile", out, mt, images, m)
    n0, n1 = images
    if images_inner(m, tiles, images):
        p = (n1 - n0) * th * tw
        rows, blocks = np.empty((24, p), dtype=mt.dtype), np.empty(16 * p, dtype=mt.dtype)
        planes = np.empty((4 * th, 4 * tw, n1 - n0), dtype=mt.dtype)
        _, flat, s0, s1 = _flat(mt)
        loops._images_untile4_loops(flat, s0, s1, out, n0, n1, th, tw, _constants(mt.dtype), rows, blocks, planes)
        return out
    if m == 2:
        loops._untile2_loops(mt, out, n0, n1, th, tw)
    else:
        loops._untile4_loops(mt, out, n0, n1, th, tw, _constants(mt.dtype))
    return out


def winograd_untile_adjoint_numba(g, out, images, m):
    """``winograd_untile_adjoint`` compiled (NumPy arrays only)."""
    require_numpy("winograd_untile_adjoint_numba", g, out)
    th, tw = tiles = _output_tiles("winograd_untile_adjoint", g, out, images, m)
    n0, n1 = images
    if images_inner(m, tiles, images):
        planes = np.zeros((4 * th, 4 * tw, n1 - n0), dtype=g.dtype)  # past the edge: zeros
        rows = np.empty((24, (n1 - n0) * th * tw), dtype=g.dtype)
        work, flat, s0, s1 = _flat(out)
        loops._images_untile_adjoint4_loops(g, flat, s0, s1, n0, n1, th, tw, _constants(g.dtype), planes, rows)
        if work is not out:
            out[...] = work
        return out
    if m == 2:
        loops._untile_adjoint2_loops(g, out, n0, n1, th, tw)
    else:
        loops._untile_adjoint4_loops(g, out, n0, n1, th, tw, _constants(g.dtype))
    return out


def winograd_tiles_adjoint_numba(dv, out, images, m, padding):
    """``winograd_tiles_adjoint`` compiled (NumPy arrays only)."""
    require_numpy("winograd_tiles_adjoint_numba", dv, out)
    th, tw = tiles = _input_tiles("winograd_tiles_adjoint", out, dv, images, m, padding)
    (n0, n1), (ph, pw) = images, padding
    if images_inner(m, tiles, images):
        p = (n1 - n0) * th * tw
        cols, rows = np.empty((36, p), dtype=dv.dtype), np.empty(36 * p, dtype=dv.dtype)
        planes = np.empty((4 * th + 2, 4 * tw + 2, n1 - n0), dtype=dv.dtype)
        _, flat, s0, s1 = _flat(dv)
        loops._images_tiles_adjoint4_loops(flat, s0, s1, out, n0, n1, th, tw, _constants(dv.dtype), ph, pw, cols, rows,
                                           planes)
        return out
    plane = np.empty((m * th + 2, m * tw + 2), dtype=dv.dtype)  # one padded plane's gradient, zeroed per plane
    if m == 2:
        loops._tiles_adjoint2_loops(dv, out, n0, n1, th, tw, ph, pw, plane)
    else:
        loops._tiles_adjoint4_loops(dv, out, n0, n1, th, tw, _constants(dv.dtype), ph, pw, plane)
    return out
