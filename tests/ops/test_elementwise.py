"""Elementwise ops: forward against NumPy and gradcheck on hypothesis-drawn shapes,
with broadcasting, size-1 dims, non-contiguous inputs and random upstream gradients."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.testing import strategies as S

# name -> (tge function, NumPy reference, input range, points to avoid)
UNARY = {
    "neg": (tge.neg, np.negative, (-3, 3), ()),
    "exp": (tge.exp, np.exp, (-3, 3), ()),
    "log": (tge.log, np.log, (0.2, 4), ()),
    "sqrt": (tge.sqrt, np.sqrt, (0.2, 4), ()),
    "rsqrt": (tge.rsqrt, lambda a: 1 / np.sqrt(a), (0.2, 4), ()),
    "abs": (tge.abs, np.abs, (-3, 3), (0,)),
    "sin": (tge.sin, np.sin, (-3, 3), ()),
    "cos": (tge.cos, np.cos, (-3, 3), ()),
    "tanh": (tge.tanh, np.tanh, (-3, 3), ()),
    "sigmoid": (tge.sigmoid, lambda a: 1 / (1 + np.exp(-a)), (-6, 6), ()),
    "atan": (tge.atan, np.arctan, (-3, 3), ()),
    "clamp": (lambda x: tge.clamp(x, -1.0, 0.5), lambda a: np.clip(a, -1.0, 0.5), (-3, 3), (-1.0, 0.5)),
    "clamp_min": (lambda x: x.clamp(min=0.0), lambda a: np.maximum(a, 0.0), (-3, 3), (0.0,)),
    "pow_scalar": (lambda x: x**3, lambda a: a**3, (-2, 2), ()),
    "pow_fraction": (lambda x: x**0.5, lambda a: a**0.5, (0.2, 4), ()),
    "rpow": (lambda x: 2.0**x, lambda a: 2.0**a, (-2, 2), ()),
    "rsub": (lambda x: 1.0 - x, lambda a: 1.0 - a, (-2, 2), ()),
    "rdiv": (lambda x: 1.0 / x, lambda a: 1.0 / a, (0.3, 3), ()),
}

BINARY = {
    "add": (lambda a, b: a + b, np.add, (-3, 3), (-3, 3)),
    "sub": (lambda a, b: a - b, np.subtract, (-3, 3), (-3, 3)),
    "mul": (lambda a, b: a * b, np.multiply, (-3, 3), (-3, 3)),
    "div": (lambda a, b: a / b, np.divide, (-3, 3), (0.5, 3)),
    "pow": (lambda a, b: a**b, np.power, (0.3, 3), (-2, 2)),
    "maximum": (tge.maximum, np.maximum, (-3, 3), (-3, 3)),
    "minimum": (tge.minimum, np.minimum, (-3, 3), (-3, 3)),
}


def _upstream(out_shape, seed):
    """A fixed random upstream gradient, so gradcheck sees more than a plain .sum()."""
    return tge.tensor(np.random.default_rng(seed).standard_normal(out_shape))


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_unary_forward_and_gradcheck(name, shape, data, contiguous):
    fn, ref, (lo, hi), avoid = UNARY[name]
    a = data.draw(S.arrays(shape, lo, hi, avoid=avoid, margin=0.05))
    if not contiguous:
        a = S.noncontiguous(a)
    x = S.leaf(a)
    np.testing.assert_allclose(fn(x).detach().cpu().numpy(), ref(a), rtol=1e-10, atol=1e-12)
    w = _upstream(np.shape(ref(a)), 0)
    assert gradcheck(lambda t: fn(t) * w, (x,))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=S.broadcastable_shapes(2), data=st.data())
def test_binary_forward_and_gradcheck_with_broadcasting(name, shapes, data):
    fn, ref, range_a, range_b = BINARY[name]
    a = data.draw(S.arrays(shapes[0], *range_a))
    b = data.draw(S.arrays(shapes[1], *range_b))
    if name in ("maximum", "minimum"):  # ties split the gradient: tested on their own below
        assume(not np.any(np.isclose(*np.broadcast_arrays(a, b), atol=1e-3)))
    x, y = S.leaf(a), S.leaf(b)
    out = fn(x, y)
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref(a, b), rtol=1e-10, atol=1e-12)
    w = _upstream(out.shape, 1)
    assert gradcheck(lambda p, q: fn(p, q) * w, (x, y))


def test_maximum_splits_gradient_at_ties():
    x = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = tge.tensor([1.0, 5.0, 0.0], requires_grad=True)
    tge.maximum(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_allclose(y.grad.cpu().numpy(), [0.5, 1.0, 0.0])


def test_clamp_passes_gradient_at_the_bounds():
    x = tge.tensor([-1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0, 1.0, 1.0, 0.0])


def test_clamp_with_tensor_bounds_and_errors():
    x = S.leaf([-2.0, 0.3, 2.0])
    lo, hi = S.leaf([-1.0, -1.0, -1.0]), S.leaf([1.0, 1.0, 1.0])
    np.testing.assert_allclose(tge.clamp(x, lo, hi).detach().cpu().numpy(), [-1.0, 0.3, 1.0])
    assert gradcheck(lambda a, b, c: tge.clamp(a, b, c), (x, lo, hi))
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max'"):
        tge.clamp(x)


def test_abs_gradient_is_zero_at_zero():
    x = tge.tensor([0.0, -2.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.0, -1.0])


def test_pow_exponent_gradient_at_zero_base_is_zero():
    x = tge.tensor([0.0, 2.0], requires_grad=True)
    e = tge.tensor([2.0, 3.0], requires_grad=True)
    (x**e).sum().backward()
    np.testing.assert_allclose(e.grad.cpu().numpy(), [0.0, 8.0 * np.log(2.0)], rtol=1e-6)


@given(shapes=S.broadcastable_shapes(3), data=st.data())
def test_where_forward_and_gradcheck(shapes, data):
    cond = data.draw(S.arrays(shapes[0])) > 0
    a, b = data.draw(S.arrays(shapes[1])), data.draw(S.arrays(shapes[2]))
    x, y = S.leaf(a), S.leaf(b)
    out = tge.where(tge.tensor(cond), x, y)
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.where(cond, a, b))
    w = _upstream(out.shape, 2)
    assert gradcheck(lambda p, q: tge.where(tge.tensor(cond), p, q) * w, (x, y))


def test_where_with_scalars_and_masked_fill():
    x = S.leaf([1.0, -2.0, 3.0])
    np.testing.assert_allclose(tge.where(x > 0, x, 0.0).detach().cpu().numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_allclose(x.masked_fill(x < 0, -9.0).detach().cpu().numpy(), [1.0, -9.0, 3.0])
    np.testing.assert_allclose(x.where(x > 0, 7.0).detach().cpu().numpy(), [1.0, 7.0, 3.0])
    with pytest.raises(TypeError, match="bool"):
        tge.where(tge.tensor([1.0]), x, x)


def test_sigmoid_is_stable_at_large_logits():
    x = tge.tensor([-1000.0, 1000.0], requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_array_equal(y.detach().cpu().numpy(), [0.0, 1.0])
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.cpu().numpy()))


def test_comparisons_have_no_grad_and_rounding_has_zero_grad():
    x = tge.tensor([-1.5, 0.5, 2.5], requires_grad=True)
    for cmp in (x > 0, x >= 0.5, x < 0, x <= 0.5, x == 0.5, x != 0.5):
        assert cmp.dtype == tge.bool and not cmp.requires_grad
    assert (x > 0).tolist() == [False, True, True]
    assert ((x > 0) & (x < 1)).tolist() == [False, True, False]
    assert (~(x > 0)).tolist() == [True, False, False]
    r = x.round() + x.floor() + x.ceil() + x.sign()
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 0.0, 0.0])
    assert x.round().tolist() == [-2.0, 0.0, 2.0]  # half to even, as PyTorch


def test_binary_shape_error_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"mul: shapes \(2, 3\) and \(2,\) cannot be broadcast"):
        tge.ones(2, 3) * tge.ones(2)


def test_alpha_arguments():
    a, b = tge.tensor([1.0]), tge.tensor([2.0])
    assert tge.add(a, b, alpha=3).item() == 7.0 and tge.sub(a, b, alpha=2).item() == -3.0
    assert a.add(b, alpha=0.5).item() == 2.0


def test_pow_gradient_is_zero_for_a_zero_exponent_even_at_zero():
    x = tge.tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()  # 0 * 0^-1 would be nan
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 0.0])
    x.grad = None
    (x ** tge.tensor([0.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 4.0])


@given(shapes=S.broadcastable_shapes(2), data=st.data())
def test_remainder_forward_and_gradcheck(shapes, data):
    a = data.draw(S.arrays(shapes[0], -5, 5))
    b = data.draw(S.arrays(shapes[1], 0.5, 2)) * data.draw(st.sampled_from([1.0, -1.0]))
    q = np.broadcast_arrays(a / b)[0]
    assume(np.all(np.abs(q - np.round(q)) > 1e-3))  # away from the jumps of floor(x / y)
    x, y = S.leaf(a), S.leaf(b)
    np.testing.assert_allclose((x % y).detach().cpu().numpy(), np.remainder(a, b), rtol=1e-10, atol=1e-12)
    w = _upstream(np.broadcast_shapes(a.shape, b.shape), 4)
    assert gradcheck(lambda p, r: tge.remainder(p, r) * w, (x, y))


def test_remainder_by_a_number_is_differentiable():
    x = tge.tensor([2.0, 3.5], requires_grad=True)
    ((x % 1.0) * x).sum().backward()  # d/dx (x mod 1) * x = (x mod 1) + x
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 4.0])
    assert (tge.tensor([7, -7]) % 3).tolist() == [1, 2] and not (tge.tensor([7]) % 3).requires_grad


@given(shapes=S.broadcastable_shapes(3), data=st.data())
def test_clamp_with_tensor_bounds_gradcheck(shapes, data):
    a, lo, hi = (data.draw(S.arrays(s)) for s in shapes)
    m = np.maximum(*np.broadcast_arrays(a, lo))
    assume(not np.any(np.isclose(*np.broadcast_arrays(a, lo), atol=1e-3)))  # ties: tested below
    assume(not np.any(np.isclose(*np.broadcast_arrays(m, hi), atol=1e-3)))
    x, l, h = S.leaf(a), S.leaf(lo), S.leaf(hi)
    out = tge.clamp(x, l, h)
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.minimum(m, hi))
    w = _upstream(out.shape, 5)
    assert gradcheck(lambda p, q, r: tge.clamp(p, q, r) * w, (x, l, h))
    assert gradcheck(lambda p, q: tge.clamp(p, min=q) * _upstream(np.broadcast_shapes(a.shape, lo.shape), 6), (x, l))


def test_clamp_with_tensor_bounds_passes_ties_to_the_input():
    x = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    lo = tge.tensor([1.0, 3.0, 0.0], requires_grad=True)
    hi = tge.tensor([5.0, 5.0, 3.0], requires_grad=True)
    tge.clamp(x, lo, hi).sum().backward()  # x == lo at 0 and x == hi at 2: x wins, as PyTorch
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(lo.grad.cpu().numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(hi.grad.cpu().numpy(), [0.0, 0.0, 0.0])


def test_clamp_and_masked_fill_dtypes_follow_pytorch():
    assert tge.clamp(tge.tensor([1, 2]), min=1.5).tolist() == [1.5, 2.0]  # an int tensor with a float bound: float
    assert tge.tensor([1, 2]).clamp(min=tge.tensor([1.5, 1.5])).dtype == tge.float32
    assert tge.clamp(tge.tensor([1, 5]), 2, 4).dtype == tge.int64
    filled = tge.tensor([1, 2]).masked_fill(tge.tensor([True, False]), 2.7)  # keeps int: the value is cast
    assert filled.dtype == tge.int64 and filled.tolist() == [2, 2]
    v = tge.tensor(3.0, requires_grad=True)
    x = S.leaf([1.0, 2.0, 3.0])
    (x.masked_fill(x > 1.5, v) * tge.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert v.grad.item() == 110.0 and x.grad.tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(x > 1.5, tge.ones(3))


def test_maximum_minimum_backward_stays_in_the_gradient_dtype_and_skips_unneeded():
    from tinygrad_edu.autograd.function import Context
    from tinygrad_edu.ops.elementwise import Maximum, Minimum

    x, y = np.array([1.0, 2.0, 3.0], np.float32), np.array([1.0, 1.0, 4.0], np.float32)
    for op in (Maximum, Minimum):
        ctx = Context(op)
        ctx.needs_input_grad = (True, False)
        op.forward(ctx, x, y)
        gx, gy = op.backward(ctx, np.ones(3, np.float32))
        assert gx.dtype == np.float32 and gy is None


def test_nan_gradients_follow_pytorchs_formulas():
    # maximum: no comparison holds at a NaN, so both inputs get g (PyTorch's masks)
    x, y = tge.tensor([np.nan, 2.0, 1.0], requires_grad=True), tge.tensor([1.0, np.nan, 1.0], requires_grad=True)
    tge.maximum(x, y).backward(tge.tensor([2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.array, [2.0, 3.0, 2.0])
    np.testing.assert_array_equal(y.grad.array, [2.0, 3.0, 2.0])
    # max() over everything: a NaN maximum's gradient is shared by the NaNs
    x = tge.tensor([1.0, np.nan, 3.0, np.nan], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 0.5, 0.0, 0.5])
    # clamp with a tensor bound: a NaN compares false everywhere, so no input gets g
    x, lo = tge.tensor([np.nan, -1.0], requires_grad=True), tge.tensor([0.0, np.nan], requires_grad=True)
    tge.clamp(x, min=lo).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 0.0])
    np.testing.assert_array_equal(lo.grad.array, [0.0, 0.0])


def test_selection_gradients_are_plus_zero_for_the_loser_whatever_arrives():
    """maximum / minimum send g to the winner (g/2 each at a tie) and max / min along a dim
    to the selected element; the others get +0.0 even where g is inf or NaN (a product
    with a 0/1 share would give NaN, and -0.0 for a negative g)."""
    x0 = np.array([-1.5, 0.0, 2.0, -0.0, 3.0, -2.0])
    y0 = np.array([0.5, 0.0, 2.0, -1.0, 1.0, 4.0])
    g0 = np.array([np.inf, np.nan, -2.0, -np.inf, np.nan, -4.0])
    for name, x_wins in (("maximum", x0 > y0), ("minimum", x0 < y0)):
        x, y = tge.tensor(x0, requires_grad=True), tge.tensor(y0, requires_grad=True)
        getattr(tge, name)(x, y).backward(tge.tensor(g0))
        tie = x0 == y0
        expected_x = np.where(tie, g0 / 2, np.where(x_wins, g0, 0.0))
        expected_y = np.where(tie, g0 / 2, np.where(x_wins, 0.0, g0))
        for got, expected in ((x.grad.numpy(), expected_x), (y.grad.numpy(), expected_y)):
            np.testing.assert_array_equal(got, expected, err_msg=name)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(expected), err_msg=name)
    for name, pick in (("max", np.argmax), ("min", np.argmin)):
        x = tge.tensor(x0.reshape(2, 3), requires_grad=True)
        g = np.array([[np.nan], [-np.inf]])
        getattr(x, name)(dim=1, keepdim=True)[0].backward(tge.tensor(g))
        expected = np.zeros((2, 3))
        expected[np.arange(2), pick(x0.reshape(2, 3), axis=1)] = g[:, 0]
        np.testing.assert_array_equal(x.grad.numpy(), expected, err_msg=name)
        np.testing.assert_array_equal(np.signbit(x.grad.numpy()), np.signbit(expected), err_msg=name)
