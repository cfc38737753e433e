"""Where PyTorch refuses, refuse too (issue 12): view on strides that cannot express
the shape, mixed-dtype matrix products; and where it accepts, accept the same:
reshape copies only when it must, ceil_mode pooling sizes (inputs smaller than the
window included). Both libraries are run on the same case: both raise, or both agree."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu.backend import get_array_module
import tinygrad_edu.nn.functional as F
from tinygrad_edu import kernels
from tinygrad_edu.kernels.sizes import output_size

torch = pytest.importorskip("torch")


def outcome(fn):
    """('ok', result) or ('error', message) of fn()."""
    try:
        return "ok", fn()
    except (RuntimeError, ValueError) as e:
        return "error", str(e)


@st.composite
def layouts(draw):
    """A float64 array of 1-4 dims, then a permutation and a slice step: its layout."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    perm = draw(st.permutations(range(len(shape))))
    step = draw(st.sampled_from([1, 1, 2]))
    return shape, tuple(perm), step


def arrange(shape, perm, step, lib):
    t = lib.arange(float(np.prod(shape)), dtype=lib.float64).reshape(shape).permute(*perm)
    return t[::step] if step > 1 else t


@given(case=layouts(), data=st.data())
def test_view_refuses_exactly_where_torch_does(case, data):
    shape, perm, step = case
    ours, ref = arrange(shape, perm, step, tge), arrange(shape, perm, step, torch)
    assert ours.is_contiguous() == ref.is_contiguous()
    numel = ours.numel()
    divisors = [d for d in range(1, numel + 1) if numel % d == 0]
    first = data.draw(st.sampled_from(divisors), label="first")
    targets = [(-1,), (first, -1), (1, numel, 1), tuple(reversed(ours.shape)), ours.shape + (1,)]
    for target in targets:
        got, expected = outcome(lambda: ours.view(*target)), outcome(lambda: ref.view(*target))
        assert got[0] == expected[0], f"view{target} of shape {ours.shape}: ours {got}, torch {expected}"
        if got[0] == "ok":
            np.testing.assert_array_equal(got[1].cpu().array, expected[1].cpu().numpy())
            assert get_array_module(ours.array).shares_memory(got[1].array, ours.array), "a view must share memory"
        else:
            assert "Use .reshape(...) instead" in got[1]
        reshaped, ref_reshaped = ours.reshape(*target), ref.reshape(*target)
        np.testing.assert_array_equal(reshaped.cpu().array, ref_reshaped.cpu().numpy())
        # reshape copies only when it must: it shares memory exactly when a view is possible
        assert get_array_module(ours.array).shares_memory(reshaped.array, ours.array) == (got[0] == "ok") or ours.numel() <= 1


def test_view_error_says_to_use_reshape():
    x = tge.ones(2, 3).permute(1, 0)
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape\(\.\.\.\) instead"):
        x.view(6)
    assert x.reshape(6).shape == (6,)


MATRIX_OPS = {
    "matmul": (lambda lib, a, b: a @ b, (2, 3), (3, 2)),
    "mm": (lambda lib, a, b: lib.mm(a, b), (2, 3), (3, 2)),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), (1, 2, 3), (1, 3, 2)),
    "linear": (lambda lib, a, b: (F if lib is tge else torch.nn.functional).linear(a, b), (2, 3), (4, 3)),
    "conv2d": (lambda lib, a, b: (F if lib is tge else torch.nn.functional).conv2d(a, b), (1, 1, 3, 3), (1, 1, 2, 2)),
    "conv1d": (lambda lib, a, b: (F if lib is tge else torch.nn.functional).conv1d(a, b), (1, 1, 3), (1, 1, 2)),
    "conv_transpose2d": (lambda lib, a, b: (F if lib is tge else torch.nn.functional).conv_transpose2d(a, b),
                         (1, 1, 3, 3), (1, 1, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(MATRIX_OPS))
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
def test_matrix_products_refuse_mixed_float_dtypes(name, dtypes):
    fn, sa, sb = MATRIX_OPS[name]
    with pytest.raises(RuntimeError):
        fn(torch, torch.ones(sa, dtype=getattr(torch, dtypes[0])), torch.ones(sb, dtype=getattr(torch, dtypes[1])))
    with pytest.raises(RuntimeError) as info:
        fn(tge, tge.ones(sa, dtype=getattr(tge, dtypes[0])), tge.ones(sb, dtype=getattr(tge, dtypes[1])))
    message = str(info.value)
    assert message.startswith(name), message  # names the op
    assert "float32" in message and "float64" in message, message  # and both dtypes
    assert fn(tge, tge.ones(sa, dtype=tge.float64), tge.ones(sb, dtype=tge.float64)).dtype == tge.float64


def test_linear_bias_dtype_and_elementwise_still_promotes():
    with pytest.raises(RuntimeError, match="linear"):
        F.linear(tge.ones(2, 3), tge.ones(4, 3), tge.ones(4, dtype=tge.float64))
    assert (tge.ones(2) * tge.ones(2, dtype=tge.float64)).dtype == tge.float64


@st.composite
def pool_cases(draw):
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 4))
    p = draw(st.integers(0, k // 2))  # PyTorch: padding at most half the kernel
    size = draw(st.integers(1, 7))
    return size, k, s, p


@pytest.mark.parametrize("kernel_set", kernels.KERNEL_SETS)
@given(case=pool_cases(), ceil_mode=st.booleans(), seed=st.integers(0, 2**16))
def test_pool_output_sizes_and_values_follow_torch(kernel_set, case, ceil_mode, seed):
    size, k, s, p = case
    x = np.random.default_rng(seed).standard_normal((1, 2, size, size + 1))
    with kernels.using(kernel_set):
        for op in ("max_pool2d", "avg_pool2d"):
            expected = outcome(lambda: getattr(torch.nn.functional, op)(torch.tensor(x), k, s, p, ceil_mode=ceil_mode))
            got = outcome(lambda: getattr(F, op)(tge.tensor(x), k, s, p, ceil_mode=ceil_mode))
            assert got[0] == expected[0], f"{op} size={size} k={k} s={s} p={p} ceil={ceil_mode}: ours {got}, torch {expected}"
            if got[0] == "ok":
                np.testing.assert_allclose(got[1].cpu().array, expected[1].cpu().numpy(), rtol=1e-12, err_msg=op)


def test_ceil_mode_input_smaller_than_window():
    assert output_size(2, 3, 3, 0, 1, ceil_mode=True) == 1
    with pytest.raises(ValueError, match="too small"):
        output_size(2, 3, 3, 0, 1, ceil_mode=False)
    out = F.max_pool2d(tge.arange(4.0).view(1, 1, 2, 2), 3, ceil_mode=True)
    assert out.shape == (1, 1, 1, 1) and out.item() == 3.0
