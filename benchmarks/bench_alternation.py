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

If "sweep" or "sleep" costs as much as the other framework does, the threads are not
what costs. Times are medians of the chunks' per-step times; ratios are to "alone".

    python benchmarks/bench_alternation.py                       # mlp and batch_norm
    python benchmarks/bench_alternation.py --only mlp --chunks 300
    python benchmarks/bench_alternation.py --quick               # a smoke run

tinygrad_edu is imported first (PyTorch's OpenMP then starts with tinygrad_edu's
GOMP_SPINCOUNT; tinygrad_edu/threads.py); ``--torch-first`` imports PyTorch first.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHUNK_SECONDS = 0.002


def _per_step(step, k):
    """Run ``step`` k times; seconds per step."""
    start = time.perf_counter()
    for _ in range(k):
        step()
    return (time.perf_counter() - start) / k


def _steps_per_chunk(step):
    start = time.perf_counter()
    step()
    return max(1, int(CHUNK_SECONDS / max(time.perf_counter() - start, 1e-6)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", default=["mlp", "batch_norm"], help="workloads of bench_side_by_side.py")
    p.add_argument("--chunks", type=int, default=150, help="chunks timed per framework and mode")
    p.add_argument("--torch-first", action="store_true", help="import PyTorch before tinygrad_edu")
    p.add_argument("--quick", action="store_true", help="20 chunks of small workloads: a smoke run")
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
    from bench_side_by_side import WORKLOADS, build

    chunks = 20 if args.quick else args.chunks
    print(f"machine: {machine_info.machine()}")
    print("command: python benchmarks/bench_alternation.py" + "".join(f" {a}" for a in (argv or sys.argv[1:])))
    print(f"GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')} OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}; "
          f"load average before: {os.getloadavg()[0]:.2f}")

    sweep_buffer = np.ones(2**21, np.float32)  # 8 MiB

    def sweep():
        end = time.perf_counter() + CHUNK_SECONDS
        while time.perf_counter() < end:
            sweep_buffer.sum()

    def sleep():
        time.sleep(CHUNK_SECONDS)

    print("| workload | framework | alone ms | the other framework | sweep | sleep |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name in args.only:
        cfg = WORKLOADS[name][2 if args.quick else 1]
        steps = {fw: build(name, lib, cfg, np.random.default_rng(0)) for fw, lib in (("tge", tge), ("torch", torch))}
        for step in steps.values():
            for _ in range(5):  # warm-up: compiled kernels, first calls
                step()
        per_chunk = {fw: _steps_per_chunk(step) for fw, step in steps.items()}
        for fw, other in (("tge", "torch"), ("torch", "tge")):
            between = {
                "alone": None,
                other: lambda: _per_step(steps[other], per_chunk[other]),
                "sweep": sweep,
                "sleep": sleep,
            }
            medians = {}
            for mode, run_between in between.items():
                times = []
                for _ in range(chunks):
                    times.append(_per_step(steps[fw], per_chunk[fw]))
                    if run_between is not None:
                        run_between()
                medians[mode] = statistics.median(times)
            alone = medians["alone"]
            ratios = " | ".join(f"{medians[m] / alone:.2f}" for m in (other, "sweep", "sleep"))
            print(f"| {name} | {fw} | {alone * 1e3:.3f} | {ratios} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
