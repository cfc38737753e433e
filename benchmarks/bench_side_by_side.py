"""tinygrad_edu and PyTorch side by side: the same workloads, each framework in its own
long-lived worker process, rounds alternated, plus two contention modes.

    python benchmarks/bench_side_by_side.py                      # all workloads, JSON + PNG in runs/bench/
    python benchmarks/bench_side_by_side.py --quick              # small shapes, one short round (a smoke test)
    python benchmarks/bench_side_by_side.py --only conv2d batch_norm --rounds 8
    python benchmarks/bench_side_by_side.py --variant wq NUMBA_THREADING_LAYER=workqueue --only conv2d
    python benchmarks/bench_side_by_side.py --modes alone same same1 --chunk-ms 20   # fewer switches a second

The workloads are written once, against a namespace ``T`` that is either
``tinygrad_edu`` or ``torch`` (the APIs match), so both frameworks run literally the
same code: the tiny scalar graph ``((a*b+c)*a).sum().backward()`` (4 nodes), an MLP
training step, conv2d / conv_transpose2d / max_pool2d / batch_norm (training)
forward + backward, a small-CNN training step (the course's digits model) and a
DnCNN-small training step (8 convolutions built from nn layers).

**Arms.** Every timing is one *arm*: a framework in a worker under a condition.

- ``alone``: the framework in its own worker (tinygrad_edu without PyTorch imported).
- ``hog``: the same workers while a background process spins on one core (a browser
  tab, a second notebook). The hog is one process, stopped (SIGSTOP) between hog arms.
- ``same``: both frameworks in ONE worker; its steps alternate tinygrad_edu / PyTorch
  in chunks of ``--chunk-ms`` (2 ms; steps run until that time has passed, at least
  one), so each framework runs right after the other one did (thread pools of both alive).
- ``same1``: the same, with PyTorch held at one thread (``torch.set_num_threads(1)``: no
  OpenMP workers to spin or wake). What ``same`` costs beyond ``same1`` is PyTorch's
  thread pool; what ``same1`` costs beyond ``alone`` is everything else alternation
  does, above all the other framework's step pushing this one's arrays out of the
  caches (measured in benchmarks/issue14_log.md, "Fourteenth session"). PyTorch's one-thread
  time in it is recorded (``torch same1``) but compared with nothing.

Each round runs every arm of a workload once, in alternating order (reversed every
other round), for about ``--arm-seconds`` each; times are per step (tiny graph: per
graph), median over all rounds. Because the arms of a round run back to back, a change
in the machine's load hits them alike, and the ratios (tinygrad_edu / PyTorch, hog /
alone, same / alone) are paired; the load average (1, 5, 15 min) is recorded for every
round. The load average counts this benchmark's own threads too. The host's speed is
recorded as well: before every arm the parent times a fixed loop of Python
(``steadiness_probe``, about 2 ms), and the run ends with its min / median / max. A host
whose speed moves in episodes (another tenant of the same machine, say) shows there as a
spread far above 1: the fifteenth session's AMD EPYC host took the same loop about twice
as long in episodes (benchmarks/issue14_log.md, "Fifteenth session"), and a ratio from
such a run carries that noise whatever the pairing cancels. For such a host every workload
also gets its ratios of the chunk times' 10th percentile (``ratios_p10``, "fast
episodes"): each arm's time when the host ran at its full speed, which a slow episode
cannot move. Every worker first
allocates and frees one 16 MiB block (``_warm_allocator``), so each framework is timed
with its allocator warm, whichever workloads ran before.

**Bounds.** GEMM bound (conv2d, conv_transpose2d, and the small CNN's and DnCNN's
convolutions): the best time of NumPy's matmul at the convolutions' own GEMM shapes
(forward, input gradient, weight gradient, the whole batch at once), with BLAS on every
core the worker may use, measured in the tinygrad_edu worker inside the rounds; and the
same GEMMs with BLAS on one thread (``bound_one_thread_s``: how tinygrad_edu runs a
convolution too small to be cut into tasks for two threads). Where oneDNN is used
(installed, and by default only on a CPU with AVX-512), the GEMM bound OpenBLAS gives is
not the machine's: tinygrad_edu's convolutions multiply on oneDNN's sgemm
(tinygrad_edu/backends/mkldnn.py), one thread a call, so the same GEMMs are also timed
through ``kernels.matmul`` on one thread
(``bound_onednn_one_thread_s``: oneDNN's products, and NumPy's for the few small ones it
leaves to NumPy). Bandwidth
bound (batch_norm): 5 passes over the activation (forward reads x, writes y; backward
reads x and g, writes dx) at the best copy bandwidth (``np.copyto`` of 64 MiB, counted
as read + write, one thread) measured the same way.

**Peak memory** of one step, in a FRESH worker per (framework, workload): glibc is told
(MALLOC_MMAP_THRESHOLD_=64 KiB, TRIM 0) to serve every block over 64 KiB with its own
mmap and give it back when freed, so resident memory follows the live arrays of NumPy
and PyTorch alike. The worker builds the workload and runs a warm-up step (Numba's cache
load, PyTorch's lazy init), deletes it all, reads its resident memory (VmRSS), resets the
peak counter (/proc/self/clear_refs, VmHWM), builds the workload again and runs one step:
peak = VmHWM - that VmRSS, i.e. inputs, parameters, activations, gradients and optimizer
state of one step. For tinygrad_edu the worker also reports the peak of NumPy's traced
allocations (tracemalloc) over the same build + step, which counts array data exactly
(no page rounding, no allocator slack) and cross-checks the RSS method. Each variant
(below) gets its own memory worker with its variables: ratios ``tge[NAME]/torch memory``
and ``tge[NAME]/tge memory``.

Variants: ``--variant NAME VAR=VALUE[,VAR=VALUE...]`` adds tinygrad_edu workers with those
environment variables (arms ``alone``, ``hog``, ``same`` and ``same1``, the last two with
their own PyTorch twin): the way the threading choices in benchmarks/issue14_log.md were
compared. Each variant's ``alone`` is also paired with the default worker's (ratio
``tge[NAME]/tge alone``): with ``BENCH_IMPORT_TORCH=1``, what importing PyTorch alone costs.
Variables of this script: ``BENCH_IMPORT_TORCH=1`` imports PyTorch (first) into the
tinygrad_edu-only worker without running it; ``BENCH_TGE_FIRST=1`` makes the "same"
worker import tinygrad_edu before PyTorch (by default PyTorch comes first);
``BENCH_COLUMN_MIB=4`` sets ops/conv.py's im2col slice budget (COLUMN_BYTES) in MiB;
``BENCH_SETTINGS`` sets any module settings of tinygrad_edu, written as an arm of
bench_settings.py (``ops.conv.PARALLEL_BYTES=1048576,threads.RANGE_TASKS=4``;
inside ``--variant`` use ``;`` for its commas).
The package's own ``TINYGRAD_EDU_WINOGRAD=off`` (or ``2``) makes a variant of the
convolution algorithm (ops/winograd.py).
"""
import argparse
import contextlib
import gc
import json
import math
import os
import signal
import subprocess
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCHEMA = "tinygrad_edu.bench_side_by_side/1"


# ----------------------------------------------------------------------------- workloads
# name: (description, full-size config, --quick config)
WORKLOADS = {
    "tiny": ("((a*b+c)*a).sum().backward() on scalars, 4 nodes; time per graph", {}, {}),
    "mlp": ("MLP 64-128-64-10 (ReLU), batch 32, cross-entropy, Adam step", dict(n=32), dict(n=8)),
    "conv2d": ("conv2d fwd+bwd, N=32, 64->64 ch, 32x32, 3x3, pad 1",
               dict(n=32, c=64, oc=64, hw=32), dict(n=2, c=8, oc=8, hw=8)),
    "conv_transpose2d": ("conv_transpose2d fwd+bwd, N=16, 64->32 ch, 16x16->32x32, 4x4, stride 2, pad 1",
                         dict(n=16, c=64, oc=32, hw=16), dict(n=2, c=8, oc=4, hw=8)),
    "max_pool2d": ("max_pool2d 2x2 fwd+bwd, (32, 64, 32, 32)", dict(n=32, c=64, hw=32), dict(n=2, c=4, hw=8)),
    "batch_norm": ("batch_norm (training) fwd+bwd, (32, 64, 32, 32), affine", dict(n=32, c=64, hw=32), dict(n=2, c=4, hw=8)),
    "small_cnn": ("SmallCNN (course digits model) train step, batch 32 of 1x8x8, Adam",
                  dict(n=32, hw=8, widths=(32, 64)), dict(n=4, hw=8, widths=(8, 8))),
    "dncnn": ("DnCNN-small train step: 8 convs 3x3 (32 ch; 6 with BN), batch 16 of 1x40x40, MSE, Adam",
              dict(n=16, hw=40, width=32, depth=8), dict(n=2, hw=8, width=4, depth=3)),
}
NODES_PER_TINY_GRAPH = 4  # mul, add, mul, sum


def build(name, T, cfg, rng):
    """The workload ``name`` written against ``T`` (tinygrad_edu or torch): returns step()."""
    import numpy as np

    F = T.nn.functional

    def t(shape, grad=False, scale=1.0):
        return T.tensor((rng.standard_normal(shape) * scale).astype(np.float32), requires_grad=grad)

    if name == "tiny":
        a, b, c = (T.tensor(float(v), requires_grad=True) for v in rng.standard_normal(3))

        def step():
            ((a * b + c) * a).sum().backward()

        return step
    if name in ("conv2d", "conv_transpose2d", "max_pool2d", "batch_norm"):
        n, c, hw = cfg["n"], cfg["c"], cfg["hw"]
        x = t((n, c, hw, hw), grad=True)
        leaves = [x]
        if name == "conv2d":
            w = t((cfg["oc"], c, 3, 3), grad=True, scale=0.05)
            leaves.append(w)
            fwd = lambda: F.conv2d(x, w, padding=1)  # noqa: E731
        elif name == "conv_transpose2d":
            w = t((c, cfg["oc"], 4, 4), grad=True, scale=0.05)
            leaves.append(w)
            fwd = lambda: F.conv_transpose2d(x, w, stride=2, padding=1)  # noqa: E731
        elif name == "max_pool2d":
            fwd = lambda: F.max_pool2d(x, 2)  # noqa: E731
        else:
            w, bias = t((c,), grad=True), t((c,), grad=True)
            leaves += [w, bias]
            mean, var = T.zeros(c), T.ones(c)
            fwd = lambda: F.batch_norm(x, mean, var, w, bias, training=True)  # noqa: E731

        def step():
            fwd().sum().backward()
            for p in leaves:
                p.grad = None

        return step
    nn = T.nn
    if name == "mlp":
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
        x, y = t((cfg["n"], 64)), T.tensor(rng.integers(0, 10, cfg["n"]))
        loss_fn = lambda out: F.cross_entropy(out, y)  # noqa: E731
    elif name == "small_cnn":
        layers, ch = [], 1
        for i, width in enumerate(cfg["widths"]):
            for _ in range(2):
                layers += [nn.Conv2d(ch, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
                ch = width
            if i < len(cfg["widths"]) - 1:
                layers.append(nn.MaxPool2d(2))
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch, 10)]
        model = nn.Sequential(*layers)
        x, y = t((cfg["n"], 1, cfg["hw"], cfg["hw"])), T.tensor(rng.integers(0, 10, cfg["n"]))
        loss_fn = lambda out: F.cross_entropy(out, y)  # noqa: E731
    elif name == "dncnn":
        w = cfg["width"]
        layers = [nn.Conv2d(1, w, 3, padding=1), nn.ReLU()]
        for _ in range(cfg["depth"] - 2):
            layers += [nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
        layers.append(nn.Conv2d(w, 1, 3, padding=1))
        model = nn.Sequential(*layers)
        x, target = t((cfg["n"], 1, cfg["hw"], cfg["hw"])), t((cfg["n"], 1, cfg["hw"], cfg["hw"]), scale=0.1)
        loss_fn = lambda out: F.mse_loss(out, target)  # noqa: E731 (DnCNN predicts the noise)
    else:
        raise ValueError(f"unknown workload {name!r}")
    model.train()
    opt = T.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss_fn(model(x)).backward()
        opt.step()

    return step


def conv_gemm_shapes(n, c, oc, hw, input_grad=True):
    """(m, k, n) of the GEMMs of one 3x3 stride-1 "same" im2col convolution's forward +
    backward, whole batch: out, dX (the full convolution of g; left out where the input
    needs no gradient) and dW."""
    kk, nl = c * 9, n * hw**2
    return [(oc, kk, nl)] + ([(c, oc * 9, nl)] if input_grad else []) + [(kk, nl, oc)]


def gemm_shapes(name, cfg):
    """(m, k, n) of each GEMM of the workload's im2col convolutions, forward + backward,
    whole batch (the training steps: their convolutions' GEMMs, not the Linear layer's)."""
    if name == "conv2d":
        return conv_gemm_shapes(cfg["n"], cfg["c"], cfg["oc"], cfg["hw"])
    if name == "conv_transpose2d":
        kk, nl = cfg["oc"] * 16, cfg["n"] * cfg["hw"] ** 2
        return [(kk, cfg["c"], nl), (cfg["c"], kk, nl), (kk, nl, cfg["c"])]  # cols of out, dY, dW
    if name == "small_cnn":  # as build(): two convolutions a stage, a 2x2 pool between stages
        shapes, ch, hw = [], 1, cfg["hw"]
        for i, width in enumerate(cfg["widths"]):
            for _ in range(2):
                # the first convolution's input is the images, which need no gradient
                shapes += conv_gemm_shapes(cfg["n"], ch, width, hw, input_grad=len(shapes) > 0)
                ch = width
            if i < len(cfg["widths"]) - 1:
                hw //= 2  # the max pool
        return shapes
    if name == "dncnn":
        n, w, hw = cfg["n"], cfg["width"], cfg["hw"]
        shapes = conv_gemm_shapes(n, 1, w, hw, input_grad=False)
        for _ in range(cfg["depth"] - 2):
            shapes += conv_gemm_shapes(n, w, w, hw)
        return shapes + conv_gemm_shapes(n, w, 1, hw)
    return []


def bandwidth_bytes(name, cfg):
    """Bytes a batch_norm forward + backward must move at least: 5 passes over x."""
    return 5 * 4 * cfg["n"] * cfg["c"] * cfg["hw"] ** 2 if name == "batch_norm" else 0


# ----------------------------------------------------------------------------- worker side
def _status_mib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024


def _frameworks(kind):
    import numpy as np

    fws = {}
    # the "same" worker imports PyTorch first unless BENCH_TGE_FIRST=1: the order decides
    # which OpenMP runtime is loaded first (benchmarks/issue14_log.md, "Sixth session")
    order = ["tge", "torch"] if os.environ.get("BENCH_TGE_FIRST") == "1" else ["torch", "tge"]
    both = kind in ("both", "both1")
    if os.environ.get("BENCH_IMPORT_TORCH") == "1":  # a variant: PyTorch imported (first), never run
        import torch  # noqa: F401
    for fw in order:
        if fw == "tge" and (kind == "tge" or both):
            sys.path.insert(0, ROOT)
            import tinygrad_edu

            fws["tge"] = tinygrad_edu
            if os.environ.get("BENCH_COLUMN_MIB"):  # a variant: the im2col slice budget of ops/conv.py
                from tinygrad_edu.ops import conv

                conv.COLUMN_BYTES = int(float(os.environ["BENCH_COLUMN_MIB"]) * 2**20)
            if os.environ.get("BENCH_SETTINGS"):  # a variant: module settings, as bench_settings.py's arms
                from module_settings import parse_arm

                for module, attr, value in parse_arm(os.environ["BENCH_SETTINGS"]):
                    setattr(module, attr, value)
        if fw == "torch" and (kind == "torch" or both):
            import torch

            fws["torch"] = torch
            if kind == "both1":  # the "same1" worker: PyTorch without its thread pool
                torch.set_num_threads(1)
    return np, fws


def _timed_steps(steps, seconds, chunk_s=0.002):
    """Run the step() functions in turn for about ``seconds``, each in chunks that run
    steps until ``chunk_s`` has passed (at least one step); per-step times of each chunk,
    per function. Two functions (the "same" worker) alternate chunk by chunk: each
    framework runs right after the other one did, with both thread pools alive. The
    first step after a switch pays to bring its framework's code and data back into the
    caches, so the "same" arm's cost grows with the switches a second (``--chunk-ms``).

    Why the clock and not a step count: a count worked out from one timed step (as up to
    the twenty-second session) took that step right after the pause before the arm,
    when a step runs up to 10x slower than warm (a vCPU back from idle), so the "2 ms"
    chunks were 3-5 tiny graphs or 1-2 MLP steps (benchmarks/issue14_log.md,
    "Twenty-second session")."""
    times, end = [[] for _ in steps], time.perf_counter() + seconds
    while True:
        for step, out in zip(steps, times):
            n, t0 = 0, time.perf_counter()
            while True:
                step()
                n += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= chunk_s:
                    break
            out.append(elapsed / n)
        if time.perf_counter() >= end:
            return times


def _bound_seconds(np, name, cfg, threads=None, multiply=None):
    """Best of 3 of the workload's bound (GEMMs or copy bandwidth), here and now. GEMMs
    run with BLAS on ``threads`` threads, by default every core this process may use,
    through ``multiply`` (default: NumPy's ``@``)."""
    shapes = gemm_shapes(name, cfg)
    if shapes:
        from threadpoolctl import threadpool_limits

        multiply = multiply or np.matmul
        mats = [(np.ones((m, k), np.float32), np.ones((k, n), np.float32)) for m, k, n in shapes]
        best = math.inf
        # by default the machine's limit: BLAS on every core this process may use
        # (tinygrad_edu holds BLAS at one thread per call and puts its own threads on the
        # convolution's tasks; threads=1 times the GEMMs as one such thread runs them)
        with threadpool_limits(limits=threads or len(os.sched_getaffinity(0)), user_api="blas"):
            for _ in range(3):
                t0 = time.perf_counter()
                for a, b in mats:
                    multiply(a, b)
                best = min(best, time.perf_counter() - t0)
        return best
    nbytes = bandwidth_bytes(name, cfg)
    if nbytes:
        src, dst = np.ones(2**24, np.float32), np.empty(2**24, np.float32)  # 64 MiB each
        np.copyto(dst, src)
        best = min(_seconds(lambda: np.copyto(dst, src)) for _ in range(5))
        return nbytes / (2 * src.nbytes / best)
    return None


def _onednn_bound_seconds(np, name, cfg):
    """The GEMM bound through tinygrad_edu's ``kernels.matmul`` on one thread (oneDNN for
    the large products), or None where the workload has no GEMMs or oneDNN is not active."""
    from tinygrad_edu import kernels
    from tinygrad_edu.backends import mkldnn

    if not gemm_shapes(name, cfg) or not mkldnn.active():
        return None
    return _bound_seconds(np, name, cfg, threads=1, multiply=kernels.matmul)


PROBE_ITERATIONS = 50_000  # about 2 ms of interpreter work


def steadiness_probe():
    """Seconds the parent takes for a fixed pure-Python loop, run while no worker works:
    the same work every time, so its spread over a run is the host's own."""
    t0 = time.perf_counter()
    total = 0
    for i in range(PROBE_ITERATIONS):
        total += i & 7
    return time.perf_counter() - t0


def probe_summary(probes):
    """min / median / max of the probe's seconds, and max / min (the host's spread)."""
    return dict(min_s=min(probes), median_s=median(probes), max_s=max(probes), spread=max(probes) / min(probes))


def _seconds(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


WARM_BYTES = 16 * 2**20  # glibc then serves blocks up to this size from its heap and keeps twice that free


def _warm_allocator(np):
    """Allocate and free one WARM_BYTES block, as any long-running process soon has.

    glibc serves a large block with its own mmap and unmaps it when freed, so every step
    of a fresh process faults its pages in again, until one such free raises glibc's
    thresholds. PyTorch's conv_transpose2d step took 5.9-6.1 ms in a fresh process and
    3.7-3.9 after this (benchmarks/issue14_log.md, "Fourteenth session"): without it, a
    framework's time depended on which workloads its worker had run before.
    (tinygrad_edu sets the thresholds itself at import: allocator.py. Its
    ``keep_freed_memory`` is not used here: the PyTorch worker must not import
    tinygrad_edu, and this is the state glibc reaches by itself in a long run.)"""
    block = np.ones(WARM_BYTES // 4, np.float32)
    del block


def worker(kind):
    """Serve JSON commands, one per line on stdin, one JSON answer per line on stdout."""
    np, fws = _frameworks(kind)
    _warm_allocator(np)
    if "torch" in fws:
        fws["torch"].manual_seed(0)
    reply = sys.stdout
    sys.stdout = sys.stderr  # a stray print must not break the protocol
    steps = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        out = {}
        if op == "setup":
            for fw in cmd["fws"]:
                steps[(fw, cmd["workload"])] = s = build(cmd["workload"], fws[fw], cmd["cfg"], np.random.default_rng(0))
                s()  # warm-up: Numba's cache load, PyTorch's lazy init, allocator warm-up
                s()
        elif op == "time":
            out["times"] = _timed_steps([steps[(fw, cmd["workload"])] for fw in cmd["fws"]], cmd["seconds"],
                                        cmd.get("chunk_s", 0.002))
        elif op == "bound":
            out["seconds"] = _bound_seconds(np, cmd["workload"], cmd["cfg"])
            if gemm_shapes(cmd["workload"], cmd["cfg"]):  # and the GEMMs on one core
                out["one_thread_seconds"] = _bound_seconds(np, cmd["workload"], cmd["cfg"], threads=1)
                onednn = _onednn_bound_seconds(np, cmd["workload"], cmd["cfg"])
                if onednn is not None:
                    out["onednn_one_thread_seconds"] = onednn
        elif op == "memory":
            out = _peak_memory(np, fws[cmd["fw"]], cmd["fw"], cmd["workload"], cmd["cfg"])
        elif op == "quit":
            return
        reply.write(json.dumps(out) + "\n")
        reply.flush()


def _peak_memory(np, T, fw, name, cfg):
    step = build(name, T, cfg, np.random.default_rng(0))
    step()
    step()
    del step
    gc.collect()
    base = _status_mib("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM (the peak) to the current resident size
    step = build(name, T, cfg, np.random.default_rng(0))
    step()
    out = {"peak_mib": _status_mib("VmHWM:") - base}
    del step
    if fw == "tge":
        out["tracemalloc_peak_mib"] = peak_traced_mib(lambda: build(name, T, cfg, np.random.default_rng(0)))
    return out


def peak_traced_mib(build_step):
    """The peak of the allocations tracemalloc traces (NumPy's arrays among them) over
    ``build_step()`` and one step of what it returns, in MiB: the inputs, parameters,
    activations, gradients and optimizer state of one step, counted exactly (no page
    rounding). One untraced build and step first, so that no compilation or first-use
    cache is counted. (bench_settings.py uses it for each arm.)"""
    build_step()()
    gc.collect()
    tracemalloc.start()
    try:
        build_step()()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# ----------------------------------------------------------------------------- driver side
class Worker:
    """A long-lived worker process and its pipe."""

    def __init__(self, kind, env):
        self.kind = kind
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", kind],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )

    def ask(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"worker {self.kind} died (exit {self.proc.wait()}) on {cmd}")
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"op": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


class Hog:
    """One process spinning on one core, paused (SIGSTOP) except during hog arms."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        os.kill(self.proc.pid, signal.SIGSTOP)

    def __enter__(self):
        os.kill(self.proc.pid, signal.SIGCONT)
        time.sleep(0.05)  # let it get scheduled

    def __exit__(self, *exc):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def close(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def load():
    return list(os.getloadavg())


FAST_PERCENTILE = 10  # the chunk times' low percentile of ``ratios_p10``


def percentile(xs, q):
    """The q-th percentile of xs, nearest rank (one of the values)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))]


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small shapes, 1 round, short arms, no hog mode (smoke test)")
    p.add_argument("--only", nargs="+", choices=list(WORKLOADS), help="run only these workloads")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--arm-seconds", type=float, default=0.6, help="time per arm per round")
    p.add_argument("--modes", nargs="+", default=["alone", "hog", "same", "same1"],
                   choices=["alone", "hog", "same", "same1"])
    p.add_argument("--chunk-ms", type=float, default=2.0,
                   help="least time of a chunk of steps; the 'same' arms switch framework after each chunk")
    p.add_argument("--settle", type=float, default=0.2,
                   help="seconds of pause before each arm (the last worker's spinning threads go to sleep)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory workers")
    p.add_argument("--no-torch", action="store_true", help="tinygrad_edu only (also automatic without torch)")
    p.add_argument("--variant", nargs=2, action="append", default=[], metavar=("NAME", "VAR=VALUE,..."),
                   help="extra tinygrad_edu workers with these environment variables")
    p.add_argument("--json", help="output JSON (default runs/bench/side_by_side-<time>.json)")
    p.add_argument("--plot", help="output PNG (default: beside the JSON; '' for none)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.chunk_ms > 0:
        p.error(f"--chunk-ms: expected a positive number of milliseconds, got {args.chunk_ms}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker)
    if args.quick:
        args.rounds, args.arm_seconds, args.settle = 1, min(args.arm_seconds, 0.05), 0.0
        args.modes = [m for m in args.modes if m != "hog"] if "--modes" not in (argv or sys.argv) else args.modes
    sys.path.insert(0, HERE)
    import machine_info

    have_torch = not args.no_torch
    if have_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            have_torch = False
            print("PyTorch is not installed: tinygrad_edu columns only")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    json_path = args.json or os.path.join(ROOT, "runs", "bench", f"side_by_side-{stamp}.json")
    plot_path = args.plot if args.plot is not None else os.path.splitext(json_path)[0] + ".png"
    names = args.only or list(WORKLOADS)
    cfgs = {n: WORKLOADS[n][2 if args.quick else 1] for n in names}

    command = " ".join([os.path.basename(sys.executable)] + [os.path.relpath(sys.argv[0], ROOT)] + (argv or sys.argv[1:]))
    machine = machine_info.machine()
    print(f"machine: {machine}")
    print(f"command: {command}")
    print(f"load average before (1, 5, 15 min; {os.cpu_count()} cores): {load()}")

    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    variants = {"default": {}}
    for vname, assignments in args.variant:
        variants[vname] = dict(kv.split("=", 1) for kv in assignments.split(",") if kv)
    # worker key -> (kind, env overrides); arm = (labels, frameworks, worker key, hog?):
    # a "same" arm times both frameworks, alternating, in one worker
    workers, arms = {}, []
    for vname, overrides in variants.items():
        tag = "" if vname == "default" else f"[{vname}]"
        workers["tge" + tag] = ("tge", overrides)
        if "alone" in args.modes:
            arms.append(([f"tge{tag} alone"], ["tge"], "tge" + tag, False))
        if "hog" in args.modes:
            arms.append(([f"tge{tag} hog"], ["tge"], "tge" + tag, True))
        if have_torch and "same" in args.modes:
            workers["both" + tag] = ("both", overrides)
            arms.append(([f"tge{tag} same", f"torch same{tag}"], ["tge", "torch"], "both" + tag, False))
        if have_torch and "same1" in args.modes:
            workers["both1" + tag] = ("both1", overrides)
            arms.append(([f"tge{tag} same1", f"torch same1{tag}"], ["tge", "torch"], "both1" + tag, False))
    if have_torch:
        workers["torch"] = ("torch", {})
        if "alone" in args.modes:
            arms.append((["torch alone"], ["torch"], "torch", False))
        if "hog" in args.modes:
            arms.append((["torch hog"], ["torch"], "torch", True))
    for key, (kind, overrides) in workers.items():
        print(f"worker {key}: {kind}" + (f" with {overrides}" if overrides else ""))

    result = dict(schema=SCHEMA, machine=machine, command=command, cpu_count=os.cpu_count(), quick=args.quick,
                  started_utc=stamp, load_before=load(), variants=variants, modes=args.modes,
                  chunk_s=args.chunk_ms / 1e3,
                  workers={k: dict(kind=v[0], env=v[1]) for k, v in workers.items()},
                  workloads={}, rounds=[])

    # peak memory: a fresh worker per (framework or variant, workload); key -> (kind, env overrides)
    memory = {}
    mem_workers = {"tge" + ("" if v == "default" else f"[{v}]"): ("tge", o) for v, o in variants.items()}
    if have_torch:
        mem_workers["torch"] = ("torch", {})
    if not args.no_memory:
        mem_env = dict(env, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
        for name in names:
            for key, (kind, overrides) in mem_workers.items():
                w = Worker(kind, dict(mem_env, **overrides))
                memory[(key, name)] = w.ask(op="memory", fw=kind, workload=name, cfg=cfgs[name])
                w.close()
            print(f"peak memory {name}: " + ", ".join(f"{key} {memory[(key, name)]['peak_mib']:.1f} MiB"
                                                     for key in mem_workers))

    live = {key: Worker(kind, dict(env, **overrides)) for key, (kind, overrides) in workers.items()}
    hog = Hog() if "hog" in args.modes else None
    try:
        for name in names:
            for key, w in live.items():
                fws = {"tge": ["tge"], "torch": ["torch"], "both": ["tge", "torch"], "both1": ["tge", "torch"]}[w.kind]
                w.ask(op="setup", workload=name, fws=fws, cfg=cfgs[name])
        labels = [label for arm in arms for label in arm[0]]
        times = {(label, n): [] for label in labels for n in names}
        bounds, bounds_1, bounds_dnn = {n: [] for n in names}, {n: [] for n in names}, {n: [] for n in names}
        probes = []
        for r in range(args.rounds):
            for name in names:
                record = dict(round=r, workload=name, load=load(), arms={}, probe_s=[])
                order = arms if r % 2 == 0 else arms[::-1]
                for arm_labels, fws, key, with_hog in order:
                    time.sleep(args.settle)  # the previous worker's BLAS / OpenMP threads stop spinning
                    record["probe_s"].append(steadiness_probe())
                    with hog if with_hog else contextlib.nullcontext():
                        ts = live[key].ask(op="time", fws=fws, workload=name, seconds=args.arm_seconds,
                                           chunk_s=args.chunk_ms / 1e3)["times"]
                    for label, t in zip(arm_labels, ts):
                        times[(label, name)] += t
                        record["arms"][label] = median(t)
                answer = live["tge"].ask(op="bound", workload=name, cfg=cfgs[name])
                b = answer["seconds"]
                if b:
                    bounds[name].append(b)
                record["bound_s"] = b
                if "one_thread_seconds" in answer:
                    bounds_1[name].append(answer["one_thread_seconds"])
                    record["bound_one_thread_s"] = answer["one_thread_seconds"]
                if "onednn_one_thread_seconds" in answer:
                    bounds_dnn[name].append(answer["onednn_one_thread_seconds"])
                    record["bound_onednn_one_thread_s"] = answer["onednn_one_thread_seconds"]
                record["load_after"] = load()
                result["rounds"].append(record)
                probes += record["probe_s"]
                summary = "  ".join(f"{k} {v * 1e3:.3g}" for k, v in record["arms"].items())
                probe = f"probe {min(record['probe_s']) * 1e3:.2f}-{max(record['probe_s']) * 1e3:.2f} ms"
                print(f"round {r} {name} (load {record['load'][0]:.2f}, {probe}): {summary} ms")
    finally:
        for w in live.values():
            w.close()
        if hog:
            hog.close()

    for name in names:
        desc = WORKLOADS[name][0]
        arm_times = {label: median(times[(label, name)]) for label in labels}
        entry = dict(description=desc, config=cfgs[name], time_s=arm_times,
                     samples={label: len(times[(label, name)]) for label in labels})
        if bounds[name]:
            entry["bound_s"] = min(bounds[name])
            entry["bound_kind"] = "gemm" if gemm_shapes(name, cfgs[name]) else "bandwidth"
        if bounds_1[name]:
            entry["bound_one_thread_s"] = min(bounds_1[name])
        if bounds_dnn[name]:
            entry["bound_onednn_one_thread_s"] = min(bounds_dnn[name])
        if name == "tiny":
            entry["us_per_node"] = {k: v * 1e6 / NODES_PER_TINY_GRAPH for k, v in arm_times.items()}
        if memory:
            entry["peak_mib"] = {key: memory[(key, name)]["peak_mib"] for key in mem_workers}
            if "tracemalloc_peak_mib" in memory.get(("tge", name), {}):
                entry["tracemalloc_peak_mib"] = memory[("tge", name)]["tracemalloc_peak_mib"]
        entry["ratios"] = ratios(entry, variants, have_torch)
        entry["time_p10_s"] = {label: percentile(times[(label, name)], FAST_PERCENTILE) for label in labels}
        fast = ratios(dict(entry, time_s=entry["time_p10_s"]), variants, have_torch)
        entry["ratios_p10"] = {k: v for k, v in fast.items() if "memory" not in k}
        result["workloads"][name] = entry
    result["load_after"] = load()
    result["steadiness"] = probe_summary(probes)
    print_table(result)
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nJSON: {json_path}")
    if plot_path:
        plot(result, plot_path)
    return result


def ratios(entry, variants, have_torch):
    """The paired ratios the targets are stated in (missing arms are left out)."""
    t, out = entry["time_s"], {}
    for vname in variants:
        tag = "" if vname == "default" else f"[{vname}]"
        alone, hog, same = t.get(f"tge{tag} alone"), t.get(f"tge{tag} hog"), t.get(f"tge{tag} same")
        same1 = t.get(f"tge{tag} same1")  # beside PyTorch held at one thread
        if alone and have_torch and t.get("torch alone"):
            out[f"tge{tag}/torch alone"] = alone / t["torch alone"]
        if alone and "bound_s" in entry:
            out[f"tge{tag}/bound"] = alone / entry["bound_s"]
        if alone and "bound_one_thread_s" in entry:
            out[f"tge{tag}/bound one thread"] = alone / entry["bound_one_thread_s"]
        if alone and "bound_onednn_one_thread_s" in entry:
            out[f"tge{tag}/onednn bound one thread"] = alone / entry["bound_onednn_one_thread_s"]
        if alone and tag and t.get("tge alone"):  # the variant against the default worker, same rounds
            out[f"tge{tag}/tge alone"] = alone / t["tge alone"]
        if alone and same:
            out[f"tge{tag} same/alone"] = same / alone
        if alone and same1:
            out[f"tge{tag} same1/alone"] = same1 / alone
        if same and same1:  # what PyTorch's thread pool adds to alternation
            out[f"tge{tag} same/same1"] = same / same1
        if alone and hog:
            out[f"tge{tag} hog/alone"] = hog / alone
        if t.get(f"torch same{tag}") and t.get("torch alone"):
            out[f"torch same{tag}/alone"] = t[f"torch same{tag}"] / t["torch alone"]
    if t.get("torch hog") and t.get("torch alone"):
        out["torch hog/alone"] = t["torch hog"] / t["torch alone"]
    if have_torch and t.get("torch alone") and "bound_s" in entry:
        out["torch/bound"] = t["torch alone"] / entry["bound_s"]
    if have_torch and t.get("torch alone") and "bound_one_thread_s" in entry:
        out["torch/bound one thread"] = t["torch alone"] / entry["bound_one_thread_s"]
    if have_torch and t.get("torch alone") and "bound_onednn_one_thread_s" in entry:
        out["torch/onednn bound one thread"] = t["torch alone"] / entry["bound_onednn_one_thread_s"]
    mem = entry.get("peak_mib", {})
    for vname in variants:  # the default worker's and each variant's (its own fresh worker)
        tag = "" if vname == "default" else f"[{vname}]"
        if f"tge{tag}" in mem and mem.get("torch"):
            out[f"tge{tag}/torch memory"] = mem[f"tge{tag}"] / mem["torch"]
        if tag and f"tge{tag}" in mem and mem.get("tge"):
            out[f"tge{tag}/tge memory"] = mem[f"tge{tag}"] / mem["tge"]
    return out


def print_table(result):
    print(f"\nload average after: {result['load_after']}")
    st = result["steadiness"]
    print(f"host steadiness: the probe took min / median / max {st['min_s'] * 1e3:.2f} / {st['median_s'] * 1e3:.2f}"
          f" / {st['max_s'] * 1e3:.2f} ms, spread {st['spread']:.2f} (a steady host stays near 1)")
    print("time per step, ms (median of all rounds); tiny: per graph; ratios are paired (same rounds)")
    for name, e in result["workloads"].items():
        print(f"\n{name}: {e['description']}")
        for label, v in e["time_s"].items():
            extra = f"  ({v * 1e6 / NODES_PER_TINY_GRAPH:.1f} us/node)" if name == "tiny" else ""
            print(f"  {label:<28}{v * 1e3:>10.3f}{extra}")
        if "bound_s" in e:
            print(f"  {e['bound_kind'] + ' bound':<28}{e['bound_s'] * 1e3:>10.3f}")
        if "bound_one_thread_s" in e:
            print(f"  {'gemm bound, one thread':<28}{e['bound_one_thread_s'] * 1e3:>10.3f}")
        if "bound_onednn_one_thread_s" in e:
            print(f"  {'oneDNN bound, one thread':<28}{e['bound_onednn_one_thread_s'] * 1e3:>10.3f}")
        if "peak_mib" in e:
            mem = ", ".join(f"{k} {v:.1f}" for k, v in e["peak_mib"].items())
            tm = f"; tge tracemalloc {e['tracemalloc_peak_mib']:.1f}" if "tracemalloc_peak_mib" in e else ""
            print(f"  peak MiB: {mem}{tm}")
        print("  " + "  ".join(f"{k} {v:.2f}" for k, v in e["ratios"].items()))
        print(f"  {FAST_PERCENTILE}th percentile: " + "  ".join(f"{k} {v:.2f}" for k, v in e["ratios_p10"].items()))


def plot(result, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    names = list(result["workloads"])
    keys = ["tge/torch alone", "tge same/alone", "tge same/same1", "tge hog/alone", "torch hog/alone", "torch same/alone",
            "tge/torch memory"]
    keys = [k for k in keys if any(k in result["workloads"][n]["ratios"] for n in names)]
    if not keys:
        return
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(names)), 3.8))
    width = 0.8 / len(keys)
    for i, k in enumerate(keys):
        vals = [result["workloads"][n]["ratios"].get(k, float("nan")) for n in names]
        ax.bar([j + i * width for j in range(len(names))], vals, width, label=k)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")  # ratios: 0.5 and 2 equally far from 1; a loaded machine gives outliers
    ax.set_xticks([j + width * (len(keys) - 1) / 2 for j in range(len(names))], names, fontsize=8)
    ax.set_ylabel("ratio (log scale)")
    lo, hi = result["load_before"][0], result["load_after"][0]
    ax.set_title(f"tinygrad_edu vs PyTorch, paired rounds (load {lo:.1f} -> {hi:.1f}, {result['cpu_count']} cores)",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
