"""Winograd F(2x2, 3x3) and F(4x4, 3x3) tile transforms: the three forms agree, each
adjoint is the transpose of its transform, and the transforms with the products are a 3x3
convolution."""
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


@st.composite
def geometries(draw):
    """(N, C, OC, OH, OW, images, m): odd and even output sizes, one tile up to several
    (with edges the blocks cut; rows of up to 5 tiles of 4, so both ways of
    ``_tiles4_loops``), a range of the batch's images, and the block size m."""
    n = draw(st.integers(1, 3))
    start = draw(st.integers(0, n - 1))
    stop = draw(st.integers(start + 1, n))
    return (n, draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 10)), draw(st.integers(1, 20)),
            (start, stop), draw(st.sampled_from([2, 4])))


def _arrays(draw, g):
    n, c, oc, oh, ow, (a, b), m = g
    th, tw = winograd.tile_grid((oh, ow), m)
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    p, count = (b - a) * th * tw, (m + 2) ** 2
    return dict(
        xpad=draw(images((n, c, m * th + 2, m * tw + 2), dtype)), m=draw(images((count, oc, p), dtype)),
        g=draw(images((n, oc, oh, ow), dtype)), dv=draw(images((count, c, p), dtype)), dtype=dtype, p=p, count=count,
    )


def _run_all(name, arg, out_like, images_range, m, fill):
    """Every form of ``name`` on ``arg``, each into its own ``out`` (``fill`` first: NaN
    for a kernel that writes every element, 1.5 for the one that adds into it), checked
    equal to the reference's; returns the reference's result."""
    results = {}
    for kernel in [_form(name, "reference")] + forms(winograd, name):
        out = np.full(out_like.shape, fill, dtype=out_like.dtype)
        assert kernel(arg, out, images_range, m) is out, kernel.__name__
        results[kernel.__name__] = out
    expected = results[f"{name}_reference"]
    for who, out in results.items():
        assert_close(out, expected, who)
    return expected


@kernel_settings
@given(data=st.data(), g=geometries())
def test_the_four_transforms_agree_in_all_forms(data, g):
    n, c, oc, oh, ow, images_range, m = g
    a = _arrays(data.draw, g)
    dt = a["dtype"]
    _run_all("winograd_tiles", a["xpad"], np.empty((a["count"], c, a["p"]), dt), images_range, m, np.nan)
    _run_all("winograd_untile_adjoint", a["g"], np.empty((a["count"], oc, a["p"]), dt), images_range, m, np.nan)
    added = _run_all("winograd_tiles_adjoint", a["dv"], np.empty(a["xpad"].shape, dt), images_range, m, 1.5)
    start, stop = images_range
    assert (np.delete(added, np.s_[start:stop], axis=0) == 1.5).all()  # the other images untouched
    # untile writes only the images in range: the others keep what they held
    out = _run_all("winograd_untile", a["m"], np.empty((n, oc, oh, ow), dt), images_range, m, np.nan)
    assert not np.isnan(out[start:stop]).any()
    assert np.isnan(np.delete(out, np.s_[start:stop], axis=0)).all()


@pytest.mark.parametrize("tiles_per_row", [2, 3, 4, 6])
def test_the_tile_transform_is_exact_on_integers_tile_by_tile_and_by_bands(tiles_per_row):
    """F(4x4)'s compiled tile transform takes rows of 4 tiles or more a band at a time and
    shorter ones tile by tile; on small integers (exact in float64) both give the
    reference's values exactly."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(tiles_per_row)
    xpad = rng.integers(-8, 9, size=(2, 3, 4 * 3 + 2, 4 * tiles_per_row + 2)).astype(np.float64)
    p = 2 * 3 * tiles_per_row
    expected = winograd.winograd_tiles_reference(xpad, np.empty((36, 3, p)), (0, 2), 4)
    got = winograd.winograd_tiles_numba(xpad, np.full((36, 3, p), np.nan), (0, 2), 4)
    np.testing.assert_array_equal(got, expected)


@kernel_settings
@given(data=st.data(), g=geometries())
def test_each_adjoint_is_the_transpose_of_its_transform(data, g):
    """<T(a), b> == <a, T*(b)> for T = tiles and T = untile, with every form of T*."""
    n, c, oc, oh, ow, images_range, m = g
    a = _arrays(data.draw, g)
    dt = np.float64
    xpad, dv, mt, grad = (a[k].astype(dt) for k in ("xpad", "dv", "m", "g"))
    v = winograd.winograd_tiles_reference(xpad, np.empty((a["count"], c, a["p"]), dt), images_range, m)
    y = np.zeros((n, oc, oh, ow), dt)
    winograd.winograd_untile_reference(mt, y, images_range, m)
    for kernel in [winograd.winograd_tiles_adjoint_reference] + forms(winograd, "winograd_tiles_adjoint"):
        back = kernel(dv, np.zeros_like(xpad), images_range, m)
        assert abs(inner(v, dv) - inner(xpad, back)) <= 1e-10 * (1 + abs(inner(v, dv))), kernel.__name__
    for kernel in [winograd.winograd_untile_adjoint_reference] + forms(winograd, "winograd_untile_adjoint"):
        back = kernel(grad, np.empty((a["count"], oc, a["p"]), dt), images_range, m)
        assert abs(inner(y, grad) - inner(mt, back)) <= 1e-10 * (1 + abs(inner(y, grad))), kernel.__name__


@pytest.mark.parametrize("m", [2, 4])
def test_the_transforms_and_products_are_a_3x3_convolution(m):
    """untile(U @ tiles(pad(x))) == the 3x3 convolution, U = G w G^T (the algorithm itself)."""
    rng = np.random.default_rng(0)
    n, c, oc, h, w = 2, 3, 4, 7, 10
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((oc, c, 3, 3))
    oh, ow = h, w  # padding 1
    th, tw = winograd.tile_grid((oh, ow), m)
    xpad = np.zeros((n, c, m * th + 2, m * tw + 2))
    xpad[:, :, 1 : 1 + h, 1 : 1 + w] = x
    g = winograd.matrices(m)[1]
    u = np.einsum("ai,ocij,bj->aboc", g, wt, g).reshape((m + 2) ** 2, oc, c)
    v = winograd.winograd_tiles_reference(xpad, np.empty(((m + 2) ** 2, c, n * th * tw)), (0, n), m)
    out = winograd.winograd_untile_reference(u @ v, np.empty((n, oc, oh, ow)), (0, n), m)
    direct = np.zeros((n, oc, oh, ow))
    for i in range(3):
        for j in range(3):
            direct += np.einsum("oc,nchw->nohw", wt[:, :, i, j], xpad[:, :, i : i + oh, j : j + ow])
    np.testing.assert_allclose(out, direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ALL_FORMS)
def test_the_transforms_refuse_images_outside_the_batch_or_a_wrong_tile_count(which):
    if which == "numba" and not forms(winograd, "winograd_tiles")[1:]:
        pytest.skip("Numba is not installed")
    xpad = np.zeros((2, 1, 6, 6))  # 2x2 tiles an image (m = 2)
    tiles = _form("winograd_tiles", which)
    with pytest.raises(ValueError, match=r"winograd_tiles: images must be \(start, stop\) with 0 <= start < stop <= 2, got \(1, 3\)"):
        tiles(xpad, np.empty((16, 1, 8)), (1, 3), 2)
    with pytest.raises(ValueError, match="winograd_tiles: the transformed array has 8 tiles, but images .* have 4"):
        tiles(xpad, np.empty((16, 1, 8)), (1, 2), 2)
    with pytest.raises(ValueError, match=r"the padded input must be \(N, C, 2\*TH \+ 2, 2\*TW \+ 2\), got \(2, 1, 5, 6\)"):
        tiles(np.zeros((2, 1, 5, 6)), np.empty((16, 1, 8)), (0, 2), 2)
    with pytest.raises(ValueError, match=r"winograd_tiles: F\(4x4, 3x3\) has 36 positions per tile, got an array of shape \(16, 1, 2\)"):
        tiles(xpad, np.empty((16, 1, 2)), (0, 2), 4)  # 6x6 is one 4x4 tile an image
    with pytest.raises(ValueError, match="winograd_tiles: the output block size m must be 2 or 4"):
        tiles(xpad, np.empty((16, 1, 2)), (0, 2), 3)
    untile = _form("winograd_untile", which)
    with pytest.raises(ValueError, match="winograd_untile: the transformed array has 3 tiles"):
        untile(np.zeros((16, 1, 3)), np.empty((1, 1, 4, 4)), (0, 1), 2)


def test_the_numba_forms_refuse_cupy_like_arrays():
    if not forms(winograd, "winograd_tiles")[1:]:
        pytest.skip("Numba is not installed")

    class NotNumpy:
        pass

    with pytest.raises(TypeError, match="winograd_tiles_numba: the Numba kernels take NumPy arrays only"):
        winograd.winograd_tiles_numba(NotNumpy(), np.empty((16, 1, 1)), (0, 1), 2)
