"""Reductions: forward against NumPy and gradcheck on hypothesis-drawn shapes, dims
(None, int, negative, tuple) and keepdim, with non-contiguous inputs and random upstream
gradients; then ties, 0-d inputs, degenerate cases and error messages."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops import reduce as R
from tinygrad_edu.testing import strategies as S


@st.composite
def shape_dim_keepdim(draw, shapes=S.shapes, allow_none=True):
    """(shape, dim, keepdim): dim is None, an int (maybe negative) or a tuple of dims."""
    shape = draw(shapes)
    ndim = len(shape)
    choices = [st.none()] if allow_none else []
    if ndim == 0:
        choices.append(st.sampled_from([0, -1]))
    else:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
            lambda ds: tuple(d - ndim if i % 2 else d for i, d in enumerate(ds))))  # mix negative dims in
    return shape, draw(st.one_of(*choices)), draw(st.booleans())


def np_axis(dim, ndim):
    """A tge dim argument as NumPy's axis (a 0-d tensor reduces nothing)."""
    if ndim == 0:
        return None
    if dim is None:
        return tuple(range(ndim))
    return tuple(d % ndim for d in (dim if isinstance(dim, tuple) else (dim,)))


def np_logsumexp(a, axis, keepdims):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def np_norm(p):
    return lambda a, axis, keepdims: np.sum(np.abs(a) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


# name -> (tge op(x, dim, keepdim), NumPy reference(a, axis, keepdims), points to avoid, needs distinct values)
REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, k), lambda a, ax, k: np.sum(a, axis=ax, keepdims=k), (), False),
    "mean": (lambda x, d, k: x.mean(d, k), lambda a, ax, k: np.mean(a, axis=ax, keepdims=k), (), False),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda a, ax, k: np.var(a, axis=ax, ddof=1, keepdims=k), (), False),
    "var_biased": (lambda x, d, k: tge.Tensor.var(x, d, False, k), lambda a, ax, k: np.var(a, axis=ax, keepdims=k), (), False),
    "var_correction": (lambda x, d, k: x.var(d, keepdim=k, correction=0.5),
                       lambda a, ax, k: np.var(a, axis=ax, ddof=0.5, keepdims=k), (), False),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda a, ax, k: np.std(a, axis=ax, ddof=1, keepdims=k), (), False),
    "std_biased": (lambda x, d, k: x.std(d, unbiased=False, keepdim=k), lambda a, ax, k: np.std(a, axis=ax, keepdims=k), (), False),
    "amax": (lambda x, d, k: x.amax(() if d is None else d, k), lambda a, ax, k: np.amax(a, axis=ax, keepdims=k), (), True),
    "amin": (lambda x, d, k: x.amin(() if d is None else d, k), lambda a, ax, k: np.amin(a, axis=ax, keepdims=k), (), True),
    "logsumexp": (lambda x, d, k: x.logsumexp(() if d is None else d, k), np_logsumexp, (), False),
    "norm2": (lambda x, d, k: x.norm(2, d, k), np_norm(2), (), False),
    "norm_fro": (lambda x, d, k: x.norm("fro", d, k), np_norm(2), (), False),
    "norm1": (lambda x, d, k: x.norm(1, d, k), np_norm(1), (0,), False),
    "norm3": (lambda x, d, k: x.norm(3, d, k), np_norm(3), (0,), False),
    "norm_inf": (lambda x, d, k: x.norm(math.inf, d, k), lambda a, ax, k: np.amax(np.abs(a), axis=ax, keepdims=k), (0,), True),
}


def _has_ties(a, axis, gap=1e-3):
    """True if two values in one reduction are closer than ``gap`` (gradcheck's finite
    differences would straddle the kink of max/min there)."""
    if a.ndim == 0:
        return False
    kept = a.ndim - len(axis)
    moved = np.moveaxis(a, axis, tuple(range(kept, a.ndim)))  # reduced dims last, then flattened
    rows = np.sort(moved.reshape(moved.shape[:kept] + (-1,)), axis=-1)
    return bool(np.any(np.diff(rows, axis=-1) < gap))


def _upstream(shape, seed=0):
    return tge.tensor(np.random.default_rng(seed).standard_normal(shape))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(sdk=shape_dim_keepdim(), data=st.data(), contiguous=st.booleans())
def test_reduction_forward_and_gradcheck(name, sdk, data, contiguous):
    fn, ref, avoid, distinct = REDUCTIONS[name]
    shape, dim, keepdim = sdk
    a = data.draw(S.arrays(shape, avoid=avoid, margin=0.1))
    if not contiguous:
        a = S.noncontiguous(a)
    axis = np_axis(dim, a.ndim)
    count = 1 if axis is None else math.prod(a.shape[d] for d in axis)
    if name.startswith(("var", "std")) and not name.endswith("biased"):
        assume(count > 1)  # N - correction > 0 (the N <= correction case is tested below)
    if name == "norm_fro":
        assume(not isinstance(dim, tuple) or len(dim) <= 2)  # a matrix norm: at most two dims
    if distinct:
        assume(not _has_ties(np.abs(a) if name == "norm_inf" else a, axis or ()))
    x = S.leaf(a)
    out = fn(x, dim, keepdim)
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref(a, axis, keepdim), rtol=1e-10, atol=1e-12)
    assert out.dtype == tge.float64
    w = _upstream(out.shape)
    assert gradcheck(lambda t: fn(t, dim, keepdim) * w, (x,))


@pytest.mark.parametrize("op, np_op, np_arg", [("max", np.max, np.argmax), ("min", np.min, np.argmin)])
@given(sdk=shape_dim_keepdim(shapes=S.nonscalar_shapes, allow_none=False), data=st.data())
def test_max_min_along_dim_values_indices_and_gradcheck(op, np_op, np_arg, sdk, data):
    shape, dim, keepdim = sdk
    dim = dim if isinstance(dim, int) else dim[0]
    a = S.noncontiguous(data.draw(S.arrays(shape)))
    assume(not _has_ties(a, (dim % a.ndim,)))
    x = S.leaf(a)
    result = getattr(x, op)(dim, keepdim)
    values, indices = result  # tuple unpacking, as torch.return_types.max
    assert result.values is values and result.indices is indices
    np.testing.assert_allclose(values.detach().cpu().numpy(), np_op(a, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.cpu().numpy(), np_arg(a, axis=dim, keepdims=keepdim))
    assert indices.dtype == tge.int64 and not indices.requires_grad
    w = _upstream(values.shape)
    assert gradcheck(lambda t: getattr(t, op)(dim, keepdim).values * w, (x,))


@given(sdk=shape_dim_keepdim(), data=st.data())
def test_argmax_argmin_match_numpy(sdk, data):
    shape, dim, keepdim = sdk
    if isinstance(dim, tuple):
        dim = dim[0]
    a = data.draw(S.arrays(shape))
    x = tge.tensor(a)
    for op, ref in (("argmax", np.argmax), ("argmin", np.argmin)):
        out = getattr(x, op)(dim, keepdim)
        if dim is None:
            expected = ref(a.reshape(-1))
            expected = np.reshape(expected, (1,) * a.ndim) if keepdim else expected
        elif a.ndim == 0:
            expected = 0
        else:
            expected = ref(a, axis=dim, keepdims=keepdim)
        np.testing.assert_array_equal(out.cpu().numpy(), expected)
        assert out.dtype == tge.int64 and out.shape == np.shape(expected)


# --------------------------------------------------------------------- ties
def test_max_without_dim_splits_the_gradient_among_ties():
    x = tge.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 3.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0, 1 / 3, 1 / 3], [0, 0, 1 / 3]])
    x.grad = None
    x.min().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0, 0, 0], [0, 1, 0]])


def test_amax_amin_share_the_gradient_among_ties_per_slice():
    x = tge.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    (x.amax(1) * tge.tensor([2.0, 4.0])).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0, 1, 1], [2, 0, 2]])
    x.grad = None
    x.amin(0).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[1, 0, 0], [0, 1, 1]])


def test_max_along_dim_sends_the_gradient_to_the_returned_index_only():
    x = tge.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(indices.cpu().numpy(), [1, 0])  # the first maximum
    values.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    values, indices = x.min(dim=-1, keepdim=True)
    assert values.shape == (2, 1) and indices.shape == (2, 1)
    np.testing.assert_array_equal(indices.cpu().numpy(), [[0], [1]])
    values.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[1, 0, 0], [0, 1, 0]])


def test_max_result_is_a_named_tuple():
    r = R.max(tge.tensor([[1.0, 5.0]]), 1)
    assert isinstance(r, tuple) and r._fields == ("values", "indices")
    assert "values=" in repr(r) and repr(r).startswith("max(")


def test_argmax_returns_the_first_of_ties_and_no_gradient():
    x = tge.tensor([[1.0, 3.0, 3.0], [4.0, 4.0, 0.0]], requires_grad=True)
    assert x.argmax().item() == 3 and not x.argmax().requires_grad
    np.testing.assert_array_equal(x.argmax(1).cpu().numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(0, keepdim=True).cpu().numpy(), [[0, 0, 1]])
    assert x.argmax(keepdim=True).shape == (1, 1)


# ------------------------------------------------------------- 0-d and dtypes
def test_zero_dim_inputs():
    x = tge.tensor(2.5, dtype=tge.float64, requires_grad=True)
    for out in (x.sum(0), x.mean(-1), x.amax(), x.amin(0, keepdim=True), x.logsumexp(0), x.max(), x.norm()):
        assert out.shape == () and out.item() == pytest.approx(2.5)
    values, indices = x.max(0)
    assert values.shape == () and indices.shape == () and indices.item() == 0
    values.backward()
    assert x.grad.item() == 1.0
    assert x.argmax().item() == 0 and x.argmin(0, keepdim=True).shape == ()
    assert x.var(correction=0).item() == 0.0
    assert gradcheck(lambda t: t.logsumexp(0) * 3.0 + t.max(0).values + t.std(unbiased=False), (x,))


def test_max_min_argmax_of_integer_and_bool_tensors():
    x = tge.tensor([[1, 5, 2], [7, 0, 7]])
    assert x.max().item() == 7 and x.max().dtype == tge.int64
    np.testing.assert_array_equal(x.max(1).values.cpu().numpy(), [5, 7])
    np.testing.assert_array_equal(x.amin(0).cpu().numpy(), [1, 0, 2])
    assert tge.tensor([True, False]).max().item() is True
    assert x.argmax().item() == 3


def test_max_with_a_tensor_is_elementwise_maximum():
    a, b = tge.tensor([1.0, 5.0]), tge.tensor([3.0, 2.0])
    np.testing.assert_allclose(tge.Tensor.max(a, b).cpu().numpy(), [3.0, 5.0])
    np.testing.assert_allclose(R.min(a, b).cpu().numpy(), [1.0, 2.0])


def test_max_propagates_nan_and_points_at_it():
    x = tge.tensor([1.0, float("nan"), 3.0])
    values, indices = x.max(0)
    assert math.isnan(values.item()) and indices.item() == 1
    assert math.isnan(x.amax().item()) and x.argmax().item() == 1


# ------------------------------------------------------------------ var, std
def test_var_std_correction_rules():
    a = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 9.0]])
    x = tge.tensor(a)
    np.testing.assert_allclose(x.var().item(), np.var(a, ddof=1))
    np.testing.assert_allclose(x.var(1, True).cpu().numpy(), np.var(a, 1, ddof=1))  # unbiased positional
    np.testing.assert_allclose(x.var(1, False).cpu().numpy(), np.var(a, 1))
    np.testing.assert_allclose(x.std(0, correction=0).cpu().numpy(), np.std(a, 0))
    np.testing.assert_allclose(tge.Tensor.var(x, (0, 1), keepdim=True, correction=2).cpu().numpy(), np.var(a, ddof=2, keepdims=True))
    with pytest.raises(TypeError, match="var: pass either unbiased or correction"):
        x.var(unbiased=True, correction=1)


def test_var_with_no_degrees_of_freedom_is_nan_with_a_warning():
    x = tge.tensor([5.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        v = x.var()
    assert math.isnan(v.item())
    with pytest.warns(UserWarning, match="std"):
        s = tge.tensor([1.0, 3.0]).std(correction=3)  # divisor max(0, N - c) = 0: inf
    assert s.item() == math.inf


def test_std_gradient_is_zero_where_std_is_zero():
    x = tge.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]], requires_grad=True)
    x.std(1).sum().backward()
    assert np.all(x.grad.cpu().numpy()[0] == 0) and np.all(np.isfinite(x.grad.cpu().numpy()))


def test_var_std_mean_reject_integer_input():
    x = tge.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="var: input dtype must be floating point, got int64"):
        x.var()
    with pytest.raises(RuntimeError, match="std"):
        x.std()
    with pytest.raises(RuntimeError, match="norm"):
        x.norm()


def test_var_is_accurate_for_large_offsets():
    a = 1e8 + np.array([1.0, 2.0, 3.0, 4.0])  # E[x^2] - E[x]^2 would cancel catastrophically
    np.testing.assert_allclose(tge.tensor(a).var().item(), np.var(a, ddof=1), rtol=1e-12)


# ---------------------------------------------------------------- logsumexp
def test_logsumexp_is_stable_for_large_and_infinite_inputs():
    x = tge.tensor([[1000.0, 1000.0], [-1000.0, -1001.0]], requires_grad=True)
    out = x.logsumexp(1)
    np.testing.assert_allclose(out.detach().cpu().numpy(), [1000 + np.log(2), -1000 + np.log1p(np.exp(-1))])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0.5, 0.5], [1 / (1 + np.exp(-1)), 1 - 1 / (1 + np.exp(-1))]])
    assert tge.tensor([-math.inf, -math.inf]).logsumexp(0).item() == -math.inf
    assert tge.tensor([math.inf, 1.0]).logsumexp(0).item() == math.inf


def test_logsumexp_promotes_integers_and_reduces_tuples():
    out = tge.tensor([[1, 2], [3, 4]]).logsumexp((0, 1))
    assert out.dtype == tge.float32
    np.testing.assert_allclose(out.item(), np.log(np.exp([1.0, 2, 3, 4]).sum()), rtol=1e-6)


# --------------------------------------------------------------------- norm
def test_norm_variants_and_zero_vector_gradient():
    a = np.array([[3.0, -4.0], [0.0, 1.0]])
    x = tge.tensor(a, requires_grad=True)
    assert x.norm().item() == pytest.approx(np.sqrt(26))
    assert x.norm(1).item() == pytest.approx(8)
    assert x.norm(math.inf).item() == 4 and x.norm(-math.inf).item() == 0
    assert x.norm(0).item() == 3
    np.testing.assert_allclose(x.norm("fro", (0, 1), keepdim=True).detach().cpu().numpy(), [[np.sqrt(26)]])
    z = tge.zeros(3, dtype=tge.float64, requires_grad=True)
    for p in (2, 1, 3, 0.5):
        z.grad = None
        z.norm(p).backward()
        np.testing.assert_array_equal(z.grad.cpu().numpy(), [0.0, 0.0, 0.0])
    x.norm(0).backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros((2, 2)))


def test_norm_rejects_unsupported_p():
    x = tge.ones(2, 2)
    with pytest.raises(NotImplementedError, match="'nuc'"):
        x.norm("nuc")
    with pytest.raises(RuntimeError, match="'fro' needs dim to be an int or a 2-tuple"):
        tge.ones(2, 2, 2).norm("fro", (0, 1, 2))


# --------------------------------------------------------------------- errors
def test_dim_errors_name_the_op_and_the_range():
    x = tge.ones(2, 3)
    with pytest.raises(IndexError, match=r"amax: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.amax(2)
    with pytest.raises(IndexError, match="max"):
        x.max(-3)
    with pytest.raises(RuntimeError, match="var: dim .* appears multiple times"):
        x.var((0, -2))


def test_empty_reductions():
    with pytest.raises(RuntimeError, match="max: expected reduction dim to be specified for input.numel"):
        tge.zeros(0).max()
    with pytest.raises(IndexError, match=r"amax: expected reduction dim 1 to have non-zero size.*\(3, 0\)"):
        tge.zeros(3, 0).amax(1)
    with pytest.raises(IndexError, match="max"):
        tge.zeros(3, 0).max(1)
    with pytest.raises(RuntimeError, match="argmax"):
        tge.zeros(0).argmax()
    assert tge.zeros(3, 0).amax(0).shape == (0,)  # reducing a non-empty dim of an empty tensor is fine
    assert tge.zeros(0, 2).logsumexp(0).cpu().numpy().tolist() == [-math.inf, -math.inf]


def test_max_keepdim_without_dim_is_an_error():
    with pytest.raises(TypeError, match="keepdim=True needs a dim"):
        tge.ones(2).max(keepdim=True)


def test_reductions_keep_float32():
    x = tge.randn(3, 4)
    for out in (x.var(1), x.std(), x.amax(0), x.logsumexp(1), x.norm(), x.max(1).values, x.norm(3)):
        assert out.dtype == tge.float32


def test_no_warnings_in_ordinary_use():
    x = tge.randn(3, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x.var(1).sum() + x.std() + x.logsumexp(0).sum() + x.norm() + x.amax()).backward()
