"""``sum_all(x)``: the three forms agree with the exact sum (``math.fsum``) to float
rounding, propagate NaN and inf as NumPy's sum does, keep the dtype, read any layout;
the dispatcher takes the compiled form only for large NumPy float32 arrays in one block
of memory; ``Tensor.sum()`` and ``Tensor.mean()`` with no dim reach it."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu import kernels
from tinygrad_edu.kernels import sums
from tinygrad_edu.kernels._numba import HAVE_NUMBA

from .strategies import FLOAT_DTYPES, kernel_settings

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled form needs Numba")

# How far a sum may be from the exact one, in units of eps * sum(|x|): the compiled form
# adds each block's float32 values in a few dozen running sums of a few dozen values each
# (the compiler's choice), then the block sums in float64 (kernels/sums.py). NumPy's
# pairwise sum meets the same bound, in float32 and float64.
ROUNDING_UNITS = 64


def assert_close_to_exact_sum(got, x, who):
    """``got`` is a 0-d array of x's dtype within ROUNDING_UNITS roundings of sum(x)."""
    assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == x.dtype, who
    values = np.asarray(x, dtype=np.float64).reshape(-1)
    exact = math.fsum(values)
    bound = ROUNDING_UNITS * np.finfo(x.dtype).eps * math.fsum(np.abs(values)) + np.finfo(x.dtype).tiny
    assert abs(float(got) - exact) <= bound, f"{who}: {float(got)!r}, exact sum {exact!r} (bound {bound:.3g})"


@st.composite
def arrays(draw):
    """Float32/float64 arrays of 0-3 dims, sizes around the block (kernels/sums.BLOCK),
    normal values at scales 1e-3-1e3, or positive ones (no cancellation to hide a loss)."""
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    size = draw(st.sampled_from([1, 2, 7, sums.BLOCK - 1, sums.BLOCK, sums.BLOCK + 1, 3 * sums.BLOCK + 5]))
    shape = draw(st.sampled_from([(size,), (1, size), (size, 1), (1, size, 1)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = 10.0 ** draw(st.integers(-3, 3))
    values = rng.random(shape) if draw(st.booleans()) else rng.standard_normal(shape)
    return (values * scale).astype(dtype)


@kernel_settings
@given(arrays())
def test_forms_agree_with_the_exact_sum(x):
    assert_close_to_exact_sum(sums.sum_all_reference(x), x, "sum_all_reference")
    assert_close_to_exact_sum(sums.sum_all(x), x, "sum_all")
    if HAVE_NUMBA and x.dtype == np.float32:  # the compiled loop's dtype
        assert_close_to_exact_sum(sums.sum_all_numba(x), x, "sum_all_numba")


@kernel_settings
@given(arrays())
def test_the_check_catches_a_value_left_out(x):
    """A sum that drops the last value (a planted off-by-one in the loop bounds) fails the
    check above whenever that value is more than the rounding allowed."""
    last = float(np.asarray(x, dtype=np.float64).reshape(-1)[-1])
    dropped = sums.sum_all_reference(x.reshape(-1)[:-1])
    values = np.abs(np.asarray(x, dtype=np.float64)).reshape(-1)
    assume(abs(last) > 2 * ROUNDING_UNITS * np.finfo(x.dtype).eps * math.fsum(values))
    with pytest.raises(AssertionError):
        assert_close_to_exact_sum(dropped, x, "a sum without the last value")


@needs_numba
def test_nan_and_inf_propagate_as_in_numpys_sum():
    dtype, n = np.float32, 3 * sums.BLOCK + 5
    for position in (0, sums.BLOCK, n - 1):  # the first block, a later block, the last partial block
        for special, others in [(np.nan, 1.0), (np.inf, 1.0), (-np.inf, 1.0)]:
            x = np.full(n, others, dtype=dtype)
            x[position] = special
            for who, form in [("sum_all_numba", sums.sum_all_numba), ("sum_all_reference", sums.sum_all_reference)]:
                np.testing.assert_array_equal(form(x), np.sum(x), err_msg=f"{who}: {special} at {position}")
        x = np.ones(n, dtype=dtype)
        x[position], x[0 if position else 1] = np.inf, -np.inf  # inf - inf: NaN
        with np.errstate(invalid="ignore"):  # NumPy's sum warns; PyTorch's and the loop do not
            assert np.isnan(sums.sum_all_numba(x)) and np.isnan(np.sum(x))


@needs_numba
def test_zeros_and_empty_arrays_sum_to_plus_zero_as_numpy():
    dtype = np.float32
    for x in (np.zeros(0, dtype=dtype), np.full(2 * sums.BLOCK + 3, -0.0, dtype=dtype), np.zeros((3, 0), dtype=dtype)):
        for who, got in [("sum_all_numba", sums.sum_all_numba(x)), ("sum_all_reference", sums.sum_all_reference(x))]:
            assert got.dtype == dtype and got == 0 and not np.signbit(got), who
            assert not np.signbit(np.sum(x)), "NumPy's own sum starts from +0"


@needs_numba
def test_any_layout_gives_the_sum_of_its_values():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 48)).astype(np.float32)
    for who, view in [("C order", x), ("Fortran order", np.asfortranarray(x)), ("transposed", x.T),
                      ("strided", x[::2, 1::3]), ("reversed", x[::-1])]:
        assert_close_to_exact_sum(sums.sum_all_numba(view), view, who)


@needs_numba
def test_compiled_form_refuses_what_it_is_not_built_for():
    for x in (np.arange(10), np.ones(10)):  # int64; float64 keeps NumPy's pairwise sum (kernels/sums.py)
        with pytest.raises(TypeError, match=f"sum_all_numba: .*float32 values, got {x.dtype}; use sum_all"):
            sums.sum_all_numba(x)
    with pytest.raises(TypeError, match="sum_all_numba: the Numba kernels take NumPy arrays only"):
        sums.sum_all_numba([1.0, 2.0])


@needs_numba
def test_dispatcher_takes_the_compiled_form_for_large_numpy_float32_data(monkeypatch):
    calls = []
    compiled = sums.sum_all_numba
    monkeypatch.setattr(sums, "sum_all_numba", lambda x: calls.append(1) or compiled(x))
    big = np.linspace(-1, 3, kernels.SUM_ELEMENTS, dtype=np.float32).reshape(16, -1)
    small = big.reshape(-1)[:-1]
    saved = kernels.current()
    try:
        kernels.use("numba")
        for x, compiled_form in [
            (big, True),
            (np.asfortranarray(big), True),  # one block of memory, read in place
            (big.astype(np.float64), False),  # NumPy's pairwise sum, the more accurate in float64
            (small, False),  # too small to pay: NumPy's own bits
            (big[:, ::2].repeat(2, axis=1), True),  # a copy: contiguous again
            (np.concatenate([big, big], axis=1)[:, ::2], False),  # strided: NumPy's own sum, no copy
            (big.astype(np.float16), False),  # a dtype the loop is not built for
            (np.arange(kernels.SUM_ELEMENTS), False),  # integers: NumPy's exact sum
        ]:
            calls.clear()
            got = kernels.sum_all(x)
            assert got.shape == () and got.dtype == x.dtype, x.dtype
            if compiled_form:
                assert_close_to_exact_sum(got, x, str(x.dtype))
            else:
                np.testing.assert_array_equal(got, np.sum(x))  # NumPy's own sum, bit for bit
            assert bool(calls) == compiled_form, (x.dtype, x.shape, x.strides)
        kernels.use("numpy")
        calls.clear()
        np.testing.assert_array_equal(kernels.sum_all(big), np.sum(big))
        assert not calls
    finally:
        kernels.use(saved)


@needs_numba
@pytest.mark.parametrize("keepdim", [False, True])
def test_tensor_sum_and_mean_of_every_element_reach_it(monkeypatch, keepdim):
    calls = []
    compiled = sums.sum_all_numba
    monkeypatch.setattr(sums, "sum_all_numba", lambda x: calls.append(1) or compiled(x))
    rng = np.random.default_rng(6)
    data = rng.standard_normal(kernels.SUM_ELEMENTS).astype(np.float32).reshape(4, 2, -1)  # just large enough
    saved = kernels.current()
    try:
        kernels.use("numba")
        for reduce, expected in [(tge.sum, data.sum(keepdims=keepdim)), (tge.mean, data.mean(keepdims=keepdim))]:
            calls.clear()
            x = tge.tensor(data, requires_grad=True)
            dims = tuple(range(data.ndim)) if keepdim else None
            out = reduce(x, dim=dims, keepdim=keepdim)
            assert calls, f"{reduce.__name__} did not reach the compiled sum"
            assert out.shape == expected.shape and out.dtype == tge.float32
            np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5)
            out.sum().backward()
            scale = 1.0 if reduce is tge.sum else 1.0 / data.size
            np.testing.assert_array_equal(x.grad.numpy(), np.full(data.shape, scale, dtype=np.float32))
        calls.clear()
        np.testing.assert_array_equal(tge.tensor(data[:1, :1]).sum().numpy(), data[:1, :1].sum())  # small: NumPy's
        np.testing.assert_array_equal(tge.tensor(data).sum(dim=1).numpy(), data.sum(axis=1))  # one dim: NumPy's
        assert not calls
    finally:
        kernels.use(saved)
