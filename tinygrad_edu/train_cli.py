"""``tinygrad-edu train NAME``: train a course model on bundled data.

    tinygrad-edu train --list                    the models, their defaults and data
    tinygrad-edu train dncnn                     DnCNN-17 on photo patches (train_tasks.py)
    tinygrad-edu train dncnn --resume runs/dncnn continue a killed run from its last checkpoint
    tinygrad-edu train cnn                       the defaults below: about 99% test accuracy
    tinygrad-edu train mlp --epochs 5 --lr 1e-3  other settings
    tinygrad-edu train cnn --epochs 1 --max-batches 3 --no-progress   a quick smoke run
    tinygrad-edu train cnn --device cuda         on the GPU (needs CuPy: see tge.cuda)

The data: ``load_digits("train")`` (1,438 images), of which a stratified 10% is held back
for validation (early stopping watches its loss), and ``load_digits("test")``: the
held-out 20% (359 images), used once, at the end, for the accuracy that is printed.
Images are normalised with the train split's pixel mean and std,
x -> (x - DIGITS_MEAN) / DIGITS_STD: give a reloaded model inputs prepared the same way.
Writes ``model.npz`` (``tge.save(model.state_dict())``) and ``curves.png`` (loss and
accuracy per epoch) into ``--out`` (default ``runs/<model>``).

mlp and cnn (this file) keep their early-stopping loop (``train.fit``, which checkpoints every
epoch into ``checkpoint.npz`` and resumes from it; the settings go to ``settings.json``); every
other model is a ``Task`` of ``train_tasks.py`` run by the loop of ``train_resumable.py``.

The recipe of mlp and cnn is in ``RECIPES``: Adam with a cosine-annealed learning rate,
cross-entropy with label smoothing 0.1 (targets 0.91 / 0.01 instead of 1 / 0: less
over-confident scores, a smoother validation loss), early stopping, and random small
rotations and shifts of the training images (data augmentation, from the lecture's
remedies for overfitting).
"""
import argparse
import json
import os
import sys
import tempfile
import time
from collections import namedtuple

from . import backend
from .data import DataLoader, TensorDataset, load_digits
from .data.datasets import stratified_split
from .data.transforms import Compose, Normalize, RandomAffine
from .models import MLP, SmallCNN
from .nn.loss import CrossEntropyLoss
from .optim import Adam
from .optim.lr_scheduler import CosineAnnealingLR
from .random import manual_seed
from .serialization import save
from .tensor import Tensor
from .train import evaluate, fit
from .train_resumable import train_run
from .train_tasks import RECIPES as TASK_RECIPES

# pixel mean and std of load_digits("train") (images in [0, 1])
DIGITS_MEAN, DIGITS_STD = 0.3055, 0.3761


def _augmentation():
    """Up to 10 degrees of rotation and 10% (at most one pixel) of shift per image."""
    return RandomAffine(degrees=10, translate=(0.1, 0.1))


# The defaults of each model, chosen (and measured with benchmarks/bench_train.py) to reach
# the course targets on 2 CPU cores in well under a minute: MLP >= 97%, CNN >= 98%.
RECIPES = {
    "mlp": dict(build=lambda: MLP(64, hidden=(128, 64), num_classes=10), epochs=100, batch_size=32, lr=3e-3,
                patience=20, label_smoothing=0.1, augment=_augmentation),
    "cnn": dict(build=lambda: SmallCNN(1, num_classes=10, widths=(32, 64)), epochs=25, batch_size=32, lr=3e-3,
                patience=10, label_smoothing=0.1, augment=_augmentation),
}
VALIDATION_FRACTION = 0.1

TrainResult = namedtuple("TrainResult", "model history test_loss test_accuracy checkpoint curves")


def add_train_parser(subparsers):
    """Add the ``train`` command to ``subparsers`` (from ``parser.add_subparsers``)."""
    names = sorted(set(RECIPES) | set(TASK_RECIPES))
    train = subparsers.add_parser(
        "train",
        help="train a course model on bundled data (tinygrad-edu train --list)",
        description="Train a course model on data that ships with the package and print its task metric. "
                    "Every model checkpoints after each epoch (resume a killed run with --resume DIR). mlp and cnn: "
                    "the 8x8 digits with early stopping (model.npz, curves.png); every other model: model.npz, "
                    "model.safetensors, curves.png, metrics.json and the task's pictures.",
    )
    train.add_argument("model", nargs="?", choices=names, metavar="MODEL", help="which model: " + ", ".join(names))
    train.add_argument("--list", action="store_true", help="list the trainable models and their defaults, and exit")
    train.add_argument("--resume", metavar="DIR", default=None,
                       help="continue the run whose checkpoint.npz is in DIR (its settings are reused); ends with the "
                            "same weights as an uninterrupted run")
    train.add_argument("--epochs", type=int, default=None, help="number of epochs (default: the model's, see --list)")
    train.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: the model's)")
    train.add_argument("--lr", type=float, default=None, help="Adam's initial learning rate (default: the model's)")
    train.add_argument("--seed", type=int, default=0, help="seed of the data, initialisation, shuffling and noise (default: 0)")
    train.add_argument("--out", default=None, help="output folder (default: runs/<model>)")
    train.add_argument("--max-batches", type=int, default=None, metavar="K",
                       help="train on at most K batches per epoch (for quick smoke tests)")
    train.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    train.add_argument("--device", default="cpu",
                       help="where to train: cpu, cuda or cuda:N (default: cpu); the data is prepared on the CPU "
                            "and each batch moved there")
    train.set_defaults(run=run_train)
    return train


def list_models():
    """The ``train --list`` table: name, default epochs / batch size / lr, what it trains."""
    rows = [(name, str(r["epochs"]), str(r["batch_size"]), f"{r['lr']:g}",
             "MLP on the 8x8 digits (early stopping)" if name == "mlp" else "small CNN on the 8x8 digits (early stopping)")
            for name, r in sorted(RECIPES.items())]
    rows += [(name, str(r[2]), str(r[3]), f"{r[4]:g}", r[5]) for name, r in sorted(TASK_RECIPES.items())]
    header = ("model", "epochs", "batch", "lr", "what it trains")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] for row in [header] + rows]
    return "\n".join(lines)


class _Limited:
    """The first ``k`` batches of ``loader`` (``--max-batches``)."""

    def __init__(self, loader, k):
        self.loader, self.k = loader, k

    def __iter__(self):
        for i, batch in enumerate(self.loader):
            if i >= self.k:
                return
            yield batch

    def __len__(self):
        return min(self.k, len(self.loader))


class _Transformed:
    """``loader`` with ``transform`` applied to the images of each batch."""

    def __init__(self, loader, transform):
        self.loader, self.transform = loader, transform

    def __iter__(self):
        for x, y in self.loader:
            yield self.transform(x), y

    def __len__(self):
        return len(self.loader)


def digits_loaders(batch_size, seed=0, augment=None, pin_memory=False):
    """``(train, validation, test)`` loaders of the bundled digits, normalised with
    ``DIGITS_MEAN`` / ``DIGITS_STD``: the stratified train split cut again into train and
    a ``VALIDATION_FRACTION`` validation part, and the held-out test split. ``augment``
    (a batch transform) is applied to the training images before normalising."""
    x, y = load_digits("train")
    x_test, y_test = load_digits("test")
    train_idx, val_idx = stratified_split(y.numpy(), VALIDATION_FRACTION, seed=seed)
    train_set = TensorDataset(Tensor._wrap(x.array[train_idx]), Tensor._wrap(y.array[train_idx]))
    val_set = TensorDataset(Tensor._wrap(x.array[val_idx]), Tensor._wrap(y.array[val_idx]))
    normalize = Normalize(DIGITS_MEAN, DIGITS_STD)
    train = DataLoader(train_set, batch_size=batch_size, shuffle=True, pin_memory=pin_memory)
    train = _Transformed(train, normalize if augment is None else Compose([augment, normalize]))
    val = _Transformed(DataLoader(val_set, batch_size=256), normalize)
    test = _Transformed(DataLoader(TensorDataset(x_test, y_test), batch_size=256), normalize)
    return train, val, test


def check_args(args):
    """Raise ValueError naming the first option that is not positive, or a --device that
    is unknown or not usable here (e.g. cuda without a working CuPy)."""
    for name, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size), ("--lr", args.lr),
                        ("--max-batches", args.max_batches)):
        if value is not None and value <= 0:
            raise ValueError(f"tinygrad-edu train: {name} must be positive, got {value}")
    try:
        backend.namespace_for_device(getattr(args, "device", "cpu"))
    except RuntimeError as e:
        raise ValueError(f"tinygrad-edu train: --device {args.device}: {e}") from None


def check_out(out):
    """Raise ValueError unless ``out`` is (or can be made) a folder we can write in: checked
    before training, so that a bad path never costs a training run."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"tinygrad-edu train: --out {out!r} exists and is not a folder")
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise ValueError(f"tinygrad-edu train: cannot write to --out {out!r} ({e.strerror or e}); choose another folder")


def save_outputs(model, history, out, title):
    """Save model.npz and curves.png into ``out``; if that fails after all (the folder was
    removed, the disk is full), into a new temporary folder instead, so the trained model
    is never lost. Returns the two paths."""
    try:
        os.makedirs(out, exist_ok=True)
        checkpoint = os.path.join(out, "model.npz")
        save(model.state_dict(), checkpoint)
    except OSError as e:
        fallback = tempfile.mkdtemp(prefix="tinygrad-edu-train-")
        print(f"tinygrad-edu train: could not save into {out!r} ({e.strerror or e}); saving into {fallback} instead",
              file=sys.stderr)
        out = fallback
        checkpoint = os.path.join(out, "model.npz")
        save(model.state_dict(), checkpoint)
    curves = os.path.join(out, "curves.png")
    history.plot(curves, title=title)
    return checkpoint, curves


def train_model(args):
    """Train as ``args`` say (the parsed ``train`` command), evaluate on the test split,
    save the checkpoint and the curves; returns a ``TrainResult``."""
    recipe = RECIPES[args.model]
    out = args.resume or (args.out if args.out is not None else os.path.join("runs", args.model))
    checkpoint = os.path.join(out, "checkpoint.npz")
    if args.resume is not None:  # the interrupted run's settings, so it ends the same
        if not os.path.exists(checkpoint):
            raise FileNotFoundError(f"tinygrad-edu train {args.model} --resume {out}: no checkpoint.npz there")
        with open(os.path.join(out, "settings.json")) as f:
            for key, value in json.load(f).items():
                setattr(args, key, value)
    epochs = args.epochs if args.epochs is not None else recipe["epochs"]
    batch_size = args.batch_size if args.batch_size is not None else recipe["batch_size"]
    lr = args.lr if args.lr is not None else recipe["lr"]
    check_args(args)
    check_out(out)

    device = backend.device(getattr(args, "device", "cpu"))
    manual_seed(args.seed)  # initialisation, shuffling and augmentation all draw from it
    model = recipe["build"]().to(device)
    train_loader, val_loader, test_loader = digits_loaders(batch_size, args.seed, recipe["augment"](),
                                                           pin_memory=device.type == "cuda")
    n_batches = len(train_loader)
    if args.max_batches is not None:
        train_loader = _Limited(train_loader, args.max_batches)
    loss_fn = CrossEntropyLoss(label_smoothing=recipe["label_smoothing"])
    optimizer = Adam(model.parameters(), lr=lr)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({type(model).__name__}, {n_params:,} parameters) on the 8x8 digits: "
          f"{len(train_loader)} of {n_batches} batches of {batch_size} per epoch, up to {epochs} epochs, "
          f"Adam lr {lr:g} (cosine), seed {args.seed}, on {device}", flush=True)

    start = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "settings.json"), "w") as f:  # what --resume reuses
        json.dump({"seed": args.seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
                   "max_batches": args.max_batches}, f)
    history = fit(model, train_loader, loss_fn, optimizer, epochs, val_loader=val_loader, scheduler=scheduler,
                  early_stopping=recipe["patience"], progress=args.progress, checkpoint=checkpoint,
                  resume=args.resume is not None, device=device)
    train_time = time.perf_counter() - start
    # the test loss is the same loss as the validation loss (the training objective), so the two compare
    test_loss, test_accuracy = evaluate(model, test_loader, loss_fn, device=device)

    best = history.best_epoch
    stop = ", stopped early" if history.stopped_early else ""
    print(f"trained {history.epochs} epochs in {train_time:.1f} s{stop}; best epoch {best}: "
          f"val loss {history.val_loss[best - 1]:.4f}, val accuracy {history.val_accuracy[best - 1]:.2%}")
    n_test = len(test_loader.loader.dataset)
    print(f"test accuracy: {test_accuracy:.2%} ({round(test_accuracy * n_test)}/{n_test}), test loss {test_loss:.4f}")
    print(f"(train, val and test loss: cross-entropy with label smoothing {recipe['label_smoothing']:g}, "
          "the training objective)")

    checkpoint, curves = save_outputs(model, history, out,
                                      f"{args.model} on the 8x8 digits (test accuracy {test_accuracy:.2%})")
    print(f"saved {checkpoint} and {curves}")
    return TrainResult(model, history, test_loss, test_accuracy, checkpoint, curves)


def run_train(args):
    """``tinygrad-edu train``: returns the exit status (0, or 2 for a bad argument)."""
    if args.list:
        print(list_models())
        return 0
    if args.model is None:
        print("tinygrad-edu train: name a model (tinygrad-edu train --list shows them)", file=sys.stderr)
        return 2
    try:
        check_args(args)
        check_out(args.out if args.out is not None else os.path.join("runs", args.model))
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    if args.model in RECIPES:
        try:
            train_model(args)
        except FileNotFoundError as e:
            print(e, file=sys.stderr)
            return 2
        return 0
    out = args.resume or args.out or os.path.join("runs", args.model)
    try:
        train_run(args.model, out, seed=args.seed, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                  max_batches=args.max_batches, resume=args.resume is not None, progress=args.progress)
    except (FileNotFoundError, ValueError) as e:
        print(e, file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    """``python -m tinygrad_edu.train_cli mlp ...``: the same as ``tinygrad-edu train mlp ...``."""
    parser = argparse.ArgumentParser(prog="tinygrad-edu")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    return run_train(parser.parse_args(["train"] + list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
