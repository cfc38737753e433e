"""Pooling and upsampling ops: gradcheck on hypothesis-drawn configurations (both
kernel sets), forward against NumPy loops, and errors."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tinygrad_edu as tge
import tinygrad_edu.nn.functional as F
from tinygrad_edu import kernels
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.kernels.sizes import output_size


@st.composite
def pool_configs(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = tuple(draw(st.integers(0, (di * (ki - 1) + 1) // 2)) for ki, di in zip(k, d))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    ceil = draw(st.booleans())
    assume(all(di * (ki - 1) + 1 <= size + 2 * pi for ki, di, pi, size in zip(k, d, p, (h, w))))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w), k=k, s=s, p=p, d=d, ceil=ceil)


def _distinct(shape, seed):
    """Distinct values (a shuffled range), so max pooling has no ties and a stable gradient."""
    rng = np.random.default_rng(seed)
    return tge.tensor(rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape), requires_grad=True)


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@given(cfg=pool_configs(), seed=st.integers(0, 50))
def test_max_pool2d_forward_and_gradcheck(kernel_set, cfg, seed):
    previous = kernels.current()
    kernels.use(kernel_set)
    try:
        x = _distinct(cfg["shape"], seed)
        args = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"], dilation=cfg["d"], ceil_mode=cfg["ceil"])
        out, idx = F.max_pool2d(x, return_indices=True, **args)
        # a dilated window can fall entirely into the padding: -inf, an undefined index (as in PyTorch)
        assume(np.isfinite(out.detach().cpu().numpy()).all())
        # every output is the input value its index points at
        flat = x.detach().cpu().numpy().reshape(x.shape[0], x.shape[1], -1)
        np.testing.assert_array_equal(np.take_along_axis(flat, idx.cpu().numpy().reshape(idx.shape[0], idx.shape[1], -1), 2),
                                      out.detach().cpu().numpy().reshape(out.shape[0], out.shape[1], -1))
        up = tge.tensor(np.random.default_rng(seed).standard_normal(out.shape))
        assert gradcheck(lambda t: F.max_pool2d(t, **args) * up, (x,), fast_mode=True)
    finally:
        kernels.use(previous)


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@given(cfg=pool_configs(), seed=st.integers(0, 50), include=st.booleans())
def test_avg_pool2d_gradcheck(kernel_set, cfg, seed, include):
    assume(all(pi <= ki // 2 for pi, ki in zip(cfg["p"], cfg["k"])))
    previous = kernels.current()
    kernels.use(kernel_set)
    try:
        x = tge.tensor(np.random.default_rng(seed).standard_normal(cfg["shape"]), requires_grad=True)
        args = dict(kernel_size=cfg["k"], stride=cfg["s"], padding=cfg["p"], ceil_mode=cfg["ceil"], count_include_pad=include)
        out = F.avg_pool2d(x, **args)
        up = tge.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape))
        assert gradcheck(lambda t: F.avg_pool2d(t, **args) * up, (x,), fast_mode=True)
    finally:
        kernels.use(previous)


def test_avg_pool2d_matches_definition():
    x = np.arange(2 * 25, dtype=np.float64).reshape(1, 2, 5, 5)
    out = F.avg_pool2d(tge.tensor(x), 2).cpu().numpy()
    np.testing.assert_allclose(out, x[:, :, :4, :4].reshape(1, 2, 2, 2, 2, 2).mean(axis=(3, 5)))


@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 7), st.integers(1, 7)),
       out=st.tuples(st.integers(1, 4), st.integers(1, 4)), seed=st.integers(0, 50))
def test_adaptive_pools_gradcheck(shape, out, seed):
    x = _distinct(shape, seed)
    for fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        y = fn(x, out)
        assert y.shape == shape[:2] + out
        up = tge.tensor(np.random.default_rng(seed).standard_normal(y.shape))
        assert gradcheck(lambda t: fn(t, out) * up, (x,), fast_mode=True)


def test_global_average_pooling_is_the_mean():
    x = tge.randn(2, 3, 5, 4, dtype=tge.float64)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1).cpu().numpy()[..., 0, 0], x.cpu().numpy().mean(axis=(2, 3)))
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 5, 2)


def test_max_unpool2d_inverts_max_pool_on_the_maxima():
    x = _distinct((2, 3, 6, 6), 0)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    restored = F.max_unpool2d(out, idx, 2)
    assert restored.shape == x.shape
    kept = restored.detach().cpu().numpy() != 0
    np.testing.assert_array_equal(restored.detach().cpu().numpy()[kept], x.detach().cpu().numpy()[kept])
    assert kept.sum() == out.numel()
    y = tge.tensor(np.random.default_rng(1).standard_normal(out.shape), requires_grad=True)
    assert gradcheck(lambda t: F.max_unpool2d(t, idx, 2), (y,))
    assert F.max_unpool2d(out, idx, 2, output_size=(7, 7)).shape == (2, 3, 7, 7)


@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5)),
       size=st.tuples(st.integers(1, 9), st.integers(1, 9)), align=st.booleans(), seed=st.integers(0, 50))
def test_bilinear_interpolate_gradcheck(shape, size, align, seed):
    x = tge.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)
    up = tge.tensor(np.random.default_rng(seed + 1).standard_normal(shape[:2] + size))
    assert gradcheck(lambda t: F.interpolate(t, size=size, mode="bilinear", align_corners=align) * up, (x,), fast_mode=True)


@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5)),
       scale=st.sampled_from([0.5, 1.5, 2, 3]), seed=st.integers(0, 50))
def test_nearest_interpolate_gradcheck_and_values(shape, scale, seed):
    assume(all(int(np.floor(s * scale)) >= 1 for s in shape[2:]))
    x = tge.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)
    y = F.interpolate(x, scale_factor=scale)
    up = tge.tensor(np.random.default_rng(seed + 1).standard_normal(y.shape))
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=scale) * up, (x,), fast_mode=True)
    if scale == 2:
        np.testing.assert_array_equal(y.detach().cpu().numpy(), x.detach().cpu().numpy().repeat(2, 2).repeat(2, 3))


def test_pool_output_size_arithmetic():
    assert output_size(32, 2, 2) == 16
    assert output_size(7, 3, 2, 1, 1, ceil_mode=True) == 4
    assert output_size(5, 2, 2, 1, 1, ceil_mode=True) == 3  # a 4th window would start in the right padding
    assert F.max_pool2d(tge.zeros(1, 1, 7, 7), 3, 2, 1, ceil_mode=True).shape == (1, 1, 4, 4)
    assert F.max_pool2d(tge.zeros(3, 7, 7), 2).shape == (3, 3, 3)  # unbatched


def test_pool_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(tge.zeros(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="too small"):
        F.max_pool2d(tge.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"expected a 3-D \(C, H, W\) or 4-D"):
        F.avg_pool2d(tge.zeros(4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        F.max_pool2d(tge.zeros(1, 1, 4, 4), 0)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(tge.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(tge.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(tge.zeros(1, 1, 4, 4), scale_factor=2, mode="bicubic")
