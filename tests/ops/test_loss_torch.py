"""Losses against torch.nn.functional, forward and backward (input, and target where
PyTorch differentiates it), every reduction (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu.ops import loss as L  # noqa: E402

REDUCTIONS = ["none", "mean", "sum"]


def _compare(ours, theirs, arrays, grad_of, rtol=1e-10, atol=1e-12, seed=0):
    """Run both on the same arrays; compare the outputs and the gradients of the
    arrays whose index is in ``grad_of`` (float arrays), with a random upstream gradient."""
    mine = [tge.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    theirs_in = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    out, tout = ours(*mine), theirs(*theirs_in)
    assert out.shape == tuple(tout.shape)
    assert str(out.dtype) == str(tout.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.cpu().array, tout.detach().cpu().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).standard_normal(tout.shape).astype(arrays[0].dtype)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    for i in grad_of:
        np.testing.assert_allclose(mine[i].grad.cpu().array, theirs_in[i].grad.cpu().numpy(), rtol=rtol, atol=atol)


RNG = np.random.default_rng(11)
X, T = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
T[0, :2] = X[0, :2]  # d = 0: l1's kink, deliberately
T[1, 0] = X[1, 0] - 0.5  # |d| = beta = 0.5: smooth_l1's seam


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                          ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0})])
def test_regression_losses(name, kwargs, reduction):
    _compare(lambda a, b: getattr(L, name)(a, b, reduction=reduction, **kwargs),
             lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs), [X, T], grad_of=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_broadcast_and_float32(reduction):
    x, t = RNG.standard_normal((3, 1)).astype(np.float32), RNG.standard_normal((2, 1, 4)).astype(np.float32)
    with pytest.warns(UserWarning):
        _compare(lambda a, b: L.mse_loss(a, b, reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction),
                 [x, t], grad_of=(0, 1), rtol=1e-5, atol=1e-6)


P = RNG.uniform(0.02, 0.98, (3, 4))
TP = RNG.uniform(0, 1, (3, 4))
W4 = RNG.uniform(0.5, 2, 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    w = W4 if weighted else None
    _compare(lambda a, b: L.binary_cross_entropy(a, b, None if w is None else tge.tensor(w), reduction),
             lambda a, b: TF.binary_cross_entropy(a, b, None if w is None else torch.tensor(w), reduction=reduction),
             [P, TP], grad_of=(0, 1))


def test_binary_cross_entropy_at_0_and_1():
    _compare(lambda a, b: L.binary_cross_entropy(a, b, reduction="none"),
             lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
             [np.array([0.0, 1.0, 0.0, 1.0, 1e-30]), np.array([1.0, 0.0, 0.0, 1.0, 0.5])], grad_of=(0,),
             rtol=1e-8)  # PyTorch's guard 1e-12 is a float32 constant (9.99999996e-13): a 4e-9 difference


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted, pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_binary_cross_entropy_with_logits(reduction, weighted, pos_weighted):
    w = tge.tensor(W4) if weighted else None
    p = tge.tensor(W4[::-1].copy()) if pos_weighted else None
    tw = torch.tensor(W4) if weighted else None
    tp = torch.tensor(W4[::-1].copy()) if pos_weighted else None
    _compare(lambda a, b: L.binary_cross_entropy_with_logits(a, b, w, reduction, pos_weight=p),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=tp),
             [X * 3, TP], grad_of=(0, 1))


def test_binary_cross_entropy_with_logits_at_plus_minus_800():
    x = np.array([800.0, -800.0, 800.0, -800.0, 3.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.25])
    _compare(lambda a, b: L.binary_cross_entropy_with_logits(a, b, reduction="none"),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"), [x, t], grad_of=(0, 1))
    pw = np.array([2.0])
    _compare(lambda a, b: L.binary_cross_entropy_with_logits(a, b, pos_weight=tge.tensor(pw)),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(pw)), [x, t], grad_of=(0,))


# ---------------------------------------------------------------- classification
def _targets(shape, C, ignore_index=-100, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, C, size=shape)
    if t.ndim:
        t.reshape(-1)[1::3] = ignore_index
    return t


CLASS_SHAPES = [((5, 4), (5,)), ((2, 3, 4), (2, 4)), ((2, 4, 3, 2), (2, 3, 2)), ((4,), ())]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("shape, target_shape", CLASS_SHAPES, ids=[str(s) for s, _ in CLASS_SHAPES])
def test_nll_loss(shape, target_shape, ignore_index, weighted, reduction):
    C = shape[0] if len(shape) == 1 else shape[1]
    x = RNG.standard_normal(shape)
    t = _targets(target_shape, C, ignore_index)
    w = RNG.uniform(0.5, 2, C) if weighted else None
    _compare(lambda a, b: L.nll_loss(a, b, None if w is None else tge.tensor(w), ignore_index, reduction),
             lambda a, b: TF.nll_loss(a, b, None if w is None else torch.tensor(w), ignore_index=ignore_index,
                                      reduction=reduction), [x, t], grad_of=(0,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape, target_shape", CLASS_SHAPES, ids=[str(s) for s, _ in CLASS_SHAPES])
def test_cross_entropy_class_indices(shape, target_shape, weighted, label_smoothing, reduction):
    C = shape[0] if len(shape) == 1 else shape[1]
    x = RNG.standard_normal(shape) * 3
    t = _targets(target_shape, C, ignore_index=2)
    w = RNG.uniform(0.5, 2, C) if weighted else None
    _compare(lambda a, b: L.cross_entropy(a, b, None if w is None else tge.tensor(w), 2, reduction, label_smoothing),
             lambda a, b: TF.cross_entropy(a, b, None if w is None else torch.tensor(w), ignore_index=2,
                                           reduction=reduction, label_smoothing=label_smoothing), [x, t], grad_of=(0,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [s for s, _ in CLASS_SHAPES], ids=[str(s) for s, _ in CLASS_SHAPES])
def test_cross_entropy_probability_targets(shape, weighted, label_smoothing, reduction):
    class_dim = 0 if len(shape) == 1 else 1
    C = shape[class_dim]
    x = RNG.standard_normal(shape)
    p = np.exp(RNG.standard_normal(shape))
    p /= p.sum(axis=class_dim, keepdims=True)
    w = RNG.uniform(0.5, 2, C) if weighted else None
    mine_w = None if w is None else tge.tensor(w, requires_grad=True)
    their_w = None if w is None else torch.tensor(w, requires_grad=True)
    _compare(lambda a, b: L.cross_entropy(a, b, mine_w, reduction=reduction, label_smoothing=label_smoothing),
             lambda a, b: TF.cross_entropy(a, b, their_w, reduction=reduction, label_smoothing=label_smoothing),
             [x, p], grad_of=(0, 1))
    if w is not None:  # PyTorch differentiates the class weights here; so do we
        np.testing.assert_allclose(mine_w.grad.cpu().array, their_w.grad.cpu().numpy(), rtol=1e-10, atol=1e-12)


def test_cross_entropy_float32_and_large_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=np.float32)
    t = np.array([1, 2])
    _compare(lambda a, b: L.cross_entropy(a, b, label_smoothing=0.1), lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1),
             [x, t], grad_of=(0,), rtol=1e-6, atol=1e-6)


def test_all_targets_ignored_matches_pytorch_nan():
    x, t = RNG.standard_normal((2, 3)), np.array([-100, -100])
    with np.errstate(invalid="ignore"):
        ours = L.cross_entropy(tge.tensor(x), tge.tensor(t), label_smoothing=0.2).item()
    assert np.isnan(ours) and np.isnan(TF.cross_entropy(torch.tensor(x), torch.tensor(t), label_smoothing=0.2).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("upstream", [np.inf, np.nan, -3.0])
def test_nll_loss_gradient_is_exactly_zero_off_the_targets_as_pytorch(reduction, upstream):
    # ignored positions and non-target classes get +0.0 whatever arrives; a class weight of
    # 0 still multiplies (-0 * inf = NaN at that target), as PyTorch's scatter of -w * g does
    x0 = np.log(np.random.default_rng(1).dirichlet(np.ones(4), size=5))
    t0 = np.array([1, -100, 3, 0, 2])
    w0 = np.array([1.0, 0.5, 0.0, 2.0])
    grads = []
    for lib, F in ((tge, tge.nn.functional), (torch, TF)):
        x = lib.tensor(x0, requires_grad=True)
        out = F.nll_loss(x, lib.tensor(t0), weight=lib.tensor(w0), reduction=reduction)
        out.backward(lib.tensor(np.full(tuple(out.shape), upstream)))
        grads.append(x.grad.cpu().numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    finite = ~np.isnan(grads[1])  # a NaN's sign bit carries nothing
    np.testing.assert_array_equal(np.signbit(grads[0][finite]), np.signbit(grads[1][finite]))
