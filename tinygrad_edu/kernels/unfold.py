"""im2col and col2im: convolution as one matrix multiply (PyTorch calls them unfold/fold).

im2col copies every k_h x k_w window of the (zero-padded) input into its own column::

    cols[c, i, j, n, oy, ox] = xpad[n, c, oy*s_h + i*d_h, ox*s_w + j*d_w]

where ``xpad`` is ``x`` with ``p_h``/``p_w`` zeros on each side.

Why this layout, (C, kh, kw, N, OH, OW) ("K-major")? Read as a matrix it is
(K, N*L) with K = C*kh*kw (one row per weight tap, in the weight's own order
(OC, C, kh, kw)) and L = OH*OW, so the whole batch's convolution is ONE matrix
product, a single large GEMM that BLAS runs near its peak::

    out = W.reshape(OC, K) @ cols.reshape(K, N*L)       # (OC, N*L), then (N, OC, OH, OW)

and so are both gradients (g = dL/dout, as (OC, N*L))::

    dcols = W.reshape(OC, K).T @ g        (K, N*L), folded back by col2im: dL/dx
    dW    = g @ cols.reshape(K, N*L).T    (OC, K)

Grouped convolution only splits the leading C into (G, C/G), a reshape with no copy::

    out = W.reshape(G, OC/G, K/G) @ cols.reshape(G, K/G, N*L)

(ops/conv.py builds the columns for a slice of the batch at a time, to bound memory;
each slice is still one GEMM per group.)

The image-major alternative (N, C, kh, kw, OH, OW) makes the weight a matrix shared
by N small products (``W @ cols[n]``): the same FLOPs, but N BLAS calls, and on a busy
machine every multi-threaded call waits for its slowest thread (measured for N=32,
64->64 channels, 32x32, 3x3 on 2 shared cores: 1.8-10x slower than one GEMM, equal
with one BLAS thread). Its weight gradient also needs the columns transposed to
K-major, a 9x-input-sized copy. The price of K-major is one cheap transpose of
image-sized arrays: the input when the columns are built, and the (OC, N, OH, OW)
product back to (N, OC, OH, OW).

col2im is the adjoint (transpose) of im2col: every column entry is added back to the
input pixel it was copied from (overlapping windows add up) and the padding is cut
off. It gives the convolution's input gradient, and is the forward of a transposed
convolution.

Small images, images last. With 4x4 outputs a column row of one image is 4 entries, and
im2col's cost is its loop overhead per row (1.36 ns per entry at 4x4 against 0.18 at
32x32, one thread). ``im2col_images_last`` writes the same columns as (C, kh, kw, OH, OW,
N): the innermost run is then the images of the batch slice (16 or more for the small
CNN's 4x4 layers), copied from an input transposed once to (C, H, W, N) (5-8x faster at
4x4, measured; ops/conv.py picks the layout per convolution). The matrix is still
(K, N*L), its columns in (pixel, image) order instead of (image, pixel).
``col2im_images_last`` is its adjoint, for the input gradient of such a convolution
(32 images of 32 channels at 4x4, one thread: 161 -> 30 us against ``col2im``).

Three forms of each kernel, proven equal by tests/kernels/test_im2col.py:
``*_reference`` (loops, for reading), the vectorised form (NumPy or CuPy, the one the
ops call) and ``*_numba`` (compiled loops, NumPy only).
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_inline, njit_planes, require_numpy
from tinygrad_edu.kernels.sizes import output_size


def conv_output_hw(input_hw, kernel_size, stride, padding, dilation):
    """(OH, OW) of a convolution over an (H, W) input."""
    # the two dims written out: a convolution asks this ~5 times a call (a generator
    # over zip cost ~1 us more each time)
    return (output_size(input_hw[0], kernel_size[0], stride[0], padding[0], dilation[0]),
            output_size(input_hw[1], kernel_size[1], stride[1], padding[1], dilation[1]))


# ----------------------------------------------------------------------------- reference


def im2col_reference(x, kernel_size, stride, padding, dilation):
    """im2col with one loop per index (NumPy input): read this one."""
    # BEGIN SOLUTION task 3.1
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    cols = np.zeros((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for ch, i, j, b, oy, ox in np.ndindex(cols.shape):
        row = oy * sh - ph + i * dh  # input pixel under tap (i, j) of window (oy, ox)
        col = ox * sw - pw + j * dw
        if 0 <= row < h and 0 <= col < w:  # outside: a padding zero
            cols[ch, i, j, b, oy, ox] = x[b, ch, row, col]
    return cols
    # END SOLUTION


def im2col_images_last_reference(x, kernel_size, stride, padding, dilation):
    """:func:`im2col_reference` with the images last: cols[c, i, j, oy, ox, n]."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    cols = np.zeros((c, kh, kw, oh, ow, n), dtype=x.dtype)
    for ch, i, j, oy, ox, b in np.ndindex(cols.shape):
        row = oy * sh - ph + i * dh
        col = ox * sw - pw + j * dw
        if 0 <= row < h and 0 <= col < w:
            cols[ch, i, j, oy, ox, b] = x[b, ch, row, col]
    return cols


def col2im_reference(cols, input_shape, kernel_size, stride, padding, dilation):
    """col2im with one loop per index: the adjoint of :func:`im2col_reference`.

    Where im2col reads ``x[row, col]`` into a column entry, col2im adds the column
    entry back into ``x[row, col]``; padding taps are dropped.
    """
    # BEGIN SOLUTION task 3.2
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    x = np.zeros(input_shape, dtype=cols.dtype)
    for ch, i, j, b, oy, ox in np.ndindex(cols.shape):
        row = oy * sh - ph + i * dh
        col = ox * sw - pw + j * dw
        if 0 <= row < h and 0 <= col < w:
            x[b, ch, row, col] += cols[ch, i, j, b, oy, ox]
    return x
    # END SOLUTION


def col2im_images_last_reference(cols, input_shape, kernel_size, stride, padding, dilation):
    """:func:`col2im_reference` of columns with the images last, cols[c, i, j, oy, ox, n]
    (the adjoint of :func:`im2col_images_last_reference`): the same columns with the
    images moved back to their place before the output pixels, folded."""
    return col2im_reference(np.moveaxis(cols, 5, 3), input_shape, kernel_size, stride, padding, dilation)


# ----------------------------------------------------------------------------- vectorised


def out_array(xp, out, shape, dtype, kernel="im2col"):
    """The array a kernel fills (im2col its columns, col2im its image): ``out`` after
    checking that it can take every entry, or a new one. ``kernel`` names it in the error."""
    if out is None:
        return xp.empty(shape, dtype=dtype)
    if out.shape != tuple(shape) or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(
            f"{kernel}: out must be a C-contiguous {dtype} array of shape {tuple(shape)}, got {out.dtype} {out.shape}"
            f"{'' if out.flags.c_contiguous else ' (not C-contiguous)'}"
        )
    return out


def _band(rows, oh):
    """(start, stop) of the output rows to build: ``rows`` checked, or all of them."""
    if rows is None:
        return 0, oh
    if len(rows) != 2 or not all(isinstance(r, (int, np.integer)) for r in rows) or not 0 <= rows[0] < rows[1] <= oh:
        raise ValueError(f"im2col: rows must be (start, stop) with 0 <= start < stop <= {oh} (the output rows), got {rows}")
    return int(rows[0]), int(rows[1])


def im2col(x, kernel_size, stride, padding, dilation, out=None, rows=None):
    """x (N, C, H, W) -> cols (C, kh, kw, N, OH, OW), zero padding.

    The input is first copied once, channels first and zero-padded, to
    (C, N, H + 2p_h, W + 2p_w) (the rows of it that the windows read). Then one
    strided slice per kernel tap (i, j): tap (i, j) of all windows at once is that
    padded input sampled every ``stride`` pixels starting at ``(i*d_h, j*d_w)``. That
    is kh*kw array copies, whatever the image size. ``out``: a C-contiguous array of
    the columns' shape to fill instead of a new one (every entry is written).

    ``rows=(start, stop)``: only the columns of output rows start..stop-1, a *band*
    (C, kh, kw, N, stop - start, OW), i.e. ``im2col(x, ...)[:, :, :, :, start:stop]``.
    ops/conv.py builds a large image's columns a band at a time, so that they are
    still in the core's cache when the GEMM reads them. Only the input rows the band
    reads are copied.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    start, stop = _band(rows, oh)
    bh = stop - start
    first = start * sh - ph  # the input rows the band reads: first..end-1 (negative: the padding)
    end = (stop - 1) * sh - ph + (kh - 1) * dh + 1
    lo = max(first, 0)  # lo..hi-1: those that are pixels of x (none: hi = lo, not a negative index)
    hi = max(lo, min(end, h))
    xpad = xp.zeros((c, n, end - first, w + 2 * pw), dtype=x.dtype)
    xpad[:, :, lo - first : hi - first, pw : pw + w] = xp.swapaxes(x[:, :, lo:hi], 0, 1)  # transpose, pad: one copy
    cols = out_array(xp, out, (c, kh, kw, n, bh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, i, j] = xpad[:, :, top : top + sh * (bh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw]
    return cols


def im2col_images_last(x, kernel_size, stride, padding, dilation, out=None):
    """x (N, C, H, W) -> cols (C, kh, kw, OH, OW, N): :func:`im2col` with the images
    last. The same strided slice per tap, of the input copied once to (C, H + 2p_h,
    W + 2p_w, N)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    xpad = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    xpad[:, ph : ph + h, pw : pw + w] = xp.transpose(x, (1, 2, 3, 0))  # transpose and pad in one copy
    cols = out_array(xp, out, (c, kh, kw, oh, ow, n), x.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, i, j] = xpad[:, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw]
    return cols


def col2im(cols, input_shape, kernel_size, stride, padding, dilation, out=None):
    """cols (C, kh, kw, N, OH, OW) -> (N, C, H, W): the adjoint of :func:`im2col`.

    The same slice loop with ``+=`` into a channels-first padded image: within one
    tap (i, j) the strided slice hits distinct pixels, so a slice ``+=`` is exact;
    overlaps between windows come from different taps and are summed by the loop.
    Then the padding is cut off and the image transposed back to (N, C, H, W).
    ``out``: a C-contiguous array of the image's shape to write instead of returning
    a new one (ops/conv.py writes each batch slice straight into the gradient).
    """
    xp = get_array_module(cols)
    if out is not None:  # checked before the work, not after it
        out_array(xp, out, input_shape, cols.dtype, "col2im")
    n, c, h, w = input_shape
    kh, kw, _, oh, ow = cols.shape[1:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xpad = xp.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            xpad[:, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw] += cols[:, i, j]
    x = xp.swapaxes(xpad[:, :, ph : ph + h, pw : pw + w], 0, 1)
    if out is None:
        return x  # a view: the caller's copy transposes
    out[...] = x
    return out


def col2im_images_last(cols, input_shape, kernel_size, stride, padding, dilation, out=None):
    """cols (C, kh, kw, OH, OW, N) -> (N, C, H, W): :func:`col2im` of columns with the
    images last, the adjoint of :func:`im2col_images_last`. The taps are added into one
    padded (C, H + 2p_h, W + 2p_w, N) image, which is cut and transposed back at the end."""
    xp = get_array_module(cols)
    if out is not None:
        out_array(xp, out, input_shape, cols.dtype, "col2im_images_last")
    n, c, h, w = input_shape
    kh, kw, oh, ow = cols.shape[1:5]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xpad = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            xpad[:, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw] += cols[:, i, j]
    x = xp.transpose(xpad[:, ph : ph + h, pw : pw + w], (3, 0, 1, 2))
    if out is None:
        return x  # a view: the caller's copy transposes
    out[...] = x
    return out


# ----------------------------------------------------------------------------- numba


# The compiled loops below do not read the padded image with a stride. They first split
# it into its s_h x s_w *phases*: phase (a, b) holds the padded pixels at rows a, a + s_h,
# ... and columns b, b + s_w, ... (one phase, the padded image itself, at stride 1).
# Window (oy, ox) reads padded pixel (oy*s_h + i*d_h, ox*s_w + j*d_w) at tap (i, j),
# which is pixel (oy + i*d_h // s_h, ox + j*d_w // s_w) of phase (i*d_h % s_h,
# j*d_w % s_w): so every tap is a contiguous block copy of one phase, with no bounds
# checks (the phases hold the padding zeros), which the compiler turns into SIMD code.
# Only the split (im2col) and the way back (col2im) step through a row with the stride,
# once per pixel instead of once per tap. Reading with the stride and checking every
# pixel against the border took about twice as long for ConvTranspose2d's 4x4, stride 2
# windows (2 images of 32 channels, 32x32, one thread: im2col 147 -> 80 us, col2im 168 ->
# 84), 1.3-1.7x for 5x5 windows (LeNet's) and 1-1.5x for 3x3 ones at stride 1; tiny
# images with stride 3 and dilation 2 lose a few microseconds (benchmarks/issue14_log.md,
# "Tenth session").
#
# The loops index the C-contiguous arrays themselves, ``phases[a, p, u + oy, v + ox]``,
# rather than views cut from them in the loop: a view is made anew at every row or tap,
# and a 2-D one (``phases[a, p, u:, v:]``) may have any inner stride as far as the
# compiler knows. For the ConvTranspose2d windows above, views -> indexing: im2col 57 ->
# 46 us, col2im 66 -> 52; stride-2 3x3 windows of 2 images of 64 channels 93 -> 71 and
# 104 -> 80; stride-1 col2im as fast as its contiguous loop was ("Twenty-seventh session").
#
# Indices the compiler can prove non-negative matter too: Numba turns x[i] with a signed
# i that might be negative into x[i + len] (Python's wraparound), a branch in the inner
# loop that stops SIMD; hence the ``max(0, ...)`` around offsets that are never negative
# anyway.
#
# Between the phases and the taps sit kw *shifted copies* of the row phases, as in the
# stride-1 loop below: ``shifted[j, a, u, ox] = phases[a, p, u, v + ox]``, where (p, v)
# are tap column j's phase column and offset (j*d_w % s_w, j*d_w // s_w), cut to OW
# columns. Tap (i, j) of all the windows is then rows u .. u + OH - 1 of row phase a of
# copy j, (a, u) = (i*d_h % s_h, i*d_h // s_h): ONE contiguous run of OH*OW entries.
# Without the copies each tap was OH rows of OW entries, and short rows copy slowly: on
# an Intel Xeon (AVX-512, where the compiler prefers 256-bit vectors) its vector loop
# takes 32 entries a step, so a row of 16 never entered it. The copies cost kw*s_h*NU
# rows of OW a plane (NU: a phase's rows), against the taps' kh*kw*OH. One thread, the
# median of 30 paired rounds of 50 calls, new / old, in 3-4 runs on that machine:
# ConvTranspose2d's backward (2 images of 32 channels, 32x32, 4x4 windows, stride 2,
# padding 1) 0.66-0.88x; 3x3 stride-2 windows of 2 images of 64 channels at 32x32
# 0.88-0.98x, of 8 images at 16x16 0.85-0.89x; 2 images of 4 channels at 11x9, stride 3,
# 0.83-1.12x (about 4 us a call). col2im's adjoint of the copies (each tap's run added
# into its copy, each copy into its phase) was not reliably faster, 0.91-1.08x (tiny
# images 1.04-1.21x): col2im adds its taps straight into the phases
# (benchmarks/issue14_log.md, "Forty-second session").
@njit_planes
def _im2col_loops(x, cols, sh, sw, ph, pw, dh, dw, start):
    n, c, h, w = x.shape
    kh, kw, _, oh, ow = cols.shape[1:]  # oh: the rows of the band, output rows start..start+oh-1
    top = start * sh  # the band's first padded row
    rows = (oh - 1) * sh + (kh - 1) * dh + 1  # the padded rows it reads: top..top+rows-1
    nu = -(-rows // sh)  # the rows of each phase
    phases = np.zeros((sh, sw, nu, -(-(w + 2 * pw) // sw)), dtype=x.dtype)  # the padding stays 0
    shifted = np.empty((kw, sh, nu, ow), dtype=x.dtype)  # every entry rewritten for each plane
    runs = shifted.reshape((kw, sh, nu * ow))
    taps = cols.reshape((c, kh, kw, n, oh * ow))  # each tap of an image: one run of OH*OW entries
    lo, hi = max(0, top - ph), min(h, top - ph + rows)  # the image rows among them
    for plane in range(c * n):  # not prange: every plane refills the one phases buffer
        ch, b = plane // n, plane % n
        for p in range(sw):  # split the plane's rows into the phases
            first = max(0, (p - pw) % sw)  # the first image column in phase column p
            q = max(0, (first + pw) // sw)  # and where it goes in the phase's row
            for y in range(lo, hi):
                r = y + ph - top
                a, u = max(0, r % sh), max(0, r // sh)
                for t in range((w - first + sw - 1) // sw):
                    phases[a, p, u, q + t] = x[b, ch, y, first + t * sw]
        for j in range(kw):  # copy j: the row phases of phase column p, from column v on
            p, v = max(0, j * dw % sw), max(0, j * dw // sw)
            for a in range(sh):
                for u in range(nu):
                    for ox in range(ow):
                        shifted[j, a, u, ox] = phases[a, p, u, v + ox]
        for i in range(kh):  # each tap: one run of one copy
            # tap row i reads row phase a from its row u = i*dh // sh on: u*OW into the run
            a, row_start = max(0, i * dh % sh), max(0, (i * dh // sh) * ow)
            for j in range(kw):
                for t in range(oh * ow):
                    taps[ch, i, j, b, t] = runs[j, a, row_start + t]


@njit_inline
def _tap_shifts(kw, sw, pw, dw):
    """(s_j for each tap column j, the largest |s_j|), for phases stored compact (below):
    tap column j's entry ox is entry ox + s_j of its phase's row. Tap column j of window
    ox reads padded column ox*sw + j*dw: entry v + ox of phase column p, where p = j*dw % sw
    and v = j*dw // sw. That phase's first image column, (p - pw) % sw, is its entry q,
    the padding before it being q entries. So s_j = v - q."""
    shift = np.empty(kw, dtype=np.int64)
    largest = 0
    for j in range(kw):
        p = j * dw % sw
        shift[j] = j * dw // sw - ((p - pw) % sw + pw) // sw
        largest = max(largest, abs(shift[j]))
    return shift, largest


@njit_inline
def _carried(s, ow):
    """(first, stop): the entries ox of a tap row that a shift of s carries past the row's
    end (the first -s, or the last s), whose pixels are padding."""
    return (ow - min(s, ow), ow) if s > 0 else (0, min(-s, ow))


# Most strided convolutions take a faster form of the loop above: ConvTranspose2d's 4x4,
# stride-2 windows with padding 1, a 3x3 stride-2 "same" convolution, 2x2 windows at
# stride 2. Their phase columns each hold at most OW image columns (``_phases_fit``), so
# each phase can be stored *compact*: a row of OW entries, image columns only, no padding
# columns. Its rows are then exactly as long as a tap's rows, and tap (i, j) of all the
# windows is ONE flat run of the phase, started s_j entries off the row's start:
#
#     taps[ch, i, j, b, oy*OW + ox] = phase[a, p][(u + oy)*OW + ox + s_j]
#
# s_j = v - q (``_tap_shifts``): tap column j reads phase column v + ox, and the phase's
# first image column sits at phase column q. The entries that the shift carries past a
# row's end (the first -s_j of each tap row, or the last s_j) would read the neighbouring
# row, but belong to the padding: they are zeroed after the run. So there are no shifted
# copies, whose rows of OW entries cost a loop each (a row of 16 is less than one step of
# the compiler's vector loop, 32 entries, on the Intel Xeon measured). The phase split of
# stride 2 is written out as one loop over both phase columns, which the compiler
# vectorises.
# One thread, median microseconds, the loop above -> this one (benchmarks/issue14_log.md,
# "Fifty-second session"): ConvTranspose2d's backward (2 images of 32 channels, 32x32,
# 4x4 windows, stride 2, padding 1) 70 -> 42; 3x3 stride-2 windows, padding 1, 2 images
# of 64 channels at 32x32 118 -> 66, 8 at 16x16 154 -> 112; 2x2 windows at stride 2, 2
# images of 16 channels at 32x32 23 -> 13, 16 of 32 at 8x8 69 -> 48.
@njit_planes
def _im2col_flat_loops(x, cols, sh, sw, ph, pw, dh, dw, start):
    n, c, h, w = x.shape
    kh, kw, _, oh, ow = cols.shape[1:]  # oh: the rows of the band, output rows start..start+oh-1
    top = start * sh  # the band's first padded row
    rows = (oh - 1) * sh + (kh - 1) * dh + 1  # the padded rows it reads: top..top+rows-1
    nu = -(-rows // sh)  # the rows of each phase
    shift, guard = _tap_shifts(kw, sw, pw, dw)  # guard: zeros before and after the phase rows for the shifted runs
    phases = np.zeros((sh, sw, guard + nu * ow + guard), dtype=x.dtype)  # image entries rewritten, the rest stays 0
    taps = cols.reshape((c, kh, kw, n, oh * ow))  # each tap of an image: one run of OH*OW entries
    lo, hi = max(0, top - ph), min(h, top - ph + rows)  # the image rows among them
    for plane in range(c * n):  # not prange: every plane refills the one phases buffer
        ch, b = plane // n, plane % n
        for y in range(lo, hi):  # split the plane's rows into the compact phases
            r = y + ph - top
            a, row = max(0, r % sh), max(0, guard + (r // sh) * ow)
            if sw == 2:  # even image columns to one phase column, odd to the other
                even = max(0, pw % 2)
                for t in range(w // 2):
                    phases[a, even, row + t] = x[b, ch, y, 2 * t]
                    phases[a, 1 - even, row + t] = x[b, ch, y, 2 * t + 1]
                if w % 2 == 1:
                    phases[a, even, row + w // 2] = x[b, ch, y, w - 1]
            else:
                for p in range(sw):
                    first = max(0, (p - pw) % sw)  # the first image column in phase column p
                    for t in range((w - first + sw - 1) // sw):
                        phases[a, p, row + t] = x[b, ch, y, first + t * sw]
        for i in range(kh):
            a, u = max(0, i * dh % sh), max(0, i * dh // sh)
            for j in range(kw):
                p, s = max(0, j * dw % sw), shift[j]
                run = max(0, guard + u * ow + s)
                for t in range(oh * ow):
                    taps[ch, i, j, b, t] = phases[a, p, run + t]
                if s != 0:  # the entries read across a row's end: padding
                    first, stop = _carried(s, ow)
                    for oy in range(oh):
                        row = max(0, oy * ow)
                        for ox in range(first, stop):
                            taps[ch, i, j, b, row + ox] = 0


# Stride 1, most convolutions, takes a simpler and faster loop. With small images the
# phase loop's taps are many short rows: 8 entries at 8x8, fewer than one SIMD step of the
# compiled copy, so each row went entry by entry. At stride 1 the loop below instead makes
# kw copies of the padded image, copy j shifted left by j*d_w columns and cut to OW
# columns: ``shifted[j, r, ox] = xpad[start + r, ox + j*d_w]``, ``start`` the band's first
# row. Tap (i, j) of the window rows is then rows i*d_h .. i*d_h + OH - 1 of copy j: ONE
# contiguous block of OH*OW entries, whatever the image's width. The copies cost kw passes
# over the image against kh*kw for the taps. One thread, best of 3 medians, microseconds,
# phases -> shifted copies: 11 images of 32 channels at 8x8 (the small CNN) 63 -> 35; 16
# images 88 -> 50; 5x5 "valid" at 14x14 (LeNet) 16 -> 10; 1 channel 28x28, padding 2, 19
# -> 12; 1 channel 40x40 (DnCNN's first layer) 19 -> 19; bands of a 64-channel 32x32 image
# 20-23 -> 18-22 (benchmarks/issue14_log.md, "Twenty-seventh session"). Strided windows
# keep the phases, and make their shifted copies from them: a shifted copy of the image
# itself would read it with the stride kw times (ConvTranspose2d's 4x4, stride-2
# backward: 59 -> 109 us).
@njit_planes
def _im2col_stride1_loops(x, cols, ph, pw, dh, dw, start):
    n, c, h, w = x.shape
    kh, kw, _, oh, ow = cols.shape[1:]  # oh: the rows of the band, output rows start..start+oh-1
    taps = cols.reshape((c, kh, kw, n, oh * ow))  # each tap of an image: one run of OH*OW entries
    rows = oh + (kh - 1) * dh  # the padded rows the band reads: start..start+rows-1
    shifted = np.zeros((kw, rows, ow), dtype=x.dtype)  # the padding stays 0: the same entries are rewritten
    runs = shifted.reshape((kw, rows * ow))
    lo, hi = max(0, start - ph), min(h, start - ph + rows)  # the image rows among them
    for plane in range(c * n):  # not prange: every plane refills the one shifted buffer
        ch, b = plane // n, plane % n
        for j in range(kw):  # copy j: the image columns ox + j*dw - pw for ox in ox0..ox1-1
            shift = j * dw - pw
            ox0, ox1 = min(ow, max(0, -shift)), min(ow, max(0, w - shift))
            first = max(0, ox0 + shift)  # the image column of entry ox0
            for y in range(lo, hi):
                for t in range(ox1 - ox0):
                    shifted[j, y + ph - start, ox0 + t] = x[b, ch, y, first + t]
        for i in range(kh):  # each tap: one block of one copy
            # row i*dh of every copy, as an offset into its run. The max() is for the compiler,
            # not the value (never negative; the note above _im2col_loops says why): without it
            # this copy ran 2.5x slower (11 images of 32 channels at 8x8, one thread: 124 -> 48 us).
            row_start = max(0, i * dh * ow)
            for j in range(kw):
                for t in range(oh * ow):
                    taps[ch, i, j, b, t] = runs[j, row_start + t]


# At stride 1 a window row's entries of the OW windows are one run of OW*N entries of the
# plane's row, copied as one (a run of N = 16 entries is one or two SIMD steps, and their
# loops cost as much as the copying): one thread, 16 images of 64 channels at 4x4 32 -> 20
# us; 11 images of 32 channels at 8x8 62 -> 25 ("Twenty-seventh session"). col2im's adjoint
# loop adds the runs back the same way: 35 -> 21 and 70 -> 29 us.
@njit_planes
def _im2col_images_last_loops(x, cols, sh, sw, ph, pw, dh, dw):
    n, c, h, w = x.shape
    kh, kw, oh, ow, _ = cols.shape[1:]
    plane = np.zeros((h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)  # one channel, padded, images last
    plane_rows = plane.reshape((h + 2 * ph, (w + 2 * pw) * n))
    tap_rows = cols.reshape((c, kh, kw, oh, ow * n))
    for ch in range(c):  # not prange: every channel refills the one plane buffer
        for b in range(n):
            for y in range(h):
                for xx in range(w):
                    plane[y + ph, xx + pw, b] = x[b, ch, y, xx]
        for i in range(kh):
            for j in range(kw):
                for oy in range(oh):
                    row = oy * sh + i * dh
                    if sw == 1:  # the OW windows' entries lie side by side: one run of OW*N
                        start = max(0, j * dw * n)
                        for t in range(ow * n):
                            tap_rows[ch, i, j, oy, t] = plane_rows[row, start + t]
                    else:
                        for ox in range(ow):
                            col = ox * sw + j * dw
                            for b in range(n):  # the long, contiguous run: every entry written
                                cols[ch, i, j, oy, ox, b] = plane[row, col, b]


@njit_planes
def _col2im_loops(cols, x, sh, sw, ph, pw, dh, dw):
    n, c, h, w = x.shape
    kh, kw, _, oh, ow = cols.shape[1:]
    phases = np.empty((sh, sw, -(-(h + 2 * ph) // sh), -(-(w + 2 * pw) // sw)), dtype=x.dtype)
    for plane in range(c * n):  # not prange: every plane refills the one phases buffer
        ch, b = plane // n, plane % n
        phases[:] = 0
        for i in range(kh):  # each tap adds a block into one phase, taps in im2col's order
            a, u = max(0, i * dh % sh), max(0, i * dh // sh)
            for j in range(kw):
                p, v = max(0, j * dw % sw), max(0, j * dw // sw)
                for oy in range(oh):
                    for ox in range(ow):
                        phases[a, p, u + oy, v + ox] += cols[ch, i, j, b, oy, ox]
        for p in range(sw):  # the pixels back from the phases; the padding is dropped
            first = max(0, (p - pw) % sw)
            q = max(0, (first + pw) // sw)
            for y in range(h):
                r = y + ph
                a, u = max(0, r % sh), max(0, r // sh)
                for t in range((w - first + sw - 1) // sw):
                    x[b, ch, y, first + t * sw] = phases[a, p, u, q + t]


# The adjoint of _im2col_flat_loops, for the same strided windows (``_phases_fit``). A tap
# shifted by s_j cannot be added into a compact phase as one run: the entries it carries
# past a row's end belong to the padding, and they would land in the neighbouring row.
# So the taps are first added up unshifted, one buffer per row phase a and tap column j
# (each tap one flat run), the entries whose pixel is padding are zeroed there, and then
# each compact phase is the sum of its tap columns' buffers, each read as one flat run
# shifted by s_j. Stride 2 puts the two phase columns back into the image's rows in one
# loop, which the compiler vectorises. One thread, median microseconds, the loop above ->
# this one, for the shapes of _im2col_flat_loops' note: ConvTranspose2d's forward 65 ->
# 49; 3x3 stride-2 windows 99 -> 71 and 152 -> 121; 2x2 windows 18 -> 12 and 59 -> 57.
# A pixel's terms are added in another order than in the loop above (tap column by tap
# column), so the two differ by rounding. At stride 1 (a conv_transpose2d's, whose one
# phase is the padded image) the loop above stays: 3x3 windows, padding 1, 32 channels,
# this one took 58 us against 63 for 11 images at 8x8, 24 against 30 for 2 at 16x16, but
# 94 against 73 for 2 at 32x32.
@njit_planes
def _col2im_flat_loops(cols, x, sh, sw, ph, pw, dh, dw):
    n, c, h, w = x.shape
    kh, kw, _, oh, ow = cols.shape[1:]
    nu = -(-(h + 2 * ph) // sh)  # the rows of each phase
    shift, guard = _tap_shifts(kw, sw, pw, dw)
    sums = np.empty((sh, kw, guard + nu * ow + guard), dtype=x.dtype)  # the taps, by row phase and tap column
    phases = np.empty((sh, sw, nu * ow), dtype=x.dtype)  # compact: rows of OW entries
    taps = cols.reshape((c, kh, kw, n, oh * ow))
    for plane in range(c * n):  # not prange: every plane refills the same buffers
        ch, b = plane // n, plane % n
        sums[:] = 0
        for i in range(kh):  # each tap: one run added into its tap column's buffer, taps in im2col's order
            a, run = max(0, i * dh % sh), max(0, guard + (i * dh // sh) * ow)
            for j in range(kw):
                for t in range(oh * ow):
                    sums[a, j, run + t] += taps[ch, i, j, b, t]
        for j in range(kw):  # the entries whose pixel is padding: dropped
            s = shift[j]
            if s != 0:
                first, stop = _carried(s, ow)
                for a in range(sh):
                    for u in range(nu):
                        row = max(0, guard + u * ow)
                        for ox in range(first, stop):
                            sums[a, j, row + ox] = 0
        for a in range(sh):  # each phase: its tap columns' sums, each shifted by s_j
            for p in range(sw):
                phases[a, p] = 0
                for j in range(kw):
                    if j * dw % sw == p:
                        run = max(0, guard - shift[j])  # phase entry t is entry t - s_j of the sums
                        for t in range(nu * ow):
                            phases[a, p, t] += sums[a, j, run + t]
        for y in range(h):  # the pixels back from the phases; the padding is dropped
            r = y + ph
            a, row = max(0, r % sh), max(0, (r // sh) * ow)
            if sw == 2:  # the two phase columns interleaved
                even = max(0, pw % 2)
                for t in range(w // 2):
                    x[b, ch, y, 2 * t] = phases[a, even, row + t]
                    x[b, ch, y, 2 * t + 1] = phases[a, 1 - even, row + t]
                if w % 2 == 1:
                    x[b, ch, y, w - 1] = phases[a, even, row + w // 2]
            else:
                for p in range(sw):
                    first = max(0, (p - pw) % sw)
                    for t in range((w - first + sw - 1) // sw):
                        x[b, ch, y, first + t * sw] = phases[a, p, row + t]


@njit_planes
def _col2im_images_last_loops(cols, x, sh, sw, ph, pw, dh, dw):
    n, c, h, w = x.shape
    kh, kw, oh, ow, _ = cols.shape[1:]
    plane = np.empty((h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)  # one channel, padded, images last
    plane_rows = plane.reshape((h + 2 * ph, (w + 2 * pw) * n))
    tap_rows = cols.reshape((c, kh, kw, oh, ow * n))
    for ch in range(c):  # not prange: every channel refills the one plane buffer
        plane[:] = 0
        for i in range(kh):  # each tap, in im2col's order
            for j in range(kw):
                for oy in range(oh):
                    row = oy * sh + i * dh
                    if sw == 1:  # one run of OW*N entries, as in _im2col_images_last_loops
                        start = max(0, j * dw * n)
                        for t in range(ow * n):
                            plane_rows[row, start + t] += tap_rows[ch, i, j, oy, t]
                    else:
                        for ox in range(ow):
                            col = ox * sw + j * dw
                            for b in range(n):  # the long, contiguous run
                                plane[row, col, b] += cols[ch, i, j, oy, ox, b]
        for b in range(n):  # the pixels back to (N, C, H, W); the padding is dropped
            for y in range(h):
                for xx in range(w):
                    x[b, ch, y, xx] = plane[y + ph, xx + pw, b]


def read_in_place(x):
    """Do the im2col kernels read the NumPy array ``x`` as it is, without a copy? When it
    is C-contiguous, or broadcast (a zero stride: the gradient of a ``.sum()`` or
    ``.mean()`` is one value broadcast to the output's shape). For a broadcast array
    Numba compiles a strided form of the loops, which reads its few distinct values
    again and again from the cache; a contiguous copy would first write them all out.
    The conv_transpose2d step's g is 2 MiB, whose copy took 63 us on the calling
    thread; without it the step took 0.98x its time on two threads (benchmarks/
    issue14_log.md, "Forty-fourth session"). That strided form is compiled on its first
    use, about 0.5 s once per machine (Numba's cache keeps it, as for every loop here).
    Any other strided array is copied once, in memory order: read with its strides (a
    channels-last image, say), a plane at a time, each cache line would likely be
    fetched once per channel. (An array both broadcast and otherwise strided is read in
    place too: correct, if perhaps not at its fastest.)"""
    return isinstance(x, np.ndarray) and (x.flags.c_contiguous or 0 in x.strides)


def _phases_fit(w, ow, sw):
    """Can the phases of an image W wide, at column stride ``sw``, be stored compact with
    rows of OW entries (``_im2col_flat_loops``)? When no phase column holds more than OW
    image columns; the one that starts at image column 0 holds ceil(W / sw)."""
    return -(-w // sw) <= ow


def _readable(x):
    """``x`` for the compiled im2col loops: itself (``read_in_place``) or a C-contiguous copy."""
    return x if read_in_place(x) else np.ascontiguousarray(x)


def im2col_numba(x, kernel_size, stride, padding, dilation, out=None, rows=None):
    """:func:`im2col` as compiled loops over the C*N planes (NumPy only)."""
    require_numpy("im2col_numba", x)
    n, c, h, w = x.shape
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    start, stop = _band(rows, oh)
    cols = out_array(np, out, (c, *kernel_size, n, stop - start, ow), x.dtype)
    if tuple(stride) == (1, 1):
        _im2col_stride1_loops(_readable(x), cols, *padding, *dilation, start)
    elif _phases_fit(w, ow, stride[1]):
        _im2col_flat_loops(_readable(x), cols, *stride, *padding, *dilation, start)
    else:
        _im2col_loops(_readable(x), cols, *stride, *padding, *dilation, start)
    return cols


def im2col_images_last_numba(x, kernel_size, stride, padding, dilation, out=None):
    """:func:`im2col_images_last` as compiled loops over the channels (NumPy only)."""
    require_numpy("im2col_images_last_numba", x)
    n, c, h, w = x.shape
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    cols = out_array(np, out, (c, *kernel_size, oh, ow, n), x.dtype)
    _im2col_images_last_loops(_readable(x), cols, *stride, *padding, *dilation)
    return cols


def col2im_numba(cols, input_shape, kernel_size, stride, padding, dilation, out=None):
    """:func:`col2im` as compiled loops over the C*N planes (NumPy only)."""
    require_numpy("col2im_numba", cols)
    x = out_array(np, out, input_shape, cols.dtype, "col2im")  # every pixel written
    flat = tuple(stride) != (1, 1) and _phases_fit(input_shape[3], cols.shape[-1], stride[1])
    loops = _col2im_flat_loops if flat else _col2im_loops
    loops(np.ascontiguousarray(cols), x, *stride, *padding, *dilation)
    return x


def col2im_images_last_numba(cols, input_shape, kernel_size, stride, padding, dilation, out=None):
    """:func:`col2im_images_last` as compiled loops over the channels (NumPy only)."""
    require_numpy("col2im_images_last_numba", cols)
    x = out_array(np, out, input_shape, cols.dtype, "col2im_images_last")  # every pixel written
    _col2im_images_last_loops(np.ascontiguousarray(cols), x, *stride, *padding, *dilation)
    return x
