"""GAN: alternating generator/discriminator optimisation on a 2-D mixture of eight Gaussians."""
# %% [markdown]
# # A generative adversarial network in two dimensions
#
# The discriminator D learns to tell real points from generated ones (binary
# cross-entropy); the generator G learns to make D say "real" (the non-saturating loss
# `-log D(G(z))`). The two take turns, one step each. The data are eight Gaussians on a
# circle, so we can count how many modes the generator covers (a mode is covered when at
# least 2% of generated samples fall within 3 standard deviations of it), measure the mean
# distance from a sample to its nearest mode, and see mode collapse if it happens.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
steps, batch, width = (200, 64, 64) if args.fast else (3000, 256, 128)
modes = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], 1) * 2.0
std = 0.05


def real_batch(n):
    return tge.tensor((modes[rng.integers(0, 8, n)] + std * rng.standard_normal((n, 2))).astype(np.float32))


G = nn.Sequential(nn.Linear(8, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 2))
D = nn.Sequential(nn.Linear(2, width), nn.LeakyReLU(0.2), nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, 1))
opt_g = tge.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_d = tge.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
ones, zeros = tge.ones(batch, 1), tge.zeros(batch, 1)


def modes_covered(points):
    d = np.linalg.norm(points[:, None, :] - modes[None], axis=2)
    near = d.min(1) < 3 * std
    counts = np.bincount(d.argmin(1)[near], minlength=8)
    return int((counts >= 0.02 * len(points)).sum()), float(near.mean()), float(d.min(1).mean())


snapshots, history = {}, []
for step in range(1, steps + 1):
    # discriminator step: real -> 1, fake -> 0 (the fake is detached: G is not updated here)
    fake = G(tge.randn(batch, 8)).detach()
    loss_d = F.binary_cross_entropy_with_logits(D(real_batch(batch)), ones) + \
        F.binary_cross_entropy_with_logits(D(fake), zeros)
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    # generator step: make D call the fakes real
    loss_g = F.binary_cross_entropy_with_logits(D(G(tge.randn(batch, 8))), ones)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    if step in (1, steps // 4, steps // 2, steps):
        with tge.no_grad():
            snapshots[step] = G(tge.randn(1000, 8)).numpy()
        history.append((step, *modes_covered(snapshots[step])))
        print(f"step {step:5d}: modes covered {history[-1][1]}/8, samples near a mode {history[-1][2]:.1%}, "
              f"mean distance to the nearest mode {history[-1][3]:.3f}")

# %%
fig, axes = plt.subplots(1, len(snapshots), figsize=(3 * len(snapshots), 3))
for ax, (step, pts) in zip(axes, snapshots.items()):
    ax.scatter(*modes.T, c="C3", s=30, marker="x")
    ax.scatter(*pts.T, s=2, alpha=0.4)
    ax.set_xlim(-3, 3), ax.set_ylim(-3, 3), ax.set_aspect("equal"), ax.set_title(f"step {step}")
lectures.save(fig, args, "gan_mixture")

# %%
lectures.claim(args, "alternating optimisation moves generated samples onto the data's modes",
               modes_covered=history[-1][1], modes_covered_at_start=history[0][1],
               near_mode_fraction=history[-1][2], near_mode_fraction_at_start=history[0][2],
               mean_distance=history[-1][3], mean_distance_at_start=history[0][3])
