"""Adaptive average and max pooling: the three forms agree and the backwards are adjoints."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import adaptive_pool

from .checks import assert_forms_agree, forms, inner
from .strategies import adaptive_configs, images, kernel_settings


@kernel_settings
@given(adaptive_configs(), st.data())
def test_adaptive_avg_pool2d_forms_agree(case, data):
    x, out_hw = case
    out = assert_forms_agree(adaptive_pool, "adaptive_avg_pool2d_forward", x, out_hw)
    grad_out = data.draw(images(out.shape, x.dtype))
    assert_forms_agree(adaptive_pool, "adaptive_avg_pool2d_backward", grad_out, x.shape)


@kernel_settings
@given(adaptive_configs(), st.data())
def test_adaptive_max_pool2d_forms_agree(case, data):
    x, out_hw = case
    out, indices = assert_forms_agree(adaptive_pool, "adaptive_max_pool2d_forward", x, out_hw)
    grad_out = data.draw(images(out.shape, x.dtype))
    assert_forms_agree(adaptive_pool, "adaptive_max_pool2d_backward", grad_out, indices, x.shape)


@kernel_settings
@given(adaptive_configs(dtype=np.float64), st.data())
def test_adaptive_avg_pool2d_backward_is_the_adjoint(case, data):
    x, out_hw = case
    g = data.draw(images((*x.shape[:2], *out_hw), np.float64))
    for forward, backward in zip(
        forms(adaptive_pool, "adaptive_avg_pool2d_forward"), forms(adaptive_pool, "adaptive_avg_pool2d_backward")
    ):
        lhs, rhs = inner(forward(x, out_hw), g), inner(x, backward(g, x.shape))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), forward.__name__


@pytest.mark.parametrize(
    "size, out, bins",
    [(5, 3, [(0, 2), (1, 4), (3, 5)]), (4, 2, [(0, 2), (2, 4)]), (2, 3, [(0, 1), (0, 2), (1, 2)])],
)
def test_adaptive_bins_follow_pytorch(size, out, bins):
    assert adaptive_pool.adaptive_bins(size, out) == bins


def test_adaptive_max_follows_pytorch_on_ties_and_nan():
    ties = np.array([[[[1.0, 7.0, 7.0], [7.0, 2.0, 7.0]]]])
    nans = np.array([[[[np.nan, 1.0, np.nan], [2.0, np.nan, 3.0]]]])
    reference = adaptive_pool.adaptive_max_pool2d_forward_reference
    for form in forms(adaptive_pool, "adaptive_max_pool2d_forward") + [reference]:
        out, indices = form(ties, (1, 1))
        assert out.item() == 7.0 and indices.item() == 1, form.__name__  # the first 7, row-major
        out, indices = form(nans, (1, 1))
        assert np.isnan(out.item()) and indices.item() == 4, form.__name__  # the last NaN, as PyTorch
