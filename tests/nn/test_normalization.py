"""Normalisation layers: BatchNorm train vs eval, running statistics after k steps equal
their closed form (exponential and cumulative ``momentum=None``), the compact backward
equals the gradient of the composed computation; LayerNorm, RMSNorm, GroupNorm and
InstanceNorm2d against NumPy and gradcheck."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.nn.normalization import _BatchNorm
from tests.nn.test_layers import module_gradcheck

EPS = 1e-5


def batches(k, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(2.0, 3.0, shape) for _ in range(k)]


def channel_axes(a):
    return (0,) + tuple(range(2, a.ndim))


def ref_batch_norm(a, mean, var, weight, bias, eps=EPS):
    shape = (1, -1) + (1,) * (a.ndim - 2)
    return (a - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)


def randomize_affine(module, seed=5):
    rng = np.random.default_rng(seed)
    with tge.no_grad():
        for p in module.parameters():
            p.array[...] = rng.uniform(0.5, 1.5, p.shape)
    return module


# ----------------------------------------------------------------- batch norm
@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)), (nn.BatchNorm2d, (3, 2, 4, 3))])
def test_batch_norm_training_uses_batch_statistics(cls, shape):
    bn = randomize_affine(cls(shape[1]).double())
    (a,) = batches(1, shape)
    out = bn(tge.tensor(a)).detach().cpu().numpy()
    axes = channel_axes(a)
    expected = ref_batch_norm(a, a.mean(axes), a.var(axes), bn.weight.detach().cpu().numpy(), bn.bias.detach().cpu().numpy())
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    per_channel = out.transpose(1, *axes).reshape(shape[1], -1)
    np.testing.assert_allclose(per_channel.mean(1), bn.bias.detach().cpu().numpy(), atol=1e-10)  # normalised: mean = bias


@pytest.mark.parametrize("momentum", [0.1, 0.3])
@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (4, 3, 2)), (nn.BatchNorm2d, (2, 3, 2, 3))])
def test_running_statistics_after_k_steps_equal_the_closed_form(cls, shape, momentum):
    k = 4
    bn = cls(shape[1], momentum=momentum).double()
    data = batches(k, shape)
    for a in data:
        bn(tge.tensor(a))
    axes = channel_axes(data[0])
    means = [a.mean(axes) for a in data]
    variances = [a.var(axes, ddof=1) for a in data]  # the running variance is unbiased
    # running_k = (1 - m)^k running_0 + sum_i m (1 - m)^(k - i) stat_i,  running_0 = 0 (mean), 1 (var)
    weights = [momentum * (1 - momentum) ** (k - i) for i in range(1, k + 1)]
    expected_mean = sum(w * m for w, m in zip(weights, means))
    expected_var = (1 - momentum) ** k + sum(w * v for w, v in zip(weights, variances))
    np.testing.assert_allclose(bn.running_mean.cpu().numpy(), expected_mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.cpu().numpy(), expected_var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == k and bn.num_batches_tracked.dtype == np.int64
    assert bn.num_batches_tracked.shape == ()


def test_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm2d(3, momentum=None).double()
    data = batches(5, (4, 3, 2, 2), seed=1)
    for a in data:
        bn(tge.tensor(a))
    np.testing.assert_allclose(bn.running_mean.cpu().numpy(), np.mean([a.mean((0, 2, 3)) for a in data], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.cpu().numpy(), np.mean([a.var((0, 2, 3), ddof=1) for a in data], axis=0),
                               rtol=1e-12)
    assert bn.num_batches_tracked.item() == 5
    assert "momentum=None" in repr(bn)


def test_eval_uses_running_statistics_and_updates_nothing():
    bn = randomize_affine(nn.BatchNorm1d(3)).double()
    for a in batches(3, (8, 3)):
        bn(tge.tensor(a))
    bn.eval()
    mean, var = bn.running_mean.cpu().numpy().copy(), bn.running_var.cpu().numpy().copy()
    x = batches(1, (4, 3), seed=9)[0]
    out = bn(tge.tensor(x)).detach().cpu().numpy()
    np.testing.assert_allclose(out, ref_batch_norm(x, mean, var, bn.weight.detach().cpu().numpy(), bn.bias.detach().cpu().numpy()),
                               rtol=1e-10)
    np.testing.assert_array_equal(bn.running_mean.cpu().numpy(), mean)
    np.testing.assert_array_equal(bn.running_var.cpu().numpy(), var)
    assert bn.num_batches_tracked.item() == 3
    # in eval mode each sample's output is independent of the rest of the batch
    np.testing.assert_allclose(bn(tge.tensor(x[:1])).detach().cpu().numpy(), out[:1], rtol=1e-12)
    bn.train()
    assert not np.allclose(bn(tge.tensor(x[:2])).detach().cpu().numpy(), out[:2])


def test_without_running_stats_batch_statistics_are_used_in_both_modes():
    bn = nn.BatchNorm1d(2, track_running_stats=False).double()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    a = batches(1, (5, 2))[0]
    train_out = bn(tge.tensor(a)).detach().cpu().numpy()
    bn.eval()
    np.testing.assert_allclose(bn(tge.tensor(a)).detach().cpu().numpy(), train_out, rtol=1e-12)
    np.testing.assert_allclose(train_out, ref_batch_norm(a, a.mean(0), a.var(0), np.ones(2), np.zeros(2)), rtol=1e-10)


def test_affine_false_and_bias_false():
    bn = nn.BatchNorm2d(4, affine=False)
    assert bn.weight is None and bn.bias is None
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm2d(4, bias=False).state_dict())[:2] == ["weight", "running_mean"]
    assert repr(nn.BatchNorm2d(4)) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_default_parameters_and_buffers():
    bn = nn.BatchNorm1d(3)
    np.testing.assert_array_equal(bn.weight.detach().cpu().numpy(), np.ones(3))
    np.testing.assert_array_equal(bn.bias.detach().cpu().numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_mean.cpu().numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.cpu().numpy(), np.ones(3))
    bn(tge.randn(4, 3))
    assert bn.running_mean.dtype == np.float32
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0 and not bn.running_mean.cpu().numpy().any()


def test_input_dimension_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(tge.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(tge.randn(2, 3, 4, 4))


def test_docstring_relates_momentum_to_the_lectures_alpha():
    assert "momentum = 1 - alpha" in _BatchNorm.__doc__


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm2d, (2, 3, 2, 2))])
def test_batch_norm_gradcheck(cls, shape, training):
    bn = randomize_affine(cls(shape[1]))
    bn.running_mean.array[...] = 0.3
    bn.running_var.array[...] = 1.7
    bn.train(training)
    x = tge.tensor(batches(1, shape, seed=2)[0], requires_grad=True)
    assert module_gradcheck(bn, x)


def test_compact_backward_equals_the_composed_computation():
    """The closed-form backward of batch norm equals autograd through mean, sub, mul, sqrt, ..."""
    a = batches(1, (3, 4, 2, 2), seed=4)[0]
    bn = randomize_affine(nn.BatchNorm2d(4)).double()
    g = np.random.default_rng(8).standard_normal(a.shape)
    x1 = tge.tensor(a, requires_grad=True)
    bn(x1).backward(tge.tensor(g))

    x2 = tge.tensor(a, requires_grad=True)
    w = tge.tensor(bn.weight.detach().cpu().numpy(), requires_grad=True)
    b = tge.tensor(bn.bias.detach().cpu().numpy(), requires_grad=True)
    dims = (0, 2, 3)
    mu = x2.mean(dim=dims, keepdim=True)
    var = ((x2 - mu) * (x2 - mu)).mean(dim=dims, keepdim=True)
    y = (x2 - mu) / (var + EPS).sqrt() * w.reshape(1, 4, 1, 1) + b.reshape(1, 4, 1, 1)
    y.backward(tge.tensor(g))
    np.testing.assert_allclose(x1.grad.cpu().numpy(), x2.grad.cpu().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad.cpu().numpy(), w.grad.cpu().numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.bias.grad.cpu().numpy(), b.grad.cpu().numpy(), rtol=1e-10)


# ------------------------------------------------------- layer / group / rms / instance
def ref_normalize(a, axes, eps=EPS):
    mean = a.mean(axes, keepdims=True)
    return (a - mean) / np.sqrt(a.var(axes, keepdims=True) + eps)


def test_layer_norm_forward_gradcheck_and_repr():
    ln = randomize_affine(nn.LayerNorm((3, 2))).double()
    a = batches(1, (4, 3, 2))[0]
    expected = ref_normalize(a, (1, 2)) * ln.weight.detach().cpu().numpy() + ln.bias.detach().cpu().numpy()
    np.testing.assert_allclose(ln(tge.tensor(a)).detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert module_gradcheck(ln, tge.tensor(a, requires_grad=True))
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []


def test_rms_norm_forward_gradcheck_and_repr():
    rms = randomize_affine(nn.RMSNorm(3, eps=1e-6)).double()
    a = batches(1, (2, 4, 3))[0]
    expected = a / np.sqrt((a * a).mean(-1, keepdims=True) + 1e-6) * rms.weight.detach().cpu().numpy()
    np.testing.assert_allclose(rms(tge.tensor(a)).detach().cpu().numpy(), expected, rtol=1e-10)
    assert module_gradcheck(rms, tge.tensor(a, requires_grad=True))
    assert repr(nn.RMSNorm(4)) == "RMSNorm((4,), eps=None, elementwise_affine=True)"


def test_group_norm_forward_gradcheck_and_repr():
    gn = randomize_affine(nn.GroupNorm(2, 4)).double()
    a = batches(1, (2, 4, 3, 2))[0]
    grouped = ref_normalize(a.reshape(2, 2, -1), (2,)).reshape(a.shape)
    expected = grouped * gn.weight.detach().cpu().numpy().reshape(1, 4, 1, 1) + gn.bias.detach().cpu().numpy().reshape(1, 4, 1, 1)
    np.testing.assert_allclose(gn(tge.tensor(a)).detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert module_gradcheck(gn, tge.tensor(a, requires_grad=True))
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)


def test_instance_norm_forward_gradcheck_unbatched_and_running_stats():
    inorm = nn.InstanceNorm2d(3, affine=True).double()
    randomize_affine(inorm)
    a = batches(1, (2, 3, 3, 2))[0]
    expected = (ref_normalize(a, (2, 3)) * inorm.weight.detach().cpu().numpy().reshape(1, 3, 1, 1)
                + inorm.bias.detach().cpu().numpy().reshape(1, 3, 1, 1))
    np.testing.assert_allclose(inorm(tge.tensor(a)).detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(inorm(tge.tensor(a[0])).detach().cpu().numpy(), expected[0], rtol=1e-10, atol=1e-12)
    assert module_gradcheck(inorm, tge.tensor(a, requires_grad=True))
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert repr(nn.InstanceNorm2d(3)) == (
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)")
    tracked = nn.InstanceNorm2d(3, track_running_stats=True).double()
    tracked(tge.tensor(a))
    per_instance_mean = a.mean((2, 3)).mean(0)
    np.testing.assert_allclose(tracked.running_mean.cpu().numpy(), 0.1 * per_instance_mean, rtol=1e-10)
    with pytest.raises(ValueError, match="3D or 4D"):
        tracked(tge.randn(2, 3))
