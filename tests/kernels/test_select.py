"""``where(cond, a, b)``: the three forms agree with NumPy's where (values, NaN, inf, signed
zeros, broadcasting, result dtype), the compiled form gives the same bits on any thread
count, and the dispatcher picks it only for NumPy float data large enough."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu import kernels
from tinygrad_edu.kernels import select as W
from tinygrad_edu.kernels._numba import HAVE_NUMBA

from .checks import set_range_lines
from .strategies import FLOAT_DTYPES, kernel_settings

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0])


@st.composite
def where_cases(draw):
    """cond, a, b of shapes that broadcast (size-1 dims, missing dims, scalars), floats with
    NaN, inf and signed zeros among them."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def operand(dtype):
        kind = draw(st.sampled_from(["full", "ones", "suffix", "scalar"]))
        if kind == "scalar":
            return draw(st.sampled_from([0, 0.5, -1, np.float32(2.0)])) if dtype != bool else bool(draw(st.booleans()))
        dims = list(shape)
        if kind == "ones":
            dims = [1 if draw(st.booleans()) else n for n in dims]
        elif kind == "suffix":
            dims = dims[draw(st.integers(0, len(dims))):]
        if dtype == bool:
            return rng.random(dims) < 0.5
        values = rng.choice(SPECIAL, size=dims) if draw(st.booleans()) else rng.standard_normal(dims)
        return values.astype(dtype)

    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    return operand(bool), operand(dtype), operand(draw(st.sampled_from([dtype, *FLOAT_DTYPES])))


def _assert_same(got, expected, who):
    assert isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype == expected.dtype, who
    np.testing.assert_array_equal(got, expected, err_msg=who)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected), err_msg=f"{who}: signs of zeros")


@kernel_settings
@given(where_cases())
def test_forms_agree_with_numpys_where(case):
    expected = np.asarray(np.where(*case))
    _assert_same(W.where_reference(*case), expected, "where_reference")
    _assert_same(np.asarray(W.where(*case)), expected, "where")
    if HAVE_NUMBA:
        _assert_same(W.where_numba(*case), expected, "where_numba")


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled form needs Numba")
def test_compiled_form_gives_the_same_bits_on_any_thread_count(monkeypatch):
    set_range_lines(monkeypatch, 1)  # ranges on the threads even for this small array
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 7, 3)).astype(np.float32)
    cond, b = a > 0, a * np.float32(0.1)
    before = tge.get_num_threads()
    try:
        for count in (1, 2, 3):
            tge.set_num_threads(count)
            _assert_same(W.where_numba(cond, a, b), np.where(cond, a, b), f"where_numba on {count} threads")
    finally:
        tge.set_num_threads(before)


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled form needs Numba")
def test_dispatcher_takes_the_compiled_form_for_large_numpy_float_data(monkeypatch):
    calls = []
    compiled = W.where_numba
    monkeypatch.setattr(W, "where_numba", lambda *args: calls.append(1) or compiled(*args))
    big = np.ones(kernels.WHERE_ELEMENTS, dtype=np.float32)
    small = np.ones(kernels.WHERE_ELEMENTS - 1, dtype=np.float32)
    saved = kernels.current()
    try:
        kernels.use("numba")
        for args, compiled_form in [
            ((big > 0, big, 0.0), True),  # a Python number takes the array's dtype
            ((small > 0, small, 0.0), False),  # too small to pay
            ((big > 0, big.astype(np.int64), 0), False),  # integers: NumPy's own
            ((big > 0, big.astype(np.float16), 0.0), False),  # a dtype the loops are not built for
        ]:
            calls.clear()
            _assert_same(kernels.where(*args), np.where(*args), str(args[1].dtype))
            assert bool(calls) == compiled_form, (args[1].dtype, args[1].size)
        kernels.use("numpy")
        calls.clear()
        _assert_same(kernels.where(big > 0, big, 0.0), np.where(big > 0, big, 0.0), "numpy set")
        assert not calls
    finally:
        kernels.use(saved)


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled form needs Numba")
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "sigmoid", "prelu", "softplus", "silu"])
def test_activations_choose_with_it(monkeypatch, name):
    """Each of these ops calls kernels.where in its forward or backward (or both) on a
    large NumPy float array, so it gets the compiled loop."""
    calls = []
    compiled = W.where_numba
    monkeypatch.setattr(W, "where_numba", lambda *args: calls.append(1) or compiled(*args))
    F = tge.nn.functional
    x = tge.tensor(np.random.default_rng(3).standard_normal((128, 64)).astype(np.float32), requires_grad=True)
    ops = {"leaky_relu": F.leaky_relu, "elu": F.elu, "selu": F.selu, "sigmoid": tge.sigmoid, "softplus": F.softplus,
           "silu": F.silu, "prelu": lambda t: F.prelu(t, tge.tensor([0.25]))}
    saved = kernels.current()
    try:
        kernels.use("numba")
        ops[name](x).sum().backward()
    finally:
        kernels.use(saved)
    assert calls, f"{name} did not reach the compiled where"


# ---------------------------------------------------------------- threshold
@st.composite
def threshold_cases(draw):
    """x (floats with NaN, inf, signed zeros and values equal to the threshold), g, the
    threshold and the value."""
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    t = draw(st.sampled_from([0.0, -1.0, 0.5, 2.0]))
    x = rng.choice(np.append(SPECIAL, t), size=shape) if draw(st.booleans()) else rng.standard_normal(shape)
    # g too may hold NaN, inf and zeros of both signs (an overflowed upstream gradient)
    g = rng.choice(SPECIAL, size=shape) if draw(st.booleans()) else rng.standard_normal(shape)
    return x.astype(dtype), g.astype(dtype), t, draw(st.sampled_from([0.0, -3.0, 20.0]))


@kernel_settings
@given(threshold_cases())
def test_threshold_forms_agree_with_the_definition(case):
    x, g, t, v = case
    expected = np.where(np.isnan(x) | (x > t), x, v).astype(x.dtype)  # NaN passes, as in PyTorch
    expected_grad = np.where(np.isnan(x) | (x > t), g, 0).astype(x.dtype)
    forms = [("reference", W.threshold_reference, W.threshold_backward_reference), ("vectorised", W.threshold, W.threshold_backward)]
    if HAVE_NUMBA:
        forms.append(("numba", W.threshold_numba, W.threshold_backward_numba))
    for who, forward, backward in forms:
        _assert_same(np.asarray(forward(x, t, v)), expected, f"threshold {who}")
        # every form gives PyTorch's +0.0 where x <= t, whatever g holds there (-2, inf, NaN)
        _assert_same(np.asarray(backward(g, x, t)), expected_grad, f"threshold_backward {who}")


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled form needs Numba")
def test_threshold_compiled_gives_the_same_bits_on_any_thread_count(monkeypatch):
    set_range_lines(monkeypatch, 1)  # ranges on the threads even for this small array
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 7, 3)).astype(np.float32)[:, ::2]  # not contiguous
    g = rng.standard_normal(x.shape).astype(np.float32)
    before = tge.get_num_threads()
    try:
        for count in (1, 2, 3):
            tge.set_num_threads(count)
            _assert_same(W.threshold_numba(x, 0.0, 0.0), np.maximum(x, 0), f"threshold_numba on {count} threads")
            _assert_same(W.threshold_backward_numba(g, x, 0.0), np.where(x <= 0, np.float32(0), g), f"threshold_backward_numba, {count}")
    finally:
        tge.set_num_threads(before)


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled form needs Numba")
def test_threshold_dispatcher_compiles_large_numpy_float_data_only(monkeypatch):
    calls = []
    for name in ("threshold_numba", "threshold_backward_numba"):
        compiled = getattr(W, name)
        monkeypatch.setattr(W, name, lambda *args, _f=compiled: calls.append(1) or _f(*args))
    big = np.linspace(-1, 1, kernels.WHERE_ELEMENTS).astype(np.float32)
    saved = kernels.current()
    try:
        kernels.use("numba")
        for x, compiled_form in [(big, True), (big[:-1], False), (big.astype(np.float16), False), ((big * 4).astype(np.int64), False)]:
            calls.clear()
            _assert_same(kernels.threshold(x, 0.0, 0.0), np.maximum(x, 0).astype(x.dtype), str(x.dtype))
            _assert_same(kernels.threshold_backward(x, x, 0.0), np.where(x <= 0, 0, x).astype(x.dtype), str(x.dtype))
            assert len(calls) == (2 if compiled_form else 0), (x.dtype, x.size)
        kernels.use("numpy")
        calls.clear()
        kernels.threshold(big, 0.0, 0.0)
        assert not calls
    finally:
        kernels.use(saved)


def test_threshold_numba_refuses_mismatched_or_foreign_arrays():
    if not HAVE_NUMBA:
        pytest.skip("the compiled form needs Numba")
    with pytest.raises(ValueError, match=r"threshold_backward_numba: g \(2,\) and x \(3,\)"):
        W.threshold_backward_numba(np.zeros(2), np.zeros(3), 0.0)
    with pytest.raises(TypeError, match="threshold_numba"):
        W.threshold_numba([1.0, 2.0], 0.0, 0.0)
