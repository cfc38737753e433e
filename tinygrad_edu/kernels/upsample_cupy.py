"""Upsampling backward on the GPU as a deterministic gather (CUDA C through ``cupy.RawKernel``).

The readable forms are ``upsample.upsample_bilinear2d_backward_reference`` and
``upsample_nearest2d_backward_reference``: every output gradient is *added* to the input
pixels it was read from, with the forward's weights. On a GPU that scatter needs atomics
(several outputs read the same input pixel) and its sums would change order run to run.

Resizing is separable, so the gather is too. Along one axis output ``dst`` reads
``i0[dst]`` with weight ``1 - lam[dst]`` and ``i1[dst]`` with weight ``lam[dst]`` (nearest:
``i0 = i1 = source``, ``lam = 0``). The weight of input ``r`` in output ``dst`` is::

    a(dst, r) = (1 - lam[dst]) * [i0[dst] == r]  +  lam[dst] * [i1[dst] == r]

and the gradient of input pixel ``(r, q)`` is the double sum::

    grad_x[n, c, r, q] = sum over oy of a_y(oy, r) * sum over ox of a_x(ox, q) * g[n, c, oy, ox]

Because ``i0`` and ``i1`` never decrease along the axis, the outputs with a nonzero weight
for ``r`` form one run ``[start[r], end[r])``, found on the host with ``searchsorted``. One
thread per input pixel walks its two runs in order: no atomics, the same bits every run.
"""
import numpy as np

from tinygrad_edu.kernels import _cupy
from tinygrad_edu.kernels.upsample import _per_axis, linear_source, nearest_source

RESIZE_BACKWARD_GATHER = r"""
extern "C" __global__ void resize_backward_gather(
    const T* grad_out, T* grad_x,
    const index_t* y0, const index_t* y1, const T* ly, const index_t* y_start, const index_t* y_end,
    const index_t* x0, const index_t* x1, const T* lx, const index_t* x_start, const index_t* x_end,
    const int n, const int c, const int h, const int w, const int oh, const int ow)
{
    const index_t total = (index_t)n * c * h * w;
    for (index_t idx = (index_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (index_t)blockDim.x * gridDim.x) {
        const int q = (int)(idx % w);
        const int r = (int)((idx / w) % h);
        const T* g = grad_out + (idx / ((index_t)w * h)) * oh * ow;   // this (n, c) plane
        T sum = 0;
        for (index_t oy = y_start[r]; oy < y_end[r]; ++oy) {
            const T wy = (y0[oy] == r ? (T)1 - ly[oy] : (T)0) + (y1[oy] == r ? ly[oy] : (T)0);
            T row_sum = 0;
            for (index_t ox = x_start[q]; ox < x_end[q]; ++ox) {
                const T wx = (x0[ox] == q ? (T)1 - lx[ox] : (T)0) + (x1[ox] == q ? lx[ox] : (T)0);
                row_sum += wx * g[oy * ow + ox];
            }
            sum += wy * row_sum;
        }
        grad_x[idx] = sum;
    }
}
"""


def source_runs(i0, i1, in_size):
    """For each input index ``r``, the run ``[start[r], end[r])`` of output indices that read
    it (as ``i0`` or ``i1``). Host NumPy on the small per-axis index arrays."""
    r = np.arange(in_size)
    start = np.minimum(np.searchsorted(i0, r, "left"), np.searchsorted(i1, r, "left"))
    end = np.maximum(np.searchsorted(i0, r, "right"), np.searchsorted(i1, r, "right"))
    return start.astype(np.int64), np.maximum(end, start).astype(np.int64)


def _resize_backward(grad_out, input_shape, rows, cols):
    """Run the gather for per-axis sources ``rows``/``cols`` = (i0, i1, lam) (host arrays)."""
    import cupy

    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    axis_args = []
    for (i0, i1, lam), size in ((rows, h), (cols, w)):
        start, end = source_runs(i0, i1, size)
        axis_args += [cupy.asarray(i0, dtype=cupy.int64), cupy.asarray(i1, dtype=cupy.int64),
                      cupy.asarray(lam, dtype=grad_out.dtype), cupy.asarray(start), cupy.asarray(end)]
    grad_x = cupy.empty(input_shape, dtype=grad_out.dtype)
    _cupy.launch("resize_backward_gather", RESIZE_BACKWARD_GATHER, grad_out.dtype, grad_x.size,
                 (cupy.ascontiguousarray(grad_out), grad_x, *axis_args, n, c, h, w, oh, ow))
    return grad_x


def upsample_bilinear2d_backward_cupy(grad_out, input_shape, align_corners, scale_factor=None):
    """:func:`upsample.upsample_bilinear2d_backward` as a deterministic CUDA gather (CuPy only)."""
    _cupy.require_cupy("upsample_bilinear2d_backward_cupy", grad_out)
    sh, sw = _per_axis(scale_factor)
    rows = linear_source(input_shape[2], grad_out.shape[2], align_corners, sh)
    cols = linear_source(input_shape[3], grad_out.shape[3], align_corners, sw)
    return _resize_backward(grad_out, input_shape, rows, cols)


def upsample_nearest2d_backward_cupy(grad_out, input_shape, scale_factor=None):
    """:func:`upsample.upsample_nearest2d_backward` as a deterministic CUDA gather (CuPy only):
    the bilinear gather with ``i0 = i1 = source`` and weight 1."""
    _cupy.require_cupy("upsample_nearest2d_backward_cupy", grad_out)
    sh, sw = _per_axis(scale_factor)
    axes = []
    for in_size, out_size, scale in ((input_shape[2], grad_out.shape[2], sh), (input_shape[3], grad_out.shape[3], sw)):
        src = nearest_source(in_size, out_size, scale)
        axes.append((src, src, np.zeros(out_size)))
    return _resize_backward(grad_out, input_shape, *axes)
