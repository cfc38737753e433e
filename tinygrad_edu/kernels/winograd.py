"""The four tile transforms of Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016,
"Fast algorithms for convolutional neural networks").

A 3x3 convolution computes each 2x2 block of output pixels from a 4x4 tile d of the
(padded) input: 36 multiplications per input channel done directly. Winograd's algorithm
needs 16:

    Y = A^T [ (G w G^T) * (B^T d B) ] A          (* elementwise; Y 2x2, w 3x3, d 4x4)

    B^T = [[1, 0, -1,  0],     G = [[1,    0,    0  ],     A^T = [[1, 1,  1,  0],
           [0, 1,  1,  0],          [1/2,  1/2,  1/2],            [0, 1, -1, -1]]
           [0, -1, 1,  0],          [1/2, -1/2,  1/2],
           [0, 1,  0, -1]]          [0,    0,    1  ]]

The transforms B^T d B and A^T m A are additions only. Summed over the input channels,
the 16 products U * V of each tile become 16 matrix products, one per position (a, b)
of the 4x4 transformed tile:

    M[a, b] (OC, P) = U[a, b] (OC, C) @ V[a, b] (C, P)       P = the tiles of the batch

with U = G w G^T per (o, c) and V = B^T d B per (c, tile). That is 16 * OC * C * P
multiply-adds for 4P output pixels, against 9 * OC * C * 4P for im2col: 2.25x fewer
(ops/winograd.py puts the pieces together).

The layout of the transformed tiles here is (16, C, P): position a*4 + b first, then the
channel, then the tile p = ((n - n0) * TH + ty) * TW + tx, so that each M[a, b] is one
GEMM over contiguous rows. A tile (ty, tx) reads the padded input rows 2ty..2ty+3 and
columns 2tx..2tx+3 (tiles overlap by two pixels); the caller pads the input to
(2TH + 2, 2TW + 2) with TH, TW = ceil(OH / 2), ceil(OW / 2).

The backward needs the adjoints (transposes) of the two data transforms:

- ``winograd_tiles``:          V = B^T d B          of each input tile;
- ``winograd_untile``:         Y = A^T m A          each 2x2 output block (cut at the edge);
- ``winograd_untile_adjoint``: dM = A g A^T         of each 2x2 block of dL/dY (zeros past the edge);
- ``winograd_tiles_adjoint``:  dd = B dV B^T        added into the overlapping input tiles.

Three forms of each, proven equal by tests/kernels/test_winograd.py: ``*_reference`` (loops
with the matrices, for reading), the vectorised form (NumPy or CuPy) and ``*_numba``
(the additions written out, NumPy only).
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_planes, prange, require_numpy

B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)


def tile_grid(out_hw):
    """(TH, TW): the 2x2 output blocks that cover an (OH, OW) output."""
    return (out_hw[0] + 1) // 2, (out_hw[1] + 1) // 2


def _check(kernel, images, n, p, tiles):
    n0, n1 = images
    if not 0 <= n0 < n1 <= n:
        raise ValueError(f"{kernel}: images must be (start, stop) with 0 <= start < stop <= {n}, got {images}")
    if p != (n1 - n0) * tiles[0] * tiles[1]:
        raise ValueError(
            f"{kernel}: the transformed array has {p} tiles, but images {images} of {tiles[0]}x{tiles[1]} tiles "
            f"have {(n1 - n0) * tiles[0] * tiles[1]}"
        )


def _padded_tiles(xpad):
    th, tw = (xpad.shape[2] - 2) // 2, (xpad.shape[3] - 2) // 2
    if xpad.shape[2] != 2 * th + 2 or xpad.shape[3] != 2 * tw + 2 or th < 1 or tw < 1:
        raise ValueError(f"winograd: the padded input must be (N, C, 2*TH + 2, 2*TW + 2), got {xpad.shape}")
    return th, tw


# -------------------------------------------------------------------- reference (loops)
def winograd_tiles_reference(xpad, out, images):
    """out[:, c, p] = (B^T d B).ravel() for the 4x4 tile d of images[0]..images[1]-1 at tile p."""
    th, tw = _padded_tiles(xpad)
    _check("winograd_tiles", images, xpad.shape[0], out.shape[2], (th, tw))
    b_t = B_T.astype(xpad.dtype)
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for c in range(xpad.shape[1]):
                    d = xpad[n, c, 2 * ty : 2 * ty + 4, 2 * tx : 2 * tx + 4]
                    out[:, c, p] = (b_t @ d @ b_t.T).reshape(16)
                p += 1
    return out


def winograd_untile_reference(m, out, images):
    """out[n, o, 2ty:2ty+2, 2tx:2tx+2] = A^T m A for the tile p of (n, ty, tx), cut at the
    edge of out (N, OC, OH, OW)."""
    oh, ow = out.shape[2:]
    th, tw = tile_grid((oh, ow))
    _check("winograd_untile", images, out.shape[0], m.shape[2], (th, tw))
    a_t = A_T.astype(m.dtype)
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for o in range(m.shape[1]):
                    y = a_t @ m[:, o, p].reshape(4, 4) @ a_t.T
                    rows, cols = min(2, oh - 2 * ty), min(2, ow - 2 * tx)
                    out[n, o, 2 * ty : 2 * ty + rows, 2 * tx : 2 * tx + cols] = y[:rows, :cols]
                p += 1
    return out


def winograd_untile_adjoint_reference(g, out, images):
    """out[:, o, p] = (A gt A^T).ravel() for the 2x2 block gt of g (N, OC, OH, OW) at tile
    p, zeros past the edge: the adjoint of ``winograd_untile``."""
    oh, ow = g.shape[2:]
    th, tw = tile_grid((oh, ow))
    _check("winograd_untile_adjoint", images, g.shape[0], out.shape[2], (th, tw))
    a_t = A_T.astype(g.dtype)
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for o in range(g.shape[1]):
                    block = np.zeros((2, 2), dtype=g.dtype)
                    rows, cols = min(2, oh - 2 * ty), min(2, ow - 2 * tx)
                    block[:rows, :cols] = g[n, o, 2 * ty : 2 * ty + rows, 2 * tx : 2 * tx + cols]
                    out[:, o, p] = (a_t.T @ block @ a_t).reshape(16)
                p += 1
    return out


def winograd_tiles_adjoint_reference(dv, out, images):
    """out[n, c, 2ty:2ty+4, 2tx:2tx+4] += B dv B^T for the tile p of (n, ty, tx): the
    adjoint of ``winograd_tiles`` (overlapping tiles add up). ``out`` is the padded input
    gradient (N, C, 2TH + 2, 2TW + 2)."""
    th, tw = _padded_tiles(out)
    _check("winograd_tiles_adjoint", images, out.shape[0], dv.shape[2], (th, tw))
    b_t = B_T.astype(dv.dtype)
    p = 0
    for n in range(*images):
        for ty in range(th):
            for tx in range(tw):
                for c in range(out.shape[1]):
                    out[n, c, 2 * ty : 2 * ty + 4, 2 * tx : 2 * tx + 4] += b_t.T @ dv[:, c, p].reshape(4, 4) @ b_t
                p += 1
    return out


# -------------------------------------------------------------- vectorised (NumPy or CuPy)
def _as_tiles(t, n, th, tw):
    """(16, C, P) with P = (n, TH, TW) -> (n, C, TH, TW, 4, 4): each tile a 4x4 matrix."""
    return t.reshape(4, 4, t.shape[1], n, th, tw).transpose(3, 2, 4, 5, 0, 1)


def _from_tiles(tiles, out):
    """(n, C, TH, TW, 4, 4) -> out (16, C, P), one copy."""
    n, c, th, tw = tiles.shape[:4]
    out[...] = tiles.transpose(4, 5, 1, 0, 2, 3).reshape(16, c, n * th * tw)
    return out


def winograd_tiles(xpad, out, images):
    """V = B^T d B of every 4x4 tile d, as one batched matrix product (see ``*_reference``)."""
    xp = get_array_module(xpad, out)
    th, tw = _padded_tiles(xpad)
    _check("winograd_tiles", images, xpad.shape[0], out.shape[2], (th, tw))
    x = xpad[images[0] : images[1]]
    # d[n, c, ty, tx, i, j] = x[n, c, 2ty + i, 2tx + j], from 16 strided slices
    d = xp.stack([xp.stack([x[:, :, i : i + 2 * th : 2, j : j + 2 * tw : 2] for j in range(4)], axis=-1)
                  for i in range(4)], axis=-2)
    b_t = xp.asarray(B_T, dtype=xpad.dtype)
    return _from_tiles(b_t @ d @ b_t.T, out)


def winograd_untile(m, out, images):
    """Y = A^T m A of every tile, written as 2x2 blocks into out (N, OC, OH, OW)."""
    xp = get_array_module(m, out)
    n, oc, oh, ow = out.shape
    th, tw = tile_grid((oh, ow))
    _check("winograd_untile", images, n, m.shape[2], (th, tw))
    a_t = xp.asarray(A_T, dtype=m.dtype)
    y = a_t @ _as_tiles(m, images[1] - images[0], th, tw) @ a_t.T  # (n, OC, TH, TW, 2, 2)
    y = y.transpose(0, 1, 2, 4, 3, 5).reshape(-1, oc, 2 * th, 2 * tw)
    out[images[0] : images[1]] = y[:, :, :oh, :ow]
    return out


def winograd_untile_adjoint(g, out, images):
    """dM = A gt A^T of every 2x2 block gt of g (zeros past the edge), into out (16, OC, P)."""
    xp = get_array_module(g, out)
    n, oc, oh, ow = g.shape
    th, tw = tile_grid((oh, ow))
    _check("winograd_untile_adjoint", images, n, out.shape[2], (th, tw))
    count = images[1] - images[0]
    blocks = xp.zeros((count, oc, 2 * th, 2 * tw), dtype=g.dtype)
    blocks[:, :, :oh, :ow] = g[images[0] : images[1]]
    blocks = blocks.reshape(count, oc, th, 2, tw, 2).transpose(0, 1, 2, 4, 3, 5)  # (n, OC, TH, TW, 2, 2)
    a_t = xp.asarray(A_T, dtype=g.dtype)
    return _from_tiles(a_t.T @ blocks @ a_t, out)


def winograd_tiles_adjoint(dv, out, images):
    """out += B dV B^T of every tile, added into its (overlapping) 4x4 window."""
    xp = get_array_module(dv, out)
    th, tw = _padded_tiles(out)
    _check("winograd_tiles_adjoint", images, out.shape[0], dv.shape[2], (th, tw))
    b_t = xp.asarray(B_T, dtype=dv.dtype)
    dd = b_t.T @ _as_tiles(dv, images[1] - images[0], th, tw) @ b_t  # (n, C, TH, TW, 4, 4)
    x = out[images[0] : images[1]]
    for i in range(4):  # 16 strided adds; within one of them no two tiles meet
        for j in range(4):
            x[:, :, i : i + 2 * th : 2, j : j + 2 * tw : 2] += dd[..., i, j]
    return out


# ------------------------------------------------------------- Numba (NumPy arrays only)
# The matrix products written out as the additions they are (B^T and A^T hold only 0, 1
# and -1), rows first, then columns. Each loop runs over the channels (prange: no two
# iterations write the same element) and, within a channel, over the tiles in order.
@njit_planes
def _tiles_loops(xpad, out, n0, n1, th, tw):
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


def winograd_tiles_numba(xpad, out, images):
    """``winograd_tiles`` compiled (NumPy arrays only)."""
    require_numpy("winograd_tiles_numba", xpad, out)
    th, tw = _padded_tiles(xpad)
    _check("winograd_tiles", images, xpad.shape[0], out.shape[2], (th, tw))
    _tiles_loops(xpad, out, images[0], images[1], th, tw)
    return out


@njit_planes
def _untile_loops(m, out, n0, n1, th, tw):
    oh, ow = out.shape[2], out.shape[3]
    for o in prange(m.shape[1]):
        p = 0
        for n in range(n0, n1):
            for ty in range(th):
                y = 2 * ty
                for tx in range(tw):
                    x = 2 * tx
                    # s = A^T m: rows m0 + m1 + m2, m1 - m2 - m3
                    s00 = m[0, o, p] + m[4, o, p] + m[8, o, p]
                    s01 = m[1, o, p] + m[5, o, p] + m[9, o, p]
                    s02 = m[2, o, p] + m[6, o, p] + m[10, o, p]
                    s03 = m[3, o, p] + m[7, o, p] + m[11, o, p]
                    s10 = m[4, o, p] - m[8, o, p] - m[12, o, p]
                    s11 = m[5, o, p] - m[9, o, p] - m[13, o, p]
                    s12 = m[6, o, p] - m[10, o, p] - m[14, o, p]
                    s13 = m[7, o, p] - m[11, o, p] - m[15, o, p]
                    # Y = s A: columns s0 + s1 + s2, s1 - s2 - s3; the block cut at the edge
                    out[n, o, y, x] = s00 + s01 + s02
                    if x + 1 < ow:
                        out[n, o, y, x + 1] = s01 - s02 - s03
                    if y + 1 < oh:
                        out[n, o, y + 1, x] = s10 + s11 + s12
                        if x + 1 < ow:
                            out[n, o, y + 1, x + 1] = s11 - s12 - s13
                    p += 1


def winograd_untile_numba(m, out, images):
    """``winograd_untile`` compiled (NumPy arrays only)."""
    require_numpy("winograd_untile_numba", m, out)
    th, tw = tile_grid(out.shape[2:])
    _check("winograd_untile", images, out.shape[0], m.shape[2], (th, tw))
    _untile_loops(m, out, images[0], images[1], th, tw)
    return out


@njit_planes
def _untile_adjoint_loops(g, out, n0, n1, th, tw):
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


def winograd_untile_adjoint_numba(g, out, images):
    """``winograd_untile_adjoint`` compiled (NumPy arrays only)."""
    require_numpy("winograd_untile_adjoint_numba", g, out)
    th, tw = tile_grid(g.shape[2:])
    _check("winograd_untile_adjoint", images, g.shape[0], out.shape[2], (th, tw))
    _untile_adjoint_loops(g, out, images[0], images[1], th, tw)
    return out


@njit_planes
def _tiles_adjoint_loops(dv, out, n0, n1, th, tw):
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


def winograd_tiles_adjoint_numba(dv, out, images):
    """``winograd_tiles_adjoint`` compiled (NumPy arrays only)."""
    require_numpy("winograd_tiles_adjoint_numba", dv, out)
    th, tw = _padded_tiles(out)
    _check("winograd_tiles_adjoint", images, out.shape[0], dv.shape[2], (th, tw))
    _tiles_adjoint_loops(dv, out, images[0], images[1], th, tw)
    return out
