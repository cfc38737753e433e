"""Forward + backward time and peak memory of conv2d, conv_transpose2d and max_pool2d:
tinygrad_edu (NumPy and Numba kernel sets) against PyTorch CPU and against the
machine's float32 GEMM throughput, all in one run on the same machine.

    python benchmarks/bench_conv.py                 # table + runs/benchmarks/conv_times.png
    python benchmarks/bench_conv.py --plot benchmarks/conv_times.png   # update the committed figure
    python benchmarks/bench_conv.py --repeats 15 --only conv2d
    python benchmarks/bench_conv.py --threads 1 --plot ''   # one BLAS/OpenMP/Numba thread
    python benchmarks/bench_conv.py --column-mib 4 --plot ''  # smaller im2col batch slices

Each (framework, op) case runs in its own subprocesses: one for time, one for memory.
Time is the median of the repeats after a warm-up step (which also pays Numba's
compile or cache load). Peak memory is the growth of the process's peak resident
memory (Linux VmHWM, reset through /proc/self/clear_refs just before one
forward+backward) over its resident memory once the inputs exist and the warm-up has
run. The memory run sets MALLOC_MMAP_THRESHOLD_ so that glibc serves every block over
64 KiB with its own mmap and returns it to the OS when freed: resident memory then
follows the live arrays of both NumPy and PyTorch, instead of hiding a step's
temporaries in memory that the warm-up step left in the heap. (That setting costs
page faults, so the time run leaves malloc alone.)

The machine may be shared: the load average is printed before and after the run.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import machine_info  # benchmarks/machine_info.py, beside this script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repository

CASES = {
    # name: (input shape, weight shape, kwargs, description)
    "conv2d": ((32, 64, 32, 32), (64, 64, 3, 3), dict(padding=1), "N=32, 64->64 ch, 32x32, 3x3, pad 1"),
    "conv_transpose2d": ((16, 64, 16, 16), (64, 32, 4, 4), dict(stride=2, padding=1), "N=16, 64->32 ch, 16x16->32x32, 4x4, stride 2, pad 1"),
    "max_pool2d": ((32, 64, 32, 32), None, dict(kernel_size=2), "N=32, C=64, 32x32, 2x2"),
}


def gemm_flops(name):
    """Multiply-add FLOPs of forward + backward (input and weight gradients) when each
    is one GEMM: the im2col lower bound. Pooling does no GEMM."""
    x, w, kw, _ = CASES[name]
    if name == "conv2d":
        n, c, h, wd = x
        oc, _, kh, kwd = w
        return 3 * 2 * n * oc * c * kh * kwd * h * wd  # output 32x32 (pad 1): forward, dX, dW
    if name == "conv_transpose2d":
        n, cin, h, wd = x
        _, cout, kh, kwd = w
        return 3 * 2 * n * cin * cout * kh * kwd * h * wd  # each input pixel meets the whole kernel
    return 0


def _status_mib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024


def run_case(framework, name, repeats, measure):
    """Runs inside the subprocess: ``measure`` "time" (median of the repeats, seconds)
    or "memory" (peak growth in MiB during one forward+backward)."""
    import numpy as np

    x_shape, w_shape, kwargs, _ = CASES[name]
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(x_shape).astype(np.float32)
    w_np = rng.standard_normal(w_shape).astype(np.float32) if w_shape else None
    if framework == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
        x = torch.tensor(x_np, requires_grad=True)
        w = torch.tensor(w_np, requires_grad=True) if w_np is not None else None
        fn = getattr(torch.nn.functional, name)
    else:
        import tinygrad_edu as tge
        from tinygrad_edu import kernels

        kernels.use(framework)
        if os.environ.get("BENCH_COLUMN_MIB"):  # --column-mib: the im2col slice budget of ops/conv.py
            from tinygrad_edu.ops import conv

            conv.COLUMN_BYTES = int(float(os.environ["BENCH_COLUMN_MIB"]) * 2**20)
        x = tge.tensor(x_np, requires_grad=True)
        w = tge.tensor(w_np, requires_grad=True) if w_np is not None else None
        fn = getattr(tge.nn.functional, name)

    def step():
        out = fn(x, w, **kwargs) if w is not None else fn(x, **kwargs)
        out.sum().backward()
        x.grad = None
        if w is not None:
            w.grad = None

    step()  # warm-up (Numba compile or cache load, allocator warm-up)
    if measure == "memory":
        base = _status_mib("VmRSS:")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak-RSS counter (VmHWM) to the current RSS
        step()
        print(json.dumps({"peak_mib": _status_mib("VmHWM:") - base}))
        return
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times}))


def gemm_throughput():
    """float32 GEMM FLOP/s of this machine (NumPy's BLAS with its threads), best of 5."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(5))
    return 2 * 2048**3 / best


def _load():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3]) + f" (1, 5, 15 min; {os.cpu_count()} cores)"
    except OSError:
        return "unknown"


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def build_parser():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per round (after one warm-up step)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of timing, each a fresh process per case")
    # by default into the ignored runs/ folder: a run never overwrites the committed figure
    parser.add_argument("--plot", default=os.path.join(ROOT, "runs", "benchmarks", "conv_times.png"),
                        help="where to save the plot ('' for none; default: runs/benchmarks/conv_times.png)")
    parser.add_argument("--column-mib", type=float, help="im2col columns per batch slice (ops/conv.py COLUMN_BYTES), MiB")
    parser.add_argument("--threads", type=int, help="threads for BLAS, OpenMP (PyTorch) and Numba (default: all cores)")
    parser.add_argument("--only", nargs="+", choices=list(CASES), help="run only these ops")
    parser.add_argument("--case", nargs=4, metavar=("FRAMEWORK", "OP", "REPEATS", "MEASURE"), help=argparse.SUPPRESS)
    return parser


def main():
    args = build_parser().parse_args()
    if args.case:
        return run_case(args.case[0], args.case[1], int(args.case[2]), args.case[3])

    if args.threads:  # before NumPy, Numba or PyTorch start their thread pools (here and in the cases)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    if args.column_mib:
        os.environ["BENCH_COLUMN_MIB"] = str(args.column_mib)
    frameworks = ["numpy", "numba"]
    try:
        import torch  # noqa: F401

        frameworks.append("torch")
    except ImportError:
        print("PyTorch is not installed: no PyTorch column (pip install torch==2.13.0)")
    print(f"machine: {machine_info.machine()}")
    print(f"command: {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    budget = f"{args.column_mib} MiB" if args.column_mib else "default"
    print(f"threads: {args.threads or f'all ({os.cpu_count()})'}; column budget: {budget}; load average before: {_load()}")
    flops_per_s = gemm_throughput()
    print(f"float32 GEMM throughput (2048^3 matmul, NumPy BLAS): {flops_per_s / 1e9:.1f} GFLOP/s\n")

    results = {}
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(here) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # glibc: every block over 64 KiB gets its own mmap, returned to the OS when freed
    mem_env = dict(env, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
    cases = {name: CASES[name] for name in (args.only or CASES)}

    def run(fw, name, measure, repeats, case_env):
        cmd = [sys.executable, os.path.abspath(__file__), "--case", fw, name, str(repeats), measure]
        out = subprocess.run(cmd, capture_output=True, text=True, env=case_env)
        if out.returncode:
            print(out.stderr)
            raise SystemExit(f"case {fw} {name} failed")
        return json.loads(out.stdout.strip().splitlines()[-1])

    for name in cases:
        for fw in frameworks:
            results[(fw, name)] = dict(run(fw, name, "memory", 1, mem_env), times=[])
    # Time in rounds, every framework once per round, so that a change in the machine's
    # load (other processes) hits all of them alike; the median is over all rounds.
    for _ in range(args.rounds):
        for name in cases:
            for fw in frameworks:
                results[(fw, name)]["times"] += run(fw, name, "time", args.repeats, env)["times"]
    for r in results.values():
        r["time"] = sorted(r["times"])[len(r["times"]) // 2]
        r["best"] = min(r["times"])
    print(f"load average after:  {_load()}\n")

    flops_after = gemm_throughput()
    print(f"float32 GEMM throughput after the run: {flops_after / 1e9:.1f} GFLOP/s; the bound uses the higher one")
    flops_per_s = max(flops_per_s, flops_after)
    print("forward + backward, float32; time: median (and best) of all rounds; peak: memory growth in one step\n")
    header = f"{'set':<8}{'median ms':>10}{'best ms':>9}{'peak MiB':>10}{'x torch t':>10}{'x torch mem':>12}{'x GEMM bound':>13}"
    for name, (_, _, _, desc) in cases.items():
        bound = gemm_flops(name) / flops_per_s
        print(f"{name}: {desc}")
        print(header)
        for fw in frameworks:
            r = results[(fw, name)]
            t = results.get(("torch", name))
            vs_t = f"{r['time'] / t['time']:.2f}" if t else "-"
            vs_m = f"{r['peak_mib'] / max(t['peak_mib'], 1e-9):.2f}" if t else "-"
            vs_g = f"{r['time'] / bound:.2f}" if bound else "-"
            print(f"{fw:<8}{r['time'] * 1e3:>10.1f}{r['best'] * 1e3:>9.1f}{r['peak_mib']:>10.1f}{vs_t:>10}{vs_m:>12}{vs_g:>13}")
        if bound:
            print(f"{'bound':<8}{bound * 1e3:>10.1f}   ({gemm_flops(name) / 1e9:.2f} GFLOP at {flops_per_s / 1e9:.0f} GFLOP/s)")
        print()

    if not args.plot:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        fig, ax = plt.subplots(figsize=(7, 3.5))
        names = list(cases)
        width = 0.8 / len(frameworks)
        labels = {"numpy": "tinygrad_edu, numpy kernels", "numba": "tinygrad_edu, numba kernels", "torch": "PyTorch"}
        for i, fw in enumerate(frameworks):
            times = [results[(fw, n)]["time"] * 1e3 for n in names]
            bars = ax.bar(np.arange(len(names)) + i * width, times, width, label=labels[fw])
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        bounds = [gemm_flops(n) / flops_per_s * 1e3 for n in names]
        for k, b in enumerate(bounds):
            if b:
                ax.hlines(b, k - width / 2, k + width * (len(frameworks) - 0.5), colors="k", linestyles="--", lw=1,
                          label="GEMM lower bound" if k == 0 else None)
        ax.set_xticks(np.arange(len(names)) + width * (len(frameworks) - 1) / 2, names)
        ax.set_ylabel("forward + backward (ms)")
        ax.set_title(f"forward + backward per op (float32, CPU, {args.threads or os.cpu_count()} threads, "
                     f"median of {args.rounds}x{args.repeats})", fontsize=10)
        ax.legend()
        fig.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        fig.savefig(args.plot, dpi=120)
        print(f"\nplot: {args.plot}")
    except ImportError:
        print("matplotlib not installed: no plot")


if __name__ == "__main__":
    main()
