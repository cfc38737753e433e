"""Plug-and-play HQS (DPIR Algorithm 1) and the deep image prior, on tiny images."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import models as M
from tinygrad_edu.models.pnp import BlurOperator, MaskOperator, conjugate_gradient, dpir_sigmas, pnp_hqs


def smooth_image(n=16, seed=0):
    yy, xx = np.mgrid[0:n, 0:n] / n
    return (0.5 + 0.3 * np.sin(2 * np.pi * xx) * np.cos(2 * np.pi * yy))[None, None]


def gaussian_kernel(size=5, sigma=1.0):
    c = np.arange(size) - size // 2
    g = np.exp(-c ** 2 / (2 * sigma ** 2))
    k = np.outer(g, g)
    return k / k.sum()


def test_blur_operator_is_circular_convolution_and_its_adjoint(rng):
    k = rng.random((3, 3))
    op = BlurOperator(k, (6, 7))
    x = rng.standard_normal((1, 1, 6, 7))
    direct = np.zeros_like(x)
    for i in range(6):
        for j in range(7):
            for a in range(3):
                for b in range(3):  # centred kernel: k[a, b] weights x[i - (a - 1), j - (b - 1)]
                    direct[0, 0, i, j] += k[a, b] * x[0, 0, (i - a + 1) % 6, (j - b + 1) % 7]
    np.testing.assert_allclose(op(x), direct, atol=1e-12)
    y = rng.standard_normal(x.shape)
    assert np.sum(op(x) * y) == pytest.approx(np.sum(x * op.adjoint(y)))  # <Ax, y> = <x, A^T y>


@pytest.mark.parametrize("make_op", [lambda r: BlurOperator(gaussian_kernel(), (8, 8)),
                                     lambda r: MaskOperator((r.random((1, 1, 8, 8)) > 0.4).astype(float))])
def test_closed_form_data_step_equals_conjugate_gradients(make_op, rng):
    op = make_op(rng)
    y, x = rng.standard_normal((1, 1, 8, 8)), rng.standard_normal((1, 1, 8, 8))
    alpha = 0.3
    closed = op.data_step(y, x, alpha)
    cg = conjugate_gradient(lambda v: op.adjoint(op(v)) + alpha * v, op.adjoint(y) + alpha * x, x, iterations=200)
    np.testing.assert_allclose(closed, cg, atol=1e-8)
    # it is the minimiser: the gradient of ||y - Az||^2 + alpha ||z - x||^2 vanishes there
    np.testing.assert_allclose(op.adjoint(op(closed) - y) + alpha * (closed - x), 0, atol=1e-9)


def smoothing_denoiser(z, sigma):
    """A stand-in denoiser with no training: average with the 4 neighbours, more for larger sigma."""
    a = z.cpu().numpy()
    weight = min(1.0, sigma * 5)
    neighbours = (np.roll(a, 1, -1) + np.roll(a, -1, -1) + np.roll(a, 1, -2) + np.roll(a, -1, -2)) / 4
    return tge.tensor((1 - weight / 2) * a + weight / 2 * neighbours)


def block_image():
    """Flat rectangles with sharp edges: what a blur damages most."""
    x = np.full((16, 16), 0.1)
    x[3:9, 4:12], x[10:14, 2:7], x[9:15, 9:15] = 0.9, 0.5, 0.7
    return x[None, None]


def test_pnp_deblurring_beats_the_blurry_noisy_input():
    x = block_image()
    op = BlurOperator(gaussian_kernel(7, 1.6), (16, 16))
    noise_sigma = 0.01
    y = op(x) + noise_sigma * np.random.default_rng(1).standard_normal(x.shape)
    result = pnp_hqs(tge.tensor(y), op, None, smoothing_denoiser, dpir_sigmas(noise_sigma, 8), noise_sigma,
                     x_true=tge.tensor(x))
    input_psnr = 10 * np.log10(1 / np.mean((y - x) ** 2))
    assert len(result.psnr) == 8 and result.image.shape == (1, 1, 16, 16)
    assert result.psnr[-1] > input_psnr + 2  # measured: 14.4 -> 17.2 dB


def test_pnp_inpainting_with_cg_and_a_network_denoiser():
    x = smooth_image(16)
    mask = (np.random.default_rng(2).random(x.shape) > 0.5).astype(float)
    op = MaskOperator(mask)
    y = op(x)
    # the same operator as plain functions: the data step falls back to conjugate gradients
    mask_array = tge.tensor(mask).array  # on the default device, with the image
    forward = lambda v: mask_array * v  # noqa: E731
    result = pnp_hqs(tge.tensor(y), forward, forward, smoothing_denoiser, dpir_sigmas(0.0, 30, 0.5), 0.0,
                     x_true=tge.tensor(x))
    missing_psnr = 10 * np.log10(1 / np.mean((y - x) ** 2))
    assert result.psnr[-1] > missing_psnr + 10  # measured: 8.5 -> 22.9 dB
    closed = pnp_hqs(tge.tensor(y), op, None, smoothing_denoiser, dpir_sigmas(0.0, 30, 0.5), 0.0)
    np.testing.assert_allclose(closed.image.cpu().numpy(), result.image.cpu().numpy(), atol=1e-6)
    # a (tiny, untrained) DRUNet plugs in the same way, told each sigma_k
    net = M.drunet(features=(2, 2, 2, 2), blocks=1).double().eval()
    out = pnp_hqs(tge.tensor(y), op, None, lambda z, s: net(z, s), [0.2, 0.1], 0.01)
    assert out.image.shape == (1, 1, 16, 16) and out.psnr == []
    with pytest.raises(ValueError, match="needs its adjoint_op"):
        pnp_hqs(tge.tensor(y), forward, None, smoothing_denoiser, [0.1], 0.0)


def test_dpir_schedule():
    s = dpir_sigmas(15 / 255, 8)
    assert s[0] == pytest.approx(49 / 255) and s[-1] == pytest.approx(15 / 255) and len(s) == 8
    assert all(a > b for a, b in zip(s, s[1:]))
    np.testing.assert_allclose(np.diff(np.log(s)), np.log(s[1] / s[0]))


def test_deep_image_prior_returns_the_psnr_trajectory():
    clean = tge.tensor(smooth_image(8).astype(np.float32))
    noisy = tge.tensor((smooth_image(8) + 0.1 * np.random.default_rng(3).standard_normal((1, 1, 8, 8)))
                       .astype(np.float32))
    result = M.deep_image_prior(noisy, clean, iterations=25, lr=0.02, input_channels=2,
                                net=M.unet(2, 1, features=4, depth=1, padding=1))
    assert len(result.psnr) == 25 and len(result.loss) == 25
    assert result.loss[-1] < result.loss[0]  # it fits the noisy image
    assert result.best_iteration == int(np.argmax(result.psnr)) + 1
    assert result.image.shape == result.best_image.shape == (1, 1, 8, 8)
    tge.manual_seed(0)  # the same initial network (built before the call) ...
    again = M.deep_image_prior(noisy, clean, iterations=25, lr=0.02, input_channels=2,
                               net=M.unet(2, 1, features=4, depth=1, padding=1))
    assert again.psnr == result.psnr  # ... and the seeded input and jitter give the same trajectory
    without = M.deep_image_prior(noisy, iterations=3, input_channels=2)  # the default U-Net, no clean image
    assert without.psnr == [] and without.best_iteration == 3
