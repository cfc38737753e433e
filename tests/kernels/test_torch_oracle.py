"""PyTorch as an oracle: the kernels' forward and backward against torch.nn.functional.

Optional: the module skips cleanly when torch is not installed. Each test checks the
fast forms (vectorised, and Numba when installed) on random configurations.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tinygrad_edu.kernels import adaptive_pool, avg_pool, max_pool, pad, unfold, upsample  # noqa: E402

from .checks import assert_close, forms  # noqa: E402
from .strategies import (  # noqa: E402
    adaptive_configs,
    avg_pool_configs,
    conv_configs,
    images,
    kernel_settings,
    max_pool_configs,
    pad_configs,
    unpool_cases,
    upsample_configs,
)


def torch_forward_backward(fn, x, grad_out=None):
    """Run ``fn`` on a torch copy of ``x``; return its output(s) and, given ``grad_out``,
    the gradient with respect to ``x``."""
    xt = torch.from_numpy(x.copy()).requires_grad_(grad_out is not None)
    result = fn(xt)
    out = result[0] if isinstance(result, tuple) else result
    grad = None
    if grad_out is not None:
        out.backward(torch.from_numpy(grad_out))
        grad = xt.grad.numpy()
    outputs = tuple(r.detach().numpy() for r in result) if isinstance(result, tuple) else out.detach().numpy()
    return outputs, grad


@kernel_settings
@given(max_pool_configs(), st.data())
def test_max_pool2d_matches_torch(cfg, data):
    args = cfg.kernel_size, cfg.stride, cfg.padding, cfg.dilation, cfg.ceil_mode
    out_shape = max_pool.max_pool2d_forward_reference(cfg.x, *args)[0].shape
    g = data.draw(images(out_shape, cfg.x.dtype))
    (out_t, idx_t), grad_t = torch_forward_backward(
        lambda t: F.max_pool2d(t, *args[:4], ceil_mode=cfg.ceil_mode, return_indices=True), cfg.x, g
    )
    for forward, backward in zip(forms(max_pool, "max_pool2d_forward"), forms(max_pool, "max_pool2d_backward")):
        out, indices = forward(cfg.x, *args)
        assert_close((out, indices), (out_t, idx_t), forward.__name__)
        assert_close(backward(g, indices, cfg.x.shape), grad_t, backward.__name__)


@kernel_settings
@given(unpool_cases(), st.data())
def test_max_unpool2d_matches_torch(case, data):
    x, indices, (oh, ow) = case
    g = data.draw(images((*x.shape[:2], oh, ow), x.dtype))
    # torch derives a default size from kernel/stride/padding and only accepts output
    # sizes near it; stride 1 and kernel (out - in + 1) make the default the wanted size.
    kernel = (oh - x.shape[2] + 1, ow - x.shape[3] + 1)
    out_t, grad_t = torch_forward_backward(
        lambda t: F.max_unpool2d(t, torch.from_numpy(indices), kernel, 1, 0, (oh, ow)), x, g
    )
    for unpool, backward in zip(forms(max_pool, "max_unpool2d"), forms(max_pool, "max_unpool2d_backward")):
        assert_close(unpool(x, indices, (oh, ow)), out_t, unpool.__name__)
        assert_close(backward(g, indices), grad_t, backward.__name__)


@kernel_settings
@given(avg_pool_configs(), st.data())
def test_avg_pool2d_matches_torch(cfg, data):
    out_shape = avg_pool.avg_pool2d_forward_reference(cfg.x, *cfg.args).shape
    g = data.draw(images(out_shape, cfg.x.dtype))
    out_t, grad_t = torch_forward_backward(lambda t: F.avg_pool2d(t, *cfg.args), cfg.x, g)
    for forward, backward in zip(forms(avg_pool, "avg_pool2d_forward"), forms(avg_pool, "avg_pool2d_backward")):
        assert_close(forward(cfg.x, *cfg.args), out_t, forward.__name__)
        assert_close(backward(g, cfg.x.shape, *cfg.args), grad_t, backward.__name__)


@kernel_settings
@given(adaptive_configs(), st.data())
def test_adaptive_pooling_matches_torch(case, data):
    x, out_hw = case
    g = data.draw(images((*x.shape[:2], *out_hw), x.dtype))
    avg_t, avg_grad_t = torch_forward_backward(lambda t: F.adaptive_avg_pool2d(t, out_hw), x, g)
    (max_t, idx_t), max_grad_t = torch_forward_backward(
        lambda t: F.adaptive_max_pool2d(t, out_hw, return_indices=True), x, g
    )
    for forward, backward in zip(
        forms(adaptive_pool, "adaptive_avg_pool2d_forward"), forms(adaptive_pool, "adaptive_avg_pool2d_backward")
    ):
        assert_close(forward(x, out_hw), avg_t, forward.__name__)
        assert_close(backward(g, x.shape), avg_grad_t, backward.__name__)
    for forward, backward in zip(
        forms(adaptive_pool, "adaptive_max_pool2d_forward"), forms(adaptive_pool, "adaptive_max_pool2d_backward")
    ):
        out, indices = forward(x, out_hw)
        assert_close((out, indices), (max_t, idx_t), forward.__name__)
        assert_close(backward(g, indices, x.shape), max_grad_t, backward.__name__)


@kernel_settings
@given(upsample_configs(), st.data())
def test_upsampling_matches_torch(cfg, data):
    g = data.draw(images((*cfg.x.shape[:2], *cfg.output_size), cfg.x.dtype))
    # Give torch what a user gives it: the scale factor when there is one, else the size.
    how = {"size": cfg.output_size} if cfg.scale_factor is None else {"scale_factor": cfg.scale_factor}
    bilinear_t, bilinear_grad_t = torch_forward_backward(
        lambda t: F.interpolate(t, mode="bilinear", align_corners=cfg.align_corners, **how), cfg.x, g
    )
    nearest_t, nearest_grad_t = torch_forward_backward(lambda t: F.interpolate(t, mode="nearest", **how), cfg.x, g)
    args = cfg.align_corners, cfg.scale_factor
    for forward, backward in zip(
        forms(upsample, "upsample_bilinear2d_forward"), forms(upsample, "upsample_bilinear2d_backward")
    ):
        assert_close(forward(cfg.x, cfg.output_size, *args), bilinear_t, forward.__name__)
        assert_close(backward(g, cfg.x.shape, *args), bilinear_grad_t, backward.__name__)
    for forward, backward in zip(
        forms(upsample, "upsample_nearest2d_forward"), forms(upsample, "upsample_nearest2d_backward")
    ):
        assert_close(forward(cfg.x, cfg.output_size, cfg.scale_factor), nearest_t, forward.__name__)
        assert_close(backward(g, cfg.x.shape, cfg.scale_factor), nearest_grad_t, backward.__name__)


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@kernel_settings
@given(data=st.data())
def test_padding_matches_torch(mode, data):
    x, padding = data.draw(pad_configs(reflect=mode == "reflect"))
    out_t, _ = torch_forward_backward(lambda t: F.pad(t, padding, mode=mode), x)
    g = data.draw(images(out_t.shape, x.dtype))
    _, grad_t = torch_forward_backward(lambda t: F.pad(t, padding, mode=mode), x, g)
    for forward, backward in zip(forms(pad, f"pad_{mode}"), forms(pad, f"pad_{mode}_backward")):
        assert_close(forward(x, padding), out_t, forward.__name__)
        assert_close(backward(g, padding), grad_t, backward.__name__)


@kernel_settings
@given(st.data())
def test_conv2d_by_im2col_and_its_input_gradient_by_col2im_match_torch(data):
    groups = data.draw(st.integers(1, 3))
    cfg = data.draw(conv_configs(dtype=np.float64, channels=groups * data.draw(st.integers(1, 2))))
    n, c = cfg.x.shape[:2]
    oc = groups * data.draw(st.integers(1, 2))
    weight = data.draw(images((oc, c // groups, *cfg.kernel_size), np.float64))
    conv = lambda t: F.conv2d(t, torch.from_numpy(weight), None, cfg.stride, cfg.padding, cfg.dilation, groups)  # noqa: E731
    out_shape = conv(torch.from_numpy(cfg.x)).shape
    g = data.draw(images(tuple(out_shape), np.float64))
    out_t, grad_t = torch_forward_backward(conv, cfg.x, g)
    oh, ow = out_shape[2:]
    w_groups = weight.reshape(groups, oc // groups, -1)  # (G, OC/G, C/G*kh*kw)
    # output-side arrays as (G, OC/G, N*OH*OW), matching the K-major columns (G, K/G, N*OH*OW)
    g_rows = g.reshape(n, groups, oc // groups, oh * ow).transpose(1, 2, 0, 3).reshape(groups, oc // groups, -1)
    for im2col, col2im in zip(forms(unfold, "im2col"), forms(unfold, "col2im")):
        cols = im2col(cfg.x, *cfg.args).reshape(groups, -1, n * oh * ow)
        out = (w_groups @ cols).reshape(oc, n, oh, ow).transpose(1, 0, 2, 3)
        assert_close(np.ascontiguousarray(out), out_t, im2col.__name__)
        # backward-data: the columns' gradient is W^T g, folded back by col2im
        grad_cols = np.swapaxes(w_groups, 1, 2) @ g_rows
        grad_x = col2im(grad_cols.reshape(c, *cfg.kernel_size, n, oh, ow), cfg.x.shape, *cfg.args)
        assert_close(grad_x, grad_t, col2im.__name__)
