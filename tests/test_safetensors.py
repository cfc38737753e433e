"""tge.save_safetensors / tge.load_safetensors: round trips, PyTorch interop, errors, atomic writes."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.serialization import CheckpointError


def test_round_trip_keeps_names_dtypes_shapes_and_values(tmp_path, rng):
    state = {"a.weight": tge.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
             "a.bias": tge.tensor(rng.standard_normal(4)),  # float64
             "bn.num_batches_tracked": tge.tensor(7),  # int64, 0-d
             "mask": np.array([True, False])}
    path = tmp_path / "w.safetensors"
    tge.save_safetensors(state, path, metadata={"note": "test"})
    back = tge.load_safetensors(path)
    assert set(back) == set(state)
    for key, value in state.items():
        expected = value.cpu().numpy() if isinstance(value, tge.Tensor) else value
        assert back[key].dtype == expected.dtype and back[key].shape == expected.shape
        np.testing.assert_array_equal(back[key].cpu().numpy(), expected)


def test_pytorch_reads_ours_and_we_read_pytorchs(tmp_path, rng):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    ours = {"w": tge.tensor(rng.standard_normal((2, 3)).astype(np.float32)), "n": tge.tensor(3)}
    tge.save_safetensors(ours, tmp_path / "ours.safetensors")
    theirs = st.load_file(str(tmp_path / "ours.safetensors"))
    np.testing.assert_array_equal(theirs["w"].cpu().numpy(), ours["w"].cpu().numpy())
    assert theirs["n"].dtype == torch.int64 and theirs["n"].item() == 3
    st.save_file({"x": torch.arange(6, dtype=torch.float64).reshape(2, 3)}, str(tmp_path / "theirs.safetensors"))
    np.testing.assert_array_equal(tge.load_safetensors(tmp_path / "theirs.safetensors")["x"].cpu().numpy(),
                                  np.arange(6.0).reshape(2, 3))


def test_errors_and_atomic_writes(tmp_path):
    path = tmp_path / "w.safetensors"
    tge.save_safetensors({"a": tge.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="'opt' is a dict; only tensors and arrays"):
        tge.save_safetensors({"a": tge.zeros(2), "opt": {"lr": 1}}, path)
    with pytest.raises(TypeError, match="names must be strings"):
        tge.save_safetensors({1: tge.zeros(2)}, path)
    with pytest.raises(TypeError, match="expected a dict"):
        tge.save_safetensors([tge.zeros(2)], path)
    assert path.read_bytes() == before  # a failed save leaves the old file alone
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # and no temporary file
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(before[: len(before) // 2])
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        tge.load_safetensors(bad)
