"""F.one_hot, F.normalize, F.unfold / F.fold (im2col / col2im: fold is unfold's
adjoint), F.cosine_similarity, F.pairwise_distance, F.scaled_dot_product_attention and
F.gumbel_softmax, against PyTorch (float64) on hypothesis-drawn shapes."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
import tinygrad_edu.nn.functional as F
from tinygrad_edu.autograd import gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def pair(x):
    return tge.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def assert_same(a, b, what):
    expected = b.detach().cpu().numpy()
    assert a.shape == tuple(expected.shape), f"{what}: shape {a.shape} vs torch {tuple(expected.shape)}"
    np.testing.assert_allclose(a.cpu().array, expected, rtol=1e-9, atol=1e-12, err_msg=what)


def compare(fn_t, fn_p, arrays, what, grad_scale=None):
    """Values of fn_t(tge leaves) vs fn_p(torch leaves), and the gradients of a random
    weighting of the output with respect to every input. ``grad_scale`` (an array that
    broadcasts against the inputs): both gradients are multiplied by it before the
    comparison, for gradients of order 1/scale whose exact value 0 both frameworks reach
    as a difference of terms that large (their rounding is of order 1e-16/scale)."""
    pairs = [pair(a) for a in arrays]
    out_t, out_p = fn_t(*[a for a, _ in pairs]), fn_p(*[b for _, b in pairs])
    assert_same(out_t, out_p, what)
    w = np.random.default_rng(0).standard_normal(out_t.shape)
    (out_t * tge.tensor(w)).sum().backward()
    (out_p * torch.tensor(w)).sum().backward()
    for k, (a, b) in enumerate(pairs):
        g_t, g_p = a.grad, b.grad
        if grad_scale is not None:
            g_t, g_p = g_t * tge.tensor(grad_scale), g_p * torch.tensor(grad_scale)
        assert_same(g_t, g_p, f"{what}: gradient of input {k}")


@given(data=st.data())
def test_threshold_and_its_module(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3), label="shape"))
    x = np.random.default_rng(data.draw(st.integers(0, 1000))).uniform(-2, 2, shape)
    x.flat[0] = 0.5  # equal to the threshold: the value's side, gradient 0
    compare(lambda a: F.threshold(a, 0.5, -3.0), lambda a: TF.threshold(a, 0.5, -3.0), [x], "threshold")
    compare(lambda a: tge.nn.Threshold(0.5, 20.0)(a * 1.0), lambda a: torch.nn.Threshold(0.5, 20.0)(a * 1.0), [x], "nn.Threshold")
    compare(lambda a: F.threshold(a * 1.0, 0.5, 1.0, inplace=True), lambda a: TF.threshold(a * 1.0, 0.5, 1.0, inplace=True),
            [x], "threshold in place")
    assert repr(tge.nn.Threshold(0.5, 20.0, inplace=True)) == repr(torch.nn.Threshold(0.5, 20.0, inplace=True))
    big = np.random.default_rng(1).standard_normal(9000)  # relu's compiled route (Threshold) against torch.relu
    compare(F.relu, torch.relu, [big], "relu, 9000 values")


def test_one_hot():
    t = torch.tensor([[0, 3], [2, 2]])
    np.testing.assert_array_equal(F.one_hot(tge.tensor(t.cpu().numpy())).cpu().array, TF.one_hot(t).cpu().numpy())
    np.testing.assert_array_equal(F.one_hot(tge.tensor(t.cpu().numpy()), 6).cpu().array, TF.one_hot(t, 6).cpu().numpy())
    assert F.one_hot(tge.tensor(3), 5).shape == (5,) and F.one_hot(tge.tensor([1])).dtype == tge.int64
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tge.tensor([4]), 3)
    with pytest.raises(RuntimeError, match="int64"):
        F.one_hot(tge.tensor([1.0]))


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), p=st.sampled_from([1.0, 2.0, 3.0]),
       seed=st.integers(0, 2**16))
def test_normalize(shape, p, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    dim = -1 if len(shape) == 1 else 1
    compare(lambda a: F.normalize(a, p, dim), lambda b: TF.normalize(b, p, dim), [x], "normalize",
            grad_scale=_normalize_grad_scale(x, p, dim))


def _normalize_grad_scale(x, p, dim):
    """min(1, ||v||) for each vector v along ``dim``: d(v/||v||)/dv has entries of order
    1/||v||. For a one-element v they cancel to 0, and both frameworks keep a rounding
    error of order 1e-16/||v|| (9e-13 and -1e-13 at ||v|| = 2e-4, hypothesis's seed 5025),
    while a wrong gradient is off by order 1/||v||. Scaled by ||v||, each vector's
    gradient is compared at its own size, and a tiny vector loosens no other."""
    return np.minimum(1.0, np.linalg.norm(x, ord=p, axis=dim, keepdims=True))


def test_normalize_comparison_catches_a_wrong_gradient():
    # the right gradient passes at the smallest norms the strategy draws: seed 5025's one
    # value (2e-4) and seed 47215's eighth of 16 (8e-7, the least |x| over all seeds)
    test_normalize.hypothesis.inner_test(shape=[1], p=3.0, seed=5025)
    test_normalize.hypothesis.inner_test(shape=[4, 1, 4], p=2.0, seed=47215)
    # a gradient off by a millionth of its scale 1/||v|| fails at such a tiny norm
    x = np.random.default_rng(5025).standard_normal([1])
    wrong_by = 1e-6 / np.abs(x)[0]
    with pytest.raises(AssertionError, match="gradient of input 0"):
        compare(lambda a: F.normalize(a, 3.0, -1) + (a - a.detach()) * wrong_by,
                lambda b: TF.normalize(b, 3.0, -1), [x], "normalize", grad_scale=_normalize_grad_scale(x, 3.0, -1))
    # and beside a tiny vector, another's gradient off by 1e-8 fails too (one-element
    # rows: their exact gradient is 0)
    x = np.array([[8e-7], [1.3]])
    with pytest.raises(AssertionError, match="gradient of input 0"):
        compare(lambda a: F.normalize(a, 2.0, 1) + (a - a.detach()) * tge.tensor([[0.0], [1e-8]]),
                lambda b: TF.normalize(b, 2.0, 1), [x], "normalize", grad_scale=_normalize_grad_scale(x, 2.0, 1))


def test_normalize_of_zero_vector_is_zero():
    assert (F.normalize(tge.zeros(2, 3)).array == 0).all()


@st.composite
def windows(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    hw = tuple(max(d[i] * (k[i] - 1) + 1 - 2 * p[i], 1) + draw(st.integers(0, 3)) for i in range(2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + hw
    return shape, dict(kernel_size=k, dilation=d, padding=p, stride=s), draw(st.integers(0, 2**16))


@given(case=windows())
def test_unfold_and_fold_match_torch(case):
    shape, window, seed = case
    rng = np.random.default_rng(seed)
    compare(lambda a: F.unfold(a, **window), lambda b: TF.unfold(b, **window), [rng.standard_normal(shape)], "unfold")
    blocks = F.unfold(tge.zeros(shape), **window).shape
    compare(lambda a: F.fold(a, shape[2:], **window), lambda b: TF.fold(b, shape[2:], **window),
            [rng.standard_normal(blocks)], "fold")


@given(case=windows())
def test_fold_is_the_adjoint_of_unfold(case):
    """<unfold(x), y> = <x, fold(y)> for all x, y: fold is unfold's transpose."""
    shape, window, seed = case
    rng = np.random.default_rng(seed)
    x = tge.tensor(rng.standard_normal(shape))
    y = tge.tensor(rng.standard_normal(F.unfold(x, **window).shape))
    left = (F.unfold(x, **window) * y).sum().item()
    right = (x * F.fold(y, shape[2:], **window)).sum().item()
    assert math.isclose(left, right, rel_tol=1e-10, abs_tol=1e-10)


@given(case=windows())
def test_unfold_fold_gradcheck(case):
    shape, window, seed = case
    rng = np.random.default_rng(seed)
    x = tge.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda a: F.unfold(a, **window), [x])
    y = tge.tensor(rng.standard_normal(F.unfold(x, **window).shape), requires_grad=True)
    assert gradcheck(lambda b: F.fold(b, shape[2:], **window), [y])


def test_unfold_fold_unbatched_and_errors():
    x = np.random.default_rng(1).standard_normal((2, 4, 5))
    compare(lambda a: F.unfold(a, 2), lambda b: TF.unfold(b, 2), [x], "unbatched unfold")
    with pytest.raises(RuntimeError, match="fold: .*sliding blocks"):
        F.fold(tge.zeros(1, 4, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="unfold: input of shape"):
        F.unfold(tge.zeros(1, 1, 2, 2), 3)


def test_unfold_matmul_is_conv2d():
    rng = np.random.default_rng(2)
    x, w = tge.tensor(rng.standard_normal((2, 3, 5, 6))), tge.tensor(rng.standard_normal((4, 3, 3, 3)))
    via_unfold = (w.view(4, -1) @ F.unfold(x, 3)).view(2, 4, 3, 4)
    np.testing.assert_allclose(via_unfold.cpu().array, F.conv2d(x, w).cpu().array, rtol=1e-10)


@given(n=st.integers(1, 3), d=st.integers(1, 4), broadcast=st.booleans(), seed=st.integers(0, 2**16))
def test_cosine_similarity_and_pairwise_distance(n, d, broadcast, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((n, d)), rng.standard_normal((1 if broadcast else n, d))
    compare(F.cosine_similarity, TF.cosine_similarity, [x1, x2], "cosine_similarity")
    compare(lambda a, b: F.cosine_similarity(a, b, dim=0), lambda a, b: TF.cosine_similarity(a, b, dim=0),
            [x1, x1[::-1].copy()], "cosine_similarity dim 0")
    for p in (1.0, 2.0, 3.0):
        compare(lambda a, b: F.pairwise_distance(a, b, p), lambda a, b: TF.pairwise_distance(a, b, p), [x1, x2],
                f"pairwise_distance p={p}")
    compare(lambda a, b: F.pairwise_distance(a, b, keepdim=True), lambda a, b: TF.pairwise_distance(a, b, keepdim=True),
            [x1, x2], "pairwise_distance keepdim")


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
@given(batch=st.integers(1, 2), length=st.integers(1, 4), source=st.integers(1, 4), e=st.integers(1, 3),
       ev=st.integers(1, 3), scale=st.sampled_from([None, 0.5]), seed=st.integers(0, 2**16))
def test_scaled_dot_product_attention(mask, batch, length, source, e, ev, scale, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((batch, 2, length, e)), rng.standard_normal((batch, 2, source, e)),
              rng.standard_normal((batch, 2, source, ev))]
    kwargs = {"scale": scale}
    if mask == "bool":
        m = rng.uniform(size=(length, source)) < 0.7
        m[:, 0] = True  # every query may attend somewhere (else the row is NaN, in both)
        kwargs_t, kwargs_p = dict(kwargs, attn_mask=tge.tensor(m)), dict(kwargs, attn_mask=torch.tensor(m))
    elif mask == "float":
        m = rng.standard_normal((1, length, source))
        kwargs_t, kwargs_p = dict(kwargs, attn_mask=tge.tensor(m)), dict(kwargs, attn_mask=torch.tensor(m))
    else:
        kwargs_t = kwargs_p = dict(kwargs, is_causal=mask == "causal")
    compare(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs_t),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **kwargs_p), arrays, f"sdpa {mask}")


def test_scaled_dot_product_attention_dropout_and_errors():
    q = tge.randn(1, 3, 4, dtype=tge.float64, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert out.shape == (1, 3, 4)
    assert gradcheck(lambda a: F.scaled_dot_product_attention(a, a, a), [q])
    assert (F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).array == 0).all()  # every weight dropped
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tge.ones(3, 3).bool(), is_causal=True)
    with pytest.raises(RuntimeError, match="do not fit"):
        F.scaled_dot_product_attention(q, tge.randn(1, 3, 5), q)


def test_gumbel_softmax():
    logits = tge.randn(5, 4, dtype=tge.float64, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5, generator=tge.Generator().manual_seed(0))
    np.testing.assert_allclose(soft.sum(-1).cpu().array, 1.0)
    hard = F.gumbel_softmax(logits, hard=True, generator=tge.Generator().manual_seed(0))
    assert set(np.unique(hard.cpu().array)) <= {0.0, 1.0} and (hard.sum(-1).cpu().array == 1).all()
    np.testing.assert_array_equal(hard.argmax(-1).cpu().array, soft.argmax(-1).cpu().array)  # same noise, same winner
    (hard * tge.arange(4.0, dtype=tge.float64)).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.cpu().array).sum() > 0  # straight-through gradient
    assert gradcheck(lambda a: F.gumbel_softmax(a, generator=tge.Generator().manual_seed(1)), [logits])
