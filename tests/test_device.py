"""The device API (PyTorch's names and semantics), proven on the strict test device.

``tests/conftest.py``'s ``strict_backend`` fixture registers ``StrictArray`` (an array
that refuses every conversion to NumPy, as CuPy arrays do) as device ``"strict"``. A
tensor on it behaves as a tensor on a GPU would: ``.numpy()`` refuses, ``.cpu()``
copies, ops keep the data there, mixing it with CPU tensors is an error. The CUDA
spellings (``"cuda"``, ``.cuda()``) are tested for their errors where CUDA is missing.
"""
import os
import warnings

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import backend, nn
from tinygrad_edu.data import DataLoader, TensorDataset

from tests.strict_array import StrictArray

pytestmark = [pytest.mark.usefixtures("strict_backend"),
              pytest.mark.cpu_only(reason="the tests set up the strict device next to the CPU themselves")]

STRICT = "strict"


def on_strict(t):
    return type(t.array) is StrictArray and t.device == STRICT


# ----------------------------------------------------------------------- tensors
def test_to_device_and_back():
    x = tge.tensor([[1.0, 2.0], [3.0, 4.0]])
    s = x.to(STRICT)
    assert on_strict(s) and s.device == tge.device(STRICT) and str(s.device) == "strict:0"
    assert s.to(STRICT) is s  # nothing to change: the same tensor, as in PyTorch
    back = s.cpu()
    assert back.device == "cpu" and isinstance(back.array, np.ndarray) and not back.is_cuda
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert x.to(s).device == STRICT  # to(other): other's device and dtype
    d = x.to(STRICT, tge.float64)
    assert on_strict(d) and d.dtype == tge.float64
    assert x.to(device=STRICT, dtype=tge.float16).dtype == tge.float16
    assert x.to(tge.float64).device == "cpu"


def test_numpy_of_a_device_tensor_refuses_and_says_cpu_first():
    s = tge.ones(2, device=STRICT)
    with pytest.raises(TypeError, match=r"can't convert a strict:0 tensor to NumPy. Use t.cpu\(\)"):
        s.numpy()
    with pytest.raises(TypeError, match=r"t.cpu\(\)"):
        np.asarray(s)
    assert s.tolist() == [1.0, 1.0] and s.sum().item() == 2.0  # explicit, deliberate transfers
    assert "device='strict:0'" in repr(s)


CREATORS = {
    "tensor": lambda d: tge.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda d: tge.as_tensor([1, 2], device=d),
    "zeros": lambda d: tge.zeros(2, 3, device=d),
    "ones": lambda d: tge.ones((2, 3), device=d),
    "empty": lambda d: tge.empty(2, device=d),
    "full": lambda d: tge.full((2, 2), 1.5, device=d),
    "arange": lambda d: tge.arange(5, device=d),
    "linspace": lambda d: tge.linspace(0, 1, 5, device=d),
    "eye": lambda d: tge.eye(3, device=d),
    "randn": lambda d: tge.randn(2, 3, device=d),
    "rand": lambda d: tge.rand(2, 3, device=d),
    "randint": lambda d: tge.randint(0, 5, (4,), device=d),
    "randperm": lambda d: tge.randperm(5, device=d),
    "normal": lambda d: tge.normal(0.0, 1.0, (3,), device=d),
    "zeros_like": lambda d: tge.zeros_like(tge.ones(2), device=d),
    "ones_like": lambda d: tge.ones_like(tge.ones(2), device=d),
    "empty_like": lambda d: tge.empty_like(tge.ones(2), device=d),
    "full_like": lambda d: tge.full_like(tge.ones(2), 7.0, device=d),
    "randn_like": lambda d: tge.randn_like(tge.ones(2), device=d),
    "rand_like": lambda d: tge.rand_like(tge.ones(2), device=d),
    "randint_like": lambda d: tge.randint_like(tge.ones(2), 5, device=d),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_every_creation_function_takes_device(name):
    tge.manual_seed(3)
    cpu = CREATORS[name](None)
    tge.manual_seed(3)
    dev = CREATORS[name](STRICT)
    assert on_strict(dev), name
    assert dev.dtype == cpu.dtype and dev.shape == cpu.shape
    if name not in ("empty", "empty_like"):  # random draws are on the host: same numbers on every device
        np.testing.assert_array_equal(dev.cpu().numpy(), cpu.numpy())


def test_like_functions_follow_their_input_device():
    s = tge.ones(2, 3, device=STRICT)
    for like in (tge.zeros_like, tge.ones_like, tge.empty_like, tge.randn_like, tge.rand_like):
        assert on_strict(like(s)), like.__name__
    assert on_strict(tge.full_like(s, 2.0)) and on_strict(tge.randint_like(s, 4))


def test_default_device():
    assert tge.get_default_device() == "cpu"
    tge.set_default_device(STRICT)
    try:
        assert tge.get_default_device() == STRICT
        assert on_strict(tge.zeros(2)) and on_strict(tge.tensor([1.0])) and on_strict(tge.randn(2))
        assert on_strict(nn.Linear(2, 3).weight)  # layers make their parameters with creation functions
        assert tge.zeros(2, device="cpu").device == "cpu"
    finally:
        tge.set_default_device(None)
    assert tge.zeros(2).device == "cpu"


def test_ops_stay_on_the_device_and_backward_returns_there():
    x = tge.randn(3, 4, device=STRICT, requires_grad=True)
    y = (x.relu() @ x.T).softmax(1).sum()
    y.backward()
    assert on_strict(y) and on_strict(x.grad)
    # .to() is differentiable: the gradient goes back to the source device
    c = tge.randn(3, requires_grad=True)
    (c.to(STRICT) * 2).sum().backward()
    assert c.grad.device == "cpu"
    np.testing.assert_array_equal(c.grad.numpy(), [2.0, 2.0, 2.0])


def test_python_numbers_and_host_indices_work_with_a_device_tensor():
    """Regressions found by running the suite with a default device: a number with alpha
    (``sub_(3.0)`` made a CPU tensor of it) and a host index array (its backward mixed it
    with device arrays) work on the device, as in PyTorch."""
    x = tge.tensor([1.0, 2.0, 3.0], device=STRICT, requires_grad=True)
    y = x * 1.0
    y.sub_(3.0)
    z = tge.add(y, 2.0, alpha=0.5)
    w = z[np.array([0, 0, 2])]
    assert on_strict(w) and w.tolist() == [-1.0, -1.0, 1.0]
    w.sum().backward()
    assert on_strict(x.grad) and x.grad.tolist() == [2.0, 0.0, 1.0]


def test_mask_operator_with_a_host_mask_on_a_device_image():
    mask = np.array([[1.0, 0.0], [0.0, 1.0]])
    op = tge.models.MaskOperator(mask)
    image = tge.tensor([[2.0, 3.0], [4.0, 5.0]], device=STRICT)
    assert on_strict(op(image)) and op(image).tolist() == [[2.0, 0.0], [0.0, 5.0]]
    step = op.data_step(image, image, 1.0)
    assert on_strict(step) and step.tolist() == [[2.0, 3.0], [4.0, 5.0]]


def test_two_devices_in_one_op_is_an_error_naming_the_op_and_both_devices():
    a, b = tge.ones(2, device=STRICT), tge.ones(2)
    with pytest.raises(RuntimeError, match=r"^Add: Expected all tensors to be on the same device, but found at least "
                                           r"two devices, strict:0 and cpu!"):
        a + b
    with pytest.raises(RuntimeError, match=r"MatMul: .* two devices, cpu and strict:0"):
        tge.ones(2, 2) @ tge.ones(2, 2, device=STRICT)
    with pytest.raises(RuntimeError, match="two devices"):
        nn.Linear(2, 2)(a)
    assert on_strict(a + 1.0)  # Python numbers are not tensors: fine on any device


# ----------------------------------------------------------------------- CUDA errors
def test_cuda_without_cuda_is_a_clear_error():
    if tge.cuda.is_available():
        pytest.skip("CUDA works here")
    reason = tge.cuda.unavailable_reason()
    assert reason
    for make in (lambda: tge.ones(2).to("cuda"), lambda: tge.ones(2).cuda(), lambda: tge.zeros(2, device="cuda:1"),
                 lambda: nn.Linear(2, 2).cuda(), lambda: tge.randn(2, device=tge.device("cuda", 0))):
        with pytest.raises(RuntimeError, match="CUDA is not available: ") as info:
            make()
        assert reason in str(info.value) and "CUDARuntimeError" not in type(info.value).__name__
    assert tge.device("cuda:1").index == 1 and tge.device("cuda") == "cuda:0"  # naming a device needs no GPU
    with pytest.raises(RuntimeError, match="unknown or unavailable device type 'tpu'"):
        tge.ones(2).to("tpu")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        tge.set_default_device("cuda")
    assert tge.get_default_device() == "cpu"


def test_cuda_functions_without_cuda(monkeypatch):
    monkeypatch.setattr(tge.cuda, "_device_count", None)
    monkeypatch.setitem(__import__("sys").modules, "cupy", None)
    assert tge.cuda.is_available() is False and tge.cuda.device_count() == 0
    assert "CuPy is not installed" in tge.cuda.unavailable_reason()
    for call in (tge.cuda.synchronize, tge.cuda.current_device, lambda: tge.cuda.set_device(0)):
        with pytest.raises(RuntimeError, match="CUDA is not available: CuPy is not installed"):
            call()
    tge.cuda.manual_seed(5)  # accepted without a GPU, as in PyTorch: seeds the one generator
    a = tge.rand(3)
    tge.cuda.manual_seed_all(5)
    np.testing.assert_array_equal(tge.rand(3).numpy(), a.numpy())


class _FakeRuntime:
    """A CuPy runtime whose driver is too old: counts a device, fails at the first kernel."""

    @staticmethod
    def getDeviceCount():
        return 1


class _FakeCupy:
    class cuda:
        runtime = _FakeRuntime

        class Device:
            def __init__(self, index=0):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

    @staticmethod
    def arange(n):
        raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version")


def test_a_cupy_whose_kernels_fail_is_reported_unavailable(monkeypatch):
    monkeypatch.setattr(tge.cuda, "_device_count", None)
    monkeypatch.setitem(__import__("sys").modules, "cupy", _FakeCupy)
    assert tge.cuda.is_available() is False
    assert "CuPy is installed but CUDA does not work here" in tge.cuda.unavailable_reason()
    assert "driver version is insufficient" in tge.cuda.unavailable_reason()
    with pytest.raises(RuntimeError, match="CUDA is not available: CuPy is installed but CUDA does not work"):
        tge.ones(1).to("cuda")


# ----------------------------------------------------------------------- modules, optimizers, files
def test_module_to_moves_parameters_buffers_and_gradients_in_place():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    params = list(model.parameters())
    model(tge.randn(2, 1, 4, 4)).sum().backward()
    assert model.to(STRICT) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]  # same Parameter objects
    for name, p in model.named_parameters():
        assert on_strict(p) and on_strict(p.grad), name
    for name, b in model.named_buffers():
        assert on_strict(b), name
    assert model[1].num_batches_tracked.dtype == tge.int64
    out = model(tge.randn(2, 1, 4, 4, device=STRICT))
    assert on_strict(out)
    model.cpu()
    assert all(p.device == "cpu" and p.grad.device == "cpu" for p in model.parameters())
    assert all(b.device == "cpu" for b in model.buffers())


@pytest.mark.parametrize("make", [
    lambda ps: tge.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: tge.optim.Adam(ps, lr=0.1, amsgrad=True),
    lambda ps: tge.optim.AdamW(ps, lr=0.1),
    lambda ps: tge.optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
    lambda ps: tge.optim.Adagrad(ps, lr=0.1),
    lambda ps: tge.optim.ASGD(ps, lr=0.1, t0=1),
], ids=["sgd", "adam", "adamw", "rmsprop", "adagrad", "asgd"])
def test_optimizer_state_lives_on_the_parameters_device(make):
    model = nn.Linear(3, 2).to(STRICT)
    opt = make(model.parameters())
    for _ in range(2):
        opt.zero_grad()
        model(tge.randn(4, 3, device=STRICT)).pow(2).sum().backward()
        opt.step()
    for p in model.parameters():
        assert on_strict(p)
        for key, value in opt.state[p].items():
            if key != "step" and isinstance(value, tge.Tensor):
                assert on_strict(value), key
    # a state saved from the device loads onto the CPU parameters of a fresh model
    cpu_model = nn.Linear(3, 2)
    cpu_opt = make(cpu_model.parameters())
    cpu_opt.load_state_dict(opt.state_dict())
    for p in cpu_model.parameters():
        for key, value in cpu_opt.state[p].items():
            if isinstance(value, tge.Tensor):
                assert value.device == "cpu", key


def test_save_writes_host_arrays_and_load_places_them(tmp_path):
    model = nn.Linear(3, 2).to(STRICT)
    path = tmp_path / "model.npz"
    tge.save(model.state_dict(), path)
    with np.load(path, allow_pickle=False) as archive:  # plain host arrays in the file
        assert all(isinstance(archive[k], np.ndarray) for k in archive.files)
    on_cpu = tge.load(path)
    assert all(t.device == "cpu" for t in on_cpu.values())
    on_device = tge.load(path, map_location=STRICT)
    assert all(on_strict(t) for t in on_device.values())
    np.testing.assert_array_equal(on_cpu["weight"].numpy(), model.weight.detach().cpu().numpy())
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(on_device)  # values are copied to the parameters' device
    assert fresh.weight.device == "cpu"


def test_dataloader_accepts_pin_memory():
    data = TensorDataset(tge.arange(6.0).reshape(3, 2), tge.arange(3))
    if tge.cuda.is_available():
        batches = list(DataLoader(data, batch_size=2, pin_memory=True))
    else:
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no GPU is usable"):
            loader = DataLoader(data, batch_size=2, pin_memory=True)
        batches = list(loader)
    assert [b[0].shape for b in batches] == [(2, 2), (1, 2)] and batches[0][0].device == "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DataLoader(data, batch_size=2)  # no warning without pin_memory


def test_pin_memory_copies_batches_into_pinned_host_memory(monkeypatch):
    # No GPU here: a stand-in cupyx whose "pinned" arrays are marked, to test the plumbing.
    import sys
    import types

    class Pinned(np.ndarray):
        pass

    fake = types.ModuleType("cupyx")
    fake.empty_like_pinned = lambda a: np.empty_like(a).view(Pinned)
    monkeypatch.setitem(sys.modules, "cupyx", fake)
    monkeypatch.setattr(tge.cuda, "is_available", lambda: True)
    data = TensorDataset(tge.arange(6.0).reshape(3, 2), tge.arange(3))
    batches = list(DataLoader(data, batch_size=2, pin_memory=True))
    assert all(type(t.array) is Pinned for batch in batches for t in batch)
    np.testing.assert_array_equal(np.asarray(batches[1][0].array), [[4.0, 5.0]])


def test_train_command_device_option(tmp_path, capsys):
    from tinygrad_edu import cli

    code = cli.main(["train", "mlp", "--epochs", "1", "--max-batches", "1", "--no-progress", "--device", "cpu",
                     "--out", str(tmp_path)])
    assert code == 0 and "on cpu" in capsys.readouterr().out
    if not tge.cuda.is_available():
        code = cli.main(["train", "mlp", "--device", "cuda", "--out", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 2 and "--device cuda: CUDA is not available" in err
    code = cli.main(["train", "mlp", "--device", "tpu", "--out", str(tmp_path)])
    assert code == 2 and "unknown or unavailable device type 'tpu'" in capsys.readouterr().err


def test_train_command_on_the_strict_device(tmp_path, capsys):
    from tinygrad_edu import cli

    code = cli.main(["train", "cnn", "--epochs", "1", "--max-batches", "2", "--no-progress", "--device", STRICT,
                     "--out", str(tmp_path)])
    assert code == 0 and "on strict:0" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "model.npz")
    state = tge.load(tmp_path / "model.npz")
    assert all(t.device == "cpu" for t in state.values())
