"""Every scheduler's lr (and cycled momentum) trajectory equals torch.optim.lr_scheduler's
for 100 steps (skipped without torch)."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler

torch = pytest.importorskip("torch")
STEPS = 100


def _optimizers(kind="sgd", lrs=(0.1, 0.02)):
    ours = [{"params": [tge.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    theirs = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "adam":
        return optim.Adam(ours, lr=lrs[0]), torch.optim.Adam(theirs, lr=lrs[0])
    return optim.SGD(ours, lr=lrs[0], momentum=0.9), torch.optim.SGD(theirs, lr=lrs[0], momentum=0.9)


def _trajectory(opt, make, steps=STEPS):
    sched = make(opt)
    rows = []
    for _ in range(steps):
        rows.append([g["lr"] for g in opt.param_groups] + [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
        assert list(sched.get_last_lr()) == rows[-1][:len(opt.param_groups)]
        opt.step()
        sched.step()
    return np.array(rows, dtype=np.float64)


def _same(make_ours, make_theirs=None, kind="sgd", steps=STEPS):
    make_theirs = make_theirs or make_ours
    ours, theirs = _optimizers(kind)
    a = _trajectory(ours, lambda o: make_ours(lr_scheduler, o), steps)
    b = _trajectory(theirs, lambda o: make_theirs(torch.optim.lr_scheduler, o), steps)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


CASES = {
    "constant": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=7),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20),
    "linear_default": lambda m, o: m.LinearLR(o),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=60, power=2.0),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=0.001),
    "warm_restarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "cyclic": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=7, step_size_down=4),
    "cyclic_tri2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=5, mode="triangular2"),
    "cyclic_exp": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=6, mode="exp_range", gamma=0.97),
    "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=STEPS),
    "one_cycle_linear_3": lambda m, o: m.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=10, pct_start=0.25,
                                                    anneal_strategy="linear", three_phase=True),
    "sequential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.95),
            m.CosineAnnealingLR(o, T_max=20)], milestones=[5, 40]),
    "sequential_constant_step": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.StepLR(o, step_size=10, gamma=0.5),
            m.PolynomialLR(o, total_iters=30)], milestones=[10, 50]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=4), m.ExponentialLR(o, gamma=0.97)]),
    "chained_linear_multistep": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.2, total_iters=10), m.MultiStepLR(o, milestones=[20, 50, 50], gamma=0.5)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_equals_torch(name):
    _same(CASES[name])


@pytest.mark.parametrize("name", ["one_cycle", "cyclic"])
def test_momentum_cycling_drives_adams_beta1(name):
    _same(CASES[name], kind="adam")


def test_cyclic_custom_scale_fn():
    _same(lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, scale_fn=lambda x: 0.9 ** x, scale_mode="iterations",
                                  cycle_momentum=False))


def test_one_cycle_refuses_to_step_past_total_steps():
    opt, _ = _optimizers()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(2):
        sched.step()
    sched.step()  # step 3 == total_steps: allowed, as in PyTorch
    with pytest.raises(ValueError, match="total steps is 3"):
        sched.step()


def test_sequential_refuses_mismatched_milestones_and_plateau():
    opt, _ = _optimizers()
    with pytest.raises(ValueError, match="one milestone fewer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt)], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(opt)])


def test_sequential_state_dict_round_trip():
    opt, _ = _optimizers()
    make = CASES["sequential"]
    sched = make(lr_scheduler, opt)
    for _ in range(12):
        sched.step()
    state = sched.state_dict()
    opt2, _ = _optimizers()
    other = make(lr_scheduler, opt2)
    other.load_state_dict(state)
    for g, h in zip(opt.param_groups, opt2.param_groups):
        h["lr"] = g["lr"]
    for _ in range(5):
        sched.step()
        other.step()
    assert sched.get_last_lr() == other.get_last_lr()
