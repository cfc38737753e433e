"""Learning-rate schedulers: lr sequences against their closed forms, ReduceLROnPlateau's
patience / cooldown / min_lr, and state_dict round trips."""
import bisect
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler

EPOCHS = 30


def make_optimizer(lrs=(0.1,)):
    groups = [{"params": [tge.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0], momentum=0.9)


def lr_sequence(scheduler, epochs=EPOCHS):
    """lrs of every group at epochs 0 .. epochs-1 (one optimizer.step and scheduler.step per epoch)."""
    seq = []
    for _ in range(epochs):
        seq.append([g["lr"] for g in scheduler.optimizer.param_groups])
        assert scheduler.get_last_lr() == seq[-1]
        scheduler.optimizer.step()
        scheduler.step()
    return np.array(seq)


def closed_form(base_lrs, fn, epochs=EPOCHS):
    return np.array([[base * fn(e) for base in base_lrs] for e in range(epochs)])


def test_construction_sets_initial_lr_and_base_lrs():
    opt = make_optimizer((0.1, 0.01))
    sched = lr_scheduler.StepLR(opt, step_size=3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert sched.base_lrs == [0.1, 0.01]
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.1, 0.01]
    sched.step()
    assert sched.last_epoch == 1


def test_step_lr():
    opt = make_optimizer((0.1, 0.03))
    sched = lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    np.testing.assert_allclose(lr_sequence(sched), closed_form([0.1, 0.03], lambda e: 0.5 ** (e // 4)), rtol=1e-12)


def test_multi_step_lr_counts_repeated_milestones():
    milestones = [3, 7, 7, 15]
    sched = lr_scheduler.MultiStepLR(make_optimizer(), milestones=milestones, gamma=0.2)
    expected = closed_form([0.1], lambda e: 0.2 ** bisect.bisect_right(milestones, e))
    np.testing.assert_allclose(lr_sequence(sched), expected, rtol=1e-12)


def test_exponential_lr():
    sched = lr_scheduler.ExponentialLR(make_optimizer((0.1, 1.0)), gamma=0.9)
    np.testing.assert_allclose(lr_sequence(sched), closed_form([0.1, 1.0], lambda e: 0.9 ** e), rtol=1e-12)


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (7, 0.01), (1, 0.001)])
def test_cosine_annealing_follows_the_cosine_beyond_T_max(T_max, eta_min):
    base = [0.1, 0.05]
    sched = lr_scheduler.CosineAnnealingLR(make_optimizer(base), T_max=T_max, eta_min=eta_min)
    seq = lr_sequence(sched, epochs=3 * T_max + 5)
    expected = np.array([[eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2 for b in base]
                         for e in range(3 * T_max + 5)])
    np.testing.assert_allclose(seq, expected, rtol=1e-10, atol=1e-14)
    assert seq[T_max] == pytest.approx([eta_min, eta_min], abs=1e-15)  # the bottom at T_max
    assert seq[2 * T_max] == pytest.approx(base)  # and back up after another T_max


def test_lambda_lr_one_function_or_one_per_group():
    sched = lr_scheduler.LambdaLR(make_optimizer((0.1, 0.2)), lr_lambda=lambda e: 1 / (1 + e))
    np.testing.assert_allclose(lr_sequence(sched), closed_form([0.1, 0.2], lambda e: 1 / (1 + e)), rtol=1e-12)

    sched = lr_scheduler.LambdaLR(make_optimizer((0.1, 0.2)), lr_lambda=[lambda e: e // 3, lambda e: 0.95 ** e])
    expected = np.array([[0.1 * (e // 3), 0.2 * 0.95 ** e] for e in range(EPOCHS)])
    np.testing.assert_allclose(lr_sequence(sched), expected, rtol=1e-12)

    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(make_optimizer((0.1, 0.2)), lr_lambda=[lambda e: 1.0])


def test_schedules_compose_recursively():
    # StepLR multiplies the current lr, so a manual change carries on (as in PyTorch)
    opt = make_optimizer()
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 1.0
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.5


class WarmUp:
    """A callable object: its attributes are saved by LambdaLR.state_dict()."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


@pytest.mark.parametrize("make", [
    lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 9], gamma=0.3),
    lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.8),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
    lambda opt: lr_scheduler.LambdaLR(opt, WarmUp(4)),
], ids=["step", "multistep", "exponential", "cosine", "lambda"])
def test_state_dict_round_trip(make):
    straight = lr_sequence(make(make_optimizer((0.1, 0.02))), epochs=15)

    opt = make_optimizer((0.1, 0.02))
    sched = make(opt)
    first = lr_sequence(sched, epochs=7)
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved_sched and saved_sched["last_epoch"] == 7

    opt2 = make_optimizer((0.1, 0.02))
    sched2 = make(opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    rest = lr_sequence(sched2, epochs=8)
    np.testing.assert_allclose(np.concatenate([first, rest]), straight, rtol=1e-12)


def test_lambda_lr_state_dict_saves_callable_objects_only():
    opt = make_optimizer((0.1, 0.2))
    sched = lr_scheduler.LambdaLR(opt, [WarmUp(5), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"epochs": 5}, None]
    sched2 = lr_scheduler.LambdaLR(make_optimizer((0.1, 0.2)), [WarmUp(1), lambda e: 1.0])
    sched2.load_state_dict(sd)
    assert sched2.lr_lambdas[0].epochs == 5
    assert "lr_lambdas" in sd  # loading leaves the dict as it was


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(), step_size=2, last_epoch=4)
    opt = make_optimizer()
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=4)
    assert sched.last_epoch == 5 and sched.base_lrs == [1.0] and opt.param_groups[0]["lr"] == 0.1


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)


# -------------------------------------------------------------- ReduceLROnPlateau
def plateau_lrs(sched, metrics):
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(sched.optimizer.param_groups[0]["lr"])
        assert sched.get_last_lr()[0] == lrs[-1]
    return lrs


def test_plateau_patience():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer((1.0,)), patience=2, factor=0.5)
    # best = 1.0 at epoch 1; epochs 2, 3 are bad (2 <= patience), epoch 4 is the third bad: reduce
    lrs = plateau_lrs(sched, [1.0, 1.0, 1.2, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert sched.best == 0.5 and sched.last_epoch == 9


def test_plateau_patience_zero_reduces_on_every_bad_epoch():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer((1.0,)), patience=0, factor=0.1)
    assert plateau_lrs(sched, [5.0, 6.0, 4.0, 7.0]) == pytest.approx([1.0, 0.1, 0.1, 0.01])


def test_plateau_cooldown_ignores_bad_epochs():
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer((1.0,)), patience=1, cooldown=2, factor=0.5)
    lrs = plateau_lrs(sched, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    # reduce at epoch 3; epochs 4-5 are cooldown (not counted); epochs 6, 7 bad -> reduce at 7
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_plateau_min_lr_and_eps():
    opt = make_optimizer((1.0, 0.1))
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.1, min_lr=[0.05, 0.0], eps=1e-3)
    for m in [1.0, 2.0, 2.0, 2.0, 2.0]:
        sched.step(m)
    # group 0 stops at its min_lr; group 1 stops once a cut would change it by less than eps
    assert opt.param_groups[0]["lr"] == 0.05
    assert opt.param_groups[1]["lr"] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])


@pytest.mark.parametrize("mode, threshold_mode, metrics, improved", [
    ("min", "rel", [1.0, 0.99995], False),  # within 1e-4 relative: not an improvement
    ("min", "rel", [1.0, 0.999], True),
    ("min", "abs", [1.0, 0.95], False),
    ("min", "abs", [1.0, 0.85], True),
    ("max", "rel", [1.0, 1.00005], False),
    ("max", "rel", [1.0, 1.001], True),
    ("max", "abs", [1.0, 1.05], False),
    ("max", "abs", [1.0, 1.2], True),
])
def test_plateau_threshold(mode, threshold_mode, metrics, improved):
    threshold = 1e-4 if threshold_mode == "rel" else 0.1
    sched = lr_scheduler.ReduceLROnPlateau(make_optimizer((1.0,)), mode=mode, threshold=threshold,
                                           threshold_mode=threshold_mode, patience=0)
    lrs = plateau_lrs(sched, metrics)
    assert (lrs[-1] == 1.0) == improved


def test_plateau_accepts_a_tensor_metric_and_round_trips():
    opt = make_optimizer((1.0,))
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1, factor=0.5)
    metrics = [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7]
    plateau_lrs(sched, [tge.tensor(m) for m in metrics[:3]])
    sd = sched.state_dict()
    opt2 = make_optimizer((1.0,))
    opt2.load_state_dict(opt.state_dict())
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(sd)
    rest = plateau_lrs(sched2, metrics[3:])

    straight = plateau_lrs(lr_scheduler.ReduceLROnPlateau(make_optimizer((1.0,)), mode="max", patience=1, factor=0.5),
                           metrics)
    assert rest == straight[3:]


def test_plateau_errors():
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="mode 'lowest' is unknown"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="lowest")
    with pytest.raises(ValueError, match="threshold mode 'pct' is unknown"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), threshold_mode="pct")
