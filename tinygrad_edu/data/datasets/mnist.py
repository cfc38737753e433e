"""Full MNIST and Fashion-MNIST (60,000 training / 10,000 test images of 28x28 pixels),
read from the original IDX files.

The files are not bundled (tens of MB): ``MNIST(download=True)`` fetches them into a cache
directory and checks their MD5 checksums; offline, place the four files there yourself.
For work without any download use ``load_mnist_subset`` (5,000 bundled MNIST images).

IDX format (big-endian throughout)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    then        d sizes, 4-byte unsigned integers each
    then        the elements, row-major (last index fastest)
"""
import gzip
import hashlib
import math
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib

import numpy as np

from ...tensor import Tensor
from ..dataset import Dataset

IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """The array stored in an IDX file (gzip-compressed or raw), in native byte order.

    Raises ``ValueError`` naming the file when it is not an IDX file, is truncated, has
    trailing bytes or is a damaged gzip stream.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":  # the gzip magic number
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"read_idx: {path}: corrupted or truncated gzip data ({e})") from e
    if len(data) < 4:
        raise ValueError(f"read_idx: {path}: too short for an IDX header ({len(data)} bytes; need at least 4)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"read_idx: {path}: not an IDX file (magic number {data[:4].hex()} should start with 0000)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"read_idx: {path}: unknown IDX element type 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: {path}: truncated header: {ndim} dimensions need {header} bytes, the file has {len(data)}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    count = math.prod(dims)
    expected, found = count * dtype.itemsize, len(data) - header
    if found < expected:
        raise ValueError(
            f"read_idx: {path}: truncated file: shape {dims} of {dtype.newbyteorder('=')} needs {expected} bytes of data, found {found}"
        )
    if found > expected:
        raise ValueError(f"read_idx: {path}: {found - expected} unexpected bytes after the data of shape {dims}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    array = np.asarray(array)
    codes = {np.dtype(dt.newbyteorder("=")): code for code, dt in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: IDX cannot store {array.dtype}; use one of {sorted(str(d) for d in codes)}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


def default_root():
    """Where downloads go: $TINYGRAD_EDU_DATA, else $XDG_CACHE_HOME/tinygrad_edu, else ~/.cache/tinygrad_edu."""
    if os.environ.get("TINYGRAD_EDU_DATA"):
        return os.environ["TINYGRAD_EDU_DATA"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tinygrad_edu")


def md5sum(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(urls, folder, filename, md5, timeout=30):
    """Fetch ``filename`` from the first of ``urls`` (mirrors) that works into ``folder``,
    verify its MD5, and move it into place atomically. Raises ``RuntimeError`` that says
    what to do when every mirror fails (typically: no network)."""
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, filename)
    failures = []
    for base in urls:
        url = base + filename
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            got = md5sum(tmp)
            if got != md5:
                failures.append(f"{url}: checksum mismatch (md5 {got}, expected {md5})")
                continue
            os.replace(tmp, target)
            return target
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            failures.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise RuntimeError(
        f"cannot download {filename} (offline?): " + "; ".join(failures)
        + f". Place the file {filename} in {folder} manually (from any mirror; md5 {md5}) and use download=False."
    )


class MNIST(Dataset):
    """MNIST from its IDX files (torchvision's ``datasets.MNIST`` interface).

    Files live in ``root/MNIST/raw/`` (gzipped or not). ``download=True`` fetches missing
    ones. ``ds[i]`` is ``(image, label)``: a float32 (1, 28, 28) tensor in [0, 1] (after
    ``transform``) and an int. ``ds.data`` holds the uint8 images (N, 28, 28) and
    ``ds.targets`` the int64 labels; ``ds.tensors()`` gives the whole set at once, for a
    ``TensorDataset``.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else default_root()
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: images {images.shape} and labels {labels.shape} in {self.raw_folder} do not match "
                f"(expected (N, 28, 28) and (N,))"
            )
        self.data = Tensor._wrap(images)
        self.targets = Tensor._wrap(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, stem):
        for name in (stem + ".gz", stem):
            path = os.path.join(self.raw_folder, name)
            if os.path.exists(path):
                return path
        files = ", ".join(name for name, _ in self.resources)
        raise RuntimeError(
            f"{type(self).__name__}: dataset not found: no {stem}[.gz] in {self.raw_folder}. Use download=True to "
            f"download it, or (offline) place the files {files} there manually."
        )

    def download(self):
        """Fetch the files that are missing, verifying their MD5 checksums."""
        for filename, md5 in self.resources:
            stem = filename[:-3]
            if any(os.path.exists(os.path.join(self.raw_folder, n)) for n in (filename, stem)):
                continue
            download_file(self.mirrors, self.raw_folder, filename, md5)

    def tensors(self):
        """All images as float32 (N, 1, 28, 28) in [0, 1] and labels as int64 (N,)."""
        images = (self.data.array[:, None] / 255.0).astype(np.float32)
        return Tensor._wrap(images), Tensor._wrap(self.targets.array.copy())

    def __getitem__(self, index):
        image = Tensor._wrap((self.data.array[index][None] / 255.0).astype(np.float32))
        target = int(self.targets.array[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return self.data.shape[0]


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando Research, MIT licence): the same format as MNIST, with ten
    kinds of clothing. Files live in ``root/FashionMNIST/raw/``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
