"""CNN building blocks: size arithmetic, receptive field growth, and transpose-conv checkerboards vs resize-then-conv."""
# %% [markdown]
# # Convolution arithmetic, receptive fields, and checkerboards
#
# 1. Output size of a convolution or pooling: `floor((n + 2p - k) / s) + 1`; checked against
#    the layers' actual output shapes.
# 2. Receptive field: which input pixels can change one output pixel. We read it off the
#    gradient of a centre output with respect to the input: with n stacked 3x3 convolutions
#    it is `2n + 1` pixels wide (one more pixel each side per layer).
# 3. A stride-2 transpose convolution with kernel 3 covers output pixels unevenly (odd
#    positions get contributions from two input pixels, even ones from one, per axis), which
#    prints a checkerboard onto smooth inputs. Upsampling first (nearest) and then convolving
#    treats every output pixel alike. We measure the share of each output's spectral energy
#    at the highest frequencies (|f| >= 0.4 cycles/pixel), averaged over random weights.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)

# %% [markdown]
# ## 1. Size arithmetic

# %%
def out_size(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


cases = [(nn.Conv2d(1, 1, 3), 3, 1, 0), (nn.Conv2d(1, 1, 3, padding=1), 3, 1, 1), (nn.Conv2d(1, 1, 5, stride=2, padding=2), 5, 2, 2),
         (nn.Conv2d(1, 1, 3, stride=2), 3, 2, 0), (nn.MaxPool2d(2), 2, 2, 0), (nn.MaxPool2d(3, stride=2, padding=1), 3, 2, 1)]
size_mismatches = 0
for layer, k, s, p in cases:
    for n in (7, 8, 28, 33):
        got = layer(tge.zeros(1, 1, n, n)).shape[-1]
        size_mismatches += got != out_size(n, k, s, p)
        if n == 28:
            print(f"{layer!r:60s} n=28: formula {out_size(n, k, s, p):2d}, layer {got:2d}")

# %% [markdown]
# ## 2. Receptive field of stacked 3x3 convolutions

# %%
depths = list(range(1, 5 if args.fast else 9))
fields = []
for depth in depths:
    net = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(depth)])
    x = tge.randn(1, 1, 21, 21, requires_grad=True)
    net(x)[0, 0, 10, 10].backward()
    touched = np.argwhere(np.abs(x.grad.numpy()[0, 0]) > 0)
    fields.append(int(touched[:, 1].max() - touched[:, 1].min() + 1))
print("receptive field widths:", fields, "expected:", [2 * d + 1 for d in depths])

# %% [markdown]
# ## 3. Transpose convolution vs resize-then-convolve

# %%
def smooth_image(size):
    """Low-frequency random image: a few random cosines."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = sum(rng.normal() * np.cos(2 * np.pi * (rng.uniform(0, 2) * xx + rng.uniform(0, 2) * yy)) for _ in range(4))
    return tge.tensor(img[None, None].astype(np.float32))


def high_freq_share(out):
    """Share of the (mean-removed, border-cropped) spectral energy at |f| >= 0.4 cycles/pixel."""
    a = out[0, 0, 3:-3, 3:-3]
    power = np.abs(np.fft.fft2(a - a.mean())) ** 2
    f = np.fft.fftfreq(a.shape[0])
    high = (np.abs(f)[:, None] >= 0.4) | (np.abs(f)[None, :] >= 0.4)
    return power[high].sum() / power.sum()


trials, size = (4, 16) if args.fast else (32, 32)
shares = {"transpose conv": [], "resize + conv": []}
with tge.no_grad():
    for _ in range(trials):
        x = smooth_image(size)
        transpose = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)
        resize = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(1, 1, 3, padding=1))
        out_t, out_r = transpose(x).numpy(), resize(x).numpy()
        shares["transpose conv"].append(high_freq_share(out_t))
        shares["resize + conv"].append(high_freq_share(out_r))
ratio = np.mean(shares["transpose conv"]) / np.mean(shares["resize + conv"])

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
axes[0].plot(depths, fields, "o-", label="measured")
axes[0].plot(depths, [2 * d + 1 for d in depths], "k--", lw=0.8, label="2n + 1")
axes[0].set_xlabel("3x3 conv layers"), axes[0].set_ylabel("receptive field (px)"), axes[0].legend()
for ax, img, title in zip(axes[1:], [x.numpy(), out_t, out_r], ["input", "transpose conv s2 k3", "nearest x2 + conv3"]):
    ax.imshow(img[0, 0], cmap="gray"), ax.set_title(title, fontsize=9), ax.axis("off")
lectures.save(fig, args, "cnn_building_blocks")

# %%
lectures.claim(args, "the formula gives every layer's size, receptive field is 2n+1, and transpose conv has more "
               "high-frequency energy than resize-conv",
               size_mismatches=size_mismatches, receptive_field_errors=sum(f != 2 * d + 1 for f, d in zip(fields, depths)),
               high_freq_transpose=np.mean(shares["transpose conv"]), high_freq_resize=np.mean(shares["resize + conv"]),
               high_freq_ratio=ratio)
