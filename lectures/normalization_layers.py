"""Normalisation layers: BatchNorm vs LayerNorm vs RMSNorm vs GroupNorm at batch sizes from 2 to 64."""
# %% [markdown]
# # Which normalisation for which batch size
#
# BatchNorm's statistics come from the batch: with a handful of samples they are noisy in
# training and the running estimates used at test time are poor. LayerNorm, RMSNorm and
# GroupNorm normalise each sample on its own, so they do not care about the batch size.
# (BatchNorm cannot train at batch size 1 at all on (N, C) features: one value per channel
# has no variance, and it refuses, as PyTorch does.) Each network sees the same number of
# training samples; we report held-out accuracy on the 8x8 digits.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn
from tinygrad_edu.data import load_digits
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
Xtr, Ytr = load_digits("train")
Xte, Yte = load_digits("test")
Xtr, Ytr = tge.tensor(Xtr.reshape(len(Xtr), -1)), tge.tensor(Ytr)
Xte, Yte = Xte.reshape(len(Xte), -1), Yte.numpy()
batch_sizes = [2, 8, 32] if args.fast else [2, 4, 8, 16, 32, 64]
samples = 700 if args.fast else 4 * len(Ytr)  # training samples seen by every network
norms = {"BatchNorm": lambda: nn.BatchNorm1d(64), "LayerNorm": lambda: nn.LayerNorm(64),
         "RMSNorm": lambda: nn.RMSNorm(64), "GroupNorm(8)": lambda: nn.GroupNorm(8, 64)}


def accuracy(norm, batch_size):
    tge.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    net = nn.Sequential(nn.Linear(64, 64), norm(), nn.ReLU(), nn.Linear(64, 64), norm(), nn.ReLU(), nn.Linear(64, 10))
    # lr 0.01: at 0.05 (with momentum 0.9) every network, whatever its norm, diverged at batch 2
    opt = tge.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for _ in range(samples // batch_size):
        idx = tge.tensor(rng.integers(0, len(Ytr), batch_size))
        loss = F.cross_entropy(net(Xtr[idx]), Ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with tge.no_grad():
        return float(np.mean(net(Xte).argmax(1).numpy() == Yte))


table = {name: [accuracy(make, bs) for bs in batch_sizes] for name, make in norms.items()}
for name, accs in table.items():
    print(f"{name:13s}", " ".join(f"{a:.3f}" for a in accs))

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for name, accs in table.items():
    ax.plot(batch_sizes, accs, "o-", label=name)
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size"), ax.set_ylabel("test accuracy"), ax.legend()
ax.set_title(f"same {samples} training samples for every point")
lectures.save(fig, args, "normalization_layers")

# %%
small = {name: accs[0] for name, accs in table.items()}
lectures.claim(args, "at tiny batches BatchNorm falls behind the per-sample norms; at large batches they are close",
               bn_smallest_batch=small["BatchNorm"], ln_smallest_batch=small["LayerNorm"],
               rms_smallest_batch=small["RMSNorm"], gn_smallest_batch=small["GroupNorm(8)"],
               bn_largest_batch=table["BatchNorm"][-1], ln_largest_batch=table["LayerNorm"][-1])
