"""Dead ReLUs: a large learning rate pushes ReLU units into never firing; leaky ReLU keeps a gradient."""
# %% [markdown]
# # Dead ReLUs
#
# A ReLU unit whose pre-activation is negative for *every* input outputs 0 and passes back a
# zero gradient, so its weights never change again: the unit is dead. A too-large step can
# throw the bias and weights there in one update. Leaky ReLU has slope 0.01 on the negative
# side, so the same unit still receives a (small) gradient and can come back. We train the
# same MLP on the 8x8 digits with a small and a large learning rate and count units whose
# pre-activation is negative on the whole training set.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn
from tinygrad_edu.data import load_digits
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
X, Y = load_digits("train")
X, Y = tge.tensor(X.reshape(len(X), -1)), tge.tensor(Y)
steps, width = (60, 64) if args.fast else (400, 128)


def train(activation, lr):
    """Train a 64-width-width-10 MLP with SGD: ``steps`` steps at ``lr``, then as many at a
    small lr (0.05) to give units a chance to come back. Returns the fraction of hidden
    units never positive after each phase, and the final training loss."""
    tge.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    layers = [nn.Linear(64, width), nn.Linear(width, width), nn.Linear(width, 10)]
    opt = tge.optim.SGD([p for l in layers for p in l.parameters()], lr=lr)

    def forward(x, keep=None):
        for layer in layers[:-1]:
            z = layer(x)
            if keep is not None:
                keep.append(z.numpy())
            x = activation(z)
        return layers[-1](x)

    def never_positive():
        pre = []
        with tge.no_grad():
            loss = F.cross_entropy(forward(X, pre), Y).item()
        return np.mean(np.concatenate([(z <= 0).all(axis=0) for z in pre])), loss

    record = []
    for phase_lr in (lr, 0.05):
        for group in opt.param_groups:
            group["lr"] = phase_lr
        for _ in range(steps):
            idx = tge.tensor(rng.integers(0, len(Y), 64))
            loss = F.cross_entropy(forward(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        record.append(never_positive())
    return record[0][0], record[1][0], record[1][1]


relu, leaky = F.relu, lambda z: F.leaky_relu(z, 0.01)
lrs = [0.05, 2.0]
results = {(name, lr): train(act, lr) for name, act in [("ReLU", relu), ("LeakyReLU", leaky)] for lr in lrs}
for k, v in results.items():
    print(f"{k[0]:10s} lr={k[1]:<5} never-positive units: {v[0]:.1%} after lr phase, {v[1]:.1%} after recovery;"
          f" loss {v[2]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.4))
for i, name in enumerate(["ReLU", "LeakyReLU"]):
    ax.bar(np.arange(len(lrs)) + 0.38 * i, [100 * results[(name, lr)][1] for lr in lrs], 0.38, label=name)
ax.set_xticks(np.arange(len(lrs)) + 0.19, [f"lr {lr}" for lr in lrs])
ax.set_ylabel("% hidden units never positive\n(after the recovery phase)")
ax.legend()
lectures.save(fig, args, "dead_relus")

# %% [markdown]
# For leaky ReLU the count is of units on their negative side for every input: they are not
# dead (their gradient is 0.01 x upstream), so the recovery phase can bring them back; a dead
# ReLU unit in the first layer gets exactly zero gradient and cannot. If the loss is NaN the
# run diverged (the counts are then meaningless): `leaky_diverged` says so.

# %%
lectures.claim(args, "a large learning rate kills ReLU units for good; leaky ReLU units can come back",
               relu_dead_after_large_lr=results[("ReLU", 2.0)][0], relu_dead_after_recovery=results[("ReLU", 2.0)][1],
               leaky_negative_after_large_lr=results[("LeakyReLU", 2.0)][0],
               leaky_negative_after_recovery=results[("LeakyReLU", 2.0)][1],
               relu_dead_small_lr=results[("ReLU", 0.05)][1],
               loss_relu=results[("ReLU", 2.0)][2], loss_leaky=results[("LeakyReLU", 2.0)][2],
               leaky_diverged=not np.isfinite(results[("LeakyReLU", 2.0)][2]))
