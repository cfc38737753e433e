"""Autoencoders: a denoising autoencoder on MNIST digits, and what an L1 sparsity penalty does to the code."""
# %% [markdown]
# # Denoising and sparse autoencoders
#
# An autoencoder squeezes an image through a small code and rebuilds it. A *denoising*
# autoencoder is fed corrupted inputs (Gaussian noise, added only in training) and asked for
# the clean image, so it must learn what digits look like rather than copy pixels. A
# *sparse* autoencoder adds `lambda * mean|code|` to the loss, so each image is described by
# few active code units; its first-layer filters then tend to become stroke and edge
# detectors. Loss: binary cross-entropy on pixels in [0, 1].

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.data import load_mnist_subset
from tinygrad_edu.models import ConvAutoencoder, DenoisingAutoencoder, SparseAutoencoder, sparsity_penalty
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
Xtr, _ = load_mnist_subset("train")
Xte, _ = load_mnist_subset("test")
n_train, steps, batch, features, noise = (128, 25, 16, 8, 0.3) if args.fast else (4000, 400, 32, 16, 0.3)
Xtr, Xte = Xtr[:n_train], Xte[:32 if args.fast else 64]


def train(model, sparsity=0.0):
    rng = np.random.default_rng(args.seed)
    opt = tge.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        model.train()
        x = Xtr[tge.tensor(rng.integers(0, len(Xtr), batch))]
        loss = F.binary_cross_entropy(model(x), x)
        if sparsity:
            loss = loss + sparsity * sparsity_penalty(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


def psnr(a, b):
    return float(10 * np.log10(1.0 / np.mean((a - b) ** 2)))


tge.manual_seed(args.seed)
noisy_te = (Xte + noise * tge.randn(*Xte.shape)).clamp(0, 1)
dae = train(DenoisingAutoencoder(features=features, noise_std=noise))
tge.manual_seed(args.seed)
plain = train(ConvAutoencoder(features=features))
with tge.no_grad():
    den_dae, den_plain = dae(noisy_te).numpy(), plain(noisy_te).numpy()
clean = Xte.numpy()
psnr_input, psnr_dae, psnr_plain = psnr(noisy_te.numpy(), clean), psnr(den_dae, clean), psnr(den_plain, clean)
print(f"noisy input {psnr_input:.2f} dB, denoising AE {psnr_dae:.2f} dB, plain AE {psnr_plain:.2f} dB")

# %% [markdown]
# ## Sparse code: mean |code| and the share of near-zero code entries

# %%
codes = {}
for lam in (0.0, 0.1):
    tge.manual_seed(args.seed)
    sae = train(SparseAutoencoder(features=features), sparsity=lam)
    with tge.no_grad():
        code = sae.encode(Xte).numpy()
    codes[lam] = (np.abs(code).mean(), np.mean(np.abs(code) < 1e-3), sae)
    print(f"lambda {lam}: mean |code| {codes[lam][0]:.4f}, near-zero entries {codes[lam][1]:.1%}")

# %%
fig, axes = plt.subplots(4, 8, figsize=(9, 4.8))
for j in range(8):
    for i, (img, title) in enumerate([(clean[j, 0], "clean"), (noisy_te.numpy()[j, 0], "noisy"), (den_dae[j, 0], "DAE")]):
        axes[i, j].imshow(img, cmap="gray", vmin=0, vmax=1), axes[i, j].axis("off")
        if j == 0:
            axes[i, j].set_title(title, fontsize=8, loc="left")
    w = codes[0.1][2].encoder[0].weight.detach().numpy()[j % features, 0]
    axes[3, j].imshow(w, cmap="RdBu"), axes[3, j].axis("off")
axes[3, 0].set_title("sparse AE filters", fontsize=8, loc="left")
lectures.save(fig, args, "autoencoders")

# %%
lectures.claim(args, "the denoising AE raises PSNR over its noisy input; the L1 penalty makes the code sparser",
               psnr_input=psnr_input, psnr_dae=psnr_dae, psnr_plain_ae=psnr_plain,
               mean_abs_code_plain=codes[0.0][0], mean_abs_code_sparse=codes[0.1][0],
               zero_fraction_plain=codes[0.0][1], zero_fraction_sparse=codes[0.1][1])
