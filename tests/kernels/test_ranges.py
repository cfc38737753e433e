"""The compiled kernels that run ranges of planes (or channels) as tasks on the threads
(threads.run_ranges): each range is computed once, by one thread, so every form gives the
reference's result and the same bits on any thread count."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import threads
from tinygrad_edu.kernels import adaptive_pool, avg_pool, batch_norm, max_pool, pad, select, upsample, warp
from tinygrad_edu.kernels._numba import HAVE_NUMBA

from .checks import RANGE_LINES, assert_close, set_range_lines

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled forms need Numba")

rng = np.random.default_rng(7)
X = rng.standard_normal((3, 5, 9, 8)).astype(np.float32)  # 15 planes: 8 ranges of 1-2 planes
_, INDICES = max_pool.max_pool2d_forward_reference(X, (3, 3), (1, 1), (1, 1), (2, 1))
MEAN, RSTD = X.mean(axis=(0, 2, 3)).astype(np.float64), rng.uniform(0.5, 2, 5)
THETA = np.array([[[0.0, 1.0, 0.5], [-1.0, 0.0, 1.0]], [[0.98, -0.17, -0.3], [0.17, 0.98, 0.25]],
                  [[1.1, 0.0, 0.1], [0.0, 0.9, -0.2]]])  # an affine map (2, 3) per image, for the warp


def grad(shape):
    return rng.standard_normal(shape).astype(np.float32)


# (module, kernel name, arguments): every kernel whose compiled form calls run_ranges
CASES = [
    (max_pool, "max_pool2d_forward", (X, (2, 2), (2, 2), (0, 0), (1, 1))),
    (max_pool, "max_pool2d_forward", (X, (3, 3), (1, 1), (1, 1), (2, 1))),
    (max_pool, "max_pool2d_backward", (grad(INDICES.shape), INDICES, X.shape)),
    (avg_pool, "avg_pool2d_forward", (X, (3, 2), (2, 1), (1, 1))),
    (avg_pool, "avg_pool2d_backward", (grad((3, 5, 5, 9)), X.shape, (3, 2), (2, 1), (1, 1))),
    (adaptive_pool, "adaptive_avg_pool2d_forward", (X, (4, 3))),
    (adaptive_pool, "adaptive_avg_pool2d_backward", (grad((3, 5, 4, 3)), X.shape)),
    (adaptive_pool, "adaptive_max_pool2d_forward", (X, (4, 3))),
    (upsample, "upsample_nearest2d_forward", (X, (14, 17))),
    (upsample, "upsample_nearest2d_backward", (grad((3, 5, 14, 17)), X.shape)),
    (upsample, "upsample_bilinear2d_forward", (X, (14, 17), False)),
    (upsample, "upsample_bilinear2d_backward", (grad((3, 5, 14, 17)), X.shape, True)),
    (pad, "pad_reflect", (X, (2, 1, 3, 0))),
    (pad, "pad_reflect_backward", (grad((3, 5, 12, 11)), (2, 1, 3, 0))),
    (pad, "pad_replicate", (X, (2, 1, 3, 0))),
    (pad, "pad_replicate_backward", (grad((3, 5, 12, 11)), (2, 1, 3, 0))),
    (batch_norm, "batch_norm_forward", (X, rng.standard_normal(5).astype(np.float32), None, 1e-5)),
    (batch_norm, "batch_norm_backward", (grad(X.shape), X, None, MEAN, RSTD, True)),
    (warp, "warp_affine", (X, THETA, "bilinear", 0.5)),
    (warp, "warp_affine", (X, THETA, "nearest", 0.0)),
]


@pytest.mark.parametrize("module, name, args", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_ranges_on_the_threads_give_the_reference_and_the_same_bits(module, name, args, monkeypatch):
    set_range_lines(monkeypatch, 1)  # tasks on the threads even for this small x
    expected = getattr(module, f"{name}_reference")(*args)
    before = tge.get_num_threads()
    results = []
    try:
        for count in (1, 2, 3):
            tge.set_num_threads(count)
            results.append(getattr(module, f"{name}_numba")(*args))
    finally:
        tge.set_num_threads(before)
    set_range_lines(monkeypatch, 2**62)  # and one call over every plane, on this thread
    results.append(getattr(module, f"{name}_numba")(*args))
    for got in results:
        assert_close(got, expected, f"{name}_numba")
    for got in results[1:]:  # bit for bit what one thread gives, however the planes are cut
        for a, b in zip(_arrays(results[0]), _arrays(got)):
            np.testing.assert_array_equal(a, b)


# The line of threads.py that each kernel's ranges answer to: the work a kernel does per
# value sets where a second thread pays (threads.py); the others take PARALLEL_ELEMENTS.
OWN_LINE = {"where": "SELECT_PARALLEL_ELEMENTS", "threshold": "SELECT_PARALLEL_ELEMENTS",
            "threshold_backward": "SELECT_PARALLEL_ELEMENTS"}
FLAT = X.reshape(-1)
SELECT_CASES = [(select, "where", (FLAT > 0, FLAT, -FLAT)), (select, "threshold", (FLAT, 0.0, 0.0)),
                (select, "threshold_backward", (grad(FLAT.shape), FLAT, 0.0))]


@pytest.mark.parametrize("module, name, args", CASES + SELECT_CASES,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES + SELECT_CASES)])
def test_each_kernel_goes_to_the_threads_from_its_own_line(module, name, args, monkeypatch):
    own = OWN_LINE.get(name, "PARALLEL_ELEMENTS")
    assert own in RANGE_LINES
    calls = []
    run_tasks = threads.run_tasks

    def counted(work, tasks):
        calls.append(len(tasks))
        return run_tasks(work, tasks)

    monkeypatch.setattr(threads, "run_tasks", counted)
    before = tge.get_num_threads()
    tge.set_num_threads(2)
    try:
        # its own line at 1 and the others out of reach: tasks; the other way round: none
        for own_value, others, on_threads in ((1, 2**62, True), (2**62, 1, False)):
            set_range_lines(monkeypatch, others)
            monkeypatch.setattr(threads, own, own_value)
            calls.clear()
            getattr(module, f"{name}_numba")(*args)
            assert bool(calls) == on_threads, f"{name}_numba, {own} = {own_value}, the others {others}: {calls}"
    finally:
        tge.set_num_threads(before)


def _arrays(result):
    return result if isinstance(result, tuple) else (result,)
