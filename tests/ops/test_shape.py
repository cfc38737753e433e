"""Shape ops: forward against NumPy and gradcheck on hypothesis-drawn shapes and
arguments (negative dims, size-1 dims, non-contiguous inputs, random upstream
gradients); then PyTorch's special rules and the error messages."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops import shape as shape_ops
from tinygrad_edu.testing import strategies as S


def _upstream(shape, seed=0):
    return tge.tensor(np.random.default_rng(seed).standard_normal(shape))


def check(fn, ref, a, contiguous=True):
    """fn(x) equals ref(a), and gradcheck passes with a random upstream gradient on
    every output (fn may return a tuple of tensors)."""
    a = a if contiguous else S.noncontiguous(a)
    x = S.leaf(a)
    out = fn(x)
    outs = out if isinstance(out, tuple) else (out,)
    refs = ref(a)
    refs = refs if isinstance(out, tuple) else (refs,)
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        assert o.shape == np.shape(r)
        np.testing.assert_array_equal(o.detach().cpu().numpy(), r)
    ws = [_upstream(o.shape, k) for k, o in enumerate(outs)]

    def weighted(t):
        res = fn(t)
        res = res if isinstance(res, tuple) else (res,)
        return tuple(r * w for r, w in zip(res, ws))

    assert gradcheck(weighted, (x,))


@st.composite
def shape_and_dim(draw, shapes=S.nonscalar_shapes, extra=0):
    """A shape and a dim in its range (or in the range of a tensor with ``extra`` more dims)."""
    shape = draw(shapes)
    n = len(shape) + extra
    return shape, draw(st.integers(-n, n - 1))


# ------------------------------------------------------------- reshape family
@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_reshape_view_flatten_forward_and_gradcheck(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    n = a.size
    target = data.draw(st.sampled_from([(n,), (1, n), (n, 1, 1), (-1,), (1, -1), ()] if n == 1 else [(n,), (1, n), (-1,), (n, -1), (-1, 1)]))
    expected = a.reshape(target)
    check(lambda t: t.reshape(target), lambda v: v.reshape(target), a, contiguous)
    check(lambda t: t.view(*target), lambda v: v.reshape(target), a, contiguous)
    check(lambda t: tge.reshape(t, target), lambda v: expected, a, contiguous)
    check(lambda t: t.flatten(), lambda v: v.reshape(-1), a, contiguous)


@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=4).map(tuple), data=st.data())
def test_flatten_ranges_and_unflatten(shape, data):
    a = data.draw(S.arrays(shape))
    nd = len(shape)
    start = data.draw(st.integers(-nd, nd - 1))
    end = data.draw(st.integers(start % nd, nd - 1))
    s, e = start % nd, end
    flat_shape = shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:]
    check(lambda t: t.flatten(start, end), lambda v: v.reshape(flat_shape), a)
    # unflatten the merged dim back, once with -1
    sizes = shape[s:e + 1]
    check(lambda t: t.flatten(start, end).unflatten(s, sizes), lambda v: v, a)
    sizes_inferred = (-1,) + sizes[1:]
    check(lambda t: t.flatten(start, end).unflatten(s - len(flat_shape), sizes_inferred), lambda v: v, a)


@given(shape=st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=4).map(tuple), data=st.data(), contiguous=st.booleans())
def test_squeeze_and_unsqueeze(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    nd = len(shape)
    check(lambda t: t.squeeze(), np.squeeze, a, contiguous)
    if nd:
        d = data.draw(st.integers(-nd, nd - 1))
        expected = lambda v: np.squeeze(v, d) if shape[d] == 1 else v  # a non-1 dim is left alone
        check(lambda t: t.squeeze(d), expected, a, contiguous)
        dims = tuple(data.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))
        ones = tuple(i for i in dims if shape[i] == 1)
        check(lambda t: tge.squeeze(t, dims), lambda v: np.squeeze(v, ones), a, contiguous)
    u = data.draw(st.integers(-nd - 1, nd))
    check(lambda t: t.unsqueeze(u), lambda v: np.expand_dims(v, u), a, contiguous)


# ------------------------------------------------------------ permute family
@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_permute_and_transpose(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    nd = len(shape)
    perm = tuple(data.draw(st.permutations(range(nd))))
    perm_neg = tuple(p - nd if i % 2 else p for i, p in enumerate(perm))  # mix in negative dims
    check(lambda t: t.permute(*perm_neg), lambda v: np.transpose(v, perm), a, contiguous)
    check(lambda t: tge.permute(t, perm), lambda v: np.transpose(v, perm), a, contiguous)
    if nd:
        d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
        check(lambda t: t.transpose(d0, d1), lambda v: np.swapaxes(v, d0, d1), a, contiguous)


# ------------------------------------------------------------- expand, repeat
@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_expand_and_broadcast_to(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    grown = tuple(data.draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    target = lead + grown
    check(lambda t: t.expand(*target), lambda v: np.broadcast_to(v, target), a, contiguous)
    keep = lead + tuple(-1 if data.draw(st.booleans()) and n == g else g for n, g in zip(shape, grown))
    check(lambda t: t.expand(keep), lambda v: np.broadcast_to(v, target), a, contiguous)
    check(lambda t: tge.broadcast_to(t, target), lambda v: np.broadcast_to(v, target), a, contiguous)


@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_repeat(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    sizes = tuple(data.draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 2)))
    check(lambda t: t.repeat(*sizes), lambda v: np.tile(v, sizes), a, contiguous)


# ------------------------------------------------------------------ cat, stack
@given(shape_dim=shape_and_dim(), data=st.data(), contiguous=st.booleans())
def test_cat_forward_and_gradcheck_for_every_input(shape_dim, data, contiguous):
    shape, dim = shape_dim
    k = data.draw(st.integers(1, 3))
    arrays = []
    for _ in range(k):
        s = list(shape)
        s[dim] = data.draw(st.integers(0, 3))
        a = data.draw(S.arrays(tuple(s)))
        arrays.append(a if contiguous else S.noncontiguous(a))
    xs = [S.leaf(a) for a in arrays]
    out = tge.cat(xs, dim)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), np.concatenate(arrays, dim))
    w = _upstream(out.shape)
    assert gradcheck(lambda *ts: tge.cat(ts, dim) * w, xs)


@given(shape_dim=shape_and_dim(shapes=S.shapes, extra=1), data=st.data())
def test_stack_forward_and_gradcheck_for_every_input(shape_dim, data):
    shape, dim = shape_dim
    arrays = [data.draw(S.arrays(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    xs = [S.leaf(a) for a in arrays]
    out = tge.stack(xs, dim)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), np.stack(arrays, dim))
    w = _upstream(out.shape)
    assert gradcheck(lambda *ts: tge.stack(ts, dim) * w, xs)


# ----------------------------------------------------------------- split, chunk
def _torch_chunk_sizes(n, chunks):
    """PyTorch's chunk rule: pieces of ceil(n / chunks); an empty dim gives `chunks` empties."""
    if n == 0:
        return [0] * chunks
    size = -(-n // chunks)
    return [min(size, n - start) for start in range(0, n, size)]


@given(shape_dim=shape_and_dim(), data=st.data(), contiguous=st.booleans())
def test_split_and_chunk(shape_dim, data, contiguous):
    shape, dim = shape_dim
    a = data.draw(S.arrays(shape))
    n = shape[dim]
    size = data.draw(st.integers(1, 5))
    bounds = list(range(size, n, size))
    check(lambda t: t.split(size, dim), lambda v: tuple(np.split(v, bounds, axis=dim)), a, contiguous)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))  # empty pieces allowed
    sections = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    check(lambda t: tge.split(t, sections, dim), lambda v: tuple(np.split(v, cuts, axis=dim)), a, contiguous)
    chunks = data.draw(st.integers(1, 5))
    sizes = _torch_chunk_sizes(n, chunks)
    cuts = list(np.cumsum(sizes)[:-1])
    check(lambda t: tge.chunk(t, chunks, dim), lambda v: tuple(np.split(v, cuts, axis=dim)), a, contiguous)


def test_split_returns_a_tuple_and_unused_pieces_get_zero_gradient():
    x = tge.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    pieces = x.split(2)
    assert isinstance(pieces, tuple) and [p.shape for p in pieces] == [(2, 2), (2, 2), (1, 2)]
    (pieces[1] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[0, 0], [0, 0], [3, 3], [3, 3], [0, 0]])
    assert pieces[0].grad_fn is pieces[2].grad_fn  # one multi-output node


def test_chunk_sizes_follow_pytorch():
    for n, chunks, expected in [(6, 4, [2, 2, 2]), (5, 4, [2, 2, 1]), (10, 3, [4, 4, 2]), (0, 3, [0, 0, 0]), (2, 5, [1, 1])]:
        assert [p.shape[0] for p in tge.zeros(n).chunk(chunks)] == expected
    assert [p.shape[0] for p in tge.zeros(0).split(3)] == [0]
    assert [p.shape[0] for p in tge.zeros(4).split(9)] == [4]


# ------------------------------------------------------- PyTorch's special rules
def test_zero_dim_tensors():
    x = tge.tensor(2.0, dtype=tge.float64, requires_grad=True)
    assert x.reshape(1, 1).shape == (1, 1) and x.reshape(-1).shape == (1,) and x.view(()).shape == ()
    assert x.flatten().shape == (1,) and x.flatten(0, -1).shape == (1,)
    assert x.squeeze().shape == () and x.squeeze(0).shape == () and x.unsqueeze(-1).shape == (1,)
    assert x.transpose(0, -1).shape == () and x.permute().shape == () and x.expand(2, 3).shape == (2, 3)
    assert x.repeat(3).shape == (3,) and x.repeat().shape == ()
    assert tge.stack([x, x]).shape == (2,)
    assert gradcheck(lambda t: (t.expand(2, 3) * _upstream((2, 3)), t.unsqueeze(0).repeat(2) * _upstream(2)), (x,))


def test_view_shares_memory_and_refuses_where_pytorch_does():
    x = tge.tensor(np.arange(6.0))
    v = x.view(2, 3)
    v.array[0, 0] = 100.0  # a view, as in PyTorch
    assert x.array[0] == 100.0
    assert x.view(3, 2).view_as(x).shape == (6,)
    t = tge.tensor(np.arange(6.0).reshape(2, 3)).transpose(0, 1)
    with pytest.raises(RuntimeError, match=r"Use \.reshape\(\.\.\.\) instead"):  # as PyTorch's view
        t.view(-1)
    assert t.reshape(-1).cpu().numpy().tolist() == [0, 3, 1, 4, 2, 5]


def test_cat_promotes_dtypes_like_pytorch_and_skips_empty_1d_tensors():
    a, b = tge.ones(2, 2), tge.tensor([[1, 2]])
    assert tge.cat([a, b]).dtype == tge.float32  # int64 + float32 -> float32 (NumPy would say float64)
    assert tge.cat([a, tge.ones(1, 2, dtype=tge.float64)]).dtype == tge.float64
    x = tge.tensor(np.ones((2, 3)), requires_grad=True)
    out = tge.cat([tge.zeros(0, dtype=tge.float64), x, tge.zeros(0)], 1)  # (0,) tensors are skipped
    assert out.shape == (2, 3)
    (out * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), 2 * np.ones((2, 3)))
    assert tge.cat([tge.zeros(0), tge.zeros(0)]).shape == (0,)


def test_cat_gradient_reaches_float32_and_float64_inputs_in_their_dtypes():
    a = tge.ones(2, requires_grad=True)
    b = tge.tensor(np.ones(3), requires_grad=True)
    (tge.cat([a, b]) * tge.tensor(np.arange(5.0))).sum().backward()
    assert a.grad.dtype == tge.float32 and b.grad.dtype == tge.float64
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [0, 1])
    np.testing.assert_array_equal(b.grad.cpu().numpy(), [2, 3, 4])


def test_inputs_that_do_not_need_grad_get_none():
    a = tge.ones(2, requires_grad=True)
    b = tge.ones(2)
    tge.stack([a, b]).sum().backward()
    assert b.grad is None and a.grad.cpu().numpy().tolist() == [1, 1]


def test_expand_backward_sums_over_the_copies():
    x = tge.tensor([[1.0], [2.0]], requires_grad=True)
    (x.expand(3, 2, 4) * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[12.0], [12.0]])


def test_repeat_backward_sums_over_the_tiles():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    out = x.repeat(2, 3)
    assert out.shape == (2, 6)
    (out * tge.tensor(np.arange(12.0).reshape(2, 6))).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11])
    assert tge.ones(2, 3).repeat(0, 1).shape == (0, 3)


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.reshape(5), RuntimeError, r"reshape: shape \(5,\) is invalid for input of size 6"),
        (lambda x: x.view(-1, 4), RuntimeError, r"view: shape \(-1, 4\) is invalid for input of size 6"),
        (lambda x: x.reshape(-1, -1), RuntimeError, "reshape: only one dimension can be inferred"),
        (lambda x: x.reshape(-2, 3), RuntimeError, "reshape: invalid shape dimension -2 at index 0"),
        (lambda x: x.reshape(2.0, 3), TypeError, "reshape: shape must be a tuple of ints"),
        (lambda x: x.flatten(1, 0), RuntimeError, "flatten: start_dim cannot come after end_dim"),
        (lambda x: x.unflatten(1, (2, 2)), RuntimeError, r"unflatten: provided sizes \(2, 2\) don't multiply up to the size of dim 1 \(3\)"),
        (lambda x: x.unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
        (lambda x: x.squeeze(2), IndexError, r"squeeze: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
        (lambda x: x.unsqueeze(3), IndexError, r"unsqueeze: dimension out of range \(expected to be in range of \[-3, 2\]"),
        (lambda x: x.transpose(0, 2), IndexError, "transpose: dimension out of range"),
        (lambda x: x.permute(0, 0), RuntimeError, r"permute: duplicate dims are not allowed, got \(0, 0\) for shape \(2, 3\)"),
        (lambda x: x.permute(0), RuntimeError, r"permute: the number of dims \(1, \(0,\)\) does not match"),
        (lambda x: x.permute(0, 2), IndexError, "permute: dimension out of range"),
        (lambda x: x.expand(3, 3), RuntimeError,
         r"expand: the expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 0. "
         r"Target sizes: \(3, 3\). Tensor sizes: \(2, 3\)"),
        (lambda x: x.expand(3), RuntimeError, r"expand: the number of sizes provided \(1, \(3,\)\) must be greater or equal"),
        (lambda x: x.expand(-1, 2, 3), RuntimeError, "expand: the expanded size of the tensor .-1. isn't allowed in a leading"),
        (lambda x: x.broadcast_to((4, 3, 1)), RuntimeError, r"broadcast_to: the expanded size of the tensor \(1\) must match"),
        (lambda x: x.repeat(2), RuntimeError, r"repeat: the number of repeat dims \(1, \(2,\)\) can not be smaller"),
        (lambda x: x.repeat(-1, 1), RuntimeError, "repeat: repeats must be non-negative"),
        (lambda x: x.split(0), RuntimeError, "split: split_size must be positive"),
        (lambda x: x.split([1, 2]), RuntimeError, r"split: split_sizes must be non-negative and sum exactly to 2 .* split_sizes=\[1, 2\]"),
        (lambda x: x.chunk(0), RuntimeError, "chunk: expects `chunks` to be greater than 0, got: 0"),
        (lambda x: tge.cat([x, tge.ones(2, 4)]), RuntimeError,
         r"cat: sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list \(shapes \(2, 3\), \(2, 4\)\)"),
        (lambda x: tge.cat([x, tge.ones(2, 3, 1)]), RuntimeError,
         r"cat: tensors must have the same number of dimensions: got 2 and 3 \(shapes \(2, 3\), \(2, 3, 1\)\)"),
        (lambda x: tge.cat([x, x], 2), IndexError, "cat: dimension out of range"),
        (lambda x: tge.cat([]), ValueError, "cat: expected a non-empty list of Tensors"),
        (lambda x: tge.cat(x), TypeError, "cat: expected a sequence of Tensors, got a single Tensor"),
        (lambda x: tge.cat([x, 1.0]), TypeError, "cat: expected a sequence of Tensors, but element 1 is a float"),
        (lambda x: tge.cat([tge.tensor(1.0)]), RuntimeError, r"cat: zero-dimensional tensor \(at position 0\) cannot be concatenated"),
        (lambda x: tge.stack([x, tge.ones(3, 2)]), RuntimeError,
         r"stack: expects each tensor to be equal size, but got \(2, 3\) at entry 0 and \(3, 2\) at entry 1"),
        (lambda x: tge.stack([x], 3), IndexError, "stack: dimension out of range"),
        (lambda x: tge.tensor(1.0).split(1), RuntimeError, "split: expects at least a 1-dimensional tensor"),
    ],
)
def test_errors_name_the_op_and_the_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call(tge.ones(2, 3))


def test_reshape_of_empty_tensors():
    x = tge.zeros(0, 3)
    assert x.reshape(3, 0).shape == (3, 0) and x.reshape(-1).shape == (0,) and x.reshape(-1, 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="-1 can be any value and is ambiguous"):
        x.reshape(-1, 0)


def test_functional_names_match_torch():
    assert shape_ops.unflatten(tge.ones(6), 0, (2, 3)).shape == (2, 3)
    assert shape_ops.view(tge.ones(6), (3, 2)).shape == (3, 2)
    assert tge.transpose(tge.ones(2, 3), 0, 1).shape == (3, 2)
    assert tge.flatten(tge.ones(2, 3, 4), 1).shape == (2, 12)
    assert tge.unsqueeze(tge.ones(2), 0).shape == (1, 2)
    assert tge.concat is tge.cat
