"""Bundled data (offline), synthetic shapes, the IDX parser and the MNIST loader (on IDX
files the tests write; nothing is ever downloaded)."""
import gzip
import hashlib
import io
import os
import struct
import urllib.error

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.data import DataLoader, TensorDataset, datasets
from tinygrad_edu.data.datasets import mnist as mnist_module
from tinygrad_edu.data.datasets import shapes as shapes_module


# ------------------------------------------------------------------ bundled data
def test_digits_offline():
    x, y = datasets.load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == tge.float32
    assert y.shape == (1797,) and y.dtype == tge.int64
    xs = x.cpu().numpy()
    assert xs.min() == 0.0 and xs.max() == 1.0
    assert np.array_equal(np.unique(xs * 16), np.arange(17))  # counts 0..16, scaled by 1/16
    assert np.array_equal(np.bincount(y.cpu().numpy()), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_digits_split_is_fixed_stratified_and_disjoint():
    xtr, ytr = datasets.load_digits("train")
    xte, yte = datasets.load_digits("test")
    assert len(ytr) + len(yte) == 1797 and len(yte) == 359
    counts = np.bincount(y := datasets.load_digits()[1].cpu().numpy())
    assert np.array_equal(np.bincount(yte.cpu().numpy()), np.round(counts * 0.2).astype(int))
    train_idx, test_idx = datasets.stratified_split(y, 0.2, 0)
    assert not set(train_idx) & set(test_idx) and len(set(train_idx) | set(test_idx)) == 1797
    assert np.array_equal(datasets.load_digits("test")[0].cpu().numpy(), xte.cpu().numpy())  # same split every call
    assert not np.array_equal(datasets.load_digits("test", seed=1)[1].cpu().numpy(), yte.cpu().numpy())
    with pytest.raises(ValueError, match="split must be"):
        datasets.load_digits("validation")


def test_mnist_subset_offline():
    x, y = datasets.load_mnist_subset()
    assert x.shape == (5000, 1, 28, 28) and x.dtype == tge.float32 and y.dtype == tge.int64
    assert np.array_equal(np.bincount(y.cpu().numpy()), [500] * 10)
    assert 0.0 <= x.cpu().numpy().min() and x.cpu().numpy().max() == 1.0
    xtr, ytr = datasets.load_mnist_subset("train")
    _, yte = datasets.load_mnist_subset("test")
    assert np.array_equal(np.bincount(ytr.cpu().numpy()), [400] * 10) and np.array_equal(np.bincount(yte.cpu().numpy()), [100] * 10)
    assert len(set(ytr.cpu().numpy()[:50].tolist())) > 5  # shuffled, although the file is sorted by class


def test_loader_results_are_independent_copies():
    x, _ = datasets.load_digits()
    x.array[:] = 0
    assert datasets.load_digits()[0].cpu().numpy().max() == 1.0


def test_bundled_files_and_licences_are_present():
    folder = datasets.bundled.FILES_DIR
    assert {"digits.csv.gz", "mnist_5k.csv.gz", "README.md"} <= set(os.listdir(folder))
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert "CC BY 4.0" in readme and "CC BY-SA 3.0" in readme and "BSD" in readme


def test_digits_train_with_a_loader():
    loader = DataLoader(TensorDataset(*datasets.load_digits("train")), batch_size=256, shuffle=True)
    xb, yb = next(iter(loader))
    assert xb.shape == (256, 1, 8, 8) and yb.shape == (256,) and len(loader) == 6


# -------------------------------------------------------------------- shapes
def _reference_mask(size, kind, p):
    """Pixel-by-pixel, loops only: is the pixel centre (x=j, y=i) inside the shape?"""
    mask = np.zeros((size, size), dtype=bool)
    for i in range(size):
        for j in range(size):
            if kind == "circle":
                inside = (j - p["cx"]) ** 2 + (i - p["cy"]) ** 2 <= p["r"] ** 2
            elif kind == "rectangle":
                inside = p["x0"] <= j <= p["x1"] and p["y0"] <= i <= p["y1"]
            else:
                (ax, ay), (bx, by), (cx, cy) = p["vertices"]
                signs = [(bx - ax) * (i - ay) - (by - ay) * (j - ax), (cx - bx) * (i - by) - (cy - by) * (j - bx),
                         (ax - cx) * (i - cy) - (ay - cy) * (j - cx)]
                inside = all(s >= 0 for s in signs) or all(s <= 0 for s in signs)
            mask[i, j] = inside
    return mask


def test_shapes_masks_exactly_match_the_drawn_shapes():
    size = 20
    images, masks, drawn = datasets.make_shapes(12, size=size, seed=3, return_shapes=True)
    assert images.shape == (12, 1, size, size) and images.dtype == tge.float32
    assert masks.shape == (12, size, size) and masks.dtype == tge.int64
    kinds = set()
    for k, shapes in enumerate(drawn):
        expected_mask = np.zeros((size, size), dtype=np.int64)
        expected_image = np.zeros((size, size), dtype=np.float32)
        for name, params, intensity in shapes:  # paint in order: later shapes cover earlier ones
            covered = _reference_mask(size, name, params)
            assert covered.sum() > 0
            expected_mask[covered] = datasets.SHAPE_CLASSES.index(name)
            expected_image[covered] = intensity
            kinds.add(name)
        assert np.array_equal(masks.cpu().numpy()[k], expected_mask)
        assert np.array_equal(images.cpu().numpy()[k, 0], expected_image)
    assert kinds == {"circle", "rectangle", "triangle"}


def test_shapes_are_reproducible_and_seeded():
    a = datasets.make_shapes(5, seed=1)
    b = datasets.make_shapes(5, seed=1)
    c = datasets.make_shapes(5, seed=2)
    assert np.array_equal(a[1].cpu().numpy(), b[1].cpu().numpy()) and np.array_equal(a[0].cpu().numpy(), b[0].cpu().numpy())
    assert not np.array_equal(a[1].cpu().numpy(), c[1].cpu().numpy())
    noisy, masks = datasets.make_shapes(5, seed=1, noise_std=0.1)
    assert np.array_equal(masks.cpu().numpy(), a[1].cpu().numpy()) and not np.array_equal(noisy.cpu().numpy(), a[0].cpu().numpy())


def test_shape_primitives():
    circle = shapes_module.circle_mask(11, 5, 5, 3)
    assert circle[5, 5] and circle[5, 8] and not circle[5, 9] and not circle[8, 8]
    rect = shapes_module.rectangle_mask(8, 1.5, 2, 4, 5.5)
    assert rect.sum() == 3 * 4 and rect[2, 2] and not rect[2, 1]
    tri = shapes_module.triangle_mask(6, [(0, 0), (5, 0), (0, 5)])
    assert tri.sum() == 21 and np.array_equal(tri, shapes_module.triangle_mask(6, [(0, 0), (0, 5), (5, 0)]))


def test_shapes_dataset():
    ds = datasets.ShapesDataset(n=6, size=16, seed=0)
    image, mask = ds[2]
    assert len(ds) == 6 and image.shape == (1, 16, 16) and mask.shape == (16, 16)
    assert ds.classes[0] == "background" and len(ds.shapes) == 6
    xb, mb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 16, 16) and mb.dtype == tge.int64


# ----------------------------------------------------------------------- IDX
def _idx_bytes(array, code):
    """IDX bytes built by hand (independently of write_idx)."""
    big = array.astype(array.dtype.newbyteorder(">"))
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + big.tobytes()


@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, code, compressed):
    array = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    raw = _idx_bytes(array, code)
    path = tmp_path / ("a.idx.gz" if compressed else "a.idx")
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    out = datasets.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and np.array_equal(out, array)
    datasets.write_idx(tmp_path / "b.idx", array)  # write_idx writes the same bytes
    assert (tmp_path / "b.idx").read_bytes() == raw


def test_read_idx_labels_1d(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    (tmp_path / "l.idx").write_bytes(_idx_bytes(labels, 0x08))
    assert datasets.read_idx(tmp_path / "l.idx").tolist() == [5, 0, 4, 1, 9]


@pytest.mark.parametrize("mangle,message", [
    (lambda b: b[:-3], "truncated file"),
    (lambda b: b[:9], "truncated header"),
    (lambda b: b[:2], "too short"),
    (lambda b: b + b"\x00", "unexpected bytes"),
    (lambda b: b"\x01" + b[1:], "not an IDX file"),
    (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX element type 0x07"),
    (lambda b: gzip.compress(b)[:-10], "corrupted or truncated gzip"),
])
def test_read_idx_corruption_errors_name_the_file(tmp_path, mangle, message):
    raw = _idx_bytes(np.zeros((3, 4, 4), dtype=np.uint8), 0x08)
    path = tmp_path / "broken-images-idx3-ubyte"
    path.write_bytes(mangle(raw))
    with pytest.raises(ValueError, match=message) as info:
        datasets.read_idx(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------- MNIST
def _write_fake_mnist(root, folder="MNIST", n_train=6, n_test=4, gz=True):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        suffix = ".gz" if gz else ""
        datasets.write_idx(raw / f"{prefix}-images-idx3-ubyte{suffix}", images)
        datasets.write_idx(raw / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        files[prefix] = (images, labels)
    return files


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_local_idx_files(tmp_path, gz):
    files = _write_fake_mnist(tmp_path, gz=gz)
    ds = datasets.MNIST(tmp_path, train=True)
    images, labels = files["train"]
    assert len(ds) == 6 and ds.data.dtype == tge.uint8 and ds.targets.dtype == tge.int64
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == tge.float32 and label == int(labels[3])
    assert np.allclose(image.cpu().numpy()[0], images[3] / 255.0)
    x, y = ds.tensors()
    assert x.shape == (6, 1, 28, 28) and np.array_equal(y.cpu().numpy(), labels)
    assert len(datasets.MNIST(tmp_path, train=False)) == 4
    flipped = datasets.MNIST(tmp_path, transform=lambda t: t * 0, target_transform=lambda t: -1)
    assert flipped[0][0].cpu().numpy().max() == 0 and flipped[0][1] == -1


def test_fashion_mnist_uses_its_own_folder(tmp_path):
    _write_fake_mnist(tmp_path, folder="FashionMNIST")
    ds = datasets.FashionMNIST(tmp_path)
    assert len(ds) == 6 and ds.classes[0] == "T-shirt/top"


def test_mnist_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(RuntimeError, match="download=True") as info:
        datasets.MNIST(tmp_path)
    assert os.path.join(str(tmp_path), "MNIST", "raw") in str(info.value)


def test_mnist_download_offline_gives_a_clear_error(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist_module.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match=r"cannot download train-images-idx3-ubyte.gz \(offline\?\).*manually"):
        datasets.MNIST(tmp_path, download=True)
    assert not any(p.name.endswith(".part") for p in (tmp_path / "MNIST" / "raw").iterdir())


def test_mnist_download_verifies_checksums(tmp_path, monkeypatch):
    """A fake server: serves IDX bytes; the checksum decides what is accepted."""
    payloads = {}
    for filename, _ in datasets.MNIST.resources:
        n = 6 if filename.startswith("train") else 4
        array = np.zeros((n, 28, 28), np.uint8) if "images" in filename else np.arange(n, dtype=np.uint8)
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as f:
            f.write(_idx_bytes(array, 0x08))
        payloads[filename] = buffer.getvalue()

    def serve(url, timeout=None):
        return io.BytesIO(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(mnist_module.urllib.request, "urlopen", serve)
    # the real checksums do not match the fake files: rejected, nothing left behind
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        datasets.MNIST(tmp_path / "a", download=True)
    assert not list((tmp_path / "a" / "MNIST" / "raw").iterdir())

    class FakeMNIST(datasets.MNIST):
        resources = [(name, hashlib.md5(payloads[name]).hexdigest()) for name, _ in datasets.MNIST.resources]

    ds = FakeMNIST(tmp_path / "b", download=True)
    assert len(ds) == 6 and (tmp_path / "b" / "FakeMNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").exists()


def test_default_root_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(tmp_path))
    assert mnist_module.default_root() == str(tmp_path)
