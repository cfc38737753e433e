"""conv2d / conv_transpose2d / conv1d: forward against a loop reference, gradcheck on
hypothesis-drawn configurations, the adjoint identity, and the errors."""
import contextlib
import types

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tinygrad_edu as tge
import tinygrad_edu.nn.functional as F
from tinygrad_edu import kernels
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops import conv as conv_ops, scratch, winograd
from tinygrad_edu.ops.conv import conv1d, conv2d, conv_transpose2d


def conv2d_loops(x, w, b, stride, padding, dilation, groups):
    """The definition, written out: a loop over every output element."""
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, oc, oh, ow))
    per_group = oc // groups
    for i in range(n):
        for o in range(oc):
            g = o // per_group
            for y in range(oh):
                for xx in range(ow):
                    window = xpad[i, g * cg:(g + 1) * cg, y * sh:y * sh + dh * (kh - 1) + 1:dh, xx * sw:xx * sw + dw * (kw - 1) + 1:dw]
                    out[i, o, y, xx] = (window * w[o]).sum() + (b[o] if b is not None else 0)
    return out


@st.composite
def conv_configs(draw, max_stride=3):
    groups = draw(st.sampled_from([1, 1, 2]))
    c = groups * draw(st.integers(1, 2))
    oc = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(1, 7))
    w = draw(st.integers(1, 7))
    assume(dilation[0] * (kh - 1) + 1 <= h + 2 * padding[0] and dilation[1] * (kw - 1) + 1 <= w + 2 * padding[1])
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    return dict(x=(n, c, h, w), w=(oc, c // groups, kh, kw), bias=bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _tensors(cfg, seed):
    rng = np.random.default_rng(seed)
    x = tge.tensor(rng.standard_normal(cfg["x"]), requires_grad=True)
    w = tge.tensor(rng.standard_normal(cfg["w"]), requires_grad=True)
    b = tge.tensor(rng.standard_normal(cfg["w"][0]), requires_grad=True) if cfg["bias"] else None
    return x, w, b


@contextlib.contextmanager
def column_budget(nbytes):
    """Run with ``conv.COLUMN_BYTES = nbytes``: 1 makes every image its own batch slice."""
    saved = conv_ops.COLUMN_BYTES
    conv_ops.COLUMN_BYTES = nbytes
    try:
        yield
    finally:
        conv_ops.COLUMN_BYTES = saved


# how columns_products lays out its columns and products: images first with one wide
# GEMM (CuPy's), images last (small images), images first with the output multiplied per
# image (NumPy's for most), or with the weight gradient per image too (large images)
LAYOUTS = ("images_first", "images_last", "output_per_image", "per_image")


@contextlib.contextmanager
def columns_layout(layout):
    """Build every convolution's columns and products in ``layout`` (one of LAYOUTS),
    whatever ``conv._images_last``, ``conv._output_per_image`` and ``conv.DIRECT_PIXELS``
    would pick: the tests draw all four."""
    saved = conv_ops._images_last, conv_ops._output_per_image, conv_ops.DIRECT_PIXELS
    conv_ops._images_last = lambda slices, out_hw, k, out_channels: layout == "images_last"
    conv_ops._output_per_image = lambda xp, images_last, *sizes: layout in ("output_per_image", "per_image")
    conv_ops.DIRECT_PIXELS = 1 if layout == "per_image" else 2**62
    try:
        yield
    finally:
        conv_ops._images_last, conv_ops._output_per_image, conv_ops.DIRECT_PIXELS = saved


@pytest.fixture
def restore_kernel_set():
    saved = kernels.current()
    yield
    kernels.use(saved)


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@given(cfg=conv_configs(), seed=st.integers(0, 100), sliced=st.booleans(), layout=st.sampled_from(LAYOUTS))
def test_conv2d_matches_loops_and_gradcheck(kernel_set, cfg, seed, sliced, layout):
    previous = kernels.current()
    kernels.use(kernel_set)
    try:
        # one image per slice, or the default; the columns in each layout
        with column_budget(1 if sliced else conv_ops.COLUMN_BYTES), columns_layout(layout):
            x, w, b = _tensors(cfg, seed)
            args = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
            out = conv2d(x, w, b, **args)
            expected = conv2d_loops(x.detach().cpu().numpy(), w.detach().cpu().numpy(), None if b is None else b.detach().cpu().numpy(),
                                    cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
            np.testing.assert_allclose(out.detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-10)
            up = tge.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape))
            inputs = (x, w) + ((b,) if b is not None else ())
            assert gradcheck(lambda *t: conv2d(t[0], t[1], t[2] if len(t) > 2 else None, **args) * up, inputs, fast_mode=True)
    finally:
        kernels.use(previous)


@given(cfg=conv_configs(), seed=st.integers(0, 100), data=st.data())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(cfg, seed, data):
    """<conv2d(x, W), y> == <x, conv_transpose2d(y, W)> to 1e-10 in float64."""
    x, w, _ = _tensors(cfg, seed)
    args = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    out = conv2d(x, w, **args)
    y = np.random.default_rng(seed + 2).standard_normal(out.shape)
    # output_padding recovers input rows that no window reached (when the stride skips them)
    oh_full = [(o - 1) * s - 2 * p + d * (k - 1) + 1 for o, s, p, d, k in
               zip(out.shape[2:], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["w"][2:])]
    output_padding = tuple(size - full for size, full in zip(cfg["x"][2:], oh_full))
    assume(all(0 <= op < max(s, d) for op, s, d in zip(output_padding, cfg["stride"], cfg["dilation"])))
    back = conv_transpose2d(tge.tensor(y), w, output_padding=output_padding, **args)
    assert back.shape == x.shape
    lhs = float((out.detach().cpu().numpy() * y).sum())
    rhs = float((x.detach().cpu().numpy() * back.detach().cpu().numpy()).sum())
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


@given(cfg=conv_configs(), seed=st.integers(0, 100), sliced=st.booleans(), layout=st.sampled_from(LAYOUTS))
def test_conv_transpose2d_gradcheck(cfg, seed, sliced, layout):
    with column_budget(1 if sliced else conv_ops.COLUMN_BYTES), columns_layout(layout):
        _check_conv_transpose2d_gradient(cfg, seed)


def _check_conv_transpose2d_gradient(cfg, seed):
    # reuse conv configs: the transposed op maps conv2d's output shape back to its input shape
    x, w, b = _tensors(cfg, seed)
    args = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    out_shape = conv2d(x, w, **args).shape
    # without output_padding the transposed output can be smaller than x, even empty
    assume(all((o - 1) * s - 2 * p + d * (k - 1) + 1 > 0 for o, s, p, d, k in
               zip(out_shape[2:], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["w"][2:])))
    y = tge.tensor(np.random.default_rng(seed).standard_normal(out_shape), requires_grad=True)
    bias = tge.tensor(np.random.default_rng(seed).standard_normal(w.shape[1] * cfg["groups"]), requires_grad=True) if cfg["bias"] else None
    inputs = (y, w) + ((bias,) if bias is not None else ())
    up = tge.tensor(np.random.default_rng(seed + 3).standard_normal(conv_transpose2d(y, w, **args).shape))
    assert gradcheck(lambda *t: conv_transpose2d(t[0], t[1], t[2] if len(t) > 2 else None, **args) * up, inputs, fast_mode=True)


@given(cfg=conv_configs(max_stride=1), seed=st.integers(0, 100))
def test_stride_one_input_gradient_is_the_full_convolution_with_the_adjoint_weight(cfg, seed):
    """col2im(W^T @ g) == conv2d(g, adjoint_weight(W), padding d(k-1) - p) for stride 1,
    and adjoint_weight is its own inverse."""
    rng = np.random.default_rng(seed)
    args = dict(stride=(1, 1), padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    full = tuple(d * (k - 1) - p for d, k, p in zip(cfg["dilation"], cfg["w"][2:], cfg["padding"]))
    assume(min(full) >= 0)  # padding beyond the kernel has no full-convolution form
    w = rng.standard_normal(cfg["w"])
    g = rng.standard_normal(conv2d(tge.zeros(*cfg["x"], dtype=tge.float64), tge.tensor(w), **args).shape)
    by_col2im = conv_ops.conv_input_grad(g, w, cfg["x"], **args)
    w_adj = conv_ops.adjoint_weight(w, cfg["groups"])
    assert w_adj.shape == (cfg["x"][1], cfg["w"][0] // cfg["groups"], *cfg["w"][2:])
    by_conv = conv_ops.conv_forward(g, w_adj, (1, 1), full, cfg["dilation"], cfg["groups"])
    np.testing.assert_allclose(by_conv, by_col2im, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(conv_ops.adjoint_weight(w_adj, cfg["groups"]), w)


@pytest.mark.parametrize("needs", ["input", "weight", "both"])
@given(cfg=conv_configs(max_stride=1), seed=st.integers(0, 100), sliced=st.booleans(), layout=st.sampled_from(LAYOUTS))
def test_stride_one_backward_agrees_with_the_col2im_route(needs, cfg, seed, sliced, layout):
    """The one-im2col route of a stride-1 backward (``conv2d_backward_stride1``, called
    here whatever ``_columns_of_g_pay`` would choose) gives what the general route (col2im
    for dL/dx, im2col of x for dL/dW) gives, for either gradient alone; and Conv2d.backward,
    whichever route it takes, gives the same."""
    rng = np.random.default_rng(seed)
    args = dict(stride=(1, 1), padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    full = conv_ops._full_padding(cfg["w"][2:], (1, 1), cfg["padding"], cfg["dilation"])
    assume(full is not None)  # padding beyond the kernel has no full-convolution form
    need_x, need_w = needs in ("input", "both"), needs in ("weight", "both")
    x = tge.tensor(rng.standard_normal(cfg["x"]), requires_grad=need_x)
    w = tge.tensor(rng.standard_normal(cfg["w"]), requires_grad=need_w)
    with column_budget(1 if sliced else conv_ops.COLUMN_BYTES), columns_layout(layout):
        out = conv2d(x, w, **args)
        g = rng.standard_normal(out.shape)
        (out * tge.tensor(g)).sum().backward()
        gx, gw = conv_ops.conv2d_backward_stride1(x.array, w.array, g, full, cfg["dilation"], cfg["groups"], need_x, need_w)
        if need_x:
            expected = conv_ops.conv_input_grad(g, w.detach().cpu().numpy(), cfg["x"], **args)
            np.testing.assert_allclose(gx, expected, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-12, atol=1e-12)
        if need_w:
            expected = conv_ops.conv_weight_grad(x.detach().cpu().numpy(), g, cfg["w"], **args)
            np.testing.assert_allclose(gw, expected, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(w.grad.cpu().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert (gx is None) != need_x and (gw is None) != need_w
    assert (x.grad is None) != x.requires_grad and (w.grad is None) != w.requires_grad


@pytest.mark.parametrize("x_shape, w_shape, padding, route", [
    ((2, 8, 6, 6), (8, 8, 3, 3), 1, "g"),  # "same", OC = C: one im2col, of g
    ((2, 4, 6, 6), (8, 4, 3, 3), 1, "x"),  # "same", OC = 2C: g's columns as many as both of x's sets
    ((2, 6, 14, 14), (16, 6, 5, 5), 0, "x"),  # LeNet's "valid" 5x5: the full convolution runs over 14x14, not 10x10
    ((2, 8, 9, 9), (6, 8, 3, 3), 0, "x"),  # "valid" and narrowing: g's GEMMs would run over 81 pixels, not 49
])
def test_stride_one_backward_builds_the_columns_that_cost_less(monkeypatch, x_shape, w_shape, padding, route):
    rng = np.random.default_rng(1)
    x = tge.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = tge.tensor(rng.standard_normal(w_shape), requires_grad=True)
    out = conv2d(x, w, padding=padding)
    g = rng.standard_normal(out.shape)
    im2col_spatial, col2im_calls = [], []  # the (H, W) of every array im2col is given; col2im calls
    im2col, col2im = kernels.im2col, kernels.col2im
    monkeypatch.setattr(kernels, "im2col", lambda a, *args, **kw: im2col_spatial.append(a.shape[2:]) or im2col(a, *args, **kw))
    monkeypatch.setattr(kernels, "col2im", lambda *args, **kw: col2im_calls.append(1) or col2im(*args, **kw))
    (out * tge.tensor(g)).sum().backward()
    if route == "g":
        assert set(im2col_spatial) == {tuple(out.shape[2:])} and not col2im_calls
    else:
        assert set(im2col_spatial) == {x_shape[2:]} and col2im_calls
    args = dict(stride=(1, 1), padding=(padding, padding), dilation=(1, 1), groups=1)
    np.testing.assert_allclose(x.grad.array, conv_ops.conv_input_grad(g, w.array, x_shape, **args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.array, conv_ops.conv_weight_grad(x.array, g, w_shape, **args), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c, oc", [(1, 8), (8, 1)])
def test_weight_gradient_alone_builds_the_smaller_set_of_columns(monkeypatch, c, oc):
    """With no dL/dx (a first layer), a stride-1 backward builds the columns of x (C*kh*kw
    rows) or of g (OC*kh*kw rows), whichever is smaller, and both give the right dL/dW."""
    rng = np.random.default_rng(0)
    x = tge.tensor(rng.standard_normal((2, c, 5, 6)))
    w = tge.tensor(rng.standard_normal((oc, c, 3, 3)), requires_grad=True)
    out = conv2d(x, w, padding=1)
    g = rng.standard_normal(out.shape)
    channels = []  # the channels of every array im2col is given in the backward
    im2col = kernels.im2col
    monkeypatch.setattr(kernels, "im2col", lambda a, *args, **kw: channels.append(a.shape[1]) or im2col(a, *args, **kw))
    (out * tge.tensor(g)).sum().backward()
    assert channels and set(channels) == {min(c, oc)}
    expected = conv_ops.conv_weight_grad(x.numpy(), g, w.shape, (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12, atol=1e-12)


def _record_calls(monkeypatch, names):
    """A list to which each call of kernels.<name>, for these names, appends the name."""
    calls = []
    for name in names:
        form = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, _form=form, _name=name, **kw: calls.append(_name) or _form(*a, **kw))
    return calls


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
def test_small_images_take_the_images_last_columns(monkeypatch, restore_kernel_set, kernel_set):
    """A 4x4 layer (a 1 MiB slice holds 14 float64 images of 64 channels, a row 4 pixels)
    builds its columns with the images last, a 32x32 layer (1-2 images per slice) with the
    images first, and multiplies them per image (DIRECT_PIXELS). A first layer at 8x8
    (1 -> 16 channels: K = 9 rows, too few against the 16 channels of the output and of
    g that images last would transpose: ``_images_last``) builds them images first too,
    its output per image and its weight gradient in one product. Every layout gives what
    the others give, forward and backward."""
    kernels.use(kernel_set)
    monkeypatch.setattr(winograd, "ENABLED", False)  # it would take the 4x4 layer of 32 images (ops/winograd.py)
    rng = np.random.default_rng(0)
    built = _record_calls(monkeypatch, ("im2col", "im2col_images_last"))  # the im2col form each convolution called
    cases = (((32, 64, 4, 4), "images_last"), ((2, 8, 32, 32), "per_image"), ((32, 1, 8, 8), "output_per_image"))
    for shape, layout in cases:
        x_np = rng.standard_normal(shape)
        w_np = rng.standard_normal((16, shape[1], 3, 3)) * 0.1
        g_np = rng.standard_normal((shape[0], 16, *shape[2:]))
        results = []
        for forced in (None,) + LAYOUTS:  # the rule's choice, then each layout
            built.clear()
            with contextlib.nullcontext() if forced is None else columns_layout(forced):
                x, w = tge.tensor(x_np, requires_grad=True), tge.tensor(w_np, requires_grad=True)
                out = conv2d(x, w, padding=1)
                (out * tge.tensor(g_np)).sum().backward()
            if forced is None:
                form = "im2col_images_last" if layout == "images_last" else "im2col"
                assert built and set(built) == {form}, (shape, built)
            results.append([out.detach().numpy(), x.grad.numpy(), w.grad.numpy()])
        for by_rule, *forced_results in zip(*results):
            by_layout = dict(zip(LAYOUTS, forced_results))
            for other in by_layout.values():
                np.testing.assert_allclose(other, by_layout["images_last"], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(by_rule, by_layout[layout], rtol=0, atol=0)


def test_images_last_rule_weighs_the_rows_against_the_transposed_channels():
    """Images last needs rows shorter than half the slice's images AND K >= OC*OW/8
    (rows under 8 entries) or K >= OC*OW/2 (longer rows): the 4x4 layers of the small
    CNN (K = 288 or 576, OC = 64) and a 1 -> 16 layer at 4x4 take it; its 1 -> 32 first
    layer at 8x8 (K = 9) does not, nor a 12 -> 32 one (K = 108), nor 11 images of 8x8
    whatever their channels, nor a 1 -> 16 layer at 16x16 in a batch of 64."""
    thirty_two, eleven = [slice(0, 32)], [slice(0, 11), slice(11, 22)]
    assert conv_ops._images_last(thirty_two, (4, 4), 288, 64)
    assert conv_ops._images_last(thirty_two, (4, 4), 576, 64 + 64)  # both products: output and g
    assert conv_ops._images_last(thirty_two, (4, 4), 9, 16)
    assert not conv_ops._images_last(thirty_two, (8, 8), 9, 32)
    assert not conv_ops._images_last(thirty_two, (8, 8), 108, 32)
    assert conv_ops._images_last(thirty_two, (8, 8), 144, 32)
    assert conv_ops._images_last(thirty_two, (8, 8), 288, 32)
    assert not conv_ops._images_last([slice(0, 64)], (16, 16), 9, 16)
    assert conv_ops._images_last([slice(0, 64)], (16, 16), 144, 16)
    assert not conv_ops._images_last(eleven, (8, 8), 288, 32)


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
def test_small_images_fold_their_input_gradient_from_images_last_columns(monkeypatch, restore_kernel_set, kernel_set):
    """conv_input_grad (a widening conv2d's dL/dx, a conv_transpose2d's forward) folds the
    columns of 4x4 images with col2im_images_last and those of 32x32 ones with col2im;
    forcing the other layout gives the same values."""
    kernels.use(kernel_set)
    rng = np.random.default_rng(1)
    folded = _record_calls(monkeypatch, ("col2im", "col2im_images_last"))  # the col2im form each call took
    for shape, form in (((32, 8, 4, 4), "col2im_images_last"), ((2, 8, 32, 32), "col2im")):
        x_np = rng.standard_normal(shape)
        w_np = rng.standard_normal((32, shape[1], 3, 3)) * 0.1  # 8 -> 32 channels: dL/dx by col2im
        g_np = rng.standard_normal((shape[0], 32, *shape[2:]))
        results = []
        for forced in (None, "images_first", "images_last"):
            folded.clear()
            with contextlib.nullcontext() if forced is None else columns_layout(forced):
                x = tge.tensor(x_np, requires_grad=True)
                (conv2d(x, tge.tensor(w_np), padding=1) * tge.tensor(g_np)).sum().backward()
                up = conv_transpose2d(tge.tensor(g_np), tge.tensor(w_np), stride=2, padding=1)
            if forced is None:
                assert folded and set(folded) == {form}, (shape, folded)
            results.append([x.grad.numpy(), up.numpy()])
        for by_rule, first, last in zip(*results):
            np.testing.assert_allclose(first, last, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(by_rule, last if form == "col2im_images_last" else first, rtol=0, atol=0)


def test_conv_transpose2d_output_size_and_checkerboard():
    # stride 2, kernel 3: the classic checkerboard - interior pixels get 1 or 2 (or 4) kernel hits
    y = tge.ones(1, 1, 4, 4)
    w = tge.ones(1, 1, 3, 3)
    out = conv_transpose2d(y, w, stride=2)
    assert out.shape == (1, 1, 9, 9)
    counts = out.cpu().numpy()[0, 0, 2:7, 2:7]
    assert set(np.unique(counts).tolist()) == {1.0, 2.0, 4.0}
    assert F.conv_transpose2d(tge.ones(2, 3, 16, 16), tge.ones(3, 5, 4, 4), stride=2, padding=1).shape == (2, 5, 32, 32)


def test_padding_same_and_valid_and_unbatched():
    x = tge.randn(2, 3, 7, 8, dtype=tge.float64, requires_grad=True)
    for k in (1, 2, 3, 4):
        w = tge.randn(4, 3, k, k, dtype=tge.float64, requires_grad=True)
        out = conv2d(x, w, padding="same")
        assert out.shape == (2, 4, 7, 8)
    assert gradcheck(lambda a, b: conv2d(a, b, padding="same", dilation=2), (tge.randn(1, 1, 5, 4, dtype=tge.float64, requires_grad=True),
                                                                              tge.randn(1, 1, 2, 3, dtype=tge.float64, requires_grad=True)))
    assert conv2d(x, tge.randn(4, 3, 3, 3, dtype=tge.float64), padding="valid").shape == (2, 4, 5, 6)
    assert conv2d(tge.randn(3, 7, 8), tge.randn(4, 3, 3, 3)).shape == (4, 5, 6)
    with pytest.raises(ValueError, match="strided"):
        conv2d(x, tge.randn(4, 3, 3, 3, dtype=tge.float64), padding="same", stride=2)


def test_conv1d_matches_conv2d_on_a_row():
    x = tge.randn(2, 3, 9, dtype=tge.float64, requires_grad=True)
    w = tge.randn(4, 3, 3, dtype=tge.float64, requires_grad=True)
    b = tge.randn(4, dtype=tge.float64, requires_grad=True)
    out = conv1d(x, w, b, stride=2, padding=1, dilation=2)
    ref = conv2d_loops(x.detach().cpu().numpy()[:, :, None], w.detach().cpu().numpy()[:, :, None], b.detach().cpu().numpy(), (1, 2), (0, 1), (1, 2), 1)
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref[:, :, 0], rtol=1e-12)
    assert gradcheck(lambda *t: conv1d(*t, stride=2, padding=1, dilation=2), (x, w, b))


def test_batch_slices_are_even_fit_the_budget_and_cover_the_batch():
    f32 = np.dtype(np.float32)
    # N=32, 64 channels, 3x3, 32x32 out: 2.25 MiB of columns per image, 72 MiB in all
    slices = conv_ops._batch_slices(32, 64 * 9, (32, 32), f32)
    sizes = [s.stop - s.start for s in slices]
    assert sum(sizes) == 32 and max(sizes) - min(sizes) <= 1
    per_image = 64 * 9 * 32 * 32 * 4
    assert max(sizes) * per_image <= max(conv_ops.COLUMN_BYTES, per_image)  # the budget, or one image if bigger
    with column_budget(8 * 2**20):  # 3 images fit: 11 even slices of 2 or 3
        sizes = [s.stop - s.start for s in conv_ops._batch_slices(32, 64 * 9, (32, 32), f32)]
        assert sum(sizes) == 32 and set(sizes) <= {2, 3} and len(sizes) == 11
    with column_budget(1):
        assert [(s.start, s.stop) for s in conv_ops._batch_slices(3, 1, (1, 1), f32)] == [(0, 1), (1, 2), (2, 3)]
    assert conv_ops._batch_slices(0, 9, (4, 4), f32) == [slice(0, 0)]


def test_scratch_starts_on_a_cache_line():
    # BLAS runs the forward product faster from 64-byte aligned columns (ops/scratch.py, ALIGN)
    for dtype in (np.float16, np.float32, np.float64, np.complex128):
        for per_image in (1, 7, 1000, 300_000):  # small blocks from malloc's heap, large ones from mmap
            buf = scratch.aligned(np, 3 * per_image, np.dtype(dtype))
            assert scratch.ALIGN == 64 and buf.ctypes.data % 64 == 0
            assert buf.shape == (3 * per_image,) and buf.dtype == dtype and buf.flags.c_contiguous


def test_row_bands_fit_the_budget_and_cover_the_rows():
    f32 = np.dtype(np.float32)
    # 64 channels, 3x3, 32x32 out: 2.25 MiB of columns per image, over the 1 MiB budget
    assert conv_ops.COLUMN_BYTES == 2**20
    bands = conv_ops._row_bands(np, 64 * 9, (32, 32), f32)
    assert [r0 for r0, _ in bands] == [0] + [r1 for _, r1 in bands[:-1]] and bands[-1][1] == 32  # in order, no gap
    sizes = [r1 - r0 for r0, r1 in bands]
    assert len(sizes) == 3 and max(sizes) - min(sizes) <= 1  # ceil(2.25) even bands of 10-11 rows
    assert max(sizes) * 64 * 9 * 32 * 4 <= conv_ops.COLUMN_BYTES
    assert conv_ops._row_bands(np, 32 * 9, (8, 8), f32) == [(0, 8)]  # one image fits: whole
    with column_budget(1):  # nothing fits: one row per band
        assert conv_ops._row_bands(np, 9, (5, 7), f32) == [(i, i + 1) for i in range(5)]

    cupy_like = types.SimpleNamespace(__name__="cupy")  # a GPU: whole images, no cache to fit
    assert conv_ops._row_bands(cupy_like, 64 * 9, (32, 32), f32) == [(0, 32)]


@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_in_bands_of_rows_equals_whole_images(stride, monkeypatch):
    # a 1 MiB budget puts these 2.25 MiB-per-image columns (32x32 out) in bands of rows
    # (the forward, and the backward's columns of g or of x); a huge budget builds them whole.
    # Stride 1 with 64 channels would take Winograd (ops/winograd.py) and no columns at all.
    monkeypatch.setattr(winograd, "ENABLED", False)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 64, 32 * stride, 32 * stride)).astype(np.float32)
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    results = []
    for budget in (2**20, 2**30):
        with column_budget(budget):
            xt, wt = tge.tensor(x, requires_grad=True), tge.tensor(w, requires_grad=True)
            out = conv2d(xt, wt, stride=stride, padding=1)
            (out * out).sum().backward()
            results.append([out.detach().cpu().numpy(), xt.grad.cpu().numpy(), wt.grad.cpu().numpy()])
    (out_b, gx_b, gw_b), (out_w, gx_w, gw_w) = results
    # each output pixel and input gradient is the same dot product of 576 terms either way,
    # but BLAS may add its terms in another order for a narrower product: OpenBLAS's Haswell
    # kernel (OPENBLAS_CORETYPE=Haswell) gave 3% of the outputs and 12% of the input
    # gradients other last bits, up to 5.4e-7 of the largest value (stride 2). A wrong band
    # is off by the size of the values themselves.
    for banded, whole in ((out_b, out_w), (gx_b, gx_w)):
        np.testing.assert_allclose(banded, whole, rtol=0, atol=1e-5 * np.abs(whole).max())
    # dW sums over pixels, band by band: float32 rounding of the other order only
    np.testing.assert_allclose(gw_b, gw_w, rtol=0, atol=1e-6 * np.abs(gw_w).max())


def test_outputs_take_one_product_per_image_and_large_images_their_weight_gradient_too(monkeypatch):
    """Images-first columns multiply the output one image at a time; outputs of
    DIRECT_PIXELS pixels or more the weight gradient too (whole images or bands of rows).
    Every layout gives the same float32 results, with a broadcast g (a .sum()) too."""
    calls = []
    per_image = conv_ops._per_image
    monkeypatch.setattr(conv_ops, "_per_image", lambda a, groups: calls.append(a.shape) or per_image(a, groups))
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    for hw in (32, 31):  # 1024 output pixels, 961
        calls.clear()
        x = tge.tensor(rng.standard_normal((2, 4, hw, hw)).astype(np.float32), requires_grad=True)
        conv2d(x, tge.tensor(w0, requires_grad=True), stride=1, padding=1, groups=2).sum().backward()
        # the forward's output; the backward's (a convolution of g) and, at 1024 pixels, x's rows for dW
        expected = [(2, 6, hw, hw), (2, 4, hw, hw)] + ([(2, 4, hw, hw)] if hw == 32 else [])
        assert calls == expected, (hw, calls)
    x0 = rng.standard_normal((3, 4, 20, 18)).astype(np.float32)
    for budget in (conv_ops.COLUMN_BYTES, 2**12):  # whole images; bands of a few rows
        results = {}
        for layout in ("images_first", "output_per_image", "per_image"):
            with column_budget(budget), columns_layout(layout):
                x, w = tge.tensor(x0, requires_grad=True), tge.tensor(w0, requires_grad=True)
                out = conv2d(x, w, stride=(1, 2), padding=1, groups=2)
                out.sum().backward()  # g broadcast from a scalar: strides 0
                x2 = tge.tensor(x0, requires_grad=True)
                (conv2d(x2, w.detach(), padding=1, groups=2) ** 2).sum().backward()  # the stride-1 route
                results[layout] = [out.detach().cpu().numpy(), x.grad.cpu().numpy(), w.grad.cpu().numpy(), x2.grad.cpu().numpy()]
        for wide, output, direct in zip(results["images_first"], results["output_per_image"], results["per_image"]):
            np.testing.assert_allclose(output, wide, rtol=1e-5, atol=1e-5 * np.abs(wide).max())
            np.testing.assert_allclose(direct, wide, rtol=1e-5, atol=1e-5 * np.abs(wide).max())


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("stride", [1, 2])
def test_a_broadcast_gradient_is_read_in_place_with_the_same_results(restore_kernel_set, kernel_set, layout, stride):
    # g of a .sum() is one value broadcast (strides 0): columns_products hands it to
    # im2col as it is (kernels.read_in_place) instead of copying it out first; the
    # products must be those of the same g made contiguous, bit for bit, whole images
    # or in bands of rows. Stride 2: conv_transpose2d's backward (4x4 windows); stride 1:
    # a stride-1 conv2d's backward from the columns of g (3x3), each its own compiled loop
    kernels.use(kernel_set)
    rng = np.random.default_rng(11)
    k = 4 if stride == 2 else 3
    weight = rng.standard_normal((6, 3, k, k)).astype(np.float32)  # a convolution of g: 6 outputs, 3 of its 6 channels a group
    y = rng.standard_normal((3, 6, 14 // stride, 12 // stride)).astype(np.float32)  # the columns' output size
    for small in ((1, 6, 1, 1), (1, 6, 14, 12)):  # a .sum()'s g; one broadcast over the batch
        g = np.broadcast_to(rng.standard_normal(small).astype(np.float32), (3, 6, 14, 12))
        assert kernels.read_in_place(g) and not g.flags.c_contiguous
        for budget in (conv_ops.COLUMN_BYTES, 2**10):
            with column_budget(budget), columns_layout(layout):
                args = ((k, k), (stride, stride), (1, 1), (1, 1), 2)
                got = conv_ops.columns_products(g, *args, weight=weight, grad=y)
                expected = conv_ops.columns_products(np.ascontiguousarray(g), *args, weight=weight, grad=y)
            for a, b in zip(got, expected):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
def test_one_image_per_slice_gives_the_same_float32_results(restore_kernel_set, kernel_set):
    kernels.use(kernel_set)
    rng = np.random.default_rng(7)
    x0, w0, y0 = rng.standard_normal((5, 4, 9, 8)), rng.standard_normal((6, 2, 3, 3)), rng.standard_normal((5, 6, 5, 4))
    results = []
    for budget in (conv_ops.COLUMN_BYTES, 1):
        with column_budget(budget):
            x, w, y = (tge.tensor(a.astype(np.float32), requires_grad=True) for a in (x0, w0, y0))
            (conv2d(x, w, stride=2, padding=1, groups=2) * 1.5).sum().backward()
            (conv_transpose2d(y, w, stride=2, padding=1, groups=2) ** 2).sum().backward()
            results.append([t.detach().cpu().numpy() for t in (x.grad, w.grad, y.grad, conv2d(x, w, padding=1, groups=2))])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_conv_errors_name_op_shapes_and_arguments():
    x = tge.randn(2, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"conv2d: input of shape \(2, 3, 5, 5\) has 3 channels.*\(4, 4, 3, 3\).*groups=1.*expects 4"):
        conv2d(tge.randn(2, 3, 5, 5), tge.randn(4, 4, 3, 3))
    with pytest.raises(RuntimeError, match="divisible by groups"):
        conv2d(x, tge.randn(4, 1, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"kernel height 7.*larger than the padded input height 5"):
        conv2d(x, tge.randn(4, 3, 7, 3))
    with pytest.raises(ValueError, match="padding must be >= 0"):
        conv2d(x, tge.randn(4, 3, 3, 3), padding=-1)
    with pytest.raises(RuntimeError, match=r"expected a 3-D \(C, H, W\) or 4-D"):
        conv2d(tge.randn(5, 5), tge.randn(4, 3, 3, 3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv2d(x, tge.randn(4, 3, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="zero or negative"):
        conv_transpose2d(tge.randn(1, 1, 1, 1), tge.randn(1, 1, 1, 1), padding=2)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        conv_transpose2d(tge.randn(1, 1, 3, 3), tge.randn(1, 1, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="bias"):
        conv2d(x, tge.randn(4, 3, 3, 3), tge.randn(5))


def test_the_output_goes_wide_where_onednn_takes_only_the_wide_product(monkeypatch):
    from tinygrad_edu.backends import mkldnn

    per_image = conv_ops._output_per_image
    small_cnn = (32 * 288 * 64, 11, 288)  # 32 -> 32 channels at 8x8: 0.59M multiply-adds an image, 11 images
    monkeypatch.setattr(mkldnn, "active", lambda: True)
    assert per_image(np, False, *small_cnn) is False  # one wide product for oneDNN, then its copy
    assert per_image(np, False, 32 * 9 * 1600, 16, 9) is True  # K = 9 (DnCNN's first layer): copying, per image
    assert per_image(np, False, 64 * 576 * 1024, 4, 576) is True  # each image's product is oneDNN's already
    assert per_image(np, False, 0, 32, 288) is True  # no output product (a weight gradient alone)
    assert per_image(np, True, *small_cnn) is False  # images-last columns are never per image
    monkeypatch.setattr(mkldnn, "active", lambda: False)
    assert per_image(np, False, *small_cnn) is True  # NumPy's products: per image, as before
