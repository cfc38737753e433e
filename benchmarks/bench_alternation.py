"""What alternating with other work costs a framework's steps, whatever that work is.

bench_side_by_side.py's "same" arm runs tinygrad_edu and PyTorch in one process, each for
a chunk of about 2 ms at a time. A step there can be slower than alone for two kinds of
reason: the other framework's threads (PyTorch's OpenMP workers spinning on a core), or
the alternation itself (caches, branch predictors and the CPU's clock found cold after
2 ms of something else). This script tells them apart: in one process with both
frameworks, each framework's chunks run

    alone      back to back;
    torch      alternated with chunks of PyTorch's step (the "same" arm, for tinygrad_edu);
    tge        alternated with chunks of tinygrad_edu's step (the "same" arm, for PyTorch);
    numpy      alternated with chunks of the MLP's step in plain NumPy (mlp only);
    micro      alternated with chunks of the MLP's step on a minimal autograd (mlp only);
    sweep      alternated with 2 ms of NumPy sums over 8 MiB (a cache sweep, no threads);
    ccode      alternated with 2 ms of calls into assorted compiled code on small data
               (NumPy's linear algebra, FFT, sort, einsum; json, re, zlib, hashlib...):
               other machine code through the core, next to no data;
    sleep      alternated with a 2 ms sleep (the core idles).

A framework beside itself alternates with a twin: a second copy of its step, with its own
model and data, so that what the switch costs with no other code at all is measured too.
If "sweep" or "sleep" costs as much as the other framework does, the threads are not what
costs.

The plain-NumPy MLP (``plain_mlp``, mlp only, the row "numpy") is the floor: the MLP
step's arithmetic written out in NumPy calls, with tinygrad_edu's compiled Adam pass for
the update (the one its Adam runs there), and nothing else: no tensors, no autograd, no
modules. What PyTorch's step costs it, no framework built on NumPy can avoid; what
PyTorch's step costs tinygrad_edu beyond that is tinygrad_edu's own code. And PyTorch's
step beside it shows what any NumPy program of that arithmetic costs PyTorch. The
minimal-autograd MLP (``micro_autograd.micro_mlp``, the row "micro") is a floor for an
engine: the same arithmetic through a graph of closures walked backwards, micrograd's
design on NumPy arrays, with nothing of a framework's checks and bookkeeping.

Chunks run by the clock (steps until 2 ms have passed, as bench_side_by_side.py's
"same" arm). The modes take turns: every round runs each framework in each mode for
``--arm-seconds``, in an order that rotates from round to round, so that a slow episode of
the host (this project's hosts run the same loop up to 2x slower for seconds at a time)
falls on all modes alike. A mode's time in a round is the median of its chunks' per-step
times; its ratio to "alone" is taken within the round, and the table gives the median of
those ratios over the rounds with their interquartile range in brackets. The last column,
"other / sweep", is what the other framework's 2 ms (PyTorch's, or tinygrad_edu's for
PyTorch's row) cost beyond 2 ms of NumPy sums, round by round: near 1 when the other
framework costs a step no more than any work that leaves the caches cold.

Each round builds its steps afresh and warms them up: every round times the same early
part of training. (Trained on its one batch for tens of thousands of steps, the MLP
reaches weights whose gradients carry denormal floats, and then its backward's matrix
products run about 17 times slower, in NumPy and PyTorch alike: benchmarks/
issue14_log.md, "Fifty-fourth session".)

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
from micro_autograd import micro_mlp

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


MLP_SIZES = (64, 128, 64, 10)  # bench_side_by_side.py's "mlp": 64-128-64-10, ReLU between
ADAM_BETAS, ADAM_EPS, ADAM_LR = (0.9, 0.999), 1e-8, 1e-3  # torch.optim.Adam's defaults, lr as build()'s


def adam(params, adam_update):
    """update(grads): one step of Adam on the float32 arrays ``params``, in place, with
    ADAM_LR, ADAM_BETAS and ADAM_EPS and PyTorch's bias corrections, through
    ``adam_update``, tinygrad_edu's compiled Adam pass (``kernels.adam_update``, the one
    its Adam runs on these parameters). The update of the MLP steps outside the
    frameworks (``plain_mlp``, ``micro_autograd.micro_mlp``)."""
    import numpy as np

    exp_avg = [np.zeros_like(p) for p in params]
    exp_avg_sq = [np.zeros_like(p) for p in params]
    (beta1, beta2), count = ADAM_BETAS, [0]

    def update(grads):
        count[0] += 1
        t = count[0]
        for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
            adam_update(p, g, m, v, None, beta1, beta2, ADAM_LR / (1 - beta1**t), (1 - beta2**t) ** 0.5, ADAM_EPS)

    return update


def plain_mlp(x, y, params, update):
    """The "mlp" workload's training step with no framework: returns step(), which
    computes the gradients of the mean cross-entropy of the MLP on ``x`` (N, 64) against
    the class indices ``y`` (N,), hands them to ``update`` (``adam(params, ...)``) and
    returns the loss. ``params`` = [W1, b1, W2, b2, W3, b3], float32 NumPy arrays, W
    (out, in) as nn.Linear holds them.

    The arithmetic of tinygrad_edu's step, written out:
        z_l = h_(l-1) @ W_l.T + b_l,  h_l = relu(z_l),  log p = log_softmax(z_3)
        loss = -mean_i log p[i, y_i]
        dz_3 = (softmax(z_3) - onehot(y)) / N
        dW_l = dz_l.T @ h_(l-1),  db_l = sum_i dz_l[i],  dz_(l-1) = (dz_l @ W_l) * [z_(l-1) > 0]"""
    import numpy as np

    n = len(y)
    rows = np.arange(n)
    layers = len(params) // 2

    def step():
        inputs, pre = [], []  # each layer's input and pre-activation
        h = x
        for layer in range(layers):
            z = h @ params[2 * layer].T + params[2 * layer + 1]
            inputs.append(h)
            pre.append(z)
            if layer < layers - 1:  # the last layer's output z is the logits: no ReLU
                h = np.maximum(z, 0)
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[rows, y].mean()
        dz = np.exp(log_p)
        dz[rows, y] -= 1
        dz /= n
        grads = [None] * len(params)
        for layer in reversed(range(layers)):
            grads[2 * layer] = dz.T @ inputs[layer]
            grads[2 * layer + 1] = dz.sum(axis=0)
            if layer:
                dz = (dz @ params[2 * layer]) * (pre[layer - 1] > 0)
        update(grads)
        return loss

    return step


def mlp_case(cfg, rng):
    """x, y and [W1, b1, W2, b2, W3, b3] for the MLP steps outside the frameworks: data
    drawn as build("mlp", ...) draws it (x, then y), parameters as nn.Linear's default
    draws them, U(-1/sqrt(in), 1/sqrt(in))."""
    import numpy as np

    x = rng.standard_normal((cfg["n"], MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], cfg["n"])
    params = []
    for fan_in, fan_out in zip(MLP_SIZES, MLP_SIZES[1:]):
        bound = fan_in**-0.5
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                   rng.uniform(-bound, bound, fan_out).astype(np.float32)]
    return x, y, params


def ccode_calls(np):
    """A function that runs 2 ms of calls into assorted compiled code on small arrays and
    strings: the "ccode" mode (other machine code through the core, next to no data)."""
    import datetime
    import difflib
    import hashlib
    import json
    import re
    import zlib

    a = np.random.default_rng(0).standard_normal((16, 16))

    def ccode():
        end = time.perf_counter() + CHUNK_SECONDS
        while time.perf_counter() < end:
            np.linalg.svd(a)
            np.fft.rfft(a)
            np.sort(a, axis=None)
            np.unique(a.round(1))
            np.einsum("ij,jk->ik", a, a)
            np.median(a)
            json.loads(json.dumps({"a": [1, 2.5, "x"], "b": None}))
            re.findall(r"\d+", "a1b22c333")
            zlib.compress(b"abc" * 50)
            hashlib.sha256(b"x" * 100).hexdigest()
            datetime.datetime(2026, 1, 2).isoformat()
            difflib.SequenceMatcher(None, "abcd", "abxd").ratio()

    return ccode


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
    from tinygrad_edu import kernels

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

    libs = {"tge": tge, "torch": torch}

    def fresh_steps(name, fws, cfg, seed):
        """Each framework's step of workload ``name``, built afresh and warmed up."""
        steps = {}
        for fw in fws:
            rng = np.random.default_rng(seed)
            if fw == "numpy":
                x, y, params = mlp_case(cfg, rng)
                steps[fw] = plain_mlp(x, y, params, adam(params, kernels.adam_update))
            elif fw == "micro":
                x, y, params = mlp_case(cfg, rng)
                steps[fw] = micro_mlp(x, y, params, adam(params, kernels.adam_update))
            else:
                steps[fw] = build(name, libs[fw], cfg, rng)
            for _ in range(5):  # warm-up: compiled kernels, first calls
                steps[fw]()
        return steps

    print("| workload | framework | alone ms | beside PyTorch | beside tinygrad_edu | beside plain NumPy "
          "| beside micro autograd | sweep | C code | sleep | other / sweep |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    between = {"alone": None, "sweep": sweep, "ccode": ccode_calls(np), "sleep": sleep}
    for name in args.only:
        cfg = WORKLOADS[name][2 if args.quick else 1]
        fws = ["tge", "torch"] + (["numpy", "micro"] if name == "mlp" else [])
        modes = ["alone", *fws, "sweep", "ccode", "sleep"]  # a framework's name: beside that framework's step
        # per framework and mode, the median per-step time of each round
        times = {(fw, mode): [] for fw in fws for mode in modes}
        for k in range(rounds):
            steps, twins = fresh_steps(name, fws, cfg, 2 * k), fresh_steps(name, fws, cfg, 2 * k + 1)
            for fw in rotated(fws, k):
                for mode in rotated(modes, k):
                    if mode in fws:  # beside a framework's step; beside itself, beside its twin
                        after = twins[fw] if mode == fw else steps[mode]
                    else:
                        after = between[mode]
                    chunks = _timed_steps([steps[fw]] + ([after] if after else []), arm_seconds, CHUNK_SECONDS)[0]
                    times[fw, mode].append(median(chunks))
        for fw in fws:
            alone, other = times[fw, "alone"], "tge" if fw == "torch" else "torch"
            cells = [ratio_cell(times[fw, m], alone) if m in modes else "-"
                     for m in ("torch", "tge", "numpy", "micro", "sweep", "ccode", "sleep")]
            cells.append(ratio_cell(times[fw, other], times[fw, "sweep"]))
            print(f"| {name} | {fw} | {median(alone) * 1e3:.3f} | " + " | ".join(cells) + " |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
