"""bench_train.py's commands against a PyTorch twin of the same training loop: wall and CPU
seconds per epoch of ``tinygrad-edu train mlp`` / ``cnn`` and of the same loop in PyTorch,
each side in its own process, rounds alternated.

    python benchmarks/bench_train_torch.py                    # mlp and cnn, seed 0, 2 rounds, 1 thread per side
    python benchmarks/bench_train_torch.py --threads 2        # 2 BLAS / OpenMP threads per side
    python benchmarks/bench_train_torch.py --quick            # 1 epoch of 2 batches: a smoke run, not a measurement
    python benchmarks/bench_train_torch.py --json runs/bench/train_torch.json

**The two sides.** tinygrad_edu: the code of ``tinygrad-edu train MODEL --seed S --out DIR
--no-progress`` (``train_cli.train_model``, called in a worker process that wraps
``train_cli.fit`` with a wall and CPU clock; nothing else changes). PyTorch: ``torch_twin``
below, the same loop written in PyTorch: the same architecture (``MLP`` 64-128-64-10,
``SmallCNN`` widths (32, 64); PyTorch's default initialisation, which tinygrad_edu
copies), the same data (the parent writes the train / validation / test arrays of
``load_digits`` and ``stratified_split`` that ``train_cli.digits_loaders`` uses into an
.npz), the same normalisation, the same augmentation (``RandomAffine(degrees=10,
translate=(0.1, 0.1))``: one rotation and one whole-pixel shift per image, bilinear, zeros
outside: here ``affine_grid`` + ``grid_sample``), batch size, Adam, cosine-annealed learning
rate, cross-entropy with label smoothing, per-batch accuracy, validation after every epoch,
early stopping with a snapshot of the best weights, and an atomic, fsync'ed checkpoint
every epoch. The recipe's numbers come from ``train_cli.RECIPES``, so the two sides cannot
drift apart. The random streams differ (tinygrad_edu draws from NumPy's generator,
PyTorch from its own), so initial weights, batch order and augmentations differ: the
accuracies should be comparable, not equal, and with early stopping the numbers of epochs
differ too, hence the per-epoch times.

**What is timed.** "fit s / epoch": wall (``perf_counter``) and CPU (``process_time``, all
threads of the process) of the training loop (train pass, validation, scheduler, early
stopping bookkeeping, checkpoint) divided by its epochs; "process s": the whole worker
process, from the parent (wall, and user + system CPU from ``getrusage``): starting Python,
imports, data, the loop, the test evaluation and saving (tinygrad_edu's command also draws
curves.png, which the twin does not). Each round runs every (model, seed) on both sides
back to back, tinygrad_edu first in even rounds and PyTorch first in odd ones; times are
medians over rounds, ratios (tinygrad_edu / PyTorch) the median of the paired per-round
ratios. Both sides get ``--threads`` BLAS / OpenMP / Numba threads (default 1) through the
environment (and ``torch.set_num_threads``), pinned to the first ``--cores`` CPUs.

Without PyTorch (or with ``--no-torch``) only the tinygrad_edu column is measured and the
script says why the PyTorch column is missing; PyTorch is not a dependency of the package.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCHEMA = "tinygrad_edu.bench_train_torch/1"
SIDES = ("tge", "torch")
RESULT_PREFIX = "BENCH_RESULT "


# ----------------------------------------------------------------------------- worker: tinygrad_edu
def tge_worker(args):
    """``tinygrad-edu train MODEL ...`` as the CLI runs it, with ``fit`` timed."""
    from tinygrad_edu import train_cli

    clocks = {}
    real_fit = train_cli.fit

    def timed_fit(*a, **k):  # the CLI's fit, between two readings of the wall and CPU clocks
        wall, cpu = time.perf_counter(), time.process_time()
        history = real_fit(*a, **k)
        clocks.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)
        return history

    train_cli.fit = timed_fit
    parser = argparse.ArgumentParser(prog="tinygrad-edu")
    train_cli.add_train_parser(parser.add_subparsers(dest="command", required=True))
    argv = ["train", args.model, "--seed", str(args.seed), "--out", args.out, "--no-progress"]
    if args.epochs is not None:
        argv += ["--epochs", str(args.epochs)]
    if args.max_batches is not None:
        argv += ["--max-batches", str(args.max_batches)]
    result = train_cli.train_model(parser.parse_args(argv))
    n_params = sum(p.numel() for p in result.model.parameters())
    return dict(epochs=result.history.epochs, best_epoch=result.history.best_epoch,
                stopped_early=bool(result.history.stopped_early), fit_wall_s=clocks["wall"], fit_cpu_s=clocks["cpu"],
                test_accuracy=float(result.test_accuracy), test_loss=float(result.test_loss), parameters=n_params)


# ----------------------------------------------------------------------------- worker: the PyTorch twin
def torch_models(nn):
    """The twins of ``tge.models.MLP(64, (128, 64), 10)`` and ``SmallCNN(1, 10, (32, 64))``
    (same layers, same state-dict names)."""

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
            self.classifier = nn.Linear(64, 10)

        def forward(self, x):
            return self.classifier(self.features(x.flatten(1)))

    def conv_bn_relu(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(conv_bn_relu(1, 32), conv_bn_relu(32, 32), nn.MaxPool2d(2),
                                          conv_bn_relu(32, 64), conv_bn_relu(64, 64))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.classifier = nn.Linear(64, 10)

        def forward(self, x):
            return self.classifier(self.flatten(self.pool(self.features(x))))

    return {"mlp": MLP, "cnn": SmallCNN}


def torch_warp(x, angle, shift):
    """Rotate each image of x (N, C, H, W) by ``angle`` (N,) degrees (positive: clockwise)
    and shift it by ``shift`` (N, 2) pixels (dx, dy), bilinear, zeros outside: tinygrad_edu's
    ``warp_affine(x, affine_matrices(angle, shift, 1, 0))``. The output pixel p (centred
    coordinates) reads the input at A^-1 (p - t), A the rotation; ``grid_sample`` with
    ``align_corners=True`` wants that in units of the half-size (c = (W-1)/2, (H-1)/2)."""
    import torch
    import torch.nn.functional as F

    n, _, h, w = x.shape
    a = torch.deg2rad(angle.double())
    cos, sin = torch.cos(a), torch.sin(a)
    inverse = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)  # R(-a) = R(a)^-1
    half = torch.tensor([(w - 1) / 2.0, (h - 1) / 2.0], dtype=torch.float64)
    linear = inverse * half[None, None, :] / half[None, :, None]  # S^-1 A^-1 S
    offset = -(inverse @ shift.double()[..., None])[..., 0] / half  # S^-1 (-A^-1 t)
    theta = torch.cat([linear, offset[..., None]], -1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def torch_augment(x, degrees, translate):
    """RandomAffine(degrees, translate=(translate, translate)) per image, drawn from torch's
    generator; shifts rounded to whole pixels (half to even, as np.round)."""
    import torch

    n, _, h, w = x.shape
    angle = torch.empty(n, dtype=torch.float64).uniform_(-degrees, degrees)
    max_shift = torch.tensor([translate * w, translate * h], dtype=torch.float64)
    shift = torch.round((torch.rand(n, 2, dtype=torch.float64) * 2 - 1) * max_shift)
    return torch_warp(x, angle, shift)


def atomic_torch_save(obj, path):
    """torch.save to a temporary file, flushed to disk, renamed over ``path`` (as tge.save)."""
    import torch

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def torch_worker(args):
    """The loop of ``train_cli.train_model`` + ``train.fit``, in PyTorch."""
    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = torch_models(nn)[args.model]()
    data = np.load(args.data)
    mean, std = float(data["mean"]), float(data["std"])
    x_train, y_train = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    val = (torch.from_numpy((data["x_val"] - mean) / std), torch.from_numpy(data["y_val"]))
    test = (torch.from_numpy((data["x_test"] - mean) / std), torch.from_numpy(data["y_test"]))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    checkpoint = os.path.join(args.out, "checkpoint.pt")
    os.makedirs(args.out, exist_ok=True)

    def batches(x, y, size, shuffle):
        order = torch.randperm(len(x)) if shuffle else torch.arange(len(x))
        for start in range(0, len(x), size):
            idx = order[start:start + size]
            yield x[idx], y[idx]

    def measure(x, y):  # train.measure: mean loss and accuracy in eval mode, batches of 256
        model.eval()
        total_loss, correct = 0.0, 0.0
        with torch.no_grad():
            for xb, yb in batches(x, y, 256, shuffle=False):
                logits = model(xb)
                total_loss += loss_fn(logits, yb).item() * len(xb)
                correct += (logits.argmax(1) == yb).float().mean().item() * len(xb)
        model.train()
        return total_loss / len(x), correct / len(x)

    wall, cpu = time.perf_counter(), time.process_time()
    best_loss, best_state, bad_epochs, best_epoch, stopped_early = float("inf"), None, 0, 0, False
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss, correct, seen = 0.0, 0.0, 0
        for step, (xb, yb) in enumerate(batches(x_train, y_train, args.batch_size, shuffle=True)):
            if args.max_batches is not None and step >= args.max_batches:
                break
            xb = (torch_augment(xb, args.degrees, args.translate) - mean) / std
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = len(xb)
            total_loss += loss.item() * n
            correct += (logits.detach().argmax(1) == yb).float().mean().item() * n
            seen += n
        history["train_loss"].append(total_loss / seen)
        val_loss, val_accuracy = measure(*val)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        scheduler.step()
        if val_loss < best_loss:
            best_loss, bad_epochs, best_epoch = val_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
            stopped_early = bad_epochs >= args.patience and epoch < args.epochs
        atomic_torch_save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                           "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(), "history": history,
                           "best_loss": best_loss, "bad_epochs": bad_epochs, "best_state": best_state}, checkpoint)
        if stopped_early:
            break
    model.load_state_dict(best_state)
    fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
    test_loss, test_accuracy = measure(*test)
    atomic_torch_save(model.state_dict(), os.path.join(args.out, "model.pt"))
    stop = ", stopped early" if stopped_early else ""
    print(f"trained {epoch} epochs in {fit_wall:.1f} s{stop}; best epoch {best_epoch}: "
          f"val loss {history['val_loss'][best_epoch - 1]:.4f}, val accuracy {history['val_accuracy'][best_epoch - 1]:.2%}")
    print(f"test accuracy: {test_accuracy:.2%} ({round(test_accuracy * len(test[0]))}/{len(test[0])}), "
          f"test loss {test_loss:.4f}")
    return dict(epochs=epoch, best_epoch=best_epoch, stopped_early=stopped_early, fit_wall_s=fit_wall, fit_cpu_s=fit_cpu,
                test_accuracy=test_accuracy, test_loss=test_loss, parameters=sum(p.numel() for p in model.parameters()),
                torch_version=torch.__version__)


def worker_main(argv):
    p = argparse.ArgumentParser(prog="bench_train_torch.py --worker")
    p.add_argument("side", choices=SIDES)
    p.add_argument("model", choices=("mlp", "cnn"))
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--max-batches", type=int, default=None)
    # the twin's recipe (the parent passes train_cli's values)
    for name in ("batch-size", "patience"):
        p.add_argument("--" + name, type=int, default=None)
    for name in ("lr", "label-smoothing", "degrees", "translate"):
        p.add_argument("--" + name, type=float, default=None)
    p.add_argument("--data", default=None, help="the .npz of digits arrays the parent wrote (torch side)")
    args = p.parse_args(argv)
    result = tge_worker(args) if args.side == "tge" else torch_worker(args)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ----------------------------------------------------------------------------- parent
def load_average():
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def probe_torch(env):
    """``(version, None)`` when the workers' Python can import torch, else ``(None, why the
    column is missing)``."""
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"], env=env,
                           capture_output=True, text=True)
    if probe.returncode == 0:
        return probe.stdout.strip(), None
    last = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
    return None, (f"PyTorch is not importable here ({last}); it is optional: pip install 'torch==2.13.0' "
                  "(setup.cfg's torch extra) to measure this column")


def prepare_data(seed, path):
    """The arrays ``train_cli.digits_loaders(seed=seed)`` trains, validates and tests on."""
    import numpy as np

    from tinygrad_edu.data import load_digits
    from tinygrad_edu.data.datasets import stratified_split
    from tinygrad_edu.train_cli import DIGITS_MEAN, DIGITS_STD, VALIDATION_FRACTION

    x, y = load_digits("train")
    x_test, y_test = load_digits("test")
    train_idx, val_idx = stratified_split(y.numpy(), VALIDATION_FRACTION, seed=seed)
    x, y = x.numpy(), y.numpy()
    np.savez(path, x_train=x[train_idx], y_train=y[train_idx], x_val=x[val_idx], y_val=y[val_idx],
             x_test=x_test.numpy(), y_test=y_test.numpy(), mean=np.float32(DIGITS_MEAN), std=np.float32(DIGITS_STD))


def recipe_args(model):
    """train_cli's recipe of ``model`` as the twin's command-line options."""
    from tinygrad_edu.train_cli import RECIPES

    r = RECIPES[model]
    augment = r["augment"]()
    degrees = max(abs(d) for d in augment.degrees)
    if augment.degrees != (-degrees, degrees) or augment.translate[0] != augment.translate[1] or augment.scale \
            or augment.shear or augment.stretch or augment.fill or augment.interpolation != "bilinear":
        raise SystemExit(f"bench_train_torch: the twin knows rotation + shift only; {model}'s augmentation is {augment!r}")
    return dict(epochs=r["epochs"], batch_size=r["batch_size"], lr=r["lr"], patience=r["patience"],
                label_smoothing=r["label_smoothing"], degrees=degrees, translate=augment.translate[0])


def run_side(side, model, seed, rnd, args, base, env, preexec, data):
    out = os.path.join(base, f"{side}-{model}-seed{seed}-round{rnd}")
    cmd = [sys.executable, os.path.join("benchmarks", "bench_train_torch.py"), "--worker", side, model,
           "--seed", str(seed), "--out", out, "--threads", str(args.threads)]
    if side == "torch":
        recipe = recipe_args(model)
        if args.epochs is not None:
            recipe["epochs"] = args.epochs
        cmd += [f"--{k.replace('_', '-')}={v}" for k, v in recipe.items()] + ["--data", data]
    elif args.epochs is not None:
        cmd += ["--epochs", str(args.epochs)]
    if args.max_batches is not None:
        cmd += ["--max-batches", str(args.max_batches)]
    shown = " ".join(cmd)
    print(f"$ {shown}", flush=True)
    load = load_average()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, preexec_fn=preexec, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr)
        raise SystemExit(f"bench_train_torch: the {side} worker for {model} failed with exit status {proc.returncode}")
    lines = proc.stdout.splitlines()
    for line in lines:
        if not line.startswith(RESULT_PREFIX):
            print("    " + line)
    result = json.loads(next(line for line in lines if line.startswith(RESULT_PREFIX))[len(RESULT_PREFIX):])
    result.update(side=side, model=model, seed=seed, round=rnd, command=shown, load=load,
                  process_wall_s=wall,
                  process_cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                  wall_s_per_epoch=result["fit_wall_s"] / result["epochs"],
                  cpu_s_per_epoch=result["fit_cpu_s"] / result["epochs"])
    return result


def summarise(runs, models, seeds, sides):
    """Per model: medians per side and the paired tinygrad_edu / PyTorch ratios."""
    summary = {}
    for model in models:
        entry = {}
        for side in sides:
            mine = [r for r in runs if r["model"] == model and r["side"] == side]
            entry[side] = {key: statistics.median(r[key] for r in mine)
                           for key in ("wall_s_per_epoch", "cpu_s_per_epoch", "process_wall_s", "process_cpu_s")}
            entry[side]["epochs"] = sorted({r["epochs"] for r in mine})
            entry[side]["test_accuracy"] = {str(s): sorted({r["test_accuracy"] for r in mine if r["seed"] == s})
                                            for s in seeds}
            entry[side]["parameters"] = mine[0]["parameters"]
        if "torch" in sides:
            ratios = {}
            for key in ("wall_s_per_epoch", "cpu_s_per_epoch", "process_wall_s", "process_cpu_s"):
                paired = []
                for r in runs:
                    if r["model"] == model and r["side"] == "tge":
                        twin = next(t for t in runs if t["side"] == "torch" and t["model"] == model
                                    and t["seed"] == r["seed"] and t["round"] == r["round"])
                        paired.append(r[key] / twin[key])
                ratios[key] = statistics.median(paired)
            entry["ratios"] = ratios
        summary[model] = entry
    return summary


def build_parser():
    p = argparse.ArgumentParser(description="Wall and CPU seconds per epoch of bench_train.py's training commands "
                                            "against a PyTorch twin of the same loop, each side in its own process, "
                                            "rounds alternated.")
    p.add_argument("--models", nargs="+", choices=("mlp", "cnn"), default=["mlp", "cnn"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--rounds", type=int, default=None,
                   help="rounds; each runs every (model, seed) on both sides (default 2, with --quick 1)")
    p.add_argument("--threads", type=int, default=1, help="BLAS / OpenMP / Numba threads per side (default 1)")
    p.add_argument("--cores", type=int, default=2, help="CPUs to pin each worker to (0: no pinning; default 2)")
    p.add_argument("--epochs", type=int, default=None, help="override the recipes' epochs (both sides)")
    p.add_argument("--max-batches", type=int, default=None, help="at most K batches per epoch (both sides)")
    p.add_argument("--quick", action="store_true", help="1 epoch of 2 batches, 1 round: a smoke run, not a measurement")
    p.add_argument("--no-torch", action="store_true", help="tinygrad_edu only (also automatic without PyTorch)")
    p.add_argument("--json", default=None, help="write the runs and the summary here")
    p.add_argument("--out", default=None, help="folder for the runs' outputs (default: a temporary folder)")
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        sys.path.insert(0, ROOT)
        return worker_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.quick:
        args.epochs = args.epochs or 1
        args.max_batches = args.max_batches or 2
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    sys.path.insert(0, ROOT)
    sys.path.insert(0, HERE)
    import bench_train  # beside this script: CPU pinning and the thread variables
    import machine_info

    preexec, env, cpus = bench_train.pinned(args.cores, args.threads)
    torch_version, reason = (None, "--no-torch was given") if args.no_torch else probe_torch(env)
    sides = ("tge",) if reason else SIDES
    machine = machine_info.machine() + (f", torch {torch_version}" if torch_version else "")
    print(f"machine: {machine}")
    print(f"command: python benchmarks/bench_train_torch.py {' '.join(argv)}")
    print(f"workers on CPUs {cpus}, {args.threads} BLAS / OpenMP / Numba thread(s) per side")
    if reason:
        print(f"column torch missing: {reason}")
    load_before = load_average()
    print(f"load average before: {load_before} (1, 5, 15 min; {os.cpu_count()} cores)", flush=True)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.out or tmp
        os.makedirs(base, exist_ok=True)
        data = {}
        for seed in args.seeds:
            data[seed] = os.path.join(base, f"digits-seed{seed}.npz")
            prepare_data(seed, data[seed])
        for rnd in range(args.rounds):
            order = sides if rnd % 2 == 0 else sides[::-1]
            for model in args.models:
                for seed in args.seeds:
                    for side in order:
                        runs.append(run_side(side, model, seed, rnd, args, base, env, preexec, data[seed]))
    load_after = load_average()
    print(f"load average after: {load_after}")
    summary = summarise(runs, args.models, args.seeds, sides)

    print(f"\nmedians over {args.rounds} round(s); ratio = tinygrad_edu / PyTorch, median of the paired rounds")
    print("model  side   params  epochs  wall s/epoch  cpu s/epoch  process wall s  process cpu s  test accuracy")
    for model, entry in summary.items():
        for side in sides:
            e = entry[side]
            acc = "; ".join(f"seed {s}: " + ", ".join(f"{a:.2%}" for a in accs) for s, accs in e["test_accuracy"].items())
            print(f"{model:<5}  {side:<5}  {e['parameters']:>6}  {','.join(map(str, e['epochs'])):>6}  "
                  f"{e['wall_s_per_epoch']:>12.3f}  {e['cpu_s_per_epoch']:>11.3f}  {e['process_wall_s']:>14.1f}  "
                  f"{e['process_cpu_s']:>13.1f}  {acc}")
        if "ratios" in entry:
            q = entry["ratios"]
            print(f"{model:<5}  ratio  {'':>6}  {'':>6}  {q['wall_s_per_epoch']:>12.2f}  {q['cpu_s_per_epoch']:>11.2f}  "
                  f"{q['process_wall_s']:>14.2f}  {q['process_cpu_s']:>13.2f}")
        else:
            print(f"{model:<5}  torch  column missing: {reason}")
    print("accuracies differ between the sides because their random streams differ (initialisation, batch order, "
          "augmentation), not because the loops do")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"schema": SCHEMA, "machine": machine, "argv": argv, "threads": args.threads, "cpus": cpus,
                       "quick": args.quick, "rounds": args.rounds, "torch_missing": reason, "sides": list(sides),
                       "load_before": load_before, "load_after": load_after, "runs": runs, "summary": summary}, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
