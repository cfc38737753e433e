"""Activations, softmax and log_softmax against torch.nn.functional, forward and backward
(skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu.ops import activation as act  # noqa: E402
from tinygrad_edu.ops import softmax as sm  # noqa: E402

# (id, ours, theirs): the same call with the same arguments
CASES = [
    ("relu", act.relu, TF.relu),
    ("leaky_relu", lambda x: act.leaky_relu(x, 0.3), lambda x: TF.leaky_relu(x, 0.3)),
    ("leaky_relu_default", act.leaky_relu, TF.leaky_relu),
    ("elu", lambda x: act.elu(x, alpha=0.7), lambda x: TF.elu(x, alpha=0.7)),
    ("selu", act.selu, TF.selu),
    ("gelu", act.gelu, TF.gelu),
    ("gelu_tanh", lambda x: act.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", act.silu, TF.silu),
    ("softplus", act.softplus, TF.softplus),
    ("softplus_beta", lambda x: act.softplus(x, beta=3.0, threshold=5.0), lambda x: TF.softplus(x, beta=3.0, threshold=5.0)),
    ("hardtanh", lambda x: act.hardtanh(x, -0.5, 1.5), lambda x: TF.hardtanh(x, -0.5, 1.5)),
    ("softsign", act.softsign, TF.softsign),
    ("softmax", lambda x: sm.softmax(x, 1), lambda x: TF.softmax(x, 1)),
    ("softmax_first_dim", lambda x: sm.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    ("log_softmax", lambda x: sm.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
    ("log_softmax_mid_dim", lambda x: sm.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
]


def _compare(ours, theirs, a, rtol=1e-10, atol=1e-12, seed=0):
    x, tx = tge.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    assert str(out.dtype) == str(tout.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.cpu().array, tout.detach().cpu().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).standard_normal(tout.shape).astype(a.dtype)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().array, tx.grad.cpu().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_against_pytorch_float64(name, ours, theirs):
    a = np.random.default_rng(3).uniform(-6, 6, size=(3, 4, 5))
    a[0, 0, :4] = [0.0, -0.5, 1.5, 25.0]  # kinks and the softplus threshold, deliberately
    _compare(ours, theirs, a)


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_against_pytorch_float32(name, ours, theirs):
    a = np.random.default_rng(4).uniform(-6, 6, size=(2, 7)).astype(np.float32)
    _compare(ours, theirs, a, rtol=1e-5, atol=1e-6)


PIECEWISE = ("relu", "leaky_relu", "leaky_relu_default", "elu", "selu", "hardtanh")


@pytest.mark.parametrize("name, ours, theirs", [c for c in CASES if c[0] in PIECEWISE], ids=PIECEWISE)
def test_nan_inf_and_signed_zeros_against_pytorch(name, ours, theirs):
    # which branch a NaN takes in backward is each kernel's comparison: these follow PyTorch's
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -0.5, 1.5])
    _compare(ours, theirs, a)


@pytest.mark.parametrize("name, ours, theirs", [c for c in CASES if c[0] in PIECEWISE], ids=PIECEWISE)
def test_special_upstream_gradients_against_pytorch(name, ours, theirs):
    # an overflowed gradient (inf, NaN) or a negative one arriving where the op's slope is 0:
    # PyTorch's backward chooses 0 there (relu: +0.0, not inf * 0 = NaN, nor -2 * 0 = -0.0)
    a = np.array([-1.5, -0.5, -2.0, 0.0, -0.0, 0.5, 1.5, 2.5, -3.0, 3.0])
    g = np.array([np.inf, np.nan, -2.0, -np.inf, np.nan, np.inf, np.nan, -2.0, 0.0, -0.0])
    for dtype in (np.float64, np.float32):
        x, tx = tge.tensor(a.astype(dtype), requires_grad=True), torch.tensor(a.astype(dtype), requires_grad=True)
        ours(x).backward(tge.tensor(g.astype(dtype)))
        theirs(tx).backward(torch.tensor(g.astype(dtype)))
        np.testing.assert_array_equal(x.grad.array, tx.grad.numpy())
        np.testing.assert_array_equal(np.signbit(x.grad.array), np.signbit(tx.grad.numpy()), err_msg="signs of zeros")


def test_prelu_nan_inf_against_pytorch():
    a = np.array([[np.nan, np.inf, -np.inf, 0.0, -0.0, -0.5, 1.5]])
    x, tx = tge.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w, tw = tge.tensor([0.25], requires_grad=True), torch.tensor([0.25], dtype=torch.float64, requires_grad=True)
    out, tout = tge.nn.functional.prelu(x, w), TF.prelu(tx, tw)
    np.testing.assert_array_equal(out.array, tout.detach().numpy())
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_array_equal(x.grad.array, tx.grad.numpy())
    np.testing.assert_array_equal(w.grad.array, tw.grad.numpy())


SOFTMAX_CASES = [c for c in CASES if "softmax" in c[0]]


@pytest.mark.parametrize("name, ours, theirs", SOFTMAX_CASES, ids=[c[0] for c in SOFTMAX_CASES])
def test_softmax_at_logits_of_plus_minus_1000(name, ours, theirs):
    a = np.array([[1000.0, -1000.0, 0.0, 999.0], [-1000.0, -1000.0, -999.5, -1000.0]] * 2).reshape(2, 2, 4)
    _compare(ours, theirs, a)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "selu", "silu", "hardtanh"])
def test_inplace_against_pytorch(name):
    a = np.random.default_rng(5).standard_normal((3, 4))
    x, tx = tge.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    h, th = x * 2.0, tx * 2.0
    out, tout = getattr(act, name)(h, inplace=True), getattr(TF, name)(th, inplace=True)
    assert out is h and tout is th
    np.testing.assert_allclose(h.cpu().array, th.detach().cpu().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().array, tx.grad.cpu().numpy(), rtol=1e-12)


def test_softmax_dtype_argument_against_pytorch():
    a = np.random.default_rng(6).standard_normal((2, 3)).astype(np.float32)
    ours = sm.log_softmax(tge.tensor(a), 1, dtype=tge.float64)
    theirs = TF.log_softmax(torch.tensor(a), 1, dtype=torch.float64)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.cpu().array, theirs.cpu().numpy(), rtol=1e-12)


def test_integer_relu_and_hardtanh_against_pytorch():
    a = np.array([-3, -1, 0, 2, 5])
    for ours, theirs in [(act.relu, TF.relu), (act.hardtanh, TF.hardtanh)]:
        out, tout = ours(tge.tensor(a)), theirs(torch.tensor(a))
        assert out.tolist() == tout.tolist() and str(out.dtype) == "int64"
