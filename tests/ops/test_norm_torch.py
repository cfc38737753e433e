"""Normalisation ops against torch.nn.functional: forward, backward (input, weight,
bias) and running statistics, in float64 (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu.ops import norm  # noqa: E402


def _pair(a, requires_grad=True):
    if a is None:
        return None, None
    return tge.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _compare(ours, theirs, x_shape, param_shape, affine, seed=0, bias=True):
    """Run ours(x, w, b) and theirs(x, w, b) on the same data; compare outputs and all
    gradients for the same random upstream gradient."""
    rng = np.random.default_rng(seed)
    x, tx = _pair(rng.standard_normal(x_shape))
    w, tw = _pair(rng.uniform(0.5, 2, param_shape) if affine else None)
    b, tb = _pair(rng.standard_normal(param_shape) if affine and bias else None)
    out, tout = ours(x, w, b), theirs(tx, tw, tb)
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().cpu().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tout.shape)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    for ours_t, theirs_t in ((x, tx), (w, tw), (b, tb)):
        if ours_t is not None:
            np.testing.assert_allclose(ours_t.grad.cpu().numpy(), theirs_t.grad.cpu().numpy(), rtol=1e-9, atol=1e-11)


SHAPES = [(4, 3), (5, 2, 3), (2, 3, 2, 4), (1, 2, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(shape, training, affine):
    c = shape[1]
    rng = np.random.default_rng(1)
    rm0, rv0 = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    rm, rv = tge.tensor(rm0.copy()), tge.tensor(rv0.copy())
    trm, trv = torch.tensor(rm0.copy()), torch.tensor(rv0.copy())
    _compare(
        lambda x, w, b: norm.batch_norm(x, rm, rv, w, b, training=training, momentum=0.2, eps=1e-3),
        lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, training=training, momentum=0.2, eps=1e-3),
        shape, (c,), affine,
    )
    np.testing.assert_allclose(rm.cpu().numpy(), trm.cpu().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rv.cpu().numpy(), trv.cpu().numpy(), rtol=1e-12, atol=1e-14)


def test_batch_norm_without_running_statistics():
    _compare(
        lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
        (3, 2, 4), (2,), True,
    )


@pytest.mark.parametrize("momentum", [0.1, 0.01])
def test_batch_norm_running_statistics_over_steps_then_eval(momentum):
    rng = np.random.default_rng(4)
    rm, rv = tge.zeros(3, dtype=tge.float64), tge.ones(3, dtype=tge.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for step in range(1, 6):
        a = rng.normal(step, step, (4, 3, 2))
        factor = 1.0 / step if momentum == 0.01 else momentum  # also the cumulative-average factor
        norm.batch_norm(tge.tensor(a), rm, rv, training=True, momentum=factor)
        TF.batch_norm(torch.tensor(a), trm, trv, training=True, momentum=factor)
        np.testing.assert_allclose(rm.cpu().numpy(), trm.cpu().numpy(), rtol=1e-12)
        np.testing.assert_allclose(rv.cpu().numpy(), trv.cpu().numpy(), rtol=1e-12)
    a = rng.standard_normal((2, 3, 2))
    np.testing.assert_allclose(
        norm.batch_norm(tge.tensor(a), rm, rv).cpu().numpy(), TF.batch_norm(torch.tensor(a), trm, trv).cpu().numpy(), rtol=1e-12
    )


@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 1, 3), (1, 3)), ((3,), (3,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, normalized, affine):
    _compare(
        lambda x, w, b: norm.layer_norm(x, normalized, w, b, eps=1e-4),
        lambda x, w, b: TF.layer_norm(x, normalized, w, b, eps=1e-4),
        shape, normalized, affine,
    )


@pytest.mark.parametrize("shape, groups", [((2, 6, 3), 3), ((2, 4, 2, 2), 1), ((3, 4, 2, 3), 4), ((2, 4), 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(shape, groups, affine):
    _compare(
        lambda x, w, b: norm.group_norm(x, groups, w, b),
        lambda x, w, b: TF.group_norm(x, groups, w, b),
        shape, (shape[1],), affine,
    )


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 2, 2, 3), (1, 2, 5)])
@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm(shape, use_input_stats, affine):
    c = shape[1]
    rng = np.random.default_rng(2)
    rm0, rv0 = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    rm, rv = tge.tensor(rm0.copy()), tge.tensor(rv0.copy())
    trm, trv = torch.tensor(rm0.copy()), torch.tensor(rv0.copy())
    _compare(
        lambda x, w, b: norm.instance_norm(x, rm, rv, w, b, use_input_stats=use_input_stats, momentum=0.3),
        lambda x, w, b: TF.instance_norm(x, trm, trv, w, b, use_input_stats=use_input_stats, momentum=0.3),
        shape, (c,), affine,
    )
    np.testing.assert_allclose(rm.cpu().numpy(), trm.cpu().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rv.cpu().numpy(), trv.cpu().numpy(), rtol=1e-12, atol=1e-14)


def test_instance_norm_without_running_statistics():
    _compare(
        lambda x, w, b: norm.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
        (2, 3, 2, 2), (3,), True,
    )


@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 1), (1,))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("eps", [None, 1e-5])
def test_rms_norm(shape, normalized, affine, eps):
    _compare(
        lambda x, w, b: norm.rms_norm(x, normalized, w, eps=eps),
        lambda x, w, b: TF.rms_norm(x, normalized, w, eps=eps),
        shape, normalized, affine, bias=False,
    )


def test_float32_outputs_match():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((4, 3, 2)).astype(np.float32)
    x, tx = tge.tensor(a), torch.tensor(a)
    pairs = [
        (norm.batch_norm(x, None, None, training=True), TF.batch_norm(tx, None, None, training=True)),
        (norm.layer_norm(x, (3, 2)), TF.layer_norm(tx, (3, 2))),
        (norm.group_norm(x, 3), TF.group_norm(tx, 3)),
        (norm.instance_norm(x), TF.instance_norm(tx)),
        (norm.rms_norm(x, (2,)), TF.rms_norm(tx, (2,))),
    ]
    for ours, theirs in pairs:
        assert ours.dtype == tge.float32
        np.testing.assert_allclose(ours.cpu().numpy(), theirs.cpu().numpy(), rtol=1e-5, atol=1e-5)
