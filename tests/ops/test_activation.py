"""Activations: forward against NumPy references and gradcheck on hypothesis-drawn shapes
(size-1 dims, non-contiguous inputs, kinks avoided), then the deliberate cases: the
derivative *at* each kink, in-place variants, dtypes, erf's accuracy."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops import activation as act
from tinygrad_edu.testing import strategies as S

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def _softplus_ref(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)


# name -> (op, NumPy reference, kinks to keep away from)
CASES = {
    "relu": (act.relu, lambda x: np.maximum(x, 0), (0,)),
    "leaky_relu": (lambda x: act.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), (0,)),
    "elu": (lambda x: act.elu(x, alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1)), (0,)),
    "selu": (act.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)), (0,)),
    "gelu": (act.gelu, lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2))), ()),
    "gelu_tanh": (lambda x: act.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))), ()),
    "silu": (act.silu, lambda x: x / (1 + np.exp(-x)), ()),
    "softplus": (act.softplus, _softplus_ref, ()),
    "softplus_beta_threshold": (lambda x: act.softplus(x, beta=2.0, threshold=3.0),
                                lambda x: _softplus_ref(x, 2.0, 3.0), (1.5,)),
    "hardtanh": (lambda x: act.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0), (-0.5, 2.0)),
    "softsign": (act.softsign, lambda x: x / (1 + np.abs(x)), (0,)),
    "binary_step": (act.binary_step, lambda x: (x >= 0).astype(x.dtype), (0,)),
    "threshold": (lambda x: act.threshold(x, 1.0, -2.5), lambda x: np.where(x > 1.0, x, -2.5), (1.0,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_forward_matches_numpy_and_gradcheck(name, data):
    op, reference, kinks = CASES[name]
    shape = data.draw(S.shapes, label="shape")
    x = data.draw(S.arrays(shape, low=-4, high=4, avoid=kinks), label="x")
    out = op(S.leaf(S.noncontiguous(x)))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.cpu().array, reference(x), rtol=1e-12, atol=1e-14)
    # gradcheck on the non-scalar output: one one-hot upstream gradient per output element
    assert gradcheck(op, (S.leaf(S.noncontiguous(x)),))


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_in_float32_out_with_a_random_upstream_gradient(name, rng):
    op, reference, _ = CASES[name]
    x = rng.uniform(-3, 3, size=(3, 4)).astype(np.float32)
    t = tge.tensor(x, requires_grad=True)
    out = op(t)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.cpu().array, reference(x.astype(np.float64)), rtol=2e-6, atol=2e-6)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    (out * tge.tensor(w)).sum().backward()
    assert t.grad.dtype == np.float32 and t.grad.shape == (3, 4)


# ------------------------------------------------------------ derivatives at kinks
def _grad(op, values):
    x = tge.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    op(x).sum().backward()
    return x.grad.cpu().array


def test_relu_gradient_at_zero_is_zero_as_pytorch():
    np.testing.assert_array_equal(_grad(act.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


def test_leaky_relu_and_elu_use_the_left_branch_at_zero():
    np.testing.assert_allclose(_grad(lambda x: act.leaky_relu(x, 0.1), [0.0]), [0.1])
    np.testing.assert_allclose(_grad(lambda x: act.elu(x, alpha=2.0), [0.0]), [2.0])
    np.testing.assert_allclose(_grad(act.selu, [0.0]), [SELU_SCALE * SELU_ALPHA])


def test_hardtanh_gradient_is_zero_at_the_bounds():
    np.testing.assert_array_equal(_grad(lambda x: act.hardtanh(x, -1.0, 2.0), [-1.0, 0.0, 2.0, 3.0]), [0, 1, 0, 0])


def test_binary_step_forward_and_zero_gradient():
    x = tge.tensor([-2.0, -1e-9, 0.0, 3.0], dtype=tge.float64, requires_grad=True)
    y = act.binary_step(x)
    np.testing.assert_array_equal(y.cpu().array, [0.0, 0.0, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().array, np.zeros(4))


def test_softplus_linear_region_and_large_threshold():
    # above the threshold the output is x itself and the gradient exactly 1
    x = tge.tensor([25.0, 30.0], dtype=tge.float64, requires_grad=True)
    y = act.softplus(x)
    np.testing.assert_array_equal(y.cpu().array, [25.0, 30.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().array, [1.0, 1.0])
    # a threshold so large the linear region never applies: still no overflow
    x = tge.tensor([800.0, -800.0], dtype=tge.float64, requires_grad=True)
    y = act.softplus(x, threshold=1e6)
    np.testing.assert_allclose(y.cpu().array, [800.0, 0.0], atol=1e-300)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().array, [1.0, 0.0])


def test_silu_and_gelu_are_finite_at_extreme_inputs():
    x = tge.tensor([-1000.0, 1000.0], dtype=tge.float64, requires_grad=True)
    for op in (act.silu, act.gelu, lambda t: act.gelu(t, approximate="tanh")):
        x.grad = None
        y = op(x)
        np.testing.assert_allclose(y.cpu().array, [0.0, 1000.0], atol=1e-300)
        y.sum().backward()
        np.testing.assert_allclose(x.grad.cpu().array, [0.0, 1.0], atol=1e-300)


# --------------------------------------------------------------------------- erf
def test_erf_matches_math_erf_to_rounding():
    x = np.concatenate([np.linspace(-7, 7, 140_001), [0.0, 0.46875, -0.46875, 4.0, -4.0, 1e-300, 30.0, -30.0]])
    err = np.abs(act.erf_array(x) - _erf(x))
    assert err.max() <= 5e-16, err.max()
    np.testing.assert_array_equal(act.erf_array(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert np.isnan(act.erf_array(np.array([np.nan])))[0]


def test_erf_keeps_float32():
    x = np.linspace(-5, 5, 101).astype(np.float32)
    e = act.erf_array(x)
    assert e.dtype == np.float32
    np.testing.assert_allclose(e, _erf(x.astype(np.float64)), atol=1e-6)


# ---------------------------------------------------------------------- in place
def _threshold(x, inplace=False):
    return act.threshold(x, 0.5, -1.0, inplace=inplace)


@pytest.mark.parametrize("op", [act.relu, act.leaky_relu, act.elu, act.selu, act.silu, act.hardtanh, _threshold])
def test_inplace_returns_the_input_modified_and_keeps_the_gradient(op, rng):
    x0 = rng.uniform(-2, 2, size=(2, 3))
    leaf = S.leaf(x0)
    h = leaf * 1.0  # a non-leaf: in-place ops on leaves that require grad are refused
    version = h._version.value
    out = op(h, inplace=True)
    assert out is h and h._version.value == version + 1
    expected = op(S.leaf(x0, requires_grad=False))
    np.testing.assert_allclose(h.cpu().array, expected.cpu().array)
    w = rng.standard_normal((2, 3))
    (out * tge.tensor(w)).sum().backward()
    reference = S.leaf(x0)
    (op(reference) * tge.tensor(w)).sum().backward()
    np.testing.assert_allclose(leaf.grad.cpu().array, reference.grad.cpu().array)


def test_underscore_spellings_are_inplace():
    for op, args in [(act.relu_, ()), (act.leaky_relu_, (0.1,)), (act.elu_, (0.5,)), (act.selu_, ()),
                     (act.hardtanh_, (-0.5, 0.5)), (act.threshold_, (0.5, -7.0))]:
        x = tge.tensor([-1.0, 0.25, 2.0])
        expected = getattr(act, op.__name__[:-1])(tge.tensor([-1.0, 0.25, 2.0]), *args)
        assert op(x, *args) is x
        np.testing.assert_allclose(x.cpu().numpy(), expected.cpu().numpy())


def test_inplace_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="leaf Variable"):
        act.relu(S.leaf([1.0, -1.0]), inplace=True)


def test_inplace_without_grad_writes_through():
    x = tge.tensor([-1.0, 2.0])
    assert act.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.cpu().numpy(), [0.0, 2.0])


# -------------------------------------------------------------- dtypes and errors
def test_integer_inputs_follow_pytorch():
    x = tge.tensor([-2, 0, 3])
    assert act.relu(x).dtype == np.int64 and act.relu(x).tolist() == [0, 0, 3]
    assert act.hardtanh(x).dtype == np.int64 and act.hardtanh(x).tolist() == [-1, 0, 1]
    assert act.softsign(x).dtype == np.float32
    for op in (act.leaky_relu, act.elu, act.selu, act.gelu, act.silu, act.softplus, act.binary_step):
        with pytest.raises(TypeError, match="floating-point"):
            op(x)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(RuntimeError, match="approximate"):
        act.gelu(tge.zeros(2), approximate="fast")
    with pytest.raises(TypeError, match="threshold: threshold must be a real number, got Tensor"):
        act.threshold(tge.zeros(2), tge.tensor(0.5), 0.0)
    with pytest.raises(TypeError, match="threshold: value must be a real number, got str"):
        act.threshold(tge.zeros(2), 0.5, "0")
    with pytest.raises(ValueError, match="min_val"):
        act.hardtanh(tge.zeros(2), min_val=1.0, max_val=-1.0)


def test_threshold_keeps_integer_tensors_integer_and_the_module_repr():
    x = tge.tensor([-2, 0, 3])
    out = act.threshold(x, 0, 7)
    assert out.dtype == np.int64 and out.tolist() == [7, 7, 3]
    assert repr(tge.nn.Threshold(0.1, 20.0)) == "Threshold(threshold=0.1, value=20.0)"
    assert repr(tge.nn.Threshold(0.1, 20, inplace=True)) == "Threshold(threshold=0.1, value=20, inplace=True)"
    np.testing.assert_array_equal(tge.nn.Threshold(0.5, -1.0)(tge.tensor([0.25, 1.0])).numpy(), [-1.0, 1.0])


def test_masked_gradients_are_plus_zero_whatever_arrives():
    """Where relu, threshold, hardtanh or clamp have slope 0, the gradient is +0.0 even
    for an inf, NaN or negative upstream gradient (PyTorch's backward chooses; a product
    with the mask would give NaN and -0.0); elsewhere g passes unchanged, NaN included."""
    x0 = np.array([-1.5, -0.5, 0.0, 2.0, 3.0, 0.25, np.nan])
    g0 = np.array([np.inf, np.nan, -2.0, np.inf, -np.inf, np.nan, -3.0])
    with np.errstate(invalid="ignore"):  # the comparisons with NaN are the point: NaN passes or not
        cases = [  # (op, where g passes: PyTorch's conditions, NaN comparing false)
            (act.relu, ~(x0 <= 0)),
            (lambda x: act.threshold(x, 0.5, 9.0), ~(x0 <= 0.5)),
            (lambda x: act.hardtanh(x, -1.0, 2.5), ~((x0 <= -1.0) | (x0 >= 2.5))),
            (lambda x: x.clamp(-1.0, 2.5), (x0 >= -1.0) & (x0 <= 2.5)),
            (lambda x: tge.clamp(x, tge.tensor(np.full(7, -1.0)), tge.tensor(np.full(7, 2.5))), (x0 >= -1.0) & (x0 <= 2.5)),
        ]
    for op, passes in cases:
        expected64 = np.where(passes, g0, 0.0)
        for dtype in (np.float32, np.float64):
            x = tge.tensor(x0.astype(dtype), requires_grad=True)
            op(x).backward(tge.tensor(g0.astype(dtype)))
            expected = expected64.astype(dtype)
            np.testing.assert_array_equal(x.grad.numpy(), expected)
            np.testing.assert_array_equal(np.signbit(x.grad.numpy()), np.signbit(expected))


def test_large_relus_take_threshold_with_the_values_and_gradients_of_relu(monkeypatch):
    """relu on a large NumPy float tensor runs Threshold(0, 0) (one compiled pass each way
    with the Numba set): the values and gradients of the ReLU Function, bit for bit, NaN,
    infinite upstream gradients and the signs of zeros included."""
    from tinygrad_edu import kernels

    applied = []
    threshold_apply = act.Threshold.apply
    monkeypatch.setattr(act.Threshold, "apply", lambda *a, **kw: applied.append(1) or threshold_apply(*a, **kw))
    rng = np.random.default_rng(8)
    for dtype in (np.float32, np.float64):
        x0 = rng.standard_normal(kernels.WHERE_ELEMENTS + 5).astype(dtype)
        x0[:4] = [np.nan, 0.0, -0.0, np.inf]
        g0 = rng.standard_normal(x0.shape).astype(dtype)
        g0[2:8] = [np.inf, -np.inf, np.nan, -2.0, np.inf, np.nan]  # x0[4:8] are random: either side
        g = tge.tensor(g0)
        results = []
        for op in (act.relu, act.ReLU.apply):
            x = tge.tensor(x0, requires_grad=True)
            out = op(x)
            out.backward(g)
            results.append((out.detach().numpy(), x.grad.numpy()))
        (z, gx), (z_ref, gx_ref) = results
        assert z.dtype == dtype and gx.dtype == dtype
        np.testing.assert_array_equal(z, z_ref)
        np.testing.assert_array_equal(gx, gx_ref)
        np.testing.assert_array_equal(np.signbit(gx), np.signbit(gx_ref))
    assert len(applied) == (2 if kernels.threshold_compiled(np.zeros(kernels.WHERE_ELEMENTS)) else 0)
    x = tge.tensor(rng.standard_normal(kernels.WHERE_ELEMENTS), requires_grad=True)
    assert gradcheck(act.relu, (x,), fast_mode=True)


def test_threshold_saves_its_output_when_the_output_tells_where_x_was_at_or_below():
    """With value <= threshold, z <= threshold exactly where x <= threshold, so Threshold
    saves z (which the next layer keeps anyway), as ReLU does; otherwise x. Both give the
    same gradient."""
    h = S.leaf(np.linspace(-1, 1, 9)) * 1.0
    low = act.threshold(h, 0.25, -2.0)
    assert low.grad_fn.saved_tensors[0] is low.array
    high = act.threshold(h, 0.25, 7.0)
    assert high.grad_fn.saved_tensors[0] is h.array
    expected = (np.linspace(-1, 1, 9) > 0.25).astype(float)
    for out in (low, high):
        (grad,) = tge.autograd.grad(out.sum(), h, retain_graph=True)
        np.testing.assert_array_equal(grad.numpy(), expected)


def test_relu_propagates_nan():
    assert np.isnan(act.relu(tge.tensor([np.nan])).cpu().array[0])


def test_a_nan_input_gets_the_gradient_pytorchs_kernels_give():
    # PyTorch's backward kernels test "x <= 0" (relu, elu, hardtanh's bounds) or "x > 0"
    # (leaky_relu, prelu) and take the other branch for a NaN: the gradient passes through
    g = np.array([2.0, 3.0])
    cases = [
        (act.relu, [2.0, 0.0]),
        (lambda t: act.hardtanh(t, -1.0, 1.0), [2.0, 3.0]),
        (act.elu, [2.0, 3.0]),
        (act.selu, [2.0 * act.SELU_SCALE, 3.0 * act.SELU_SCALE * act.SELU_ALPHA]),
        (lambda t: act.leaky_relu(t, 0.25), [0.5, 0.75]),
        (lambda t: tge.nn.functional.prelu(t, tge.tensor([0.25], dtype=tge.float64)), [0.5, 0.75]),
    ]
    for f, expected in cases:
        x = tge.tensor([np.nan, 0.0], dtype=tge.float64, requires_grad=True)
        f(x).backward(tge.tensor(g))
        np.testing.assert_allclose(x.grad.cpu().array, expected, rtol=1e-12)
