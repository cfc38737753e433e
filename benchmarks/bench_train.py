"""Training targets of the course models: ``tinygrad-edu train mlp`` and ``... cnn`` with
their default settings, timed end to end, against the targets of issue 4.

    MLP >= 97% and CNN >= 98% test accuracy on the digits' held-out 20%, each < 60 s on 2 CPU cores.

    python benchmarks/bench_train.py                  # both models, seed 0, 2 cores
    python benchmarks/bench_train.py --seeds 0 1 2    # how much the result depends on the seed
    python benchmarks/bench_train.py --cores 0        # every core of the machine

Each training is a fresh subprocess running the command printed above its row, so the
wall time includes starting Python, importing, loading the data and Numba's kernel cache,
training, evaluating and writing the checkpoint and plot; "train s" is the part spent in
``fit``; "cpu s" is the subprocess's user + system CPU time. With ``--cores N`` the
subprocess is pinned to N CPUs (``sched_setaffinity``) and its BLAS / OpenMP / Numba
thread pools get ``--threads`` threads (default N).

The machine may be shared: the load average is printed before and after. On a busy
machine a multi-threaded BLAS can lose much more than its share (a thread that waits for
a descheduled partner spins, which shows as cpu s far above what a quiet run needs);
``--threads 1`` is the robust choice there.

The same commands against a PyTorch twin of the same training loop, per epoch:
``benchmarks/bench_train_torch.py``.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import machine_info  # benchmarks/machine_info.py, beside this script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = {"mlp": 0.97, "cnn": 0.98}
TIME_LIMIT_S = 60.0
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def machine():
    import matplotlib

    return f"{machine_info.machine()}, matplotlib {matplotlib.__version__}"


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3]) + f" (1, 5, 15 min; {os.cpu_count()} cores)"
    except OSError:
        return "unknown"


def cli_prefix():
    """How to run ``tinygrad-edu train``: the package's command when it has ``train``,
    else the train module itself (the same parser and code)."""
    sys.path.insert(0, ROOT)
    from tinygrad_edu import cli

    commands = next((a.choices for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)), {})
    if "train" in commands:
        return [sys.executable, "-m", "tinygrad_edu", "train"], "tinygrad-edu train"
    return [sys.executable, "-m", "tinygrad_edu.train_cli"], "python -m tinygrad_edu.train_cli"


def pinned(cores, threads=None):
    """(preexec_fn, env, cpus) running a subprocess on ``cores`` CPUs (0: no pinning)
    with ``threads`` BLAS / OpenMP / Numba threads (default: ``cores``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "") if env.get("PYTHONPATH") else ROOT
    if threads:
        for name in THREAD_VARIABLES:
            env[name] = str(threads)
    if not cores:
        return None, env, sorted(os.sched_getaffinity(0))
    available = sorted(os.sched_getaffinity(0))
    if len(available) < cores:
        print(f"warning: only {len(available)} CPUs available, running on all of them instead of {cores}")
        cores = len(available)
    cpus = available[:cores]
    for name in THREAD_VARIABLES:
        env[name] = str(threads or cores)
    return (lambda: os.sched_setaffinity(0, cpus)), env, cpus


def run_one(prefix, shown, model, seed, out, cores, threads):
    args = [model, "--seed", str(seed), "--out", out, "--no-progress"]
    preexec, env, cpus = pinned(cores, threads)
    print(f"$ {shown} {' '.join(args)}    # on CPUs {cpus}, {env.get('OPENBLAS_NUM_THREADS', 'default')} BLAS threads",
          flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(prefix + args, cwd=ROOT, env=env, preexec_fn=preexec, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr)
        raise SystemExit(f"{shown} {model} failed with exit status {proc.returncode}")
    for line in proc.stdout.splitlines():
        print("    " + line)
    acc = re.search(r"test accuracy: ([\d.]+)% \((\d+)/(\d+)\)", proc.stdout)
    trained = re.search(r"trained (\d+) epochs in ([\d.]+) s", proc.stdout)
    return dict(model=model, seed=seed, wall=wall, cpu=cpu, accuracy=float(acc.group(1)) / 100, correct=int(acc.group(2)),
                total=int(acc.group(3)), epochs=int(trained.group(1)), train_s=float(trained.group(2)))


def build_parser():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--models", nargs="+", choices=sorted(TARGETS), default=["mlp", "cnn"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--cores", type=int, default=2, help="CPUs to pin each training to (0: no pinning; default 2)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS / OpenMP / Numba threads (default: --cores)")
    parser.add_argument("--out", default=None, help="folder for the runs' outputs (default: a temporary folder)")
    return parser


def main():
    args = build_parser().parse_args()

    print(f"machine: {machine()}")
    print(f"load average before: {load_average()}")
    prefix, shown = cli_prefix()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.out or tmp
        for model in args.models:
            for seed in args.seeds:
                out = os.path.join(base, f"{model}-seed{seed}")
                results.append(run_one(prefix, shown, model, seed, out, args.cores, args.threads))
    print(f"load average after: {load_average()}")

    cores = f"{args.cores} cores" if args.cores else "all cores"
    print(f"\nmodel  seed  epochs  train s  wall s   cpu s  test accuracy     target (>= acc, < {TIME_LIMIT_S:.0f} s wall, {cores})")
    all_met = True
    for r in results:
        target = TARGETS[r["model"]]
        acc_ok, time_ok = r["accuracy"] >= target, r["wall"] < TIME_LIMIT_S
        all_met &= acc_ok and time_ok
        verdict = "met" if acc_ok and time_ok else "NOT met (" + ", ".join(
            w for w, ok in (("accuracy", acc_ok), ("time", time_ok)) if not ok) + ")"
        print(f"{r['model']:<5}  {r['seed']:>4}  {r['epochs']:>6}  {r['train_s']:>7.1f}  {r['wall']:>6.1f}  {r['cpu']:>6.1f}  "
              f"{r['accuracy']:>7.2%} ({r['correct']}/{r['total']})  >= {target:.0%}: {verdict}")
    print("all targets met" if all_met else "some targets NOT met")
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
