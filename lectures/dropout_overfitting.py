"""Dropout and overfitting: the train/test gap of a wide MLP on a small training set, with and without dropout."""
# %% [markdown]
# # Dropout against overfitting
#
# A network with far more parameters than training samples can memorise them: training
# accuracy reaches 100% while test accuracy stalls. Dropout zeroes each hidden unit with
# probability p in training (and scales the others by 1/(1-p)), so no unit can rely on a
# particular partner; at test time (`eval()`) it is the identity. We train the same wide MLP
# on a small subset of the digits and compare the train/test accuracy gap.

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
n_train, steps, width = (100, 150, 128) if args.fast else (150, 2000, 512)
Xtr, Ytr = Xtr[:n_train].reshape(n_train, -1), Ytr[:n_train]
Xte, Yte = Xte.reshape(len(Xte), -1), Yte.numpy()


def run(p):
    tge.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    net = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Dropout(p), nn.Linear(width, width), nn.ReLU(),
                        nn.Dropout(p), nn.Linear(width, 10))
    opt = tge.optim.Adam(net.parameters(), lr=1e-3)
    curve = []
    for step in range(1, steps + 1):
        net.train()
        idx = tge.tensor(rng.integers(0, n_train, 32))
        loss = F.cross_entropy(net(Xtr[idx]), Ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(steps // 20, 1) == 0 or step == steps:
            net.eval()
            with tge.no_grad():
                train_acc = np.mean(net(Xtr).argmax(1).numpy() == Ytr.numpy())
                test_acc = np.mean(net(Xte).argmax(1).numpy() == Yte)
            curve.append((step, train_acc, test_acc))
    return np.array(curve)


curves = {"no dropout": run(0.0), "dropout p=0.5": run(0.5)}
gaps = {k: c[-1, 1] - c[-1, 2] for k, c in curves.items()}
for k, c in curves.items():
    print(f"{k:14s} train {c[-1, 1]:.3f} test {c[-1, 2]:.3f} gap {gaps[k]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for i, (k, c) in enumerate(curves.items()):
    ax.plot(c[:, 0], c[:, 1], color=f"C{i}", ls="--", label=f"{k}: train")
    ax.plot(c[:, 0], c[:, 2], color=f"C{i}", label=f"{k}: test")
ax.set_xlabel("step"), ax.set_ylabel("accuracy"), ax.legend(fontsize=8)
ax.set_title(f"{n_train} training digits, MLP width {width}")
lectures.save(fig, args, "dropout_overfitting")

# %%
lectures.claim(args, "dropout shrinks the train/test accuracy gap",
               gap_without=gaps["no dropout"], gap_with=gaps["dropout p=0.5"],
               test_without=curves["no dropout"][-1, 2], test_with=curves["dropout p=0.5"][-1, 2])
