"""Normalisation ops: forward against NumPy references, gradcheck on hypothesis-drawn
shapes (size-1 dims, with/without affine parameters, non-contiguous inputs, random
upstream gradients), batch norm's closed-form backward against the same computation
composed from elementary ops, and the running statistics against their closed form."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops import norm as norm_ops
from tinygrad_edu.ops.norm import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from tinygrad_edu.testing import strategies as S

EPS = 1e-5
# (N, C, *spatial) with 0 to 2 spatial dims, sides up to 3 (gradcheck cost grows with numel)
nc_shapes = st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple)


# ------------------------------------------------------------------ NumPy references
def _bshape(a):
    return (1, a.shape[1]) + (1,) * (a.ndim - 2)


def batch_norm_ref(a, rm, rv, w, b, training, momentum=0.1, eps=EPS):
    """(y, new running mean, new running var) in NumPy."""
    axes = (0,) + tuple(range(2, a.ndim))
    if training:
        mu, var = a.mean(axis=axes), a.var(axis=axes)
        if rm is not None:
            rm = (1 - momentum) * rm + momentum * mu
            rv = (1 - momentum) * rv + momentum * a.var(axis=axes, ddof=1)
    else:
        mu, var = rm, rv
    y = (a - mu.reshape(_bshape(a))) / np.sqrt(var.reshape(_bshape(a)) + eps)
    return _affine(y, w, b, _bshape(a)), rm, rv


def rows_norm_ref(a, rows, eps=EPS):
    a2 = a.reshape(rows, -1)
    return ((a2 - a2.mean(1, keepdims=True)) / np.sqrt(a2.var(1, keepdims=True) + eps)).reshape(a.shape)


def _affine(y, w, b, shape):
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def _spread_ok(a, rows):
    """Rows with more than one element are not (nearly) constant: keeps the batch
    statistics well conditioned for the finite differences."""
    a2 = a.reshape(rows, -1)
    return a2.shape[1] == 1 or a2.var(axis=1).min() > 1e-3


# ------------------------------------------------------------------ helpers
def _params(data, c_shape, affine):
    """weight and bias arrays of ``c_shape`` (or None)."""
    if not affine:
        return None, None
    return data.draw(S.arrays(c_shape, 0.5, 2.0)), data.draw(S.arrays(c_shape))


def _check_grads(fn, x, w, b, seed=0):
    """gradcheck fn(x, w, b) * u for a fixed random upstream u, with respect to x and to
    whichever of weight/bias are given."""
    tensors = [x] + [t for t in (w, b) if t is not None]

    def run(*ts):
        ts = list(ts)
        xt = ts.pop(0)
        wt = ts.pop(0) if w is not None else None
        bt = ts.pop(0) if b is not None else None
        return fn(xt, wt, bt)

    u = tge.tensor(np.random.default_rng(seed).standard_normal(x.shape))
    assert gradcheck(lambda *ts: run(*ts) * u, tuple(tensors))


def _leaf_or_none(a):
    return None if a is None else S.leaf(a)


def _input(data, shape, contiguous):
    a = data.draw(S.arrays(shape))
    return a if contiguous else S.noncontiguous(a)


# ------------------------------------------------------------------ batch norm
@given(shape=nc_shapes, training=st.booleans(), affine=st.booleans(), tracked=st.booleans(),
       contiguous=st.booleans(), data=st.data())
def test_batch_norm_forward_and_gradcheck(shape, training, affine, tracked, contiguous, data):
    c = shape[1]
    m = int(np.prod(shape)) // c
    assume(not training or m > 1)
    a = _input(data, shape, contiguous)
    if training:
        assume(_spread_ok(np.moveaxis(a, 1, 0), c))
    w, b = _params(data, (c,), affine)
    rm0 = data.draw(S.arrays((c,))) if tracked or not training else None
    rv0 = data.draw(S.arrays((c,), 0.2, 2.0)) if rm0 is not None else None
    rm = _leaf_or_none(None if rm0 is None else rm0.copy())
    rv = _leaf_or_none(None if rv0 is None else rv0.copy())
    if rm is not None:
        rm.requires_grad, rv.requires_grad = False, False
    x, wt, bt = S.leaf(a), _leaf_or_none(w), _leaf_or_none(b)

    y = batch_norm(x, rm, rv, wt, bt, training=training, momentum=0.3)
    y_ref, rm_ref, rv_ref = batch_norm_ref(a, rm0, rv0, w, b, training, momentum=0.3)
    np.testing.assert_allclose(y.detach().cpu().numpy(), y_ref, rtol=1e-10, atol=1e-10)
    if rm is not None:
        np.testing.assert_allclose(rm.cpu().numpy(), rm_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(rv.cpu().numpy(), rv_ref, rtol=1e-12, atol=1e-12)

    _check_grads(lambda xx, ww, bb: batch_norm(xx, rm, rv, ww, bb, training=training, momentum=0.3), x, wt, bt)


def _composed_batch_norm(x, w, b, eps):
    """The same computation from elementary tge ops: mean, sub, mul, add, sqrt, div."""
    axes = (0,) + tuple(range(2, x.ndim))
    mu = x.mean(dim=axes, keepdim=True)
    xc = x - mu
    var = (xc * xc).mean(dim=axes, keepdim=True)  # biased
    xhat = xc / (var + eps).sqrt()
    return xhat * w + b


@given(shape=nc_shapes, contiguous=st.booleans(), data=st.data())
def test_batch_norm_closed_form_backward_equals_composed_gradient(shape, contiguous, data):
    c = shape[1]
    assume(int(np.prod(shape)) // c > 1)
    a = _input(data, shape, contiguous)
    w, b = _params(data, (c,), True)
    u = np.random.default_rng(3).standard_normal(shape)

    x1, w1, b1 = S.leaf(a), S.leaf(w), S.leaf(b)
    y1 = batch_norm(x1, None, None, w1, b1, training=True)
    y1.backward(tge.tensor(u))

    x2, w2, b2 = S.leaf(a), S.leaf(w.reshape(_bshape(a))), S.leaf(b.reshape(_bshape(a)))
    y2 = _composed_batch_norm(x2, w2, b2, EPS)
    y2.backward(tge.tensor(u))

    np.testing.assert_allclose(y1.detach().cpu().numpy(), y2.detach().cpu().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x1.grad.cpu().numpy(), x2.grad.cpu().numpy(), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(w1.grad.cpu().numpy(), w2.grad.cpu().numpy().reshape(c), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(b1.grad.cpu().numpy(), b2.grad.cpu().numpy().reshape(c), rtol=1e-8, atol=1e-9)


def _batches(k, shape, seed=5):
    rng = np.random.default_rng(seed)
    return [rng.normal(loc=i, scale=1 + i, size=shape) for i in range(k)]


@pytest.mark.parametrize("momentum", [0.1, 0.01, 0.5], ids=["pytorch-default", "lecture-alpha-0.99", "half"])
def test_running_statistics_after_k_steps_equal_closed_form(momentum):
    k, shape = 6, (5, 3, 2, 2)
    rng = np.random.default_rng(0)
    r0_mean, r0_var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm, rv = tge.tensor(r0_mean.copy()), tge.tensor(r0_var.copy())
    batches = _batches(k, shape)
    for a in batches:
        y = batch_norm(tge.tensor(a, requires_grad=True), rm, rv, training=True, momentum=momentum)
        # normalised with the biased variance, not the unbiased one kept in running_var
        biased = (a - a.mean((0, 2, 3), keepdims=True)) / np.sqrt(a.var((0, 2, 3), keepdims=True) + EPS)
        np.testing.assert_allclose(y.detach().cpu().numpy(), biased, rtol=1e-10, atol=1e-12)

    # r_k = (1 - m)^k r_0 + sum_i m (1 - m)^(k - i) stat_i,  i = 1..k
    weights = [momentum * (1 - momentum) ** (k - i) for i in range(1, k + 1)]
    means = [a.mean(axis=(0, 2, 3)) for a in batches]
    unbiased = [a.var(axis=(0, 2, 3), ddof=1) for a in batches]
    expected_mean = (1 - momentum) ** k * r0_mean + sum(wi * s for wi, s in zip(weights, means))
    expected_var = (1 - momentum) ** k * r0_var + sum(wi * s for wi, s in zip(weights, unbiased))
    np.testing.assert_allclose(rm.cpu().numpy(), expected_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rv.cpu().numpy(), expected_var, rtol=1e-12, atol=1e-12)
    # and not the biased variance
    biased_var = (1 - momentum) ** k * r0_var + sum(wi * a.var(axis=(0, 2, 3)) for wi, a in zip(weights, batches))
    assert not np.allclose(rv.cpu().numpy(), biased_var)


def test_lecture_update_is_momentum_one_minus_alpha():
    """mu <- alpha mu + (1 - alpha) mu_B (the lecture) is momentum = 1 - alpha."""
    alpha, a = 0.99, _batches(1, (4, 2))[0]
    rm, rv = tge.tensor([0.5, -1.0]), tge.tensor([1.0, 2.0])
    batch_norm(tge.tensor(a), rm, rv, training=True, momentum=1 - alpha)
    np.testing.assert_allclose(rm.cpu().numpy(), alpha * np.array([0.5, -1.0]) + (1 - alpha) * a.mean(0), rtol=1e-6)


def test_cumulative_average_via_factor_one_over_k():
    """momentum=None in the module means momentum = 1/num_batches_tracked at step k:
    the running statistics are then the plain mean of the batch statistics."""
    k, shape = 5, (4, 3, 3)
    rm, rv = tge.tensor(np.full(3, 7.0)), tge.tensor(np.full(3, 9.0))  # forgotten at step 1 (factor 1)
    batches = _batches(k, shape, seed=11)
    for step, a in enumerate(batches, start=1):
        batch_norm(tge.tensor(a), rm, rv, training=True, momentum=1.0 / step)
    np.testing.assert_allclose(rm.cpu().numpy(), np.mean([a.mean(axis=(0, 2)) for a in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.cpu().numpy(), np.mean([a.var(axis=(0, 2), ddof=1) for a in batches], axis=0), rtol=1e-12)


def test_momentum_none_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="num_batches_tracked"):
        batch_norm(tge.randn(4, 3), tge.zeros(3), tge.ones(3), training=True, momentum=None)


def test_eval_uses_running_statistics_and_ignores_the_batch():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((6, 3, 2))
    rm0, rv0 = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = tge.tensor(rm0.copy()), tge.tensor(rv0.copy())
    full = batch_norm(tge.tensor(a), rm, rv, tge.tensor(w), tge.tensor(b), training=False).cpu().numpy()
    alone = batch_norm(tge.tensor(a[:1]), rm, rv, tge.tensor(w), tge.tensor(b), training=False).cpu().numpy()
    np.testing.assert_array_equal(full[:1], alone)  # one sample's output does not depend on the others
    expected = (a - rm0[:, None]) / np.sqrt(rv0[:, None] + EPS) * w[:, None] + b[:, None]
    np.testing.assert_allclose(full, expected, rtol=1e-12)
    np.testing.assert_array_equal(rm.cpu().numpy(), rm0)  # eval leaves the buffers alone
    np.testing.assert_array_equal(rv.cpu().numpy(), rv0)


def test_running_statistics_stay_outside_the_graph():
    rm, rv = tge.zeros(3), tge.ones(3)
    x = tge.randn(4, 3, requires_grad=True)
    batch_norm(x, rm, rv, training=True).sum().backward()
    assert rm.grad_fn is None and not rm.requires_grad and rm._version_value == 0  # PyTorch bumps nothing either
    assert not np.array_equal(rv.cpu().numpy(), np.ones(3))
    with pytest.raises(RuntimeError, match="cannot require grad"):
        batch_norm(x, tge.zeros(3, requires_grad=True), rv, training=False)


def test_batch_norm_float32_and_float32_buffers_with_float64_input():
    x = tge.randn(4, 3, 2)
    rm, rv = tge.zeros(3), tge.ones(3)
    assert batch_norm(x, rm, rv, training=True).dtype == tge.float32
    y = batch_norm(x.double(), rm, rv, training=True)
    assert y.dtype == tge.float64 and rm.dtype == tge.float32


# ------------------------------------------------------------------ layer norm
@given(shape=S.nonscalar_shapes, affine=st.booleans(), contiguous=st.booleans(), data=st.data())
def test_layer_norm_forward_and_gradcheck(shape, affine, contiguous, data):
    k = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    a = _input(data, shape, contiguous)
    rows = int(np.prod(shape[: len(shape) - k]))
    assume(_spread_ok(a, rows))
    w, b = _params(data, normalized, affine)
    x, wt, bt = S.leaf(a), _leaf_or_none(w), _leaf_or_none(b)
    y = layer_norm(x, normalized, wt, bt)
    y_ref = _affine(rows_norm_ref(a, rows), w, b, normalized)
    np.testing.assert_allclose(y.detach().cpu().numpy(), y_ref, rtol=1e-10, atol=1e-10)
    _check_grads(lambda xx, ww, bb: layer_norm(xx, normalized, ww, bb), x, wt, bt)


# ------------------------------------------------------------------ group norm
@given(n=st.integers(1, 2), groups=st.integers(1, 3), per_group=st.integers(1, 2),
       spatial=st.lists(st.integers(1, 3), max_size=2), affine=st.booleans(), contiguous=st.booleans(),
       data=st.data())
def test_group_norm_forward_and_gradcheck(n, groups, per_group, spatial, affine, contiguous, data):
    shape = (n, groups * per_group, *spatial)
    assume(n * per_group * int(np.prod(spatial)) > 1)
    a = _input(data, shape, contiguous)
    assume(_spread_ok(a, n * groups))
    w, b = _params(data, (shape[1],), affine)
    x, wt, bt = S.leaf(a), _leaf_or_none(w), _leaf_or_none(b)
    y = group_norm(x, groups, wt, bt)
    np.testing.assert_allclose(
        y.detach().cpu().numpy(), _affine(rows_norm_ref(a, n * groups), w, b, _bshape(a)), rtol=1e-10, atol=1e-10
    )
    _check_grads(lambda xx, ww, bb: group_norm(xx, groups, ww, bb), x, wt, bt)


# ------------------------------------------------------------------ instance norm
@given(shape=nc_shapes, use_input_stats=st.booleans(), tracked=st.booleans(), affine=st.booleans(),
       contiguous=st.booleans(), data=st.data())
def test_instance_norm_forward_and_gradcheck(shape, use_input_stats, tracked, affine, contiguous, data):
    n, c = shape[:2]
    spatial = int(np.prod(shape[2:]))
    assume(not use_input_stats or spatial > 1)
    a = _input(data, shape, contiguous)
    if use_input_stats:
        assume(_spread_ok(a, n * c))
    w, b = _params(data, (c,), affine)
    rm0 = data.draw(S.arrays((c,))) if tracked or not use_input_stats else None
    rv0 = data.draw(S.arrays((c,), 0.2, 2.0)) if rm0 is not None else None
    rm = None if rm0 is None else tge.tensor(rm0.copy())
    rv = None if rv0 is None else tge.tensor(rv0.copy())
    x, wt, bt = S.leaf(a), _leaf_or_none(w), _leaf_or_none(b)

    y = instance_norm(x, rm, rv, wt, bt, use_input_stats=use_input_stats, momentum=0.2)
    if use_input_stats:
        y_ref = _affine(rows_norm_ref(a, n * c), w, b, _bshape(a))
    else:
        y_ref = batch_norm_ref(a, rm0, rv0, w, b, training=False)[0]
    np.testing.assert_allclose(y.detach().cpu().numpy(), y_ref, rtol=1e-10, atol=1e-10)
    if use_input_stats and rm is not None:  # batch-averaged per-instance statistics
        a3 = a.reshape(n, c, -1)
        np.testing.assert_allclose(rm.cpu().numpy(), 0.8 * rm0 + 0.2 * a3.mean(2).mean(0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(rv.cpu().numpy(), 0.8 * rv0 + 0.2 * a3.var(2, ddof=1).mean(0), rtol=1e-12, atol=1e-12)
    _check_grads(lambda xx, ww, bb: instance_norm(xx, rm, rv, ww, bb, use_input_stats, 0.2), x, wt, bt)


# ------------------------------------------------------------------ rms norm
@given(shape=S.nonscalar_shapes, affine=st.booleans(), default_eps=st.booleans(), contiguous=st.booleans(),
       data=st.data())
def test_rms_norm_forward_and_gradcheck(shape, affine, default_eps, contiguous, data):
    k = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    a = _input(data, shape, contiguous)
    a2 = a.reshape(-1, int(np.prod(normalized)))
    assume((a2**2).mean(axis=1).min() > 1e-2)
    w = data.draw(S.arrays(normalized, 0.5, 2.0)) if affine else None
    eps = None if default_eps else 1e-5
    x, wt = S.leaf(a), _leaf_or_none(w)
    y = rms_norm(x, normalized, wt, eps=eps)
    e = np.finfo(np.float64).eps if eps is None else eps
    ref = (a2 / np.sqrt((a2**2).mean(axis=1, keepdims=True) + e)).reshape(shape)
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref if w is None else ref * w, rtol=1e-10, atol=1e-10)
    _check_grads(lambda xx, ww, bb: rms_norm(xx, normalized, ww, eps=eps), x, wt, None)


def test_rms_norm_default_eps_is_the_dtype_epsilon():
    x = tge.tensor(np.zeros((2, 3), dtype=np.float32) + 1e-4)
    y = rms_norm(x, (3,)).cpu().numpy()
    a = x.cpu().numpy().astype(np.float64)
    expected = a / np.sqrt((a**2).mean(-1, keepdims=True) + np.finfo(np.float32).eps)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, rtol=1e-5)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: batch_norm(tge.randn(1, 3), None, None, training=True), ValueError,
         r"Expected more than 1 value per channel when training, got input size \(1, 3\)"),
        (lambda: batch_norm(tge.randn(1, 3, 1, 1), tge.zeros(3), tge.ones(3), training=True), ValueError,
         "more than 1 value per channel"),
        (lambda: batch_norm(tge.randn(4, 3), None, None, training=False), RuntimeError, "evaluation mode"),
        (lambda: batch_norm(tge.randn(4, 3), tge.zeros(3), None, training=True), RuntimeError, "both be None"),
        (lambda: batch_norm(tge.randn(4, 3), tge.zeros(4), tge.ones(4), training=True), RuntimeError,
         "running_mean should contain 3 elements"),
        (lambda: batch_norm(tge.randn(4, 3), None, None, tge.ones(2), training=True), RuntimeError,
         "weight should contain 3 elements"),
        (lambda: batch_norm(tge.randn(4), None, None, training=True), RuntimeError, r"\(N, C, \*\)"),
        (lambda: batch_norm(tge.randn(4, 3), None, None, training=True, eps=0.0), ValueError, "eps must be positive"),
        (lambda: group_norm(tge.randn(2, 5, 3), 2), RuntimeError,
         r"divisible by num_groups, but got input of shape \(2, 5, 3\) and num_groups=2"),
        (lambda: group_norm(tge.randn(2, 4), 2, tge.ones(3)), RuntimeError, "weight should contain 4 elements"),
        (lambda: group_norm(tge.randn(1, 2, 1), 2), ValueError, "more than 1 value"),
        (lambda: layer_norm(tge.randn(2, 3), (4,)), RuntimeError, r"normalized_shape=\(4,\)"),
        (lambda: layer_norm(tge.randn(2, 3), (3,), tge.ones(4)), RuntimeError, "same shape as normalized_shape"),
        (lambda: layer_norm(tge.randn(2, 3), ()), RuntimeError, "at least one element"),
        (lambda: rms_norm(tge.randn(2, 3), (2, 3, 4)), RuntimeError, "expected input with shape"),
        (lambda: instance_norm(tge.randn(2, 3, 1)), ValueError, "more than 1 spatial element"),
        (lambda: instance_norm(tge.randn(2, 3, 4), use_input_stats=False), RuntimeError,
         "running_mean and running_var to be defined"),
        (lambda: layer_norm(tge.tensor([[1, 2]]), (2,)), RuntimeError, "floating-point"),
    ],
)
def test_errors_name_the_op_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ array namespace
def test_every_norm_runs_on_a_strict_array_type(strict_backend):
    """Forward, backward and the running-statistics updates stay in the input's array
    namespace (the CuPy rule): run on an array type that refuses conversion to NumPy."""
    from tests.strict_array import StrictArray

    rng = np.random.default_rng(0)

    def t(shape, requires_grad=False, low=-1.0):
        return tge.Tensor(StrictArray(rng.uniform(low, 2.0, shape)), requires_grad=requires_grad)

    def c():  # a per-channel parameter that requires grad
        return t((3,), True)

    cases = {
        "batch_norm:train": lambda x: batch_norm(x, t((3,)), t((3,), low=0.5), c(), c(), training=True),
        "batch_norm:eval": lambda x: batch_norm(x, t((3,)), t((3,), low=0.5), c(), c(), training=False),
        "layer_norm": lambda x: layer_norm(x, (2, 2), t((2, 2), True), t((2, 2), True)),
        "group_norm": lambda x: group_norm(x, 3, c(), c()),
        "instance_norm": lambda x: instance_norm(x, t((3,)), t((3,), low=0.5), c(), c()),
        "rms_norm": lambda x: rms_norm(x, (2,), t((2,), True)),
    }
    for name, case in cases.items():
        x = t((2, 3, 2, 2), True)
        y = case(x)
        assert isinstance(y.array, StrictArray), name
        y.backward(tge.Tensor(StrictArray(rng.standard_normal(y.shape))))
        assert isinstance(x.grad.array, StrictArray), name


@pytest.mark.parametrize("running_dtype, stat_dtype", [(np.float32, np.float64), (np.float32, np.float32),
                                                       (np.float64, np.float64), (np.float64, np.float32)])
@pytest.mark.parametrize("momentum", [0.1, 0.01, 1 / 3])
def test_running_update_in_place_has_the_bits_of_the_one_line_form(running_dtype, stat_dtype, momentum):
    rng = np.random.default_rng(5)
    running = rng.standard_normal(257).astype(running_dtype)
    stat = (rng.standard_normal(257) * 100).astype(stat_dtype)
    expected = np.empty_like(running)
    expected[...] = (1 - momentum) * running + momentum * stat
    norm_ops._update_running(running, stat, momentum)
    assert running.dtype == running_dtype and np.array_equal(running.view(np.uint8), expected.view(np.uint8))
