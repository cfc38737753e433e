"""Views (x[0], x.T, x.reshape, split, expand) share memory, and so the version counter,
with their base; in-place ops on a view are recorded in the base's history; views whose
base changed in place get a fresh grad_fn; PyTorch's refusals."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.testing import strategies as S


def _arange(*shape):
    return tge.arange(float(np.prod(shape))).reshape(*shape).requires_grad_()


# ------------------------------------------------------------------ what is a view
@pytest.mark.parametrize(
    "make",
    [
        lambda x: x[0],
        lambda x: x[:, 1:],
        lambda x: x[0, 1],  # a 0-d view, not a copied NumPy scalar
        lambda x: x.reshape(6),
        lambda x: x.T,
        lambda x: x.unsqueeze(0),
        lambda x: x.split(1)[1],
        lambda x: x[None].expand(2, 2, 3),
        lambda x: x.reshape(3, 2).T[1],  # a view of a view: its base is x
    ],
    ids=["row", "slice", "element", "reshape", "transpose", "unsqueeze", "split", "expand", "chain"],
)
def test_views_share_memory_version_counter_and_base(make):
    x = tge.zeros(2, 3)
    v = make(x)
    assert v._base is x and v._version is x._version
    with tge.no_grad():
        x.add_(1)  # visible through the view, and bumps the shared counter
    assert v._version.value == 1 and np.all(v.cpu().numpy() == 1)


def test_copies_are_not_views():
    x = tge.zeros(2, 3)
    for c in (x[[0, 1]], x[x > 0], x.T.reshape(6), x.clone(), x + 0):
        assert c._base is None and c._version is not x._version


def test_writing_into_an_element_view_writes_into_the_base():
    x = tge.tensor([1.0, 2.0, 3.0])
    x[0].add_(10)  # x[0] is a 0-d view (NumPy alone would give a copy)
    np.testing.assert_array_equal(x.cpu().numpy(), [11.0, 2.0, 3.0])


# ----------------------------------------------------- in-place on a view: gradients
def test_inplace_on_a_row_view_reaches_the_base_gradient():
    w = tge.ones(2, 3, requires_grad=True)
    x = w * 1
    x[0].mul_(2)
    assert x.grad_fn.name() == "CopySlicesBackward"
    x.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [[2, 2, 2], [1, 1, 1]])  # PyTorch's values


def test_inplace_through_a_chain_of_views():
    w = _arange(2, 3)
    x = w * 1
    v = x.reshape(3, 2).T  # v[1] is x's elements 1, 3, 5
    v[1].mul_(w[0])
    (x * tge.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [[1, 9, 27], [3, 4, 10]])  # PyTorch's values


def test_setitem_into_a_view_is_recorded_in_the_base():
    w = tge.tensor([1.0, 2.0], requires_grad=True)
    x = tge.zeros(2, 3)
    row = x[1]
    row[1:] = w * 3
    assert x.requires_grad
    (x * tge.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [12.0, 15.0])
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [[0, 0, 0], [0, 3, 6]])


def test_inplace_on_a_view_of_a_buffer_makes_the_buffer_require_grad():
    buf = tge.zeros(2, 3)
    w = tge.ones(3, requires_grad=True)
    buf[0].add_(w)
    assert buf.requires_grad and buf.grad_fn is not None
    (buf * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [2.0, 2.0, 2.0])


def test_a_view_made_before_its_base_changed_in_place_follows_the_base():
    w = _arange(2, 3)
    x = w * 1
    a = x[1]
    x.mul_(2)  # a's values doubled: so must its gradient
    a.sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [[0, 0, 0], [2, 2, 2]])


def test_a_sibling_view_sees_an_inplace_op_on_another_view():
    w = _arange(2, 3)
    x = w * 1
    a, b = x[0:1], x[:, 1:]  # overlapping at x[0, 1:]
    a.mul_(3)
    (b * b).sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [[0, 18, 36], [0, 8, 10]])  # PyTorch's values


VIEWS = {
    "row": lambda x: x[0],
    "column_step": lambda x: x[:, ::2],
    "transpose": lambda x: x.T,
    "flat_tail": lambda x: x.reshape(-1)[1:],
    "row_of_transpose": lambda x: x.T[-1],
}


@pytest.mark.parametrize("view", sorted(VIEWS))
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), data=st.data())
def test_gradcheck_of_inplace_ops_on_views(view, rows, cols, data):
    make = VIEWS[view]
    a = data.draw(S.arrays((rows, cols)))
    shape = make(tge.zeros(rows, cols)).shape
    b = data.draw(S.arrays(shape, 0.5, 2.0))
    weights = tge.tensor(np.random.default_rng(3).standard_normal((rows, cols)))

    def fn(w, v):
        x = w * 1
        make(x).mul_(v)  # recorded in x's history through the view
        make(x).add_(x.sum())  # a second view, made after the first write
        return x * weights

    assert gradcheck(fn, (S.leaf(a), S.leaf(b)))


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for lib in (tge, torch):
        w = lib.tensor(a, requires_grad=True)
        x = w * 1
        v = x.T[1:]  # (3, 3) view of columns 1..3
        v.mul_(w[:, :3].T)
        x[0].add_(x[1] * 2)
        y = x.reshape(12)[::5]
        (y * y).sum().backward()
        results.append((x.detach().cpu().numpy(), w.grad.cpu().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_a_sequence_of_inplace_ops_on_views_against_pytorch():
    torch = pytest.importorskip("torch")
    a = np.arange(12.0).reshape(3, 4) / 7

    def run(lib):
        w = lib.tensor(a, requires_grad=True)
        v = lib.tensor(np.full(4, 0.5), requires_grad=True)
        x = w * 1
        x[0] += 1  # Python: row = x[0]; row += 1 (in place on the view); x[0] = row
        x[1] *= v
        for i in range(3):
            x[i].mul_(2)
        x.T[0].clamp_(0.2, 0.5)
        x[2, 1:3] = v[:2] * 3
        x.reshape(12)[::3].div_(v + 1)
        (x * x).sum().backward()
        return x.detach().cpu().numpy(), w.grad.cpu().numpy(), v.grad.cpu().numpy()

    for ours, theirs in zip(run(tge), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ------------------------------------------------------- what is caught or refused
def test_inplace_on_a_view_of_a_saved_output_is_caught():
    w = tge.ones(3, requires_grad=True)
    y = w.exp()  # ExpBackward saves y
    y[0:2].mul_(0)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward.*is at version 1; expected version 0"):
        y.sum().backward()


def test_an_unrecorded_write_through_a_view_is_caught():
    w = tge.ones(2, 3, requires_grad=True)
    y = w.exp()
    r = y.reshape(6)
    with tge.no_grad():
        r.mul_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("op", ["norm", "std"])
def test_modifying_a_reduced_output_in_place_is_caught(op):
    x = tge.randn(3, 4, requires_grad=True)
    out = getattr(x, op)(dim=1)  # saves its own output (the array it returns)
    out.add_(1)
    with pytest.raises(RuntimeError, match=f"output 0 of {op.capitalize()}Backward"):
        out.sum().backward()


def test_inplace_on_a_view_of_a_leaf_requiring_grad_is_refused():
    w = tge.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0:1].add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w.reshape(3)[0] = 5.0
    with tge.no_grad():  # as optimizers do
        w[0:1].add_(1)
    np.testing.assert_array_equal(w.detach().cpu().numpy(), [2.0, 1.0, 1.0])


def test_a_view_made_under_no_grad_cannot_be_modified_with_grad_mode():
    x = tge.ones(2, 3, requires_grad=True) * 1
    with tge.no_grad():
        v = x[0]
    with pytest.raises(RuntimeError, match="view was created in no_grad mode"):
        v.mul_(2)


def test_split_views_refuse_recorded_inplace_ops_but_not_unrecorded_ones():
    x = _arange(2, 3) * 1
    a, b = x.split(1)
    with pytest.raises(RuntimeError, match="several views"):
        b.add_(1)
    with tge.no_grad():
        b.add_(1)
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [[0, 1, 2], [4, 5, 6]])
    p, q = tge.zeros(2, 3).split(1)  # nothing requires grad: an ordinary write
    q.add_(1)
    x = _arange(2, 3) * 1
    a, b = x.split(1)
    x.mul_(2)
    with pytest.raises(RuntimeError, match="several views"):
        b.sum()


def test_writing_into_an_expanded_view_is_refused():
    x = tge.zeros(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory location"):
        x.expand(2, 3).add_(1)
    with pytest.raises(RuntimeError, match="single memory location"):
        x.expand(2, 3)[0, 0] = 1.0
    ro = tge.Tensor(np.broadcast_to(np.zeros(3), (3,)))  # a read-only array, no overlap
    with pytest.raises(RuntimeError, match="read-only"):
        ro.fill_(1.0)


def test_mark_modified_is_seen_by_every_view_of_the_memory():
    from tinygrad_edu.autograd.views import mark_modified

    base = tge.tensor(np.arange(6.0).reshape(2, 3))
    view, detached = base[0], base.detach()
    mark_modified(view)
    assert base._version.value == view._version.value == detached._version.value == 1
    assert base.data._version.value == 0  # .data has its own counter, as in PyTorch
