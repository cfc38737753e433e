"""Winograd F(2x2, 3x3) tile transforms: the three forms agree, each adjoint is the
transpose of its transform, and the transforms with the products are a 3x3 convolution."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import winograd

from .checks import assert_close, forms, inner
from .strategies import FLOAT_DTYPES, images, kernel_settings

ALL_FORMS = ("reference", "vectorised", "numba")


def _form(name, which):
    return getattr(winograd, name if which == "vectorised" else f"{name}_{which}", None)


@st.composite
def geometries(draw):
    """(N, C, OC, OH, OW, images): odd and even output sizes, one tile up to several, and
    a range of the batch's images."""
    n = draw(st.integers(1, 3))
    start = draw(st.integers(0, n - 1))
    stop = draw(st.integers(start + 1, n))
    return n, draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), (start, stop)


def _arrays(draw, g):
    n, c, oc, oh, ow, (a, b) = g
    th, tw = winograd.tile_grid((oh, ow))
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    p = (b - a) * th * tw
    return dict(
        xpad=draw(images((n, c, 2 * th + 2, 2 * tw + 2), dtype)), m=draw(images((16, oc, p), dtype)),
        g=draw(images((n, oc, oh, ow), dtype)), dv=draw(images((16, c, p), dtype)), dtype=dtype, p=p,
    )


def _run_all(name, arg, out_like, images_range, fill):
    """Every form of ``name`` on ``arg``, each into its own ``out`` (``fill`` first: NaN
    for a kernel that writes every element, zeros for one that adds), checked equal to
    the reference's; returns the reference's result."""
    results = {}
    for which in ALL_FORMS:
        kernel = _form(name, which)
        if kernel is None or (which == "numba" and not forms(winograd, name)[1:]):
            continue
        out = np.full(out_like.shape, fill, dtype=out_like.dtype)
        assert kernel(arg, out, images_range) is out, which
        results[which] = out
    for which, out in results.items():
        assert_close(out, results["reference"], f"{name} ({which})")
    return results["reference"]


@kernel_settings
@given(data=st.data(), g=geometries())
def test_the_four_transforms_agree_in_all_forms(data, g):
    n, c, oc, oh, ow, images_range = g
    a = _arrays(data.draw, g)
    dt = a["dtype"]
    _run_all("winograd_tiles", a["xpad"], np.empty((16, c, a["p"]), dt), images_range, np.nan)
    _run_all("winograd_untile_adjoint", a["g"], np.empty((16, oc, a["p"]), dt), images_range, np.nan)
    _run_all("winograd_tiles_adjoint", a["dv"], np.empty(a["xpad"].shape, dt), images_range, 0)
    # untile writes only the images in range: the others keep what they held
    out = _run_all("winograd_untile", a["m"], np.empty((n, oc, oh, ow), dt), images_range, np.nan)
    start, stop = images_range
    assert not np.isnan(out[start:stop]).any()
    assert np.isnan(np.delete(out, np.s_[start:stop], axis=0)).all()


@kernel_settings
@given(data=st.data(), g=geometries())
def test_each_adjoint_is_the_transpose_of_its_transform(data, g):
    """<T(a), b> == <a, T*(b)> for T = tiles and T = untile, with every form of T*."""
    n, c, oc, oh, ow, images_range = g
    a = _arrays(data.draw, g)
    dt = np.float64
    xpad, dv, m, grad = (a[k].astype(dt) for k in ("xpad", "dv", "m", "g"))
    v = winograd.winograd_tiles_reference(xpad, np.empty((16, c, a["p"]), dt), images_range)
    y = np.zeros((n, oc, oh, ow), dt)
    winograd.winograd_untile_reference(m, y, images_range)
    for kernel in [winograd.winograd_tiles_adjoint_reference] + forms(winograd, "winograd_tiles_adjoint"):
        back = kernel(dv, np.zeros_like(xpad), images_range)
        assert abs(inner(v, dv) - inner(xpad, back)) <= 1e-10 * (1 + abs(inner(v, dv))), kernel.__name__
    for kernel in [winograd.winograd_untile_adjoint_reference] + forms(winograd, "winograd_untile_adjoint"):
        back = kernel(grad, np.empty((16, oc, a["p"]), dt), images_range)
        assert abs(inner(y, grad) - inner(m, back)) <= 1e-10 * (1 + abs(inner(y, grad))), kernel.__name__


def test_the_transforms_and_products_are_a_3x3_convolution():
    """untile(U @ tiles(pad(x))) == the 3x3 convolution, U = G w G^T (the algorithm itself)."""
    rng = np.random.default_rng(0)
    n, c, oc, h, w = 2, 3, 4, 7, 6
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((oc, c, 3, 3))
    oh, ow = h, w  # padding 1
    th, tw = winograd.tile_grid((oh, ow))
    xpad = np.zeros((n, c, 2 * th + 2, 2 * tw + 2))
    xpad[:, :, 1 : 1 + h, 1 : 1 + w] = x
    u = np.einsum("ai,ocij,bj->aboc", winograd.G, wt, winograd.G).reshape(16, oc, c)
    v = winograd.winograd_tiles_reference(xpad, np.empty((16, c, n * th * tw)), (0, n))
    out = winograd.winograd_untile_reference(u @ v, np.empty((n, oc, oh, ow)), (0, n))
    direct = np.zeros((n, oc, oh, ow))
    for i in range(3):
        for j in range(3):
            direct += np.einsum("oc,nchw->nohw", wt[:, :, i, j], xpad[:, :, i : i + oh, j : j + ow])
    np.testing.assert_allclose(out, direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ALL_FORMS)
def test_the_transforms_refuse_images_outside_the_batch_or_a_wrong_tile_count(which):
    if which == "numba" and not forms(winograd, "winograd_tiles")[1:]:
        pytest.skip("Numba is not installed")
    xpad = np.zeros((2, 1, 6, 6))  # 2x2 tiles an image
    tiles = _form("winograd_tiles", which)
    with pytest.raises(ValueError, match=r"winograd_tiles: images must be \(start, stop\) with 0 <= start < stop <= 2, got \(1, 3\)"):
        tiles(xpad, np.empty((16, 1, 8)), (1, 3))
    with pytest.raises(ValueError, match="winograd_tiles: the transformed array has 8 tiles, but images .* have 4"):
        tiles(xpad, np.empty((16, 1, 8)), (1, 2))
    with pytest.raises(ValueError, match=r"the padded input must be \(N, C, 2\*TH \+ 2, 2\*TW \+ 2\), got \(2, 1, 5, 6\)"):
        tiles(np.zeros((2, 1, 5, 6)), np.empty((16, 1, 8)), (0, 2))
    untile = _form("winograd_untile", which)
    with pytest.raises(ValueError, match="winograd_untile: the transformed array has 3 tiles"):
        untile(np.zeros((16, 1, 3)), np.empty((1, 1, 4, 4)), (0, 1))


def test_the_numba_forms_refuse_cupy_like_arrays():
    if not forms(winograd, "winograd_tiles")[1:]:
        pytest.skip("Numba is not installed")

    class NotNumpy:
        pass

    with pytest.raises(TypeError, match="winograd_tiles_numba: the Numba kernels take NumPy arrays only"):
        winograd.winograd_tiles_numba(NotNumpy(), np.empty((16, 1, 1)), (0, 1))
