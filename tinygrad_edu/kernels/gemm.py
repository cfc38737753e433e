"""``matmul(a, b, out=None)``: the matrix products of the convolutions, the fully
connected layers and ``matmul``. NumPy's (or CuPy's) ``matmul``, except that a large
float32 product of NumPy arrays goes to oneDNN's ``dnnl_sgemm`` where oneDNN is
installed and enabled (backends/mkldnn.py: by default where the CPU has AVX-512), and an
outer product (inner dimension 1) is a broadcast multiply.

Why. A convolution spends most of its time in a few products, (OC x K) @ (K x pixels)
and their adjoints (ops/conv.py), and NumPy hands them to OpenBLAS. On the machine of
issue 14 (AMD EPYC, AVX-512, 2 cores) OpenBLAS is held to its AVX2 kernel
(``OPENBLAS_CORETYPE=Haswell``, a setting of the machine), while oneDNN, like PyTorch,
runs AVX-512. One thread, GFLOP/s, NumPy / oneDNN (benchmarks/issue14_log.md,
"Twenty-sixth session"):

    (512 x 64) @ (64 x 512)      conv_transpose2d's columns    122 / 227
    (64 x 576) @ (576 x 1024)    a 3x3 64-channel layer        117 / 210
    (128 x 1152) @ (1152 x 256)                                118 / 233
    (64 x 64) @ (64 x 64)        one of Winograd's products     94 /  78

Which products. oneDNN costs about 5 us a call before any arithmetic, NumPy about 1,
so small products stay NumPy's: a product goes to oneDNN from MIN_MULTIPLY_ADDS
(m * k * n) per matrix. Measured through this function, NumPy / oneDNN, microseconds:
64x64x64 5.5 / 12.2; 32x64x512 20.5 / 18.7; 128x64x128 18.9 / 18.4; 64x288x512
162 / 86. Winograd's 36 small products per slice (ops/winograd.py) thus stay one
batched NumPy call.

How. NumPy's semantics: (..., m, k) @ (..., k, n) -> (..., m, n), the leading dims
broadcast, into ``out`` if given. oneDNN takes one 2-D product per call, each matrix
given by its address, a row stride and whether it is stored transposed, so a batch is
a loop of calls, and each matrix is passed as it lies in memory when its rows or its
columns are contiguous (``_layout``; else it is copied first). The reference is
``numpy.matmul`` itself: tests/kernels/test_gemm.py checks that the two agree to
float32 rounding on random shapes, strides, transposes and broadcasts.

Outer products. With an inner dimension of 1, each entry of a @ b is a single product,
a_i1 * b_1j, so ``a * b`` broadcast gives the same values, bit for bit. NumPy's matmul
is slow at it: one thread, microseconds, matmul / broadcast multiply, (4096 x 1) @
(1 x 128) (a one-output layer's input gradient in the coordinate MLP) 558-612 / 238-246;
(256 x 1) @ (1 x 256) 73-87 / 26; (32 x 1) @ (1 x 128) 5.1 / 2.3 (benchmarks/
issue14_log.md, "Fiftieth session"). With k = 2 NumPy's matmul is fast again.
"""
import itertools

import numpy as np

from ..backend import get_array_module
from ..backends import mkldnn

MIN_MULTIPLY_ADDS = 2**20  # m * k * n of one matrix product; below it NumPy's matmul
_FLOAT32 = np.dtype(np.float32)
_ITEM = _FLOAT32.itemsize


def matmul(a, b, out=None):
    """``xp.matmul(a, b, out=out)``; outer products by a broadcast multiply, the large
    float32 products of NumPy arrays by oneDNN when it is available and
    ``backends.mkldnn.enabled`` (module docstring)."""
    xp = get_array_module(a, b)
    # A small product must cost little more than xp.matmul itself (the MLP takes nine a
    # step): two tests on the shapes, each read once (``.shape`` makes a new tuple),
    # before the full checks.
    shape_a, shape_b = a.shape, b.shape
    if len(shape_a) >= 2 and len(shape_b) >= 2:
        k = shape_a[-1]
        if k == 1 and _is_outer_product(xp, a, b, out):
            return xp.multiply(a, b, out=out)
        if shape_a[-2] * k * shape_b[-1] >= MIN_MULTIPLY_ADDS and _onednn_applies(a, b, out):
            return _onednn_matmul(a, b, out)
    return xp.matmul(a, b, out=out)


def _onednn_matmul(a, b, out):
    """``np.matmul(a, b, out=out)`` by oneDNN, one call per matrix of the batch."""
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = a.shape[:-2]
    if b.shape[:-2] != batch:  # the leading dims broadcast (NumPy's rule)
        batch = np.broadcast_shapes(batch, b.shape[:-2])
    if out is None:
        out = np.empty(batch + (m, n), dtype=_FLOAT32)
    elif out.shape != batch + (m, n):
        return np.matmul(a, b, out=out)  # NumPy's own error for a wrong ``out``
    (trans_a, lda), a = _layout_or_copy(a)
    (trans_b, ldb), b = _layout_or_copy(b)
    layout_c = _layout(out)
    if layout_c is not None and layout_c[0] == b"N":  # oneDNN writes rows: straight into out
        c, ldc = out, layout_c[1]
    else:  # into C-order scratch, copied into out at the end
        c, ldc = np.empty(out.shape, _FLOAT32), n
    # one oneDNN call per matrix of the batch, each matrix found by its address: the first
    # one's, plus the index times the byte step along each leading dim (0 where broadcast).
    # Steps rather than np.broadcast_to's views: a broadcast batch's Python (one image's
    # output product, (1, 64, 512) @ (2, 1, 512, 256)) 21-22 -> 14 us a call, one thread;
    # the conv_transpose2d step 0.986-0.996x on one thread, even on two (benchmarks/
    # issue14_log.md, "Forty-third session")
    steps = _batch_steps(a, batch), _batch_steps(b, batch), c.strides[:-2]
    starts = a.ctypes.data, b.ctypes.data, c.ctypes.data
    for index in itertools.product(*map(range, batch)):
        pa, pb, pc = starts
        for i, step_a, step_b, step_c in zip(index, *steps):
            pa, pb, pc = pa + i * step_a, pb + i * step_b, pc + i * step_c
        mkldnn.sgemm(trans_a, trans_b, m, n, k, pa, lda, pb, ldb, pc, ldc)
    if c is not out:
        out[...] = c
    return out


def onednn_takes(multiply_adds):
    """Would oneDNN take a float32 product of this many multiply-adds (m * k * n) now?"""
    return multiply_adds >= MIN_MULTIPLY_ADDS and mkldnn.active()


def _is_outer_product(xp, a, b, out):
    """``a @ b`` is a batch of outer products: plain ``xp`` arrays (no ``np.matrix``) of
    matrices with inner dimension 1, and no ``out`` or one of exactly the product's shape
    (a larger ``out`` is broadcast into by matmul's own rule)."""
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != 1 or b.shape[-2] != 1:
        return False
    if type(a) is not xp.ndarray or type(b) is not xp.ndarray:
        return False
    if out is None:
        return True
    return out.shape == np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])


def _onednn_applies(a, b, out):
    """oneDNN takes ``a @ b``: both float32 NumPy arrays of matrices (2-D or more), each
    product at least MIN_MULTIPLY_ADDS, an ``out`` (if any) float32 and apart from both,
    and oneDNN available and enabled. (NumPy's matmul raises the shape errors.)"""
    if type(a) is not np.ndarray or type(b) is not np.ndarray:  # CuPy, np.matrix: their own matmul
        return False
    if a.dtype != _FLOAT32 or b.dtype != _FLOAT32 or a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        return False
    if a.shape[-2] * a.shape[-1] * b.shape[-1] < MIN_MULTIPLY_ADDS:  # zero-size products too
        return False
    if not (a.flags.aligned and b.flags.aligned):
        return False
    if out is not None:
        if type(out) is not np.ndarray or out.dtype != _FLOAT32 or not out.flags.aligned:
            return False
        if np.may_share_memory(out, a) or np.may_share_memory(out, b):
            return False  # NumPy copies the inputs first; a product in place would not
    return mkldnn.active()


def _layout(a):
    """How the matrices (the last two dims) of a float32 array lie in memory, for oneDNN:
    (b"N", row stride) when each row is contiguous, (b"T", column stride) when each
    column is (the matrix stored transposed), strides in elements; None when neither
    (a negative or broadcast stride, a step between elements)."""
    rows, cols = a.shape[-2:]
    row_step, col_step = a.strides[-2], a.strides[-1]
    if row_step % _ITEM or col_step % _ITEM:
        return None
    row_step, col_step = row_step // _ITEM, col_step // _ITEM
    if col_step == 1 or cols == 1:
        lead = row_step if rows > 1 else cols  # a single row's stride says nothing
        if lead >= cols:
            return b"N", lead
    if row_step == 1 or rows == 1:
        lead = col_step if cols > 1 else rows
        if lead >= rows:
            return b"T", lead
    return None


def _layout_or_copy(a):
    """(_layout(a), a), with ``a`` first copied to C order when it has no layout oneDNN takes."""
    layout = _layout(a)
    if layout is None:
        a = np.ascontiguousarray(a)
        layout = _layout(a)
    return layout, a


def _batch_steps(a, batch):
    """The byte step from one matrix of ``a`` to the next along each dim of ``batch``
    (its leading dims, which ``a``'s broadcast to, aligned at the right as NumPy aligns
    them): ``a``'s stride, or 0 where ``a`` has size 1 there or lacks the dim. This is
    ``np.broadcast_to(a, batch + (m, k)).strides[:-2]``, without making the view."""
    lead = a.ndim - 2
    steps = [0] * (len(batch) - lead)
    for size, stride in zip(a.shape[:lead], a.strides[:lead]):
        steps.append(0 if size == 1 else stride)
    return steps
