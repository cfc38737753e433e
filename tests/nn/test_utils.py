"""nn.utils: clip_grad_norm_ (exact values), clip_grad_value_, parameters_to_vector and
vector_to_parameters."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def params_with_grads(*grads, dtype=np.float64):
    params = []
    for g in grads:
        p = nn.Parameter(tge.zeros(*np.shape(g), dtype=dtype))
        if g is not None:
            p.grad = tge.tensor(np.asarray(g, dtype=dtype))
        params.append(p)
    return params


def test_clip_grad_norm_scales_to_max_norm_exactly():
    # |(3, 4)| = 5 and |(12,)| = 12: total 2-norm sqrt(25 + 144) = 13
    params = params_with_grads([3.0, 4.0], [[12.0]])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, tge.Tensor) and total.item() == 13.0
    coef = 1.0 / (13.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.cpu().numpy(), [3.0 * coef, 4.0 * coef], rtol=1e-15)
    np.testing.assert_allclose(params[1].grad.cpu().numpy(), [[12.0 * coef]], rtol=1e-15)
    new_norm = math.sqrt(sum((p.grad.cpu().numpy() ** 2).sum() for p in params))
    assert new_norm == pytest.approx(1.0, rel=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = params_with_grads([0.3, -0.4])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(0.5, rel=1e-15)
    np.testing.assert_array_equal(params[0].grad.cpu().numpy(), [0.3, -0.4])


def test_clip_grad_norm_other_norms_skips_missing_grads_and_accepts_one_tensor():
    params = params_with_grads([3.0, -4.0], [1.0, 2.0])
    params.append(nn.Parameter(tge.zeros(3)))  # no grad: ignored
    total = clip_grad_norm_(params, max_norm=2.0, norm_type=math.inf)
    assert total.item() == 4.0
    np.testing.assert_allclose(params[0].grad.cpu().numpy(), np.array([3.0, -4.0]) * 2.0 / (4.0 + 1e-6), rtol=1e-15)
    params = params_with_grads([3.0, -4.0], [1.0, 2.0])
    assert clip_grad_norm_(params, 100.0, norm_type=1).item() == 10.0
    params = params_with_grads([1.0, 2.0, 2.0])
    assert clip_grad_norm_(params[0], 100.0, norm_type=3.0).item() == pytest.approx(17 ** (1 / 3), rel=1e-14)
    assert clip_grad_norm_([nn.Parameter(tge.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_float32_and_generators():
    model = nn.Linear(3, 2)
    model(tge.randn(4, 3)).sum().backward()
    grads = [p.grad.cpu().numpy().astype(np.float64) for p in model.parameters()]
    expected = math.sqrt(sum((g**2).sum() for g in grads))
    total = clip_grad_norm_(model.parameters(), 0.1)
    assert total.dtype == np.float32 and total.item() == pytest.approx(expected, rel=1e-6)
    assert model.weight.grad.dtype == np.float32


def test_clip_grad_norm_error_if_nonfinite():
    params = params_with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # inf * 0: the clipped gradient holds NaN, as in PyTorch
        clip_grad_norm_(params, 1.0)  # scales by the non-finite norm without complaint


def test_clip_grad_value():
    params = params_with_grads([-3.0, 0.5, 2.0], None)
    clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.cpu().numpy(), [-1.0, 0.5, 1.0])
    assert params[1].grad is None


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,)
    expected = np.concatenate([p.detach().cpu().numpy().ravel() for p in model.parameters()])
    np.testing.assert_array_equal(vec.detach().cpu().numpy(), expected)
    (vec * tge.arange(11, dtype=tge.float32)).sum().backward()  # differentiable, as in PyTorch
    np.testing.assert_array_equal(model[0].weight.grad.cpu().numpy(), np.arange(6.0).reshape(2, 3))
    new = tge.arange(11, dtype=tge.float32)
    vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(model[0].bias.detach().cpu().numpy(), [6.0, 7.0])
    np.testing.assert_array_equal(model[1].weight.detach().cpu().numpy(), [[8.0, 9.0]])
    assert model[0].weight.shape == (2, 3) and isinstance(model[0].weight, nn.Parameter)
    with pytest.raises(TypeError, match="expected Tensor"):
        vector_to_parameters(np.zeros(11), model.parameters())
    with pytest.raises(RuntimeError, match="11 elements"):
        vector_to_parameters(tge.zeros(10), model.parameters())
