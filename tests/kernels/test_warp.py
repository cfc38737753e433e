"""The affine warp of data augmentation: its three forms agree, the compiled loops give the
reference's bits, known images come out whole, and the agreement check catches planted
wrong forms."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.data.transforms import affine_matrices
from tinygrad_edu.kernels import warp
from tinygrad_edu.kernels._numba import HAVE_NUMBA

from .checks import assert_close, assert_forms_agree
from .strategies import images, kernel_settings

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="Numba is not installed")


@st.composite
def warp_configs(draw, dtype=None):
    """(x, theta, interpolation, fill): images of 1-7 pixels a side and one affine map per
    image, its parts drawn or left out (whole-pixel shifts and right angles included, the
    cases the snap to pixel centres is for)."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    x = draw(images((n, c, h, w), dtype))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    angle = rng.choice([0.0, 90.0, -90.0, 180.0]) if draw(st.booleans()) else rng.uniform(-45, 45)
    shift = rng.integers(-3, 4, (n, 2)).astype(np.float64) if draw(st.booleans()) else rng.uniform(-3, 3, (n, 2))
    scale = rng.uniform(0.5, 1.5, n) if draw(st.booleans()) else np.ones(n)
    shear = rng.uniform(-20, 20, (n, 2)) if draw(st.booleans()) else np.zeros((n, 2))
    theta = affine_matrices(np.full(n, angle), shift, scale, shear)
    fill = draw(st.sampled_from([0.0, 0.5, -2.0]))
    return x, theta, draw(st.sampled_from(warp.INTERPOLATIONS)), fill


@kernel_settings
@given(warp_configs())
def test_warp_forms_agree(cfg):
    assert_forms_agree(warp, "warp_affine", *cfg)


@needs_numba
@kernel_settings
@given(warp_configs())
def test_compiled_warp_gives_the_references_bits(cfg):
    # both add up in float64 and round once into the image's dtype
    expected = warp.warp_affine_reference(*cfg)
    assert np.array_equal(warp.warp_affine_numba(*cfg), expected)
    if cfg[0].dtype == np.float64:  # and the vectorised form weighs float64 images in float64
        assert np.array_equal(warp.warp_affine(*cfg), expected)


@pytest.mark.parametrize("interpolation", warp.INTERPOLATIONS)
def test_warp_of_a_known_image(interpolation):
    # a quarter turn clockwise (theta maps each output pixel to its source) and a shift by
    # one column: every pixel lands whole, the column shifted in reads the fill
    x = np.arange(12, dtype=np.float64).reshape(1, 1, 3, 4)
    x3 = np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3)
    turn = affine_matrices(np.array([90.0]), np.zeros((1, 2)), np.ones(1), np.zeros((1, 2)))
    shift = affine_matrices(np.zeros(1), np.array([[1.0, 0.0]]), np.ones(1), np.zeros((1, 2)))
    for form in [warp.warp_affine_reference, warp.warp_affine] + ([warp.warp_affine_numba] if HAVE_NUMBA else []):
        assert np.array_equal(form(x3, turn, interpolation, 0.0), np.rot90(x3, -1, axes=(2, 3))), form.__name__
        expected = np.concatenate([np.full((1, 1, 3, 1), 7.0), x[..., :-1]], axis=3)
        assert np.array_equal(form(x, shift, interpolation, 7.0), expected), form.__name__


@pytest.mark.parametrize("form, label", [("warp_affine", "warp_affine (vectorised)")]
                         + ([("warp_affine_numba", "warp_affine_numba")] if HAVE_NUMBA else []))
def test_the_agreement_check_catches_a_planted_wrong_form(form, label, monkeypatch):
    """Planted bugs in one fast form: nearest sampling where bilinear was asked, and the
    fill forgotten. Shifts by a quarter and a half pixel show both."""
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 5))
    theta = affine_matrices(np.zeros(2), np.array([[0.25, 0.0], [0.5, -1.0]]), np.ones(2), np.zeros((2, 2)))
    assert_forms_agree(warp, "warp_affine", x, theta, "bilinear", 0.5)  # the forms as they are
    right = getattr(warp, form)
    for wrong in (lambda x, theta, interpolation, fill: right(x, theta, "nearest", fill),
                  lambda x, theta, interpolation, fill: right(x, theta, interpolation, 0.0)):
        monkeypatch.setattr(warp, form, wrong)
        with pytest.raises(AssertionError, match=re.escape(label)):
            assert_forms_agree(warp, "warp_affine", x, theta, "bilinear", 0.5)
