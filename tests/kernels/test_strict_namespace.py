"""The vectorised kernels stay in their inputs' array namespace (so they run on CuPy).

``StrictArray`` (tests/strict_array.py) is NumPy inside but refuses every ``np.`` call
and every mix with a host array, as CuPy does. Each vectorised kernel runs on
StrictArray inputs and must return StrictArray results equal to the NumPy run.
"""
import numpy as np
import pytest

from tinygrad_edu.kernels import adaptive_pool, avg_pool, gemm, max_pool, pad, sums, unfold, upsample, warp

from ..strict_array import StrictArray


pytestmark = pytest.mark.usefixtures("strict_backend")  # tests/conftest.py registers StrictArray


rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 5, 6))
CONV = ((3, 2), (2, 1), (1, 1), (2, 1))  # kernel_size, stride, padding, dilation
POOL = ((3, 2), (2, 1), (1, 1), (1, 2), True)  # ... and ceil_mode
AVG = ((3, 2), (2, 1), (1, 1), True, False, None)  # kernel_size, stride, padding, ceil_mode, count_include_pad, divisor
_, INDICES = max_pool.max_pool2d_forward(X, *POOL)
DISTINCT = np.broadcast_to(np.arange(4).reshape(2, 2), (2, 3, 2, 2))  # distinct indices per plane
G_POOL, G_AVG, G_ADAPTIVE = rng.standard_normal(INDICES.shape), rng.standard_normal((2, 3, 3, 7)), rng.standard_normal((2, 3, 3, 4))
G_RESIZED, G_PADDED = rng.standard_normal((2, 3, 9, 7)), rng.standard_normal((2, 3, 12, 9))
THETA = np.array([[[0.0, 1.0, 0.5], [-1.0, 0.0, 1.0]], [[0.98, -0.17, -0.3], [0.17, 0.98, 0.25]]])  # host maps, as RandomAffine gives

CALLS = {  # name: (kernel, array arguments, other arguments)
    "im2col": (unfold.im2col, (X,), CONV),
    "im2col_images_last": (unfold.im2col_images_last, (X,), CONV),
    "col2im": (unfold.col2im, (unfold.im2col(X, *CONV),), (X.shape, *CONV)),
    "col2im_images_last": (unfold.col2im_images_last, (unfold.im2col_images_last(X, *CONV),), (X.shape, *CONV)),
    "max_pool2d_forward": (max_pool.max_pool2d_forward, (X,), POOL),
    "max_pool2d_backward": (max_pool.max_pool2d_backward, (G_POOL, INDICES), (X.shape,)),
    "max_unpool2d": (max_pool.max_unpool2d, (X[:, :, :2, :2], DISTINCT), ((3, 3),)),
    "max_unpool2d_backward": (max_pool.max_unpool2d_backward, (X, INDICES), ()),
    "avg_pool2d_forward": (avg_pool.avg_pool2d_forward, (X,), AVG),
    "avg_pool2d_backward": (avg_pool.avg_pool2d_backward, (G_AVG,), (X.shape, *AVG)),
    "adaptive_avg_pool2d_forward": (adaptive_pool.adaptive_avg_pool2d_forward, (X,), ((3, 4),)),
    "adaptive_avg_pool2d_backward": (adaptive_pool.adaptive_avg_pool2d_backward, (G_ADAPTIVE,), (X.shape,)),
    "adaptive_max_pool2d_forward": (adaptive_pool.adaptive_max_pool2d_forward, (X,), ((3, 4),)),
    "upsample_bilinear2d_forward": (upsample.upsample_bilinear2d_forward, (X,), ((9, 7), False, None)),
    "upsample_bilinear2d_backward": (upsample.upsample_bilinear2d_backward, (G_RESIZED,), (X.shape, True, None)),
    "upsample_nearest2d_forward": (upsample.upsample_nearest2d_forward, (X,), ((9, 7), None)),
    "upsample_nearest2d_backward": (upsample.upsample_nearest2d_backward, (G_RESIZED,), (X.shape, None)),
    "pad_reflect": (pad.pad_reflect, (X,), ((2, 1, 3, 4),)),
    "pad_reflect_backward": (pad.pad_reflect_backward, (G_PADDED,), ((2, 1, 3, 4),)),
    "pad_replicate": (pad.pad_replicate, (X,), ((2, 3),)),
    "pad_replicate_backward": (pad.pad_replicate_backward, (G_PADDED,), ((2, 1, 3, 4),)),
    "warp_affine": (warp.warp_affine, (X,), (THETA, "bilinear", 0.5)),
    "warp_affine_nearest": (warp.warp_affine, (X,), (THETA, "nearest", 0.0)),
    "matmul": (gemm.matmul, (X[:, :, :, :4], X[:, :, :4, :]), ()),
    "matmul_outer_product": (gemm.matmul, (X[:, :, :, :1], X[:, :1, :1, :]), ()),  # the broadcast multiply
    "matmul_large_float32": (gemm.matmul, (np.ones((128, 128), np.float32), np.ones((128, 128), np.float32)), ()),
    "sum_all": (sums.sum_all, (X,), ()),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_vectorised_kernel_stays_in_its_namespace(name):
    kernel, arrays, rest = CALLS[name]
    expected = kernel(*arrays, *rest)
    got = kernel(*(StrictArray(a) for a in arrays), *rest)
    expected, got = (expected, got) if isinstance(expected, tuple) else ((expected,), (got,))
    for g, e in zip(got, expected):
        assert type(g) is StrictArray, f"{name} returned a {type(g).__name__}, not a StrictArray"
        np.testing.assert_array_equal(g.to_numpy(), e, err_msg=name)
