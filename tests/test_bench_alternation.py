"""benchmarks/bench_alternation.py --quick runs end to end and prints the machine, the command
and, per workload, a row per framework with a positive time and positive ratios, each the
median of its rounds inside its interquartile range (no speed is asserted); its helpers on
known inputs; its plain-NumPy and minimal-autograd MLP steps compute what tinygrad_edu's
step computes."""
import os
import re
import subprocess
import sys

import pytest

from .benchmark_scripts import load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_alternation.py")


def test_quick_run_prints_machine_command_and_rows():
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "mlp"], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "machine:" in run.stdout and "command: python benchmarks/bench_alternation.py --quick --only mlp" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith("| mlp |")]
    assert [row.split("|")[2].strip() for row in rows] == ["tge", "torch", "numpy", "micro"]
    for row in rows:
        alone, *ratios = row.strip("|").split("|")[2:]
        assert float(alone) > 0
        # beside PyTorch, tinygrad_edu, plain NumPy, micro autograd; sweep, C code, sleep, other / sweep
        assert len(ratios) == 8
        for cell in ratios:
            median, q1, q3 = map(float, re.fullmatch(r"\s*(\S+) \((\S+)-(\S+)\)\s*", cell).groups())
            assert 0 < q1 <= median <= q3


def test_ratio_cell_and_rotated(monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(ROOT, "benchmarks"))
    import bench_alternation

    assert bench_alternation.ratio_cell([3.0], [1.5]) == "2.00 (2.00-2.00)"
    # round by round: 2/1, 6/2, 3/3, 8/2, 5/5 -> ratios 2, 3, 1, 4, 1
    assert bench_alternation.ratio_cell([2, 6, 3, 8, 5], [1, 2, 3, 2, 5]) == "2.00 (1.00-3.00)"
    # the ratios of the same rounds, not of the sorted lists: 1/4, 4/1 -> 0.25, 4
    assert bench_alternation.ratio_cell([1, 4], [4, 1]) == "2.12 (0.25-4.00)"
    modes = ["alone", "other", "sweep", "sleep"]
    orders = [bench_alternation.rotated(modes, k) for k in range(4)]
    assert orders[1] == ["other", "sweep", "sleep", "alone"] and bench_alternation.rotated(modes, 5) == orders[1]
    # over four rounds every mode takes every place once
    assert all(sorted(order[place] for order in orders) == sorted(modes) for place in range(4))


def _mlp_case(seed):
    """Data and parameters for the "mlp" workload's MLP: x (16, 64), y (16,), and
    [W1, b1, W2, b2, W3, b3] as float32 arrays; and tinygrad_edu's MLP holding copies."""
    import numpy as np

    import tinygrad_edu as tge

    sizes = load("bench_alternation").MLP_SIZES
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((16, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], 16)
    params, layers = [], []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        params += [rng.standard_normal((fan_out, fan_in)).astype(np.float32) * fan_in**-0.5,
                   rng.standard_normal(fan_out).astype(np.float32) * 0.1]
        layers += [tge.nn.Linear(fan_in, fan_out), tge.nn.ReLU()]
    model = tge.nn.Sequential(*layers[:-1])  # no ReLU after the last layer
    with tge.no_grad():
        for p, value in zip(model.parameters(), params):
            p.array[...] = value
    return x, y, params, model


def _tge_steps(model, x, y, lr, steps):
    """``steps`` of tinygrad_edu's Adam on the mean cross-entropy; each step's loss."""
    import tinygrad_edu as tge

    opt = tge.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = tge.nn.functional.cross_entropy(model(tge.tensor(x)), tge.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_plain_mlp_computes_tinygrad_edus_step():
    """Same parameters, data and Adam: plain_mlp's loss and updated parameters are
    tinygrad_edu's, step after step (float32 rounding apart), so the two steps differ
    only by the framework's code."""
    import numpy as np

    import tinygrad_edu as tge
    from tinygrad_edu import kernels

    bench_alternation = load("bench_alternation")
    x, y, params, model = _mlp_case(3)
    opt = tge.optim.Adam(model.parameters(), lr=bench_alternation.ADAM_LR)
    plain_params = [p.copy() for p in params]
    step = bench_alternation.plain_mlp(x, y, plain_params, bench_alternation.adam(plain_params, kernels.adam_update))
    for _ in range(3):
        opt.zero_grad()
        loss = tge.nn.functional.cross_entropy(model(tge.tensor(x)), tge.tensor(y))
        loss.backward()
        opt.step()
        np.testing.assert_allclose(step(), loss.item(), rtol=1e-5)
        for p, plain in zip(model.parameters(), plain_params):
            np.testing.assert_allclose(plain, p.array, rtol=1e-5, atol=1e-6)
    # and the parameters moved: the comparison is not of untouched copies
    assert all(np.abs(plain - start).max() > 1e-4 for plain, start in zip(plain_params, params))


def test_plain_mlp_comparison_catches_other_arithmetic(monkeypatch):
    """The comparison above can fail: with its ReLUs dropped (np.maximum planted as the
    identity while it steps, so it trains a linear network), the plain step ends
    elsewhere than tinygrad_edu's."""
    import numpy as np

    from tinygrad_edu import kernels

    bench_alternation = load("bench_alternation")
    x, y, params, model = _mlp_case(4)
    (loss,) = _tge_steps(model, x, y, bench_alternation.ADAM_LR, 1)
    plain_params = [p.copy() for p in params]
    step = bench_alternation.plain_mlp(x, y, plain_params, bench_alternation.adam(plain_params, kernels.adam_update))
    with monkeypatch.context() as m:
        m.setattr(np, "maximum", lambda a, b: a)
        planted_loss = step()
    assert abs(planted_loss - loss) > 1e-3
    worst = max(np.abs(plain - p.array).max() for plain, p in zip(plain_params, model.parameters()))
    assert worst > 1e-4


def _micro_step(bench_alternation, x, y, params):
    """The minimal autograd's MLP step on x, y and ``params`` (updated in place), with
    the benchmark's Adam settings and tinygrad_edu's compiled Adam pass."""
    from tinygrad_edu import kernels

    micro = load("micro_autograd")
    return micro.micro_mlp(x, y, params, bench_alternation.adam(params, kernels.adam_update))


def test_micro_mlp_computes_tinygrad_edus_step():
    """Same parameters, data and Adam: the minimal autograd's loss is tinygrad_edu's step
    after step, and its parameters after three steps are tinygrad_edu's (float32 rounding
    apart), and have moved."""
    import numpy as np

    bench_alternation = load("bench_alternation")
    x, y, params, model = _mlp_case(5)
    micro_params = [p.copy() for p in params]
    step = _micro_step(bench_alternation, x, y, micro_params)
    for loss in _tge_steps(model, x, y, bench_alternation.ADAM_LR, 3):
        np.testing.assert_allclose(step(), loss, rtol=1e-5)
    for p, micro in zip(model.parameters(), micro_params):
        np.testing.assert_allclose(micro, p.array, rtol=1e-5, atol=1e-6)
    assert all(np.abs(micro - start).max() > 1e-4 for micro, start in zip(micro_params, params))


def test_micro_mlp_comparison_catches_a_wrong_backward(monkeypatch):
    """The comparison above can fail: with a ReLU whose backward passes the gradient
    everywhere (its mask dropped), the minimal autograd's parameters end elsewhere."""
    import numpy as np

    bench_alternation = load("bench_alternation")
    micro = load("micro_autograd")
    x, y, params, model = _mlp_case(6)
    micro_params = [p.copy() for p in params]
    step = _micro_step(bench_alternation, x, y, micro_params)
    monkeypatch.setattr(micro, "relu", lambda node: micro.Node(np.maximum(node.data, 0), (node,), node.add_grad))
    _tge_steps(model, x, y, bench_alternation.ADAM_LR, 2)
    step()
    step()
    worst = max(np.abs(m - p.array).max() for m, p in zip(micro_params, model.parameters()))
    assert worst > 1e-4
