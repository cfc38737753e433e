"""Average pooling: the three forms agree (ceil_mode, count_include_pad,
divisor_override), the divisors follow PyTorch, and the backward is the adjoint."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import avg_pool

from .checks import assert_forms_agree, forms, inner
from .strategies import avg_pool_configs, images, kernel_settings


@kernel_settings
@given(avg_pool_configs())
def test_avg_pool2d_forward_forms_agree(cfg):
    assert_forms_agree(avg_pool, "avg_pool2d_forward", cfg.x, *cfg.args)


@kernel_settings
@given(avg_pool_configs(), st.data())
def test_avg_pool2d_backward_forms_agree(cfg, data):
    out_shape = avg_pool.avg_pool2d_forward_reference(cfg.x, *cfg.args).shape
    grad_out = data.draw(images(out_shape, cfg.x.dtype))
    assert_forms_agree(avg_pool, "avg_pool2d_backward", grad_out, cfg.x.shape, *cfg.args)


@kernel_settings
@given(avg_pool_configs(dtype=np.float64), st.data())
def test_avg_pool2d_backward_is_the_adjoint(cfg, data):
    for forward, backward in zip(forms(avg_pool, "avg_pool2d_forward"), forms(avg_pool, "avg_pool2d_backward")):
        out = forward(cfg.x, *cfg.args)
        g = data.draw(images(out.shape, np.float64))
        lhs, rhs = inner(out, g), inner(cfg.x, backward(g, cfg.x.shape, *cfg.args))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), forward.__name__


def test_divisors_follow_pytorch_in_ceil_mode():
    # 5 pixels, kernel 2, stride 2, padding 1, ceil_mode: windows start at -1, 1, 3
    # (a 4th would start at 5, in the right padding, and is dropped). The padded input
    # is [-1, 6): every window lies inside it, so count_include_pad divides by 2 * 2;
    # without padding the first window holds 1 real pixel per dim.
    x = np.ones((1, 1, 5, 5))
    for form in forms(avg_pool, "avg_pool2d_forward"):
        with_pad = form(x, (2, 2), (2, 2), (1, 1), True, True)
        without = form(x, (2, 2), (2, 2), (1, 1), True, False)
        assert with_pad.shape == (1, 1, 3, 3)
        np.testing.assert_allclose(with_pad[0, 0, 0], [0.25, 0.5, 0.5])
        np.testing.assert_allclose(without, np.ones((1, 1, 3, 3)))


def test_a_ceil_mode_window_past_the_padding_does_not_count_the_overhang():
    # 4 pixels, kernel 3, stride 2, no padding, ceil_mode: windows start at 0 and 2;
    # the second covers pixels 2, 3 and one position past the input, which is not
    # padding, so even count_include_pad divides by 2 there.
    x = np.ones((1, 1, 1, 4))
    for form in forms(avg_pool, "avg_pool2d_forward"):
        out = form(x, (1, 3), (1, 2), (0, 0), True, True)
        np.testing.assert_allclose(out, [[[[1.0, 1.0]]]])
