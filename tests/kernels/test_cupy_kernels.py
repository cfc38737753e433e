"""The CUDA kernels (kernels/*_cupy.py) against their readable references.

Three levels, because CI has no GPU:

1. ``nvcc``: every kernel source, for float32 and float64, compiles to PTX with no
   warning (syntax and types; skipped where nvcc is not installed);
2. emulation (tests/kernels/cuda_emulation.py): the same source compiled by g++ and
   run thread by thread on the CPU, through the unchanged Python wrappers, equals the
   ``*_reference`` loops on hypothesis-drawn configurations;
3. ``gpu``-marked: the CuPy forms on a real GPU equal the references and give the same
   bits twice (skipped, with the reason, where CUDA is not usable).
"""
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu.kernels import _cupy, max_pool, max_pool_cupy, unfold, unfold_cupy, upsample, upsample_cupy

from .checks import TOLERANCE
from .cuda_emulation import CXX, DeviceArray, emulation, nvcc_check, to_device
from .strategies import conv_configs, images, kernel_settings, max_pool_configs, upsample_configs

SOURCES = {
    "col2im_gather": unfold_cupy.COL2IM_GATHER,
    "max_pool2d_forward": max_pool_cupy.MAX_POOL_FORWARD,
    "max_pool2d_backward_gather": max_pool_cupy.MAX_POOL_BACKWARD_GATHER,
    "resize_backward_gather": upsample_cupy.RESIZE_BACKWARD_GATHER,
}
needs_cxx = pytest.mark.skipif(CXX is None, reason="no C++ compiler (g++) to emulate the CUDA kernels on the CPU")


def assert_matches(got, expected, who):
    assert got.shape == expected.shape and got.dtype == expected.dtype, (who, got.shape, got.dtype, expected.shape)
    tol = TOLERANCE[np.dtype(expected.dtype)] if expected.dtype.kind == "f" else 0
    np.testing.assert_allclose(np.asarray(got), expected, rtol=tol, atol=tol, err_msg=who)


# ----------------------------------------------------------------------------- 1. nvcc
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (the CUDA toolkit) is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_kernel_source_compiles_with_nvcc(name, dtype):
    ok, output = nvcc_check(_cupy.source(SOURCES[name], dtype))
    assert ok, f"{name} ({np.dtype(dtype)}) does not compile:\n{output}"
    assert f"void {name}(" in SOURCES[name] and 'extern "C" __global__' in SOURCES[name]


def test_only_float32_and_float64_kernels():
    with pytest.raises(TypeError, match="float32 and float64 only, got int64"):
        _cupy.source(unfold_cupy.COL2IM_GATHER, np.int64)


def test_cuda_forms_refuse_host_arrays():
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(TypeError, match="col2im_cupy: the CUDA kernels take CuPy arrays on a GPU, got ndarray"):
        unfold_cupy.col2im_cupy(np.zeros((1, 2, 2, 1, 3, 3), np.float32), x.shape, (2, 2), (1, 1), (0, 0), (1, 1))
    with pytest.raises(TypeError, match="max_pool2d_forward_cupy"):
        max_pool_cupy.max_pool2d_forward_cupy(x, (2, 2), (2, 2), (0, 0), (1, 1))


# ----------------------------------------------------------------------------- 2. emulation
@needs_cxx
@kernel_settings
@given(conv_configs(), st.data())
def test_col2im_gather_equals_reference(cfg, data):
    cols = unfold.im2col_reference(cfg.x, *cfg.args)
    cols = data.draw(images(cols.shape, cfg.x.dtype))
    expected = unfold.col2im_reference(cols, cfg.x.shape, *cfg.args)
    with emulation():
        got = unfold_cupy.col2im_cupy(to_device(cols), cfg.x.shape, *cfg.args)
        out = to_device(np.full(cfg.x.shape, np.nan, dtype=cfg.x.dtype))
        into = unfold_cupy.col2im_cupy(to_device(cols), cfg.x.shape, *cfg.args, out=out)
    assert type(got) is DeviceArray
    assert_matches(got, expected, "col2im_cupy")
    assert into is out  # written in place, every pixel (out started as NaN)
    assert_matches(into, expected, "col2im_cupy(out=)")


@needs_cxx
@kernel_settings
@given(max_pool_configs(), st.data())
def test_max_pool_kernels_equal_reference(cfg, data):
    args = (cfg.kernel_size, cfg.stride, cfg.padding, cfg.dilation)
    out, indices = max_pool.max_pool2d_forward_reference(cfg.x, *args, cfg.ceil_mode)
    grad_out = data.draw(images(out.shape, cfg.x.dtype))
    grad_x = max_pool.max_pool2d_backward_reference(grad_out, indices, cfg.x.shape)
    with emulation():
        got_out, got_indices = max_pool_cupy.max_pool2d_forward_cupy(to_device(cfg.x), *args, cfg.ceil_mode)
        got_grad = max_pool_cupy.max_pool2d_backward_cupy(to_device(grad_out), to_device(indices), cfg.x.shape, *args)
    np.testing.assert_array_equal(np.asarray(got_out), out)  # a max is a copy: exact, NaN included
    np.testing.assert_array_equal(np.asarray(got_indices), indices)
    assert_matches(got_grad, grad_x, "max_pool2d_backward_cupy")


def test_max_pool_nan_and_ties_follow_the_reference():
    x = np.array([[[[1.0, 1.0, np.nan, 2.0], [1.0, np.nan, 0.0, 2.0]]]], np.float32)
    if CXX is None:
        pytest.skip("no C++ compiler (g++) to emulate the CUDA kernels on the CPU")
    args = ((2, 2), (2, 2), (0, 0), (1, 1))
    out, indices = max_pool.max_pool2d_forward_reference(x, *args)
    with emulation():
        got_out, got_indices = max_pool_cupy.max_pool2d_forward_cupy(to_device(x), *args)
    np.testing.assert_array_equal(np.asarray(got_out), out)
    np.testing.assert_array_equal(np.asarray(got_indices), indices)
    assert np.isnan(out[0, 0, 0, 0]) and indices[0, 0, 0, 0] == 5  # the last NaN of the window


@needs_cxx
@kernel_settings
@given(upsample_configs(), st.data())
def test_upsample_backward_gathers_equal_reference(cfg, data):
    n, c = cfg.x.shape[:2]
    grad_out = data.draw(images((n, c, *cfg.output_size), cfg.x.dtype))
    bilinear = upsample.upsample_bilinear2d_backward_reference(grad_out, cfg.x.shape, cfg.align_corners, cfg.scale_factor)
    nearest = upsample.upsample_nearest2d_backward_reference(grad_out, cfg.x.shape, cfg.scale_factor)
    with emulation():
        got_bilinear = upsample_cupy.upsample_bilinear2d_backward_cupy(
            to_device(grad_out), cfg.x.shape, cfg.align_corners, cfg.scale_factor)
        got_nearest = upsample_cupy.upsample_nearest2d_backward_cupy(to_device(grad_out), cfg.x.shape, cfg.scale_factor)
    assert_matches(got_bilinear, bilinear, "upsample_bilinear2d_backward_cupy")
    assert_matches(got_nearest, nearest, "upsample_nearest2d_backward_cupy")


@needs_cxx
def test_emulated_launch_wraps_the_grid():
    # 3 blocks of 4 threads for 2*3*5*5 = 150 pixels: each thread strides over about 13
    cols = np.random.default_rng(0).standard_normal((3, 2, 2, 2, 4, 4))
    with emulation() as launches:
        got = unfold_cupy.col2im_cupy(to_device(cols), (2, 3, 5, 5), (2, 2), (1, 1), (0, 0), (1, 1))
    assert launches == [("col2im_gather", 3, 4)]
    assert_matches(got, unfold.col2im_reference(cols, (2, 3, 5, 5), (2, 2), (1, 1), (0, 0), (1, 1)), "col2im_cupy")
    with emulation(threads_per_block=256, max_blocks=65535) as launches:
        unfold_cupy.col2im_cupy(to_device(cols), (2, 3, 5, 5), (2, 2), (1, 1), (0, 0), (1, 1))
    assert launches == [("col2im_gather", 1, 256)]  # one block covers 150 pixels; 106 threads idle


# ----------------------------------------------------------------------------- 3. real GPU
@pytest.fixture(scope="module")
def cupy():
    if not tge.cuda.is_available():
        pytest.skip(f"CUDA is not usable here: {tge.cuda.unavailable_reason()}")
    import cupy

    return cupy


def _twice(fn, *args):
    first, second = fn(*args), fn(*args)
    first, second = (first if isinstance(first, tuple) else (first,)), (second if isinstance(second, tuple) else (second,))
    for a, b in zip(first, second):
        assert a.tobytes() == b.tobytes(), "two runs on the same GPU gave different bits"
    return first if len(first) > 1 else first[0]


@pytest.mark.gpu
@kernel_settings
@given(conv_configs(), st.data())
def test_gpu_col2im_equals_reference(cupy, cfg, data):
    cols = data.draw(images(unfold.im2col_reference(cfg.x, *cfg.args).shape, cfg.x.dtype))
    got = _twice(unfold_cupy.col2im_cupy, cupy.asarray(cols), cfg.x.shape, *cfg.args)
    assert_matches(cupy.asnumpy(got), unfold.col2im_reference(cols, cfg.x.shape, *cfg.args), "col2im_cupy on the GPU")


@pytest.mark.gpu
@kernel_settings
@given(max_pool_configs(), st.data())
def test_gpu_max_pool_equals_reference(cupy, cfg, data):
    args = (cfg.kernel_size, cfg.stride, cfg.padding, cfg.dilation)
    out, indices = max_pool.max_pool2d_forward_reference(cfg.x, *args, cfg.ceil_mode)
    got_out, got_indices = _twice(max_pool_cupy.max_pool2d_forward_cupy, cupy.asarray(cfg.x), *args, cfg.ceil_mode)
    np.testing.assert_array_equal(cupy.asnumpy(got_out), out)
    np.testing.assert_array_equal(cupy.asnumpy(got_indices), indices)
    grad_out = data.draw(images(out.shape, cfg.x.dtype))
    got = _twice(max_pool_cupy.max_pool2d_backward_cupy, cupy.asarray(grad_out), cupy.asarray(indices), cfg.x.shape, *args)
    assert_matches(cupy.asnumpy(got), max_pool.max_pool2d_backward_reference(grad_out, indices, cfg.x.shape),
                   "max_pool2d_backward_cupy on the GPU")


@pytest.mark.gpu
@kernel_settings
@given(upsample_configs(), st.data())
def test_gpu_upsample_backward_equals_reference(cupy, cfg, data):
    n, c = cfg.x.shape[:2]
    grad_out = data.draw(images((n, c, *cfg.output_size), cfg.x.dtype))
    got = _twice(upsample_cupy.upsample_bilinear2d_backward_cupy, cupy.asarray(grad_out), cfg.x.shape,
                 cfg.align_corners, cfg.scale_factor)
    expected = upsample.upsample_bilinear2d_backward_reference(grad_out, cfg.x.shape, cfg.align_corners, cfg.scale_factor)
    assert_matches(cupy.asnumpy(got), expected, "upsample_bilinear2d_backward_cupy on the GPU")
    got = _twice(upsample_cupy.upsample_nearest2d_backward_cupy, cupy.asarray(grad_out), cfg.x.shape, cfg.scale_factor)
    expected = upsample.upsample_nearest2d_backward_reference(grad_out, cfg.x.shape, cfg.scale_factor)
    assert_matches(cupy.asnumpy(got), expected, "upsample_nearest2d_backward_cupy on the GPU")


# ----------------------------------------------------------------------------- dispatch
@needs_cxx
def test_dispatcher_gives_device_arrays_the_cuda_forms_and_host_arrays_the_cpu_forms():
    from tinygrad_edu import kernels

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5))
    window = ((3, 2), (2, 1), (1, 1), (1, 1))
    out, indices = max_pool.max_pool2d_forward_reference(x, *window)
    g = rng.standard_normal(out.shape)
    cols = unfold.im2col_reference(x, *window)
    for kernel_set in ("numpy", "numba"):
        with kernels.using(kernel_set), emulation() as launches:
            host = [kernels.max_pool2d_forward(x, *window), kernels.max_pool2d_backward(g, indices, x.shape, window),
                    kernels.col2im(cols, x.shape, *window),
                    kernels.upsample_bilinear2d_backward(g, x.shape, False), kernels.upsample_nearest2d_backward(g, x.shape)]
            assert launches == [], "host arrays ran a CUDA kernel"
            device = [kernels.max_pool2d_forward(to_device(x), *window),
                      kernels.max_pool2d_backward(to_device(g), to_device(indices), x.shape, window),
                      kernels.col2im(to_device(cols), x.shape, *window),
                      kernels.upsample_bilinear2d_backward(to_device(g), x.shape, False),
                      kernels.upsample_nearest2d_backward(to_device(g), x.shape)]
        assert [name for name, _, _ in launches] == ["max_pool2d_forward", "max_pool2d_backward_gather", "col2im_gather",
                                                     "resize_backward_gather", "resize_backward_gather"]
        for h, d in zip(host, device):
            for a, b in zip(h if isinstance(h, tuple) else (h,), d if isinstance(d, tuple) else (d,)):
                assert type(a) is np.ndarray and type(b) is DeviceArray
                np.testing.assert_allclose(np.asarray(b), a, rtol=1e-12, atol=1e-12)


@needs_cxx
def test_numba_never_sees_a_device_array(monkeypatch):
    from tinygrad_edu import kernels

    def refuse(*args, **kwargs):
        raise AssertionError("a Numba form was called")

    monkeypatch.setattr(unfold, "col2im_numba", refuse)
    cols = np.ones((1, 2, 2, 1, 2, 2))
    with kernels.using("numba"), emulation() as launches:
        assert type(kernels.col2im(to_device(cols), (1, 1, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1))) is DeviceArray
    assert [name for name, _, _ in launches] == ["col2im_gather"]
    with kernels.using("numba"), pytest.raises(AssertionError, match="a Numba form was called"):
        kernels.col2im(cols, (1, 1, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1))  # the check itself can fail
