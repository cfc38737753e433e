"""What alternating with other work costs a framework's steps, whatever that work is.

bench_side_by_side.py's "same" arm runs tinygrad_edu and PyTorch in one process, each for
a chunk of about 2 ms at a time. A step there can be slower than alone for two kinds of
reason: the other framework's threads (PyTorch's OpenMP workers spinning on a core), or
the alternation itself (caches, branch predictors and the CPU's clock found cold after
2 ms of something else). This script tells them apart: in one process with both
frameworks, each framework's chunks run

    alone      back to back;
    torch/tge  alternated with chunks of the other framework (the "same" arm);
    sweep      alternated with 2 ms of NumPy sums over 8 MiB (a cache sweep, no threads);
    sleep      alternated with a 2 ms sleep (the core idles).

If "sweep" or "sleep" costs as much as the other framework does, the threads are not what
costs. Chunks run by the clock (steps until 2 ms have passed, as bench_side_by_side.py's
"same" arm). The modes take turns: every round runs each framework in each mode for
``--arm-seconds``, in an order that rotates from round to round, so that a slow episode of
the host (this project's hosts run the same loop up to 2x slower for seconds at a time)
falls on all modes alike. A mode's time in a round is the median of its chunks' per-step
times; its ratio to "alone" is taken within the round, and the table gives the median of
those ratios over the rounds with their interquartile range in brackets. The last column,
"other / sweep", is what the other framework's 2 ms cost beyond 2 ms of NumPy sums, round
by round: near 1 when the other framework costs a step no more than any work that leaves
the caches cold.

    python benchmarks/bench_alternation.py                       # mlp and batch_norm, 20 rounds
    python benchmarks/bench_alternation.py --only mlp --rounds 40
    python benchmarks/bench_alternation.py --quick               # a smoke run

tinygrad_edu is imported first (PyTorch's OpenMP then starts with tinygrad_edu's
GOMP_SPINCOUNT; tinygrad_edu/threads.py); ``--torch-first`` imports PyTorch first.
"""
import argparse
import os
import sys
import time

from bench_side_by_side import WORKLOADS, _timed_steps, build, median, percentile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHUNK_SECONDS = 0.002


def ratio_cell(numerators, denominators):
    """The table's cell for the ratios of two modes' times, round by round: their median,
    then their 25th and 75th percentiles (nearest rank) in brackets ("1.12 (1.08-1.20)")."""
    ratios = [a / b for a, b in zip(numerators, denominators)]
    return f"{median(ratios):.2f} ({percentile(ratios, 25):.2f}-{percentile(ratios, 75):.2f})"


def rotated(items, k):
    """``items`` starting from its ``k``-th (mod len): the order of the modes in round k."""
    k %= len(items)
    return items[k:] + items[:k]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", default=["mlp", "batch_norm"], help="workloads of bench_side_by_side.py")
    p.add_argument("--rounds", type=int, default=20, help="rounds; each runs every framework in every mode")
    p.add_argument("--arm-seconds", type=float, default=0.1, help="seconds of one framework in one mode, a round")
    p.add_argument("--torch-first", action="store_true", help="import PyTorch before tinygrad_edu")
    p.add_argument("--quick", action="store_true", help="2 short rounds of small workloads: a smoke run")
    args = p.parse_args(argv)
    sys.path.insert(0, HERE)
    sys.path.insert(0, ROOT)
    import numpy as np

    import machine_info

    if args.torch_first:
        import torch
    import tinygrad_edu as tge

    if not args.torch_first:
        import torch
    rounds, arm_seconds = (2, 0.02) if args.quick else (args.rounds, args.arm_seconds)
    print(f"machine: {machine_info.machine()}")
    print("command: python benchmarks/bench_alternation.py" + "".join(f" {a}" for a in (argv or sys.argv[1:])))
    print(f"GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')} OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}; "
          f"load average before: {os.getloadavg()[0]:.2f}; {rounds} rounds of {arm_seconds} s an arm")

    sweep_buffer = np.ones(2**21, np.float32)  # 8 MiB

    def sweep():
        end = time.perf_counter() + CHUNK_SECONDS
        while time.perf_counter() < end:
            sweep_buffer.sum()

    def sleep():
        time.sleep(CHUNK_SECONDS)

    print("| workload | framework | alone ms | the other framework | sweep | sleep | other / sweep |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in args.only:
        cfg = WORKLOADS[name][2 if args.quick else 1]
        steps = {fw: build(name, lib, cfg, np.random.default_rng(0)) for fw, lib in (("tge", tge), ("torch", torch))}
        for step in steps.values():
            for _ in range(5):  # warm-up: compiled kernels, first calls
                step()
        modes = ["alone", "other", "sweep", "sleep"]
        between = {"alone": None, "sweep": sweep, "sleep": sleep}
        # per framework and mode, the median per-step time of each round
        times = {(fw, mode): [] for fw in steps for mode in modes}
        for k in range(rounds):
            for fw in rotated(["tge", "torch"], k):
                other = "torch" if fw == "tge" else "tge"
                for mode in rotated(modes, k):
                    after = steps[other] if mode == "other" else between[mode]
                    chunks = _timed_steps([steps[fw]] + ([after] if after else []), arm_seconds, CHUNK_SECONDS)[0]
                    times[fw, mode].append(median(chunks))
        for fw in ("tge", "torch"):
            alone = times[fw, "alone"]
            cells = [ratio_cell(times[fw, m], alone) for m in ("other", "sweep", "sleep")]
            cells.append(ratio_cell(times[fw, "other"], times[fw, "sweep"]))
            print(f"| {name} | {fw} | {median(alone) * 1e3:.3f} | " + " | ".join(cells) + " |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
