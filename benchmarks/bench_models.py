"""``tinygrad-edu train NAME`` for the course models: time per epoch and the final task metric.

    python benchmarks/bench_models.py                       # every recipe, defaults, seed 0
    python benchmarks/bench_models.py dncnn vgg7            # some of them
    python benchmarks/bench_models.py --table runs/bench    # only print the table of finished runs

Each recipe runs as ``python -m tinygrad_edu train NAME --out OUT/NAME --no-progress`` in a
fresh process with one BLAS / OpenMP thread (robust on a shared machine: a descheduled BLAS
thread makes its partners spin). The table reads each run's ``metrics.json``: the mean wall
and CPU seconds per epoch (CPU seconds are what the process itself used: on a busy machine
the wall time is several times larger, the CPU time stays close to a quiet run's), the
task metric on the test data, and the target where the issue sets one.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tinygrad_edu.train_tasks import RECIPES  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import machine_info  # noqa: E402  (benchmarks/machine_info.py, beside this script)

TARGETS = {  # recipe: (metric, target, how it is judged)
    "dncnn": ("psnr", 5.0, "gain over the noisy input >= 5 dB"),
    "vgg7": ("accuracy", 0.98, ">= 98%"),
    "resnet20": ("accuracy", 0.98, ">= 98%"),
    "lenet5": ("accuracy", 0.98, ">= 98%"),
}


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(name, out):
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1")
    command = [sys.executable, "-m", "tinygrad_edu", "train", name, "--out", os.path.join(out, name), "--no-progress"]
    print("$", " ".join(command[1:]), f"   # load average before: {load_average()}", flush=True)
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    print(f"    load average after: {load_average()}", flush=True)


def row(name, folder):
    with open(os.path.join(folder, "metrics.json")) as f:
        m = json.load(f)
    epochs = len(m["seconds_per_epoch"])
    wall = sum(m["seconds_per_epoch"]) / epochs
    cpu = sum(m["cpu_seconds_per_epoch"]) / epochs
    test = m["test"]
    metric = RECIPES[name][0].metric
    value = test[metric]
    shown = f"{value:.2%}" if metric == "accuracy" else f"{value:.2f}" + (" dB" if metric == "psnr" else "")
    if "noisy_psnr" in test:
        shown += f" (noisy input {test['noisy_psnr']:.2f} dB, gain {value - test['noisy_psnr']:+.2f} dB)"
    verdict = ""
    if name in TARGETS:
        _, target, text = TARGETS[name]
        reached = (value - test["noisy_psnr"] >= target) if name == "dncnn" else value >= target
        verdict = f"{text}: {'met' if reached else 'NOT met'}"
    return (f"| {name} | {epochs} | {wall:.1f} | {cpu:.1f} | {epochs * cpu / 60:.1f} | {metric}: {shown} | "
            f"{verdict} |")


def table(out, names):
    lines = ["| recipe | epochs | wall s / epoch | CPU s / epoch | CPU min total | test metric | target |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in names:
        if os.path.exists(os.path.join(out, name, "metrics.json")):
            lines.append(row(name, os.path.join(out, name)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(RECIPES), help="recipes (default: all)")
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "bench"), help="folder of the runs")
    parser.add_argument("--table", action="store_true", help="do not train: print the table of finished runs")
    args = parser.parse_args()
    if not args.table:
        print(f"machine: {machine_info.machine()}; one BLAS / OpenMP / Numba thread per run", flush=True)
        for name in args.names:
            run(name, args.out)
    print(table(args.out, args.names))


if __name__ == "__main__":
    main()
