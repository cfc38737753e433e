"""Deep image prior: a U-Net fitted to one noisy image; PSNR against the clean image rises, peaks, then falls."""
# %% [markdown]
# # Deep image prior
#
# No training set: a randomly initialised U-Net maps a fixed random input to an image, and
# we fit its weights so that the output matches *one noisy photograph*. A convolutional
# network reproduces smooth, structured content much faster than pixel noise, so along the
# way its output passes through a clean-looking image before it finally fits the noise too.
# Early stopping at the peak is the denoiser. We track PSNR against the clean image (which
# the fit never sees).

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.data.datasets.images import add_gaussian_noise, load_image
from tinygrad_edu.models import deep_image_prior, unet

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
size, iterations, features = (24, 400, 8) if args.fast else (48, 1000, 16)
# a crop at full resolution: a photo subsampled without smoothing is full of aliasing,
# detail that looks like noise to the prior as much as the noise itself does
clean = load_image("camera")[None, :, 60:60 + size, 160:160 + size]
noisy = add_gaussian_noise(clean, 25 / 255)
net = unet(8, 1, features=features, depth=2, padding=1)
result = deep_image_prior(noisy, clean, net=net, iterations=iterations, lr=3e-3, seed=args.seed)
curve = np.array(result.psnr)
noisy_psnr = float(10 * np.log10(1.0 / np.mean((np.clip(noisy.numpy(), 0, 1) - clean.numpy()) ** 2)))
print(f"noisy input {noisy_psnr:.2f} dB; peak {curve.max():.2f} dB at iteration {result.best_iteration}; "
      f"last {curve[-1]:.2f} dB")

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3), gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
axes[0].plot(np.arange(1, len(curve) + 1), curve, label="output vs clean")
axes[0].axhline(noisy_psnr, color="0.5", ls="--", label="noisy input")
axes[0].axvline(result.best_iteration, color="C3", lw=0.8)
axes[0].set_xlabel("iteration"), axes[0].set_ylabel("PSNR (dB)"), axes[0].legend(fontsize=8)
for ax, img, title in zip(axes[1:], [noisy.numpy(), result.best_image.numpy(), result.image.numpy()],
                          ["noisy", f"at the peak ({curve.max():.1f} dB)", f"last ({curve[-1]:.1f} dB)"]):
    ax.imshow(np.clip(img[0, 0], 0, 1), cmap="gray", vmin=0, vmax=1), ax.set_title(title, fontsize=9), ax.axis("off")
lectures.save(fig, args, "deep_image_prior")

# %%
shape = curve.max() > noisy_psnr and curve[-1] < curve.max()  # above the input, and past the peak
lectures.claim(args, f"the fit's PSNR rises above the noisy input, peaks, then falls as it fits the noise: "
               f"{noisy_psnr:.1f} dB input, peak {curve.max():.1f} dB at iteration {result.best_iteration}, "
               f"last {curve[-1]:.1f} dB ({lectures.verdict(shape)})",
               peak_iteration=result.best_iteration, peak_psnr=curve.max(), last_psnr=curve[-1], first_psnr=curve[0],
               noisy_psnr=noisy_psnr, iterations=iterations)
