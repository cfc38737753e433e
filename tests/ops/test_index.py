"""``x[key]`` (ops/index.py): slices, ints, None, Ellipsis, negative indices, integer
arrays with repeats (gradients accumulate), boolean masks and their combinations,
against NumPy, with gradcheck; out-of-range errors; then PyTorch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.testing import strategies as S


def _upstream(shape, seed=0):
    return tge.tensor(np.random.default_rng(seed).standard_normal(shape))


def check(a, key, tge_key=None, contiguous=True):
    """x[key] equals NumPy's a[key], and gradcheck passes with a random upstream gradient."""
    tge_key = key if tge_key is None else tge_key
    a = a if contiguous else S.noncontiguous(a)
    x = S.leaf(a)
    out = x[tge_key]
    expected = a[key]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.detach().cpu().numpy(), expected)
    w = _upstream(out.shape)
    assert gradcheck(lambda t: t[tge_key] * w, (x,))


@st.composite
def basic_keys(draw, shape):
    """A key of ints (maybe negative), slices (any bounds, positive steps), None and at
    most one Ellipsis, covering some or all dims."""
    k = draw(st.integers(0, len(shape)))
    ellipsis = draw(st.sampled_from(["none", "front", "back"]))
    covered = shape[len(shape) - k:] if ellipsis == "front" else shape[:k]  # "...[-k:]" indexes the last k dims
    entries = []
    for n in covered:
        kind = draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            entries.append(slice(draw(bound), draw(bound), draw(st.one_of(st.none(), st.integers(1, 3)))))
        else:
            entries.append(slice(None))
    if ellipsis != "none":
        entries.insert(0 if ellipsis == "front" else len(entries), Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return tuple(entries)


@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_basic_indexing_forward_and_gradcheck(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    check(a, data.draw(basic_keys(shape)), contiguous=contiguous)


@given(shape=S.nonscalar_shapes, data=st.data(), contiguous=st.booleans())
def test_integer_array_indexing_with_repeats(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    dim = data.draw(st.integers(0, len(shape) - 1))
    n = shape[dim]
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))  # repeats likely
    key = (slice(None),) * dim + (idx,)
    check(a, key, contiguous=contiguous)
    check(a, key, (slice(None),) * dim + (tge.tensor(idx),), contiguous=contiguous)  # an int64 tensor index


@given(shape=S.nonscalar_shapes, data=st.data(), contiguous=st.booleans())
def test_boolean_mask_indexing(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    k = data.draw(st.integers(1, len(shape)))
    mask = data.draw(S.arrays(shape[:k])) > 0
    check(a, mask, tge.tensor(mask), contiguous=contiguous)
    if len(shape) > k:  # a mask after a slice: x[:, mask]
        inner = data.draw(S.arrays(shape[1:k + 1])) > 0
        check(a, (slice(None), inner), (slice(None), tge.tensor(inner)), contiguous=contiguous)


A = np.random.default_rng(5).standard_normal((3, 4, 5))
MASK = A > 0


@pytest.mark.parametrize(
    "key",
    [
        (slice(None), [0, 2]),  # x[:, [0, 2]]
        (Ellipsis, None, 1),  # x[..., None, 1]
        (None, -1, Ellipsis, slice(None, None, 2)),
        ([0, 0, 2], slice(1, 3), [4, -1, 4]),  # advanced indices around a slice: new dims go first
        (1, [3, 3], [0, 0]),  # int and arrays next to each other
        ([[0, 1], [2, 2]],),  # a 2-d integer index
        (Ellipsis, [-1, -1, -5]),
        (slice(None), MASK[0]),  # x[:, mask]
        (MASK[:, :, 0],),
        ([2, 0], MASK[0, :, 0]),  # an int array broadcast with a mask
        (slice(2, 100), slice(-100, -1)),  # slice bounds clip, as in PyTorch
        (),
    ],
    ids=lambda k: repr(k)[:40],
)
def test_combinations(key):
    check(A, key)


def test_repeated_integer_indices_accumulate_the_gradient():
    x = tge.tensor([10.0, 20.0, 30.0], requires_grad=True)
    (x[[0, 0, 2, 0, -1]] * tge.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [1 + 2 + 4, 0, 3 + 5])
    y = tge.tensor(np.ones((2, 3)), requires_grad=True)
    y[:, [1, 1]].sum().backward()
    np.testing.assert_array_equal(y.grad.cpu().numpy(), [[0, 2, 0], [0, 2, 0]])


def test_mask_selecting_nothing_and_empty_index_list():
    x = tge.tensor(np.ones((2, 3)), requires_grad=True)
    empty = x[tge.zeros(2, 3, dtype=tge.bool)]
    assert empty.shape == (0,)
    x[[]].sum().backward()  # [] is an empty integer index, as in PyTorch
    assert x[[]].shape == (0, 3)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros((2, 3)))


def test_python_bool_index_adds_a_dim():
    x = tge.ones(2, 3)
    assert x[True].shape == (1, 2, 3) and x[False].shape == (0, 2, 3) and x[:, True].shape == (2, 1, 3)


def test_zero_dim_tensor_as_index_and_indexing_a_zero_dim_tensor():
    x = S.leaf(np.arange(6.0).reshape(2, 3))
    assert x[tge.tensor(1)].shape == (3,)
    s = S.leaf(2.0)
    assert s[()].item() == 2.0 and s[None].shape == (1,) and s[...].shape == ()
    assert gradcheck(lambda t: t[None, ..., None] * 3.0, (s,))


@pytest.mark.parametrize(
    "key, error, message",
    [
        (3, IndexError, "index: index 3 is out of bounds for dimension 0 with size 3"),
        (-4, IndexError, "index: index -4 is out of bounds for dimension 0 with size 3"),
        ((slice(None), 4), IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
        ([0, 3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
        ((Ellipsis, [-6]), IndexError, "index -6 is out of bounds for dimension 2 with size 5"),
        ((0, 0, 0, 0), IndexError, r"too many indices for a tensor of dimension 3 \(shape \(3, 4, 5\)\): 4 given"),
        (MASK[0], IndexError, r"the shape of the mask \(4, 5\) does not match the shape \(3, 4\)"),
        (1.0, IndexError, "only integers, slices, None, ..., and integer or boolean tensors are valid indices"),
        (slice(None, None, -1), ValueError, "slice step must be positive"),
        (slice(None, None, 0), ValueError, "slice step must be positive"),
    ],
    ids=lambda v: repr(v)[:30] if not isinstance(v, type) else v.__name__,
)
def test_index_errors(key, error, message):
    with pytest.raises(error, match=message):
        tge.tensor(A)[key]


def test_float_tensor_index_is_an_error():
    with pytest.raises(IndexError, match="tensors used as indices must be long, int or bool tensors, got float32"):
        tge.tensor(A)[tge.tensor([0.0, 1.0])]


# ---------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize(
    "key",
    [
        (slice(None), [0, 2]),
        (Ellipsis, None, 1),
        ([0, 0, 2], slice(1, 3), [4, -1, 4]),
        (1, [3, 3], [0, 0]),
        ([2, 2, 0],),
        ("mask",),
        (slice(None), "mask0"),
        (-1, slice(None, None, 2), None),
        (True,),
    ],
    ids=lambda k: repr(k)[:40],
)
def test_matches_torch(key):
    torch = pytest.importorskip("torch")
    masks = {"mask": MASK, "mask0": MASK[0]}
    ours_key = tuple(tge.tensor(masks[k]) if isinstance(k, str) else k for k in key)
    theirs_key = tuple(torch.tensor(masks[k]) if isinstance(k, str) else (torch.tensor(k) if isinstance(k, list) else k) for k in key)
    x = tge.tensor(A, requires_grad=True)
    t = torch.tensor(A, requires_grad=True)
    ours, theirs = x[ours_key], t[theirs_key]
    np.testing.assert_array_equal(ours.detach().cpu().numpy(), theirs.detach().cpu().numpy())
    g = np.random.default_rng(1).standard_normal(ours.shape)
    ours.backward(tge.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12)
