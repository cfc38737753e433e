"""The compiled loops of kernels/winograd.py's Numba forms (NumPy arrays only): the four
tile transforms of F(2x2, 3x3) and F(4x4, 3x3) as the few operations they are.

Two ways through the tiles, each matching one numbering of the tiles p (kernels/
winograd.py, ``images_inner``):

- **Image by image** (p = (n, ty, tx)): each loop runs over the channels and, within a
  channel, over its images and their tiles in order, doing the two matrix products of a
  tile first along one axis of the tile, then the other. F(4x4)'s rows of BAND_TILES
  tiles or more run a band of six input rows at a time, on SIMD lanes across the tiles.
- **Images innermost** (p = (ty, tx, n); F(4x4), rows of fewer than BAND_TILES tiles,
  at least IMAGES_INNER_MIN images): the same operations on all the images of a tile
  position at once, which the compiler runs on SIMD lanes. A channel's planes are first
  copied into a scratch with the images last (planes[y, x, n]), the transformed rows are
  read and written as contiguous runs of one flat array (``_images_*`` below).

The input of the tile transform is the unpadded x: each plane goes through a scratch whose
border stays zero (the wrapper makes it with ``np.zeros``), so the caller never pads; the
adjoint adds its tiles into such a scratch and copies out the image's part. Loops that
share a scratch from one plane to the next say ``range``, not ``prange``
(``njit_planes``).
"""
import numpy as np

from tinygrad_edu.kernels._numba import njit_inline, njit_planes, prange


# A plane into, or out of, its place in a scratch plane, a row slice at a time. Each is a
# function of its own, called, not inlined (``njit_inline``): inlined into the loops, its
# stores kept the compiler from running the band loops of ``_tiles4_loops`` on SIMD lanes
# (a slice of 14 images of 32 channels, 16x16: 207 us against 145; one function for both
# ways, or slice assignments, 198-284; measured).
@njit_planes
def _pad_into(img, plane, ph, pw):
    """plane[ph + y, pw + x] = img[y, x]."""
    for y in range(img.shape[0]):
        row, line = plane[ph + y, pw : pw + img.shape[1]], img[y]
        for x in range(img.shape[1]):
            row[x] = line[x]


@njit_planes
def _crop_from(plane, img, ph, pw):
    """img[y, x] = plane[ph + y, pw + x]."""
    for y in range(img.shape[0]):
        row, line = plane[ph + y, pw : pw + img.shape[1]], img[y]
        for x in range(img.shape[1]):
            line[x] = row[x]


# --------------------------------------------------------------------- image by image
# F(2x2, 3x3): B^T and A^T hold only 0, 1 and -1, so the products are additions,
# written out element by element.
@njit_planes
def _tiles2_loops(src, out, n0, n1, th, tw, ph, pw, plane):
    for c in range(src.shape[1]):
        p = 0
        for n in range(n0, n1):
            _pad_into(src[n, c], plane, ph, pw)  # its border stays zero
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
def _tiles_adjoint2_loops(dv, out, n0, n1, th, tw, ph, pw, plane):
    for c in range(out.shape[1]):
        p = 0
        for n in range(n0, n1):
            plane[:, :] = 0  # the tiles add into it
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
            _crop_from(plane, out[n, c], ph, pw)  # the padding cut off


# F(4x4, 3x3): a 6x6 tile is too many elements to write out one by one, so each 1-D
# transform (a matrix times a vector) is a small helper, applied to the columns of the tile
# and then to the rows of the result, compiled into the loops (``njit_inline``). The
# constants 2, 4, 5 and 8 come in the array ``k`` in the data's dtype (a Python number
# would make Numba compute float32 data in float64), read once per call into the numbers
# the helpers take: read from the array inside a loop that also stores, the compiler must
# assume a store may change them, reloads them and does not run the loop on SIMD lanes
# (the band loops of ``_tiles4_loops`` 1.5x slower, a pass of the images-innermost ones
# 1.9x; measured).
@njit_inline
def _bt6(d0, d1, d2, d3, d4, d5, two, four, five):
    """B^T d for F(4x4, 3x3): rows (4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
    (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1)."""
    return (four * d0 - five * d2 + d4, (d3 + d4) - four * (d1 + d2), (d4 - d3) + four * (d1 - d2),
            (d4 - d2) + two * (d3 - d1), (d4 - d2) - two * (d3 - d1), four * d1 - five * d3 + d5)


@njit_inline
def _b6(v0, v1, v2, v3, v4, v5, two, four, five):
    """B v = (B^T)^T v for F(4x4, 3x3): the columns of B^T above as rows."""
    return (four * v0, four * (v2 - v1) + two * (v4 - v3) + four * v5, -five * v0 - four * (v1 + v2) - (v3 + v4),
            (v1 - v2) + two * (v3 - v4) - five * v5, v0 + v1 + v2 + v3 + v4, v5)


@njit_inline
def _at6(m0, m1, m2, m3, m4, m5, two, four, eight):
    """A^T m for F(4x4, 3x3): rows (1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0),
    (0, 1, -1, 8, -8, 1)."""
    even, odd, even2, odd2 = m1 + m2, m1 - m2, m3 + m4, m3 - m4
    return (m0 + even + even2, odd + two * odd2, even + four * even2, odd + eight * odd2 + m5)


@njit_inline
def _a6(g0, g1, g2, g3, two, four, eight):
    """A g = (A^T)^T g for F(4x4, 3x3): the values at the points 0, 1, -1, 2, -2 of the
    polynomial g0 + g1 t + g2 t^2 + g3 t^3, and its leading coefficient."""
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
def _tiles4_loops(src, out, n0, n1, th, tw, k, ph, pw, pl):
    two, four, five = k[0], k[1], k[2]
    for c in range(src.shape[1]):
        band = np.empty((6, 4 * tw + 2), dtype=src.dtype)  # B^T on the columns of one band of rows
        p = 0
        for n in range(n0, n1):
            _pad_into(src[n, c], pl, ph, pw)  # its border stays zero
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
    two, four, eight = k[0], k[1], k[3]
    oh, ow = out.shape[2], out.shape[3]
    for o in prange(mt.shape[1]):
        p = 0
        for n in range(n0, n1):
            for ty in range(th):
                for tx in range(tw):
                    # s_j = A^T mt[:, j]: each column of the transformed tile
                    s0 = _at6(mt[0, o, p], mt[6, o, p], mt[12, o, p], mt[18, o, p], mt[24, o, p], mt[30, o, p], two, four, eight)
                    s1 = _at6(mt[1, o, p], mt[7, o, p], mt[13, o, p], mt[19, o, p], mt[25, o, p], mt[31, o, p], two, four, eight)
                    s2 = _at6(mt[2, o, p], mt[8, o, p], mt[14, o, p], mt[20, o, p], mt[26, o, p], mt[32, o, p], two, four, eight)
                    s3 = _at6(mt[3, o, p], mt[9, o, p], mt[15, o, p], mt[21, o, p], mt[27, o, p], mt[33, o, p], two, four, eight)
                    s4 = _at6(mt[4, o, p], mt[10, o, p], mt[16, o, p], mt[22, o, p], mt[28, o, p], mt[34, o, p], two, four, eight)
                    s5 = _at6(mt[5, o, p], mt[11, o, p], mt[17, o, p], mt[23, o, p], mt[29, o, p], mt[35, o, p], two, four, eight)
                    for i in range(min(4, oh - 4 * ty)):  # Y[i, :] = A^T (row i of those), cut at the edge
                        y = _at6(s0[i], s1[i], s2[i], s3[i], s4[i], s5[i], two, four, eight)
                        for j in range(min(4, ow - 4 * tx)):
                            out[n, o, 4 * ty + i, 4 * tx + j] = y[j]
                    p += 1


@njit_planes
def _untile_adjoint4_loops(g, out, n0, n1, th, tw, k):
    two, four, eight = k[0], k[1], k[3]
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
                    r0 = _a6(block[0, 0], block[0, 1], block[0, 2], block[0, 3], two, four, eight)
                    r1 = _a6(block[1, 0], block[1, 1], block[1, 2], block[1, 3], two, four, eight)
                    r2 = _a6(block[2, 0], block[2, 1], block[2, 2], block[2, 3], two, four, eight)
                    r3 = _a6(block[3, 0], block[3, 1], block[3, 2], block[3, 3], two, four, eight)
                    for j in range(6):
                        d = _a6(r0[j], r1[j], r2[j], r3[j], two, four, eight)
                        for i in range(6):
                            out[6 * i + j, o, p] = d[i]
                    p += 1


@njit_planes
def _tiles_adjoint4_loops(dv, out, n0, n1, th, tw, k, ph, pw, pl):
    two, four, five = k[0], k[1], k[2]
    for c in range(out.shape[1]):
        p = 0
        for n in range(n0, n1):
            pl[:, :] = 0  # the tiles add into it
            for ty in range(th):
                for tx in range(tw):
                    # col_j = B dv[:, j]: each column of the tile's gradient
                    col0 = _b6(dv[0, c, p], dv[6, c, p], dv[12, c, p], dv[18, c, p], dv[24, c, p], dv[30, c, p], two, four, five)
                    col1 = _b6(dv[1, c, p], dv[7, c, p], dv[13, c, p], dv[19, c, p], dv[25, c, p], dv[31, c, p], two, four, five)
                    col2 = _b6(dv[2, c, p], dv[8, c, p], dv[14, c, p], dv[20, c, p], dv[26, c, p], dv[32, c, p], two, four, five)
                    col3 = _b6(dv[3, c, p], dv[9, c, p], dv[15, c, p], dv[21, c, p], dv[27, c, p], dv[33, c, p], two, four, five)
                    col4 = _b6(dv[4, c, p], dv[10, c, p], dv[16, c, p], dv[22, c, p], dv[28, c, p], dv[34, c, p], two, four, five)
                    col5 = _b6(dv[5, c, p], dv[11, c, p], dv[17, c, p], dv[23, c, p], dv[29, c, p], dv[35, c, p], two, four, five)
                    for i in range(6):  # dd[i, :] = B (row i of those), added into the window
                        d = _b6(col0[i], col1[i], col2[i], col3[i], col4[i], col5[i], two, four, five)
                        for j in range(6):
                            pl[4 * ty + i, 4 * tx + j] += d[j]
                    p += 1
            _crop_from(pl, out[n, c], ph, pw)  # the padding cut off


# ----------------------------------------------------------------- images innermost
# F(4x4) on rows of fewer than BAND_TILES tiles (small images) takes the tiles tile by tile
# above: about 26 ns a tile and channel, its twelve 1-D transforms scalar (the course CNN's
# 8x8 layer: 32 images of 2x2 tiles, 32 channels). These loops do a tile position's
# operations for all the images of the slice at once, on SIMD lanes (benchmarks/
# issue14_log.md, "Thirty-eighth session"). Three things keep the compiler on SIMD lanes:
#
# - the transformed array comes as one flat 1-D array ``t`` with the element strides s0
#   (positions) and s1 (channels) (kernels/winograd.py, ``_flat``): row (k, c) starts at
#   k s0 + c s1, and the images of one tile position are a contiguous run of it. Through
#   the 3-D array's run-time strides, or written through six row views of a 2-D array, the
#   same loop stayed scalar, 5x slower;
# - the helpers take their constants as numbers (above);
# - the scratch arrays come from the wrapper. Made in here, they provably alias nothing,
#   and the compiler turns the copy into the images-last planes into vector scatters,
#   2.4x slower on this machine than the plain loop.
@njit_planes
def _images_tiles4_loops(x, out, s0, s1, n0, n1, th, tw, k, ph, pw, planes, cols):
    """V of images n0..n1-1 into ``out`` (flat), images innermost. ``planes``
    (4 TH + 2, 4 TW + 2, n1 - n0), zeros: one channel of the padded images, images last;
    ``cols`` (36, n1 - n0): B^T on the columns of one tile."""
    two, four, five = k[0], k[1], k[2]
    count, h, w = n1 - n0, x.shape[2], x.shape[3]
    inner = planes[ph : ph + h, pw : pw + w]  # the images' place in the zero-bordered planes
    for c in range(x.shape[1]):
        for n in range(count):  # the channel's images, images last
            src = x[n0 + n, c]
            for y in range(h):
                for j in range(w):
                    inner[y, j, n] = src[y, j]
        for ty in range(th):
            for tx in range(tw):
                y, z = 4 * ty, 4 * tx
                for j in range(6):  # cols[6 i + j] = B^T (column j of the tile), every image
                    r0, r1, r2 = planes[y, z + j], planes[y + 1, z + j], planes[y + 2, z + j]
                    r3, r4, r5 = planes[y + 3, z + j], planes[y + 4, z + j], planes[y + 5, z + j]
                    o0, o1, o2, o3, o4, o5 = cols[j], cols[6 + j], cols[12 + j], cols[18 + j], cols[24 + j], cols[30 + j]
                    for n in range(count):
                        o0[n], o1[n], o2[n], o3[n], o4[n], o5[n] = _bt6(r0[n], r1[n], r2[n], r3[n], r4[n], r5[n],
                                                                        two, four, five)
                start = c * s1 + (ty * tw + tx) * count  # this tile position's run in row (0, c)
                for i in range(6):  # V[6 i + j] = B^T (row i of those)
                    r0, r1, r2, r3, r4, r5 = cols[6 * i], cols[6 * i + 1], cols[6 * i + 2], cols[6 * i + 3], cols[6 * i + 4], cols[6 * i + 5]
                    e = start + 6 * i * s0
                    o0, o1, o2 = out[e : e + count], out[e + s0 : e + s0 + count], out[e + 2 * s0 : e + 2 * s0 + count]
                    o3, o4 = out[e + 3 * s0 : e + 3 * s0 + count], out[e + 4 * s0 : e + 4 * s0 + count]
                    o5 = out[e + 5 * s0 : e + 5 * s0 + count]
                    for n in range(count):
                        o0[n], o1[n], o2[n], o3[n], o4[n], o5[n] = _bt6(r0[n], r1[n], r2[n], r3[n], r4[n], r5[n],
                                                                        two, four, five)


@njit_planes
def _images_untile4_loops(mt, s0, s1, out, n0, n1, th, tw, k, rows, blocks, planes):
    """Y = A^T M A of images n0..n1-1 from ``mt`` (flat), images innermost, into ``out``.
    ``rows`` (24, P): A^T on the columns of every tile; ``blocks`` (16 P,): the output
    blocks, pixel by pixel; ``planes`` (4 TH, 4 TW, n1 - n0): one channel, images last."""
    two, four, eight = k[0], k[1], k[3]
    count, oh, ow = n1 - n0, out.shape[2], out.shape[3]
    p = th * tw * count
    for o in range(out.shape[1]):
        for j in range(6):  # rows[4 j + i] = A^T (column j of every tile)
            e = o * s1 + j * s0
            m0, m1, m2 = mt[e : e + p], mt[e + 6 * s0 : e + 6 * s0 + p], mt[e + 12 * s0 : e + 12 * s0 + p]
            m3, m4, m5 = mt[e + 18 * s0 : e + 18 * s0 + p], mt[e + 24 * s0 : e + 24 * s0 + p], mt[e + 30 * s0 : e + 30 * s0 + p]
            a0, a1, a2, a3 = rows[4 * j], rows[4 * j + 1], rows[4 * j + 2], rows[4 * j + 3]
            for q in range(p):
                a0[q], a1[q], a2[q], a3[q] = _at6(m0[q], m1[q], m2[q], m3[q], m4[q], m5[q], two, four, eight)
        for i in range(4):  # pixel (i, j) of every block = A^T (row i of those)
            c0, c1, c2, c3, c4, c5 = rows[i], rows[4 + i], rows[8 + i], rows[12 + i], rows[16 + i], rows[20 + i]
            e = 4 * i * p
            y0, y1, y2, y3 = blocks[e : e + p], blocks[e + p : e + 2 * p], blocks[e + 2 * p : e + 3 * p], blocks[e + 3 * p : e + 4 * p]
            for q in range(p):
                y0[q], y1[q], y2[q], y3[q] = _at6(c0[q], c1[q], c2[q], c3[q], c4[q], c5[q], two, four, eight)
        for ty in range(th):  # each block into its place in the images-last planes
            for tx in range(tw):
                start = (ty * tw + tx) * count
                for i in range(4):
                    for j in range(4):
                        dst, src = planes[4 * ty + i, 4 * tx + j], blocks[(4 * i + j) * p + start :]
                        for n in range(count):
                            dst[n] = src[n]
        for n in range(count):  # and out of them, cut at the edge
            dst = out[n0 + n, o]
            for y in range(oh):
                for j in range(ow):
                    dst[y, j] = planes[y, j, n]


@njit_planes
def _images_untile_adjoint4_loops(g, out, s0, s1, n0, n1, th, tw, k, planes, rows):
    """dM = A gt A^T of images n0..n1-1 of g into ``out`` (flat), images innermost.
    ``planes`` (4 TH, 4 TW, n1 - n0), zeros: one channel of g, images last (past the edge
    it stays zero); ``rows`` (24, P): A on the rows of every block."""
    two, four, eight = k[0], k[1], k[3]
    count, oh, ow = n1 - n0, g.shape[2], g.shape[3]
    p = th * tw * count
    for o in range(g.shape[1]):
        for n in range(count):  # the channel's gradients, images last
            src = g[n0 + n, o]
            for y in range(oh):
                for j in range(ow):
                    planes[y, j, n] = src[y, j]
        for ty in range(th):
            for tx in range(tw):
                start = (ty * tw + tx) * count
                y, z = 4 * ty, 4 * tx
                for i in range(4):  # rows[6 i + j] = A (row i of the block)
                    g0, g1, g2, g3 = planes[y + i, z], planes[y + i, z + 1], planes[y + i, z + 2], planes[y + i, z + 3]
                    r = rows[6 * i : 6 * i + 6, start : start + count]
                    for n in range(count):
                        a = _a6(g0[n], g1[n], g2[n], g3[n], two, four, eight)
                        r[0, n], r[1, n], r[2, n], r[3, n], r[4, n], r[5, n] = a
        for j in range(6):  # dM[6 i + j] = A (column j of those), every tile
            r0, r1, r2, r3 = rows[j], rows[6 + j], rows[12 + j], rows[18 + j]
            e = o * s1 + j * s0
            d0, d1, d2 = out[e : e + p], out[e + 6 * s0 : e + 6 * s0 + p], out[e + 12 * s0 : e + 12 * s0 + p]
            d3, d4, d5 = out[e + 18 * s0 : e + 18 * s0 + p], out[e + 24 * s0 : e + 24 * s0 + p], out[e + 30 * s0 : e + 30 * s0 + p]
            for q in range(p):
                d0[q], d1[q], d2[q], d3[q], d4[q], d5[q] = _a6(r0[q], r1[q], r2[q], r3[q], two, four, eight)


@njit_planes
def _images_tiles_adjoint4_loops(dv, s0, s1, out, n0, n1, th, tw, k, ph, pw, cols, rows, planes):
    """dL/dx of images n0..n1-1 from dV (flat), images innermost, into ``out``. ``cols``
    (36, P): B on the columns of every tile; ``rows`` (36 P,): the tiles' gradients,
    position by position; ``planes`` (4 TH + 2, 4 TW + 2, n1 - n0): one channel of the
    padded gradient, images last."""
    two, four, five = k[0], k[1], k[2]
    count, h, w = n1 - n0, out.shape[2], out.shape[3]
    p = th * tw * count
    inner = planes[ph : ph + h, pw : pw + w]
    for c in range(out.shape[1]):
        for j in range(6):  # cols[6 j + i] = B (column j of every tile)
            e = c * s1 + j * s0
            v0, v1, v2 = dv[e : e + p], dv[e + 6 * s0 : e + 6 * s0 + p], dv[e + 12 * s0 : e + 12 * s0 + p]
            v3, v4, v5 = dv[e + 18 * s0 : e + 18 * s0 + p], dv[e + 24 * s0 : e + 24 * s0 + p], dv[e + 30 * s0 : e + 30 * s0 + p]
            a0, a1, a2, a3, a4, a5 = cols[6 * j], cols[6 * j + 1], cols[6 * j + 2], cols[6 * j + 3], cols[6 * j + 4], cols[6 * j + 5]
            for q in range(p):
                a0[q], a1[q], a2[q], a3[q], a4[q], a5[q] = _b6(v0[q], v1[q], v2[q], v3[q], v4[q], v5[q], two, four, five)
        for i in range(6):  # pixel (i, j) of every tile's gradient = B (row i of those)
            c0, c1, c2, c3, c4, c5 = cols[i], cols[6 + i], cols[12 + i], cols[18 + i], cols[24 + i], cols[30 + i]
            e = 6 * i * p
            d0, d1, d2 = rows[e : e + p], rows[e + p : e + 2 * p], rows[e + 2 * p : e + 3 * p]
            d3, d4, d5 = rows[e + 3 * p : e + 4 * p], rows[e + 4 * p : e + 5 * p], rows[e + 5 * p : e + 6 * p]
            for q in range(p):
                d0[q], d1[q], d2[q], d3[q], d4[q], d5[q] = _b6(c0[q], c1[q], c2[q], c3[q], c4[q], c5[q], two, four, five)
        planes[:, :, :] = 0  # the tiles add into it
        for ty in range(th):  # each tile's gradient added into its (overlapping) window
            for tx in range(tw):
                start = (ty * tw + tx) * count
                for i in range(6):
                    for j in range(6):
                        dst, src = planes[4 * ty + i, 4 * tx + j], rows[(6 * i + j) * p + start :]
                        for n in range(count):
                            dst[n] += src[n]
        for n in range(count):  # each image's part of its windows: the padding cut off
            dst = out[n0 + n, c]
            for y in range(h):
                for j in range(w):
                    dst[y, j] = inner[y, j, n]
