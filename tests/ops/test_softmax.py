"""softmax / log_softmax: forward against NumPy and gradcheck along every dim of
hypothesis-drawn shapes; stability at logits of +-1000; dtype=, dim checks."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops.softmax import log_softmax, softmax
from tinygrad_edu.testing import strategies as S


def _log_softmax_ref(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


@st.composite
def _input_and_dim(draw):
    shape = draw(S.shapes)
    dim = draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    return draw(S.arrays(shape, low=-5, high=5)), dim


@pytest.mark.parametrize("op, reference", [(softmax, lambda x, a: np.exp(_log_softmax_ref(x, a))),
                                           (log_softmax, _log_softmax_ref)])
@given(case=_input_and_dim())
def test_forward_matches_numpy_and_gradcheck(op, reference, case):
    x, dim = case
    out = op(S.leaf(S.noncontiguous(x)), dim)
    axis = dim if x.ndim else None
    np.testing.assert_allclose(out.cpu().array, reference(x, axis), rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda t: op(t, dim), (S.leaf(S.noncontiguous(x)),))


@given(case=_input_and_dim())
def test_softmax_slices_are_probability_vectors(case):
    x, dim = case
    s = softmax(S.leaf(x, requires_grad=False), dim).cpu().array
    assert (s >= 0).all()
    np.testing.assert_allclose(s.sum(axis=dim if x.ndim else None), 1.0, rtol=1e-12)


def test_a_random_upstream_gradient_matches_the_formula(rng):
    x, g = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    t = S.leaf(x)
    (softmax(t, 1) * tge.tensor(g)).sum().backward()
    s = np.exp(_log_softmax_ref(x, 1))
    np.testing.assert_allclose(t.grad.cpu().array, s * (g - (g * s).sum(1, keepdims=True)), rtol=1e-12)
    t.grad = None
    (log_softmax(t, 1) * tge.tensor(g)).sum().backward()
    np.testing.assert_allclose(t.grad.cpu().array, g - s * g.sum(1, keepdims=True), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_logits_of_plus_minus_1000(dtype):
    x = tge.tensor(np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -999.0]],
                            dtype=dtype), requires_grad=True)
    s = softmax(x, 1)
    np.testing.assert_allclose(s.cpu().array, [[1, 0, 0], [0.5, 0.5, 0], [np.exp(-1) / (2 * np.exp(-1) + 1)] * 2
                                        + [1 / (2 * np.exp(-1) + 1)]], rtol=1e-6)
    ls = log_softmax(x, 1)
    assert np.isfinite(ls.cpu().array).all()
    np.testing.assert_allclose(ls.cpu().array[0], [0.0, -1000.0, -2000.0], rtol=1e-6)
    np.testing.assert_allclose(ls.cpu().array[1], [-np.log(2), -np.log(2), -2000.0 - np.log(2)], rtol=1e-6)
    (s[:, 0].sum() + ls.sum()).backward()
    assert np.isfinite(x.grad.cpu().array).all()


def test_gradient_at_large_logits_is_correct():
    x = S.leaf([[1000.0, 999.0, -1000.0]])
    assert gradcheck(lambda t: softmax(t, 1), (x,))
    assert gradcheck(lambda t: log_softmax(t, -1), (x,))


def test_dtype_argument_casts_first_and_keeps_the_graph():
    x = tge.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = softmax(x, dim=1, dtype=tge.float64)
    assert y.dtype == np.float64
    y[0, 0].backward()
    assert x.grad.dtype == np.float32
    assert log_softmax(tge.tensor([1, 2, 3]), 0, dtype=tge.float32).dtype == np.float32


def test_zero_dim_input():
    x = S.leaf(2.5)
    np.testing.assert_array_equal(softmax(x, 0).cpu().array, 1.0)
    np.testing.assert_array_equal(log_softmax(x, -1).cpu().array, 0.0)


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="dim is required"):
        softmax(tge.zeros(2, 3), None)
    with pytest.raises(IndexError, match="dimension out of range"):
        log_softmax(tge.zeros(2, 3), 2)
    with pytest.raises(TypeError, match="floating-point"):
        softmax(tge.tensor([1, 2]), 0)


def test_rows_of_minus_infinity_are_masked_out():
    x = tge.tensor([[0.0, -np.inf, 1.0]], dtype=tge.float64, requires_grad=True)
    s = softmax(x, 1)
    np.testing.assert_allclose(s.cpu().array, [[1 / (1 + np.e), 0.0, np.e / (1 + np.e)]])
    s[0, 0].backward()
    assert np.isfinite(x.grad.cpu().array).all() and x.grad.cpu().array[0, 1] == 0
