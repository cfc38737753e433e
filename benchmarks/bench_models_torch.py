"""CPU seconds of one training step (forward, backward, Adam) of a course model in tinygrad_edu
and in PyTorch (the twins of tests/models/torch_twins.py), one thread each, same batch.

    python benchmarks/bench_models_torch.py

CPU time (``time.process_time``) rather than wall time, so the ratio stays meaningful on a
shared machine; the median of ``--steps`` steps after one warm-up step.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu import models as M  # noqa: E402
from tests.models import torch_twins as T  # noqa: E402

CASES = {  # name: (tge model, torch twin, batch shape, target kind)
    "dncnn": (lambda: M.dncnn(), lambda: T.DnCNN(), (8, 1, 40, 40), "image"),
    "vgg7": (lambda: M.vgg7(1, 10), lambda: T.vgg7(1, 10), (32, 1, 8, 8), "class"),
    "resnet20": (lambda: M.resnet20(10, 1), lambda: T.CifarResNet(3, 10, 1), (32, 1, 8, 8), "class"),
    "lenet5": (lambda: M.lenet5(), lambda: T.LeNet5(), (32, 1, 28, 28), "class"),
    "unet": (lambda: M.unet(1, 4, 8, 3, padding=1), lambda: T.UNet(1, 4, 8, 3, padding=1), (16, 1, 32, 32), "pixels"),
}


def step_times(model, x, target, loss_fn, optimizer, steps):
    times = []
    for _ in range(steps + 1):
        start = time.process_time()
        loss = loss_fn(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.process_time() - start)
    return statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print("| model | batch | tinygrad_edu CPU s / step | PyTorch CPU s / step | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name, (build, build_twin, shape, kind) in CASES.items():
        x = rng.standard_normal(shape).astype(np.float32)
        if kind == "class":
            y = rng.integers(0, 10, shape[0])
        elif kind == "pixels":
            y = rng.integers(0, 4, (shape[0],) + shape[2:])
        else:
            y = x
        ours = build()
        ours_time = step_times(ours, tge.tensor(x), tge.tensor(y), tge.nn.MSELoss() if kind == "image" else
                               tge.nn.CrossEntropyLoss(), tge.optim.Adam(ours.parameters(), 1e-3), args.steps)
        twin = build_twin()
        theirs_time = step_times(twin, torch.as_tensor(x), torch.as_tensor(y), torch.nn.MSELoss() if kind == "image"
                                 else torch.nn.CrossEntropyLoss(), torch.optim.Adam(twin.parameters(), 1e-3), args.steps)
        print(f"| {name} | {shape} | {ours_time:.3f} | {theirs_time:.3f} | {ours_time / theirs_time:.1f} |", flush=True)


if __name__ == "__main__":
    main()
