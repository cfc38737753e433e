"""The bundled photographs, the patch sampler, Gaussian noise and the inpainting masks."""
import hashlib

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.data.datasets import images as I
from tinygrad_edu.data.datasets.bundled import data_file


@pytest.mark.parametrize("name, shape", [("camera", (1, 512, 512)), ("coffee", (3, 400, 600)),
                                         ("chelsea", (3, 300, 451))])
def test_bundled_images_load_in_unit_range(name, shape):
    image = I.load_image(name)
    assert image.shape == shape and image.dtype == tge.float32
    a = image.cpu().numpy()
    assert 0.0 <= a.min() and a.max() <= 1.0 and a.std() > 0.1  # a real photograph, not a flat image
    if shape[0] == 3:
        gray = I.load_image(name, gray=True).cpu().numpy()
        np.testing.assert_allclose(gray[0], np.tensordot(I.GRAY_WEIGHTS, a, axes=1), atol=1e-6)


def test_bundled_images_are_the_recorded_files():
    readme = open(data_file("README.md")).read()
    for name in I.IMAGES:
        digest = hashlib.sha256(open(data_file(f"{name}.png"), "rb").read()).hexdigest()
        assert f"{digest}  {name}.png" in readme
    with pytest.raises(ValueError, match="unknown image 'lena'.*camera"):
        I.load_image("lena")


def test_random_patches_are_cut_from_the_images():
    camera = I.load_image("camera")
    patches = I.random_patches([camera], 8, 5)
    assert patches.shape == (5, 1, 8, 8)
    full = camera.cpu().numpy()[0]
    for p in patches.cpu().numpy()[:, 0]:
        hits = [(i, j) for i in range(full.shape[0] - 7) for j in range(0, full.shape[1] - 7)
                if full[i, j] == p[0, 0] and np.array_equal(full[i:i + 8, j:j + 8], p)]
        assert hits
    tge.manual_seed(1)
    a = I.random_patches([camera], 8, 3).cpu().numpy()
    tge.manual_seed(1)
    np.testing.assert_array_equal(a, I.random_patches([camera], 8, 3).cpu().numpy())
    with pytest.raises(ValueError, match="H, W >= 600"):
        I.random_patches([camera], 600, 1)


def test_gaussian_noise_has_the_asked_sigma():
    x = tge.zeros(4, 1, 64, 64)
    y = I.add_gaussian_noise(x, 25 / 255).cpu().numpy()
    assert y.std() == pytest.approx(25 / 255, rel=0.03) and abs(y.mean()) < 0.003


def test_masks():
    m = I.random_pixel_mask((1, 1, 100, 100), missing=0.3).cpu().numpy()
    assert set(np.unique(m)) == {0.0, 1.0} and (1 - m).mean() == pytest.approx(0.3, abs=0.03)
    b = I.box_mask((1, 1, 6, 6), 1, 2, 3, 2).cpu().numpy()[0, 0]
    assert b.sum() == 36 - 6 and np.all(b[1:4, 2:4] == 0)
    lines = I.line_mask((1, 1, 32, 32), lines=3, thickness=2).cpu().numpy()
    assert 0 < (1 - lines).mean() < 0.5


def test_denoising_patches_fresh_noise_each_access():
    data = I.DenoisingPatches([I.load_image("camera")], size=10, count=4, sigma=0.1)
    assert len(data) == 4
    noisy1, clean1 = data[0]
    noisy2, clean2 = data[0]
    np.testing.assert_array_equal(clean1.cpu().numpy(), clean2.cpu().numpy())
    assert not np.allclose(noisy1.cpu().numpy(), noisy2.cpu().numpy())
    assert noisy1.shape == (1, 10, 10)
