"""The kernel-set switch: use/current, the environment variable, the dispatch rule,
and the Numba forms' refusal of non-NumPy arrays."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu.kernels as kernels
from tinygrad_edu.kernels import adaptive_pool, avg_pool, max_pool, pad, select, unfold, upsample, warp
from tinygrad_edu.kernels._numba import HAVE_NUMBA

from .checks import assert_close

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="Numba is not installed")


@pytest.fixture
def restore_kernel_set():
    saved = kernels.current()
    yield
    kernels.use(saved)


def test_use_and_current(restore_kernel_set):
    kernels.use("numpy")
    assert kernels.current() == "numpy"
    if HAVE_NUMBA:
        kernels.use("numba")
        assert kernels.current() == "numba"


def test_default_is_numba_when_installed():
    assert kernels.DEFAULT_KERNEL_SET == ("numba" if HAVE_NUMBA else "numpy")


def test_unknown_kernel_set_names_the_valid_ones(restore_kernel_set):
    with pytest.raises(ValueError, match="unknown kernel set 'cuda'; the valid sets are 'numpy' and 'numba'"):
        kernels.use("cuda")


def test_numba_set_without_numba_says_how_to_get_it(restore_kernel_set, monkeypatch):
    monkeypatch.setattr(kernels, "HAVE_NUMBA", False)
    with pytest.raises(ImportError, match="pip install numba"):
        kernels.use("numba")


def _current_in_fresh_interpreter(value):
    env = dict(os.environ, TINYGRAD_EDU_KERNELS=value, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(
        [sys.executable, "-c", "import tinygrad_edu.kernels as k; print(k.current())"],
        env=env, capture_output=True, text=True,
    )


def test_environment_variable_chooses_the_set_at_import():
    result = _current_in_fresh_interpreter("numpy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "numpy"


def test_bad_environment_variable_fails_the_import_clearly():
    result = _current_in_fresh_interpreter("fast")
    assert result.returncode != 0
    assert "TINYGRAD_EDU_KERNELS='fast' names no kernel set; the valid sets are 'numpy' and 'numba'" in result.stderr


@needs_numba
def test_dispatch_takes_the_numba_form_only_for_numpy_float_arrays(restore_kernel_set, monkeypatch):
    calls = []
    monkeypatch.setattr(unfold, "im2col_numba", lambda *args: calls.append("numba"))
    monkeypatch.setattr(unfold, "im2col", lambda *args: calls.append("vectorised"))
    args = ((1, 1), (1, 1), (0, 0), (1, 1))

    class NotNumPy:  # stands in for a CuPy array: any non-NumPy array
        dtype = np.dtype(np.float32)

    kernels.use("numba")
    kernels.im2col(np.zeros((1, 1, 2, 2)), *args)
    kernels.im2col(NotNumPy(), *args)
    kernels.im2col(np.zeros((1, 1, 2, 2), dtype=np.float16), *args)  # no compiled loops for float16
    kernels.use("numpy")
    kernels.im2col(np.zeros((1, 1, 2, 2)), *args)
    assert calls == ["numba", "vectorised", "vectorised", "vectorised"]


# two affine maps (N, 2, 3) for the warp, which every output pixel reads through
THETA = np.array([[[0.0, 1.0, 0.5], [-1.0, 0.0, 1.0]], [[0.98, -0.17, -0.3], [0.17, 0.98, 0.25]]])


def _dispatch_cases(x):
    """(module, kernel name, arguments) for every dispatcher in tinygrad_edu.kernels."""
    pair, one, no_pad = (2, 2), (1, 1), (0, 0)
    cols = unfold.im2col(x, pair, one, one, one)
    out, indices = max_pool.max_pool2d_forward(x, pair, pair, no_pad, one)
    avg = avg_pool.avg_pool2d_forward(x, pair, pair, one, True, False)
    big = upsample.upsample_bilinear2d_forward(x, (7, 9), False)
    padded = pad.pad_reflect(x, (1, 2, 2, 1))
    return [
        (unfold, "im2col", (x, pair, one, one, one)),
        (unfold, "im2col_images_last", (x, pair, one, one, one)),
        (unfold, "col2im", (cols, x.shape, pair, one, one, one)),
        (unfold, "col2im_images_last", (np.ascontiguousarray(np.moveaxis(cols, 3, 5)), x.shape, pair, one, one, one)),
        (max_pool, "max_pool2d_forward", (x, pair, pair, no_pad, one)),
        (max_pool, "max_pool2d_backward", (out, indices, x.shape)),
        (max_pool, "max_unpool2d", (out, indices, x.shape[2:])),
        (max_pool, "max_unpool2d_backward", (x, indices)),
        (avg_pool, "avg_pool2d_forward", (x, pair, pair, one, True, False)),
        (avg_pool, "avg_pool2d_backward", (avg, x.shape, pair, pair, one, True, False)),
        (adaptive_pool, "adaptive_avg_pool2d_forward", (x, (3, 2))),
        (adaptive_pool, "adaptive_avg_pool2d_backward", (avg, x.shape)),
        (adaptive_pool, "adaptive_max_pool2d_forward", (x, (3, 2))),
        (adaptive_pool, "adaptive_max_pool2d_backward", (out, indices, x.shape)),
        (upsample, "upsample_bilinear2d_forward", (x, (7, 9), False)),
        (upsample, "upsample_bilinear2d_backward", (big, x.shape, False)),
        (upsample, "upsample_nearest2d_forward", (x, (7, 9))),
        (upsample, "upsample_nearest2d_backward", (big, x.shape)),
        (pad, "pad_reflect", (x, (1, 2, 2, 1))),
        (pad, "pad_reflect_backward", (padded, (1, 2, 2, 1))),
        (pad, "pad_replicate", (x, (1, 2))),
        (pad, "pad_replicate_backward", (padded, (1, 2))),
        (warp, "warp_affine", (x, THETA, "bilinear", 0.5)),
        (warp, "warp_affine", (x, THETA, "nearest", 0.0)),
    ]


@pytest.mark.parametrize("kernel_set", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_every_dispatcher_matches_the_vectorised_form(kernel_set, restore_kernel_set):
    kernels.use(kernel_set)
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 6))
    for module, name, args in _dispatch_cases(x):
        expected = getattr(module, name)(*args)
        assert_close(getattr(kernels, name)(*args), expected, f"kernels.{name} with the {kernel_set} set")


@needs_numba
def test_numba_forms_agree_when_many_planes_share_the_threads():
    # Enough planes that every thread gets several: a race between planes would show here.
    x = np.random.default_rng(1).standard_normal((8, 16, 9, 11))
    cols = unfold.im2col_numba(x, (3, 3), (2, 1), (1, 1), (1, 2))
    assert_close(cols, unfold.im2col(x, (3, 3), (2, 1), (1, 1), (1, 2)), "im2col_numba")
    assert_close(
        unfold.col2im_numba(cols, x.shape, (3, 3), (2, 1), (1, 1), (1, 2)),
        unfold.col2im(cols, x.shape, (3, 3), (2, 1), (1, 1), (1, 2)),
        "col2im_numba",
    )
    out, indices = max_pool.max_pool2d_forward_numba(x, (3, 3), (1, 1), (1, 1), (1, 1))
    expected = max_pool.max_pool2d_forward(x, (3, 3), (1, 1), (1, 1), (1, 1))
    assert_close((out, indices), expected, "max_pool2d_forward_numba")
    assert_close(
        max_pool.max_pool2d_backward_numba(out, indices, x.shape),
        max_pool.max_pool2d_backward(out, indices, x.shape),
        "max_pool2d_backward_numba",
    )


NUMBA_CALLS = [
    (unfold.im2col_numba, ((1, 1), (1, 1), (0, 0), (1, 1))),
    (unfold.col2im_numba, ((1, 1, 2, 2), (1, 1), (1, 1), (0, 0), (1, 1))),
    (max_pool.max_pool2d_forward_numba, ((1, 1), (1, 1), (0, 0), (1, 1))),
    (max_pool.max_pool2d_backward_numba, (np.zeros((1, 1, 2, 2), dtype=np.int64), (1, 1, 2, 2))),
    (max_pool.max_unpool2d_numba, (np.zeros((1, 1, 2, 2), dtype=np.int64), (2, 2))),
    (max_pool.max_unpool2d_backward_numba, (np.zeros((1, 1, 2, 2), dtype=np.int64),)),
    (avg_pool.avg_pool2d_forward_numba, ((1, 1), (1, 1), (0, 0))),
    (avg_pool.avg_pool2d_backward_numba, ((1, 1, 2, 2), (1, 1), (1, 1), (0, 0))),
    (adaptive_pool.adaptive_avg_pool2d_forward_numba, ((1, 1),)),
    (adaptive_pool.adaptive_avg_pool2d_backward_numba, ((1, 1, 2, 2),)),
    (adaptive_pool.adaptive_max_pool2d_forward_numba, ((1, 1),)),
    (upsample.upsample_bilinear2d_forward_numba, ((4, 4), False)),
    (upsample.upsample_bilinear2d_backward_numba, ((1, 1, 1, 1), False)),
    (upsample.upsample_nearest2d_forward_numba, ((4, 4),)),
    (upsample.upsample_nearest2d_backward_numba, ((1, 1, 1, 1),)),
    (pad.pad_reflect_numba, ((1, 1),)),
    (pad.pad_reflect_backward_numba, ((1, 1),)),
    (pad.pad_replicate_numba, ((1, 1),)),
    (pad.pad_replicate_backward_numba, ((1, 1),)),
    (select.where_numba, (1.0, 0.0)),
    (warp.warp_affine_numba, (np.zeros((1, 2, 3)),)),
]


@pytest.mark.parametrize("form, rest", NUMBA_CALLS, ids=[form.__name__ for form, _ in NUMBA_CALLS])
def test_numba_forms_refuse_non_numpy_arrays(form, rest):
    not_numpy = [[[[1.0, 2.0], [3.0, 4.0]]]]  # a nested list, as a CuPy array would be refused
    with pytest.raises(TypeError, match="the Numba kernels take NumPy arrays only, got builtins.list"):
        form(not_numpy, *rest)


def test_using_sets_the_kernel_set_for_a_block_and_restores_it(restore_kernel_set):
    kernels.use("numba" if HAVE_NUMBA else "numpy")
    before = kernels.current()
    with kernels.using("numpy"):
        assert kernels.current() == "numpy"
    assert kernels.current() == before
    with pytest.raises(KeyError):
        with kernels.using("numpy"):
            raise KeyError("inside the block")
    assert kernels.current() == before
    with pytest.raises(ValueError, match="unknown kernel set 'fast'"):
        with kernels.using("fast"):
            pass
    assert kernels.current() == before


def test_public_kernels_keep_the_vectorised_forms_name_and_docstring():
    assert kernels.im2col.__name__ == "im2col" and kernels.im2col.__doc__ == unfold.im2col.__doc__
    # the dispatcher's own docstring: it takes ``window`` (the CUDA gather needs it), the CPU forms do not
    assert kernels.max_pool2d_backward.__name__ == "max_pool2d_backward"
    assert "window" in kernels.max_pool2d_backward.__doc__ and "kernels/max_pool.py" in kernels.max_pool2d_backward.__doc__
