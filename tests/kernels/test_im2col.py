"""im2col / col2im, with the images first or last: the three forms agree, col2im is
im2col's adjoint, and conv2d = one (grouped) matmul over the columns."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu.kernels import unfold
from tinygrad_edu.kernels._numba import HAVE_NUMBA
from tinygrad_edu.kernels.sizes import output_size

from .checks import assert_forms_agree, forms, inner
from .strategies import conv_configs, images, kernel_settings


@kernel_settings
@given(conv_configs())
def test_im2col_forms_agree(cfg):
    cols = assert_forms_agree(unfold, "im2col", cfg.x, *cfg.args)
    n, c = cfg.x.shape[:2]
    oh, ow = unfold.conv_output_hw(cfg.x.shape[2:], cfg.kernel_size, cfg.stride, cfg.padding, cfg.dilation)
    assert cols.shape == (c, *cfg.kernel_size, n, oh, ow)


@kernel_settings
@given(conv_configs())
def test_im2col_images_last_forms_agree_and_are_im2col_with_the_images_moved_last(cfg):
    cols = assert_forms_agree(unfold, "im2col_images_last", cfg.x, *cfg.args)
    np.testing.assert_array_equal(cols, np.moveaxis(unfold.im2col_reference(cfg.x, *cfg.args), 3, 5))


@kernel_settings
@given(conv_configs())
def test_im2col_fills_every_entry_of_a_given_out_array(cfg):
    # ops/conv.py reuses one scratch buffer for every batch slice: whatever it held
    # before (NaN here), every entry, padding zeros included, must be written.
    for name in ("im2col", "im2col_images_last"):
        expected = getattr(unfold, f"{name}_reference")(cfg.x, *cfg.args)
        for im2col in forms(unfold, name):
            out = np.full(expected.shape, np.nan, dtype=expected.dtype)
            assert im2col(cfg.x, *cfg.args, out=out) is out, im2col.__name__
            np.testing.assert_array_equal(out, expected, err_msg=im2col.__name__)


@kernel_settings
@given(cfg=conv_configs(), data=st.data())
def test_im2col_of_a_band_of_rows_is_those_rows_of_the_columns(cfg, data):
    # ops/conv.py builds a large image's columns a band of output rows at a time
    full = unfold.im2col_reference(cfg.x, *cfg.args)
    oh = full.shape[4]
    start = data.draw(st.integers(0, oh - 1), label="start")
    stop = data.draw(st.integers(start + 1, oh), label="stop")
    for im2col in forms(unfold, "im2col"):
        band = im2col(cfg.x, *cfg.args, rows=(start, stop))
        np.testing.assert_array_equal(band, full[:, :, :, :, start:stop], err_msg=im2col.__name__)
        out = np.full(band.shape, np.nan, dtype=band.dtype)  # every entry written, padding included
        assert im2col(cfg.x, *cfg.args, out=out, rows=(start, stop)) is out
        np.testing.assert_array_equal(out, band, err_msg=im2col.__name__)
        np.testing.assert_array_equal(im2col(cfg.x, *cfg.args, rows=(np.int64(start), np.int64(stop))), band)


@pytest.mark.parametrize("rows", [(0, 0), (3, 2), (-1, 2), (0, 6), (5, 6), [1]])
def test_im2col_refuses_rows_outside_the_output(rows):
    x = np.zeros((1, 2, 5, 5), dtype=np.float32)  # 3x3, padding 1: 5 output rows
    for im2col in forms(unfold, "im2col"):
        with pytest.raises(ValueError, match=r"im2col: rows must be \(start, stop\) with 0 <= start < stop <= 5"):
            im2col(x, (3, 3), (1, 1), (1, 1), (1, 1), rows=rows)


@pytest.mark.parametrize("name, shape", [("im2col", (3, 3, 3, 2, 5, 5)), ("im2col_images_last", (3, 3, 3, 5, 5, 2))])
def test_im2col_refuses_an_out_array_it_cannot_fill(name, shape):
    x = np.zeros((2, 3, 5, 5), dtype=np.float32)
    args = ((3, 3), (1, 1), (1, 1), (1, 1))
    bad = [
        np.empty(shape[:-1] + (4,), np.float32),  # wrong shape
        np.empty(shape, np.float64),  # wrong dtype
        np.empty(shape[::-1], np.float32).T,  # right shape and dtype, not C-contiguous
    ]
    expected = str(shape).replace("(", r"\(").replace(")", r"\)")
    for im2col in forms(unfold, name):
        for out in bad:
            with pytest.raises(ValueError, match=rf"im2col: out must be a C-contiguous float32 array of shape {expected}"):
                im2col(x, *args, out=out)


@kernel_settings
@given(conv_configs(), st.data())
def test_col2im_forms_agree(cfg, data):
    cols_shape = unfold.im2col_reference(cfg.x, *cfg.args).shape
    cols = data.draw(images(cols_shape, cfg.x.dtype))
    assert_forms_agree(unfold, "col2im", cols, cfg.x.shape, *cfg.args)


@kernel_settings
@given(conv_configs(), st.data())
def test_col2im_images_last_forms_agree(cfg, data):
    # the reference is col2im_reference of the columns with the images moved back
    cols = data.draw(images(unfold.im2col_images_last_reference(cfg.x, *cfg.args).shape, cfg.x.dtype))
    assert_forms_agree(unfold, "col2im_images_last", cols, cfg.x.shape, *cfg.args)


@kernel_settings
@given(conv_configs(), st.data())
def test_col2im_writes_every_pixel_of_a_given_out_array(cfg, data):
    # ops/conv.py has col2im write each batch slice straight into the gradient, which
    # starts as np.empty (NaN here): every pixel must be written, not added to.
    for name in ("col2im", "col2im_images_last"):
        cols_shape = getattr(unfold, name.replace("col2im", "im2col") + "_reference")(cfg.x, *cfg.args).shape
        cols = data.draw(images(cols_shape, cfg.x.dtype))
        expected = getattr(unfold, f"{name}_reference")(cols, cfg.x.shape, *cfg.args)
        for col2im in forms(unfold, name):
            out = np.full(cfg.x.shape, np.nan, dtype=cfg.x.dtype)
            assert col2im(cols, cfg.x.shape, *cfg.args, out=out) is out, col2im.__name__
            np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5, err_msg=col2im.__name__)


@pytest.mark.parametrize("name, shape", [("col2im", (3, 3, 3, 2, 5, 5)), ("col2im_images_last", (3, 3, 3, 5, 5, 2))])
def test_col2im_refuses_an_out_array_it_cannot_fill(name, shape):
    cols = np.zeros(shape, np.float32)  # 2 images of 3 channels, 5x5, 3x3 windows, padding 1
    args = ((2, 3, 5, 5), (3, 3), (1, 1), (1, 1), (1, 1))
    bad = [np.empty((2, 3, 5, 4), np.float32), np.empty((2, 3, 5, 5), np.float64), np.empty((5, 5, 3, 2), np.float32).T]
    for col2im in forms(unfold, name):
        for out in bad:
            with pytest.raises(ValueError, match=rf"{name}: out must be a C-contiguous float32 array of shape \(2, 3, 5, 5\)"):
                col2im(cols, *args, out=out)


@kernel_settings
@given(conv_configs(), st.lists(st.booleans(), min_size=4, max_size=4))
def test_a_broadcast_or_strided_input_gives_the_columns_of_its_values(cfg, kept):
    # The compiled loops read a broadcast input (a zero stride, as the gradient of a
    # .sum()) in place and copy any other strided one (unfold.read_in_place); every form
    # must give the columns of the same values as a C-contiguous array.
    small = cfg.x[tuple(slice(None) if keep else slice(0, 1) for keep in kept)]
    broadcast = np.broadcast_to(small, cfg.x.shape)  # strides 0 along the dims not kept
    channels_last = np.ascontiguousarray(cfg.x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert unfold.read_in_place(broadcast)
    assert unfold.read_in_place(channels_last) == channels_last.flags.c_contiguous  # copied unless trivially so
    for x in (broadcast, channels_last):
        plain = np.ascontiguousarray(x)
        for name in ("im2col", "im2col_images_last"):
            expected = getattr(unfold, f"{name}_reference")(plain, *cfg.args)
            for im2col in forms(unfold, name):
                np.testing.assert_array_equal(im2col(x, *cfg.args), expected, err_msg=im2col.__name__)


@kernel_settings
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(1, 2), st.data())
def test_strided_windows_agree_with_the_reference_on_larger_images(stride, kernel_scale, padding, dilation, data):
    # The compiled loops split the padded image into stride x stride phases (kernels/unfold.py);
    # conv_configs' images are small, so here rows of 9-21 pixels, uneven in both directions.
    k = (kernel_scale + 1, 2 * kernel_scale)
    hw = (data.draw(st.integers(9, 21), label="h"), data.draw(st.integers(9, 21), label="w"))
    p = (padding, min(padding, 1))
    x = data.draw(images((2, 3, *hw), np.float32))
    args = (k, (stride, stride + 1 if stride < 3 else 1), p, (dilation, 1))
    cols = assert_forms_agree(unfold, "im2col", x, *args)
    assert_forms_agree(unfold, "col2im", data.draw(images(cols.shape, np.float32)), x.shape, *args)


# Strided windows whose phase columns hold at most OW image columns each take the compiled
# loops' flat form (kernels/unfold.py: each phase stored with rows of OW entries); the
# others the general strided loops. Both must give the reference's columns and image.
@pytest.mark.parametrize(
    "w, kernel, stride, padding, fits",
    [
        (32, 4, 2, 1, True),  # ConvTranspose2d's 4x4 windows at stride 2: 16 image columns a phase, 16 output
        (32, 3, 2, 1, True),  # a 3x3 stride-2 "same" convolution
        (32, 2, 2, 0, True),  # 2x2 windows at stride 2
        (9, 3, 3, 0, True),  # 3 image columns a phase, 3 output columns
        (32, 5, 2, 1, False),  # 5x5 windows, padding 1: 16 image columns a phase, 15 output columns
        (32, 3, 2, 0, False),  # no padding: 16 image columns a phase, 15 output columns
    ],
)
def test_the_phases_fit_in_rows_of_ow_entries_when_no_phase_column_holds_more(w, kernel, stride, padding, fits):
    assert unfold._phases_fit(w, output_size(w, kernel, stride, padding, 1), stride) is fits


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled loops need Numba")
@pytest.mark.parametrize(
    "stride, padding, im2col_loops, col2im_loops",
    [
        ((2, 2), (1, 1), "_im2col_flat_loops", "_col2im_flat_loops"),
        ((2, 2), (0, 0), "_im2col_loops", "_col2im_loops"),  # 16 image columns a phase, 15 output columns
        ((2, 1), (1, 1), "_im2col_flat_loops", "_col2im_flat_loops"),  # strided rows, 32 output columns
        ((1, 1), (1, 1), "_im2col_stride1_loops", "_col2im_loops"),
    ],
)
def test_the_compiled_forms_take_the_flat_loops_where_the_phases_fit(
    monkeypatch, stride, padding, im2col_loops, col2im_loops
):
    calls = []
    for name in ("_im2col_flat_loops", "_im2col_loops", "_im2col_stride1_loops", "_col2im_flat_loops", "_col2im_loops"):
        loops = getattr(unfold, name)
        monkeypatch.setattr(unfold, name, lambda *args, name=name, loops=loops: (calls.append(name), loops(*args)))
    x = np.random.default_rng(0).standard_normal((1, 2, 32, 32)).astype(np.float32)
    args = ((3, 3), stride, padding, (1, 1))
    cols = unfold.im2col_numba(x, *args)
    np.testing.assert_array_equal(cols, unfold.im2col_reference(x, *args))
    image = unfold.col2im_numba(cols, x.shape, *args)
    np.testing.assert_allclose(image, unfold.col2im_reference(cols, x.shape, *args), rtol=1e-5, atol=1e-5)
    assert calls == [im2col_loops, col2im_loops]


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled loops need Numba")
@kernel_settings
@given(st.booleans(), st.integers(2, 3), st.integers(1, 5), st.integers(0, 3), st.integers(1, 2), st.data())
def test_the_flat_and_the_general_strided_loops_agree_with_the_reference(fits, stride, kw, padding, dilation, data):
    # Rows of 4-24 pixels, column strides 2 and 3, any row stride, the phases fitting or
    # not (hypothesis draws both); an out array of NaN, every entry of which must be
    # written; a band of rows; a broadcast input (a .sum()'s gradient), read in place.
    w = data.draw(st.integers(max(4, dilation * (kw - 1) + 1 - 2 * padding), 24), label="w")
    ow = output_size(w, kw, stride, padding, dilation)
    assume(unfold._phases_fit(w, ow, stride) is fits)
    kh, sh = data.draw(st.integers(1, 4), label="kh"), data.draw(st.integers(1, 3), label="sh")
    h = data.draw(st.integers(max(1, kh - 1), 12), label="h")
    args = ((kh, kw), (sh, stride), (1, padding), (1, dilation))
    x = data.draw(images((2, 3, h, w), np.float32))
    expected = unfold.im2col_reference(x, *args)
    out = np.full(expected.shape, np.nan, dtype=np.float32)
    np.testing.assert_array_equal(unfold.im2col_numba(x, *args, out=out), expected)
    oh = expected.shape[4]
    start = data.draw(st.integers(0, oh - 1), label="start")
    stop = data.draw(st.integers(start + 1, oh), label="stop")
    band = unfold.im2col_numba(x, *args, rows=(start, stop))
    np.testing.assert_array_equal(band, expected[:, :, :, :, start:stop])
    broadcast = np.broadcast_to(x[:1, :1], x.shape)
    plain = np.ascontiguousarray(broadcast)
    np.testing.assert_array_equal(unfold.im2col_numba(broadcast, *args), unfold.im2col_reference(plain, *args))
    cols = data.draw(images(expected.shape, np.float32), label="cols")
    image = np.full(x.shape, np.nan, dtype=np.float32)
    unfold.col2im_numba(cols, x.shape, *args, out=image)
    np.testing.assert_allclose(image, unfold.col2im_reference(cols, x.shape, *args), rtol=2e-5, atol=2e-5)


@kernel_settings
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 3), st.integers(1, 2), st.data())
def test_stride_one_windows_agree_with_the_reference_on_larger_images(kh, kw, padding, dilation, data):
    # Stride 1 takes its own compiled loop (shifted copies of the image, kernels/unfold.py),
    # and the images-last loops (im2col's and col2im's) a contiguous run per window row;
    # conv_configs draws stride (1, 1) in one case of nine, on small images. Here rows of
    # 9-21 pixels, padding up to 3 (beyond a small kernel's reach: whole rows of zeros), a
    # band of rows, and an out array holding NaN, which every entry must overwrite.
    hw = (data.draw(st.integers(9, 21), label="h"), data.draw(st.integers(9, 21), label="w"))
    x = data.draw(images((2, 3, *hw), np.float32))
    args = ((kh, kw), (1, 1), (padding, max(0, padding - 1)), (dilation, 3 - dilation))
    cols = assert_forms_agree(unfold, "im2col", x, *args)
    oh = cols.shape[4]
    start = data.draw(st.integers(0, oh - 1), label="start")
    stop = data.draw(st.integers(start + 1, oh), label="stop")
    expected = {"im2col": cols[:, :, :, :, start:stop], "im2col_images_last": np.moveaxis(cols, 3, 5)}
    for name, band in expected.items():
        for im2col in forms(unfold, name):
            out = np.full(band.shape, np.nan, dtype=np.float32)
            rows = {"rows": (start, stop)} if name == "im2col" else {}
            im2col(x, *args, out=out, **rows)
            np.testing.assert_array_equal(out, band, err_msg=im2col.__name__)
    # and their adjoints, col2im with the images first and last
    dcols = data.draw(images(cols.shape, np.float32), label="dcols")
    assert_forms_agree(unfold, "col2im", dcols, x.shape, *args)
    assert_forms_agree(unfold, "col2im_images_last", np.moveaxis(dcols, 3, 5), x.shape, *args)


@kernel_settings
@given(conv_configs(dtype=np.float64), st.data())
def test_col2im_is_the_adjoint_of_im2col(cfg, data):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: col2im is im2col transposed.
    cols_shape = unfold.im2col_reference(cfg.x, *cfg.args).shape
    c = data.draw(images(cols_shape, np.float64))
    for im2col, col2im in zip(forms(unfold, "im2col"), forms(unfold, "col2im")):
        lhs = inner(im2col(cfg.x, *cfg.args), c)
        rhs = inner(cfg.x, col2im(c, cfg.x.shape, *cfg.args))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), (im2col.__name__, lhs, rhs)
    c_last = np.ascontiguousarray(np.moveaxis(c, 3, 5))  # the same columns, images last
    for im2col, col2im in zip(forms(unfold, "im2col_images_last"), forms(unfold, "col2im_images_last")):
        lhs = inner(im2col(cfg.x, *cfg.args), c_last)
        rhs = inner(cfg.x, col2im(c_last, cfg.x.shape, *cfg.args))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), (im2col.__name__, lhs, rhs)


def conv2d_direct(x, weight, stride, padding, dilation, groups):
    """Convolution (cross-correlation, as PyTorch) by its definition, for the test."""
    n, c, h, w = x.shape
    oc, cg, kh, kw = weight.shape
    oh, ow = unfold.conv_output_hw((h, w), (kh, kw), stride, padding, dilation)
    out = np.zeros((n, oc, oh, ow))
    per_group = oc // groups
    for b, o, oy, ox in np.ndindex(out.shape):
        g = o // per_group
        for ci, i, j in np.ndindex(cg, kh, kw):
            row = oy * stride[0] - padding[0] + i * dilation[0]
            col = ox * stride[1] - padding[1] + j * dilation[1]
            if 0 <= row < h and 0 <= col < w:
                out[b, o, oy, ox] += weight[o, ci, i, j] * x[b, g * cg + ci, row, col]
    return out


@kernel_settings
@given(st.data())
def test_conv2d_is_one_grouped_matmul_over_im2col(data):
    groups = data.draw(st.integers(1, 3))
    cfg = data.draw(conv_configs(dtype=np.float64, channels=groups * data.draw(st.integers(1, 2))))
    n, c = cfg.x.shape[:2]
    out_per_group = data.draw(st.integers(1, 2))
    weight = data.draw(images((groups * out_per_group, c // groups, *cfg.kernel_size), np.float64))
    cols = unfold.im2col(cfg.x, *cfg.args)
    oh, ow = cols.shape[-2:]
    # The K-major layout (C, kh, kw, N, OH, OW) is a (K, N*OH*OW) matrix, and splits C
    # into (G, C/G) by a reshape, no copy: one matrix product per group for the batch.
    out = weight.reshape(groups, out_per_group, -1) @ cols.reshape(groups, -1, n * oh * ow)
    out = out.reshape(groups * out_per_group, n, oh, ow).transpose(1, 0, 2, 3)
    expected = conv2d_direct(cfg.x, weight, cfg.stride, cfg.padding, cfg.dilation, groups)
    np.testing.assert_allclose(out, expected, atol=1e-12)


@pytest.mark.parametrize(
    "size, kernel, stride, padding, dilation, ceil_mode, expected",
    [
        (32, 3, 1, 1, 1, False, 32),  # 'same' convolution
        (32, 2, 2, 0, 1, False, 16),  # 2x2 pooling
        (7, 3, 2, 0, 1, False, 3),
        (7, 3, 2, 0, 1, True, 3),  # (7 - 3) / 2 divides evenly: ceil changes nothing
        (6, 3, 2, 0, 1, True, 3),  # floor(1.5) + 1 = 2, ceil gives 3
        (5, 2, 2, 1, 1, True, 3),  # ceil would give 4, but that window starts in the right padding
        (7, 3, 1, 0, 2, False, 3),  # dilation 2: the window spans 5 pixels
        (1, 1, 3, 0, 1, True, 1),
    ],
)
def test_output_size_follows_pytorch(size, kernel, stride, padding, dilation, ceil_mode, expected):
    assert output_size(size, kernel, stride, padding, dilation, ceil_mode) == expected


def test_output_size_rejects_a_window_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="window spans 5 pixels"):
        output_size(3, 3, 1, 0, dilation=2)
