"""PyTorch's addresses for things a script reaches for first: inference_mode,
set_grad_enabled, tge.utils.data, tge.cuda (answering correctly without a GPU)."""
import builtins
import sys

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import cuda as tge_cuda


def test_inference_mode_records_nothing_and_restores():
    x = tge.randn(3, requires_grad=True)
    with tge.inference_mode():
        assert not tge.is_grad_enabled() and tge.is_inference_mode_enabled()
        y = x * 2
    assert tge.is_grad_enabled() and not tge.is_inference_mode_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_inference_mode_false_and_decorator():
    x = tge.randn(3, requires_grad=True)
    with tge.no_grad():
        with tge.inference_mode(False):
            assert (x * 2).requires_grad

    @tge.inference_mode()
    def f():
        return x * 2

    assert not f().requires_grad and tge.is_grad_enabled()


def test_set_grad_enabled_function_form_switches_at_once():
    try:
        tge.set_grad_enabled(False)
        assert not tge.is_grad_enabled()
    finally:
        tge.set_grad_enabled(True)
    assert tge.is_grad_enabled()


def test_utils_data_is_the_data_pipeline():
    from tinygrad_edu.utils.data import DataLoader, Dataset, TensorDataset, random_split

    assert DataLoader is tge.data.DataLoader and Dataset is tge.data.Dataset
    assert tge.utils.data.TensorDataset is TensorDataset
    ds = TensorDataset(tge.arange(10).float(), tge.arange(10))
    a, b = random_split(ds, [7, 3], generator=tge.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    batches = list(DataLoader(a, batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 3]


def test_cuda_answers_without_a_gpu(monkeypatch):
    monkeypatch.setattr(tge_cuda, "_device_count", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ImportError
    assert tge.cuda.is_available() is False
    assert tge.cuda.device_count() == 0
    tge.cuda.manual_seed(3)
    a = tge.rand(2)
    tge.cuda.manual_seed_all(3)
    assert (tge.rand(2) == a).all()


def test_cuda_broken_cupy_is_unavailable_and_probed_once(monkeypatch):
    calls = []
    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "cupy":
            calls.append(name)
            raise RuntimeError("CUDA driver version is insufficient")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(tge_cuda, "_device_count", None)
    monkeypatch.setattr(builtins, "__import__", broken)
    assert not tge.cuda.is_available() and not tge.cuda.is_available()
    assert tge.cuda.device_count() == 0
    assert calls == ["cupy"]


def test_cuda_counts_the_devices_a_working_cupy_reports(monkeypatch):
    class Runtime:
        calls = 0

        @classmethod
        def getDeviceCount(cls):
            cls.calls += 1
            return 2

    class Device:  # the probe runs one tiny computation on cuda:0
        def __init__(self, index):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    fake = type(sys)("cupy")
    fake.cuda = type(sys)("cupy.cuda")
    fake.cuda.runtime = Runtime
    fake.cuda.Device = Device
    fake.arange = np.arange
    monkeypatch.setattr(tge_cuda, "_device_count", None)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    assert tge.cuda.is_available() is True and tge.cuda.device_count() == 2
    assert Runtime.calls == 1  # probed once


@pytest.mark.parametrize("mode", [True, False])
def test_grad_modes_match_torch(mode):
    torch = pytest.importorskip("torch")
    with torch.inference_mode(mode), tge.inference_mode(mode):
        assert torch.is_grad_enabled() == tge.is_grad_enabled()
        assert torch.is_inference_mode_enabled() == tge.is_inference_mode_enabled()
