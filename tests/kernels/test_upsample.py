"""Bilinear and nearest upsampling: the three forms agree and the backwards are adjoints."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import upsample

from .checks import assert_forms_agree, forms, inner
from .strategies import images, kernel_settings, upsample_configs


@kernel_settings
@given(upsample_configs(), st.data())
def test_bilinear_forms_agree(cfg, data):
    out = assert_forms_agree(
        upsample, "upsample_bilinear2d_forward", cfg.x, cfg.output_size, cfg.align_corners, cfg.scale_factor
    )
    grad_out = data.draw(images(out.shape, cfg.x.dtype))
    assert_forms_agree(
        upsample, "upsample_bilinear2d_backward", grad_out, cfg.x.shape, cfg.align_corners, cfg.scale_factor
    )


@kernel_settings
@given(upsample_configs(), st.data())
def test_nearest_forms_agree(cfg, data):
    out = assert_forms_agree(upsample, "upsample_nearest2d_forward", cfg.x, cfg.output_size, cfg.scale_factor)
    grad_out = data.draw(images(out.shape, cfg.x.dtype))
    assert_forms_agree(upsample, "upsample_nearest2d_backward", grad_out, cfg.x.shape, cfg.scale_factor)


@kernel_settings
@given(upsample_configs(dtype=np.float64), st.data())
def test_upsample_backwards_are_adjoints(cfg, data):
    g = data.draw(images((*cfg.x.shape[:2], *cfg.output_size), np.float64))
    for forward, backward in zip(
        forms(upsample, "upsample_bilinear2d_forward"), forms(upsample, "upsample_bilinear2d_backward")
    ):
        lhs = inner(forward(cfg.x, cfg.output_size, cfg.align_corners, cfg.scale_factor), g)
        rhs = inner(cfg.x, backward(g, cfg.x.shape, cfg.align_corners, cfg.scale_factor))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), forward.__name__
    for forward, backward in zip(
        forms(upsample, "upsample_nearest2d_forward"), forms(upsample, "upsample_nearest2d_backward")
    ):
        lhs = inner(forward(cfg.x, cfg.output_size, cfg.scale_factor), g)
        rhs = inner(cfg.x, backward(g, cfg.x.shape, cfg.scale_factor))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), forward.__name__


@pytest.mark.parametrize(
    "in_size, out_size, scale, expected",
    [
        (5, 5, 1.1, [0, 1, 2, 3, 4]),  # out == in copies, whatever the scale
        (5, 10, 2.1, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),  # out == 2 * in halves, whatever the scale
        (5, 6, 1.3, [0, 0, 1, 2, 3, 3]),  # floor(dst / 1.3)
        (3, 2, None, [0, 1]),  # floor(dst * 1.5)
    ],
)
def test_nearest_sources_follow_pytorch(in_size, out_size, scale, expected):
    assert upsample.nearest_source(in_size, out_size, scale).tolist() == expected


def test_bilinear_uses_the_given_scale_factor():
    # 5 -> 8 pixels by scale 1.7: the source of output 1 is 1.5 / 1.7 - 0.5, not 1.5 * 5/8 - 0.5.
    i0, i1, lam = upsample.linear_source(5, 8, align_corners=False, scale_factor=1.7)
    assert (i0[1], i1[1]) == (0, 1) and lam[1] == pytest.approx(1.5 / 1.7 - 0.5)
