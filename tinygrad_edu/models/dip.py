"""Deep image prior (Ulyanov, Vedaldi & Lempitsky 2018): a randomly initialised network is a
prior for natural images, with no training data at all.

Fix a random input z and fit a U-Net f_theta(z) to the *noisy* image y alone, by gradient
descent on ||f_theta(z) - y||^2. The network reproduces image structure (smooth regions,
edges) long before it manages to reproduce the noise, so the output's PSNR against the
clean image first rises, peaks, then falls as the noise is fitted too: stopping early
gives a denoised image. ``deep_image_prior`` returns that PSNR trajectory (when the clean
image is known) so a demo can show the peak. As in the paper, the input is perturbed with
a little fresh noise at every iteration (``input_noise``), which regularises the fit.
"""
from collections import namedtuple

import numpy as np

from ..nn.loss import MSELoss
from ..optim import Adam
from ..random import manual_seed, numpy_generator
from ..tensor import Tensor
from ..autograd import no_grad
from .unet import unet

DIPResult = namedtuple("DIPResult", "image best_image best_iteration psnr loss")


def deep_image_prior(noisy, clean=None, net=None, iterations=300, lr=3e-3, input_channels=8, input_noise=1 / 30,
                     seed=0):
    """Fit ``net`` (default: a padded U-Net, 16 features, depth 2) from a fixed random input to
    ``noisy`` (1, C, H, W) in [0, 1]. Returns ``DIPResult``: the last ``image``, the
    ``best_image`` and ``best_iteration`` by PSNR against ``clean`` (the last ones without
    ``clean``), the ``psnr`` trajectory (one value per iteration; empty without ``clean``)
    and the ``loss`` trajectory.

    ``lr`` is 3e-3, not the paper's 0.01: the paper's networks have BatchNorm, this U-Net
    has none, and at 0.01 Adam drove it to a constant image (measured on a 48x48 crop of
    "camera" at sigma 25: the loss stopped at 0.062, PSNR 12.7 dB; at 3e-3, in
    lectures/deep_image_prior.py, the PSNR peaks at 24.3 dB at iteration 534 of 1000
    against the noisy input's 20.7, then falls)."""
    manual_seed(seed)
    channels = noisy.shape[1]
    if net is None:
        net = unet(input_channels, channels, features=16, depth=2, padding=1).to(noisy.device)
    # the random input on the image's device; the PSNR bookkeeping on host copies
    z = Tensor(numpy_generator().uniform(0, 0.1, (1, input_channels, *noisy.shape[2:])).astype(np.float32))
    z = z.to(noisy.device)
    optimizer = Adam(net.parameters(), lr=lr)
    loss_fn = MSELoss()
    psnr, losses = [], []
    best = (-np.inf, None, iterations)
    clean_a = None if clean is None else clean.cpu().numpy()
    for i in range(1, iterations + 1):
        jitter = Tensor(numpy_generator().standard_normal(z.shape).astype(np.float32) * input_noise).to(z.device)
        out = net(z + jitter)
        loss = loss_fn(out, noisy)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if clean_a is not None:
            with no_grad():
                image = np.clip(net(z).cpu().numpy(), 0, 1)
            value = 10 * np.log10(1.0 / max(float(((image - clean_a) ** 2).mean()), 1e-20))
            psnr.append(value)
            if value > best[0]:
                best = (value, image, i)
    with no_grad():
        last = np.clip(net(z).cpu().numpy(), 0, 1)
    best_image = last if best[1] is None else best[1]
    return DIPResult(Tensor(last), Tensor(best_image), best[2], psnr, losses)
