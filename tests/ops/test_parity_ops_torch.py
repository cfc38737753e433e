"""The parity ops of issue 12 against PyTorch (float64): values and gradients on
hypothesis-drawn shapes (size-1 dims included), and the Tensor API around them.
Their gradchecks are in the op table (tests/test_op_table.py)."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu import backend

torch = pytest.importorskip("torch")

sizes = st.integers(1, 4)


def pair(x):
    """The same float64 data as a tge leaf and a torch leaf, both requiring grad."""
    return tge.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def assert_same(a, b, what=""):
    expected = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == tuple(expected.shape), f"{what}: shape {a.shape} vs torch {tuple(expected.shape)}"
    np.testing.assert_allclose(a.cpu().array, expected, rtol=1e-10, atol=1e-12, err_msg=what)


def backward_both(out_t, out_p, seed=0):
    w = np.random.default_rng(seed).standard_normal(out_t.shape)
    (out_t * tge.tensor(w)).sum().backward()
    (out_p * torch.tensor(w)).sum().backward()


def check_grads(pairs, what):
    for k, (a, b) in enumerate(pairs):
        assert_same(a.grad, b.grad, f"{what}: gradient of input {k}")


@st.composite
def arrays(draw, min_dims=1, max_dims=3):
    shape = tuple(draw(st.lists(sizes, min_size=min_dims, max_size=max_dims)))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).permutation(math.prod(shape)).reshape(shape) / 3.0 - 1.0  # distinct values


EINSUMS = [
    ("ij,jk->ik", ["ij", "jk"]), ("bij,bjk->bik", ["bij", "bjk"]), ("ii->i", ["ii"]), ("ii", ["ii"]),
    ("ij->", ["ij"]), ("i,j->ij", ["i", "j"]), ("ij,ij->i", ["ij", "ij"]), ("ijk->kji", ["ijk"]),
    ("iij,k->jk", ["iij", "k"]), ("ij", ["ij"]), ("ij,jk", ["ij", "jk"]),
]


@pytest.mark.parametrize("equation, terms", EINSUMS, ids=[e for e, _ in EINSUMS])
@given(data=st.data())
def test_einsum(equation, terms, data):
    letters = {c: data.draw(sizes, label=c) for c in sorted(set("".join(terms)))}
    rng = np.random.default_rng(0)
    pairs = [pair(rng.standard_normal([letters[c] for c in t])) for t in terms]
    out_t, out_p = tge.einsum(equation, *[a for a, _ in pairs]), torch.einsum(equation, *[b for _, b in pairs])
    assert_same(out_t, out_p, equation)
    backward_both(out_t, out_p)
    check_grads(pairs, equation)


def test_einsum_ellipsis_and_list_form():
    rng = np.random.default_rng(1)
    pairs = [pair(rng.standard_normal((2, 1, 3, 4))), pair(rng.standard_normal((5, 4, 2)))]
    out_t = tge.einsum("...ij,...jk->...ik", [a for a, _ in pairs])
    out_p = torch.einsum("...ij,...jk->...ik", [b for _, b in pairs])
    assert_same(out_t, out_p, "ellipsis")
    backward_both(out_t, out_p)
    check_grads(pairs, "ellipsis")
    with pytest.raises(RuntimeError, match="einsum"):
        tge.einsum("ij,jk->ik", tge.ones(2, 3))


@given(x=arrays(), descending=st.booleans(), data=st.data())
def test_sort_argsort_topk(x, descending, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    (a, b) = pair(x)
    values, indices = tge.sort(a, dim, descending)
    ref = torch.sort(b, dim, descending)
    assert_same(values, ref.values, "sort values")
    assert_same(indices, ref.indices, "sort indices")
    assert_same(a.argsort(dim, descending), torch.argsort(b, dim, descending), "argsort")
    backward_both(values, ref.values)
    check_grads([(a, b)], "sort")
    k = data.draw(st.integers(0, x.shape[dim]), label="k")
    largest = data.draw(st.booleans(), label="largest")
    a2, b2 = pair(x)
    top, top_ref = a2.topk(k, dim, largest), torch.topk(b2, k, dim, largest)
    assert_same(top.values, top_ref.values, "topk values")
    assert_same(top.indices, top_ref.indices, "topk indices")
    backward_both(top.values, top_ref.values)
    check_grads([(a2, b2)], "topk")


def test_sort_is_stable_and_puts_nan_last():
    x = [2.0, float("nan"), 1.0, 2.0, 1.0]
    for descending in (False, True):
        ours = tge.sort(tge.tensor(x, dtype=tge.float64), descending=descending, stable=True)
        ref = torch.sort(torch.tensor(x, dtype=torch.float64), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.indices.cpu().array, ref.indices.cpu().numpy())


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@given(x=arrays(), data=st.data(), zeros=st.integers(0, 2))
def test_scans(op, x, data, zeros):
    x = x.copy()
    x.reshape(-1)[:zeros] = 0.0  # cumprod's backward has its own path for rows with zeros
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    a, b = pair(x)
    out_t, out_p = getattr(a, op)(dim), getattr(torch, op)(b, dim)
    assert_same(out_t, out_p, op)
    backward_both(out_t, out_p)
    check_grads([(a, b)], op)


@given(x=arrays(min_dims=0), data=st.data(), zeros=st.integers(0, 2))
def test_prod(x, data, zeros):
    x = np.array(x, copy=True)
    x.reshape(-1)[:zeros] = 0.0
    a, b = pair(x)
    if x.ndim and data.draw(st.booleans(), label="with dim"):
        dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
        keepdim = data.draw(st.booleans(), label="keepdim")
        out_t, out_p = a.prod(dim, keepdim), torch.prod(b, dim, keepdim)
    else:
        out_t, out_p = tge.prod(a), torch.prod(b)
    assert_same(out_t, out_p, "prod")
    backward_both(out_t, out_p)
    check_grads([(a, b)], "prod")


def test_int_scans_and_prod_are_int64():
    x = tge.tensor([1, 2, 3], dtype=tge.int32)
    assert x.cumsum(0).dtype == tge.int64 and x.prod().dtype == tge.int64 and x.prod().item() == 6


@given(x=arrays(min_dims=2), k=st.integers(-2, 2))
def test_tril_triu_diag(x, k):
    for op in ("tril", "triu"):
        a, b = pair(x)
        out_t, out_p = getattr(tge, op)(a, k), getattr(torch, op)(b, k)
        assert_same(out_t, out_p, op)
        backward_both(out_t, out_p)
        check_grads([(a, b)], op)
    m = x.reshape(x.shape[0], -1)
    for source in (m, m[0]):
        a, b = pair(source)
        out_t, out_p = tge.diag(a, k), torch.diag(b, k)
        assert_same(out_t, out_p, "diag")
        backward_both(out_t, out_p)
        check_grads([(a, b)], "diag")


@given(n=sizes, m=sizes, p=sizes, b=sizes)
def test_outer_bmm_baddbmm(n, m, p, b):
    rng = np.random.default_rng(n * 100 + m * 10 + p)
    x, y = pair(rng.standard_normal(n)), pair(rng.standard_normal(m))
    out_t, out_p = tge.outer(x[0], y[0]), torch.outer(x[1], y[1])
    assert_same(out_t, out_p, "outer")
    backward_both(out_t, out_p)
    check_grads([x, y], "outer")
    inp, b1, b2 = pair(rng.standard_normal((1, p))), pair(rng.standard_normal((b, n, m))), pair(rng.standard_normal((b, m, p)))
    out_t = tge.baddbmm(inp[0], b1[0], b2[0], beta=0.5, alpha=-2.0)
    out_p = torch.baddbmm(inp[1], b1[1], b2[1], beta=0.5, alpha=-2.0)
    assert_same(out_t, out_p, "baddbmm")
    backward_both(out_t, out_p)
    check_grads([inp, b1, b2], "baddbmm")
    assert_same(tge.bmm(b1[0], b2[0]), torch.bmm(b1[1], b2[1]), "bmm")


@pytest.mark.parametrize("ord, dim", [(2, None), (1, 1), (3.5, (0, 1)), (math.inf, None), (0.5, -1)])
def test_vector_norm(ord, dim):
    x = np.random.default_rng(2).standard_normal((3, 4))
    a, b = pair(x)
    out_t, out_p = tge.linalg.vector_norm(a, ord, dim), torch.linalg.vector_norm(b, ord, dim)
    assert_same(out_t, out_p, f"vector_norm ord={ord}")
    backward_both(out_t, out_p)
    check_grads([(a, b)], f"vector_norm ord={ord}")


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, math.inf, -math.inf])
def test_linalg_norm_matrix(ord):
    x = np.random.default_rng(3).standard_normal((3, 4))
    a, b = pair(x)
    out_t, out_p = tge.linalg.norm(a, ord), torch.linalg.norm(b, ord)
    assert_same(out_t, out_p, f"linalg.norm ord={ord}")
    backward_both(out_t, out_p)
    check_grads([(a, b)], f"linalg.norm ord={ord}")
    with pytest.raises(NotImplementedError, match="singular value"):
        tge.linalg.norm(a, "nuc")


@st.composite
def gather_case(draw):
    n, m = draw(sizes), draw(sizes)
    k, mi = draw(st.integers(1, n)), draw(st.integers(1, m))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, m))
    index = np.stack([rng.permutation(n)[:k] for _ in range(mi)], axis=1)  # no repeated position
    return x, index, rng.standard_normal((k, mi))


@given(case=gather_case(), dim_is_1=st.booleans())
def test_gather_scatter(case, dim_is_1):
    x, index, src = case
    if dim_is_1:  # the same case transposed, along dim 1
        x, index, src = x.T.copy(), index.T.copy(), src.T.copy()
    dim = int(dim_is_1)
    it, ip = tge.tensor(index), torch.tensor(index)
    a, b = pair(x)
    out_t, out_p = a.gather(dim, it), torch.gather(b, dim, ip)
    assert_same(out_t, out_p, "gather")
    backward_both(out_t, out_p)
    check_grads([(a, b)], "gather")
    for op in ("scatter", "scatter_add"):
        a, b = pair(x)
        s_t, s_p = pair(src)
        out_t, out_p = getattr(a, op)(dim, it, s_t), getattr(b, op)(dim, ip, s_p)
        assert_same(out_t, out_p, op)
        backward_both(out_t, out_p)
        check_grads([(a, b), (s_t, s_p)], op)
    assert_same(tge.scatter(tge.tensor(x), dim, it, value=2.5), torch.scatter(torch.tensor(x), dim, ip, 2.5), "value")


def test_in_place_scatter_bumps_version_and_records():
    x = tge.zeros(3, 2, dtype=tge.float64)
    src = tge.ones(2, 2, dtype=tge.float64, requires_grad=True)
    index = tge.tensor([[0, 1], [2, 2]])
    y = x.clone()
    version = y._version_value
    y.scatter_add_(0, index, src)
    assert y._version_value == version + 1
    y.scatter_(0, tge.tensor([[1, 0]]), value=5.0)
    y.sum().backward()
    expected = torch.zeros(3, 2, dtype=torch.float64)
    s = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    e = expected.clone().scatter_add_(0, torch.tensor([[0, 1], [2, 2]]), s)
    e.scatter_(0, torch.tensor([[1, 0]]), 5.0)
    e.sum().backward()
    assert_same(y, e, "scatter_ chain")
    assert_same(src.grad, s.grad, "scatter_ chain grad")


@given(x=arrays(), data=st.data())
def test_index_select_take_along_dim_unfold(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    n = x.shape[dim]
    index = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4), label="index"))
    a, b = pair(x)
    out_t, out_p = a.index_select(dim, tge.tensor(index)), torch.index_select(b, dim, torch.tensor(index))
    assert_same(out_t, out_p, "index_select")
    backward_both(out_t, out_p)
    check_grads([(a, b)], "index_select")
    order = np.argsort(x, axis=dim)
    a, b = pair(x)
    out_t, out_p = tge.take_along_dim(a, tge.tensor(order), dim), torch.take_along_dim(b, torch.tensor(order), dim)
    assert_same(out_t, out_p, "take_along_dim")
    assert_same(tge.take_along_dim(a, tge.tensor(order[..., :1]), None),
                torch.take_along_dim(b, torch.tensor(order[..., :1]), None), "take_along_dim flat")
    size = data.draw(st.integers(0, n), label="size")
    step = data.draw(st.integers(1, 3), label="step")
    a, b = pair(x)
    out_t, out_p = a.unfold(dim, size, step), b.unfold(dim, size, step)
    assert_same(out_t, out_p, "unfold")
    backward_both(out_t, out_p)
    check_grads([(a, b)], "unfold")


def test_index_errors_name_the_op():
    x = tge.zeros(2, 3)
    with pytest.raises(RuntimeError, match="gather: index 5 is out of bounds for dimension 0 with size 2"):
        x.gather(0, tge.tensor([[5]]))
    with pytest.raises(RuntimeError, match="int64"):
        x.gather(0, tge.tensor([[0]], dtype=tge.int32))
    with pytest.raises(IndexError, match="index_select"):
        x.index_select(1, tge.tensor([3]))
    with pytest.raises(RuntimeError, match="unfold: maximum size"):
        x.unfold(0, 3, 1)


# ------------------------------------------------------------- comparisons
def test_isclose_allclose_equal():
    a = [1.0, float("nan"), float("inf"), 1.0 + 1e-6, 2.0]
    b = [1.0, float("nan"), float("inf"), 1.0, 2.1]
    ta, tb = tge.tensor(a, dtype=tge.float64), tge.tensor(b, dtype=tge.float64)
    pa, pb = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    for equal_nan in (False, True):
        np.testing.assert_array_equal(tge.isclose(ta, tb, equal_nan=equal_nan).cpu().array,
                                      torch.isclose(pa, pb, equal_nan=equal_nan).cpu().numpy())
    assert tge.allclose(ta[:1], tb[:1]) is True and tge.allclose(ta, tb) is torch.allclose(pa, pb)
    assert tge.allclose(ta, tb, rtol=0.1, equal_nan=True) is torch.allclose(pa, pb, rtol=0.1, equal_nan=True)
    assert tge.equal(ta[:1], tb[:1]) is True and tge.equal(ta, tb) is False
    assert tge.equal(tge.ones(2), tge.ones(3)) is False
    with pytest.raises(RuntimeError, match="isclose"):
        tge.isclose(tge.ones(2), tge.ones(2, dtype=tge.float64))


# --------------------------------------------------------------- Tensor API
def test_numpy_style_keyword_aliases():
    x = np.random.default_rng(4).standard_normal((2, 3))
    t, p = tge.tensor(x), torch.tensor(x)
    for op in ("sum", "mean", "amax", "amin", "logsumexp", "std", "var", "prod"):
        assert_same(getattr(t, op)(axis=1, keepdims=True), getattr(p, op)(axis=1, keepdims=True), op)
    assert_same(t.argmax(axis=1), p.argmax(axis=1), "argmax")
    assert_same(t.max(axis=0).values, p.max(axis=0).values, "max")
    assert_same(tge.sum(t, axis=0), torch.sum(p, axis=0), "tge.sum")
    assert_same(t.softmax(axis=-1), p.softmax(axis=-1), "softmax")
    assert_same(t.cumsum(axis=1), p.cumsum(axis=1), "cumsum")
    assert_same((t > 0).any(axis=1), (p > 0).any(axis=1), "any")
    assert_same(tge.cat([t, t], axis=1), torch.cat([p, p], axis=1), "cat")
    assert_same(tge.stack([t, t], axis=2), torch.stack([p, p], axis=2), "stack")
    with pytest.raises(TypeError, match="both dim"):
        t.sum(0, axis=1)


def test_format_and_zero_d_comparisons():
    loss = tge.tensor(0.123456)
    assert f"{loss:.4f}" == f"{torch.tensor(0.123456):.4f}" == "0.1235"
    assert f"{tge.tensor(3):>3d}" == "  3"
    assert f"{tge.ones(2)}" == str(tge.ones(2))
    with pytest.raises(TypeError):
        f"{tge.ones(2):.2f}"
    flag = loss > 0.1
    assert isinstance(flag, tge.Tensor) and flag.shape == () and flag.dtype == tge.bool
    assert isinstance(flag.array, backend.get_array_module(flag.array).ndarray)  # a 0-d array, not a NumPy scalar
    assert flag.item() is True and bool(flag) and repr(flag.cpu()) == "tensor(True)"
    if loss < 0.1:
        pytest.fail("0-d comparison used in `if` went the wrong way")
    assert tge.where(flag, tge.tensor(1.0), tge.tensor(2.0)).item() == 1.0
    eq = (tge.tensor(1.0) == 1.0).array
    assert isinstance(eq, backend.get_array_module(eq).ndarray)


def test_device_flags_type_new_and_contiguity():
    # compared with PyTorch's CPU tensors (their flags and type names): ours on the CPU too
    t = tge.ones(2, 3, dtype=tge.float64, device="cpu")
    p = torch.ones(2, 3, dtype=torch.float64)
    assert (t.is_cpu, t.is_cuda, t.is_xpu, t.is_mps) == (p.is_cpu, p.is_cuda, p.is_xpu, p.is_mps)
    assert t.type() == p.type() == "torch.DoubleTensor"
    assert tge.ones(1, device="cpu").type() == "torch.FloatTensor"
    assert tge.tensor([1], device="cpu").type() == "torch.LongTensor"
    assert t.type(tge.float32).dtype == tge.float32 and t.type("torch.LongTensor").dtype == tge.int64
    for name, args in [("new_zeros", ((2, 2),)), ("new_ones", (3, 1)), ("new_full", ((2,), 7.0)),
                       ("new_empty", ((0, 2),)), ("new_tensor", ([1, 2],))]:
        ours, ref = getattr(t, name)(*args), getattr(p, name)(*args)
        assert ours.shape == tuple(ref.shape) and ours.dtype == tge.float64, name
        if name != "new_empty":
            np.testing.assert_array_equal(ours.cpu().array, ref.cpu().numpy())
    assert t.new_zeros(2, dtype=tge.int64, requires_grad=False).dtype == tge.int64
    assert t.new_ones(2, requires_grad=True).requires_grad
    assert t.is_contiguous() and not t.T.is_contiguous() and t.T.contiguous().is_contiguous()
    assert p.T.is_contiguous() == t.T.is_contiguous()


IN_PLACE_UNARY = ["abs_", "neg_", "exp_", "log_", "sqrt_", "rsqrt_", "sin_", "cos_", "tanh_", "sigmoid_",
                  "atan_", "square_", "reciprocal_", "sign_", "floor_", "ceil_", "round_", "tril_", "triu_"]


@pytest.mark.parametrize("name", IN_PLACE_UNARY)
def test_in_place_unary_twins(name):
    x = np.random.default_rng(5).uniform(0.2, 2.0, (2, 3)) * np.array([1, -1, 1])
    if name in ("log_", "sqrt_", "rsqrt_"):
        x = np.abs(x)
    a, b = pair(x)
    ya, yb = a * 1.0, b * 1.0
    version = ya._version_value
    assert getattr(ya, name)() is ya and ya._version_value == version + 1
    getattr(yb, name)()
    assert_same(ya, yb, name)
    backward_both(ya, yb)
    check_grads([(a, b)], name)


@pytest.mark.parametrize("name, arg", [("mul_", 2.5), ("add_", -1.0), ("sub_", 3.0), ("div_", 4.0), ("pow_", 2),
                                       ("clamp_", 0.5), ("remainder_", 0.7), ("mul_", None), ("div_", None)])
def test_in_place_binary_twins(name, arg):
    rng = np.random.default_rng(6)
    x, other = rng.uniform(0.2, 2.0, (2, 3)), rng.uniform(0.2, 2.0, (3,))
    a, b = pair(x)
    oa, ob = pair(other)
    ya, yb = a * 1.0, b * 1.0
    arg_t, arg_p = (oa, ob) if arg is None else (arg, arg)
    getattr(ya, name)(arg_t)
    getattr(yb, name)(arg_p)
    assert_same(ya, yb, name)
    backward_both(ya, yb)
    check_grads([(a, b)] + ([(oa, ob)] if arg is None else []), name)


def test_in_place_twin_refuses_what_pytorch_refuses():
    leaf = tge.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_: a leaf Variable that requires grad"):
        leaf.exp_()
    y = leaf.exp()  # Exp saves its output y
    y.exp_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="can't be cast"):
        tge.tensor([1, 2]).exp_()


def test_fill_zero_uniform_normal_in_place():
    t = tge.empty(200, dtype=tge.float64)
    version = t._version_value
    assert t.uniform_(2.0, 3.0) is t and 2.0 <= t.min().item() and t.max().item() < 3.0
    assert abs(t.normal_(5.0, 0.1).mean().item() - 5.0) < 0.1
    assert t.fill_(1.5).sum().item() == 300.0 and t.zero_().sum().item() == 0.0
    assert t._version_value == version + 4
