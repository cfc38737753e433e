"""Plug-and-play image restoration with half-quadratic splitting (DPIR, Zhang et al. 2022,
Algorithm 1): a physics model of the degradation and a learned denoiser, alternated.

Restore x from y = A x + n, n ~ N(0, sigma^2 I), by splitting the MAP problem
min_x 1/(2 sigma^2) ||y - A x||^2 + lambda R(x) with an auxiliary z and alternating, for
k = 1..K with a decreasing noise level sigma_k:

    data step:   z_k = argmin_z ||y - A z||^2 + alpha_k ||z - x_{k-1}||^2,   alpha_k = lambda sigma^2 / sigma_k^2
                     = (A^T A + alpha_k I)^-1 (A^T y + alpha_k x_{k-1})
    prior step:  x_k = D(z_k, sigma_k)      (the denoiser, told to remove noise of level sigma_k)

The data step pulls the estimate towards agreement with the measurement (a proximal map of
the physics model), the denoiser towards a natural image; lowering sigma_k from large to
the true noise level lets the denoiser first fix coarse structure, then details.

The data step has a closed form for the two operators here:

- ``BlurOperator`` (circular convolution with a kernel k): in the Fourier domain A is
  the pointwise product with K = FFT(k), so z = IFFT[(conj(K) Y + alpha X) / (|K|^2 + alpha)];
- ``MaskOperator`` (inpainting, A = diag(m), m = 1 known / 0 missing): pixel by pixel,
  z = (m y + alpha x) / (m + alpha).

For any other linear operator, give ``forward_op`` and ``adjoint_op`` as functions and the
data step is solved by conjugate gradients on (A^T A + alpha I) z = A^T y + alpha x.
"""
from collections import namedtuple

import numpy as np

from ..autograd import no_grad
from ..backend import get_array_module
from ..tensor import Tensor

PnPResult = namedtuple("PnPResult", "image psnr")


def _array(x):
    return x.array if isinstance(x, Tensor) else x


class BlurOperator:
    """A x = k (*) x, circular 2-D convolution of each image channel with ``kernel`` (kh, kw),
    for images of size ``image_size`` = (H, W). ``A(x)``, ``A.adjoint(x)`` and the
    closed-form ``A.data_step(y, x, alpha)`` act on arrays or tensors (..., H, W)."""

    def __init__(self, kernel, image_size):
        kernel = np.asarray(_array(kernel), dtype=np.float64)
        h, w = image_size
        if kernel.ndim != 2 or kernel.shape[0] > h or kernel.shape[1] > w:
            raise ValueError(f"BlurOperator: kernel must be 2-D and fit in the {h}x{w} image, got shape {kernel.shape}")
        # the kernel's centre moves to pixel (0, 0) (periodically), so the blur does not shift the image
        padded = np.zeros((h, w))
        padded[:kernel.shape[0], :kernel.shape[1]] = kernel
        padded = np.roll(padded, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), axis=(0, 1))
        self.otf = np.fft.fft2(padded)  # the transfer function K = FFT(k)
        self.image_size = (h, w)

    def _apply(self, x, transfer):
        xp = get_array_module(x)
        otf = xp.asarray(transfer)
        return xp.real(xp.fft.ifft2(xp.fft.fft2(x) * otf)).astype(x.dtype)

    def __call__(self, x):
        return _wrap_like(x, self._apply(_array(x), self.otf))

    def adjoint(self, x):
        """A^T x: correlation with k, the product with conj(K)."""
        return _wrap_like(x, self._apply(_array(x), np.conj(self.otf)))

    def data_step(self, y, x, alpha):
        """argmin_z ||y - A z||^2 + alpha ||z - x||^2 in closed form (FFT)."""
        y_a, x_a = _array(y), _array(x)
        xp = get_array_module(y_a)
        otf = xp.asarray(self.otf)
        numerator = xp.conj(otf) * xp.fft.fft2(y_a) + alpha * xp.fft.fft2(x_a)
        z = xp.real(xp.fft.ifft2(numerator / (xp.abs(otf) ** 2 + alpha))).astype(y_a.dtype)
        return _wrap_like(x, z)


class MaskOperator:
    """A x = m * x for a mask m (1 = pixel known, 0 = missing): inpainting."""

    def __init__(self, mask):
        self.mask = _array(mask)

    def _mask_like(self, a):
        """The mask in ``a``'s array module (copied to ``a``'s device when the mask is host data)."""
        return get_array_module(a).asarray(self.mask)

    def __call__(self, x):
        x_a = _array(x)
        return _wrap_like(x, self._mask_like(x_a) * x_a)

    def adjoint(self, x):
        return self(x)  # a diagonal operator is its own adjoint

    def data_step(self, y, x, alpha):
        """(m y + alpha x) / (m + alpha): known pixels are pulled to y, missing ones keep x."""
        y_a, x_a = _array(y), _array(x)
        mask = self._mask_like(y_a)
        return _wrap_like(x, (mask * y_a + alpha * x_a) / (mask + alpha))


def _wrap_like(reference, array):
    return Tensor(array) if isinstance(reference, Tensor) else array


def conjugate_gradient(apply_matrix, rhs, x0, iterations=30, tol=1e-10):
    """Solve M z = rhs for a symmetric positive definite M given as a function (arrays); stops
    after ``iterations`` or once the residual norm is below ``tol`` times that of ``rhs``."""
    xp = get_array_module(rhs)
    threshold = tol ** 2 * float(xp.sum(rhs * rhs))
    z = x0.copy()
    r = rhs - apply_matrix(z)
    p = r.copy()
    rs = float(xp.sum(r * r))
    for _ in range(iterations):
        if rs <= threshold:
            break
        mp = apply_matrix(p)
        step = rs / float(xp.sum(p * mp))
        z = z + step * p
        r = r - step * mp
        rs_new = float(xp.sum(r * r))
        p = r + (rs_new / rs) * p
        rs = rs_new
    return z


def dpir_sigmas(noise_sigma, iterations=8, sigma1=49 / 255):
    """DPIR's schedule: ``iterations`` noise levels spaced evenly on a log scale from ``sigma1``
    down to ``noise_sigma`` (at least 1e-3, so a noise-free problem still works)."""
    return list(np.geomspace(sigma1, max(noise_sigma, 1e-3), iterations))


def pnp_hqs(y, forward_op, adjoint_op, denoiser, sigmas, noise_sigma, lam=0.23, x0=None, x_true=None,
            cg_iterations=30):
    """Plug-and-play HQS (DPIR Algorithm 1). Returns ``PnPResult(image, psnr)``.

    - ``y``: the measurement (N, C, H, W) tensor.
    - ``forward_op``: a ``BlurOperator`` / ``MaskOperator`` (closed-form data step), or a
      function array -> array for A; ``adjoint_op``: A^T as a function (ignored for the two
      operators above, which know their adjoint).
    - ``denoiser(z, sigma)``: a tensor -> tensor function given the noise level to remove,
      e.g. ``lambda z, s: drunet_model(z, s)``, or ``lambda z, s: dncnn_model(z)`` for a
      denoiser trained at one level.
    - ``sigmas``: the noise levels sigma_1 > ... > sigma_K (``dpir_sigmas``).
    - ``noise_sigma``: the measurement noise level sigma; ``lam``: lambda (DPIR uses 0.23).
    - ``x0``: the starting image (default: A^T y for a mask, y itself for a blur).
    - ``x_true``: when given, ``psnr`` lists the PSNR of x_k after each iteration.
    """
    y_a = _array(y)
    xp = get_array_module(y_a)
    closed_form = hasattr(forward_op, "data_step")
    if not closed_form and adjoint_op is None:
        raise ValueError("pnp_hqs: a forward_op without a closed-form data_step needs its adjoint_op (A^T) for "
                         "conjugate gradients")
    x = _array(x0) if x0 is not None else y_a.copy()
    psnr = []
    with no_grad():
        for sigma_k in sigmas:
            alpha = lam * max(noise_sigma, 1e-3) ** 2 / sigma_k ** 2
            if closed_form:  # data step: the proximal map of the physics model
                z = forward_op.data_step(y_a, x, alpha)
            else:
                adjoint = adjoint_op.adjoint if hasattr(adjoint_op, "adjoint") else adjoint_op
                rhs = adjoint(y_a) + alpha * x
                z = conjugate_gradient(lambda v: adjoint(forward_op(v)) + alpha * v, rhs, x, cg_iterations)
            x = _array(denoiser(Tensor(z), float(sigma_k)))  # prior step: the denoiser
            if x_true is not None:
                mse = float(xp.mean((xp.clip(x, 0, 1) - _array(x_true)) ** 2))
                psnr.append(10 * np.log10(1.0 / max(mse, 1e-20)))
    return PnPResult(Tensor(x), psnr)
