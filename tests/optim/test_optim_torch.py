"""Optimizers and schedulers against PyTorch: 10-step trajectories (float64, to 1e-10),
state_dicts that correspond key for key, and lr sequences (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu import optim  # noqa: E402
from tinygrad_edu.optim import lr_scheduler  # noqa: E402

STEPS = 10

OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.2, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-4)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.6), maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-3)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.8))),  # rho_t > 5 from step 2 on: the rectified branch
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.7), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=3, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, foreach=True)),
    ("Adam", dict(lr=0.05, fused=True, capturable=False, differentiable=False)),
    ("RMSprop", dict(lr=0.01, foreach=False, capturable=False)),
    ("Adagrad", dict(lr=0.1, foreach=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in OPTIMIZER_CASES]


def problem():
    """A small regression: X (8, 3), Y (8, 2), weight (3, 2) and bias (2,) in float64."""
    rng = np.random.default_rng(42)
    return rng.standard_normal((8, 3)), rng.standard_normal((8, 2)), rng.standard_normal((3, 2)), rng.standard_normal(2)


def loss_fn(x, y, w, b):
    # A quadratic plus a quartic term, so the gradients change from step to step in a non-trivial way.
    r = x @ w + b - y
    return (r * r).mean() + 0.1 * (w * w * w * w).sum()


def trajectories(name, kwargs, groups=False):
    """Parameters after each of STEPS steps, ours and PyTorch's."""
    x, y, w0, b0 = problem()
    w, b = tge.tensor(w0.copy(), requires_grad=True), tge.tensor(b0.copy(), requires_grad=True)
    tw, tb = torch.tensor(w0.copy(), requires_grad=True), torch.tensor(b0.copy(), requires_grad=True)
    if groups:  # per-group options: the bias gets its own lr (and no weight decay)
        ours = getattr(optim, name)([{"params": [w]}, {"params": [b], "lr": 0.02, "weight_decay": 0.0}], **kwargs)
        theirs = getattr(torch.optim, name)([{"params": [tw]}, {"params": [tb], "lr": 0.02, "weight_decay": 0.0}],
                                            **kwargs)
    else:
        ours, theirs = getattr(optim, name)([w, b], **kwargs), getattr(torch.optim, name)([tw, tb], **kwargs)
    xs, ys, txs, tys = tge.tensor(x), tge.tensor(y), torch.tensor(x), torch.tensor(y)
    out = []
    for _ in range(STEPS):
        ours.zero_grad()
        loss_fn(xs, ys, w, b).backward()
        ours.step()
        theirs.zero_grad()
        loss_fn(txs, tys, tw, tb).backward()
        theirs.step()
        out.append((w.cpu().array.copy(), b.cpu().array.copy(), tw.detach().cpu().numpy().copy(), tb.detach().cpu().numpy().copy()))
    return out, ours, theirs


def assert_same_trajectory(out):
    for step, (w, b, tw, tb) in enumerate(out, start=1):
        np.testing.assert_allclose(w, tw, rtol=1e-10, atol=1e-10, err_msg=f"weight after step {step}")
        np.testing.assert_allclose(b, tb, rtol=1e-10, atol=1e-10, err_msg=f"bias after step {step}")


def assert_same_state(ours, theirs):
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for index, tstate in tsd["state"].items():
        assert list(sd["state"][index]) == list(tstate), f"state keys of parameter {index}"
        for key, tvalue in tstate.items():
            np.testing.assert_allclose(np.asarray(sd["state"][index][key].cpu().array), tvalue.detach().cpu().numpy(),
                                       rtol=1e-10, atol=1e-10, err_msg=f"state {key!r} of parameter {index}")
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert group["params"] == tgroup["params"]
        for key, value in group.items():
            assert tgroup[key] == value, f"param group option {key!r}"


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES, ids=IDS)
def test_trajectory_matches_pytorch(name, kwargs):
    out, ours, theirs = trajectories(name, kwargs)
    assert_same_trajectory(out)
    assert_same_state(ours, theirs)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1)),
], ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_match_pytorch(name, kwargs):
    out, ours, theirs = trajectories(name, kwargs, groups=True)
    assert_same_trajectory(out)
    assert_same_state(ours, theirs)


def test_defaults_match_pytorch():
    p, tp = tge.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"]:
        ours, theirs = getattr(optim, name)([p]).defaults, getattr(torch.optim, name)([tp]).defaults
        assert sorted(ours) == sorted(theirs), name  # the implementation flags included
        for key, value in ours.items():
            assert theirs[key] == value, f"{name} default {key}"


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_foreach_and_fused_together_are_refused_as_in_pytorch(name):
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], foreach=True, fused=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(optim, name)([tge.zeros(2, requires_grad=True)], foreach=True, fused=True)


def test_implementation_flags_have_no_effect():
    runs = []
    for flags in (dict(), dict(foreach=True, capturable=False, differentiable=False)):
        out, _, _ = trajectories("NAdam", dict(lr=0.05, **flags))
        runs.append(out[-1][0])
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adadelta", dict(rho=0.8)),
    ("Adamax", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, t0=2)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
], ids=["SGD", "Adam", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "RMSprop", "Adagrad"])
def test_pytorch_state_dict_loads_and_continues(name, kwargs):
    """Train 5 steps in PyTorch, move its optimizer state_dict over, continue in both."""
    x, y, w0, b0 = problem()
    tw, tb = torch.tensor(w0.copy(), requires_grad=True), torch.tensor(b0.copy(), requires_grad=True)
    theirs = getattr(torch.optim, name)([tw, tb], **kwargs)
    txs, tys = torch.tensor(x), torch.tensor(y)

    def torch_step():
        theirs.zero_grad()
        loss_fn(txs, tys, tw, tb).backward()
        theirs.step()

    for _ in range(5):
        torch_step()
    tsd = theirs.state_dict()
    converted = {
        "state": {i: {k: tge.tensor(v.detach().cpu().numpy().copy()) for k, v in s.items()} for i, s in tsd["state"].items()},
        "param_groups": tsd["param_groups"],
    }
    w = tge.tensor(tw.detach().cpu().numpy().copy(), requires_grad=True)
    b = tge.tensor(tb.detach().cpu().numpy().copy(), requires_grad=True)
    ours = getattr(optim, name)([w, b], **kwargs)
    ours.load_state_dict(converted)
    xs, ys = tge.tensor(x), tge.tensor(y)
    for _ in range(5):
        ours.zero_grad()
        loss_fn(xs, ys, w, b).backward()
        ours.step()
        torch_step()
    np.testing.assert_allclose(w.cpu().array, tw.detach().cpu().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(b.cpu().array, tb.detach().cpu().numpy(), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------- schedulers
SCHEDULER_CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 15], gamma=0.2)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e + (e % 3) * 0.1)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), lambda e: e // 4])),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULER_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULER_CASES)])
def test_scheduler_lrs_match_pytorch(name, kwargs):
    ours_opt = optim.SGD([{"params": [tge.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)],
                         momentum=0.9)
    theirs_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)],
                                 momentum=0.9)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    for epoch in range(40):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15,
                                   err_msg=f"epoch {epoch}")
        assert ours.last_epoch == theirs.last_epoch
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx([g["lr"] for g in theirs_opt.param_groups],
                                                                          rel=1e-12, abs=1e-15)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
    assert [g["initial_lr"] for g in ours_opt.param_groups] == [g["initial_lr"] for g in theirs_opt.param_groups]
    assert ours.base_lrs == theirs.base_lrs


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=1, cooldown=2, factor=0.5, min_lr=0.01),
    dict(mode="max", patience=0, threshold=0.05, threshold_mode="abs"),
    dict(mode="max", patience=1, threshold=0.01, min_lr=[0.02, 0.001], eps=1e-3),
], ids=str)
def test_reduce_lr_on_plateau_matches_pytorch(kwargs):
    rng = np.random.default_rng(3)
    metrics = np.cumsum(rng.standard_normal(60)) * 0.1 + 1.0  # a random walk: plateaus and improvements
    ours_opt = optim.SGD([{"params": [tge.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)])
    theirs_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)])
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs)
    for epoch, m in enumerate(metrics):
        ours.step(float(m))
        theirs.step(float(m))
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12), f"epoch {epoch}"
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == (
            theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter)


TENSOR_LR_CASES = [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.05, amsgrad=True)),
                   ("AdamW", dict(lr=0.05, weight_decay=0.3)), ("RMSprop", dict(lr=0.01, centered=True)),
                   ("Adagrad", dict(lr=0.1, lr_decay=0.05)), ("Adadelta", dict(lr=0.5)), ("Adamax", dict(lr=0.05)),
                   ("NAdam", dict(lr=0.05)), ("RAdam", dict(lr=0.05)), ("ASGD", dict(lr=0.05, t0=3))]


@pytest.mark.parametrize("name, kwargs", TENSOR_LR_CASES, ids=[n for n, _ in TENSOR_LR_CASES])
def test_tensor_lr_with_a_scheduler_matches_pytorch(name, kwargs):
    """A 1-element Tensor lr (float64 here) steps as PyTorch's does, and StepLR fills it in place."""
    x, y, w0, b0 = problem()
    w, b = tge.tensor(w0.copy(), requires_grad=True), tge.tensor(b0.copy(), requires_grad=True)
    tw, tb = torch.tensor(w0.copy(), requires_grad=True), torch.tensor(b0.copy(), requires_grad=True)
    lr, tlr = tge.tensor(kwargs["lr"], dtype=tge.float64), torch.tensor(kwargs["lr"], dtype=torch.float64)
    ours = getattr(optim, name)([w, b], **{**kwargs, "lr": lr})
    theirs = getattr(torch.optim, name)([tw, tb], **{**kwargs, "lr": tlr})
    sched = lr_scheduler.StepLR(ours, step_size=2, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(theirs, step_size=2, gamma=0.5)
    xs, ys, txs, tys = tge.tensor(x), tge.tensor(y), torch.tensor(x), torch.tensor(y)
    for step in range(1, STEPS + 1):
        for opt, args in ((ours, (xs, ys, w, b)), (theirs, (txs, tys, tw, tb))):
            opt.zero_grad()
            loss_fn(*args).backward()
            opt.step()
        sched.step()
        tsched.step()
        assert ours.param_groups[0]["lr"] is lr and theirs.param_groups[0]["lr"] is tlr
        assert lr.item() == tlr.item(), f"lr after step {step}"
        np.testing.assert_allclose(w.cpu().array, tw.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=f"step {step}")
        np.testing.assert_allclose(b.cpu().array, tb.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=f"step {step}")
    assert ours.param_groups[0]["initial_lr"].item() == theirs.param_groups[0]["initial_lr"].item() == kwargs["lr"]


def test_tensor_lr_checks_match_pytorch():
    for lib, mod in ((tge, optim), (torch, torch.optim)):
        p = lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
            mod.Adam([p], lr=lib.tensor([0.1, 0.2]))
        with pytest.raises(ValueError, match="Invalid learning rate"):
            mod.SGD([p], lr=lib.tensor(-0.5))
