"""Positional encoding: the sinusoidal table (d=512, N=10000) and a coordinate MLP with vs without Fourier features."""
# %% [markdown]
# # Positional encoding
#
# **The sinusoidal table.** Position t gets the vector `P(t, 2i) = sin(t / N^(2i/d))`,
# `P(t, 2i+1) = cos(t / N^(2i/d))`: each pair of dimensions is a clock running at its own
# speed, from one turn every 2*pi positions down to one turn every 2*pi*N. Because
# `sin(a+b)` and `cos(a+b)` are linear in `sin a, cos a`, the dot product `P(t) . P(t+k)`
# depends only on the offset k, not on t.
#
# **Fourier features for coordinates.** An MLP fed raw pixel coordinates (y, x) learns
# smooth functions first (spectral bias) and stays blurry; feeding
# `[sin(2^k pi p), cos(2^k pi p)]` (NeRF's encoding) lets it fit fine detail.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.data.datasets.images import load_image
from tinygrad_edu.models import CoordinateMLP, SinusoidalPositionalEncoding, pixel_coordinates

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
d, N, length = 512, 10000.0, 128
table = SinusoidalPositionalEncoding(d, base=N).encoding(length).numpy()
t, i = np.arange(length)[:, None], np.arange(d // 2)[None, :]
closed = np.empty((length, d))
closed[:, 0::2], closed[:, 1::2] = np.sin(t / N ** (2 * i / d)), np.cos(t / N ** (2 * i / d))
table_error = np.abs(table - closed).max()
offset = 5
dots = np.array([table[s] @ table[s + offset] for s in range(length - offset)])
dot_spread = np.ptp(dots) / np.abs(dots).mean()

# %% [markdown]
# ## Fit an image with a coordinate MLP

# %%
size, steps = (16, 80) if args.fast else (48, 1000)
camera = load_image("camera").numpy()[0]
stride = 256 // size
image = camera[100:356:stride, 150:406:stride][:size, :size]  # the photographer's head, downsampled
target = tge.tensor(image.reshape(-1, 1))
coords = pixel_coordinates(size, size)


def fit(encoding):
    tge.manual_seed(args.seed)
    net = CoordinateMLP(hidden=64 if args.fast else 256, layers=3, encoding=encoding, num_frequencies=6)
    opt = tge.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(steps):
        loss = ((net(coords) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with tge.no_grad():
        out = net(coords).numpy().reshape(size, size)
    return out, 10 * np.log10(1.0 / np.mean((out - image) ** 2))


raw, psnr_raw = fit(None)
fourier, psnr_fourier = fit("fourier")
print(f"coordinate MLP PSNR: raw (y, x) {psnr_raw:.2f} dB, Fourier features {psnr_fourier:.2f} dB")

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
axes[0].imshow(table.T, cmap="RdBu", aspect="auto"), axes[0].set_xlabel("position t"), axes[0].set_ylabel("dimension")
axes[0].set_title(f"sinusoidal table, d={d}, N={N:g}")
for ax, img, title in zip(axes[1:], [image, raw, fourier],
                          ["target", f"raw coords, {psnr_raw:.1f} dB", f"Fourier features, {psnr_fourier:.1f} dB"]):
    ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1), ax.set_title(title), ax.axis("off")
lectures.save(fig, args, "positional_encoding")

# %%
lectures.claim(args, "the table matches its formula, P(t).P(t+k) depends only on k, and a coordinate MLP fits "
               "the image only with Fourier features",
               table_error=table_error, dot_relative_spread=dot_spread, psnr_raw=psnr_raw, psnr_fourier=psnr_fourier)
