"""Convolution by im2col + one matrix product: ``conv2d``, ``conv_transpose2d``, ``conv1d``.

A convolution layer computes, for every output channel o and output pixel (y, x),

    out[n, o, y, x] = b[o] + sum_{c, i, j} W[o, c, i, j] * xpad[n, c, y*s + i*d, x*s + j*d]

im2col copies each input window into a column (``kernels.im2col``), after which the sum
is one (batched) matrix product ``W_flat @ cols``. These routines are the whole story,
shared by the two ops (Chainer's design: write the adjoint once, use it twice):

- ``conv_forward``       out = W @ im2col(x)                      (conv2d forward)
- ``conv_input_grad``    dx  = col2im(W^T @ g)                     (conv2d backward-data,
                                                                    = conv_transpose2d forward)
- ``conv_weight_grad``   dW  = g @ im2col(x)^T                     (both ops' weight gradient)
- ``columns_products``   the first and the last from one im2col    (what the two above call)

``conv_transpose2d`` is the adjoint of ``conv2d``: its forward is conv2d's input
gradient and its input gradient is conv2d's forward, so
<conv2d(x, W), y> = <x, conv_transpose2d(y, W)> (a test checks this to 1e-10).
With stride 1 that adjoint is itself an ordinary convolution, with the rotated kernel
``adjoint_weight(W)``; conv2d's backward uses this to build one set of columns, not two.
Groups split the channels into G independent convolutions: C -> (G, C/G).

The products are ``kernels.matmul``: NumPy's ``matmul``, but for the large float32
ones, which go to oneDNN where it is installed (kernels/gemm.py).

A 3x3 stride-1 conv2d with enough channels and pixels (DnCNN's and the U-Net's inner
layers, the course CNN's 8x8 layer, say) takes another algorithm, Winograd's F(4x4, 3x3)
in ops/winograd.py: the same result to float rounding with 4x fewer multiplications.
``Conv2d`` picks it (``winograd.applies``); the routines here are the general case and
what a student writes.
"""
from .. import kernels
from ..autograd.function import Function
from ..backend import get_array_module
from ..shape_checks import as_batched, pair
from ..threads import even_ranges, run_tasks
from . import scratch, winograd
from .pad import pad


# ------------------------------------------------------------------ shared routines
# The columns are K-major, (C, kh, kw, N, OH, OW) = (K, N*L) as a matrix with
# K = C*kh*kw and L = OH*OW (kernels/unfold.py says why), so each routine is ONE matrix
# product per group over many images at once. Output-side arrays meet the columns as
# (G, OC/G, N*L): "rows" below.
#
# The columns of a whole batch are kh*kw times the input (72 MiB for 32 images of 64
# channels, 32x32, 3x3, float32), so the routines build them for an even slice of the
# batch at a time, at most COLUMN_BYTES of columns per slice (at least one image), in one
# scratch buffer reused by every slice, and nothing keeps them: the backward builds
# columns again. Each slice is still one wide GEMM per group. Small slices stay in cache
# but each adds BLAS calls and kernel loops. In paired runs on a quiet machine 1 and 4 MiB
# took the same time (conv2d, conv_transpose2d, the small CNN and DnCNN steps), and 1 MiB
# cuts the peak memory of a step: small CNN 3.9 -> 2.4 MiB, conv_transpose2d 8.0 -> 4.3
# (PyTorch: 2.1 and 7.0; benchmarks/issue14_log.md, "Column slices again, quiet machine").
COLUMN_BYTES = 1 * 2**20


def _batch_slices(n, k, out_hw, dtype):
    """Even slices of the batch whose K x (images * OH*OW) columns fit in COLUMN_BYTES."""
    images = max(1, COLUMN_BYTES // (k * out_hw[0] * out_hw[1] * dtype.itemsize))  # per slice, at most
    count = max(1, -(-n // images))  # ceil(n / images) slices, as even as can be
    return [slice(start, stop) for start, stop in even_ranges(n, count)]


# When ONE image's columns are more than COLUMN_BYTES (64 channels of 32x32, 3x3: 2.25 MiB),
# they are built a band of output rows at a time (kernels.im2col's ``rows``), each band
# followed by its GEMMs. The columns then come to the GEMM from the core's own cache (L2:
# 1-2 MiB on the machines measured) rather than from memory, and BLAS runs these shapes
# faster with fewer columns too: (64, 576) @ (576, 256) at 169 GFLOP/s, @ (576, 1024) at
# 153 (one thread, AVX-512). conv2d N=32, 64->64, 32x32, 3x3 (3 bands of 10-11 rows):
# forward 24.4 -> 20.4 ms and stride-1 backward 42.4 -> 39.2 ms on one thread, 12.2 ->
# 10.9 and 21.3 -> 20.3 ms on two (benchmarks/issue14_log.md, "Sixth session"; budgets of
# 0.5-1.5 MiB measured alike). On a GPU (CuPy) there is no such cache to fit, only more
# kernel launches: whole images there.
def _row_bands(xp, k, out_hw, dtype):
    """Even bands (start, stop) of the OH output rows whose columns, for one image, fit
    in COLUMN_BYTES (at least one row each); [(0, OH)] when the whole image fits."""
    oh, ow = out_hw
    count = -(-(k * oh * ow * dtype.itemsize) // COLUMN_BYTES)  # ceil: bands needed
    if xp.__name__ != "numpy" or count <= 1:
        return [(0, oh)]
    return even_ranges(oh, min(count, oh))


# The slices (or bands) are grouped into at most TASKS tasks, which threads.run_tasks spreads over
# the threads (tge.set_num_threads): enough tasks that a thread slowed by another program
# simply takes fewer, few enough that each task's own scratch buffer and share of dW stay
# small (the shares of dW: at most TASKS weight-sized arrays). A fixed number, not one
# per thread, so the shares are the same on any thread count and so is their sum, bit
# for bit. Only get_num_threads() tasks run at once, so as many scratch buffers exist.
TASKS = 8


def _tasks(pieces):
    """The pieces (batch slices, or bands of their rows) in at most TASKS runs of
    consecutive pieces, as even as can be."""
    return [pieces[start:stop] for start, stop in even_ranges(len(pieces), min(TASKS, len(pieces)))]


# Columns smaller than this (all slices together) are built and multiplied on the calling
# thread alone: handing tasks to a second thread costs tens of microseconds, more than it
# saves on small convolutions (the course's small CNN on 8x8 digits;
# benchmarks/issue14_log.md, "Tasks on two threads"). Not the interpreter lock: with each
# task ONE compiled call (BLAS called from Numba) the small CNN's step was no faster;
# waking the sleeping helper and then the caller cost about 100 us a call on the 2-core
# machine measured ("Eleventh session"). On the AMD EPYC of the "Sixteenth session" two
# threads for 1-4 MiB of columns, taken only while they overlapped, made the small CNN's
# step 7.5% faster (median), but its peak memory 1.44-1.70x PyTorch's (two tasks' columns
# at once; over the 1.5x limit in three runs of four). With 512 KiB slices and
# PARALLEL_BYTES 0 the memory fits (1.26-1.30x) and the step alone took 0.83-0.88x the
# time, but 1.11x the serial step's time beside a one-core hog, and 1.07x beside PyTorch's
# spinning workers ("Nineteenth session"). Its GEMMs alone, cut over the threads, ran
# slower still, and BLAS's own threads for them were ruled out ("Seventeenth session";
# threads.py says why). The helper there starts a task 30-230 us after the call (median),
# against 300-400 us for one of these products, so even a backward's two independent
# products as two tasks lost (1.07x the step's time; "Eighteenth session").
PARALLEL_BYTES = 4 * 2**20


def _run_tasks(xp, run, tasks, column_bytes):
    """``[run(task) for task in tasks]``: on several threads for NumPy arrays with at
    least PARALLEL_BYTES of columns (threads.run_tasks), else in turn on this thread
    (CuPy's too: one GPU stream runs them anyway)."""
    if xp.__name__ == "numpy" and column_bytes >= PARALLEL_BYTES:
        return run_tasks(run, tasks)
    return [run(task) for task in tasks]


def _pixels(piece, ow):
    """Output pixels of one piece (batch slice, (first row, stop row)) of columns_products."""
    b, (r0, r1) = piece
    return (b.stop - b.start) * (r1 - r0) * ow


def _to_rows(a, groups, images_last=False):
    """(N, OC, OH, OW) -> (G, OC/G, N*OH*OW): channels first, one copy of an image-sized
    array; its columns in the order of the im2col columns they meet, (image, pixel), or
    (pixel, image) with ``images_last``.

    With the images last the copy is made channels innermost, (G, pixel, image, OC/G), and
    returned as a transposed view. Copied in the rows' own order, consecutive entries are
    read a whole image apart; in this order one channel apart (OH*OW entries: one cache line
    for a 4x4 image), and the weight gradient's product, which wants g transposed, then
    gets it contiguous. The small CNN's 32 -> 64 channel layer at 4x4, 32 images, one
    thread: the copy 92 -> 21 us, that product 252 -> 207, the input gradient's copy and
    product 257 -> 221 us; the small CNN's step 0.97-0.98x the time (BLAS takes either
    layout; benchmarks/issue14_log.md, "Twenty-eighth session")."""
    n, oc, oh, ow = a.shape
    a = a.reshape(n, groups, oc // groups, oh * ow)
    if images_last:
        return a.transpose(1, 3, 0, 2).reshape(groups, oh * ow * n, oc // groups).swapaxes(1, 2)
    return a.transpose(1, 2, 0, 3).reshape(groups, oc // groups, n * oh * ow)


def _from_rows(rows, n, oh, ow, images_last=False):
    """(OC, N*OH*OW) rows, columns in (image, pixel) or, ``images_last``, (pixel, image)
    order -> an (N, OC, OH, OW) view, for the caller to copy into place."""
    oc = rows.shape[0]
    if images_last:
        return rows.reshape(oc, oh, ow, n).transpose(3, 0, 1, 2)
    return rows.reshape(oc, n, oh, ow).swapaxes(0, 1)


# Short output rows (the course's 4x4 layers): im2col costs its loop overhead per row of OW
# entries, so when a batch slice holds more than twice as many images as a row holds
# pixels, the columns are built with the images last (kernels/unfold.py), whose innermost
# run is the slice's images. One thread: im2col 5-8x faster for 16-32 images of 4x4; no
# gain for 11 images of 8x8, hence "twice" (benchmarks/issue14_log.md, "Fourth session").
# That order has a price on the other side of the product: the output (or g, for a
# gradient) must then be copied to or from (OC, OH, OW, N), OC*N*OH*OW entries read a whole
# image apart. It pays only when the columns' K rows outnumber those OC channels enough: K
# >= OC*OW/8 for rows shorter than 8 entries, K >= OC*OW/2 for longer ones, whose
# images-first im2col is fast (likely as a row is then a whole SIMD vector or more).
# Measured, fwd+bwd, one thread, images last against first, three runs
# (benchmarks/issue14_log.md, "Twentieth session"): at 4x4-6x6 images last won from K =
# OC/2 (0.57-0.91x the time) and tied or lost below it (0.98-1.20x); at 8x8 it lost up to K
# = 3.4*OC (1.04-1.67x) and tied at 4.5*OC; at 12x12 and 16x16 it lost up to 2.25*OC
# (1.05-2.88x). The rule picks the faster order, or one within 2% of it, in every case
# measured but one, a 1 -> 16 layer at 5x5 (first, 1.10x images last's time;
# bench_columns_order.py). The small CNN's first layer (1 -> 32 channels, K = 9, 8x8) took
# 1.6x as long images last.
IMAGES_LAST_DIVISOR_SHORT_ROWS = 8  # images last when K >= OC*OW/8, for OW < SHORT_ROW
IMAGES_LAST_DIVISOR = 2  # and when K >= OC*OW/2, for OW >= SHORT_ROW
SHORT_ROW = 8  # entries of an output row


def _images_last(slices, out_hw, k, out_channels):
    """Build these slices' columns with the images last? When their rows are the shorter
    run, and the columns' ``k`` rows are many against the ``out_channels`` of the arrays
    then transposed (the output, g, or both when one call makes both products)."""
    ow = out_hw[1]
    divisor = IMAGES_LAST_DIVISOR_SHORT_ROWS if ow < SHORT_ROW else IMAGES_LAST_DIVISOR
    return min(b.stop - b.start for b in slices) > 2 * ow and k * divisor >= out_channels * ow


# One product per image. The routines' wide GEMM leaves its result channels first,
# (OC, images * pixels), which then costs a copy of output-sized data into
# (N, OC, OH, OW), and its weight gradient first copies g into that order (``_from_rows``,
# ``_to_rows``). The output product runs per image instead, on views of the columns,
# straight into the output's own layout (``_per_image``): one NumPy call for the slice's
# images (a batched matmul), no copy. One thread, forward / weight gradient,
# microseconds, wide GEMM + copy -> per image: DnCNN's first layer (16 images, 1 -> 32
# channels, 40x40) 614 -> 158 / 715 -> 220; 3 -> 64 at 32x32 869 -> 527 / 1136 -> 866;
# 32 -> 32 at 32x32 5560 -> 5470 / 5384 -> 5263 ("Ninth session"). The weight gradient
# per image only pays for images of DIRECT_PIXELS or more: at 16x16 64 -> 32 channels lost
# (1294 -> 1399 us), and with it per image at every size the conv_transpose2d step took
# 5.12 ms against 4.93, the small CNN's 5.56 against 5.50. With the output alone per
# image, the small CNN's step went 5.92 -> 5.61 ms and conv_transpose2d's 4.96 -> 4.92
# (benchmarks/issue14_log.md, "Tenth session"). NumPy only: a GPU has no such copies to
# save; and not for images-last columns, whose columns are not per image.
#
# With oneDNN (backends/mkldnn.py) one more case goes wide: where oneDNN would take the
# slice's wide product but leaves each image's small one to NumPy (kernels/gemm.py), and
# the product has at least ONEDNN_WIDE_K columns' rows, so that it is arithmetic rather
# than copying. The small CNN's 32 -> 32 layer at 8x8 (K = 288, 64 pixels an image):
# 11 images per image 139 us, wide 79 us + the copy; its step 4.21 -> 4.05 ms on one
# thread. DnCNN's first layer (K = 9) lost that way (204 -> 387 us): it stays per image
# (benchmarks/issue14_log.md, "Twenty-sixth session").
DIRECT_PIXELS = 1024
ONEDNN_WIDE_K = 64


def _output_per_image(xp, images_last, image_product, images, k_per_group):
    """Multiply the output one image at a time (NumPy arrays, images-first columns)?
    ``image_product``: the multiply-adds of one image's product, ``images``: the most
    images of a slice."""
    if xp.__name__ != "numpy" or images_last:
        return False
    wide_to_onednn = kernels.onednn_takes(image_product * images) and not kernels.onednn_takes(image_product)
    return not (wide_to_onednn and k_per_group >= ONEDNN_WIDE_K)


def _per_image(a, groups):
    """(N, OC, OH, OW) -> (N, G, OC/G, OH*OW), a view when ``a`` is C-contiguous: the
    per-image rows the per-image products read or write."""
    n, oc, oh, ow = a.shape
    return a.reshape(n, groups, oc // groups, oh * ow)


def conv_forward(x, weight, stride, padding, dilation, groups):
    """out (N, OC, OH, OW) = W @ im2col(x): per batch slice, one GEMM per group."""
    # BEGIN SOLUTION task 3.3
    return columns_products(x, weight.shape[2:], stride, padding, dilation, groups, weight=weight)[0]
    # END SOLUTION


def conv_weight_grad(x, g, weight_shape, stride, padding, dilation, groups):
    """dL/dW[o, c, i, j] = sum over images and output pixels of g[n, o, y, x] * cols[c, i, j, n, y, x],
    i.e. g @ im2col(x)^T per group, the batch folded into the contraction."""
    # BEGIN SOLUTION task 3.3
    return columns_products(x, weight_shape[2:], stride, padding, dilation, groups, grad=g)[1]
    # END SOLUTION


def columns_products(x, kernel_hw, stride, padding, dilation, groups, weight=None, grad=None):
    """The two products of the columns of ``x``, from ONE im2col per batch slice (or
    per band of output rows, for an image whose columns are large: ``_row_bands``):

        out = W @ im2col(x)          (N, OC, OH, OW)     if ``weight`` (OC, C/G, kh, kw) is given
        dW  = g @ im2col(x)^T        (OC, C/G, kh, kw)   if ``grad`` g (N, OC, OH, OW) is given

    i.e. a convolution of x, and the weight gradient of a convolution of x (the columns
    with the images last for small images, ``_images_last``: g's rows and the output
    follow their order; otherwise the output multiplied one image at a time, and the
    weight gradient too for large images, ``DIRECT_PIXELS``). Asked for both (the
    backward of ``conv_transpose2d``, and of a stride-1 ``conv2d``: see
    ``Conv2d.backward``), the columns are built once for the two. The slices (bands)
    are grouped into tasks that run on several threads (``_run_tasks``); each task sums
    its own share of dW, and the shares are added in task order.
    """
    xp = get_array_module(x, weight, grad)
    if not kernels.read_in_place(x):  # a strided x: copied once here, not in every piece's im2col
        x = xp.ascontiguousarray(x)
    n, c, h, w = x.shape
    kh, kw = kernel_hw
    k = c * kh * kw  # rows of the columns; K/G per group
    oh, ow = kernels.conv_output_hw((h, w), kernel_hw, stride, padding, dilation)
    slices = _batch_slices(n, k, (oh, ow), x.dtype)
    # the channels of the arrays that meet the columns (the output, g), transposed when images last
    out_channels = (0 if weight is None else weight.shape[0]) + (0 if grad is None else grad.shape[1])
    images_last = _images_last(slices, (oh, ow), k, out_channels)
    bands = [(0, oh)] if images_last else _row_bands(xp, k, (oh, ow), x.dtype)
    pieces = [(b, rows) for b in slices for rows in bands]  # several bands: one image per slice
    # the output product one image at a time? (one image's: (OC/G x K/G) @ (K/G x its pixels))
    oc_g = 0 if weight is None else weight.shape[0] // groups
    image_product = oc_g * (k // groups) * max(r1 - r0 for r0, r1 in bands) * ow
    per_image = _output_per_image(xp, images_last, image_product, max(b.stop - b.start for b in slices), k // groups)
    direct = per_image and oh * ow >= DIRECT_PIXELS  # and the weight gradient's too
    out = None
    if weight is not None:
        oc = weight.shape[0]
        w_g = weight.reshape(groups, oc // groups, k // groups)
        out = xp.empty((n, oc, oh, ow), dtype=xp.result_type(x.dtype, weight.dtype))
        out_rows = _per_image(out, groups) if per_image else None
    if grad is not None and direct:
        grad_rows = _per_image(grad, groups)  # a view, or one copy of a strided g (a broadcast one)

    def run(task):  # one task: its pieces in turn, in its own scratch; returns its share of dW
        most = max(_pixels(piece, ow) for piece in task)
        cols_buf = scratch.aligned(xp, k * most, x.dtype)
        if weight is not None and not per_image:
            out_buf = scratch.aligned(xp, oc * most, out.dtype)
        dw_t = None  # this task's share of dW: its first piece's product, the others added in
        for b, (r0, r1) in task:
            m, bh = b.stop - b.start, r1 - r0  # images, output rows
            if images_last:
                cols = kernels.im2col_images_last(
                    x[b], kernel_hw, stride, padding, dilation, out=scratch.part(cols_buf, (c, kh, kw, oh, ow, m))
                )
            else:
                cols = kernels.im2col(
                    x[b], kernel_hw, stride, padding, dilation,
                    out=scratch.part(cols_buf, (c, kh, kw, m, bh, ow)), rows=(r0, r1),
                )
            if per_image:  # one product per image, views in and out
                images = cols.reshape(groups, k // groups, m, bh * ow).transpose(2, 0, 1, 3)  # (m, G, K/G, pixels)
                pixels = slice(r0 * ow, r1 * ow)
                if weight is not None:
                    kernels.matmul(w_g, images, out=out_rows[b, :, :, pixels])
                if grad is not None and direct:
                    part = kernels.matmul(images, xp.swapaxes(grad_rows[b, :, :, pixels], 2, 3)).sum(axis=0)
                    dw_t = part if dw_t is None else xp.add(dw_t, part, out=dw_t)
            cols = cols.reshape(groups, k // groups, m * bh * ow)
            if weight is not None and not per_image:  # one wide product, then its copy into place
                out_b = kernels.matmul(w_g, cols, out=scratch.part(out_buf, (groups, oc // groups, m * bh * ow)))
                out[b, :, r0:r1] = _from_rows(out_b.reshape(oc, m * bh * ow), m, bh, ow, images_last)
            if grad is not None and not direct:
                # as (cols @ g^T)^T: BLAS runs the long B*OH*OW contraction faster with the
                # small (K/G, OC/G) result this way round (measured 1.3-2.5x on 2 cores)
                part = kernels.matmul(cols, xp.swapaxes(_to_rows(grad[b, :, r0:r1], groups, images_last), 1, 2))
                dw_t = part if dw_t is None else xp.add(dw_t, part, out=dw_t)
        return dw_t

    shares = _run_tasks(xp, run, _tasks(pieces), n * k * oh * ow * x.dtype.itemsize)
    dw = None
    if grad is not None:
        dw_t = shares[0]
        for share in shares[1:]:  # in task order: the same sum on any number of threads
            dw_t += share
        dw = xp.swapaxes(dw_t, 1, 2).reshape(grad.shape[1], c // groups, kh, kw)
    return out, dw


def conv_input_grad(g, weight, input_shape, stride, padding, dilation, groups):
    """dL/dx = col2im(W^T @ g): each output gradient is sent back, weighted, to the input
    pixels of its window; overlapping windows add up. (Small images, NumPy arrays: the
    columns with the images last, as ``columns_products`` builds them, and their col2im.)"""
    # BEGIN SOLUTION task 3.3
    xp = get_array_module(g, weight)
    n, oc, oh, ow = g.shape
    _, c_g, kh, kw = weight.shape
    k = groups * c_g * kh * kw
    w_t = xp.swapaxes(weight.reshape(groups, oc // groups, k // groups), 1, 2)  # (G, K/G, OC/G)
    gx = xp.empty(input_shape, dtype=xp.result_type(g.dtype, weight.dtype))
    slices = _batch_slices(n, k, (oh, ow), gx.dtype)
    # (not on a GPU: there col2im is a CUDA kernel with no per-row loop to save)
    images_last = xp.__name__ == "numpy" and _images_last(slices, (oh, ow), k, oc)

    def run(task):  # one task: its slices in turn, in its own scratch
        dcols_buf = scratch.aligned(xp, max(b.stop - b.start for b in task) * k * oh * ow, gx.dtype)
        for b in task:
            m = b.stop - b.start
            rows = _to_rows(g[b], groups, images_last)
            dcols = kernels.matmul(w_t, rows, out=scratch.part(dcols_buf, (groups, k // groups, m * oh * ow)))
            if images_last:
                dcols = dcols.reshape(groups * c_g, kh, kw, oh, ow, m)
                kernels.col2im_images_last(dcols, gx[b].shape, (kh, kw), stride, padding, dilation, out=gx[b])
            else:
                dcols = dcols.reshape(groups * c_g, kh, kw, m, oh, ow)
                kernels.col2im(dcols, gx[b].shape, (kh, kw), stride, padding, dilation, out=gx[b])

    _run_tasks(xp, run, _tasks(slices), n * k * oh * ow * gx.dtype.itemsize)
    return gx
    # END SOLUTION


def adjoint_weight(weight, groups):
    """The weight of the stride-1 convolution that is the adjoint (transpose) of a
    stride-1 convolution with ``weight``: in and out channels swapped within each group,
    and the kernel rotated by 180 degrees. (OC, C/G, kh, kw) -> (C, OC/G, kh, kw).

    Why: with stride 1, out[y] = sum_i W[i] x[y - p + i*d], so the input pixel u gets
    g[u + p - i*d] * W[i] from every tap i. Writing i = k-1-i' turns that into an
    ordinary convolution of g with padding d(k-1) - p and the rotated kernel W[k-1-i']:
    the "full" convolution of the gradient. Applying it twice gives ``weight`` back.
    """
    xp = get_array_module(weight)
    oc, c_g, kh, kw = weight.shape
    w = weight.reshape(groups, oc // groups, c_g, kh, kw)
    w = xp.swapaxes(w, 1, 2).reshape(groups * c_g, oc // groups, kh, kw)
    return xp.ascontiguousarray(w[:, :, ::-1, ::-1])


# ------------------------------------------------------------------------ Functions
class Conv2d(Function):
    """out = conv2d(x, W) + b  with x (N, C, H, W), W (OC, C/G, kh, kw), b (OC,).

    Backward, with g = dL/dout (N, OC, OH, OW):
        dL/dx = col2im(W^T @ g)                    (``conv_input_grad``)
        dL/dW = g @ im2col(x)^T                    (``conv_weight_grad``: the columns
                                                    are built again from the saved x)
        dL/db = sum of g over N, OH, OW

    That is the code a student reads first. With stride 1 (the common case; the fast
    path ``conv2d_backward_stride1``) dL/dx is also an ordinary convolution: of g, with
    the rotated, channel-swapped kernel ``adjoint_weight(W)`` and padding d(k-1) - p
    (the "full" convolution). Then ONE im2col, of g, serves both gradients
    (``columns_products``) instead of an im2col of x and a col2im: one pass over the
    9x-sized columns fewer (a 3x3 kernel), the same GEMMs. With W' = adjoint_weight(W)
    and cols' = im2col(g) at that padding:
        dL/dx = W' @ cols'                         (a convolution of g)
        dL/dW' = x @ cols'^T                       (its weight gradient, x playing g's part)
        dL/dW = adjoint_weight(dL/dW')             (rotating and swapping back)
    That pays only when g's columns are the smaller set and its GEMMs no larger
    (``_columns_of_g_pay``): "same" padding and OC < 2C (OC < C for dL/dW alone). A
    "valid" convolution (LeNet's: its full convolution runs over more pixels than the
    output has) or one that widens the channels takes the formulas above.

    A 3x3 stride-1 layer with enough channels and pixels (``winograd.applies``) computes
    its output by Winograd's algorithm instead, and both gradients as the adjoint of its
    steps (ops/winograd.py states them).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        if winograd.applies(x, weight, stride, padding, dilation, groups):  # 3x3, stride 1: ops/winograd.py
            out = winograd.conv2d_forward(x, weight, padding)
        else:
            out = conv_forward(x, weight, stride, padding, dilation, groups)
        ctx.save_for_backward(x, weight)  # the weight gradient rebuilds the columns (from x or g)
        ctx.conf = (stride, padding, dilation, groups)
        if bias is not None:  # into out, this op's own new array: no second output-sized array
            out += bias.reshape(1, -1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.conf
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gb = g.sum(axis=(0, 2, 3)) if need_b else None
        if winograd.applies(x, weight, stride, padding, dilation, groups):  # as the forward went
            gx, gw = winograd.conv2d_backward(x, weight, g, padding, need_x, need_w)
            return gx, gw, gb, None, None, None, None
        full_padding = _full_padding(weight.shape[2:], stride, padding, dilation)
        if full_padding is not None and not _columns_of_g_pay(x.shape, g.shape, need_x):
            full_padding = None
        if full_padding is None:  # the formulas as first written above
            gx = conv_input_grad(g, weight, x.shape, stride, padding, dilation, groups) if need_x else None
            gw = conv_weight_grad(x, g, weight.shape, stride, padding, dilation, groups) if need_w else None
        else:  # stride 1: the same two gradients from one im2col, of g
            gx, gw = conv2d_backward_stride1(x, weight, g, full_padding, dilation, groups, need_x, need_w)
        return gx, gw, gb, None, None, None, None


def _columns_of_g_pay(x_shape, g_shape, need_x):
    """Should a stride-1 backward build the columns of g (``conv2d_backward_stride1``)
    rather than take the formulas as first written (columns of x for dL/dW, and for dL/dx a
    second set of that size, W^T @ g, folded by col2im)?

    Per image and kernel tap, g's columns are OC*H*W entries (the full convolution runs
    over the input's H x W pixels) and x's are C*OH*OW. g's must be fewer than x's, or
    than both sets when dL/dx is wanted, and their GEMMs no longer (H*W <= OH*OW, as with
    "same" padding). Measured, fwd+bwd, one thread (benchmarks/issue14_log.md, "Eighth
    session"): 32->32 channels 8x8 "same" 1.72 (g) vs 1.84 ms; LeNet's 6->16, 14x14, 5x5
    "valid" 3.54 vs 1.50 ms; 32->64 8x8 "same" 3.08 vs 2.65 ms. A first layer (no dL/dx)
    with 1 input and 32 output channels builds 32x fewer columns from x.
    """
    c, h, w = x_shape[1:]
    oc, oh, ow = g_shape[1:]
    sets = 2 if need_x else 1
    return h * w <= oh * ow and oc * h * w < sets * c * oh * ow


def _full_padding(kernel_hw, stride, padding, dilation):
    """The padding d(k-1) - p of the "full" convolution that is a stride-1 conv2d's
    adjoint, or None when there is none (strided, or padded beyond the kernel)."""
    if stride != (1, 1):
        return None
    full = tuple(d * (k - 1) - p for d, k, p in zip(dilation, kernel_hw, padding))
    return full if min(full) >= 0 else None


def conv2d_backward_stride1(x, weight, g, full_padding, dilation, groups, need_x, need_w):
    """The fast path of ``Conv2d.backward`` for stride 1: (dL/dx, dL/dW) from ONE set of
    columns, of g, instead of an im2col of x and a col2im (see ``Conv2d``'s docstring):
        dL/dx = adjoint_weight(W) @ im2col(g)         a convolution of g
        dL/dW = adjoint_weight(x @ im2col(g)^T)       its weight gradient, rotated back
    """
    if not (need_x or need_w):
        return None, None
    w_adj = adjoint_weight(weight, groups) if need_x else None
    gx, gw_adj = columns_products(
        g, weight.shape[2:], (1, 1), full_padding, dilation, groups, weight=w_adj, grad=x if need_w else None
    )
    return gx, (None if gw_adj is None else adjoint_weight(gw_adj, groups))


class ConvTranspose2d(Function):
    """out = conv_transpose2d(y, W) + b  with y (N, C_in, H, W), W (C_in, C_out/G, kh, kw).

    The adjoint of conv2d (same W, stride, padding, dilation): it scatters every input
    pixel, weighted by the kernel, into the output (``conv_input_grad``). Its backward
    is therefore conv2d's forward:
        dL/dy = conv2d(g, W)                       (``conv_forward``)
        dL/dW = y @ im2col(g)^T                    (``conv_weight_grad`` with the roles of
                                                    input and output swapped)
        dL/db = sum of g over N, H_out, W_out
    Both products use the columns of g, built once (``columns_products``).

    output_padding op adds rows at the end of the output, so g has
    H_out = (H-1)s - 2p + d(k-1) + op + 1 rows and its columns have
    floor((H_out + 2p - d(k-1) - 1)/s) + 1 = H + op//s windows, one per pixel of y, plus
    op//s more when op >= s (PyTorch allows op up to d-1). Those extra windows belong to
    no pixel of y, so y gets op//s zero rows for dL/dW (they add nothing) and the extra
    rows of dL/dy are cut off (``_extra_windows``). Same for the width.
    """

    @staticmethod
    def forward(ctx, y, weight, bias, stride, padding, output_padding, dilation, groups, out_hw):
        # BEGIN SOLUTION task 3.4
        n = y.shape[0]
        c_out = weight.shape[1] * groups
        out = conv_input_grad(y, weight, (n, c_out) + out_hw, stride, padding, dilation, groups)
        ctx.save_for_backward(y, weight)
        ctx.conf = (stride, padding, output_padding, dilation, groups)
        if bias is not None:  # into out, this op's own new array
            out += bias.reshape(1, -1, 1, 1)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 3.4
        y, weight = ctx.saved_tensors
        stride, padding, output_padding, dilation, groups = ctx.conf
        gy = gw = gb = None
        need_y, need_w = ctx.needs_input_grad[:2]
        if need_y or need_w:  # one im2col of g for both
            extra = _extra_windows(output_padding, stride)
            gy, gw = columns_products(
                g, weight.shape[2:], stride, padding, dilation, groups,
                weight=weight if need_y else None, grad=_zero_rows(y, extra) if need_w else None,
            )
            if gy is not None and any(extra):  # windows past the end of y: no pixel of y
                gy = gy[:, :, : y.shape[2], : y.shape[3]]
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gy, gw, gb, None, None, None, None, None, None
        # END SOLUTION


def _extra_windows(output_padding, stride):
    """How many windows the columns of conv_transpose2d's g have beyond the pixels of y,
    per dimension: output_padding // stride (nonzero only when output_padding >= stride,
    which PyTorch allows when output_padding < dilation)."""
    return tuple(op // s for op, s in zip(output_padding, stride))


def _zero_rows(y, extra):
    """y (N, C, H, W) with extra[0] zero rows and extra[1] zero columns at the end, so
    it lines up with the columns of g; y itself when there are none."""
    if not any(extra):
        return y
    xp = get_array_module(y)
    n, c, h, w = y.shape
    out = xp.zeros((n, c, h + extra[0], w + extra[1]), dtype=y.dtype)
    out[:, :, :h, :w] = y
    return out


# --------------------------------------------------------------- argument checking
def _check_conv(op, x, weight, bias, groups):
    """Check a convolution's weight, groups, channels, bias and dtypes against the
    (batched) input ``x``, with errors that name the shapes involved."""
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight, got shape {weight.shape}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c = x.shape[1]
    if c % groups:
        raise RuntimeError(f"{op}: input channels ({c}) must be divisible by groups ({groups})")
    # conv2d's weight is (OC, C/G, kh, kw); the transposed op's is (C, OC/G, kh, kw)
    transposed = op == "conv_transpose2d"
    in_channels = weight.shape[0] if transposed else weight.shape[1] * groups
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if c != in_channels:
        raise RuntimeError(
            f"{op}: input of shape {x.shape} has {c} channels, but weight of shape {weight.shape} with "
            f"groups={groups} expects {in_channels} input channels"
        )
    if out_channels % groups:
        raise RuntimeError(f"{op}: out channels ({out_channels}) of weight {weight.shape} must be divisible by groups ({groups})")
    if bias is not None and bias.shape != (out_channels,):
        raise RuntimeError(f"{op}: bias of shape {bias.shape} does not match the output channels of weight {weight.shape}")
    _check_dtypes(op, x, weight, bias)


def _check_dtypes(op, x, weight, bias):
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:  # PyTorch refuses to mix them too
            raise RuntimeError(
                f"{op}: input and {name} must have the same dtype, but the input is {x.dtype} and the {name} is "
                f"{t.dtype}; convert one of them, e.g. {name}.to(input.dtype)"
            )


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch) of ``input`` (N, C, H, W) with
    ``weight`` (OC, C/groups, kh, kw). ``padding`` may be an int, a pair, ``"valid"``
    (no padding) or ``"same"`` (output size = input size; stride must be 1).

        out[n, o, i, j] = b[o] + sum over c, a, b' of
                          W[o, c, a, b'] * x[n, g*C/G + c, i*stride + a*dilation - padding,
                                                         j*stride + b'*dilation - padding]
        (g the group of output channel o; computed as W @ im2col(x))

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Weight: (C_out, C_in / groups, kH, kW);  bias: (C_out,)
        - Output: (N, C_out, H_out, W_out) or (C_out, H_out, W_out), where
          H_out = floor((H_in + 2*padding - dilation*(kH - 1) - 1) / stride + 1), W_out likewise.

    Backward: ops/conv.py (Conv2d): dL/dx = col2im(W^T @ g), dL/dW = g @ im2col(x)^T;
    the im2col/col2im kernels are in kernels/unfold.py.
    """
    input, unbatched = as_batched("conv2d", input)
    stride = pair("conv2d", "stride", stride, 1)
    dilation = pair("conv2d", "dilation", dilation, 1)
    _check_conv("conv2d", input, weight, bias, groups)
    kh, kw = weight.shape[2:]
    if isinstance(padding, str):
        input, padding = _string_padding(input, padding, stride, dilation, (kh, kw))
    padding = pair("conv2d", "padding", padding, 0)
    h, w = input.shape[2:]
    for size, k, p, d, axis in ((h, kh, padding[0], dilation[0], "height"), (w, kw, padding[1], dilation[1], "width")):
        if d * (k - 1) + 1 > size + 2 * p:
            raise RuntimeError(
                f"conv2d: kernel {axis} {k} (dilation {d}, spanning {d * (k - 1) + 1}) is larger than the padded "
                f"input {axis} {size + 2 * p} (input shape {input.shape}, padding {padding})"
            )
    out = Conv2d.apply(input, weight, bias, stride, padding, dilation, groups)
    return out.reshape(out.shape[1:]) if unbatched else out


def _string_padding(input, padding, stride, dilation, kernel_hw):
    """``"valid"`` is no padding; ``"same"`` pads d*(k-1) in total per dim, the odd extra
    pixel on the bottom/right (PyTorch's rule), which symmetric im2col padding cannot
    express, so that extra pixel is padded onto the input first."""
    if padding == "valid":
        return input, (0, 0)
    if padding != "same":
        raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' is not supported for strided convolutions (stride={stride})")
    totals = [d * (k - 1) for d, k in zip(dilation, kernel_hw)]
    extra = [t % 2 for t in totals]
    if any(extra):
        input = pad(input, (0, extra[1], 0, extra[0]))
    return input, (totals[0] // 2, totals[1] // 2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution ("deconvolution"): the adjoint of ``conv2d`` with the same
    weight, used to upsample. ``weight`` is (C_in, C_out/groups, kh, kw) and the output
    size is (H - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1.

        out = conv_transpose2d(x, W) + b: every input pixel x[n, c, i, j] adds
        x[n, c, i, j] * W[c, o, :, :] into the output window at (i*stride - padding, j*stride - padding)

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Weight: (C_in, C_out / groups, kH, kW);  bias: (C_out,)
        - Output: (N, C_out, H_out, W_out) or (C_out, H_out, W_out), where
          H_out = (H_in - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1, W_out likewise.

    Backward: ops/conv.py (ConvTranspose2d): dL/dx = conv2d(g, W), its forward's adjoint.
    """
    input, unbatched = as_batched("conv_transpose2d", input)
    stride = pair("conv_transpose2d", "stride", stride, 1)
    dilation = pair("conv_transpose2d", "dilation", dilation, 1)
    padding = pair("conv_transpose2d", "padding", padding, 0)
    output_padding = pair("conv_transpose2d", "output_padding", output_padding, 0)
    _check_conv("conv_transpose2d", input, weight, bias, groups)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:  # PyTorch's refusal, in its words
            raise RuntimeError(
                "conv_transpose2d: output padding must be smaller than either stride or dilation, but got "
                f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
                f"stride_height: {stride[0]} stride_width: {stride[1]} "
                f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
            )
    kh, kw = weight.shape[2:]
    out_hw = tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + op_ + 1
        for size, s, p, d, k, op_ in zip(input.shape[2:], stride, padding, dilation, (kh, kw), output_padding)
    )
    if min(out_hw) <= 0:
        raise RuntimeError(
            f"conv_transpose2d: the output size {out_hw} would be zero or negative for input shape {input.shape}, "
            f"weight {weight.shape}, stride {stride}, padding {padding}, output_padding {output_padding}, dilation {dilation}"
        )
    out = ConvTranspose2d.apply(input, weight, bias, stride, padding, output_padding, dilation, groups, out_hw)
    return out.reshape(out.shape[1:]) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of ``input`` (N, C, L) with ``weight`` (OC, C/groups, k): the same
    kernels, run on a one-pixel-high image (a composition: unsqueeze, conv2d, squeeze).

        out[n, o, l] = b[o] + sum over c, a of W[o, c, a] * x[n, c, l*stride + a*dilation - padding]

    Shape:
        - Input: (N, C_in, L_in) or (C_in, L_in)
        - Weight: (C_out, C_in / groups, k);  bias: (C_out,)
        - Output: (N, C_out, L_out) or (C_out, L_out), where
          L_out = floor((L_in + 2*padding - dilation*(k - 1) - 1) / stride + 1).

    Backward: composed: reshapes (ops/shape.py) around ops/conv.py (Conv2d).
    """
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected input (N, C, L) or (C, L) and weight (OC, C/groups, k), got {input.shape} and {weight.shape}")
    _check_dtypes("conv1d", input, weight, bias)
    unbatched = input.ndim == 2
    x = input.reshape(1 if unbatched else input.shape[0], input.shape[-2], 1, input.shape[-1])
    w = weight.reshape(weight.shape[0], weight.shape[1], 1, weight.shape[2])
    pad = padding if isinstance(padding, str) else (0, padding if isinstance(padding, int) else padding[0])
    first = lambda v: v if isinstance(v, int) else v[0]  # noqa: E731
    out = conv2d(x, w, bias, (1, first(stride)), pad, (1, first(dilation)), groups)
    out = out.reshape(out.shape[0], out.shape[1], out.shape[3])
    return out.reshape(out.shape[1:]) if unbatched else out
