"""In-place ops: version counters, the modified-saved-tensor error, leaf protection,
and in-place ops recorded in the graph."""
import gc
import weakref

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.autograd import Function, gradcheck
from tinygrad_edu.backend import get_array_module
from tinygrad_edu.testing import strategies as S


def test_inplace_ops_bump_the_version():
    t = tge.zeros(3)
    v = t._version.value
    t.add_(1)
    t.mul_(2)
    t.sub_(1)
    t.zero_()
    t.fill_(3)
    t.clamp_(0, 1)
    t.copy_(tge.ones(3))
    t[0] = 5
    t += 1
    assert t._version.value == v + 9
    np.testing.assert_allclose(t.cpu().numpy(), [6.0, 2.0, 2.0])


def test_modifying_a_saved_tensor_raises_with_op_shape_and_versions():
    x = tge.randn(2, 3, requires_grad=True)
    h = x * 1
    y = h * h  # MulBackward saves h
    h.add_(1)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    msg = str(info.value)
    assert "modified by an inplace operation" in msg
    assert "(2, 3)" in msg and "MulBackward" in msg
    assert "is at version 1; expected version 0" in msg


def test_modifying_a_saved_output_raises():
    x = tge.randn(3, requires_grad=True)
    e = x.exp()  # ExpBackward saves its output
    e.mul_(2)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward"):
        e.sum().backward()


def test_modifying_a_saved_input_names_its_argument_number_past_plain_arguments():
    # the saved-version record keeps a position among the Tensor arguments only; the message
    # must still count every argument of forward (here the number 2.0 is argument 0)
    class ScaledMul(Function):
        @staticmethod
        def forward(ctx, k, x, y):
            ctx.save_for_backward(y)
            return k * x * y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return None, g * y, None

    x, y = tge.ones(3, requires_grad=True), tge.ones(3)
    z = ScaledMul.apply(2.0, x, y)
    y.add_(1)
    with pytest.raises(RuntimeError, match="which is input 2 of ScaledMulBackward"):
        z.sum().backward()


def test_modifying_a_saved_output_names_its_output_number():
    # an op with two outputs that saves both: writing into the second is caught and named
    # as output 1, with its version then and now
    class SinCos(Function):
        """(sin x, cos x).   Backward: dL/dx = gs * cos x - gc * sin x."""

        @staticmethod
        def forward(ctx, x):
            xp = get_array_module(x)
            s, c = xp.sin(x), xp.cos(x)
            ctx.save_for_backward(s, c)
            return s, c

        @staticmethod
        def backward(ctx, gs, gc):
            s, c = ctx.saved_tensors
            return gs * c - gc * s

    x = tge.ones(3, requires_grad=True)
    s, c = SinCos.apply(x)
    (s + c).sum().backward(retain_graph=True)  # unwritten, its backward runs: d(sin + cos) = cos - sin
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, np.cos(1.0) - np.sin(1.0)), rtol=1e-6)
    c.mul_(2)
    with pytest.raises(RuntimeError, match=r"which is output 1 of SinCosBackward.*is at version 1; expected version 0"):
        (s + c).sum().backward()


def test_modifying_through_detach_shares_the_version_counter():
    x = tge.randn(3, requires_grad=True)
    y = x.sigmoid()
    y.detach().zero_()  # same data, same counter, as in PyTorch
    with pytest.raises(RuntimeError, match="inplace operation"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_is_refused_but_allowed_under_no_grad():
    w = tge.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0
    before = w.detach().cpu().numpy().copy()
    with tge.no_grad():
        w.sub_(tge.ones(3), alpha=0.5)
    np.testing.assert_allclose(w.detach().cpu().numpy(), before - 0.5)
    assert w.is_leaf and w.requires_grad


def test_inplace_on_intermediate_is_differentiated():
    x = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    h.mul_(x)  # h = 2 x^2
    h.add_(x, alpha=3)  # h = 2x^2 + 3x
    h.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 4 * np.array([1.0, 2.0, 3.0]) + 3)
    assert "Backward" in h.grad_fn.name()


def test_inplace_into_a_plain_tensor_from_a_tensor_requiring_grad():
    w = tge.tensor([1.0, 2.0], requires_grad=True)
    buf = tge.zeros(2)
    buf.add_(w * 3)
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), [3.0, 3.0])


def test_setitem_recorded_in_graph():
    w = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = tge.zeros(4)
    z[1:] = w * 2
    z[0] = w[0]
    (z * tge.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), [1.0 + 20.0, 200.0, 2000.0])


def test_setitem_overwritten_positions_get_no_gradient():
    x = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    h[1] = 0.0
    h.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0, 0.0, 1.0])


def test_setitem_with_mask_and_broadcast_value():
    t = tge.zeros(2, 3)
    t[t == 0] = 7.0
    t[:, 1] = tge.tensor([1.0, 2.0])
    np.testing.assert_allclose(t.cpu().numpy(), [[7, 1, 7], [7, 2, 7]])


def test_inplace_shape_and_dtype_errors():
    t = tge.zeros(3)
    with pytest.raises(RuntimeError, match=r"add_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"):
        t.add_(tge.ones(2, 3))
    i = tge.zeros(3, dtype=tge.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="setitem"):
        t[:2] = tge.ones(3)


def test_fill_on_intermediate_sends_zero_gradient():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.fill_(5.0)
    (h * x).sum().backward()  # d/dx of 5x = 5 (the filled h no longer depends on x)
    np.testing.assert_allclose(x.grad.cpu().numpy(), [5.0, 5.0])


def test_normal_and_uniform_fill_from_framework_generator():
    tge.manual_seed(3)
    a = tge.empty(1000).normal_(2.0, 0.5)
    tge.manual_seed(3)
    b = tge.empty(1000).normal_(2.0, 0.5)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert abs(a.cpu().numpy().mean() - 2.0) < 0.1 and abs(a.cpu().numpy().std() - 0.5) < 0.05
    u = tge.empty(1000).uniform_(-1, 1)
    assert u.cpu().numpy().min() >= -1 and u.cpu().numpy().max() < 1


def test_fill_and_copy_overwrite_nan_and_inf():
    w = tge.tensor([float("inf"), float("nan"), 1.0], requires_grad=True)
    x = w * 1
    x.fill_(2.0)  # not x * 0 + 2, which keeps inf * 0 = nan
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [2.0, 2.0, 2.0])
    y = w * 1
    y.copy_(tge.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(y.detach().cpu().numpy(), [1.0, 2.0, 3.0])
    (x + y).sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [0.0, 0.0, 0.0])


def test_fill_and_copy_send_the_gradient_to_the_value():
    rng = np.random.default_rng(0)
    base, src = rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
    weights = tge.tensor(rng.standard_normal((2, 3)))

    def copy(b, s):
        x = b * 1
        x.copy_(s)  # s broadcast over the rows
        return x * weights

    def fill(b, v):
        x = b * 1
        x.fill_(v)
        return x * weights

    assert gradcheck(copy, (S.leaf(base), S.leaf(src)))
    assert gradcheck(fill, (S.leaf(base), S.leaf(2.5)))
    i = tge.zeros(3, dtype=tge.int64).copy_(tge.tensor([1.7, 2.2, -3.9]))  # cast, as PyTorch
    assert i.tolist() == [1, 2, -3]
    with pytest.raises(RuntimeError, match=r"copy_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"):
        tge.zeros(3).copy_(tge.ones(2, 3))
    with pytest.raises(RuntimeError, match="fill_: only supports 0-dimension value tensor"):
        tge.zeros(3).fill_(tge.ones(3))


def test_setitem_value_with_extra_leading_size_one_dims():
    v = tge.ones(1, 3, requires_grad=True)
    x = tge.zeros(2, 3)
    x[0] = v  # NumPy and PyTorch drop v's leading 1 when assigning
    (x * tge.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(v.grad.cpu().numpy(), [[1.0, 2.0, 3.0]])


def test_setitem_shape_mismatch_is_a_clear_error_recorded_or_not():
    for value in (tge.ones(3), tge.ones(3, requires_grad=True)):
        msg = r"setitem: shape mismatch: value tensor of shape \(3,\) cannot be broadcast to indexing result of shape \(2,\)"
        with pytest.raises(RuntimeError, match=msg):
            tge.zeros(4)[0:2] = value


def test_ops_save_only_what_their_backward_needs():
    # PyTorch runs all of these; saving the unneeded input/output made them raise
    w = tge.ones(3, requires_grad=True)
    x = w * 1
    y = x * 2.0  # Mul saves neither x nor 2.0 (only needed for the other's gradient)
    x.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    w.grad = None
    z = w / 2  # Div saves its inputs, not z
    z.add_(5)
    z.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [0.5, 0.5, 0.5])
    w.grad = None
    p = w**2  # Pow saves z only for the exponent's gradient
    p.add_(1)
    p.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    w.grad = None
    m = tge.ones(3, 2)
    h = w * 1
    out = h @ m  # MatMul keeps m (for dL/dh), not h
    h.mul_(3)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [2.0, 2.0, 2.0])


def test_inplace_copies_old_values_only_when_backward_needs_them(monkeypatch):
    from tinygrad_edu.autograd import inplace

    copies = []
    real = inplace.old_values
    monkeypatch.setattr(inplace, "old_values", lambda t: copies.append(t.shape) or real(t))
    x = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = tge.tensor([2.0, 2.0, 2.0], requires_grad=True)
    h = x * 1
    h.add_(1)
    h.mul_(3.0)
    h.div_(2.0)
    h.clamp_(0.0, 10.0)
    h[0] = 5.0
    h.fill_(1.0)
    h.copy_(x)
    assert copies == []
    h.mul_(w)  # dL/dw = g * h_old: the old values must survive the write
    assert copies == [(3,)]
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, 2.0, 2.0])


def test_index_arrays_are_freed_with_the_graph():
    x = tge.randn(5, requires_grad=True)
    read, write = np.array([0, 2, 2]), np.array([1, 3])
    refs = weakref.ref(read), weakref.ref(write)
    y = x[read]
    z = x * 1
    z[write] = 0.0
    del read, write
    (y.sum() + z.sum()).backward()
    gc.collect()
    assert all(ref() is None for ref in refs)  # y and z (and their grad_fn) are still alive
    s = x[1:3]  # a basic key is kept: backward through it twice works, as in PyTorch
    s.sum().backward()
    s.sum().backward()


def test_a_write_to_another_tensor_after_forward_is_no_error_and_the_saved_ones_are_still_checked():
    """Saved values are checked only when some tensor was written in place since the
    forward (``views.writes``): a write elsewhere makes the check run and find nothing,
    then a write to the saved tensor is caught."""
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h * h  # MulBackward saves h (twice)
    other = tge.zeros(2)
    other.add_(1)  # not saved by anything
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0])
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
