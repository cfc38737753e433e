"""CPU against GPU: forward + backward of conv2d, conv_transpose2d, max_pool2d and
batch_norm, and one training step of the course models, in five columns measured in
one run on one machine:

    numpy       tinygrad_edu on the CPU, vectorised NumPy kernels
    numba       tinygrad_edu on the CPU, Numba kernels
    cupy        tinygrad_edu on the GPU (CuPy)
    torch-cpu   PyTorch on the CPU
    torch-cuda  PyTorch on the GPU

Each tinygrad_edu column is divided by the PyTorch column of the same device (numpy
and numba by torch-cpu, cupy by torch-cuda): the ratio says how far the teaching code
is from the production one. A GPU column is missing, with the reason printed, when
CuPy or PyTorch cannot use a CUDA device here.

    python benchmarks/bench_gpu.py                        # every case, every column it can run
    python benchmarks/bench_gpu.py --quick                # tiny sizes, one repeat (the CI smoke run)
    python benchmarks/bench_gpu.py --only conv2d dncnn --repeats 10
    python benchmarks/bench_gpu.py --columns cupy torch-cuda --plot runs/gpu.png

Timing: a warm-up step (it pays Numba compilation, CuPy kernel compilation and the
memory pools' first allocations), then the median of ``--repeats`` steps. GPU work
is asynchronous, so every timed step of a GPU column starts and ends with a device
synchronisation: the time is the work, not the queueing.

Training steps: ``opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward();
opt.step()`` with SGD (momentum 0.9). The PyTorch twin of each model is the standard
architecture of that name written in this file; both parameter counts are printed so
that a mismatch shows. A model missing from ``tge.models`` is skipped with a message.
"""
import argparse
import contextlib
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # machine_info beside this script
import machine_info  # noqa: E402

import tinygrad_edu as tge  # noqa: E402
from tinygrad_edu import kernels  # noqa: E402

COLUMNS = ("numpy", "numba", "cupy", "torch-cpu", "torch-cuda")
BASELINE = {"numpy": "torch-cpu", "numba": "torch-cpu", "cupy": "torch-cuda"}
DEFAULT_PLOT = os.path.join("runs", "bench_gpu.png")  # runs/ is git-ignored

# name: (full size, quick size, description)
OP_CASES = {
    "conv2d": (dict(x=(32, 64, 32, 32), w=(64, 64, 3, 3), padding=1),
               dict(x=(2, 4, 8, 8), w=(4, 4, 3, 3), padding=1), "N=32, 64->64 ch, 32x32, 3x3, pad 1"),
    "conv_transpose2d": (dict(x=(16, 64, 16, 16), w=(64, 32, 4, 4), stride=2, padding=1),
                         dict(x=(2, 4, 4, 4), w=(4, 2, 4, 4), stride=2, padding=1),
                         "N=16, 64->32 ch, 16x16->32x32, 4x4, stride 2"),
    "max_pool2d": (dict(x=(32, 64, 32, 32)), dict(x=(2, 4, 8, 8)), "N=32, C=64, 32x32, 2x2"),
    "batch_norm": (dict(x=(32, 64, 32, 32)), dict(x=(2, 4, 8, 8)), "N=32, C=64, 32x32, training"),
}
# name: (class names to look for in tge.models, full input shape, quick input shape)
MODEL_CASES = {
    "small_cnn": (("SmallCNN",), (64, 1, 28, 28), (4, 1, 8, 8)),
    "dncnn": (("DnCNN",), (16, 1, 40, 40), (2, 1, 8, 8)),
    "unet": (("UNet", "UNet2d", "Unet"), (8, 1, 64, 64), (2, 1, 16, 16)),
    "resnet20": (("ResNet20", "resnet20"), (64, 3, 32, 32), (2, 3, 8, 8)),
}


# ------------------------------------------------------------------------ columns
def why_missing(column):
    """Why ``column`` cannot run here ("" when it can)."""
    if column == "numba" and not kernels.HAVE_NUMBA:
        return "Numba is not installed"
    if column == "cupy" and not tge.cuda.is_available():
        return f"tge.cuda.is_available() is False: {tge.cuda.unavailable_reason()}"
    if column.startswith("torch"):
        try:
            import torch
        except ImportError:
            return "PyTorch is not installed"
        if column == "torch-cuda" and not torch.cuda.is_available():
            return f"PyTorch {torch.__version__} sees no CUDA device (torch.cuda.is_available() is False)"
    return ""


class Framework:
    """What a column needs: how to make tensors, the functional ops, and a sync."""

    def __init__(self, column):
        self.column = column
        if column.startswith("torch"):
            import torch

            self.torch = torch
            self.device = "cuda" if column == "torch-cuda" else "cpu"
            self.F = torch.nn.functional
        else:
            self.torch = None
            self.device = "cuda" if column == "cupy" else "cpu"
            self.F = tge.nn.functional

    def kernels(self):
        """A context in which tinygrad_edu uses this column's CPU kernel set."""
        return kernels.using(self.column) if self.column in kernels.KERNEL_SETS else contextlib.nullcontext()

    def tensor(self, array, requires_grad=False):
        if self.torch is not None:
            return self.torch.tensor(array, device=self.device, requires_grad=requires_grad)
        return tge.tensor(array, device=self.device, requires_grad=requires_grad)

    def sync(self):
        """Wait for the GPU (nothing to wait for on the CPU)."""
        if self.device != "cuda":
            return
        if self.torch is not None:
            self.torch.cuda.synchronize()
        else:
            tge.cuda.synchronize()


def median_time(step, fw, repeats):
    """Median seconds of ``step()`` after one warm-up, synchronised on both ends."""
    step()
    fw.sync()
    times = []
    for _ in range(repeats):
        fw.sync()
        start = time.perf_counter()
        step()
        fw.sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ------------------------------------------------------------------------ op cases
def op_step(name, fw, size, rng):
    """A closure running forward + backward of op ``name`` once."""
    F = fw.F
    x = fw.tensor(rng.standard_normal(size["x"]).astype(np.float32), requires_grad=True)
    if name in ("conv2d", "conv_transpose2d"):
        w = fw.tensor(rng.standard_normal(size["w"]).astype(np.float32) * 0.1, requires_grad=True)
        kwargs = {k: v for k, v in size.items() if k not in ("x", "w")}
        fn = getattr(F, name)

        def forward():
            return fn(x, w, **kwargs)
    elif name == "max_pool2d":
        def forward():
            return F.max_pool2d(x, 2)
    else:  # batch_norm in training mode, with affine weight and bias
        c = size["x"][1]
        weight = fw.tensor(np.ones(c, np.float32), requires_grad=True)
        bias = fw.tensor(np.zeros(c, np.float32), requires_grad=True)
        mean, var = fw.tensor(np.zeros(c, np.float32)), fw.tensor(np.ones(c, np.float32))

        def forward():
            return F.batch_norm(x, mean, var, weight, bias, training=True)

    def step():
        x.grad = None
        forward().sum().backward()

    return step


# ------------------------------------------------------------------------ model cases
def tge_model(name):
    """The tinygrad_edu model class for case ``name``, or None when tge.models lacks it."""
    for cls_name in MODEL_CASES[name][0]:
        cls = getattr(tge.models, cls_name, None)
        if cls is not None:
            return cls
    return None


def torch_twin(name, in_channels, num_classes):
    """The standard architecture of model ``name`` in PyTorch (None when this file has none)."""
    import torch.nn as nn

    def cbr(i, o, stride=1):
        return [nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

    if name == "small_cnn":  # models/cnn.py's default: 32, 32, pool, 64, 64, GAP, Linear
        return nn.Sequential(*cbr(in_channels, 32), *cbr(32, 32), nn.MaxPool2d(2), *cbr(32, 64), *cbr(64, 64),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))
    if name == "dncnn":  # Zhang et al. 2017: 17 layers of 64 channels, predicts the noise
        body = nn.Sequential(nn.Conv2d(in_channels, 64, 3, 1, 1), nn.ReLU(),
                             *[m for _ in range(15) for m in cbr(64, 64)], nn.Conv2d(64, in_channels, 3, 1, 1))

        class DnCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = body

            def forward(self, x):
                return x - self.body(x)

        return DnCNN()
    if name == "resnet20":  # He et al. 2016, CIFAR: 3 stages of 3 basic blocks, 16/32/64 channels
        class Block(nn.Module):
            def __init__(self, i, o, stride):
                super().__init__()
                self.body = nn.Sequential(*cbr(i, o, stride), nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o))
                self.skip = (nn.Sequential() if stride == 1 and i == o else
                             nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o)))

            def forward(self, x):
                return nn.functional.relu(self.body(x) + self.skip(x))

        layers, width = cbr(in_channels, 16), 16
        for out, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(3):
                layers.append(Block(width, out, stride if b == 0 else 1))
                width = out
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))
    return None


def count_parameters(model):
    return sum(int(np.prod(p.shape)) for p in model.parameters())


def model_step(name, fw, shape, rng, notes):
    """A closure running one training step of model ``name``; None (with a note) when
    this column has no such model."""
    cls = tge_model(name)
    if cls is None:
        return None
    tge.manual_seed(0)
    model = cls()
    x_host = rng.standard_normal(shape).astype(np.float32)
    with tge.no_grad():
        out_shape = model(tge.tensor(x_host)).shape
    dense = tuple(out_shape) == tuple(shape)  # image to image (DnCNN, U-Net): regression
    if fw.torch is not None:
        twin = torch_twin(name, shape[1], out_shape[1] if not dense else None)
        if twin is None:
            notes.append(f"{name}: no PyTorch twin in this benchmark, so no {fw.column} column")
            return None
        notes.append(f"{name}: parameters tinygrad_edu {count_parameters(model):,}, "
                     f"PyTorch twin {count_parameters(twin):,}")
        model, nn = twin.to(fw.device), fw.torch.nn
        opt = fw.torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        model.to(fw.device)
        nn = tge.nn
        opt = tge.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = fw.tensor(x_host)
    if dense:
        y, loss_fn = fw.tensor(rng.standard_normal(shape).astype(np.float32)), nn.MSELoss()
    else:
        y = fw.tensor(rng.integers(0, out_shape[1], shape[0]))
        loss_fn = nn.CrossEntropyLoss()
    model.train()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


# ------------------------------------------------------------------------ report
def describe_machine(columns):
    lines = [f"machine: {machine_info.machine()}"]
    if "cupy" in columns and not why_missing("cupy"):
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        lines.append(f"GPU: {name}, {props['totalGlobalMem'] / 2**30:.0f} GiB, CuPy {cupy.__version__}, "
                     f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, driver {cupy.cuda.runtime.driverGetVersion()}")
    try:
        import torch

        lines.append(f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads"
                     + (f", CUDA device {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""))
    except ImportError:
        pass
    if hasattr(os, "getloadavg"):
        lines.append("load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return lines


def plot(results, cases, columns, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(cases)), 4))
    width = 0.8 / len(columns)
    for j, column in enumerate(columns):
        values = [results.get((case, column), np.nan) * 1e3 for case in cases]
        ax.bar(np.arange(len(cases)) + j * width, values, width, label=column)
    ax.set_xticks(np.arange(len(cases)) + 0.4 - width / 2)
    ax.set_xticklabels(cases, rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("ms per step (median, log scale)")
    ax.set_title("forward + backward / training step, " + platform.node())
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat (a smoke run, not a measurement)")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per case (default: 5; 1 with --quick)")
    parser.add_argument("--only", nargs="+", choices=list(OP_CASES) + list(MODEL_CASES), default=None)
    parser.add_argument("--columns", nargs="+", choices=COLUMNS, default=list(COLUMNS))
    parser.add_argument("--plot", default=DEFAULT_PLOT, help=f"bar chart PNG ('' for none; default {DEFAULT_PLOT})")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    cases = args.only or list(OP_CASES) + list(MODEL_CASES)

    print("command: " + " ".join([os.path.basename(sys.executable)] + sys.argv))
    for line in describe_machine(args.columns):
        print(line)
    columns = []
    for column in args.columns:
        reason = why_missing(column)
        if reason:
            print(f"column {column} missing: {reason}")
        else:
            columns.append(column)
    for name in cases:
        if name in MODEL_CASES and tge_model(name) is None:
            print(f"{name}: skipped, tge.models has no {' / '.join(MODEL_CASES[name][0])} yet")
    cases = [c for c in cases if c in OP_CASES or tge_model(c) is not None]

    results, notes = {}, []
    for column in columns:
        fw = Framework(column)
        with fw.kernels():
            for name in cases:
                rng = np.random.default_rng(0)
                if name in OP_CASES:
                    step = op_step(name, fw, OP_CASES[name][1 if args.quick else 0], rng)
                else:
                    step = model_step(name, fw, MODEL_CASES[name][2 if args.quick else 1], rng, notes)
                if step is not None:
                    results[name, column] = median_time(step, fw, repeats)

    for note in dict.fromkeys(notes):
        print(note)
    header = f"{'case':<18}" + "".join(f"{c:>12}" for c in columns) + "".join(
        f"{c + '/' + BASELINE[c]:>18}" for c in columns if c in BASELINE and BASELINE[c] in columns)
    print(f"\nmedian ms per forward+backward (ops) or training step (models), {repeats} repeat(s)"
          + (", --quick sizes" if args.quick else ""))
    print(header)
    for name in cases:
        row = f"{name:<18}"
        for column in columns:
            t = results.get((name, column))
            row += f"{'-' if t is None else f'{t * 1e3:.2f}':>12}"
        for column in columns:
            base = BASELINE.get(column)
            if base in columns:
                t, b = results.get((name, column)), results.get((name, base))
                row += f"{'-' if t is None or b is None else f'{t / b:.2f}x':>18}"
        print(row)
    for name in cases:
        if name in OP_CASES:
            print(f"  {name}: {OP_CASES[name][2]}" + (" (full size)" if args.quick else ""))
    if args.plot and results:
        plot(results, cases, columns, args.plot)
        print(f"bar chart: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
