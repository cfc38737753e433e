"""tinygrad_edu against itself with other settings, in ONE process, chunk by chunk.

    python benchmarks/bench_settings.py --arm p1m ops.conv.PARALLEL_BYTES=1048576
    python benchmarks/bench_settings.py --only small_cnn dncnn --arm im2col8 ops.winograd.MIN_EXACT_SIZE=16 --rounds 60
    python benchmarks/bench_settings.py --arm t1 threads._num_threads=1 --arm t1p1m threads._num_threads=1,ops.conv.PARALLEL_BYTES=1048576
    python benchmarks/bench_settings.py --quick --arm p0 ops.conv.PARALLEL_BYTES=0   # a smoke run

Why: on a host whose speed moves in episodes (the fifteenth session's AMD EPYC took the
same loop of Python 1.0-2.4 ms, in episodes of a few to tens of timings), two workers
timed in turn for 0.6 s each meet different episodes, and a change under about 10%
cannot be seen (benchmarks/issue14_log.md, "Fifteenth session"). Here every arm is the same
model in the same process, and the arms take turns every few milliseconds: a chunk of
steps (about ``--chunk-ms``) with the default settings, then a chunk with each arm's
settings, in an order reversed every other round. An episode then slows the arms of a
round alike, and the ratio arm / default of each round (paired) cancels it.

An arm is a set of module attributes of tinygrad_edu, ``MODULE.ATTR=VALUE`` joined by
commas (or semicolons; module_settings.py reads them), MODULE relative to the package
(``ops.conv``, ``ops.winograd``, ``threads``) and VALUE a Python literal. Only settings
that the code reads at each call can be compared this way (``ops.conv.PARALLEL_BYTES``,
``ops.conv.COLUMN_BYTES``, ``ops.winograd.MIN_SIZE``, ``MIN_EXACT_SIZE`` or ``ENABLED``,
``threads._num_threads``); a setting read once at import (an environment variable) needs
bench_side_by_side.py's ``--variant``. Every attribute is set back to its default after
each chunk and at the end.

The workloads are bench_side_by_side.py's (``build``), full size (``--quick``: its small
configs). Printed per workload and arm: the chunk times' min, 10th percentile and median
per step, the medians and 10th percentiles of the paired per-round ratios arm /
default, and each arm's peak memory: tracemalloc's peak over a fresh build of the
workload and one step with the arm's settings (NumPy's arrays counted exactly, as in
bench_side_by_side.py), and its ratio to the default's, so that a setting that buys
speed with memory (a larger ``COLUMN_BYTES``) shows both sides. No PyTorch, unless
``--after-torch``: then PyTorch is imported first and a chunk of PyTorch's twin of the
workload runs before every arm's chunk, as in bench_side_by_side.py's "same" arm (its
OpenMP workers spinning on after it), with the arms still paired.
"""
import argparse
import importlib
import json
import os
import sys
import time

from bench_side_by_side import WORKLOADS, build, peak_traced_mib, percentile
from module_settings import parse_arm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCHEMA = "tinygrad_edu.bench_settings/1"


def apply(settings, defaults):
    """Set every attribute any arm touches back to its default, then this arm's values."""
    for (module, attr), value in defaults.items():
        setattr(module, attr, value)
    for module, attr, value in settings:
        setattr(module, attr, value)


def steps_per_chunk(step, chunk_seconds):
    """How many steps make about ``chunk_seconds`` (at least one)."""
    start = time.perf_counter()
    step()
    return max(1, round(chunk_seconds / max(time.perf_counter() - start, 1e-7)))


def timed_chunk(step, k):
    """Seconds per step over k steps, after one untimed step (the settings just changed)."""
    step()
    start = time.perf_counter()
    for _ in range(k):
        step()
    return (time.perf_counter() - start) / k


def run_workload(step, arms, defaults, rounds, chunk_seconds, before=None):
    """{arm name: [seconds per step, one per round]}: the arms in turn each round
    (reversed every other round), "default" among them; ``before()`` (if given) runs
    before each arm's chunk."""
    names = list(arms)
    times = {name: [] for name in names}
    try:
        apply([], defaults)
        k = steps_per_chunk(step, chunk_seconds)
        for r in range(rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                if before is not None:
                    before()
                apply(arms[name], defaults)
                times[name].append(timed_chunk(step, k))
    finally:
        apply([], defaults)
    return times


def arm_peaks(build_step, arms, defaults):
    """{arm name: bench_side_by_side.peak_traced_mib} with each arm's settings in force
    (a setting such as ``ops.conv.COLUMN_BYTES`` trades memory for speed); the defaults
    come back after."""
    peaks = {}
    try:
        for name, settings in arms.items():
            apply(settings, defaults)
            peaks[name] = peak_traced_mib(build_step)
    finally:
        apply([], defaults)
    return peaks


def summary(times, peaks=None):
    """Per arm: min / p10 / median seconds per step, and the median / p10 of its
    per-round ratios to "default"; with ``peaks`` (``arm_peaks``) also its peak memory
    and that over the default's."""
    out = {}
    for name, ts in times.items():
        ratios = [t / d for t, d in zip(ts, times["default"])]
        out[name] = dict(min_s=min(ts), p10_s=percentile(ts, 10), median_s=percentile(ts, 50),
                         ratio_median=percentile(ratios, 50), ratio_p10=percentile(ratios, 10))
        if peaks is not None:
            out[name].update(peak_mib=peaks[name], memory_ratio=peaks[name] / peaks["default"])
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arm", nargs=2, action="append", default=[], metavar=("NAME", "MODULE.ATTR=VALUE,..."),
                   help="an arm: tinygrad_edu with these settings (repeatable)")
    p.add_argument("--only", nargs="+", choices=[w for w in WORKLOADS if w != "tiny"], default=["small_cnn"])
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--chunk-ms", type=float, default=20.0, help="time of one chunk of steps")
    p.add_argument("--after-torch", action="store_true",
                   help="PyTorch imported first, and a chunk of its twin step before every arm's chunk "
                        "(bench_side_by_side.py's 'same' arm, paired)")
    p.add_argument("--quick", action="store_true", help="small configs, 3 rounds, 2 ms chunks (a smoke run)")
    p.add_argument("--json", help="write the results here as JSON")
    args = p.parse_args(argv)
    if not args.arm:
        p.error("give at least one --arm NAME MODULE.ATTR=VALUE")
    if any(name == "default" for name, _ in args.arm):
        p.error("'default' is the arm with no changes; name the others differently")
    if args.quick:
        args.rounds, args.chunk_ms = 3, 2.0
    return args


def main(argv=None):
    sys.path.insert(0, HERE)
    sys.path.insert(0, ROOT)
    import numpy as np

    args = parse_args(argv)
    torch = None
    if args.after_torch:  # imported first, as in bench_side_by_side.py's "same" worker
        try:
            torch = importlib.import_module("torch")
        except ImportError:
            raise SystemExit("bench_settings: --after-torch needs PyTorch (pip install torch)") from None
    import tinygrad_edu
    from machine_info import machine

    arms = {"default": []}
    arms.update({name: parse_arm(text) for name, text in args.arm})
    defaults = {(m, a): getattr(m, a) for settings in arms.values() for m, a, _ in settings}
    command = "python benchmarks/bench_settings.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"machine: {machine()}")
    print(f"command: {command}")
    print(f"load average before (1, 5, 15 min): {[round(v, 2) for v in os.getloadavg()]}")
    for name, text in args.arm:
        print(f"arm {name}: {text}")
    result = dict(schema=SCHEMA, machine=machine(), command=command, arms=dict(args.arm), rounds=args.rounds,
                  chunk_ms=args.chunk_ms, after_torch=args.after_torch, workloads={})
    for workload in args.only:
        description, full, quick = WORKLOADS[workload]
        cfg = quick if args.quick else full
        step = build(workload, tinygrad_edu, cfg, np.random.default_rng(0))
        before = None
        if torch is not None:  # PyTorch's twin: a chunk of it before every arm's chunk
            twin = build(workload, torch, cfg, np.random.default_rng(0))
            k_twin = steps_per_chunk(twin, args.chunk_ms / 1e3)
            before = lambda: [twin() for _ in range(k_twin)]  # noqa: E731
        times = run_workload(step, arms, defaults, args.rounds, args.chunk_ms / 1e3, before)
        peaks = arm_peaks(lambda: build(workload, tinygrad_edu, cfg, np.random.default_rng(0)), arms, defaults)
        rows = summary(times, peaks)
        result["workloads"][workload] = dict(description=description, times_s=times, summary=rows)
        print(f"\n{workload}: {description}")
        print("| arm | min ms | p10 ms | median ms | arm/default, median of rounds | p10 of rounds "
              "| peak MiB (traced) | memory arm/default |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, row in rows.items():
            print(f"| {name} | {row['min_s'] * 1e3:.3f} | {row['p10_s'] * 1e3:.3f} | {row['median_s'] * 1e3:.3f} "
                  f"| {row['ratio_median']:.3f} | {row['ratio_p10']:.3f} "
                  f"| {row['peak_mib']:.2f} | {row['memory_ratio']:.2f} |")
    print(f"\nload average after: {[round(v, 2) for v in os.getloadavg()]}")
    if args.json:
        with open(args.json + ".tmp", "w") as f:  # written whole, then renamed: never half a file
            json.dump(result, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
        print(f"JSON: {args.json}")
    return result


if __name__ == "__main__":
    main()
