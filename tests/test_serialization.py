"""tge.save / tge.load: exact round trips, atomic writes, clear errors on bad files."""
import io
import json
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import serialization
from tinygrad_edu.serialization import CheckpointError, load, save


def _optimizer_state():
    return {
        "state": {0: {"step": 3, "exp_avg": tge.randn(2, 3), "exp_avg_sq": tge.rand(2, 3, dtype=tge.float64)},
                  1: {"step": 3, "exp_avg": tge.zeros(4), "exp_avg_sq": tge.zeros(4)}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                          "maximize": False, "foreach": None, "params": [0, 1]}],
    }


def _assert_same(a, b, path="root"):
    assert type(a) is type(b), f"{path}: {type(a)} vs {type(b)}"
    if isinstance(a, tge.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad, path
        assert np.array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy(), equal_nan=a.dtype.kind == "f"), path
        assert b.device == "cpu"
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), path  # same keys, same order, same key types
        assert [type(k) for k in a] == [type(k) for k in b], path
        for k in a:
            _assert_same(a[k], b[k], f"{path}/{k!r}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}/{i}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b, path


def test_state_dict_round_trip_is_exact(tmp_path):
    sd = OrderedDict([
        ("0.weight", tge.randn(4, 3)), ("0.bias", tge.zeros(4)),
        ("1.running_mean", tge.rand(4, dtype=tge.float64)), ("1.num_batches_tracked", tge.tensor(7)),
        ("mask", tge.tensor([True, False])), ("codes", tge.tensor(np.array([1, 2], dtype=np.uint8))),
        ("half", tge.randn(2, dtype=tge.float16)), ("int32", tge.tensor(np.array([[-5]], dtype=np.int32))),
        ("scalar", tge.tensor(2.5)), ("empty", tge.zeros(0, 3)),
    ])
    path = tmp_path / "model.pt"
    save(sd, path)
    out = load(path)
    assert isinstance(out, OrderedDict)
    _assert_same(sd, out)


def test_optimizer_state_round_trip(tmp_path):
    state = _optimizer_state()
    save(state, tmp_path / "opt.npz")
    out = load(str(tmp_path / "opt.npz"), map_location="cpu")
    _assert_same(state, out)
    assert list(out["state"]) == [0, 1] and isinstance(out["param_groups"][0]["betas"], tuple)


def test_python_values_and_awkward_keys(tmp_path):
    obj = {
        "int": 12345678901234567890, "neg": -3, "float": 0.1, "inf": float("inf"), "nan": float("nan"),
        "bool": True, "none": None, "str": "héllo / wörld %2F", "list": [1, 2.0, "3", None, [False]], "tuple": (1, (2,)),
        "a/b": tge.ones(1), "a%2Fb": tge.zeros(1), 0: tge.full((1,), 2.0), "0": tge.full((1,), 3.0),
        1.5: "float key", None: "none key", False: "bool key",
        "np": np.arange(3, dtype=np.int16), "np_scalar": np.float32(1.25), "grad": tge.ones(2, requires_grad=True),
        "nested": {"deeper": {"deepest": [tge.arange(3), {"x": tge.eye(2)}]}},
    }
    save(obj, tmp_path / "misc.npz")
    out = load(tmp_path / "misc.npz")
    _assert_same(obj, out)
    assert out["np_scalar"].dtype == np.float32 and out["grad"].requires_grad and out["grad"].is_leaf


def test_bare_tensor_and_file_objects():
    buffer = io.BytesIO()
    t = tge.randn(3, 2)
    save(t, buffer)
    buffer.seek(0)
    _assert_same(t, load(buffer))


def test_archive_is_plain_npz_without_pickle(tmp_path):
    save(_optimizer_state(), tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert "state/0/exp_avg" in archive.files
        meta = json.loads(archive[serialization.META_KEY].tobytes().decode())
        assert meta["format"] == "tinygrad_edu.checkpoint"


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save a set at 'a/b'"):
        save({"a": {"b": {1, 2}}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="cannot be saved without pickle"):
        save({"o": np.array([object()])}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists() and not os.listdir(tmp_path)


# --------------------------------------------------------------------- atomic write
def test_failed_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": tge.ones(3)}, path)
    before = path.read_bytes()
    real_write_array = np.lib.format.write_array
    calls = []

    def crash_midway(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # some entries are already written when the "disk" fails
            raise OSError("No space left on device")
        return real_write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", crash_midway)
    with pytest.raises(OSError, match="No space left"):
        save({"w": tge.zeros(3), "b": tge.zeros(2), "c": tge.zeros(1)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file is gone
    monkeypatch.undo()
    _assert_same({"w": tge.ones(3)}, load(path))


def test_failed_rename_or_interrupt_removes_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": tge.ones(3)}, path)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"w": tge.zeros(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_save_overwrites_and_keeps_file_mode(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"a": 1}, path)
    save({"a": 2}, path)
    assert load(path) == {"a": 2}
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# ------------------------------------------------------------------------ bad files
def test_truncated_file_error_names_the_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    save(_optimizer_state(), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, 10, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated or corrupted") as info:
            load(path)
        assert str(path) in str(info.value)


def test_corrupted_entry_error_names_file_and_key(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"layer.weight": tge.ones(64)}, path)
    data = bytearray(path.read_bytes())
    start = data.find(b"layer.weight.npy")
    payload = data.find(np.ones(1, np.float32).tobytes() * 4, start)  # inside the array bytes
    data[payload + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="layer.weight") as info:
        load(path)
    assert str(path) in str(info.value) and "corrupted" in str(info.value)


def test_mismatched_description_names_the_key(tmp_path):
    path = tmp_path / "ckpt.npz"
    meta = {"format": "tinygrad_edu.checkpoint", "version": 1,
            "tree": {"type": "dict", "items": [[{"type": "str", "value": "w"},
                                                {"type": "tensor", "key": "w", "dtype": "<f4", "shape": [3], "requires_grad": False}]]}}
    np.savez(path, **{serialization.META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8), "w": np.zeros(2, np.float64)})
    with pytest.raises(CheckpointError, match=r"entry 'w' is <f8 \[2\].*says <f4 \[3\]"):
        load(path)
    meta["tree"]["items"][0][1]["key"] = "missing"
    np.savez(path, **{serialization.META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    with pytest.raises(CheckpointError, match="entry 'missing' is missing"):
        load(path)


def _write_npy(path):
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))


def _write_other_npz(path):
    with open(path, "wb") as f:
        np.savez(f, a=np.zeros(3))


def _write_other_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.txt", "hi")


def _write_pickle(path):
    import pickle

    path.write_bytes(pickle.dumps({"w": np.zeros(3)}))


def _write_torch(path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.zeros(3)}, path)


@pytest.mark.parametrize("writer", [
    lambda p: p.write_bytes(b"this is not a checkpoint at all"), _write_npy, _write_other_npz, _write_other_zip,
    _write_pickle, _write_torch,
], ids=["text", "npy", "other_npz", "other_zip", "pickle", "torch_save"])
def test_foreign_files_are_refused(tmp_path, writer):
    """A file that is not ours gets one message saying only that (no NumPy advice to
    enable pickle, which would run the file's code)."""
    path = tmp_path / "foreign.npz"
    writer(path)
    with pytest.raises(CheckpointError) as info:
        load(path)
    assert str(info.value) == f"load: {str(path)!r} is not a tinygrad_edu checkpoint (a file written by tge.save)"


def test_empty_file_is_called_truncated(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load(tmp_path / "empty.npz")


def test_missing_file_and_newer_version(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.npz")
    meta = {"format": "tinygrad_edu.checkpoint", "version": 99, "tree": {"type": "none"}}
    np.savez(tmp_path / "v.npz", **{serialization.META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    with pytest.raises(CheckpointError, match="version 99"):
        load(tmp_path / "v.npz")
