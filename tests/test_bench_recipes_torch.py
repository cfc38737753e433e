"""benchmarks/bench_recipes_torch.py compares like with like: its PyTorch loop trains the same
model from the same weights on the same batch with the same loss as the recipe's own
``train_step``. Where a step draws nothing random, the first losses (computed before any
update) must be equal; where it draws noise, augmentations or latents, the loss must still
be finite and of the recipe's kind. Timings are not checked (a test asserts no speed).
"""
import importlib.util
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu import train_tasks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_recipes_torch.py")
DETERMINISTIC = ("unet", "autoencoder", "sparse_autoencoder", "coordinate_mlp")  # no random draw inside a step


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_recipes_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(train_tasks.RECIPES))
def test_the_pytorch_loop_takes_the_recipes_step(name):
    bench = load_bench()
    tge.manual_seed(0)
    torch.manual_seed(0)
    task = train_tasks.make_task(name, seed=0)
    first = next(iter(task.steps()))
    torch_step = bench.torch_step_fn(name, task)  # copies the initial weights before tinygrad_edu steps
    theirs = torch_step(first)
    ours = task.train_step(first)
    assert math.isfinite(theirs) and math.isfinite(ours)
    if name in DETERMINISTIC:
        assert theirs == pytest.approx(ours, rel=1e-4), f"{name}: PyTorch's first loss {theirs} vs ours {ours}"
    else:  # random draws differ between the sides: the same kind of loss, roughly the same size
        assert 0.2 < theirs / ours < 5.0, f"{name}: PyTorch's first loss {theirs} vs ours {ours}"


def test_the_twin_starts_from_the_recipes_weights():
    bench = load_bench()
    task = train_tasks.make_task("dn_resnet", seed=0)
    twin = bench.twin_of("dn_resnet", task.model)
    ours = task.model.state_dict()
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours[key].cpu().numpy(), err_msg=key)


@pytest.mark.slow  # two worker processes per recipe
def test_quick_run_prints_machine_command_and_one_row_per_recipe():
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "lenet5", "coordinate_mlp"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "machine:" in run.stdout and "command: python benchmarks/bench_recipes_torch.py --quick" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith("| lenet5 ") or line.startswith("| coordinate_mlp ")]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == "2"  # --quick: two batches
        assert all(float(c) > 0 for c in cells[2:8])


@pytest.mark.slow  # two worker processes
def test_threads_reach_both_workers(tmp_path):
    out = tmp_path / "times.json"
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--threads", "2", "lenet5", "--json", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "2 thread(s) per side" in run.stdout and "OPENBLAS_NUM_THREADS=1" in run.stdout
    times = json.loads(out.read_text())["lenet5"]
    assert times["tge"][0]["threads"] == {"tasks": 2, "blas": 1}  # tinygrad_edu's own setup: tasks on 2, BLAS at 1
    assert times["torch"][0]["threads"] == {"torch": 2}
    row = next(line for line in run.stdout.splitlines() if line.startswith("| lenet5 "))
    assert float(row.strip("|").split("|")[7]) > 0  # the wall ratio


def test_unknown_recipe_is_refused():
    run = subprocess.run([sys.executable, SCRIPT, "no_such_model"], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 2 and "unknown recipe" in run.stderr and "vgg7" in run.stderr
