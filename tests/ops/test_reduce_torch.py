"""Reductions against PyTorch: forward values and input gradients for a random upstream
gradient, including ties, keepdim, negative and tuple dims and 0-d inputs."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4, 5))
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0], [0.5, -4.0, -4.0, 0.5]])
ZERO_D = np.array(1.7)

# (label, input, call) - `call(x)` uses the same method names in both frameworks
CASES = [
    ("sum_dim", A, lambda x: x.sum((0, -1), keepdim=True)),
    ("mean_0d_dim", ZERO_D, lambda x: x.mean(0)),
    ("var_all", A, lambda x: x.var()),
    ("var_dim_unbiased_false", A, lambda x: x.var(1, False)),
    ("var_tuple_keepdim", A, lambda x: x.var((0, 2), keepdim=True)),
    ("var_correction", A, lambda x: x.var(-1, correction=2)),
    ("var_correction_float", A, lambda x: x.var(0, correction=0.5)),
    ("var_unbiased_overload", A, lambda x: x.var(False)),
    ("std_all", A, lambda x: x.std()),
    ("std_dim", A, lambda x: x.std(-2, keepdim=True)),
    ("std_correction0", A, lambda x: x.std((1, 2), correction=0)),
    ("max_all_ties", TIES, lambda x: x.max()),
    ("min_all_ties", TIES, lambda x: x.min()),
    ("max_dim_ties", TIES, lambda x: x.max(1).values),
    ("max_dim_keepdim", A, lambda x: x.max(-1, keepdim=True).values),
    ("min_dim_ties", TIES, lambda x: x.min(0).values),
    ("max_0d", ZERO_D, lambda x: x.max(0).values),
    ("amax_ties", TIES, lambda x: x.amax(1)),
    ("amax_all", TIES, lambda x: x.amax()),
    ("amin_tuple", A, lambda x: x.amin((0, -1), keepdim=True)),
    ("amin_ties", TIES, lambda x: x.amin(-1)),
    ("logsumexp", A, lambda x: x.logsumexp(1)),
    ("logsumexp_tuple_keepdim", A, lambda x: x.logsumexp((0, 2), keepdim=True)),
    ("logsumexp_large", A * 1000, lambda x: x.logsumexp(-1)),
    ("norm", A, lambda x: x.norm()),
    ("norm1_dim", A, lambda x: x.norm(1, 1)),
    ("norm_fro_tuple", A, lambda x: x.norm("fro", (0, 1))),
    ("norm3_keepdim", A, lambda x: x.norm(3, -1, True)),
    ("norm_inf_ties", TIES, lambda x: x.norm(math.inf, 1)),
    ("norm_0d", ZERO_D, lambda x: x.norm()),
]


@pytest.mark.parametrize("label, a, call", CASES, ids=[c[0] for c in CASES])
def test_forward_and_backward_match_torch(label, a, call):
    x = tge.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    out, expected = call(x), call(t)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().cpu().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(out.shape)
    out.backward(tge.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, False)])
def test_indices_match_torch(op, dim, keepdim):
    for a in (A, TIES):
        ours = getattr(tge.tensor(a), op)(dim, keepdim)
        theirs = getattr(torch.tensor(a), op)(dim, keepdim)
        np.testing.assert_array_equal(ours.indices.cpu().numpy(), theirs.indices.cpu().numpy())
        np.testing.assert_array_equal(ours.values.cpu().numpy(), theirs.values.cpu().numpy())


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (-1, True)])
def test_argmax_argmin_match_torch(op, dim, keepdim):
    for a in (A, TIES, ZERO_D):
        if a.ndim == 0 and dim == -1:
            continue
        ours = getattr(tge.tensor(a), op)(dim, keepdim)
        theirs = getattr(torch.tensor(a), op)(dim, keepdim)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.cpu().numpy(), theirs.cpu().numpy())


def test_degenerate_values_match_torch():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, call in [
            (np.array([5.0]), lambda x: x.var()),
            (np.array([1.0, 3.0]), lambda x: x.std(correction=3)),
            (np.array([-np.inf, -np.inf]), lambda x: x.logsumexp(0)),
            (np.array([np.inf, 1.0]), lambda x: x.logsumexp(0)),
            (np.zeros((0, 2)), lambda x: x.logsumexp(0)),
        ]:
            np.testing.assert_array_equal(call(tge.tensor(a)).cpu().numpy(), call(torch.tensor(a)).cpu().numpy())


def test_zero_gradients_at_zero_match_torch():
    for call in (lambda x: x.std(), lambda x: x.norm(), lambda x: x.norm(1), lambda x: x.norm(3)):
        x = tge.zeros(3, dtype=tge.float64, requires_grad=True)
        t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        call(x).backward()
        call(t).backward()
        np.testing.assert_array_equal(x.grad.cpu().numpy(), t.grad.cpu().numpy())
