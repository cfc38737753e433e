"""``t.data`` is a detached Tensor sharing ``t``'s array (PyTorch); ``t.array`` is the array.

Writes through ``.data`` change the values but are invisible to autograd: they do not
bump the version counter that saved values are checked against (PyTorch's behaviour,
checked against PyTorch where it is installed).
"""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn


def _leaf(values):
    return tge.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_data_is_a_detached_tensor_sharing_the_array():
    p = nn.Parameter(tge.tensor([1.0, 2.0, 3.0]))
    d = p.data
    assert type(d) is tge.Tensor and not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d.array is p.array and d.shape == p.shape and d.dtype == p.dtype
    d.array[0] = 10.0
    assert p.array[0] == 10.0


@pytest.mark.parametrize("write", [
    lambda d: d.add_(1.0),
    lambda d: d.add_(tge.tensor([1.0, 1.0], dtype=tge.float64), alpha=-0.5),
    lambda d: d.copy_(tge.tensor([5.0, -1.0], dtype=tge.float64)),
    lambda d: d.zero_(),
    lambda d: d.mul_(3.0),
], ids=["add_", "add_alpha", "copy_", "zero_", "mul_"])
def test_in_place_writes_through_data_bump_nothing_in_the_graph(write):
    w = _leaf([1.0, 2.0])
    y = (w * w).sum()  # Mul saves w's array for its backward
    version = w._version.value
    before = w.cpu().array.copy()
    write(w.data)
    assert w._version.value == version  # the saved-value check does not fire...
    assert not np.array_equal(w.cpu().array, before)  # ...though the values changed
    y.backward()
    np.testing.assert_allclose(w.grad.cpu().array, 2 * w.cpu().array)  # backward reads the new values, as PyTorch


def test_the_same_write_on_the_tensor_itself_is_caught():
    w = _leaf([1.0, 2.0])
    y = (w * w).sum()
    with tge.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_data_allows_updating_a_leaf_outside_no_grad():
    w = _leaf([1.0, 2.0])
    (w * 3.0).sum().backward()
    w.data.add_(w.grad, alpha=-0.1)  # the classic manual SGD step
    np.testing.assert_allclose(w.cpu().array, [0.7, 1.7])
    assert w.requires_grad and w.is_leaf


def test_data_setter_takes_the_array_of_a_tensor():
    p = nn.Parameter(tge.zeros(2, 3))
    new = tge.ones(4)
    p.data = new
    assert p.array is new.array and p.shape == (4,) and p.requires_grad
    with pytest.raises(TypeError, match="expected a Tensor to assign to .data.*t.array = a"):
        p.data = np.zeros(4)


def test_writes_through_data_match_pytorch():
    torch = pytest.importorskip("torch")
    w, tw = _leaf([1.0, -2.0, 0.5]), torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    y, ty = (w * w.exp()).sum(), (tw * tw.exp()).sum()
    w.data.mul_(2.0).add_(0.25)
    tw.data.mul_(2.0).add_(0.25)
    assert w._version.value == 0 and tw._version == 0
    y.backward()
    ty.backward()
    np.testing.assert_allclose(w.grad.cpu().array, tw.grad.cpu().numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.cpu().array, tw.detach().cpu().numpy(), rtol=1e-12)
