"""Per-node overhead of autograd: ``((a*b+c)*a).sum().backward()`` on 0-d tensors (4 op
nodes: mul, add, mul, sum), in tinygrad_edu and in PyTorch, each in its own fresh process.

    python benchmarks/bench_tiny_graph.py                  # 3 rounds x 400 repeats of 50 graphs
    python benchmarks/bench_tiny_graph.py --quick          # 1 round x 20 repeats: a smoke run

Each repeat times 50 graphs with ``perf_counter``; a worker reports the minimum and the
median over its repeats (the minimum is the cost when nothing interrupts; the median is
what a loaded machine gives), in microseconds per graph and per node. Rounds alternate
which framework goes first; the table gives the median over rounds of each statistic.
Issue 14's target is <= 9 us per node for tinygrad_edu on this workload.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NODES = 4
GRAPHS = 50
RESULT_PREFIX = "BENCH_RESULT "


def worker(framework, repeats):
    if framework == "tge":
        sys.path.insert(0, ROOT)
        import tinygrad_edu as T
    else:
        import torch as T
        T.set_num_threads(1)
    a, b, c = (T.tensor(v, requires_grad=True) for v in (0.5, -1.25, 2.0))
    for _ in range(200):  # warm-up: first calls, caches
        ((a * b + c) * a).sum().backward()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(GRAPHS):
            ((a * b + c) * a).sum().backward()
        times.append((time.perf_counter() - start) / GRAPHS * 1e6)
    return {"min_us": min(times), "median_us": statistics.median(times)}


def run(framework, repeats):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", framework, "--repeats", str(repeats)],
                          env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench_tiny_graph: the {framework} worker failed (exit {done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=400)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", choices=("tge", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(RESULT_PREFIX + json.dumps(worker(args.worker, args.repeats)), flush=True)
        return 0
    rounds, repeats = (1, 20) if args.quick else (args.rounds, args.repeats)
    sys.path.insert(0, HERE)
    import machine_info

    have_torch = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    frameworks = ("tge", "torch") if have_torch else ("tge",)
    print(f"machine: {machine_info.machine()}")
    print(f"command: python benchmarks/bench_tiny_graph.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"{rounds} round(s) x {repeats} repeats of {GRAPHS} graphs; load average before: "
          f"{open('/proc/loadavg').read().split()[0]}" + ("" if have_torch else "; PyTorch not importable: tge only"))
    results = {f: [] for f in frameworks}
    for r in range(rounds):
        for f in (frameworks if r % 2 == 0 else frameworks[::-1]):
            results[f].append(run(f, repeats))
    print("| framework | min us / graph | min us / node | median us / graph | median us / node |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for f, runs in results.items():
        low, mid = (statistics.median(run[k] for run in runs) for k in ("min_us", "median_us"))
        print(f"| {'tinygrad_edu' if f == 'tge' else 'PyTorch'} | {low:.1f} | {low / NODES:.1f} | {mid:.1f} | "
              f"{mid / NODES:.1f} |")
    print(f"load average after: {open('/proc/loadavg').read().split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
