"""Positional encodings: ways to give a network a number (a position, a coordinate, a noise
level) as a vector it can use (the positional-encoding lecture). They live in
``tge.models`` (not ``tge.nn``) because the lecture presents them with the models that use
them; all are ordinary Modules.

- ``SinusoidalPositionalEncoding`` (Vaswani et al. 2017): position t becomes
  P(t, 2i) = sin(t / lambda_i), P(t, 2i+1) = cos(t / lambda_i), lambda_i = N^(2i/d),
  with N = ``base`` = 10,000. Wavelengths grow geometrically from 2*pi to N*2*pi, so nearby
  positions differ in the fast components and far ones in the slow ones; nothing is learned.
- ``LearnedPositionalEncoding``: a (max_len, d_model) matrix E learned with the model;
  row t is the vector of position t.
- ``FourierFeatures``: NeRF's gamma(p) = (sin(2^k pi p), cos(2^k pi p)), k = 0..L-1, per
  coordinate (Mildenhall et al. 2020), or random Gaussian features
  (sin(2 pi B p), cos(2 pi B p)) with B ~ N(0, scale^2) (Tancik et al. 2020). An MLP fed raw
  coordinates only fits smooth functions (spectral bias); high frequencies in the input let
  it fit fine detail.
- ``CoordinateMLP``: an MLP from pixel coordinates to pixel values, with or without an encoding.
- ``NoiseLevelEncoding`` / ``noise_level_map``: the lecture's two ways to tell a denoiser the
  noise level sigma: a constant image channel (DRUNet) or a sinusoidal embedding (DDPM).
"""
import math

import numpy as np

from .. import backend, creation
from ..nn.activation import ReLU
from ..nn.containers import Sequential
from ..nn.linear import Identity, Linear
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..nn import init
from ..ops.shape import cat
from ..random import numpy_generator
from ..tensor import Tensor


def sinusoidal_table(positions, d_model, base=10000.0):
    """(len(positions), d_model) array with P(t, 2i) = sin(t / base^(2i/d)), P(t, 2i+1) = cos(...).

    ``positions`` is any 1-D array of real numbers (not only integers: a noise level works)."""
    if d_model % 2:
        raise ValueError(f"SinusoidalPositionalEncoding: d_model must be even (sin/cos pairs), got {d_model}")
    # BEGIN SOLUTION task 5.5
    t = np.asarray(positions, dtype=np.float64).reshape(-1, 1)
    wavelengths = base ** (np.arange(0, d_model, 2) / d_model)  # lambda_i = N^(2i/d)
    table = np.empty((t.shape[0], d_model))
    table[:, 0::2] = np.sin(t / wavelengths)
    table[:, 1::2] = np.cos(t / wavelengths)
    return table
    # END SOLUTION


class SinusoidalPositionalEncoding(Module):
    """x + P[:L] for x of shape (N, L, d_model) (batch first). Positions beyond ``max_len``
    are refused; ``base`` is the lecture's N. No parameters, nothing saved."""

    def __init__(self, d_model, max_len=10000, base=10000.0):
        super().__init__()
        if d_model % 2:
            raise ValueError(f"SinusoidalPositionalEncoding: d_model must be even (sin/cos pairs), got {d_model}")
        self.d_model, self.max_len, self.base = d_model, max_len, base

    def encoding(self, length):
        """P[:length] as a (length, d_model) tensor of the default float dtype."""
        table = sinusoidal_table(np.arange(length), self.d_model, self.base)
        return creation.tensor(table.astype(backend.default_float_dtype))

    def forward(self, x):
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"SinusoidalPositionalEncoding: expected (N, L, {self.d_model}), got {tuple(x.shape)}")
        if x.shape[1] > self.max_len:
            raise ValueError(f"SinusoidalPositionalEncoding: sequence length {x.shape[1]} exceeds max_len {self.max_len}")
        table = sinusoidal_table(np.arange(x.shape[1]), self.d_model, self.base).astype(x.dtype)
        return x + Tensor(table, device=x.device)

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, base={self.base:g}"


class LearnedPositionalEncoding(Module):
    """x + E[:L], E a learned (max_len, d_model) matrix initialised N(0, 0.02^2) (GPT-2's choice)."""

    def __init__(self, d_model, max_len=512):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.weight = Parameter(creation.empty(max_len, d_model))
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x):
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"LearnedPositionalEncoding: expected (N, L, {self.d_model}), got {tuple(x.shape)}")
        if x.shape[1] > self.max_len:
            raise ValueError(f"LearnedPositionalEncoding: sequence length {x.shape[1]} exceeds max_len {self.max_len}")
        return x + self.weight[: x.shape[1]]


class FourierFeatures(Module):
    """gamma(p) = [sin(pi B p), cos(pi B p)] for p of shape (..., in_features).

    ``kind="nerf"``: the rows of B are 2^k e_j (k < num_frequencies, each coordinate j), so
    gamma(p) holds sin(2^k pi p_j) and cos(2^k pi p_j): output 2 * in_features * L values.
    ``kind="gaussian"``: B = 2 G with G ~ N(0, scale^2), (num_frequencies, in_features),
    i.e. sin(2 pi G p), cos(2 pi G p): output 2 * L values. B is a buffer (saved in the
    state_dict, never trained), drawn from the framework's generator.
    """

    def __init__(self, in_features=2, num_frequencies=10, kind="nerf", scale=10.0):
        super().__init__()
        if kind == "nerf":
            rows = [2.0 ** k * np.eye(in_features)[j] for k in range(num_frequencies) for j in range(in_features)]
            matrix = np.array(rows).reshape(-1, in_features)
        elif kind == "gaussian":
            matrix = 2.0 * scale * numpy_generator().standard_normal((num_frequencies, in_features))
        else:
            raise ValueError(f"FourierFeatures: kind must be 'nerf' or 'gaussian', got {kind!r}")
        self.in_features, self.kind = in_features, kind
        self.out_features = 2 * matrix.shape[0]
        self.register_buffer("B", creation.tensor(matrix.astype(np.float32)))

    def forward(self, p):
        if p.shape[-1] != self.in_features:
            raise ValueError(f"FourierFeatures: expected (..., {self.in_features}) coordinates, got {tuple(p.shape)}")
        arg = math.pi * (p @ self.B.to(p.dtype).T)
        return cat([arg.sin(), arg.cos()], dim=-1)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, kind={self.kind!r}"


def pixel_coordinates(height, width):
    """(height * width, 2) tensor of pixel centres (y, x) in [0, 1), row by row."""
    ys, xs = np.meshgrid((np.arange(height) + 0.5) / height, (np.arange(width) + 0.5) / width, indexing="ij")
    return creation.tensor(np.stack([ys.ravel(), xs.ravel()], axis=1).astype(np.float32))


class CoordinateMLP(Module):
    """f(p): pixel coordinates (N, in_features) -> values (N, out_features).

    ``encoding``: None (raw coordinates), "fourier" (NeRF, ``num_frequencies`` octaves) or
    "gaussian" (random features with ``scale``); then ``layers`` Linear(hidden) + ReLU and a
    Linear to ``out_features``. Fit an image with ``pixel_coordinates(h, w)`` as inputs and the
    flattened pixels as targets (MSE): without an encoding the fit stays blurry.
    """

    def __init__(self, in_features=2, out_features=1, hidden=256, layers=4, encoding=None, num_frequencies=10,
                 scale=10.0):
        super().__init__()
        if encoding is None:
            self.encoding, width = Identity(), in_features
        elif encoding in ("fourier", "gaussian"):
            self.encoding = FourierFeatures(in_features, num_frequencies, "nerf" if encoding == "fourier" else "gaussian",
                                            scale)
            width = self.encoding.out_features
        else:
            raise ValueError(f"CoordinateMLP: encoding must be None, 'fourier' or 'gaussian', got {encoding!r}")
        blocks = []
        for _ in range(layers):
            blocks += [Linear(width, hidden), ReLU()]
            width = hidden
        blocks.append(Linear(width, out_features))
        self.net = Sequential(*blocks)

    def forward(self, p):
        return self.net(self.encoding(p))


def noise_level_map(x, sigma):
    """x (N, C, H, W) with one more channel holding sigma everywhere: (N, C+1, H, W).

    ``sigma``: a number or a tensor of N noise levels (one per image)."""
    n, _, h, w = x.shape
    ones = creation.ones(n, 1, h, w, dtype=x.dtype, device=x.device)
    if isinstance(sigma, Tensor):
        level = ones * sigma.reshape(-1, 1, 1, 1).to(x.dtype)
    else:
        level = ones * float(sigma)
    return cat([x, level], dim=1)


class NoiseLevelEncoding(Module):
    """The noise level sigma as a network input.

    ``forward(sigma)``: the sinusoidal embedding of ``scale * sigma`` (``dim`` values per
    image; sigma a number or a tensor of N levels), as DDPM embeds its time step; a denoiser
    adds it (through a Linear) to its feature maps. ``map(x, sigma)``: the constant channel
    (``noise_level_map``), as DRUNet takes it. ``scale=255`` makes sigma = 25/255 (images in
    [0, 1]) the position 25.
    """

    def __init__(self, dim=64, scale=255.0, base=10000.0):
        super().__init__()
        self.dim, self.scale, self.base = dim, scale, base

    def forward(self, sigma):
        # the table is computed on the host (N numbers) and lands on sigma's device
        if isinstance(sigma, Tensor):
            levels, device = sigma.detach().cpu().numpy().reshape(-1), sigma.device
        else:
            levels, device = np.atleast_1d(float(sigma)), None
        table = sinusoidal_table(self.scale * levels, self.dim, self.base).astype(np.float32)
        return creation.tensor(table, device=device)

    @staticmethod
    def map(x, sigma):
        return noise_level_map(x, sigma)

    def extra_repr(self):
        return f"dim={self.dim}, scale={self.scale:g}"
