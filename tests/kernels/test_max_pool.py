"""Max pooling, its backward and max unpooling: the three forms agree, ties and
indices follow PyTorch, and the scatter/gather pairs are adjoints."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import max_pool

from .checks import assert_forms_agree, forms, inner
from .strategies import images, kernel_settings, max_pool_configs, unpool_cases


def pool_args(cfg):
    return cfg.kernel_size, cfg.stride, cfg.padding, cfg.dilation, cfg.ceil_mode


@kernel_settings
@given(max_pool_configs())
def test_max_pool2d_forward_forms_agree(cfg):
    out, indices = assert_forms_agree(max_pool, "max_pool2d_forward", cfg.x, *pool_args(cfg))
    # the indices point at the values returned
    n, c = cfg.x.shape[:2]
    picked = np.take_along_axis(cfg.x.reshape(n, c, -1), indices.reshape(n, c, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(out.shape), out)


@kernel_settings
@given(st.tuples(*[st.integers(1, 7)] * 4), st.booleans(), st.booleans(), st.data())
def test_max_pool2d_2x2_stride_2_forms_agree(shape, ceil_mode, nans, data):
    """MaxPool2d(2), which the compiled form runs with its own loop (windows inside the
    input; with ceil_mode and an odd size the last window is not, and the general loop
    runs): odd and even sizes, ties (small integers) and NaNs."""
    holds_a_window = shape[2] >= 2 and shape[3] >= 2
    x = data.draw(images(shape if holds_a_window else shape[:2] + (2, 2)))
    if nans:
        x.reshape(-1)[data.draw(st.integers(0, x.size - 1))] = np.nan
        x.reshape(-1)[data.draw(st.integers(0, x.size - 1))] = np.nan
    out, indices = assert_forms_agree(max_pool, "max_pool2d_forward", x, (2, 2), (2, 2), (0, 0), (1, 1), ceil_mode)
    n, c = x.shape[:2]
    picked = np.take_along_axis(x.reshape(n, c, -1), indices.reshape(n, c, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(out.shape), out)


@kernel_settings
@given(
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(3, 9), st.integers(3, 9)),
    st.tuples(st.integers(2, 3), st.integers(2, 3)),
    st.tuples(st.integers(0, 1), st.integers(0, 1)),
    st.booleans(),
    st.booleans(),
    st.data(),
)
def test_max_pool2d_3x3_strided_forms_agree(shape, stride, padding, ceil_mode, nans, data):
    """3x3 windows at stride 2 or 3 (the ImageNet ResNet's and AlexNet's pools), which the
    compiled form runs with its own loop: windows inside the input (nine fixed taps) and at
    its border (in the padding, past the end in ceil mode), ties (small integers) and NaNs."""
    x = data.draw(images(shape))
    if nans:
        for _ in range(3):
            x.reshape(-1)[data.draw(st.integers(0, x.size - 1))] = np.nan
    out, indices = assert_forms_agree(max_pool, "max_pool2d_forward", x, (3, 3), stride, padding, (1, 1), ceil_mode)
    n, c = x.shape[:2]
    picked = np.take_along_axis(x.reshape(n, c, -1), indices.reshape(n, c, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(out.shape), out)


@kernel_settings
@given(max_pool_configs(), st.data())
def test_max_pool2d_backward_forms_agree(cfg, data):
    out, indices = max_pool.max_pool2d_forward_reference(cfg.x, *pool_args(cfg))
    grad_out = data.draw(images(out.shape, cfg.x.dtype))
    assert_forms_agree(max_pool, "max_pool2d_backward", grad_out, indices, cfg.x.shape)


@pytest.mark.parametrize("bins", [1, 40])
def test_max_pool2d_backward_in_groups_of_planes(bins, monkeypatch):
    # bincount runs on groups of planes (at most _BINCOUNT_BINS bins): 1 bin = one plane
    # per call, 40 bins = groups of 2 planes of 4x5 with a smaller last group
    monkeypatch.setattr(max_pool, "_BINCOUNT_BINS", bins)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    out, indices = max_pool.max_pool2d_forward_reference(x, (3, 2), (1, 2), (1, 0), (1, 1))
    grad_out = rng.standard_normal(out.shape).astype(np.float32)
    assert_forms_agree(max_pool, "max_pool2d_backward", grad_out, indices, x.shape)


def test_first_maximum_wins_ties():
    x = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    for form in forms(max_pool, "max_pool2d_forward") + [max_pool.max_pool2d_forward_reference]:
        out, indices = form(x, (2, 2), (2, 2), (0, 0), (1, 1))
        assert out.item() == 3.0 and indices.item() == 1, form.__name__


def test_a_tie_between_zeros_keeps_the_first_and_its_sign():
    # -0.0 == 0.0, so the first zero wins, sign included (PyTorch); np.maximum may
    # return either zero, so the vectorised form must not take the value from it
    for first in (-0.0, 0.0):
        x = np.array([[[[first, -first], [-first, first]]]], dtype=np.float32).repeat(64, axis=1)
        for form in forms(max_pool, "max_pool2d_forward") + [max_pool.max_pool2d_forward_reference]:
            out, indices = form(x, (2, 2), (2, 2), (0, 0), (1, 1))
            assert (indices == 0).all() and (np.signbit(out) == np.signbit(first)).all(), (form.__name__, first)


def test_nan_propagates():
    x = np.array([[[[1.0, np.nan], [5.0, 2.0]]]])
    for form in forms(max_pool, "max_pool2d_forward") + [max_pool.max_pool2d_forward_reference]:
        out, indices = form(x, (2, 2), (2, 2), (0, 0), (1, 1))
        assert np.isnan(out.item()) and indices.item() == 1, form.__name__


def test_overlapping_windows_accumulate_gradient_at_a_shared_argmax():
    # 3x3 windows with stride 1 over a 4x4 plane whose maximum sits in the middle:
    # all four windows pick pixel (1, 1), so it receives all four gradients.
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = 9.0
    for forward, backward in zip(forms(max_pool, "max_pool2d_forward"), forms(max_pool, "max_pool2d_backward")):
        out, indices = forward(x, (3, 3), (1, 1), (0, 0), (1, 1))
        assert (indices == 1 * 4 + 1).all()
        grad = backward(np.ones_like(out), indices, x.shape)
        assert grad[0, 0, 1, 1] == 4.0 and grad.sum() == 4.0, backward.__name__


@kernel_settings
@given(unpool_cases(), st.data())
def test_max_unpool2d_forms_agree(case, data):
    x, indices, out_hw = case
    out = assert_forms_agree(max_pool, "max_unpool2d", x, indices, out_hw)
    grad_out = data.draw(images(out.shape, x.dtype))
    assert_forms_agree(max_pool, "max_unpool2d_backward", grad_out, indices)


@kernel_settings
@given(unpool_cases(dtype=np.float64), st.data())
def test_unpool_scatter_and_gather_are_adjoints(case, data):
    x, indices, out_hw = case
    g = data.draw(images((*x.shape[:2], *out_hw), np.float64))
    for scatter, gather in zip(forms(max_pool, "max_unpool2d"), forms(max_pool, "max_unpool2d_backward")):
        lhs, rhs = inner(scatter(x, indices, out_hw), g), inner(x, gather(g, indices))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), scatter.__name__


@kernel_settings
@given(max_pool_configs(dtype=np.float64), st.data())
def test_max_pool2d_backward_is_the_adjoint_of_gathering_at_the_indices(cfg, data):
    # For fixed indices, max pooling is the gather x.flat[indices]; its backward must be
    # that gather's transpose (a scatter-add), even where windows share an argmax.
    out, indices = max_pool.max_pool2d_forward(cfg.x, *pool_args(cfg))
    g = data.draw(images(out.shape, np.float64))
    for backward in forms(max_pool, "max_pool2d_backward"):
        lhs = inner(max_pool.max_unpool2d_backward(cfg.x, indices), g)
        rhs = inner(cfg.x, backward(g, indices, cfg.x.shape))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), backward.__name__


@pytest.mark.parametrize("form", ["max_unpool2d", "max_unpool2d_reference", "max_unpool2d_numba"])
def test_max_unpool2d_rejects_indices_outside_the_output(form):
    if form.endswith("numba"):
        pytest.importorskip("numba")
    x, indices = np.ones((1, 1, 1, 2)), np.array([[[[0, 4]]]])
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 4\)"):
        getattr(max_pool, form)(x, indices, (2, 2))


def test_the_last_nan_and_an_all_minus_inf_window_follow_the_reference():
    # two NaNs in one window: the last one's index (PyTorch updates on every NaN); a window
    # of -inf only: its first tap (nothing is larger, but something must be taken)
    x = np.array([[[[np.nan, 1.0, -np.inf, -np.inf], [2.0, np.nan, -np.inf, -np.inf]]]], dtype=np.float32)
    for form in forms(max_pool, "max_pool2d_forward") + [max_pool.max_pool2d_forward_reference]:
        out, indices = form(x, (2, 2), (2, 2), (0, 0), (1, 1))
        assert np.isnan(out[0, 0, 0, 0]) and indices[0, 0, 0, 0] == 5, form.__name__
        assert out[0, 0, 0, 1] == -np.inf and indices[0, 0, 0, 1] == 2, form.__name__


def test_2x2_rows_long_enough_to_vectorise_keep_ties_and_the_last_nan():
    # rows of 48 outputs: the compiler runs MaxPool2d(2)'s loop in vector form there (from
    # about 16-20 outputs), a different path from the short rows the test above draws
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, (2, 3, 6, 96)).astype(np.float32)  # small integers: many ties
    x.reshape(-1)[rng.choice(x.size, 40, replace=False)] = np.nan
    x[0, 0, :2, :2] = [[np.nan, 1.0], [np.nan, 5.0]]  # the last NaN (row 1) wins
    x[0, 1, :2, :2] = [[-0.0, 0.0], [0.0, -0.0]]  # a tie of zeros keeps the first, sign too
    out, indices = assert_forms_agree(max_pool, "max_pool2d_forward", x, (2, 2), (2, 2), (0, 0), (1, 1))
    assert indices[0, 0, 0, 0] == 96 and np.isnan(out[0, 0, 0, 0])
    assert indices[0, 1, 0, 0] == 0 and np.signbit(out[0, 1, 0, 0])
