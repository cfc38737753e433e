"""SSIM and PSNR against the formulas of Wang et al. 2004 written directly in NumPy, window by
window; SSIMLoss's gradient by the gradient checker."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.ssim import gaussian_window


def ssim_reference(x, y, data_range=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """Mean SSIM of two (H, W) images: every valid window, its Gaussian-weighted statistics."""
    c = np.arange(size) - (size - 1) / 2
    g = np.exp(-c ** 2 / (2 * sigma ** 2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    values = []
    for i in range(x.shape[0] - size + 1):
        for j in range(x.shape[1] - size + 1):
            px, py = x[i:i + size, j:j + size], y[i:i + size, j:j + size]
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
            cxy = (w * (px - mx) * (py - my)).sum()
            values.append((2 * mx * my + c1) * (2 * cxy + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
    return float(np.mean(values))


def test_window_is_normalised_gaussian():
    w = gaussian_window()
    assert w.shape == (11, 11) and w.sum() == pytest.approx(1.0)
    assert w[5, 5] / w[5, 6] == pytest.approx(math.exp(1 / (2 * 1.5 ** 2)))


@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_ssim_equals_the_formula_on_test_images(rng, data_range):
    h, w = 16, 19
    yy, xx = np.mgrid[0:h, 0:w]
    clean = data_range * (0.5 + 0.4 * np.sin(xx / 3.0) * np.cos(yy / 4.0))  # a smooth test image
    noisy = clean + 0.1 * data_range * rng.standard_normal((h, w))
    images = np.stack([[clean, noisy], [noisy, clean]])  # (2 images, 2 channels)
    targets = np.stack([[clean, clean], [noisy * 0.8, clean]])
    got = F.ssim(tge.tensor(images), tge.tensor(targets), data_range=data_range, reduction="none").cpu().numpy()
    for n in range(2):
        expected = np.mean([ssim_reference(images[n, c], targets[n, c], data_range) for c in range(2)])
        assert got[n] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert F.ssim(tge.tensor(images), tge.tensor(images), data_range=data_range).item() == pytest.approx(1.0)


def test_psnr_is_ten_log_ratio(rng):
    x = rng.random((3, 1, 8, 8))
    y = x + 0.05 * rng.standard_normal(x.shape)
    mse = ((x - y) ** 2).mean(axis=(1, 2, 3))
    got = F.psnr(tge.tensor(y), tge.tensor(x), reduction="none").cpu().numpy()
    np.testing.assert_allclose(got, 10 * np.log10(1 / mse), rtol=1e-10)
    assert F.psnr(tge.tensor(y * 255), tge.tensor(x * 255), data_range=255.0).item() == pytest.approx(got.mean())


def test_ssim_loss_gradient_float64(rng):
    x = tge.tensor(rng.random((1, 1, 12, 12)), requires_grad=True)
    y = tge.tensor(rng.random((1, 1, 12, 12)))
    loss = nn.SSIMLoss(window_size=5)
    assert gradcheck(lambda a: loss(a, y), (x,))
    assert loss(y, y).item() == pytest.approx(0.0, abs=1e-12)


def test_ssim_errors():
    with pytest.raises(ValueError, match=r"ssim: images of size 8x8 are smaller than the 11x11 window"):
        F.ssim(tge.rand(1, 1, 8, 8), tge.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"psnr: input and target must have the same shape"):
        F.psnr(tge.rand(1, 1, 8, 8), tge.rand(1, 1, 8, 9))
    with pytest.raises(ValueError, match="reduction must be"):
        nn.SSIMLoss(reduction="avg")(tge.rand(1, 1, 11, 11), tge.rand(1, 1, 11, 11))
