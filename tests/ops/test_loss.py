"""Losses: forward against NumPy references and gradcheck (input and target) on
hypothesis-drawn shapes, for every reduction; then the deliberate cases: stability,
clamping, ignore_index, weights, label smoothing, spatial and unbatched targets, and
the error messages."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops import loss as L
from tinygrad_edu.testing import strategies as S

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


def _reduce(loss, reduction):
    return {"none": loss, "sum": np.sum(loss), "mean": np.mean(loss)}[reduction]


# ------------------------------------------------------------------- regression
REGRESSION = {
    # name -> (op, NumPy reference of the per-element loss from d = x - t, kinks of d)
    "mse_loss": (L.mse_loss, lambda d: d * d, ()),
    "l1_loss": (L.l1_loss, np.abs, (0,)),
    "smooth_l1_loss": (lambda x, t, reduction: L.smooth_l1_loss(x, t, reduction, beta=0.7),
                       lambda d: np.where(np.abs(d) < 0.7, 0.5 * d * d / 0.7, np.abs(d) - 0.35), (0, 0.7, -0.7)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@given(data=st.data(), reduction=REDUCTIONS)
def test_regression_losses_forward_and_gradcheck(name, data, reduction):
    op, reference, kinks = REGRESSION[name]
    shape = data.draw(S.shapes, label="shape")
    x = data.draw(S.arrays(shape), label="x")
    d = data.draw(S.arrays(shape, avoid=kinks), label="x - t")
    t = x - d
    out = op(S.leaf(S.noncontiguous(x)), S.leaf(t), reduction=reduction)
    np.testing.assert_allclose(out.cpu().array, _reduce(reference(d), reduction), rtol=1e-12, atol=1e-13)
    assert gradcheck(lambda a, b: op(a, b, reduction=reduction), (S.leaf(S.noncontiguous(x)), S.leaf(t)))


@pytest.mark.parametrize("op", [L.mse_loss, L.l1_loss, L.smooth_l1_loss])
def test_regression_losses_broadcast_with_pytorchs_warning(op, rng):
    x, t = rng.standard_normal((3, 1)), rng.standard_normal(4)
    with pytest.warns(UserWarning, match="target size"):
        out = op(S.leaf(x), S.leaf(t), reduction="none")
    assert out.shape == (3, 4)
    with pytest.warns(UserWarning):
        assert gradcheck(lambda a, b: op(a, b), (S.leaf(x), S.leaf(t)))


def test_regression_errors_and_integer_targets():
    with pytest.raises(RuntimeError, match=r"\(3,\) and \(4,\)"):
        L.mse_loss(tge.zeros(3), tge.zeros(4))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        L.l1_loss(tge.zeros(3), tge.zeros(3), reduction="avg")
    with pytest.raises(RuntimeError, match="beta"):
        L.smooth_l1_loss(tge.zeros(3), tge.zeros(3), beta=-1.0)
    out = L.mse_loss(tge.tensor([1.0, 2.0]), tge.tensor([1, 0]))
    assert out.dtype == np.float32 and out.item() == 2.0


def test_smooth_l1_with_beta_zero_is_l1(rng):
    x, t = rng.standard_normal(5), rng.standard_normal(5)
    np.testing.assert_allclose(L.smooth_l1_loss(S.leaf(x), S.leaf(t), beta=0.0).cpu().array,
                               L.l1_loss(S.leaf(x), S.leaf(t)).cpu().array)


def test_kinks_get_pytorchs_subgradient():
    x = S.leaf([1.0, 2.0])
    L.l1_loss(x, S.leaf([1.0, 0.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.cpu().array, [0.0, 1.0])  # sign(0) = 0


def test_empty_mean_is_nan():
    assert math.isnan(L.mse_loss(tge.zeros(0), tge.zeros(0)).item())


# ----------------------------------------------------------------------- binary
def _bce_ref(x, t, w=1.0):
    return -w * (t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))


def _bce_logits_ref(x, t, w=1.0, p=1.0):
    softplus_neg_x = np.logaddexp(0, -x)
    return w * ((1 - t) * x + (1 + (p - 1) * t) * softplus_neg_x)


@given(data=st.data(), reduction=REDUCTIONS, weighted=st.booleans())
def test_binary_cross_entropy_forward_and_gradcheck(data, reduction, weighted):
    shape = data.draw(S.nonscalar_shapes, label="shape")
    x = data.draw(S.arrays(shape, low=0.05, high=0.95), label="x")
    t = data.draw(S.arrays(shape, low=0.0, high=1.0), label="t")
    w = data.draw(S.arrays(shape[-1:], low=0.5, high=2.0), label="w") if weighted else None
    wt = None if w is None else S.leaf(w, requires_grad=False)
    out = L.binary_cross_entropy(S.leaf(S.noncontiguous(x)), S.leaf(t), wt, reduction)
    np.testing.assert_allclose(out.cpu().array, _reduce(_bce_ref(x, t, 1.0 if w is None else w), reduction), rtol=1e-12)
    assert gradcheck(lambda a, b: L.binary_cross_entropy(a, b, wt, reduction), (S.leaf(x), S.leaf(t)))


@given(data=st.data(), reduction=REDUCTIONS, weighted=st.booleans(), pos_weighted=st.booleans())
def test_binary_cross_entropy_with_logits_forward_and_gradcheck(data, reduction, weighted, pos_weighted):
    shape = data.draw(S.nonscalar_shapes, label="shape")
    x = data.draw(S.arrays(shape, low=-5, high=5), label="x")
    t = data.draw(S.arrays(shape, low=0.0, high=1.0), label="t")
    w = data.draw(S.arrays(shape[-1:], low=0.5, high=2.0), label="w") if weighted else None
    p = data.draw(S.arrays(shape[-1:], low=0.5, high=3.0), label="pos_weight") if pos_weighted else None
    wt, pt = (None if a is None else S.leaf(a, requires_grad=False) for a in (w, p))

    def op(a, b):
        return L.binary_cross_entropy_with_logits(a, b, wt, reduction, pos_weight=pt)

    out = op(S.leaf(S.noncontiguous(x)), S.leaf(t))
    expected = _bce_logits_ref(x, t, 1.0 if w is None else w, 1.0 if p is None else p)
    np.testing.assert_allclose(out.cpu().array, _reduce(expected, reduction), rtol=1e-12)
    assert gradcheck(op, (S.leaf(S.noncontiguous(x)), S.leaf(t)))


def test_bce_with_logits_is_stable_at_plus_minus_800():
    x = S.leaf([800.0, -800.0, 800.0, -800.0, 0.0])
    t = S.leaf([1.0, 0.0, 0.0, 1.0, 0.5])
    loss = L.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.cpu().array, [0.0, 0.0, 800.0, 800.0, math.log(2)], atol=1e-300)
    loss.sum().backward()
    # dL/dx = sigmoid(x) - t,  dL/dt = -x
    np.testing.assert_allclose(x.grad.cpu().array, [0.0, 0.0, 1.0, -1.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(t.grad.cpu().array, [-800.0, 800.0, -800.0, 800.0, 0.0])
    xp = S.leaf([800.0, -800.0])
    loss = L.binary_cross_entropy_with_logits(xp, S.leaf([0.0, 1.0]), pos_weight=tge.tensor([3.0, 3.0], dtype=tge.float64))
    np.testing.assert_allclose(loss.item(), (800.0 + 3 * 800.0) / 2)
    loss.backward()
    np.testing.assert_allclose(xp.grad.cpu().array, [0.5, -1.5])


def test_bce_clamps_log_at_minus_100():
    x = S.leaf([0.0, 1.0, 0.0, 1.0])
    loss = L.binary_cross_entropy(x, S.leaf([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_array_equal(loss.cpu().array, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(x.grad.cpu().array).all()  # (x - t) / max(x (1 - x), 1e-12)
    np.testing.assert_allclose(x.grad.cpu().array, [-1e12, 1e12, 0.0, 0.0])


def test_binary_errors():
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        L.binary_cross_entropy(tge.rand(3), tge.rand(3, 1))
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\)"):
        L.binary_cross_entropy_with_logits(tge.rand(3), tge.rand(3, 1))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        L.binary_cross_entropy(tge.tensor([1.5]), tge.tensor([1.0]))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        L.binary_cross_entropy(tge.tensor([0.5]), tge.tensor([2.0]))
    with pytest.raises(RuntimeError, match="float64.*float32"):
        L.binary_cross_entropy(tge.tensor([0.5]), tge.tensor([1.0], dtype=tge.float64))
    with pytest.raises(TypeError, match="floating-point target"):
        L.binary_cross_entropy_with_logits(tge.tensor([0.5]), tge.tensor([1]))
    with pytest.raises(RuntimeError, match="'weight'"):
        L.binary_cross_entropy(tge.rand(3), tge.rand(3), weight=tge.rand(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="'pos_weight'"):
        L.binary_cross_entropy_with_logits(tge.rand(3), tge.rand(3), pos_weight=tge.rand(3, requires_grad=True))
    with pytest.raises(ValueError, match="reduction"):
        L.binary_cross_entropy_with_logits(tge.rand(3), tge.rand(3), reduction="max")


# ---------------------------------------------------------------- classification
def _log_softmax_ref(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _nll_ref(logp, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """One position at a time: PyTorch's definition, written as plainly as possible."""
    if logp.ndim == 1:
        out = _nll_ref(logp[None], np.asarray(target)[None], weight, ignore_index, reduction, label_smoothing)
        return out[0] if reduction == "none" else out
    C = logp.shape[1]
    w = np.ones(C) if weight is None else weight
    flat_logp = np.moveaxis(logp, 1, -1).reshape(-1, C)
    flat_t = target.reshape(-1)
    losses, total = np.zeros(len(flat_t)), 0.0
    for i, c in enumerate(flat_t):
        if c == ignore_index:
            continue
        total += w[c]
        nll = -w[c] * flat_logp[i, c]
        smooth = -(w * flat_logp[i]).sum()
        losses[i] = (1 - label_smoothing) * nll + label_smoothing / C * smooth
    if reduction == "none":
        return losses.reshape(target.shape)
    return losses.sum() if reduction == "sum" else losses.sum() / total


@st.composite
def _classification_case(draw, allow_unbatched=True):
    """logits (N, C, d...) or (C,), class-index targets with some ignored, optional weight."""
    C = draw(st.integers(1, 4))
    if allow_unbatched and draw(st.booleans()) and draw(st.booleans()):
        shape, target_shape = (C,), ()
    else:
        N = draw(st.integers(1, 3))
        spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        shape, target_shape = (N, C) + spatial, (N,) + spatial
    x = draw(S.arrays(shape, low=-4, high=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = rng.integers(0, C, size=target_shape)
    ignore = draw(st.sampled_from([-100, 0, 1])) if C > 1 else -100  # C = 1, ignore 0: nothing left
    if t.ndim:
        ignored = rng.random(target_shape) < 0.3
        t = np.where(ignored, ignore, t)
        t.reshape(-1)[0] = rng.integers(0, C) if ignore < 0 else (ignore + 1) % C  # one target kept
    elif ignore >= 0:
        t = np.asarray((ignore + 1) % C)  # keep the single target (the mean needs one)
    w = rng.uniform(0.5, 2.0, size=C) if draw(st.booleans()) else None
    return x, t, w, ignore


@given(case=_classification_case(), reduction=REDUCTIONS)
def test_nll_loss_forward_and_gradcheck(case, reduction):
    x, t, w, ignore = case
    wt = None if w is None else tge.tensor(w)
    tt = tge.tensor(t)
    out = L.nll_loss(S.leaf(S.noncontiguous(x)), tt, wt, ignore, reduction)
    np.testing.assert_allclose(out.cpu().array, _nll_ref(x, t, w, ignore, reduction), rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda a: L.nll_loss(a, tt, wt, ignore, reduction), (S.leaf(S.noncontiguous(x)),))


@given(case=_classification_case(), reduction=REDUCTIONS, label_smoothing=st.sampled_from([0.0, 0.25]))
def test_cross_entropy_class_indices_forward_and_gradcheck(case, reduction, label_smoothing):
    x, t, w, ignore = case
    wt, tt = (None if w is None else tge.tensor(w)), tge.tensor(t)

    def op(a):
        return L.cross_entropy(a, tt, wt, ignore, reduction, label_smoothing)

    class_dim = 0 if x.ndim == 1 else 1
    expected = _nll_ref(_log_softmax_ref(x, class_dim), t, w, ignore, reduction, label_smoothing)
    np.testing.assert_allclose(op(S.leaf(S.noncontiguous(x))).cpu().array, expected, rtol=1e-12, atol=1e-14)
    assert gradcheck(op, (S.leaf(S.noncontiguous(x)),))


@given(case=_classification_case(), reduction=REDUCTIONS, label_smoothing=st.sampled_from([0.0, 0.25]))
def test_cross_entropy_probability_targets_forward_and_gradcheck(case, reduction, label_smoothing):
    x, _, w, _ = case
    class_dim = 0 if x.ndim == 1 else 1
    rng = np.random.default_rng(x.size)
    p = np.exp(_log_softmax_ref(rng.standard_normal(x.shape), class_dim))
    wt = None if w is None else tge.tensor(w)

    def op(a, b):
        return L.cross_entropy(a, b, wt, reduction=reduction, label_smoothing=label_smoothing)

    C = x.shape[class_dim]
    smoothed = p * (1 - label_smoothing) + label_smoothing / C
    w_along = 1.0 if w is None else w.reshape((C,) + (1,) * (x.ndim - class_dim - 1))
    per_position = -(w_along * smoothed * _log_softmax_ref(x, class_dim)).sum(axis=class_dim)
    np.testing.assert_allclose(op(S.leaf(x), S.leaf(p)).cpu().array, _reduce(per_position, reduction), rtol=1e-12)
    assert gradcheck(op, (S.leaf(S.noncontiguous(x)), S.leaf(p)))


def test_cross_entropy_gradient_is_softmax_minus_one_hot(rng):
    x = rng.standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    xt = S.leaf(x)
    L.cross_entropy(xt, tge.tensor(t), reduction="sum").backward()
    np.testing.assert_allclose(xt.grad.cpu().array, np.exp(_log_softmax_ref(x, 1)) - np.eye(3)[t], rtol=1e-12, atol=1e-15)


def test_cross_entropy_weight_gradient_for_probability_targets(rng):
    x, p, w = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), size=3), rng.uniform(0.5, 2, 4)
    assert gradcheck(lambda wt: L.cross_entropy(S.leaf(x, False), S.leaf(p, False), wt, reduction="none"), (S.leaf(w),))


def test_cross_entropy_is_stable_at_large_logits():
    x = S.leaf([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    loss = L.cross_entropy(x, tge.tensor([1, 2]), reduction="none")
    np.testing.assert_allclose(loss.cpu().array, [2000.0, 1 + math.log1p(math.exp(-1))], rtol=1e-12)
    loss.sum().backward()
    assert np.isfinite(x.grad.cpu().array).all()


def test_every_target_ignored_gives_nan_mean_and_zero_sum():
    x, t = S.leaf(np.zeros((2, 3))), tge.tensor([-100, -100])
    with np.errstate(invalid="ignore"):
        assert math.isnan(L.nll_loss(x, t).item())
        assert math.isnan(L.cross_entropy(x, t, label_smoothing=0.1).item())
    assert L.nll_loss(x, t, reduction="sum").item() == 0.0


def test_uint8_targets_are_accepted():
    x = tge.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=tge.float64)
    np.testing.assert_allclose(L.nll_loss(x, tge.tensor([1, 0], dtype=tge.uint8)).item(), -(0.2 + 0.3) / 2)


def test_classification_errors_name_shapes_values_and_classes():
    x = tge.randn(3, 4)
    with pytest.raises(IndexError, match=r"target 5 is out of bounds.*\[0, 3\].*C = 4"):
        L.nll_loss(x, tge.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        L.cross_entropy(x, tge.tensor([0, -1, 1]))
    with pytest.raises(RuntimeError, match="int64.*got int32.*target shape \\(3,\\), input shape \\(3, 4\\)"):
        L.nll_loss(x, tge.tensor([0, 1, 2], dtype=tge.int32))
    with pytest.raises(RuntimeError, match="got float32"):
        L.cross_entropy(x, tge.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"expected target of shape \(2, 4\) for input of shape \(2, 3, 4\).*\(2, 3\)"):
        L.cross_entropy(tge.randn(2, 3, 4), tge.tensor([[0, 1, 2], [0, 1, 1]]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        L.nll_loss(x, tge.tensor([0, 1]))
    with pytest.raises(ValueError, match="0-d input"):
        L.cross_entropy(tge.tensor(1.0), tge.tensor(0))
    with pytest.raises(RuntimeError, match=r"all 4 classes.*\(3,\)"):
        L.nll_loss(x, tge.tensor([0, 1, 2]), weight=tge.ones(3))
    with pytest.raises(RuntimeError, match="'weight'"):
        L.nll_loss(x, tge.tensor([0, 1, 2]), weight=tge.ones(4, requires_grad=True))
    with pytest.raises(RuntimeError, match="must be floating point, but got dtype int64"):
        L.cross_entropy(x, tge.ones(3, 4, dtype=tge.int64))
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        L.cross_entropy(x, tge.rand(3, 4), ignore_index=1)
    with pytest.raises(ValueError, match="label_smoothing"):
        L.cross_entropy(x, tge.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction"):
        L.nll_loss(x, tge.tensor([0, 1, 2]), reduction="batchmean")


def test_nll_loss_gradient_is_exactly_zero_off_the_targets():
    """dL/dx[i, c] = -w[t_i] * g at c == t_i, else +0.0, even for an inf g; an ignored
    position gets 0 in every class (its one-hot matches nothing)."""
    x = tge.tensor(np.log(np.full((4, 3), 1 / 3)), requires_grad=True)
    t = np.array([2, -100, 0, 1])
    w = np.array([2.0, 0.5, 1.0])
    tge.nn.functional.nll_loss(x, tge.tensor(t), weight=tge.tensor(w), reduction="sum").backward(tge.tensor(np.inf))
    expected = np.zeros((4, 3))
    for i, c in enumerate(t):
        if c != -100:
            expected[i, c] = -w[c] * np.inf
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    np.testing.assert_array_equal(np.signbit(x.grad.numpy()), np.signbit(expected))
