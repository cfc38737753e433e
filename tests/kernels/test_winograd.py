"""Winograd F(2x2, 3x3) and F(4x4, 3x3) tile transforms: the three forms agree (in both
numberings of the tiles, with the padding the tile transforms do themselves), each adjoint
is the transpose of its transform, and the transforms with the products are a 3x3
convolution."""
import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import winograd

from .checks import assert_close, forms, inner
from .strategies import FLOAT_DTYPES, images, kernel_settings

ALL_FORMS = ("reference", "vectorised", "numba")


def _form(name, which):
    return getattr(winograd, name if which == "vectorised" else f"{name}_{which}")


@contextlib.contextmanager
def images_inner_min(value):
    """Run with ``winograd.IMAGES_INNER_MIN`` set to ``value`` (1: every F(4x4) call on
    short rows numbers its tiles images innermost, whatever its number of images)."""
    saved = winograd.IMAGES_INNER_MIN
    winograd.IMAGES_INNER_MIN = value
    try:
        yield
    finally:
        winograd.IMAGES_INNER_MIN = saved


@st.composite
def geometries(draw):
    """(N, C, OC, H, W, padding, images, m, inner_min): odd and even sizes, padding 0-2, one
    tile up to several (with edges the blocks cut; rows of up to 5 tiles of 4, so both ways
    of ``_tiles4_loops``), a range of the batch's images, the block size m, and
    IMAGES_INNER_MIN as it is or 1 (so the images-innermost numbering and loops too)."""
    n = draw(st.integers(1, 3))
    start = draw(st.integers(0, n - 1))
    stop = draw(st.integers(start + 1, n))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, 3 - 2 * padding[0]), 10 + 2 - 2 * padding[0]))
    w = draw(st.integers(max(1, 3 - 2 * padding[1]), 20 + 2 - 2 * padding[1]))
    return (n, draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w, padding, (start, stop),
            draw(st.sampled_from([2, 4])), draw(st.sampled_from([1, winograd.IMAGES_INNER_MIN])))


def _arrays(draw, g):
    n, c, oc, h, w, padding, (a, b), m, _ = g
    oh, ow = h + 2 * padding[0] - 2, w + 2 * padding[1] - 2
    th, tw = winograd.tile_grid((oh, ow), m)
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    p, count = (b - a) * th * tw, (m + 2) ** 2
    return dict(
        x=draw(images((n, c, h, w), dtype)), m=draw(images((count, oc, p), dtype)),
        g=draw(images((n, oc, oh, ow), dtype)), dv=draw(images((count, c, p), dtype)), dtype=dtype, p=p, count=count,
        out_hw=(oh, ow),
    )


def _run_all(name, arg, out_like, extra, fill):
    """Every form of ``name`` on ``arg`` and ``extra`` (images, m[, padding]), each into its
    own ``out`` (``fill`` first, to see what a kernel leaves alone), checked equal to the
    reference's; returns the reference's result."""
    results = {}
    for kernel in [_form(name, "reference")] + forms(winograd, name):
        out = np.full(out_like.shape, fill, dtype=out_like.dtype)
        assert kernel(arg, out, *extra) is out, kernel.__name__
        results[kernel.__name__] = out
    expected = results[f"{name}_reference"]
    for who, out in results.items():
        assert_close(out, expected, who)
    return expected


@kernel_settings
@given(data=st.data(), g=geometries())
def test_the_four_transforms_agree_in_all_forms(data, g):
    n, c, oc, h, w, padding, images_range, m, inner_min = g
    a = _arrays(data.draw, g)
    dt = a["dtype"]
    start, stop = images_range
    with images_inner_min(inner_min):
        _run_all("winograd_tiles", a["x"], np.empty((a["count"], c, a["p"]), dt), (images_range, m, padding), np.nan)
        _run_all("winograd_untile_adjoint", a["g"], np.empty((a["count"], oc, a["p"]), dt), (images_range, m), np.nan)
        back = _run_all("winograd_tiles_adjoint", a["dv"], np.empty((n, c, h, w), dt), (images_range, m, padding), 1.5)
        assert not (back[start:stop] == 1.5).all()
        assert (np.delete(back, np.s_[start:stop], axis=0) == 1.5).all()  # the other images untouched
        # untile writes only the images in range: the others keep what they held
        out = _run_all("winograd_untile", a["m"], np.empty((n, oc) + a["out_hw"], dt), (images_range, m), np.nan)
    assert not np.isnan(out[start:stop]).any()
    assert np.isnan(np.delete(out, np.s_[start:stop], axis=0)).all()


@pytest.mark.parametrize("tiles_per_row, count", [(2, 2), (3, 2), (4, 2), (6, 2), (2, 8), (3, 9)])
def test_the_tile_transform_is_exact_on_integers_tile_by_tile_by_bands_and_images_innermost(tiles_per_row, count):
    """F(4x4)'s compiled tile transform takes rows of 4 tiles or more a band at a time,
    shorter ones tile by tile, or, for IMAGES_INNER_MIN images or more, all the images of
    a tile position at once; on small integers (exact in float64) each gives the
    reference's values exactly."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(tiles_per_row)
    x = rng.integers(-8, 9, size=(count, 3, 4 * 3, 4 * tiles_per_row)).astype(np.float64)
    p = count * 3 * tiles_per_row
    expected = winograd.winograd_tiles_reference(x, np.empty((36, 3, p)), (0, count), 4, (1, 1))
    got = winograd.winograd_tiles_numba(x, np.full((36, 3, p), np.nan), (0, count), 4, (1, 1))
    np.testing.assert_array_equal(got, expected)


def test_the_two_numberings_of_the_tiles():
    """Images innermost exactly where ``images_inner`` says (F(4x4), short rows, enough
    images), and the same tiles as image by image, in the order ``tile_number`` gives."""
    most = winograd.IMAGES_INNER_MIN
    assert winograd.images_inner(4, (2, 2), (0, most))
    assert winograd.images_inner(4, (5, winograd.BAND_TILES - 1), (3, 3 + most))
    assert not winograd.images_inner(4, (2, 2), (0, most - 1))  # too few images
    assert not winograd.images_inner(4, (2, winograd.BAND_TILES), (0, most))  # rows long enough for bands
    assert not winograd.images_inner(2, (2, 2), (0, most))  # F(2x2): always image by image
    assert winograd.tile_number(1, 0, 1, 3, (2, 2), inner=False) == 5
    assert winograd.tile_number(1, 0, 1, 3, (2, 2), inner=True) == 4
    rng = np.random.default_rng(4)
    x = rng.standard_normal((most, 2, 7, 6))
    tiles, p = (2, 2), most * 4
    for which in ALL_FORMS:
        if which == "numba" and not forms(winograd, "winograd_tiles")[1:]:
            continue
        inner_v = _form("winograd_tiles", which)(x, np.empty((36, 2, p)), (0, most), 4, (1, 1))
        with images_inner_min(most + 1):  # the same call, image by image
            by_image = _form("winograd_tiles", which)(x, np.empty((36, 2, p)), (0, most), 4, (1, 1))
        for i in range(most):
            for ty in range(2):
                for tx in range(2):
                    np.testing.assert_allclose(inner_v[:, :, winograd.tile_number(i, ty, tx, most, tiles, True)],
                                               by_image[:, :, winograd.tile_number(i, ty, tx, most, tiles, False)],
                                               rtol=1e-13, atol=1e-13, err_msg=which)


def test_the_compiled_forms_take_transformed_arrays_of_any_strides():
    """The images-innermost loops read and write the transformed array as one flat run of
    memory (``_flat``); arrays whose tiles are not contiguous go through a copy, with
    the same results, and the written ones get them."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(6)
    x, g = rng.standard_normal((9, 2, 8, 8)), rng.standard_normal((9, 3, 8, 8))
    p = 9 * 4
    assert winograd.images_inner(4, (2, 2), (0, 9))
    for name, arg, rows in (("winograd_tiles", x, 2), ("winograd_untile_adjoint", g, 3)):
        extra = ((0, 9), 4, (1, 1)) if name == "winograd_tiles" else ((0, 9), 4)
        expected = _form(name, "reference")(arg, np.empty((36, rows, p)), *extra)
        strided = np.full((36, rows, 2 * p), np.nan)[:, :, ::2]  # every other tile
        assert _form(name, "numba")(arg, strided, *extra) is strided
        np.testing.assert_allclose(strided, expected, rtol=1e-13, atol=1e-13)
    mt, dv = rng.standard_normal((36, 4 * p))[:, ::4].reshape(36, 1, p), rng.standard_normal((36, 2, 3 * p))[:, :, ::3]
    expected = winograd.winograd_untile_reference(mt, np.empty((9, 1, 8, 8)), (0, 9), 4)
    np.testing.assert_allclose(winograd.winograd_untile_numba(mt, np.empty((9, 1, 8, 8)), (0, 9), 4), expected,
                               rtol=1e-13, atol=1e-13)
    expected = winograd.winograd_tiles_adjoint_reference(dv, np.empty((9, 2, 8, 8)), (0, 9), 4, (1, 1))
    np.testing.assert_allclose(winograd.winograd_tiles_adjoint_numba(dv, np.empty((9, 2, 8, 8)), (0, 9), 4, (1, 1)),
                               expected, rtol=1e-13, atol=1e-13)


@kernel_settings
@given(data=st.data(), g=geometries())
def test_each_adjoint_is_the_transpose_of_its_transform(data, g):
    """<T(a), b> == <a, T*(b)> for T = tiles (of the padded images in range) and T = untile,
    with every form of T*."""
    n, c, oc, h, w, padding, images_range, m, inner_min = g
    a = _arrays(data.draw, g)
    dt = np.float64
    x, dv, mt, grad = (a[k].astype(dt) for k in ("x", "dv", "m", "g"))
    start, stop = images_range
    with images_inner_min(inner_min):
        v = winograd.winograd_tiles_reference(x, np.empty((a["count"], c, a["p"]), dt), images_range, m, padding)
        y = np.zeros((n, oc) + a["out_hw"], dt)
        winograd.winograd_untile_reference(mt, y, images_range, m)
        for kernel in [winograd.winograd_tiles_adjoint_reference] + forms(winograd, "winograd_tiles_adjoint"):
            back = kernel(dv, np.zeros_like(x), images_range, m, padding)
            assert abs(inner(v, dv) - inner(x[start:stop], back[start:stop])) <= 1e-10 * (1 + abs(inner(v, dv))), \
                kernel.__name__
        for kernel in [winograd.winograd_untile_adjoint_reference] + forms(winograd, "winograd_untile_adjoint"):
            back = kernel(grad, np.empty((a["count"], oc, a["p"]), dt), images_range, m)
            assert abs(inner(y, grad) - inner(mt, back)) <= 1e-10 * (1 + abs(inner(y, grad))), kernel.__name__


@pytest.mark.parametrize("m, n", [(2, 2), (4, 2), (4, winograd.IMAGES_INNER_MIN)])
def test_the_transforms_and_products_are_a_3x3_convolution(m, n):
    """untile(U @ tiles(x, padding)) == the 3x3 convolution of x with that padding, U = G w
    G^T (the algorithm itself), in either numbering of the tiles."""
    rng = np.random.default_rng(0)
    c, oc, h, w = 3, 4, 7, 10
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((oc, c, 3, 3))
    oh, ow = h, w  # padding 1
    th, tw = winograd.tile_grid((oh, ow), m)
    g = winograd.matrices(m)[1]
    u = np.einsum("ai,ocij,bj->aboc", g, wt, g).reshape((m + 2) ** 2, oc, c)
    v = winograd.winograd_tiles_reference(x, np.empty(((m + 2) ** 2, c, n * th * tw)), (0, n), m, (1, 1))
    out = winograd.winograd_untile_reference(u @ v, np.empty((n, oc, oh, ow)), (0, n), m)
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    direct = np.zeros((n, oc, oh, ow))
    for i in range(3):
        for j in range(3):
            direct += np.einsum("oc,nchw->nohw", wt[:, :, i, j], xpad[:, :, i : i + oh, j : j + ow])
    np.testing.assert_allclose(out, direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ALL_FORMS)
def test_the_transforms_refuse_images_outside_the_batch_a_wrong_tile_count_or_bad_padding(which):
    if which == "numba" and not forms(winograd, "winograd_tiles")[1:]:
        pytest.skip("Numba is not installed")
    x = np.zeros((2, 1, 4, 4))  # padding 1: 2x2 tiles an image (m = 2)
    tiles = _form("winograd_tiles", which)
    with pytest.raises(ValueError, match=r"winograd_tiles: images must be \(start, stop\) with 0 <= start < stop <= 2, got \(1, 3\)"):
        tiles(x, np.empty((16, 1, 8)), (1, 3), 2, (1, 1))
    with pytest.raises(ValueError, match="winograd_tiles: the transformed array has 8 tiles, but images .* have 4"):
        tiles(x, np.empty((16, 1, 8)), (1, 2), 2, (1, 1))
    with pytest.raises(ValueError, match=r"winograd_tiles: an input of 1x4 padded by \(0, 1\) is smaller than the 3x3 kernel"):
        tiles(np.zeros((2, 1, 1, 4)), np.empty((16, 1, 8)), (0, 2), 2, (0, 1))
    with pytest.raises(ValueError, match=r"winograd_tiles: padding must be two integers >= 0 \(rows, columns\), got \(1, -1\)"):
        tiles(x, np.empty((16, 1, 8)), (0, 2), 2, (1, -1))
    with pytest.raises(ValueError, match=r"winograd_tiles: F\(4x4, 3x3\) has 36 positions per tile, got an array of shape \(16, 1, 2\)"):
        tiles(x, np.empty((16, 1, 2)), (0, 2), 4, (1, 1))  # 4x4 is one 4x4 tile an image
    with pytest.raises(ValueError, match="winograd_tiles: the output block size m must be 2 or 4"):
        tiles(x, np.empty((16, 1, 2)), (0, 2), 3, (1, 1))
    back = _form("winograd_tiles_adjoint", which)
    with pytest.raises(ValueError, match="winograd_tiles_adjoint: the transformed array has 4 tiles, but images .* have 8"):
        back(np.zeros((16, 1, 4)), np.empty((2, 1, 4, 4)), (0, 2), 2, (1, 1))
    untile = _form("winograd_untile", which)
    with pytest.raises(ValueError, match="winograd_untile: the transformed array has 3 tiles"):
        untile(np.zeros((16, 1, 3)), np.empty((1, 1, 4, 4)), (0, 1), 2)


def test_the_numba_forms_refuse_cupy_like_arrays():
    if not forms(winograd, "winograd_tiles")[1:]:
        pytest.skip("Numba is not installed")

    class NotNumpy:
        pass

    with pytest.raises(TypeError, match="winograd_tiles_numba: the Numba kernels take NumPy arrays only"):
        winograd.winograd_tiles_numba(NotNumpy(), np.empty((16, 1, 1)), (0, 1), 2, (1, 1))
