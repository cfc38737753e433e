"""Optimizers: first steps against hand-written NumPy updates, param groups, zero_grad,
state_dict round trips and argument errors."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import optim
from tinygrad_edu.backend import get_array_module

THETA0 = np.array([0.5, -1.0, 2.0])
# Fixed gradients for steps 1, 2, 3: mixed signs, a zero, and a shrinking last step
# (so that amsgrad's running maximum differs from Adam's v).
GRADS = [np.array([0.3, -0.2, 1.0]), np.array([-0.1, 0.0, 2.0]), np.array([0.2, 0.4, 0.1])]


def run_steps(opt_cls, n=3, **kwargs):
    """Apply ``n`` steps of ``opt_cls`` to THETA0 with the fixed GRADS; the thetas after each step."""
    p = tge.tensor(THETA0.copy(), requires_grad=True)
    opt = opt_cls([p], **kwargs)
    thetas = []
    for g in GRADS[:n]:
        p.grad = tge.tensor(g)
        opt.step()
        thetas.append(p.cpu().array.copy())
    return thetas


def assert_steps(ours, expected):
    for i, (a, b) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15, err_msg=f"step {i + 1}")


# ---------------------------------------------------------------------------- SGD
def test_sgd_plain_by_hand():
    lr = 0.1
    t1 = THETA0 - lr * GRADS[0]
    t2 = t1 - lr * GRADS[1]
    t3 = t2 - lr * GRADS[2]
    assert_steps(run_steps(optim.SGD, lr=lr), [t1, t2, t3])


def test_sgd_momentum_by_hand():
    lr, mu = 0.1, 0.9
    b1 = GRADS[0]  # the first buffer is the gradient itself
    t1 = THETA0 - lr * b1
    b2 = mu * b1 + GRADS[1]
    t2 = t1 - lr * b2
    b3 = mu * b2 + GRADS[2]
    t3 = t2 - lr * b3
    assert_steps(run_steps(optim.SGD, lr=lr, momentum=mu), [t1, t2, t3])


def test_sgd_momentum_dampening_by_hand():
    lr, mu, tau = 0.1, 0.9, 0.9  # dampening = momentum: an exponential moving average
    b1 = GRADS[0]
    t1 = THETA0 - lr * b1
    b2 = mu * b1 + (1 - tau) * GRADS[1]
    t2 = t1 - lr * b2
    b3 = mu * b2 + (1 - tau) * GRADS[2]
    t3 = t2 - lr * b3
    assert_steps(run_steps(optim.SGD, lr=lr, momentum=mu, dampening=tau), [t1, t2, t3])


def test_sgd_nesterov_by_hand():
    lr, mu = 0.1, 0.9
    b1 = GRADS[0]
    t1 = THETA0 - lr * (GRADS[0] + mu * b1)
    b2 = mu * b1 + GRADS[1]
    t2 = t1 - lr * (GRADS[1] + mu * b2)
    b3 = mu * b2 + GRADS[2]
    t3 = t2 - lr * (GRADS[2] + mu * b3)
    assert_steps(run_steps(optim.SGD, lr=lr, momentum=mu, nesterov=True), [t1, t2, t3])


def test_sgd_weight_decay_by_hand():
    lr, wd = 0.1, 0.01
    t1 = THETA0 - lr * (GRADS[0] + wd * THETA0)
    t2 = t1 - lr * (GRADS[1] + wd * t1)
    t3 = t2 - lr * (GRADS[2] + wd * t2)
    assert_steps(run_steps(optim.SGD, lr=lr, weight_decay=wd), [t1, t2, t3])


def test_sgd_everything_by_hand():
    lr, mu, tau, wd = 0.05, 0.8, 0.3, 0.1  # maximize + weight decay + dampened momentum
    g1 = -GRADS[0] + wd * THETA0
    b1 = g1
    t1 = THETA0 - lr * b1
    g2 = -GRADS[1] + wd * t1
    b2 = mu * b1 + (1 - tau) * g2
    t2 = t1 - lr * b2
    g3 = -GRADS[2] + wd * t2
    b3 = mu * b2 + (1 - tau) * g3
    t3 = t2 - lr * b3
    ours = run_steps(optim.SGD, lr=lr, momentum=mu, dampening=tau, weight_decay=wd, maximize=True)
    assert_steps(ours, [t1, t2, t3])


def test_sgd_default_lr_is_pytorch_2():
    p = tge.zeros(2, requires_grad=True)
    assert optim.SGD([p]).defaults["lr"] == 1e-3


# ---------------------------------------------------------------------------- Adam
def adam_by_hand(lr, beta1, beta2, eps, weight_decay=0.0, amsgrad=False, maximize=False, decoupled=False):
    """Adam written out step by step (PyTorch's arrangement of eps and bias correction)."""
    theta, m, v, v_max = THETA0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    thetas = []
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        v_max = np.maximum(v_max, v)
        v_used = v_max if amsgrad else v
        theta = theta - lr / (1 - beta1 ** t) * m / (np.sqrt(v_used) / math.sqrt(1 - beta2 ** t) + eps)
        thetas.append(theta)
    return thetas


def test_adam_first_step_is_lr_times_sign():
    # m_1 / (1 - beta1) = g and sqrt(v_1 / (1 - beta2)) = |g|: the first step is lr * g / (|g| + eps)
    lr, eps = 0.01, 1e-8
    (t1,) = run_steps(optim.Adam, n=1, lr=lr, eps=eps)
    np.testing.assert_allclose(t1, THETA0 - lr * GRADS[0] / (np.abs(GRADS[0]) + eps), rtol=1e-13)


def test_adam_three_steps_written_out():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    g1, g2, g3 = GRADS
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1 ** 2
    t1 = THETA0 - lr / (1 - b1) * m1 / (np.sqrt(v1) / math.sqrt(1 - b2) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2 ** 2
    t2 = t1 - lr / (1 - b1 ** 2) * m2 / (np.sqrt(v2) / math.sqrt(1 - b2 ** 2) + eps)
    m3, v3 = b1 * m2 + (1 - b1) * g3, b2 * v2 + (1 - b2) * g3 ** 2
    t3 = t2 - lr / (1 - b1 ** 3) * m3 / (np.sqrt(v3) / math.sqrt(1 - b2 ** 3) + eps)
    assert_steps(run_steps(optim.Adam, lr=lr), [t1, t2, t3])


ADAM_CASES = [
    dict(),
    dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3),
    dict(weight_decay=0.1),
    dict(amsgrad=True, betas=(0.5, 0.5)),
    dict(maximize=True),
    dict(weight_decay=0.1, amsgrad=True, maximize=True, betas=(0.7, 0.6)),
]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adam_by_hand(kwargs):
    lr, (b1, b2), eps = kwargs.get("lr", 1e-3), kwargs.get("betas", (0.9, 0.999)), kwargs.get("eps", 1e-8)
    expected = adam_by_hand(lr, b1, b2, eps, kwargs.get("weight_decay", 0.0), kwargs.get("amsgrad", False),
                            kwargs.get("maximize", False))
    assert_steps(run_steps(optim.Adam, **kwargs), expected)


def test_amsgrad_changes_later_steps():
    # smaller later gradients lower v; amsgrad keeps dividing by the largest v so far
    plain = run_steps(optim.Adam, lr=0.1, betas=(0.5, 0.5))
    ams = run_steps(optim.Adam, lr=0.1, betas=(0.5, 0.5), amsgrad=True)
    np.testing.assert_array_equal(plain[0], ams[0])
    assert not np.allclose(plain[2], ams[2])


@pytest.mark.parametrize("kwargs", [dict(), dict(weight_decay=0.5, lr=0.1), dict(amsgrad=True, maximize=True, betas=(0.5, 0.5))],
                         ids=str)
def test_adamw_by_hand(kwargs):
    lr, (b1, b2) = kwargs.get("lr", 1e-3), kwargs.get("betas", (0.9, 0.999))
    expected = adam_by_hand(lr, b1, b2, 1e-8, kwargs.get("weight_decay", 1e-2), kwargs.get("amsgrad", False),
                            kwargs.get("maximize", False), decoupled=True)
    assert_steps(run_steps(optim.AdamW, **kwargs), expected)


def test_adamw_differs_from_adam_l2():
    adam = run_steps(optim.Adam, lr=0.1, weight_decay=0.5)
    adamw = run_steps(optim.AdamW, lr=0.1, weight_decay=0.5)
    assert not np.allclose(adam[2], adamw[2])
    assert optim.AdamW([tge.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 1e-2


# ------------------------------------------------------------------------- RMSprop
def rmsprop_by_hand(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    theta, v, a, b = THETA0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    thetas = []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g ** 2
        if centered:
            a = alpha * a + (1 - alpha) * g
            r = np.sqrt(v - a ** 2) + eps
        else:
            r = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / r
            theta = theta - lr * b
        else:
            theta = theta - lr * g / r
        thetas.append(theta)
    return thetas


def test_rmsprop_first_step_written_out():
    # v_1 = (1 - alpha) g^2, so the first step is lr * g / (sqrt(1 - alpha) |g| + eps)
    lr, alpha, eps = 0.01, 0.99, 1e-8
    (t1,) = run_steps(optim.RMSprop, n=1)
    np.testing.assert_allclose(t1, THETA0 - lr * GRADS[0] / (math.sqrt(1 - alpha) * np.abs(GRADS[0]) + eps),
                               rtol=1e-13)


RMSPROP_CASES = [
    dict(),
    dict(lr=0.1, alpha=0.9, eps=1e-2),
    dict(momentum=0.9),
    dict(centered=True),
    dict(weight_decay=0.1, maximize=True),
    dict(centered=True, momentum=0.5, weight_decay=0.1, alpha=0.8),
]


@pytest.mark.parametrize("kwargs", RMSPROP_CASES, ids=str)
def test_rmsprop_by_hand(kwargs):
    assert_steps(run_steps(optim.RMSprop, **kwargs), rmsprop_by_hand(**kwargs))


# ------------------------------------------------------------------------- Adagrad
def adagrad_by_hand(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                    maximize=False):
    theta, s = THETA0.copy(), np.full(3, float(initial_accumulator_value))
    thetas = []
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g ** 2
        theta = theta - clr * g / (np.sqrt(s) + eps)
        thetas.append(theta)
    return thetas


def test_adagrad_three_steps_written_out():
    lr, eps = 0.1, 1e-10
    g1, g2, g3 = GRADS
    t1 = THETA0 - lr * g1 / (np.sqrt(g1 ** 2) + eps)
    t2 = t1 - lr * g2 / (np.sqrt(g1 ** 2 + g2 ** 2) + eps)
    t3 = t2 - lr * g3 / (np.sqrt(g1 ** 2 + g2 ** 2 + g3 ** 2) + eps)
    assert_steps(run_steps(optim.Adagrad, lr=lr), [t1, t2, t3])


ADAGRAD_CASES = [
    dict(),
    dict(lr=0.5, lr_decay=0.1),
    dict(initial_accumulator_value=0.5, eps=1e-3),
    dict(weight_decay=0.2),
    dict(maximize=True, lr_decay=0.3, weight_decay=0.1, initial_accumulator_value=0.1),
]


@pytest.mark.parametrize("kwargs", ADAGRAD_CASES, ids=str)
def test_adagrad_by_hand(kwargs):
    assert_steps(run_steps(optim.Adagrad, **kwargs), adagrad_by_hand(**kwargs))


# ------------------------------------------------------------------- every optimizer
ALL = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.1, amsgrad=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
]
ALL_IDS = [cls.__name__ for cls, _ in ALL]


def regression_params(dtype=np.float64):
    rng = np.random.default_rng(0)
    w = tge.tensor(rng.standard_normal((3, 2)).astype(dtype), requires_grad=True)
    b = tge.tensor(rng.standard_normal(2).astype(dtype), requires_grad=True)
    return w, b


def regression_step(opt, w, b):
    """One training step on a fixed least-squares problem (the gradient depends on w, b)."""
    rng = np.random.default_rng(1)
    x = tge.tensor(rng.standard_normal((8, 3)).astype(w.dtype))
    y = tge.tensor(rng.standard_normal((8, 2)).astype(w.dtype))
    opt.zero_grad()
    loss = ((x @ w + b - y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss.item()


@pytest.mark.parametrize("cls, kwargs", ALL, ids=ALL_IDS)
def test_parameters_keep_identity_and_dtype(cls, kwargs):
    w, b = regression_params(np.float32)
    w_array = w.array
    opt = cls([w, b], **kwargs)
    before = w.cpu().array.copy()
    for _ in range(2):
        regression_step(opt, w, b)
    assert w.array is w_array and w.dtype == np.float32 and b.dtype == np.float32
    assert not np.array_equal(before, w.cpu().array)
    assert w.is_leaf and w.requires_grad
    for state in opt.state.values():
        for key, value in state.items():
            assert isinstance(value, tge.Tensor)
            if key != "step":
                assert value.dtype == np.float32


@pytest.mark.parametrize("cls, kwargs", ALL, ids=ALL_IDS)
def test_loss_goes_down(cls, kwargs):
    w, b = regression_params()
    opt = cls([w, b], **kwargs)
    losses = [regression_step(opt, w, b) for _ in range(30)]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("cls, kwargs", ALL, ids=ALL_IDS)
def test_state_dict_round_trip_continues_trajectory(cls, kwargs):
    # straight: 5 steps
    w, b = regression_params()
    opt = cls([{"params": [w]}, {"params": [b], "lr": 0.02}], **kwargs)
    for _ in range(5):
        regression_step(opt, w, b)
    straight = (w.cpu().array.copy(), b.cpu().array.copy())

    # 3 steps, save, rebuild from the saved weights, load, 2 more steps
    w, b = regression_params()
    opt = cls([{"params": [w]}, {"params": [b], "lr": 0.02}], **kwargs)
    for _ in range(3):
        regression_step(opt, w, b)
    saved = opt.state_dict()
    w2 = tge.tensor(w.cpu().array.copy(), requires_grad=True)
    b2 = tge.tensor(b.cpu().array.copy(), requires_grad=True)
    opt2 = cls([{"params": [w2]}, {"params": [b2]}], **kwargs)  # lrs come back from the state dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.02
    saved_copy = {k: {n: v.cpu().array.copy() for n, v in s.items()} for k, s in saved["state"].items()}
    for _ in range(2):
        regression_step(opt2, w2, b2)
    np.testing.assert_array_equal(w2.cpu().array, straight[0])
    np.testing.assert_array_equal(b2.cpu().array, straight[1])
    # loading copied the state: stepping opt2 did not touch the saved dict
    for k, s in saved["state"].items():
        for n, v in s.items():
            np.testing.assert_array_equal(v.cpu().array, saved_copy[k][n])


def test_state_dict_structure():
    w, b = regression_params()
    c = tge.zeros(4, requires_grad=True)
    opt = optim.Adam([{"params": [w, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    regression_step(opt, w, b)  # c gets no gradient: no state
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert sorted(sd["state"]) == [0, 1]
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert sd["state"][0]["step"].item() == 1.0 and sd["state"][0]["step"].shape == ()
    assert isinstance(sd["state"][0]["exp_avg"], tge.Tensor) and sd["state"][0]["exp_avg"].shape == (3, 2)


@pytest.mark.parametrize("cls, kwargs, keys", [
    (optim.SGD, dict(momentum=0.9), ["momentum_buffer"]),
    (optim.SGD, dict(), []),
    (optim.Adam, dict(amsgrad=True), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
    (optim.RMSprop, dict(momentum=0.9, centered=True), ["step", "square_avg", "momentum_buffer", "grad_avg"]),
    (optim.Adagrad, dict(), ["step", "sum"]),
], ids=["sgd-momentum", "sgd", "adam-amsgrad", "rmsprop", "adagrad"])
def test_state_keys_like_pytorch(cls, kwargs, keys):
    w, b = regression_params()
    opt = cls([w, b], **kwargs)
    regression_step(opt, w, b)
    assert list(opt.state.get(w, {})) == keys


def test_adagrad_state_exists_before_first_step():
    w, b = regression_params()
    opt = optim.Adagrad([w, b], initial_accumulator_value=0.25)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    np.testing.assert_array_equal(sd["state"][0]["sum"].cpu().array, np.full((3, 2), 0.25))


def test_load_state_dict_casts_to_parameter_dtype():
    w, b = regression_params(np.float64)
    opt = optim.Adam([w, b])
    regression_step(opt, w, b)
    w32, b32 = regression_params(np.float32)
    opt32 = optim.Adam([w32, b32])
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[w32]["exp_avg"].dtype == np.float32
    regression_step(opt32, w32, b32)
    assert w32.dtype == np.float32


def test_load_state_dict_errors():
    w, b = regression_params()
    opt = optim.SGD([w, b], momentum=0.9)
    regression_step(opt, w, b)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups: 1 in the state dict, 2"):
        optim.SGD([{"params": [w]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group: group 0 has 2"):
        optim.SGD([w]).load_state_dict(sd)
    other = [tge.zeros(5, requires_grad=True), tge.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 0 has shape \(3, 2\), but the parameter has shape \(5,\)"):
        optim.SGD(other, momentum=0.9).load_state_dict(sd)
    with pytest.raises(ValueError, match="expected a dict with keys 'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_param_groups_use_their_own_lr():
    a = tge.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = tge.tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["params"] == [b]
    a.grad, b.grad = tge.tensor(np.array([1.0, 1.0])), tge.tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose(a.cpu().array, [0.9, 1.9])
    np.testing.assert_allclose(b.cpu().array, [2.5])
    assert a not in opt.state and "momentum_buffer" in opt.state[b]


def test_add_param_group_fills_defaults_and_rejects_overlap():
    a, b = tge.zeros(2, requires_grad=True), tge.zeros(3, requires_grad=True)
    opt = optim.Adagrad([a], lr=0.1, lr_decay=0.5)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert opt.param_groups[1]["lr"] == 0.2 and opt.param_groups[1]["lr_decay"] == 0.5
    b.grad = tge.ones(3)
    opt.step()  # b's state is created at its first step (from the constructor's accumulator value)
    np.testing.assert_allclose(b.cpu().array, -0.2 * np.ones(3) / (1 + 1e-10))
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_are_accepted():
    a, b = tge.zeros(2, requires_grad=True), tge.zeros(3, requires_grad=True)
    opt = optim.SGD([("layer.weight", a), ("layer.bias", b)], lr=0.1)
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.param_groups[0]["param_names"] == ["layer.weight", "layer.bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["layer.weight", "layer.bias"]


def test_zero_grad():
    w, b = regression_params()
    opt = optim.SGD([w, b])
    regression_step(opt, w, b)
    grad_w = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad_w and not w.grad.array.any() and not b.grad.array.any()
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    opt.zero_grad()  # no grads: nothing to do


def test_zero_grad_keeps_zero_gradient_steps_but_none_skips():
    # a zero gradient still moves a parameter under weight decay; a None gradient does not
    a = tge.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([a], lr=0.1, weight_decay=0.5)
    a.grad = tge.zeros(2, dtype=tge.float64)
    opt.step()
    np.testing.assert_allclose(a.cpu().array, [0.95, -1.9])
    opt.zero_grad()
    opt.step()
    np.testing.assert_allclose(a.cpu().array, [0.95, -1.9])


@pytest.mark.parametrize("cls, kwargs", ALL, ids=ALL_IDS)
def test_params_without_grad_are_skipped(cls, kwargs):
    a = tge.tensor(np.array([1.0, 2.0]), requires_grad=True)
    frozen = tge.tensor(np.array([3.0, 4.0]), requires_grad=True)
    opt = cls([a, frozen], **kwargs)
    before = {k: v.cpu().array.copy() for k, v in opt.state[frozen].items()}  # Adagrad creates state up front
    a.grad = tge.tensor(np.array([0.5, -0.5]))
    opt.step()
    np.testing.assert_array_equal(frozen.cpu().array, [3.0, 4.0])
    assert frozen.grad is None
    assert {k: v.array.tolist() for k, v in opt.state[frozen].items()} == {k: v.tolist() for k, v in before.items()}
    assert not np.array_equal(a.cpu().array, [1.0, 2.0])


def test_step_with_closure():
    w, b = regression_params()
    opt = optim.SGD([w, b], lr=0.1)
    calls = []

    def closure():
        assert tge.is_grad_enabled()
        opt.zero_grad()
        loss = (w ** 2).sum() + (b ** 2).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    before = w.cpu().array.copy()
    loss = opt.step(closure)
    assert calls and loss.item() == calls[0]
    np.testing.assert_allclose(w.cpu().array, before - 0.1 * 2 * before)


def test_step_bumps_version_so_a_stale_graph_errors():
    w = tge.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()  # saves w for its backward
    w.grad = tge.ones(2, dtype=tge.float64)
    opt.step()
    with pytest.raises(RuntimeError, match="version"):
        y.backward()


def test_repr_lists_groups():
    opt = optim.SGD([tge.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


# --------------------------------------------------------------------------- errors
INVALID = [
    (optim.SGD, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.SGD, dict(momentum=-0.1), "Invalid momentum value: -0.1"),
    (optim.SGD, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.SGD, dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov momentum requires"),
    (optim.Adam, dict(lr=-0.5), "Invalid learning rate: -0.5"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.AdamW, dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (optim.RMSprop, dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    (optim.RMSprop, dict(momentum=-1), "Invalid momentum value"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
]


@pytest.mark.parametrize("cls, kwargs, message", INVALID, ids=[f"{c.__name__}-{k}" for c, k, _ in INVALID])
def test_invalid_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls([tge.zeros(2, requires_grad=True)], **kwargs)


def test_invalid_params():
    t = tge.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got a single Tensor"):
        optim.SGD(t)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but params\\[1\\] is a ndarray"):
        optim.SGD([t, np.zeros(2)])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([t * 2])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {t}}])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [t]}, {"params": [t]}])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([t, t])


# ---------------------------------------------------- one code path for NumPy and CuPy
@pytest.mark.parametrize("cls, kwargs", ALL + [(optim.SGD, dict(lr=0.1, maximize=True)),
                                               (optim.Adam, dict(lr=0.1, weight_decay=0.1, maximize=True))],
                         ids=ALL_IDS + ["SGD-maximize", "Adam-L2"])
def test_steps_never_leave_the_array_namespace(strict_backend, cls, kwargs):
    StrictArray = strict_backend.ndarray  # strict_backend: tests/conftest.py
    expected = run_steps(cls, **kwargs)
    p = tge.Tensor(StrictArray(THETA0.copy()), requires_grad=True)
    opt = cls([p], **kwargs)
    for i, g in enumerate(GRADS):
        p.grad = tge.Tensor(StrictArray(g.copy()))
        opt.step()
        assert isinstance(p.array, StrictArray)
        np.testing.assert_allclose(p.array.to_numpy(), expected[i], rtol=1e-13, atol=1e-15)
    for key, value in opt.state[p].items():
        assert key == "step" or isinstance(value.array, StrictArray), key
    opt.zero_grad(set_to_none=False)
    assert isinstance(p.grad.array, StrictArray) and not p.grad.array.to_numpy().any()

    # a state_dict of NumPy arrays loads onto the parameter's device
    q = tge.Tensor(StrictArray(THETA0.copy()), requires_grad=True)
    host_opt = cls([tge.tensor(THETA0.copy(), requires_grad=True)], **kwargs)
    host_opt.param_groups[0]["params"][0].grad = tge.tensor(GRADS[0])
    host_opt.step()
    opt2 = cls([q], **kwargs)
    opt2.load_state_dict(host_opt.state_dict())
    for key, value in opt2.state[q].items():
        assert key == "step" or isinstance(value.array, StrictArray), key


def test_a_new_optimizer_writes_only_its_update_rule():
    """Optimizer.step owns closure, groups, maximize, weight decay and the version bump."""

    class SignDescent(optim.Optimizer):
        def __init__(self, params, lr=0.1, weight_decay=0, maximize=False):
            super().__init__(params, dict(lr=lr, weight_decay=weight_decay, maximize=maximize))

        def _update(self, p, grad, state, group):
            """theta <- theta - lr * sign(g)."""
            xp = get_array_module(grad)  # the array-module rule: an optimizer runs on any device
            p.array -= group["lr"] * xp.sign(grad)

    w = tge.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = SignDescent([w], lr=0.5, weight_decay=10.0, maximize=True)
    loss = opt.step(lambda: (w * tge.tensor(np.array([1.0, 1.0]))).sum())
    assert loss.item() == -1.0 and w.grad is None  # the closure's loss; no backward, so no update
    np.testing.assert_allclose(w.cpu().array, [1.0, -2.0])
    w.grad = tge.tensor(np.array([1.0, 1.0]))
    version = w._version.value
    opt.step()
    # maximize: g = -1; L2: g + 10 * theta = (9, -21); sign: (1, -1)
    np.testing.assert_allclose(w.cpu().array, [0.5, -1.5])
    assert w._version.value == version + 1 and len(opt.state) == 0
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        SignDescent([w], lr=-1)


# a 1-element Tensor lr, as PyTorch accepts: every optimizer, both kernel sets (Adam's update
# runs compiled under Numba), per-group lrs, and a scheduler that fills the Tensor in place
TENSOR_LR_CASES = ALL + [
    (optim.Adadelta, dict(lr=0.5, weight_decay=0.1)), (optim.Adamax, dict(lr=0.05)),
    (optim.NAdam, dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)),
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.8))), (optim.ASGD, dict(lr=0.05, t0=3)),
    (optim.AdamW, dict(lr=0.1, weight_decay=0.3)),
]


@pytest.mark.parametrize("kernel_set", ["numba", "numpy"])
@pytest.mark.parametrize("cls, kwargs", TENSOR_LR_CASES, ids=[cls.__name__ for cls, _ in TENSOR_LR_CASES])
def test_a_tensor_lr_gives_the_float_lrs_trajectory(cls, kwargs, kernel_set):
    from tinygrad_edu import kernels

    saved = kernels.current()
    try:
        kernels.use(kernel_set)
        runs = []
        for as_tensor in (False, True):
            w, b = regression_params(np.float32)
            lr = tge.tensor(kwargs["lr"], dtype=tge.float64) if as_tensor else kwargs["lr"]
            opt = cls([{"params": [w]}, {"params": [b], "lr": 0.02}], **{**kwargs, "lr": lr})
            for _ in range(4):
                regression_step(opt, w, b)
            assert opt.param_groups[0]["lr"] is lr  # the group keeps the user's Tensor
            runs.append((w.cpu().array.copy(), b.cpu().array.copy()))
        np.testing.assert_array_equal(runs[0][0], runs[1][0])
        np.testing.assert_array_equal(runs[0][1], runs[1][1])
    finally:
        kernels.use(saved)


def test_a_tensor_lr_is_checked_and_filled_in_place_by_schedulers():
    w, b = regression_params()
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.SGD([w], lr=tge.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="Invalid learning rate: -0.5"):
        optim.Adam([w], lr=tge.tensor(-0.5))
    with pytest.raises(ValueError, match=r"Invalid epsilon value: expected a number, got a Tensor of shape \(\)"):
        optim.Adam([w], eps=tge.tensor(1e-8))
    lr = tge.tensor(0.1, dtype=tge.float64)
    opt = optim.SGD([w, b], lr=lr, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for epoch in range(3):
        regression_step(opt, w, b)
        sched.step()
        assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.1 * 0.5 ** (epoch + 1), rel=1e-15)
    assert opt.param_groups[0]["initial_lr"] is not lr and opt.param_groups[0]["initial_lr"].item() == 0.1
