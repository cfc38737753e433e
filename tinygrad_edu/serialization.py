"""Checkpoints: ``tge.save(obj, path)`` / ``tge.load(path)`` for state_dicts and optimizer
state (nested dicts and lists of tensors, numbers, strings, booleans and ``None``).

File format: an ``.npz`` (a zip archive of ``.npy`` files), readable with NumPy alone and
never unpickled (``allow_pickle=False``), so loading a checkpoint cannot run code:

- every tensor / array is one ``.npy`` member, named by its path in the object with the
  parts joined by "/" ("state/0/exp_avg"; "%" and "/" inside a key are escaped as "%25"
  and "%2F");
- one member, ``__tinygrad_edu_checkpoint__``, holds JSON (as uint8 bytes) describing the
  structure: containers in insertion order, dict keys with their Python types, numbers,
  strings, and for each tensor its member name, dtype, shape and ``requires_grad``.

Saving is atomic: the archive is written to a temporary file in the same directory,
flushed to disk, then renamed over ``path`` (``os.replace``), so a crash or an error
mid-write leaves the previous checkpoint untouched and never a half-written file.
"""
import json
import os
import secrets
import zipfile
from collections import OrderedDict

import numpy as np
from safetensors.numpy import load as safetensors_arrays
from safetensors.numpy import save as safetensors_bytes

from . import backend
from .tensor import Tensor

META_KEY = "__tinygrad_edu_checkpoint__"
FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A file that is not a readable tinygrad_edu checkpoint (truncated, corrupted, foreign)."""


# ------------------------------------------------------------------------------ save
def _escape(part):
    return str(part).replace("%", "%25").replace("/", "%2F")


def _encode_key(key, path):
    """A dict key as a JSON node (JSON object keys could only be strings)."""
    if key is None or isinstance(key, (bool, int, float, str)):
        return _encode_scalar(key)
    raise TypeError(f"save: dict key {key!r} at {path or '<root>'!r} is a {type(key).__name__}; keys must be str, int, float, bool or None")


def _encode_scalar(value):
    if value is None:
        return {"type": "none"}
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}  # JSON writes floats with repr: exact round trip
    return {"type": "str", "value": value}


class _Flattener:
    """Walks the object, collecting arrays (name -> array) and building the JSON tree."""

    def __init__(self):
        self.arrays = {}
        self.names = {META_KEY}

    def _name(self, path):
        name = path or "<root>"
        candidate, i = name, 1
        while candidate in self.names:  # {0: t, "0": t} would both be "0": keep names unique
            candidate, i = f"{name}#{i}", i + 1
        self.names.add(candidate)
        return candidate

    def _array_node(self, kind, array, path, **extra):
        if array.dtype.kind not in "biuf" and array.dtype.kind != "c":
            raise TypeError(f"save: array at {path or '<root>'!r} has dtype {array.dtype}, which cannot be saved without pickle")
        name = self._name(path)
        self.arrays[name] = array
        return {"type": kind, "key": name, "dtype": array.dtype.str, "shape": list(array.shape), **extra}

    def node(self, obj, path):
        if isinstance(obj, Tensor):
            array = backend.to_numpy(obj.array)
            return self._array_node("tensor", array, path, requires_grad=obj.requires_grad)
        if isinstance(obj, np.ndarray):
            return self._array_node("ndarray", obj, path)
        if isinstance(obj, np.generic):  # NumPy scalar (np.float32(1.5)): keeps its dtype
            return self._array_node("numpy_scalar", np.asarray(obj), path)
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return _encode_scalar(obj)
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                child = f"{path}/{_escape(k)}" if path else _escape(k)
                items.append([_encode_key(k, path), self.node(v, child)])
            return {"type": "ordereddict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        if isinstance(obj, (list, tuple)):
            items = [self.node(v, f"{path}/{i}" if path else str(i)) for i, v in enumerate(obj)]
            return {"type": "tuple" if isinstance(obj, tuple) else "list", "items": items}
        raise TypeError(
            f"save: cannot save a {type(obj).__name__} at {path or '<root>'!r}; supported: Tensor, NumPy arrays, "
            f"int, float, bool, str, None, and dicts / lists / tuples of them"
        )


def _write_npz(file, arrays):
    """What ``np.savez`` does, spelled out: each array as an ``.npy`` member of a zip."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save(obj, f):
    """Save ``obj`` (a state_dict, an optimizer state_dict, a tensor, nested containers of
    them) to ``f`` (a path, written atomically, or a binary file object)."""
    flat = _Flattener()
    tree = flat.node(obj, "")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree}).encode("utf-8")
    arrays = {META_KEY: np.frombuffer(meta, dtype=np.uint8), **flat.arrays}
    if hasattr(f, "write"):
        _write_npz(f, arrays)
        return
    atomic_write(f, lambda out: _write_npz(out, arrays))


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file next to ``path``, flush it to disk, then rename
    it over ``path``: a crash or an error mid-write leaves the previous file untouched."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666: the umask applies, as for open()
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the rename makes them "the" checkpoint
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never a mix
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------ load
class _Builder:
    """Rebuilds the object from the JSON tree and the archive's arrays."""

    def __init__(self, archive, name, device):
        self.archive, self.name, self.device = archive, name, device

    def _array(self, node):
        key = node["key"]
        if key not in self.archive.files:
            raise CheckpointError(f"load: {self.name}: entry {key!r} is missing from the checkpoint (corrupted file?)")
        try:
            array = self.archive[key]
        except Exception as e:  # bad CRC, damaged .npy header, short read ...
            raise CheckpointError(f"load: {self.name}: entry {key!r} cannot be read (corrupted file?): {e}") from e
        if array.dtype.str != node["dtype"] or list(array.shape) != node["shape"]:
            raise CheckpointError(
                f"load: {self.name}: entry {key!r} is {array.dtype.str} {list(array.shape)} but the checkpoint's "
                f"description says {node['dtype']} {node['shape']} (corrupted file?)"
            )
        return array

    def build(self, node):
        kind = node.get("type")
        if kind == "tensor":
            t = Tensor(self._array(node), device=self.device)
            if node.get("requires_grad"):
                t.requires_grad = True
            return t
        if kind == "ndarray":
            return self._array(node)
        if kind == "numpy_scalar":
            return self._array(node)[()]
        if kind in ("int", "float", "bool", "str"):
            return node["value"]
        if kind == "none":
            return None
        if kind in ("dict", "ordereddict"):
            pairs = [(self.build(k), self.build(v)) for k, v in node["items"]]
            return OrderedDict(pairs) if kind == "ordereddict" else dict(pairs)
        if kind == "list":
            return [self.build(v) for v in node["items"]]
        if kind == "tuple":
            return tuple(self.build(v) for v in node["items"])
        raise CheckpointError(f"load: {self.name}: unknown entry type {kind!r} in the checkpoint's description (corrupted file?)")


def load(f, map_location=None, weights_only=True):
    """Read a checkpoint written by ``save``. Tensors come back on the CPU, or on
    ``map_location`` ("cpu", "cuda", a ``tge.device``). Nothing is unpickled, so
    ``weights_only`` (PyTorch's safety switch) is always effectively True.

    Raises ``CheckpointError`` (a RuntimeError) naming the file, and the entry when one
    is bad, for truncated, corrupted or foreign files.
    """
    name = repr(os.fspath(f)) if not hasattr(f, "read") else repr(getattr(f, "name", "<file object>"))
    device = None if map_location is None else backend.device(map_location)
    if hasattr(f, "read"):
        return _load(f, name, device)
    with open(f, "rb") as file:  # opened here, so it is closed even when np.load fails
        return _load(file, name, device)


_ZIP_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive


def _load(file, name, device):
    start = file.tell()
    head = file.read(len(_ZIP_MAGIC))
    file.seek(start)
    if not head:
        raise CheckpointError(f"load: {name} is empty, not a readable tinygrad_edu checkpoint (truncated or corrupted?)")
    if head != _ZIP_MAGIC:  # a pickle, a .npy, text, ...: decided here, before NumPy reads (and advises) anything
        raise CheckpointError(f"load: {name} is not a tinygrad_edu checkpoint (a file written by tge.save)")
    try:
        archive = np.load(file, allow_pickle=False)
    except Exception as e:  # BadZipFile (truncated), ValueError (not an npz), EOFError (empty) ...
        raise CheckpointError(
            f"load: {name} is not a readable tinygrad_edu checkpoint (truncated or corrupted?): {type(e).__name__}: {e}"
        ) from e
    with archive:
        if META_KEY not in archive.files:
            raise CheckpointError(f"load: {name} is not a tinygrad_edu checkpoint (a file written by tge.save)")
        try:
            meta = json.loads(archive[META_KEY].tobytes().decode("utf-8"))
        except Exception as e:
            raise CheckpointError(f"load: {name}: entry {META_KEY!r} (the description) is corrupted: {e}") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or "tree" not in meta:
            raise CheckpointError(f"load: {name}: entry {META_KEY!r} is not a tinygrad_edu checkpoint description")
        if meta.get("version") != VERSION:
            raise CheckpointError(
                f"load: {name} is checkpoint format version {meta.get('version')}; this tinygrad_edu reads version {VERSION}"
            )
        return _Builder(archive, name, device).build(meta["tree"])


# ------------------------------------------------------------------------- safetensors
def save_safetensors(tensors, filename, metadata=None):
    """Write ``tensors`` (a flat dict name -> Tensor or array, e.g. ``model.state_dict()``) to a
    safetensors file, atomically: the counterpart of ``safetensors.torch.save_file``, so
    ``safetensors.torch.load_file(filename)`` gives PyTorch the same tensors by name.
    ``metadata``: an optional dict of str -> str stored in the file's header.

    safetensors is a JSON header (names, dtypes, shapes, byte offsets) followed by the raw
    little-endian bytes: nothing in it is executable, unlike a pickle. (The format itself
    sorts the entries; ``load_safetensors`` gives them in the file's order, and
    ``load_state_dict`` matches by name, so the order does not matter.)
    """
    if not isinstance(tensors, dict):
        raise TypeError(f"save_safetensors: expected a dict of name -> tensor (a state_dict), got {type(tensors).__name__}")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"save_safetensors: names must be strings, got {name!r}")
        if isinstance(value, Tensor):
            value = backend.to_numpy(value.array)
        if not isinstance(value, np.ndarray):
            raise TypeError(f"save_safetensors: {name!r} is a {type(value).__name__}; only tensors and arrays can be "
                            f"stored (use tge.save for nested objects such as optimizer state)")
        # C order, as safetensors stores it (not np.ascontiguousarray, which turns a 0-d array into 1-d)
        arrays[name] = value if value.flags.c_contiguous else value.copy(order="C")
    data = safetensors_bytes(arrays, metadata=metadata)
    atomic_write(filename, lambda out: out.write(data))


def load_safetensors(filename, device=None):
    """Read a safetensors file (written by ``save_safetensors`` or ``safetensors.torch.save_file``)
    into an ``OrderedDict`` name -> Tensor, on the CPU or ``device``: the counterpart of
    ``safetensors.torch.load_file``. bfloat16 entries are refused (NumPy has no bfloat16)."""
    with open(filename, "rb") as f:
        data = f.read()
    try:
        arrays = safetensors_arrays(data)
    except Exception as e:  # a truncated or foreign file, or a dtype NumPy lacks
        raise CheckpointError(f"load_safetensors: {os.fspath(filename)!r} is not a readable safetensors file: "
                              f"{type(e).__name__}: {e}") from e
    target = None if device is None else backend.device(device)
    return OrderedDict((name, Tensor(array, device=target)) for name, array in arrays.items())
