"""Tensor attributes, creation functions, dtype policy, conversions, repr and errors."""
import numpy as np
import pytest

import tinygrad_edu as tge


def test_attributes():
    t = tge.zeros(2, 3)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dim() == 2 and t.numel() == 6
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.dtype == tge.float32 and t.device == tge.get_default_device()
    c = tge.zeros(2, 3, device="cpu")
    assert c.device == "cpu" and c.device == tge.device("cpu")
    assert not t.requires_grad and t.grad is None and t.is_leaf and t.grad_fn is None
    with pytest.raises(IndexError, match="out of range"):
        t.size(2)


def test_dtype_inference_follows_pytorch():
    assert tge.tensor([1.0, 2.0]).dtype == tge.float32
    assert tge.tensor([1, 2]).dtype == tge.int64
    assert tge.tensor([True, False]).dtype == tge.bool
    assert tge.tensor(np.array([1.0], dtype=np.float64)).dtype == tge.float64  # float64 stays float64
    assert tge.tensor(np.array([1], dtype=np.int32)).dtype == tge.int32
    assert tge.tensor([1, 2], dtype=tge.float64).dtype == tge.float64
    assert tge.randn(2).dtype == tge.float32 and tge.rand(2, dtype=tge.float64).dtype == tge.float64


def test_type_promotion_in_arithmetic():
    f32, f64, i64 = tge.ones(2), tge.ones(2, dtype=tge.float64), tge.tensor([1, 2])
    assert (f32 + f64).dtype == tge.float64
    assert (f32 * 2.5).dtype == tge.float32  # a Python number does not upcast
    assert (i64 * 1.5).dtype == tge.float32  # int tensor with a float number: default float
    assert (i64 + 1).dtype == tge.int64
    assert (i64 / 2).dtype == tge.float32  # true division
    np.testing.assert_allclose((i64 / 2).cpu().numpy(), [0.5, 1.0])
    assert (i64 // 2).cpu().numpy().tolist() == [0, 1]
    assert i64.exp().dtype == tge.float32


def test_tensor_copies_and_as_tensor_shares():
    a = np.zeros(3, dtype=np.float32)
    t = tge.tensor(a)
    a[0] = 1
    assert t.cpu().numpy()[0] == 0
    s = tge.from_numpy(a)
    a[1] = 2
    assert s.cpu().numpy()[1] == 2


def test_creation_functions():
    assert tge.zeros(2, 3).cpu().numpy().sum() == 0 and tge.zeros((2, 3)).shape == (2, 3)
    assert tge.ones(4).cpu().numpy().tolist() == [1, 1, 1, 1]
    assert tge.full((2,), 7).dtype == tge.int64 and tge.full((2,), 7.0).dtype == tge.float32
    assert tge.arange(5).cpu().numpy().tolist() == [0, 1, 2, 3, 4] and tge.arange(5).dtype == tge.int64
    assert tge.arange(0, 1, 0.25).dtype == tge.float32 and tge.arange(0, 1, 0.25).shape == (4,)
    np.testing.assert_allclose(tge.linspace(0, 1, 5).cpu().numpy(), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(tge.eye(3).cpu().numpy(), np.eye(3))
    assert tge.eye(2, 3).shape == (2, 3)
    r = tge.randint(0, 10, (100,))
    assert r.dtype == tge.int64 and r.cpu().numpy().min() >= 0 and r.cpu().numpy().max() < 10
    assert tge.randint(5, (3,)).shape == (3,)
    x = tge.randn(2, 3, dtype=tge.float64)
    for like in (tge.zeros_like, tge.ones_like, tge.randn_like, tge.rand_like, tge.empty_like):
        y = like(x)
        assert y.shape == (2, 3) and y.dtype == tge.float64
    assert tge.full_like(x, 3.0).cpu().numpy().max() == 3.0
    with pytest.raises(RuntimeError, match="negative dimension"):
        tge.zeros(-1)


def test_manual_seed_reproduces():
    tge.manual_seed(42)
    a = tge.randn(5), tge.rand(3), tge.randint(0, 100, (4,))
    tge.manual_seed(42)
    b = tge.randn(5), tge.rand(3), tge.randint(0, 100, (4,))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.cpu().numpy(), y.cpu().numpy())
    g = tge.Generator().manual_seed(1)
    h = tge.Generator().manual_seed(1)
    np.testing.assert_array_equal(tge.randn(3, generator=g).cpu().numpy(), tge.randn(3, generator=h).cpu().numpy())


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients.*int64"):
        tge.tensor([1, 2], requires_grad=True)
    x = tge.randn(2, requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    z = tge.randn(2).requires_grad_()
    assert z.requires_grad and z.is_leaf


def test_item_numpy_tolist_detach_clone():
    x = tge.tensor([[1.0, 2.0]], requires_grad=True)
    assert x.tolist() == [[1.0, 2.0]]
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().cpu().numpy().tolist() == [[1.0, 2.0]]
    assert x[0, 1].item() == 2.0
    with pytest.raises(RuntimeError, match="2 elements"):
        x.item()
    d = x.detach()
    assert not d.requires_grad and d.array is x.array
    c = x.clone()
    assert c.array is not x.array and c.requires_grad and c.grad_fn is not None
    (c * 3).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[3.0, 3.0]])
    assert float(tge.tensor(2.5)) == 2.5 and int(tge.tensor(3)) == 3
    assert np.asarray(tge.tensor([1.0, 2.0], device="cpu")).tolist() == [1.0, 2.0]  # __array__: host tensors only


def test_to_and_dtype_conversions_are_differentiable():
    x = tge.tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == tge.float64 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == tge.float32
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 2.0])
    assert x.to(tge.float32) is x  # nothing to change
    assert x.long().dtype == tge.int64 and not x.long().requires_grad
    assert x.to(x.device) is x and x.to(str(x.device)) is x
    assert tge.ones(2).to(tge.zeros(1, dtype=tge.float64)).dtype == tge.float64


def test_unavailable_device_is_a_clear_error():
    if tge.backend.cuda_available():
        pytest.skip("CuPy is installed")
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        tge.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="unknown or unavailable device"):
        tge.ones(2).to("tpu")


def test_repr_like_pytorch():
    # PyTorch's repr of CPU tensors (a device tensor adds device='...', tested in test_device.py)
    assert repr(tge.tensor([1.0, 2.5], device="cpu")) == "tensor([1. , 2.5])"
    assert repr(tge.tensor([1, 2], device="cpu")) == "tensor([1, 2])"
    assert repr(tge.tensor([1.0], dtype=tge.float64, device="cpu")) == "tensor([1.], dtype=float64)"
    assert repr(tge.tensor([1.0], requires_grad=True, device="cpu")) == "tensor([1.], requires_grad=True)"
    x = tge.tensor([1.0], requires_grad=True, device="cpu")
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward>)"
    assert "..." in repr(tge.zeros(2000, device="cpu"))


def test_bool_len_iter_and_hash():
    assert bool(tge.tensor([1.0])) and len(tge.zeros(4, 2)) == 4
    rows = list(tge.tensor([[0, 1], [2, 3], [4, 5]]))
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tge.zeros(2))
    a = tge.zeros(1)
    assert {a: 1}[a] == 1  # hashable by identity, as in PyTorch


def test_numpy_array_on_the_left_defers_to_tensor():
    out = np.ones(2) * tge.tensor([1.0, 2.0], requires_grad=True, device="cpu")  # a host array: a CPU tensor
    assert isinstance(out, tge.Tensor) and out.requires_grad


def test_default_dtype_can_be_changed():
    try:
        tge.set_default_dtype(tge.float64)
        assert tge.tensor([1.0]).dtype == tge.float64 and tge.randn(2).dtype == tge.float64
    finally:
        tge.set_default_dtype(tge.float32)
    with pytest.raises(TypeError):
        tge.set_default_dtype(tge.int64)


def test_retain_grad_stores_the_gradient_after_all_hooks():
    w = tge.ones(3, requires_grad=True)
    x = w * 2
    x.retain_grad()
    x.register_hook(lambda g: g * 10)  # registered after retain_grad, still runs before it
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [40.0, 40.0, 40.0])  # PyTorch's value
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [80.0, 80.0, 80.0])


def test_contiguous_copies_a_non_contiguous_tensor():
    x = tge.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.contiguous() is x
    y = x.T.contiguous()
    assert y.array.flags.c_contiguous and y._base is None
    with tge.no_grad():
        y.add_(1)  # does not write into x
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [[1.0, 2.0], [3.0, 4.0]])
    (x.T.contiguous() * tge.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[1.0, 3.0], [2.0, 4.0]])


def test_bitwise_operators_on_integers_and_bools():
    assert (tge.tensor([6]) & tge.tensor([3])).tolist() == [2]  # bitwise, not logical
    assert (tge.tensor([6]) | 1).tolist() == [7] and (tge.tensor([6]) ^ tge.tensor([3])).tolist() == [5]
    assert (~tge.tensor([6])).tolist() == [-7] and (3 & tge.tensor([6])).tolist() == [2]
    assert (~tge.tensor([True, False])).tolist() == [False, True]
    assert (tge.tensor([True, False]) ^ True).tolist() == [False, True]
    with pytest.raises(TypeError, match="only integer and bool"):
        ~tge.ones(2)


def test_comparing_with_none():
    t = tge.ones(2)
    assert (t == None) is False and (t != None) is True  # noqa: E711 (the operator is under test)


def test_conv_refuses_mixed_dtypes():
    x = tge.ones(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="conv2d: input and weight must have the same dtype.*float32.*float64"):
        tge.nn.functional.conv2d(x, tge.ones(1, 1, 2, 2, dtype=tge.float64))
    with pytest.raises(RuntimeError, match="conv2d: input and bias must have the same dtype"):
        tge.nn.functional.conv2d(x, tge.ones(1, 1, 2, 2), tge.ones(1, dtype=tge.float64))
    with pytest.raises(RuntimeError, match="conv_transpose2d: input and weight"):
        tge.nn.functional.conv_transpose2d(x, tge.ones(1, 1, 2, 2, dtype=tge.float64))
    with pytest.raises(RuntimeError, match=r"does not match the output channels"):
        tge.nn.functional.conv2d(x, tge.ones(1, 1, 2, 2), tge.ones(2))


def test_detect_anomaly_decorator_keeps_the_function_name():
    @tge.autograd.detect_anomaly()
    def train_step():
        """One step."""
        return 1

    assert train_step.__name__ == "train_step" and train_step.__doc__ == "One step." and train_step() == 1
