"""col2im on the GPU as a deterministic gather (CUDA C through ``cupy.RawKernel``).

The readable form is ``unfold.col2im_reference``: for every column entry, *add* it to
the input pixel it was copied from. On a GPU that loop is a scatter: many threads add
into the same pixel, which needs atomics, and float atomics sum in whatever order the
threads arrive, so two runs differ in the last bits.

Turned around, it is a gather: one thread per input pixel ``(n, c, row, col)`` visits
the kernel taps ``(i, j)`` and asks which window, if any, put this pixel under that tap.
From ``row = oy*s_h - p_h + i*d_h``::

    oy = (row + p_h - i*d_h) / s_h     valid when the division is exact and 0 <= oy < OH

(and the same for ``ox``). The thread sums ``cols[c, i, j, n, oy, ox]`` over the valid
taps in the order ``i``, then ``j``, the order in which the vectorised ``col2im`` adds
its slices, and writes the pixel once. No atomics, one write per pixel, the same bits
every run.
"""
from tinygrad_edu.kernels import _cupy
from tinygrad_edu.kernels.unfold import out_array

COL2IM_GATHER = r"""
extern "C" __global__ void col2im_gather(
    const T* cols, T* x,
    const int n, const int c, const int h, const int w,
    const int kh, const int kw, const int oh, const int ow,
    const int sh, const int sw, const int ph, const int pw, const int dh, const int dw)
{
    // cols: (C, kh, kw, N, OH, OW) contiguous; x: (N, C, H, W) contiguous, fully written.
    const index_t total = (index_t)n * c * h * w;
    for (index_t idx = (index_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (index_t)blockDim.x * gridDim.x) {
        const int col = (int)(idx % w);
        const int row = (int)((idx / w) % h);
        const int ch = (int)((idx / ((index_t)w * h)) % c);
        const int b = (int)(idx / ((index_t)w * h * c));
        T sum = 0;
        for (int i = 0; i < kh; ++i) {
            const int ty = row + ph - i * dh;          // = oy * sh for the window that has
            if (ty < 0 || ty % sh != 0) continue;      //   this pixel under tap row i
            const int oy = ty / sh;
            if (oy >= oh) continue;
            for (int j = 0; j < kw; ++j) {
                const int tx = col + pw - j * dw;
                if (tx < 0 || tx % sw != 0) continue;
                const int ox = tx / sw;
                if (ox >= ow) continue;
                sum += cols[((((index_t)ch * kh + i) * kw + j) * n + b) * oh * ow + (index_t)oy * ow + ox];
            }
        }
        x[idx] = sum;
    }
}
"""


def col2im_cupy(cols, input_shape, kernel_size, stride, padding, dilation, out=None):
    """cols (C, kh, kw, N, OH, OW) -> (N, C, H, W): :func:`unfold.col2im` as one CUDA
    gather kernel (CuPy arrays only), written into ``out`` when given (it writes every pixel)."""
    _cupy.require_cupy("col2im_cupy", cols)
    import cupy

    n, c, h, w = input_shape
    kh, kw, _, oh, ow = cols.shape[1:]
    x = out_array(cupy, out, input_shape, cols.dtype, "col2im")
    _cupy.launch("col2im_gather", COL2IM_GATHER, cols.dtype, x.size,
                 (cupy.ascontiguousarray(cols), x, n, c, h, w, kh, kw, oh, ow, *stride, *padding, *dilation))
    return x
