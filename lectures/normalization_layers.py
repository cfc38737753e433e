"""Normalisation layers: BatchNorm vs LayerNorm vs RMSNorm vs GroupNorm at batch sizes from 1 to 64."""
# %% [markdown]
# # Which normalisation for which batch size
#
# BatchNorm's statistics come from the batch: with a handful of samples they are noisy in
# training and the running estimates used at test time are poor. LayerNorm, RMSNorm and
# GroupNorm normalise each sample on its own, so they do not care about the batch size.
# BatchNorm cannot train at batch size 1 at all on (N, C) features: one value per channel
# has no variance, and it refuses, as PyTorch does; the per-sample norms train at batch 1
# as at any other size. Each network sees the same number of training samples; we report
# held-out accuracy on the 8x8 digits (BatchNorm at batch 1: n/a, with the reason).

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
batch_sizes = [1, 2, 8, 32] if args.fast else [1, 2, 4, 8, 16, 32, 64]
samples = 700 if args.fast else 4 * len(Ytr)  # training samples seen by every network
norms = {"BatchNorm": lambda: nn.BatchNorm1d(64), "LayerNorm": lambda: nn.LayerNorm(64),
         "RMSNorm": lambda: nn.RMSNorm(64), "GroupNorm(8)": lambda: nn.GroupNorm(8, 64)}


refused = {}  # (norm, batch size) -> the error message of a norm that cannot train there


def accuracy(name, batch_size):
    tge.manual_seed(args.seed)
    norm = norms[name]
    rng = np.random.default_rng(args.seed)
    net = nn.Sequential(nn.Linear(64, 64), norm(), nn.ReLU(), nn.Linear(64, 64), norm(), nn.ReLU(), nn.Linear(64, 10))
    # lr 0.01: at 0.05 (with momentum 0.9) every network, whatever its norm, diverged at batch 2
    opt = tge.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for _ in range(samples // batch_size):
        idx = tge.tensor(rng.integers(0, len(Ytr), batch_size))
        try:
            loss = F.cross_entropy(net(Xtr[idx]), Ytr[idx])
        except ValueError as error:  # BatchNorm at batch 1: no variance to normalise by
            refused[(name, batch_size)] = str(error)
            return float("nan")
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with tge.no_grad():
        return float(np.mean(net(Xte).argmax(1).numpy() == Yte))


table = {name: [accuracy(name, bs) for bs in batch_sizes] for name in norms}
print(f"{'batch size':13s}", " ".join(f"{bs:>5d}" for bs in batch_sizes))
for name, accs in table.items():
    print(f"{name:13s}", " ".join(f"{a:.3f}" if np.isfinite(a) else "  n/a" for a in accs))
for (name, bs), reason in refused.items():
    print(f"{name} at batch {bs}: n/a, it refuses to train: {reason}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for name, accs in table.items():
    ax.plot(batch_sizes, accs, "o-", label=name + (" (n/a at batch 1)" if np.isnan(accs[0]) else ""))
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size"), ax.set_ylabel("test accuracy"), ax.legend()
ax.set_title(f"same {samples} training samples for every point")
lectures.save(fig, args, "normalization_layers")

# %%
# index 0 is batch 1 (where BatchNorm cannot train), index 1 batch 2: BatchNorm's smallest batch
one, two = {name: accs[0] for name, accs in table.items()}, {name: accs[1] for name, accs in table.items()}
per_sample = ["LayerNorm", "RMSNorm", "GroupNorm(8)"]
behind = two["BatchNorm"] < min(two[k] for k in per_sample) - 0.05
lectures.claim(args, f"at tiny batches BatchNorm falls behind the per-sample norms: batch 2 BatchNorm "
               f"{two['BatchNorm']:.3f} vs {min(two[k] for k in per_sample):.3f}-{max(two[k] for k in per_sample):.3f} "
               f"({lectures.verdict(behind)}); batch 1 BatchNorm n/a (refuses: one value per channel), "
               f"the others {min(one[k] for k in per_sample):.3f}-{max(one[k] for k in per_sample):.3f}",
               bn_smallest_batch=two["BatchNorm"], ln_smallest_batch=two["LayerNorm"],
               rms_smallest_batch=two["RMSNorm"], gn_smallest_batch=two["GroupNorm(8)"],
               ln_batch1=one["LayerNorm"], rms_batch1=one["RMSNorm"], gn_batch1=one["GroupNorm(8)"],
               bn_batch1_refused=("BatchNorm", 1) in refused,
               bn_largest_batch=table["BatchNorm"][-1], ln_largest_batch=table["LayerNorm"][-1])
