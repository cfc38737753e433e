"""Data augmentation: random rotations, shifts and shears on a small training set raise held-out accuracy."""
# %% [markdown]
# # Data augmentation
#
# With few training images a network memorises them. Showing it slightly rotated, shifted
# and sheared copies (new ones every step) tells it that the label does not depend on such
# changes. The transforms must keep the label: a mirrored digit is often another digit (or
# none), so for digits we leave flips out (`RandomHorizontalFlip` is the right choice for
# natural photos, not here). Same small CNN, same steps, with and without augmentation.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn
from tinygrad_edu.data import load_digits, transforms
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
Xtr, Ytr = load_digits("train")
Xte, Yte = load_digits("test")
n_train, steps = (100, 100) if args.fast else (150, 1500)
Xtr, Ytr = Xtr[:n_train], Ytr[:n_train]
Yte = Yte.numpy()
augment = transforms.RandomAffine(degrees=15, translate=(0.12, 0.12), shear=10)


def run(augmented):
    tge.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10))
    opt = tge.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(steps):
        idx = tge.tensor(rng.integers(0, n_train, 32))
        x = Xtr[idx]
        if augmented:
            x = augment(x)
        loss = F.cross_entropy(net(x), Ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with tge.no_grad():
        return float(np.mean(net(Xte).argmax(1).numpy() == Yte))


acc_plain, acc_aug = run(False), run(True)
print(f"{n_train} training images: test accuracy {acc_plain:.3f} without, {acc_aug:.3f} with augmentation")

# %%
tge.manual_seed(args.seed)
examples = augment(Xtr[:6].repeat(4, 1, 1, 1)).numpy()
fig, axes = plt.subplots(4, 6, figsize=(6, 4.2))
for i, ax in enumerate(axes.T.reshape(-1)):
    ax.imshow(examples[(i % 4) * 6 + i // 4, 0], cmap="gray"), ax.axis("off")
fig.suptitle("random affine copies of six training digits (one per column)", fontsize=9)
lectures.save(fig, args, "data_augmentation")

# %%
lectures.claim(args, "augmentation raises held-out accuracy on a small training set",
               test_acc_plain=acc_plain, test_acc_augmented=acc_aug, gain=acc_aug - acc_plain, n_train=n_train)
