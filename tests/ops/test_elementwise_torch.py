"""Elementwise ops and matmul against PyTorch, forward and backward (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_edu as tge  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402

CASES = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, (2, 3), (3,)),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, (2, 1), (1, 4)),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, (3, 1, 2), (4, 1)),
    ("div", lambda a, b: a / (b.abs() + 0.5), lambda a, b: a / (b.abs() + 0.5), (2, 3), (2, 3)),
    ("pow", lambda a, b: (a.abs() + 0.1) ** b, lambda a, b: (a.abs() + 0.1) ** b, (2, 3), (3,)),
    ("maximum", tge.maximum, torch.maximum, (2, 3), (3,)),
    ("minimum", tge.minimum, torch.minimum, (2, 3), (2, 1)),
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, (2, 1, 3, 4), (5, 4, 2)),
    ("matvec", lambda a, b: a @ b, lambda a, b: a @ b, (3, 4), (4,)),
    ("linear", lambda a, b: F.linear(a, b), lambda a, b: torch.nn.functional.linear(a, b), (5, 4), (3, 4)),
    ("exp_log", lambda a, b: (a.exp() + b.abs()).log(), lambda a, b: (a.exp() + b.abs()).log(), (3,), (3,)),
    ("trig", lambda a, b: a.sin() * b.cos() + a.atan(), lambda a, b: a.sin() * b.cos() + a.atan(), (2, 2), (2, 2)),
    ("sqrt_rsqrt", lambda a, b: (a.abs() + 1).sqrt() + (b.abs() + 1).rsqrt(),
     lambda a, b: (a.abs() + 1).sqrt() + (b.abs() + 1).rsqrt(), (4,), (4,)),
    ("tanh_sigmoid", lambda a, b: a.tanh() * b.sigmoid(), lambda a, b: a.tanh() * b.sigmoid(), (3, 2), (2,)),
    ("clamp_where", lambda a, b: tge.where(a > 0, a.clamp(-0.5, 0.5), b), lambda a, b: torch.where(a > 0, a.clamp(-0.5, 0.5), b), (3, 3), (3,)),
    ("remainder", lambda a, b: a % (b.abs() + 0.5), lambda a, b: a % (b.abs() + 0.5), (2, 3), (3,)),
    ("remainder_number", lambda a, b: (a * 3) % 1.0 * b, lambda a, b: (a * 3) % 1.0 * b, (2, 3), (2, 3)),
    ("clamp_tensor", lambda a, b: tge.clamp(a, min=b, max=b + 0.5), lambda a, b: torch.clamp(a, min=b, max=b + 0.5), (4, 3), (3,)),
    ("clamp_tensor_crossed", lambda a, b: tge.clamp(a, b, b - 1), lambda a, b: torch.clamp(a, b, b - 1), (2, 3), (2, 3)),
    ("clamp_tensor_max", lambda a, b: a.clamp(max=b), lambda a, b: a.clamp(max=b), (2, 3), (2, 1)),
]


@pytest.mark.parametrize("name, ours, theirs, shape_a, shape_b", CASES, ids=[c[0] for c in CASES])
def test_against_pytorch(name, ours, theirs, shape_a, shape_b):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    x, y = tge.tensor(a, requires_grad=True), tge.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, tout = ours(x, y), theirs(tx, ty)
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().cpu().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tout.shape)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.cpu().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.cpu().numpy(), ty.grad.cpu().numpy(), rtol=1e-10, atol=1e-12)


def test_maximum_tie_rule_matches_pytorch():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 3.0])
    x, y = tge.tensor(a, requires_grad=True), tge.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tge.maximum(x, y).sum().backward()
    torch.maximum(tx, ty).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), tx.grad.cpu().numpy())
    np.testing.assert_array_equal(y.grad.cpu().numpy(), ty.grad.cpu().numpy())


def test_type_promotion_matches_pytorch():
    pairs = [
        (tge.tensor([1, 2]) * 1.5, torch.tensor([1, 2]) * 1.5),
        (tge.tensor([1, 2]) / 2, torch.tensor([1, 2]) / 2),
        (tge.ones(2) + tge.ones(2, dtype=tge.float64), torch.ones(2) + torch.ones(2, dtype=torch.float64)),
        (tge.tensor([1, 2]) + 1, torch.tensor([1, 2]) + 1),
        (tge.tensor([True]) + 1, torch.tensor([True]) + 1),
    ]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_gradient_edge_cases_match_pytorch():
    def run(lib):
        x = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
        lo = lib.tensor([0.0, 1.5, 2.0], requires_grad=True)
        hi = lib.tensor([1.0, 1.0, 2.0], requires_grad=True)
        ((x**0) * 3 + lib.clamp(x, lo, hi) * lib.tensor([1.0, 2.0, 4.0])).sum().backward()
        return x.grad.cpu().numpy(), lo.grad.cpu().numpy(), hi.grad.cpu().numpy()

    for ours, theirs in zip(run(tge), run(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_clamp_gradients_of_special_upstream_values_match_pytorch():
    # an inf, NaN or negative gradient arriving where clamp's gradient is 0 gives +0.0 there
    g = [np.inf, np.nan, -2.0, -np.inf, np.nan]

    def run(lib, tensor_bounds):
        x = lib.tensor([-2.0, 3.0, 5.0, 0.5, 0.25], requires_grad=True)
        lo = lib.tensor([-1.0] * 5, requires_grad=True) if tensor_bounds else -1.0
        hi = lib.tensor([1.0] * 5, requires_grad=True) if tensor_bounds else 1.0
        lib.clamp(x, lo, hi).backward(lib.tensor(g))
        leaves = (x, lo, hi) if tensor_bounds else (x,)
        return [t.grad.cpu().numpy() for t in leaves]

    for tensor_bounds in (False, True):
        for ours, theirs in zip(run(tge, tensor_bounds), run(torch, tensor_bounds)):
            np.testing.assert_array_equal(ours, theirs)
            np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


@pytest.mark.parametrize("name", ["maximum", "minimum", "max_dim", "min_dim"])
def test_selection_gradients_of_special_upstream_values_match_pytorch(name):
    # the input that loses (or is not selected) gets +0.0 even where g is inf or NaN
    x0 = np.array([[-1.5, 0.0, 2.0, -0.0], [3.0, -2.0, 0.5, 1.0]])
    y0 = np.array([[0.5, 0.0, 2.0, -1.0], [1.0, 4.0, 0.5, -3.0]])
    g0 = np.array([[np.inf, np.nan, -2.0, -np.inf], [np.nan, np.inf, -1.0, 0.0]])

    def run(lib):
        x, y = lib.tensor(x0, requires_grad=True), lib.tensor(y0, requires_grad=True)
        if name in ("maximum", "minimum"):
            getattr(lib, name)(x, y).backward(lib.tensor(g0))
            return x.grad.cpu().numpy(), y.grad.cpu().numpy()
        values = getattr(x, name[:3])(dim=1, keepdim=True)[0]
        values.backward(lib.tensor(g0[:, 1:2]))  # NaN for row 0, inf for row 1
        return (x.grad.cpu().numpy(),)

    for ours, theirs in zip(run(tge), run(torch)):
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


def test_bitwise_and_remainder_dtypes_match_pytorch():
    a, b = [6, -3, 5, 0], [3, 5, -2, 7]
    for op in ("__and__", "__or__", "__xor__"):
        for lhs, rhs in ((a, b), ([True, False, True, False], [True, True, False, False])):
            ours = getattr(tge.tensor(lhs), op)(tge.tensor(rhs))
            theirs = getattr(torch.tensor(lhs), op)(torch.tensor(rhs))
            assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert getattr(tge.tensor(a), op)(3).tolist() == getattr(torch.tensor(a), op)(3).tolist()
    assert (~tge.tensor(a)).tolist() == (~torch.tensor(a)).tolist()
    assert (~tge.tensor([True, False])).tolist() == (~torch.tensor([True, False])).tolist()
    assert (tge.tensor(a) % 4).tolist() == (torch.tensor(a) % 4).tolist()
    assert str((tge.tensor([1, 2]) % 1.5).dtype) == str((torch.tensor([1, 2]) % 1.5).dtype).replace("torch.", "")
    with pytest.raises(TypeError, match="bitwise_and: only integer and bool tensors"):
        tge.ones(2) & tge.ones(2)


# Which input a NaN's gradient goes to is each PyTorch formula's comparison; these follow them.
NAN_X = [float("nan"), float("inf"), float("-inf"), -1.0, 0.0, 2.0, -0.0, 0.5, 3.0]
NAN_LO = [1.0, float("nan"), 0.0, -1.0, 0.0, float("nan"), 0.0, 1.0, 1.0]
NAN_HI = [2.0, 1.0, float("nan"), -1.0, -1.0, 5.0, 0.0, 0.0, 2.0]  # lo > hi in some places

NAN_CASES = [
    ("maximum", lambda T, x, lo, hi: T.maximum(x, lo)),
    ("minimum", lambda T, x, lo, hi: T.minimum(x, lo)),
    ("max_all", lambda T, x, lo, hi: T.stack([x.max(), x[3:].max(), (x * 0 + 1).max()])),
    ("min_all", lambda T, x, lo, hi: T.stack([x.min(), x[3:].min(), (x * 0 + 1).min()])),
    ("clamp_min_tensor", lambda T, x, lo, hi: T.clamp(x, min=lo)),
    ("clamp_max_tensor", lambda T, x, lo, hi: T.clamp(x, max=hi)),
    ("clamp_tensors", lambda T, x, lo, hi: T.clamp(x, min=lo, max=hi)),
]


@pytest.mark.parametrize("name, f", NAN_CASES, ids=[c[0] for c in NAN_CASES])
def test_nan_inf_and_ties_get_pytorchs_gradients(name, f):
    ours = [tge.tensor(v, dtype=tge.float64, requires_grad=True) for v in (NAN_X, NAN_LO, NAN_HI)]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (NAN_X, NAN_LO, NAN_HI)]
    out, tout = f(tge, *ours), f(torch, *theirs)
    np.testing.assert_array_equal(out.array, tout.detach().numpy())
    weights = np.arange(1.0, out.numel() + 1).reshape(out.shape)
    (out * tge.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    for mine, torch_leaf, what in zip(ours, theirs, ("x", "lo", "hi")):  # a leaf left out: no gradient, or zeros
        expected = np.zeros(len(NAN_X)) if torch_leaf.grad is None else torch_leaf.grad.numpy()
        got = np.zeros(len(NAN_X)) if mine.grad is None else mine.grad.array
        np.testing.assert_array_equal(got, expected, err_msg=f"{name}: d/d{what}")
