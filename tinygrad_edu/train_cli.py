"""``tinygrad-edu train mlp|cnn``: train a course model on the bundled 8x8 digits.

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

The recipe of each model is in ``RECIPES``: Adam with a cosine-annealed learning rate,
cross-entropy with label smoothing 0.1 (targets 0.91 / 0.01 instead of 1 / 0: less
over-confident scores, a smoother validation loss), early stopping, and random small
rotations and shifts of the training images (data augmentation, from the lecture's
remedies for overfitting).
"""
import argparse
import os
import sys
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
    train = subparsers.add_parser(
        "train",
        help="train the MLP or the small CNN on the bundled 8x8 digits",
        description="Train a model on the bundled 8x8 digits (train split, 10%% of it for validation), print the "
                    "accuracy on the held-out 20%% test split, and save model.npz and curves.png.",
    )
    train.add_argument("model", choices=sorted(RECIPES), help="which model to train")
    train.add_argument("--epochs", type=int, default=None,
                       help="maximum number of epochs; early stopping may end sooner (default: "
                            + ", ".join(f"{k} {v['epochs']}" for k, v in RECIPES.items()) + ")")
    train.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: "
                       + ", ".join(f"{k} {v['batch_size']}" for k, v in RECIPES.items()) + ")")
    train.add_argument("--lr", type=float, default=None, help="Adam's initial learning rate (default: "
                       + ", ".join(f"{k} {v['lr']:g}" for k, v in RECIPES.items()) + ")")
    train.add_argument("--seed", type=int, default=0, help="seed of the initialisation, shuffling and augmentation (default: 0)")
    train.add_argument("--out", default=None, help="output folder for model.npz and curves.png (default: runs/<model>)")
    train.add_argument("--max-batches", type=int, default=None, metavar="K",
                       help="train on at most K batches per epoch (for quick smoke tests)")
    train.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    train.add_argument("--device", default="cpu",
                       help="where to train: cpu, cuda or cuda:N (default: cpu); the data is prepared on the CPU "
                            "and each batch moved there")
    train.set_defaults(run=run_train)
    return train


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


def train_model(args):
    """Train as ``args`` say (the parsed ``train`` command), evaluate on the test split,
    save the checkpoint and the curves; returns a ``TrainResult``."""
    recipe = RECIPES[args.model]
    epochs = args.epochs if args.epochs is not None else recipe["epochs"]
    batch_size = args.batch_size if args.batch_size is not None else recipe["batch_size"]
    lr = args.lr if args.lr is not None else recipe["lr"]
    check_args(args)
    out = args.out if args.out is not None else os.path.join("runs", args.model)

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
    history = fit(model, train_loader, loss_fn, optimizer, epochs, val_loader=val_loader, scheduler=scheduler,
                  early_stopping=recipe["patience"], progress=args.progress, device=device)
    train_time = time.perf_counter() - start
    test_loss, test_accuracy = evaluate(model, test_loader, CrossEntropyLoss(), device=device)

    best = history.best_epoch
    stop = ", stopped early" if history.stopped_early else ""
    print(f"trained {history.epochs} epochs in {train_time:.1f} s{stop}; best epoch {best}: "
          f"val loss {history.val_loss[best - 1]:.4f}, val accuracy {history.val_accuracy[best - 1]:.2%}")
    n_test = len(test_loader.loader.dataset)
    print(f"test accuracy: {test_accuracy:.2%} ({round(test_accuracy * n_test)}/{n_test}), test loss {test_loss:.4f}")

    os.makedirs(out, exist_ok=True)
    checkpoint, curves = os.path.join(out, "model.npz"), os.path.join(out, "curves.png")
    save(model.state_dict(), checkpoint)
    history.plot(curves, title=f"{args.model} on the 8x8 digits (test accuracy {test_accuracy:.2%})")
    print(f"saved {checkpoint} and {curves}")
    return TrainResult(model, history, test_loss, test_accuracy, checkpoint, curves)


def run_train(args):
    """``tinygrad-edu train``: returns the exit status (0, or 2 for a bad argument)."""
    try:
        check_args(args)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    train_model(args)
    return 0


def main(argv=None):
    """``python -m tinygrad_edu.train_cli mlp ...``: the same as ``tinygrad-edu train mlp ...``."""
    parser = argparse.ArgumentParser(prog="tinygrad-edu")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    return run_train(parser.parse_args(["train"] + list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
