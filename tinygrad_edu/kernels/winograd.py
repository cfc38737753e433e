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
channel, then the tile p = ((n - n0) * TH + ty) * TW + tx, so that each M[i, j] is one
GEMM over contiguous rows. A tile (ty, tx) reads the padded input rows m*ty .. m*ty + a-1
and as many columns (neighbouring tiles overlap by two pixels); the caller pads the input
to (m TH + 2, m TW + 2) with TH, TW = ceil(OH / m), ceil(OW / m).

The backward needs the adjoints (transposes) of the two data transforms:

- ``winograd_tiles``:          V = B^T d B          of each input tile;
- ``winograd_untile``:         Y = A^T M A          each m x m output block (cut at the edge);
- ``winograd_untile_adjoint``: dM = A g A^T         of each m x m block of dL/dY (zeros past the edge);
- ``winograd_tiles_adjoint``:  dd = B dV B^T        added into the overlapping input tiles.

Each takes the block size ``m`` as its last argument. Three forms of each, proven equal by
tests/kernels/test_winograd.py: ``*_reference`` (loops with the matrices, for reading),
the vectorised form (NumPy or CuPy) and ``*_numba`` (the matrix products written out as
the few operations they are, NumPy only).
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_inline, njit_planes, prange, require_numpy

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


def _input_tiles(kernel, xpad, t, images, m):
    """(TH, TW) of a padded input xpad (N, C, m TH + 2, m TW + 2), with its transformed
    tiles t checked against it (the tile transform and its adjoint)."""
    _check_m(kernel, m)
    th, tw = (xpad.shape[2] - 2) // m, (xpad.shape[3] - 2) // m
    if xpad.shape[2] != m * th + 2 or xpad.shape[3] != m * tw + 2 or th < 1 or tw < 1:
        raise ValueError(f"{kernel}: the padded input must be (N, C, {m}*TH + 2, {m}*TW + 2), got {xpad.shape}")
    _check(kernel, images, xpad.shape[0], t, m, (th, tw))
    return th, tw


def _output_tiles(kernel, y, t, images, m):
    """(TH, TW) of an output y (N, OC, OH, OW), or its gradient, with its transformed
    tiles t checked against it (the untile transform and its adjoint)."""
    _check_m(kernel, m)
    th, tw = tile_grid(y.shape[2:], m)
    _check(kernel, images, y.shape[0], t, m, (th, tw))
    return th, tw


# -------------------------------------------------------------------- reference (loops)
def winograd_tiles_reference(xpad, out, images, m):
    """out[:, c, p] = (B^T d B).ravel() for the a x a tile d of images[0]..images[1]-1 at tile p."""
    th, tw = _input_tiles("winograd_tiles", xpad, out, images, m)
    b_t = matrices(m, xpad.dtype)[0]
    a = m + 2
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for c in range(xpad.shape[1]):
                    d = xpad[n, c, m * ty : m * ty + a, m * tx : m * tx + a]
                    out[:, c, p] = (b_t @ d @ b_t.T).reshape(a * a)
                p += 1
    return out


def winograd_untile_reference(mt, out, images, m):
    """out[n, o, m ty : m ty + m, m tx : m tx + m] = A^T mt A for the tile p of (n, ty, tx),
    cut at the edge of out (N, OC, OH, OW)."""
    oh, ow = out.shape[2:]
    th, tw = _output_tiles("winograd_untile", out, mt, images, m)
    a_t = matrices(m, mt.dtype)[2]
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for o in range(mt.shape[1]):
                    y = a_t @ mt[:, o, p].reshape(m + 2, m + 2) @ a_t.T
                    rows, cols = min(m, oh - m * ty), min(m, ow - m * tx)
                    out[n, o, m * ty : m * ty + rows, m * tx : m * tx + cols] = y[:rows, :cols]
                p += 1
    return out


def winograd_untile_adjoint_reference(g, out, images, m):
    """out[:, o, p] = (A gt A^T).ravel() for the m x m block gt of g (N, OC, OH, OW) at
    tile p, zeros past the edge: the adjoint of ``winograd_untile``."""
    oh, ow = g.shape[2:]
    th, tw = _output_tiles("winograd_untile_adjoint", g, out, images, m)
    a_t = matrices(m, g.dtype)[2]
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for o in range(g.shape[1]):
                    block = np.zeros((m, m), dtype=g.dtype)
                    rows, cols = min(m, oh - m * ty), min(m, ow - m * tx)
                    block[:rows, :cols] = g[n, o, m * ty : m * ty + rows, m * tx : m * tx + cols]
                    out[:, o, p] = (a_t.T @ block @ a_t).reshape((m + 2) ** 2)
                p += 1
    return out


def winograd_tiles_adjoint_reference(dv, out, images, m):
    """out[n, c, m ty : m ty + a, m tx : m tx + a] += B dv B^T for the tile p of (n, ty, tx):
    the adjoint of ``winograd_tiles`` (overlapping tiles add up). ``out`` is the padded
    input gradient (N, C, m TH + 2, m TW + 2)."""
    th, tw = _input_tiles("winograd_tiles_adjoint", out, dv, images, m)
    b_t = matrices(m, dv.dtype)[0]
    a = m + 2
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for c in range(out.shape[1]):
                    out[n, c, m * ty : m * ty + a, m * tx : m * tx + a] += b_t.T @ dv[:, c, p].reshape(a, a) @ b_t
                p += 1
    return out


# -------------------------------------------------------------- vectorised (NumPy or CuPy)
def _as_tiles(t, n, th, tw):
    """(a^2, C, P) with P = (n, TH, TW) -> (n, C, TH, TW, a, a): each tile a matrix."""
    a = int(round(t.shape[0] ** 0.5))
    return t.reshape(a, a, t.shape[1], n, th, tw).transpose(3, 2, 4, 5, 0, 1)


def _from_tiles(tiles, out):
    """(n, C, TH, TW, a, a) -> out (a^2, C, P), one copy."""
    n, c, th, tw, a = tiles.shape[:5]
    out[...] = tiles.transpose(4, 5, 1, 0, 2, 3).reshape(a * a, c, n * th * tw)
    return out


def winograd_tiles(xpad, out, images, m):
    """V = B^T d B of every a x a tile d, as one batched matrix product (see ``*_reference``)."""
    xp = get_array_module(xpad, out)
    th, tw = _input_tiles("winograd_tiles", xpad, out, images, m)
    x = xpad[images[0] : images[1]]
    # d[n, c, ty, tx, i, j] = x[n, c, m ty + i, m tx + j], from a^2 strided slices
    d = xp.stack([xp.stack([x[:, :, i : i + m * th : m, j : j + m * tw : m] for j in range(m + 2)], axis=-1)
                  for i in range(m + 2)], axis=-2)
    b_t = xp.asarray(matrices(m, xpad.dtype)[0])
    return _from_tiles(b_t @ d @ b_t.T, out)


def winograd_untile(mt, out, images, m):
    """Y = A^T mt A of every tile, written as m x m blocks into out (N, OC, OH, OW)."""
    xp = get_array_module(mt, out)
    n, oc, oh, ow = out.shape
    th, tw = _output_tiles("winograd_untile", out, mt, images, m)
    a_t = xp.asarray(matrices(m, mt.dtype)[2])
    y = a_t @ _as_tiles(mt, images[1] - images[0], th, tw) @ a_t.T  # (n, OC, TH, TW, m, m)
    y = y.transpose(0, 1, 2, 4, 3, 5).reshape(-1, oc, m * th, m * tw)
    out[images[0] : images[1]] = y[:, :, :oh, :ow]
    return out


def winograd_untile_adjoint(g, out, images, m):
    """dM = A gt A^T of every m x m block gt of g (zeros past the edge), into out (a^2, OC, P)."""
    xp = get_array_module(g, out)
    n, oc, oh, ow = g.shape
    th, tw = _output_tiles("winograd_untile_adjoint", g, out, images, m)
    count = images[1] - images[0]
    blocks = xp.zeros((count, oc, m * th, m * tw), dtype=g.dtype)
    blocks[:, :, :oh, :ow] = g[images[0] : images[1]]
    blocks = blocks.reshape(count, oc, th, m, tw, m).transpose(0, 1, 2, 4, 3, 5)  # (n, OC, TH, TW, m, m)
    a_t = xp.asarray(matrices(m, g.dtype)[2])
    return _from_tiles(a_t.T @ blocks @ a_t, out)


def winograd_tiles_adjoint(dv, out, images, m):
    """out += B dV B^T of every tile, added into its (overlapping) a x a window."""
    xp = get_array_module(dv, out)
    th, tw = _input_tiles("winograd_tiles_adjoint", out, dv, images, m)
    b_t = xp.asarray(matrices(m, dv.dtype)[0])
    dd = b_t.T @ _as_tiles(dv, images[1] - images[0], th, tw) @ b_t  # (n, C, TH, TW, a, a)
    x = out[images[0] : images[1]]
    for i in range(m + 2):  # a^2 strided adds; within one of them no two tiles meet
        for j in range(m + 2):
            x[:, :, i : i + m * th : m, j : j + m * tw : m] += dd[..., i, j]
    return out


# ------------------------------------------------------------- Numba (NumPy arrays only)
# Each loop runs over the channels (prange: no two iterations write the same element)
# and, within a channel, over the tiles in order, doing the two matrix products of a
# tile as the few operations they are: first along one axis of the tile, then the other.
#
# F(2x2, 3x3): B^T and A^T hold only 0, 1 and -1, so the products are additions,
# written out element by element.
@njit_planes
def _tiles2_loops(xpad, out, n0, n1, th, tw):
    for c in prange(xpad.shape[1]):
        p = 0
        for n in range(n0, n1):
            plane = xpad[n, c]
            for ty in range(th):
                y = 2 * ty
                for tx in range(tw):
                    x = 2 * tx
                    # t = B^T d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3
                    t00 = plane[y, x] - plane[y + 2, x]
                    t01 = plane[y, x + 1] - plane[y + 2, x + 1]
                    t02 = plane[y, x + 2] - plane[y + 2, x + 2]
                    t03 = plane[y, x + 3] - plane[y + 2, x + 3]
                    t10 = plane[y + 1, x] + plane[y + 2, x]
                    t11 = plane[y + 1, x + 1] + plane[y + 2, x + 1]
                    t12 = plane[y + 1, x + 2] + plane[y + 2, x + 2]
                    t13 = plane[y + 1, x + 3] + plane[y + 2, x + 3]
                    t20 = plane[y + 2, x] - plane[y + 1, x]
                    t21 = plane[y + 2, x + 1] - plane[y + 1, x + 1]
                    t22 = plane[y + 2, x + 2] - plane[y + 1, x + 2]
                    t23 = plane[y + 2, x + 3] - plane[y + 1, x + 3]
                    t30 = plane[y + 1, x] - plane[y + 3, x]
                    t31 = plane[y + 1, x + 1] - plane[y + 3, x + 1]
                    t32 = plane[y + 1, x + 2] - plane[y + 3, x + 2]
                    t33 = plane[y + 1, x + 3] - plane[y + 3, x + 3]
                    # V = t B: columns t0 - t2, t1 + t2, t2 - t1, t1 - t3
                    out[0, c, p] = t00 - t02
                    out[1, c, p] = t01 + t02
                    out[2, c, p] = t02 - t01
                    out[3, c, p] = t01 - t03
                    out[4, c, p] = t10 - t12
                    out[5, c, p] = t11 + t12
                    out[6, c, p] = t12 - t11
                    out[7, c, p] = t11 - t13
                    out[8, c, p] = t20 - t22
                    out[9, c, p] = t21 + t22
                    out[10, c, p] = t22 - t21
                    out[11, c, p] = t21 - t23
                    out[12, c, p] = t30 - t32
                    out[13, c, p] = t31 + t32
                    out[14, c, p] = t32 - t31
                    out[15, c, p] = t31 - t33
                    p += 1


@njit_planes
def _untile2_loops(mt, out, n0, n1, th, tw):
    oh, ow = out.shape[2], out.shape[3]
    for o in prange(mt.shape[1]):
        p = 0
        for n in range(n0, n1):
            for ty in range(th):
                y = 2 * ty
                for tx in range(tw):
                    x = 2 * tx
                    # s = A^T mt: rows m0 + m1 + m2, m1 - m2 - m3 (m_i: row i of mt)
                    s00 = mt[0, o, p] + mt[4, o, p] + mt[8, o, p]
                    s01 = mt[1, o, p] + mt[5, o, p] + mt[9, o, p]
                    s02 = mt[2, o, p] + mt[6, o, p] + mt[10, o, p]
                    s03 = mt[3, o, p] + mt[7, o, p] + mt[11, o, p]
                    s10 = mt[4, o, p] - mt[8, o, p] - mt[12, o, p]
                    s11 = mt[5, o, p] - mt[9, o, p] - mt[13, o, p]
                    s12 = mt[6, o, p] - mt[10, o, p] - mt[14, o, p]
                    s13 = mt[7, o, p] - mt[11, o, p] - mt[15, o, p]
                    # Y = s A: columns s0 + s1 + s2, s1 - s2 - s3; the block cut at the edge
                    out[n, o, y, x] = s00 + s01 + s02
                    if x + 1 < ow:
                        out[n, o, y, x + 1] = s01 - s02 - s03
                    if y + 1 < oh:
                        out[n, o, y + 1, x] = s10 + s11 + s12
                        if x + 1 < ow:
                            out[n, o, y + 1, x + 1] = s11 - s12 - s13
                    p += 1


@njit_planes
def _untile_adjoint2_loops(g, out, n0, n1, th, tw):
    oh, ow = g.shape[2], g.shape[3]
    zero = np.zeros(1, dtype=g.dtype)[0]  # past the edge: a zero of g's own dtype
    for o in prange(g.shape[1]):
        p = 0
        for n in range(n0, n1):
            for ty in range(th):
                y = 2 * ty
                for tx in range(tw):
                    x = 2 * tx
                    g00 = g[n, o, y, x]
                    g01 = g[n, o, y, x + 1] if x + 1 < ow else zero
                    g10 = g[n, o, y + 1, x] if y + 1 < oh else zero
                    g11 = g[n, o, y + 1, x + 1] if x + 1 < ow and y + 1 < oh else zero
                    # r = A g: rows g0, g0 + g1, g0 - g1, -g1 (g0, g1 the two rows of the block)
                    r00, r01 = g00, g01
                    r10, r11 = g00 + g10, g01 + g11
                    r20, r21 = g00 - g10, g01 - g11
                    r30, r31 = -g10, -g11
                    # dM = r A^T: columns r0, r0 + r1, r0 - r1, -r1
                    out[0, o, p] = r00
                    out[1, o, p] = r00 + r01
                    out[2, o, p] = r00 - r01
                    out[3, o, p] = -r01
                    out[4, o, p] = r10
                    out[5, o, p] = r10 + r11
                    out[6, o, p] = r10 - r11
                    out[7, o, p] = -r11
                    out[8, o, p] = r20
                    out[9, o, p] = r20 + r21
                    out[10, o, p] = r20 - r21
                    out[11, o, p] = -r21
                    out[12, o, p] = r30
                    out[13, o, p] = r30 + r31
                    out[14, o, p] = r30 - r31
                    out[15, o, p] = -r31
                    p += 1


@njit_planes
def _tiles_adjoint2_loops(dv, out, n0, n1, th, tw):
    for c in prange(out.shape[1]):
        p = 0
        for n in range(n0, n1):
            plane = out[n, c]
            for ty in range(th):
                y = 2 * ty
                for tx in range(tw):
                    x = 2 * tx
                    # r = B dv: rows v0, v1 - v2 + v3, v1 + v2 - v0, -v3
                    r00 = dv[0, c, p]
                    r01 = dv[1, c, p]
                    r02 = dv[2, c, p]
                    r03 = dv[3, c, p]
                    r10 = dv[4, c, p] - dv[8, c, p] + dv[12, c, p]
                    r11 = dv[5, c, p] - dv[9, c, p] + dv[13, c, p]
                    r12 = dv[6, c, p] - dv[10, c, p] + dv[14, c, p]
                    r13 = dv[7, c, p] - dv[11, c, p] + dv[15, c, p]
                    r20 = dv[4, c, p] + dv[8, c, p] - r00
                    r21 = dv[5, c, p] + dv[9, c, p] - r01
                    r22 = dv[6, c, p] + dv[10, c, p] - r02
                    r23 = dv[7, c, p] + dv[11, c, p] - r03
                    r30 = -dv[12, c, p]
                    r31 = -dv[13, c, p]
                    r32 = -dv[14, c, p]
                    r33 = -dv[15, c, p]
                    # dd = r B^T: columns r0, r1 - r2 + r3, r1 + r2 - r0, -r3; added into the window
                    plane[y, x] += r00
                    plane[y, x + 1] += r01 - r02 + r03
                    plane[y, x + 2] += r01 + r02 - r00
                    plane[y, x + 3] -= r03
                    plane[y + 1, x] += r10
                    plane[y + 1, x + 1] += r11 - r12 + r13
                    plane[y + 1, x + 2] += r11 + r12 - r10
                    plane[y + 1, x + 3] -= r13
                    plane[y + 2, x] += r20
                    plane[y + 2, x + 1] += r21 - r22 + r23
                    plane[y + 2, x + 2] += r21 + r22 - r20
                    plane[y + 2, x + 3] -= r23
                    plane[y + 3, x] += r30
                    plane[y + 3, x + 1] += r31 - r32 + r33
                    plane[y + 3, x + 2] += r31 + r32 - r30
                    plane[y + 3, x + 3] -= r33
                    p += 1


# F(4x4, 3x3): a 6x6 tile is too many elements to write out one by one, so each 1-D
# transform (a matrix times a vector) is a small helper, applied to the columns of the tile
# and then to the rows of the result, compiled into the loops (``njit_inline``). The
# constants 2, 4, 5 and 8 come in the array ``k`` in the data's dtype: a Python number
# would make Numba compute float32 data in float64.
@njit_inline
def _bt6(d0, d1, d2, d3, d4, d5, two, four, five):
    """B^T d for F(4x4, 3x3): rows (4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
    (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1). The constants come as
    numbers read from ``k`` once per call of the loops: read from the array inside a loop
    that also stores, the compiler must assume a store may change them, reloads them and
    does not vectorise the band loops of ``_tiles4_loops`` (measured 1.5x slower)."""
    return (four * d0 - five * d2 + d4, (d3 + d4) - four * (d1 + d2), (d4 - d3) + four * (d1 - d2),
            (d4 - d2) + two * (d3 - d1), (d4 - d2) - two * (d3 - d1), four * d1 - five * d3 + d5)


@njit_inline
def _b6(v0, v1, v2, v3, v4, v5, k):
    """B v = (B^T)^T v for F(4x4, 3x3): the columns of B^T above as rows."""
    two, four, five = k[0], k[1], k[2]
    return (four * v0, four * (v2 - v1) + two * (v4 - v3) + four * v5, -five * v0 - four * (v1 + v2) - (v3 + v4),
            (v1 - v2) + two * (v3 - v4) - five * v5, v0 + v1 + v2 + v3 + v4, v5)


@njit_inline
def _at6(m0, m1, m2, m3, m4, m5, k):
    """A^T m for F(4x4, 3x3): rows (1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0),
    (0, 1, -1, 8, -8, 1)."""
    two, four, eight = k[0], k[1], k[3]
    even, odd, even2, odd2 = m1 + m2, m1 - m2, m3 + m4, m3 - m4
    return (m0 + even + even2, odd + two * odd2, even + four * even2, odd + eight * odd2 + m5)


@njit_inline
def _a6(g0, g1, g2, g3, k):
    """A g = (A^T)^T g for F(4x4, 3x3): the values at the points 0, 1, -1, 2, -2 of the
    polynomial g0 + g1 t + g2 t^2 + g3 t^3, and its leading coefficient."""
    two, four, eight = k[0], k[1], k[3]
    even, odd = g0 + g2, g1 + g3
    even2, odd2 = g0 + four * g2, two * g1 + eight * g3
    return (g0, even + odd, even - odd, even2 + odd2, even2 - odd2, g3)


# Rows of at least BAND_TILES tiles take the tile transform a band of six input rows at a
# time: B^T on every column of the band in one loop over contiguous pixels, then B^T on
# the rows of each tile. The compiler runs both loops on SIMD lanes (tiles side by side);
# tile by tile it cannot. The same operations in the same order: the same bits. One
# thread, a slice of 2 images of 32 channels 40x40 (DnCNN's), us: 143 -> 101; 64 channels
# 32x32: 89 -> 56; 16 channels 64x64: 181 -> 109; with 2-3 tiles a row the band loops are
# too short (8x8: 36 -> 51), so those rows go tile by tile (benchmarks/issue14_log.md,
# "Ninth session").
BAND_TILES = 4


@njit_planes
def _tiles4_loops(xpad, out, n0, n1, th, tw, k):
    two, four, five = k[0], k[1], k[2]
    for c in prange(xpad.shape[1]):
        band = np.empty((6, 4 * tw + 2), dtype=xpad.dtype)  # B^T on the columns of one band of rows
        p = 0
        for n in range(n0, n1):
            pl = xpad[n, c]
            for ty in range(th):
                y = 4 * ty
                if tw >= BAND_TILES:
                    r0, r1, r2, r3, r4, r5 = pl[y], pl[y + 1], pl[y + 2], pl[y + 3], pl[y + 4], pl[y + 5]
                    t0, t1, t2, t3, t4, t5 = band[0], band[1], band[2], band[3], band[4], band[5]
                    for s in range(4 * tw + 2):  # col_s = B^T d[:, s], every column of the band at once
                        t0[s], t1[s], t2[s], t3[s], t4[s], t5[s] = _bt6(r0[s], r1[s], r2[s], r3[s], r4[s], r5[s],
                                                                        two, four, five)
                    for i in range(6):  # V[i, :] = B^T (row i of a tile's columns), every tile of the band
                        row = band[i]
                        o0, o1, o2 = out[6 * i, c, p : p + tw], out[6 * i + 1, c, p : p + tw], out[6 * i + 2, c, p : p + tw]
                        o3, o4, o5 = out[6 * i + 3, c, p : p + tw], out[6 * i + 4, c, p : p + tw], out[6 * i + 5, c, p : p + tw]
                        for tx in range(tw):
                            x = 4 * tx
                            o0[tx], o1[tx], o2[tx], o3[tx], o4[tx], o5[tx] = _bt6(
                                row[x], row[x + 1], row[x + 2], row[x + 3], row[x + 4], row[x + 5], two, four, five)
                    p += tw
                    continue
                for tx in range(tw):  # short rows: tile by tile
                    x = 4 * tx
                    # col_j = B^T d[:, j]: each column of the tile
                    col0 = _bt6(pl[y, x], pl[y + 1, x], pl[y + 2, x], pl[y + 3, x], pl[y + 4, x], pl[y + 5, x],
                                two, four, five)
                    col1 = _bt6(pl[y, x + 1], pl[y + 1, x + 1], pl[y + 2, x + 1], pl[y + 3, x + 1], pl[y + 4, x + 1],
                                pl[y + 5, x + 1], two, four, five)
                    col2 = _bt6(pl[y, x + 2], pl[y + 1, x + 2], pl[y + 2, x + 2], pl[y + 3, x + 2], pl[y + 4, x + 2],
                                pl[y + 5, x + 2], two, four, five)
                    col3 = _bt6(pl[y, x + 3], pl[y + 1, x + 3], pl[y + 2, x + 3], pl[y + 3, x + 3], pl[y + 4, x + 3],
                                pl[y + 5, x + 3], two, four, five)
                    col4 = _bt6(pl[y, x + 4], pl[y + 1, x + 4], pl[y + 2, x + 4], pl[y + 3, x + 4], pl[y + 4, x + 4],
                                pl[y + 5, x + 4], two, four, five)
                    col5 = _bt6(pl[y, x + 5], pl[y + 1, x + 5], pl[y + 2, x + 5], pl[y + 3, x + 5], pl[y + 4, x + 5],
                                pl[y + 5, x + 5], two, four, five)
                    for i in range(6):  # V[i, :] = B^T (row i of the columns' results)
                        v = _bt6(col0[i], col1[i], col2[i], col3[i], col4[i], col5[i], two, four, five)
                        for j in range(6):
                            out[6 * i + j, c, p] = v[j]
                    p += 1


@njit_planes
def _untile4_loops(mt, out, n0, n1, th, tw, k):
    oh, ow = out.shape[2], out.shape[3]
    for o in prange(mt.shape[1]):
        p = 0
        for n in range(n0, n1):
            for ty in range(th):
                for tx in range(tw):
                    # s_j = A^T mt[:, j]: each column of the transformed tile
                    s0 = _at6(mt[0, o, p], mt[6, o, p], mt[12, o, p], mt[18, o, p], mt[24, o, p], mt[30, o, p], k)
                    s1 = _at6(mt[1, o, p], mt[7, o, p], mt[13, o, p], mt[19, o, p], mt[25, o, p], mt[31, o, p], k)
                    s2 = _at6(mt[2, o, p], mt[8, o, p], mt[14, o, p], mt[20, o, p], mt[26, o, p], mt[32, o, p], k)
                    s3 = _at6(mt[3, o, p], mt[9, o, p], mt[15, o, p], mt[21, o, p], mt[27, o, p], mt[33, o, p], k)
                    s4 = _at6(mt[4, o, p], mt[10, o, p], mt[16, o, p], mt[22, o, p], mt[28, o, p], mt[34, o, p], k)
                    s5 = _at6(mt[5, o, p], mt[11, o, p], mt[17, o, p], mt[23, o, p], mt[29, o, p], mt[35, o, p], k)
                    for i in range(min(4, oh - 4 * ty)):  # Y[i, :] = A^T (row i of those), cut at the edge
                        y = _at6(s0[i], s1[i], s2[i], s3[i], s4[i], s5[i], k)
                        for j in range(min(4, ow - 4 * tx)):
                            out[n, o, 4 * ty + i, 4 * tx + j] = y[j]
                    p += 1


@njit_planes
def _untile_adjoint4_loops(g, out, n0, n1, th, tw, k):
    oh, ow = g.shape[2], g.shape[3]
    for o in prange(g.shape[1]):
        block = np.zeros((4, 4), dtype=g.dtype)  # one block of g, zeros past the edge
        p = 0
        for n in range(n0, n1):
            for ty in range(th):
                for tx in range(tw):
                    rows, cols = min(4, oh - 4 * ty), min(4, ow - 4 * tx)
                    if rows < 4 or cols < 4:
                        block[:, :] = 0
                    for i in range(rows):
                        for j in range(cols):
                            block[i, j] = g[n, o, 4 * ty + i, 4 * tx + j]
                    # r_i = A g[i, :]: each row of the block, then dM[:, j] = A (column j of those)
                    r0 = _a6(block[0, 0], block[0, 1], block[0, 2], block[0, 3], k)
                    r1 = _a6(block[1, 0], block[1, 1], block[1, 2], block[1, 3], k)
                    r2 = _a6(block[2, 0], block[2, 1], block[2, 2], block[2, 3], k)
                    r3 = _a6(block[3, 0], block[3, 1], block[3, 2], block[3, 3], k)
                    for j in range(6):
                        d = _a6(r0[j], r1[j], r2[j], r3[j], k)
                        for i in range(6):
                            out[6 * i + j, o, p] = d[i]
                    p += 1


@njit_planes
def _tiles_adjoint4_loops(dv, out, n0, n1, th, tw, k):
    for c in prange(out.shape[1]):
        p = 0
        for n in range(n0, n1):
            pl = out[n, c]
            for ty in range(th):
                for tx in range(tw):
                    # col_j = B dv[:, j]: each column of the tile's gradient
                    col0 = _b6(dv[0, c, p], dv[6, c, p], dv[12, c, p], dv[18, c, p], dv[24, c, p], dv[30, c, p], k)
                    col1 = _b6(dv[1, c, p], dv[7, c, p], dv[13, c, p], dv[19, c, p], dv[25, c, p], dv[31, c, p], k)
                    col2 = _b6(dv[2, c, p], dv[8, c, p], dv[14, c, p], dv[20, c, p], dv[26, c, p], dv[32, c, p], k)
                    col3 = _b6(dv[3, c, p], dv[9, c, p], dv[15, c, p], dv[21, c, p], dv[27, c, p], dv[33, c, p], k)
                    col4 = _b6(dv[4, c, p], dv[10, c, p], dv[16, c, p], dv[22, c, p], dv[28, c, p], dv[34, c, p], k)
                    col5 = _b6(dv[5, c, p], dv[11, c, p], dv[17, c, p], dv[23, c, p], dv[29, c, p], dv[35, c, p], k)
                    for i in range(6):  # dd[i, :] = B (row i of those), added into the window
                        d = _b6(col0[i], col1[i], col2[i], col3[i], col4[i], col5[i], k)
                        for j in range(6):
                            pl[4 * ty + i, 4 * tx + j] += d[j]
                    p += 1


def _constants(dtype):
    """The constants of F(4x4, 3x3)'s transforms in the data's dtype: (2, 4, 5, 8)."""
    return np.array([2, 4, 5, 8], dtype=dtype)


def _run_loops(m, loops2, loops4, a, b, images, tiles):
    """Run F(2x2)'s or F(4x4)'s loops from array a into array b; returns b."""
    if m == 2:
        loops2(a, b, images[0], images[1], tiles[0], tiles[1])
    else:
        loops4(a, b, images[0], images[1], tiles[0], tiles[1], _constants(a.dtype))
    return b


def winograd_tiles_numba(xpad, out, images, m):
    """``winograd_tiles`` compiled (NumPy arrays only)."""
    require_numpy("winograd_tiles_numba", xpad, out)
    tiles = _input_tiles("winograd_tiles", xpad, out, images, m)
    return _run_loops(m, _tiles2_loops, _tiles4_loops, xpad, out, images, tiles)


def winograd_untile_numba(mt, out, images, m):
    """``winograd_untile`` compiled (NumPy arrays only)."""
    require_numpy("winograd_untile_numba", mt, out)
    tiles = _output_tiles("winograd_untile", out, mt, images, m)
    return _run_loops(m, _untile2_loops, _untile4_loops, mt, out, images, tiles)


def winograd_untile_adjoint_numba(g, out, images, m):
    """``winograd_untile_adjoint`` compiled (NumPy arrays only)."""
    require_numpy("winograd_untile_adjoint_numba", g, out)
    tiles = _output_tiles("winograd_untile_adjoint", g, out, images, m)
    return _run_loops(m, _untile_adjoint2_loops, _untile_adjoint4_loops, g, out, images, tiles)


def winograd_tiles_adjoint_numba(dv, out, images, m):
    """``winograd_tiles_adjoint`` compiled (NumPy arrays only)."""
    require_numpy("winograd_tiles_adjoint_numba", dv, out)
    tiles = _input_tiles("winograd_tiles_adjoint", out, dv, images, m)
    return _run_loops(m, _tiles_adjoint2_loops, _tiles_adjoint4_loops, dv, out, images, tiles)
