"""Names real PyTorch programs need: backends.cudnn, nn.parallel, autograd.Variable,
accelerator, amp (GradScaler, autocast) and memory formats, each doing what its
docstring says (mostly: nothing, documented), compared with torch where installed."""
import warnings

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn


def test_cudnn_flags_are_accepted():
    import tinygrad_edu.backends.cudnn as cudnn

    cudnn.benchmark = True
    cudnn.deterministic = True
    cudnn.enabled = False
    assert tge.backends.cudnn.benchmark and tge.backends.cudnn.deterministic and not tge.backends.cudnn.enabled
    cudnn.benchmark, cudnn.deterministic, cudnn.enabled = False, False, True
    assert tge.backends.cudnn.is_available() is False
    assert tge.backends.mps.is_available() is False


@pytest.mark.parametrize("wrapper", [nn.parallel.DataParallel, nn.parallel.DistributedDataParallel])
def test_parallel_wrappers_run_the_module_and_prefix_its_keys(wrapper):
    tge.manual_seed(0)
    inner = nn.Linear(3, 2)
    model = wrapper(inner, device_ids=[0])
    assert model.module is inner
    x = tge.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().cpu().numpy(), inner(x).detach().cpu().numpy())
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    model(x).sum().backward()
    assert inner.weight.grad is not None
    if wrapper is nn.parallel.DistributedDataParallel:
        with model.no_sync():
            model(x)
    from tinygrad_edu.nn.parallel import DistributedDataParallel  # noqa: F401  (the import path programs use)


def test_variable_returns_a_tensor_sharing_memory():
    from tinygrad_edu.autograd import Variable

    x = tge.ones(3)
    v = Variable(x, requires_grad=True)
    assert isinstance(v, tge.Tensor) and v.requires_grad and v.is_leaf and not x.requires_grad
    assert isinstance(x, Variable) and not isinstance(np.ones(3), Variable)
    x.array[0] = 5.0
    assert v.array[0] == 5.0  # shares memory
    (v * 2).sum().backward()
    np.testing.assert_array_equal(v.grad.cpu().numpy(), [2, 2, 2])
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        Variable([1.0, 2.0])


def test_accelerator_on_cpu():
    if tge.backend.cuda_available():
        pytest.skip("a GPU is present")
    assert tge.accelerator.is_available() is False
    assert tge.accelerator.current_accelerator() is None
    assert tge.accelerator.device_count() == 0


def test_grad_scaler_and_autocast_are_no_ops():
    tge.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = tge.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().cpu().numpy().copy()
    scaler = tge.amp.GradScaler(enabled=False)
    with tge.autocast("cuda", dtype=tge.float16):
        loss = model(tge.ones(2, 3)).sum()
    assert loss.dtype == tge.float32  # nothing was cast
    assert scaler.scale(loss) is loss
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    grad = model.weight.grad.cpu().numpy().copy()
    scaler.step(opt)
    scaler.update()
    np.testing.assert_allclose(model.weight.detach().cpu().numpy(), before - 0.1 * grad, rtol=1e-6)
    assert scaler.get_scale() == 1.0 and not scaler.is_enabled() and scaler.state_dict() == {}

    @tge.autocast("cpu")
    def f(x):
        return x * 2

    assert f(tge.ones(1)).item() == 2.0
    with pytest.warns(UserWarning, match="loss scaling is not needed"):
        tge.amp.GradScaler()


def test_memory_format_is_accepted_and_changes_nothing():
    x = tge.randn(2, 3, 4, 5)
    for y in (x.to(memory_format=tge.channels_last), x.contiguous(memory_format=tge.channels_last),
              x.to(tge.float64, memory_format=tge.contiguous_format)):
        assert y.shape == x.shape
        np.testing.assert_array_equal(y.detach().cpu().numpy(), x.detach().cpu().numpy().astype(y.dtype))
    conv = nn.Conv2d(3, 2, 3).to(memory_format=tge.channels_last)
    assert conv.weight.shape == (2, 3, 3, 3)
    assert repr(tge.channels_last) == "torch.channels_last"
    with pytest.raises(TypeError, match="memory_format must be a memory format"):
        x.contiguous(memory_format="channels_last")


def test_cuda_amp_spellings():
    from tinygrad_edu import cuda_amp

    scaler = cuda_amp.GradScaler(enabled=False)
    loss = tge.ones(1).sum()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
    with cuda_amp.autocast():
        assert (tge.ones(1) * 2).dtype == tge.float32
    if hasattr(tge, "cuda"):  # tge.cuda (another branch) imports cuda_amp as amp
        assert tge.cuda.amp.GradScaler is cuda_amp.GradScaler


torch = pytest.importorskip("torch")


def test_same_behaviour_as_torch():
    assert tge.accelerator.is_available() == torch.accelerator.is_available() or tge.backend.cuda_available()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = torch.amp.GradScaler(enabled=False), tge.amp.GradScaler(enabled=False)
    assert (theirs.get_scale(), theirs.is_enabled(), theirs.state_dict()) == (ours.get_scale(), ours.is_enabled(), ours.state_dict())
    tx = torch.ones(2)
    assert torch.autograd.Variable(tx, requires_grad=True).requires_grad == tge.autograd.Variable(tge.ones(2), requires_grad=True).requires_grad
