"""Fused batch norm (kernels/batch_norm.py, ops/norm.py's FusedBatchNorm): the loops
reference, the compiled kernels and the NumPy ``BatchNorm`` agree; FusedBatchNorm passes
gradcheck on hypothesis-drawn shapes (size-1 dims included) and the checker catches a
planted wrong backward; its results do not depend on the thread count."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu import kernels, threads
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.kernels import batch_norm as K
from tinygrad_edu.kernels._numba import HAVE_NUMBA
from tinygrad_edu.ops import norm as norm_ops

from .checks import TOLERANCE
from .strategies import kernel_settings

F = tge.nn.functional
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="the fused kernels are compiled by Numba")


@st.composite
def cases(draw, dtype=None):
    """x (N, C, *spatial) with N*L >= 2 per channel, shifted and scaled per channel (a
    mean far from 0 tests the centring), g, weight, bias and running statistics."""
    dtype = dtype or draw(st.sampled_from([np.float32, np.float64]))
    spatial = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)))
    n = draw(st.integers(1 if spatial and np.prod(spatial) > 1 else 2, 4))
    c = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shape = (n, c) + spatial
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, c) + (1,) * len(spatial)) + rng.uniform(-5, 5, (1, c) + (1,) * len(spatial))
    vectors = [rng.standard_normal(c) for _ in range(3)] + [rng.uniform(0.5, 2.0, c)]
    return (x.astype(dtype), rng.standard_normal(shape).astype(dtype), *(v.astype(dtype) for v in vectors))


@needs_numba
@kernel_settings
@given(cases(), st.booleans(), st.booleans())
def test_compiled_kernels_equal_the_loops(case, training, affine):
    """The loops compute y and dx in float64, the compiled kernels with a channel's
    constants in the data's dtype (kernels/batch_norm.py): in training their y and dx
    agree to float32's rounding of the terms they are differences of (``_training_atols``).
    Hypothesis drew x = 2.7239, 2.7293 in one channel, where the two y differ by 3.7e-5
    of 0.08 (the mean's rounding, 1.2e-7, times scale = w * rstd = 307), and x = 3.719,
    3.700, where dx differs by 4.5e-4 of 3.88."""
    x, g, w, b, running_mean, running_var = case
    w, b = (w, b) if affine else (None, None)
    running = None if training else (running_mean, running_var)
    tol = TOLERANCE[x.dtype]  # sums in two orders (the loops and the compiled SIMD sums)
    atol_y, atol_dx = _training_atols(x, g, w, tol) if training else (tol, tol)
    expected = K.batch_norm_forward_reference(x, w, b, 1e-5, running)
    got = K.batch_norm_forward_numba(x, w, b, 1e-5, running)
    for i, (e, o) in enumerate(zip(expected, got)):
        np.testing.assert_allclose(o, e, rtol=tol, atol=atol_y if i == 0 else tol)  # i == 0: y
    assert got[0].dtype == x.dtype and got[0].shape == x.shape
    expected_b = K.batch_norm_backward_reference(g, x, w, expected[1], expected[3], training)
    got_b = K.batch_norm_backward_numba(g, x, w, got[1], got[3], training)
    for i, (e, o) in enumerate(zip(expected_b, got_b)):
        np.testing.assert_allclose(o, e, rtol=tol, atol=atol_dx if i == 0 else tol)  # i == 0: dx


def _training_atols(x, g, w, tol):
    """Absolute tolerances of training's y and dx: ``tol`` plus two roundings (2 eps of
    the dtype) of the terms they are differences of, in the largest channel. A y or dx
    computed in float32 is right to the rounding of THOSE, which can be far larger than
    y or dx itself when a channel's spread is tiny next to its mean. With scale = |w| * rstd:

        y  = (x - mean) * scale + b                  terms (|x| + |mean|) * scale
        dx = scale * (g - mean(g) - (x - mean) * k)  terms scale * (|g| + |mean(g)| + (|x| + |mean|) * k)

    with k = |mean(g * (x - mean))| * rstd^2. For an ordinary channel the added part is
    far below ``tol``. ``w`` is None without affine."""
    axes = (0,) + tuple(range(2, x.ndim))
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    rstd = 1 / np.sqrt(x64.var(axis=axes, keepdims=True) + 1e-5)
    scale = rstd * (1.0 if w is None else np.abs(w.astype(np.float64)).reshape(mean.shape))
    size_x = np.abs(x64).max(axis=axes, keepdims=True) + np.abs(mean)
    k = np.abs((g64 * (x64 - mean)).mean(axis=axes, keepdims=True)) * rstd**2
    size_g = np.abs(g64).max(axis=axes, keepdims=True) + np.abs(g64.mean(axis=axes, keepdims=True))
    eps = np.finfo(x.dtype).eps
    return tol + 2 * eps * float((size_x * scale).max()), tol + 2 * eps * float((scale * (size_g + size_x * k)).max())


def _run(x, g, w, b, running_mean, running_var, training, affine):
    """y, dx, dweight, dbias and the updated running statistics through F.batch_norm."""
    xt = tge.tensor(x, requires_grad=True)
    wt, bt = (tge.tensor(w, requires_grad=True), tge.tensor(b, requires_grad=True)) if affine else (None, None)
    rm, rv = tge.tensor(running_mean.copy()), tge.tensor(running_var.copy())
    y = F.batch_norm(xt, rm, rv, wt, bt, training=training, momentum=0.3)
    y.backward(tge.tensor(g))
    grads = [xt.grad.numpy()] + ([wt.grad.numpy(), bt.grad.numpy()] if affine else [])
    return [y.detach().numpy(), *grads, rm.numpy(), rv.numpy()], y.grad_fn


@needs_numba
@kernel_settings
@given(cases(), st.booleans(), st.booleans())
def test_fused_equals_the_numpy_batch_norm(case, training, affine):
    """Against the NumPy ``BatchNorm`` run on float64 copies of the same values: the fused
    kernels sum in float64 for float32 data too, so they must agree with it to float32's
    rounding. (Not with the NumPy form run in float32: its float32 sums lose digits when a
    channel's spread is tiny next to its mean; hypothesis found x = 3.719, 3.700 in one
    channel, where that form's float32 dx is off by 2e-4, relative.)

    Training's y and dx are differences of terms that can be far larger than they are
    (``_training_atols``): in that same channel (N = 2, variance 9e-5 next to eps = 1e-5,
    inv_std = 98) the fused float32 dx is off by 4.5e-4 of 3.88, against terms near 80.
    Their absolute tolerances therefore add the rounding of those terms, the error bound of
    the cancellation, not of y or dx."""
    x, g, w = case[0], case[1], case[2] if affine else None
    dtype = x.dtype
    with kernels.using("numba"):
        fused, node = _run(*case, training, affine)
        assert node.function is norm_ops.FusedBatchNorm
    with kernels.using("numpy"):
        plain, _ = _run(*(a.astype(np.float64) for a in case), training, affine)
    tol = TOLERANCE[dtype]
    atol_y, atol_dx = _training_atols(x, g, w, tol) if training else (tol, tol)
    for i, (f, p) in enumerate(zip(fused, plain)):
        assert f.dtype == dtype and f.shape == p.shape
        atol = {0: atol_y, 1: atol_dx}.get(i, tol)  # y, dx, then the others
        np.testing.assert_allclose(f, p, rtol=tol, atol=atol)


@needs_numba
def test_batch_norm_takes_the_fused_function_only_with_numba_and_numpy_floats():
    x = tge.randn(4, 3, 5, 5, requires_grad=True)
    with kernels.using("numba"):
        assert F.batch_norm(x, None, None, training=True).grad_fn.function is norm_ops.FusedBatchNorm
        assert F.batch_norm(x.double(), None, None, training=True).grad_fn.function is norm_ops.FusedBatchNorm
    with kernels.using("numpy"):
        assert F.batch_norm(x, None, None, training=True).grad_fn.function is norm_ops.BatchNorm


@needs_numba
@kernel_settings
@given(cases(dtype=np.float64), st.booleans(), st.booleans())
def test_fused_batch_norm_passes_gradcheck(case, training, affine):
    x, g, w, b, running_mean, running_var = case
    inputs = [tge.tensor(x, requires_grad=True)]
    if affine:
        inputs += [tge.tensor(w, requires_grad=True), tge.tensor(b, requires_grad=True)]
    up = tge.tensor(g)

    def f(*t):
        rm, rv = tge.tensor(running_mean.copy()), tge.tensor(running_var.copy())
        return F.batch_norm(t[0], rm, rv, *(t[1:] if affine else (None, None)), training=training) * up

    with kernels.using("numba"):
        assert gradcheck(f, inputs)


@needs_numba
def test_gradcheck_catches_a_planted_wrong_fused_backward(monkeypatch):
    """Drop the mean-of-g term of the training dx (what a student forgets first)."""
    rng = np.random.default_rng(0)
    x = tge.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    up = tge.tensor(rng.standard_normal((3, 2, 4)))
    f = lambda t: F.batch_norm(t, None, None, training=True) * up  # noqa: E731
    with kernels.using("numba"):
        assert gradcheck(f, [x])

        def wrong(g, x, weight, mean, rstd, training):
            dx, dw, db = K.batch_norm_backward_numba(g, x, weight, mean, rstd, training)
            return dx + (g.sum(axis=(0, 2), keepdims=True) / (g.size // g.shape[1])) * rstd.reshape(1, -1, 1), dw, db

        monkeypatch.setattr(kernels, "batch_norm_backward", wrong)
        assert not gradcheck(f, [x], raise_exception=False)


@needs_numba
def test_fused_results_do_not_depend_on_the_thread_count(monkeypatch):
    monkeypatch.setattr(threads, "PARALLEL_ELEMENTS", 1)  # tasks on threads even for this small x
    rng = np.random.default_rng(1)
    case = (rng.standard_normal((4, 11, 6, 6)).astype(np.float32), rng.standard_normal((4, 11, 6, 6)).astype(np.float32),
            *(rng.standard_normal(11).astype(np.float32) for _ in range(3)), rng.uniform(0.5, 2, 11).astype(np.float32))
    before = tge.get_num_threads()
    results = []
    try:
        with kernels.using("numba"):
            for count in (1, 2, 3):
                tge.set_num_threads(count)
                results.append(_run(*case, True, True)[0])
    finally:
        tge.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)
