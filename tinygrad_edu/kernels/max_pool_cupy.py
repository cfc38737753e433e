"""Max pooling forward and backward on the GPU (CUDA C through ``cupy.RawKernel``).

The readable forms are ``max_pool.max_pool2d_forward_reference`` and
``max_pool2d_backward_reference``; these kernels follow them line by line.

Forward: one thread per output ``(n, c, oy, ox)`` walks its window's taps, skipping
padding, and keeps the first tap, any strictly larger one, or a NaN (``v != v``: so the
last NaN wins and NaN propagates, as in PyTorch). It writes the maximum and its flat
index ``row * W + col``. The vectorised form needs kh*kw passes over the whole batch;
this is one pass.

Backward: the reference adds each output gradient into the pixel its index points at,
a scatter that needs atomics when windows overlap. As a gather, one thread per input
pixel ``(n, c, row, col)`` finds the windows that contain it, by the same tap inversion
as col2im (``oy = (row + p_h - i*d_h) / s_h`` when exact and in range), and sums the
gradients of those whose index is this pixel. A window meets a pixel under at most one
tap, so nothing is counted twice; the order is fixed, so runs are bit-identical. It
needs the window geometry, which the index array alone does not carry.
"""
from tinygrad_edu.kernels import _cupy
from tinygrad_edu.kernels.max_pool import pool_output_hw

MAX_POOL_FORWARD = r"""
extern "C" __global__ void max_pool2d_forward(
    const T* x, T* out, index_t* indices,
    const int n, const int c, const int h, const int w, const int oh, const int ow,
    const int kh, const int kw, const int sh, const int sw, const int ph, const int pw,
    const int dh, const int dw)
{
    const index_t total = (index_t)n * c * oh * ow;
    for (index_t idx = (index_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (index_t)blockDim.x * gridDim.x) {
        const int ox = (int)(idx % ow);
        const int oy = (int)((idx / ow) % oh);
        const index_t plane = idx / ((index_t)ow * oh);          // n * C + c
        const T* xp = x + plane * h * w;
        T best = (T)__int_as_float(0xff800000);                   // -inf: what padding holds
        index_t best_index = -1;
        for (int i = 0; i < kh; ++i) {
            const int row = oy * sh - ph + i * dh;
            if (row < 0 || row >= h) continue;                    // a padding tap never wins
            for (int j = 0; j < kw; ++j) {
                const int col = ox * sw - pw + j * dw;
                if (col < 0 || col >= w) continue;
                const T v = xp[(index_t)row * w + col];
                if (best_index < 0 || v > best || v != v) {       // first tap, larger, or NaN
                    best = v;
                    best_index = (index_t)row * w + col;
                }
            }
        }
        out[idx] = best;
        indices[idx] = best_index;
    }
}
"""

MAX_POOL_BACKWARD_GATHER = r"""
extern "C" __global__ void max_pool2d_backward_gather(
    const T* grad_out, const index_t* indices, T* grad_x,
    const int n, const int c, const int h, const int w, const int oh, const int ow,
    const int kh, const int kw, const int sh, const int sw, const int ph, const int pw,
    const int dh, const int dw)
{
    const index_t total = (index_t)n * c * h * w;
    for (index_t idx = (index_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (index_t)blockDim.x * gridDim.x) {
        const int col = (int)(idx % w);
        const int row = (int)((idx / w) % h);
        const index_t plane = idx / ((index_t)w * h);
        const index_t here = (index_t)row * w + col;              // this pixel's flat index
        const index_t base = plane * oh * ow;
        T sum = 0;
        for (int i = 0; i < kh; ++i) {
            const int ty = row + ph - i * dh;
            if (ty < 0 || ty % sh != 0) continue;
            const int oy = ty / sh;
            if (oy >= oh) continue;
            for (int j = 0; j < kw; ++j) {
                const int tx = col + pw - j * dw;
                if (tx < 0 || tx % sw != 0) continue;
                const int ox = tx / sw;
                if (ox >= ow) continue;
                const index_t o = base + (index_t)oy * ow + ox;
                if (indices[o] == here) sum += grad_out[o];       // this window's max is here
            }
        }
        grad_x[idx] = sum;
    }
}
"""


def max_pool2d_forward_cupy(x, kernel_size, stride, padding, dilation, ceil_mode=False):
    """x (N, C, H, W) -> (out, indices): :func:`max_pool.max_pool2d_forward` as one CUDA
    kernel (CuPy arrays only)."""
    _cupy.require_cupy("max_pool2d_forward_cupy", x)
    import cupy

    n, c, h, w = x.shape
    oh, ow = pool_output_hw((h, w), kernel_size, stride, padding, dilation, ceil_mode)
    out = cupy.empty((n, c, oh, ow), dtype=x.dtype)
    indices = cupy.empty((n, c, oh, ow), dtype=cupy.int64)
    _cupy.launch("max_pool2d_forward", MAX_POOL_FORWARD, x.dtype, out.size,
                 (cupy.ascontiguousarray(x), out, indices, n, c, h, w, oh, ow,
                  *kernel_size, *stride, *padding, *dilation))
    return out, indices


def max_pool2d_backward_cupy(grad_out, indices, input_shape, kernel_size, stride, padding, dilation):
    """The adjoint of the forward's selection as a deterministic CUDA gather:
    (N, C, OH, OW) -> input_shape (CuPy arrays only; needs the window geometry)."""
    _cupy.require_cupy("max_pool2d_backward_cupy", grad_out, indices)
    import cupy

    n, c, h, w = input_shape
    oh, ow = grad_out.shape[2:]
    grad_x = cupy.empty(input_shape, dtype=grad_out.dtype)
    _cupy.launch("max_pool2d_backward_gather", MAX_POOL_BACKWARD_GATHER, grad_out.dtype, grad_x.size,
                 (cupy.ascontiguousarray(grad_out), cupy.ascontiguousarray(indices, dtype=cupy.int64), grad_x,
                  n, c, h, w, oh, ow, *kernel_size, *stride, *padding, *dilation))
    return grad_x
