"""Plug-and-play: deblurring and inpainting with a trained DnCNN as the prior inside HQS."""
# %% [markdown]
# # Plug-and-play restoration
#
# Half-quadratic splitting alternates two easy steps: a *data step* that pulls the estimate
# towards agreement with the measurement through the known physics (blur, or a mask of
# missing pixels; closed forms in `tge.models.pnp`), and a *prior step* that runs a
# denoiser. Any denoiser can be plugged in; we train a small residual DnCNN for Gaussian
# noise on patches of two photographs, then restore a crop of the third. The number is the
# PSNR gain over the degraded input.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn
from tinygrad_edu.data.datasets.images import add_gaussian_noise, load_image, random_patches, random_pixel_mask
from tinygrad_edu.models import BlurOperator, MaskOperator, dncnn, dpir_sigmas, pnp_hqs

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
size, steps, depth, features = (32, 30, 4, 8) if args.fast else (64, 300, 6, 16)
train_sigma, noise_sigma = 15 / 255, 2 / 255

# %% [markdown]
# ## The denoiser (residual DnCNN, starting as the identity: last convolution zeroed)

# %%
denoiser = dncnn(depth=depth, features=features)
nn.init.zeros_(denoiser.layers[-1].weight)
train_images = [load_image("coffee", gray=True), load_image("chelsea", gray=True)]
opt = tge.optim.Adam(denoiser.parameters(), lr=1e-3)
for _ in range(steps):
    clean = random_patches(train_images, 32, 16)
    loss = ((denoiser(add_gaussian_noise(clean, train_sigma)) - clean) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
denoiser.eval()

x_true = load_image("camera")[None, :, 80:80 + 2 * size:2, 180:180 + 2 * size:2]


def psnr(x):
    return float(10 * np.log10(1.0 / np.mean((np.clip(x, 0, 1) - x_true.numpy()) ** 2)))


# %% [markdown]
# ## Deblurring (Gaussian blur, std 1.6 pixels, plus noise 2/255) and inpainting (half the pixels missing)

# %%
r = np.arange(-3, 4)
kernel = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.6 ** 2))
blur = BlurOperator(kernel / kernel.sum(), (size, size))
y_blur = add_gaussian_noise(tge.tensor(np.asarray(blur(x_true.numpy()), dtype=np.float32)), noise_sigma)
mask = random_pixel_mask((1, 1, size, size), missing=0.5)
inpaint = MaskOperator(mask)
y_mask = x_true * mask
sigmas = dpir_sigmas(noise_sigma, iterations=8)
# z.float(): the mask's closed-form data step returns float64; the denoiser's weights are float32
run = lambda y, op: pnp_hqs(y, op, None, lambda z, s: denoiser(z.float()), sigmas, noise_sigma, x_true=x_true).image.numpy()
x_blur, x_mask = run(y_blur, blur), run(y_mask, inpaint)
results = {"deblur": (psnr(y_blur.numpy()), psnr(x_blur)), "inpaint": (psnr(y_mask.numpy()), psnr(x_mask))}
for k, (before, after) in results.items():
    print(f"{k:8s}: input {before:.2f} dB -> plug-and-play {after:.2f} dB")

# %%
fig, axes = plt.subplots(1, 5, figsize=(13, 3))
for ax, img, title in zip(axes, [x_true.numpy(), y_blur.numpy(), x_blur, y_mask.numpy(), x_mask],
                          ["truth", f"blurred {results['deblur'][0]:.1f} dB", f"PnP {results['deblur'][1]:.1f} dB",
                           f"50% missing {results['inpaint'][0]:.1f} dB", f"PnP {results['inpaint'][1]:.1f} dB"]):
    ax.imshow(np.clip(img[0, 0], 0, 1), cmap="gray", vmin=0, vmax=1), ax.set_title(title, fontsize=9), ax.axis("off")
lectures.save(fig, args, "plug_and_play")

# %%
lectures.claim(args, "plug-and-play HQS with a trained denoiser raises PSNR over the degraded input",
               deblur_input=results["deblur"][0], deblur_output=results["deblur"][1],
               inpaint_input=results["inpaint"][0], inpaint_output=results["inpaint"][1])
