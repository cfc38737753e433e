"""matmul (NumPy's rules: 1-D, 2-D, batched, broadcast batch dims), mm, bmm, linear."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
import tinygrad_edu.nn.functional as F
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.testing import strategies as S


@st.composite
def matmul_shapes(draw):
    """Shape pairs valid for matmul: 1-D or n-D on either side, broadcastable batch dims."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(S.broadcastable_shapes(2, max_dims=2))
    a = (k,) if draw(st.booleans()) and not batch_a else batch_a + (n, k)
    b = (k,) if draw(st.booleans()) and not batch_b else batch_b + (k, m)
    return a, b


@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_forward_and_gradcheck(shapes, data):
    a = data.draw(S.arrays(shapes[0]))
    b = data.draw(S.arrays(shapes[1]))
    x, y = S.leaf(a), S.leaf(b)
    out = x @ y
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.matmul(a, b), rtol=1e-12)
    w = tge.tensor(np.random.default_rng(0).standard_normal(out.shape))
    assert gradcheck(lambda p, q: (p @ q) * w, (x, y))


@given(data=st.data(), shape_x=st.sampled_from([(3,), (2, 3), (2, 2, 3)]), out_f=st.integers(1, 3), bias=st.booleans())
def test_linear_forward_and_gradcheck(data, shape_x, out_f, bias):
    a = data.draw(S.arrays(shape_x))
    w = data.draw(S.arrays((out_f, shape_x[-1])))
    b = data.draw(S.arrays((out_f,))) if bias else None
    x, W = S.leaf(a), S.leaf(w)
    B = S.leaf(b) if bias else None
    expected = a @ w.T + (b if bias else 0)
    np.testing.assert_allclose(F.linear(x, W, B).detach().cpu().numpy(), expected, rtol=1e-12)
    inputs = (x, W, B) if bias else (x, W)
    assert gradcheck(lambda *t: F.linear(t[0], t[1], t[2] if bias else None), inputs)


def test_matmul_on_non_contiguous_inputs():
    a = S.noncontiguous(np.random.default_rng(0).standard_normal((3, 4)))
    assert gradcheck(lambda p, q: p @ q, (S.leaf(a), S.leaf(np.ones((4, 2)))))
    t = tge.randn(4, 3, dtype=tge.float64, requires_grad=True)
    assert gradcheck(lambda p: p.T @ p, (t,))  # a transposed (strided) operand


def test_matmul_errors_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(2x3 and 4x5\)"):
        tge.randn(2, 3) @ tge.randn(4, 5)
    with pytest.raises(RuntimeError, match=r"at least 1 dimension.*\(\) and \(3,\)"):
        tge.matmul(tge.tensor(1.0), tge.randn(3))
    with pytest.raises(RuntimeError, match="batch dims"):
        tge.randn(2, 2, 3) @ tge.randn(3, 3, 4)
    with pytest.raises(RuntimeError, match="mm: expected 2-D"):
        tge.mm(tge.randn(2, 2, 2), tge.randn(2, 2))
    with pytest.raises(RuntimeError, match="bmm"):
        tge.bmm(tge.randn(2, 2, 2), tge.randn(3, 2, 2))
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 3\) does not fit weight of shape \(4, 5\)"):
        F.linear(tge.randn(2, 3), tge.randn(4, 5))


def test_mm_bmm_values():
    a, b = tge.randn(2, 3), tge.randn(3, 4)
    np.testing.assert_allclose(tge.mm(a, b).cpu().numpy(), a.cpu().numpy() @ b.cpu().numpy(), rtol=1e-6)
    a, b = tge.randn(5, 2, 3), tge.randn(5, 3, 4)
    np.testing.assert_allclose(tge.bmm(a, b).cpu().numpy(), a.cpu().numpy() @ b.cpu().numpy(), rtol=1e-5)
