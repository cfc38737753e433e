"""Adadelta, Adamax, NAdam, RAdam and ASGD without torch: each lowers a quadratic, keeps
its documented state, and accepts PyTorch's implementation flags (which change nothing).
Their trajectories against PyTorch's are in test_optim_torch.py."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import optim

CASES = [
    ("Adadelta", dict(lr=1.0, eps=1e-2), ["step", "square_avg", "acc_delta"]),
    ("Adamax", dict(lr=0.05), ["step", "exp_avg", "exp_inf"]),
    ("NAdam", dict(lr=0.05), ["step", "mu_product", "exp_avg", "exp_avg_sq"]),
    ("RAdam", dict(lr=0.05), ["step", "exp_avg", "exp_avg_sq"]),
    ("ASGD", dict(lr=0.05), ["step", "eta", "mu", "ax"]),
]


def _minimise(opt_class, kwargs, steps=60):
    w = tge.tensor([2.0, -3.0], dtype=tge.float64, requires_grad=True)
    opt = opt_class([w], **kwargs)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w - tge.tensor([0.5, 1.0], dtype=tge.float64)) ** 2).sum()
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    return first, loss.item(), opt, w


@pytest.mark.parametrize("name,kwargs,state_keys", CASES)
def test_lowers_a_quadratic_and_keeps_its_state(name, kwargs, state_keys):
    first, last, opt, w = _minimise(getattr(optim, name), kwargs)
    assert last < 0.5 * first
    assert list(opt.state[w]) == state_keys


@pytest.mark.parametrize("name,kwargs,state_keys", CASES)
def test_implementation_flags_are_accepted_and_change_nothing(name, kwargs, state_keys):
    flags = dict(foreach=True, capturable=True, differentiable=True)
    _, _, _, plain = _minimise(getattr(optim, name), kwargs, steps=5)
    _, _, opt, flagged = _minimise(getattr(optim, name), {**kwargs, **flags}, steps=5)
    np.testing.assert_array_equal(plain.detach().cpu().numpy(), flagged.detach().cpu().numpy())
    assert all(opt.param_groups[0][k] == v for k, v in flags.items())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_is_accepted_but_not_with_foreach(name):
    p = tge.zeros(2, requires_grad=True)
    assert getattr(optim, name)([p], fused=True).param_groups[0]["fused"] is True
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        getattr(optim, name)([p], foreach=True, fused=True)


def test_bad_options_are_refused():
    p = tge.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid rho value"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.RAdam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid momentum_decay value"):
        optim.NAdam([p], momentum_decay=-1)
