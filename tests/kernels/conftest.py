"""Fixtures for the kernel tests: compile (or load from Numba's disk cache) every Numba
kernel once per session, so no single test pays the compile time."""
import numpy as np
import pytest

from tinygrad_edu.kernels import adam, adaptive_pool, avg_pool, max_pool, pad, sums, unfold, upsample
from tinygrad_edu.kernels._numba import HAVE_NUMBA


@pytest.fixture(scope="session", autouse=True)
def warm_numba_kernels():
    if not HAVE_NUMBA:
        return
    for dtype in (np.float32, np.float64):
        x = np.ones((1, 1, 4, 4), dtype=dtype)
        pair = (2, 2)
        cols = unfold.im2col_numba(x, pair, (1, 1), (1, 1), (1, 1))
        unfold.col2im_numba(cols, x.shape, pair, (1, 1), (1, 1), (1, 1))
        for window, padding in [(pair, (1, 1)), ((3, 3), (0, 0))]:  # strided: the flat loops, the general ones
            cols = unfold.im2col_numba(x, window, pair, padding, (1, 1))
            unfold.col2im_numba(cols, x.shape, window, pair, padding, (1, 1))
        out, indices = max_pool.max_pool2d_forward_numba(x, pair, pair, (0, 0), (1, 1))  # MaxPool2d(2)'s loop
        max_pool.max_pool2d_forward_numba(x, pair, (1, 1), (0, 0), (1, 1))  # the general loop
        max_pool.max_pool2d_backward_numba(out, indices, x.shape)
        max_pool.max_unpool2d_numba(out, indices, (4, 4))
        max_pool.max_unpool2d_backward_numba(x, indices)
        avg = avg_pool.avg_pool2d_forward_numba(x, pair, pair, (0, 0))
        avg_pool.avg_pool2d_backward_numba(avg, x.shape, pair, pair, (0, 0))
        adaptive_pool.adaptive_avg_pool2d_forward_numba(x, pair)
        adaptive_pool.adaptive_avg_pool2d_backward_numba(avg, x.shape)
        adaptive_pool.adaptive_max_pool2d_forward_numba(x, pair)
        big = upsample.upsample_bilinear2d_forward_numba(x, (8, 8), False)
        upsample.upsample_bilinear2d_backward_numba(big, x.shape, False)
        upsample.upsample_nearest2d_forward_numba(x, (8, 8))
        upsample.upsample_nearest2d_backward_numba(big, x.shape)
        for pad_form, pad_backward in [
            (pad.pad_reflect_numba, pad.pad_reflect_backward_numba),
            (pad.pad_replicate_numba, pad.pad_replicate_backward_numba),
        ]:
            pad_backward(pad_form(x, (1, 1, 1, 1)), (1, 1, 1, 1))
        if dtype == np.float32:  # its only dtype
            sums.sum_all_numba(x)
        for v_max in (None, np.zeros_like(x)):
            adam.adam_update_numba(x.copy(), x, np.zeros_like(x), np.zeros_like(x), v_max, 0.9, 0.999, 0.1, 1.0, 1e-8)
