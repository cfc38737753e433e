"""BatchNorm: train vs eval outputs, running statistics with momentum, and faster training."""
# %% [markdown]
# # Batch normalisation
#
# In training mode BatchNorm normalises each channel with the *batch's* mean and variance
# and updates running estimates `running = (1 - momentum) * running + momentum * batch`.
# In eval mode it uses the running estimates, so one sample's output no longer depends on
# the rest of its batch. The running mean forgets its start value like `(1 - momentum)^t`.
# Finally, the same MLP with and without BatchNorm: how many SGD steps to a training loss.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn
from tinygrad_edu.data import load_digits
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)

# %% [markdown]
# ## Running statistics converge to the data's mean with momentum

# %%
true_mean, true_std, steps_rs = 3.0, 2.0, 60 if args.fast else 300
curves = {}
for momentum in (0.1, 0.01):
    bn = nn.BatchNorm1d(4, momentum=momentum)
    err = []
    for _ in range(steps_rs):
        bn(tge.tensor(rng.normal(true_mean, true_std, (32, 4)).astype(np.float32)))
        err.append(np.abs(bn.running_mean.numpy() - true_mean).mean())
    curves[momentum] = np.array(err)
batch = tge.tensor(rng.normal(true_mean, true_std, (8, 4)).astype(np.float32))
out_train = bn(batch).detach().numpy()
bn.eval()
out_eval = bn(batch).detach().numpy()
train_eval_diff = np.abs(out_train - out_eval).max()

# %% [markdown]
# ## Steps to a training loss, with and without BatchNorm

# %%
X, Y = load_digits("train")
X, Y = tge.tensor(X.reshape(len(X), -1)), tge.tensor(Y)
target, max_steps = (1.0, 150) if args.fast else (0.3, 1500)


def steps_to_loss(batch_norm):
    tge.manual_seed(args.seed)
    r = np.random.default_rng(args.seed)
    norm = (lambda: nn.BatchNorm1d(64)) if batch_norm else (lambda: nn.Identity())
    net = nn.Sequential(nn.Linear(64, 64), norm(), nn.Sigmoid(), nn.Linear(64, 64), norm(), nn.Sigmoid(),
                        nn.Linear(64, 10))
    opt = tge.optim.SGD(net.parameters(), lr=0.1)
    losses, hit = [], None
    for step in range(1, max_steps + 1):
        idx = tge.tensor(r.integers(0, len(Y), 64))
        loss = F.cross_entropy(net(X[idx]), Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        smooth = np.mean(losses[-10:])
        if hit is None and len(losses) >= 10 and smooth < target:
            hit = step
    return hit if hit is not None else float("inf"), losses


steps_bn, losses_bn = steps_to_loss(True)
steps_plain, losses_plain = steps_to_loss(False)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for m, e in curves.items():
    axes[0].semilogy(e, label=f"momentum {m}")
axes[0].set_xlabel("training batches"), axes[0].set_ylabel("|running_mean - true mean|"), axes[0].legend()
axes[1].plot(losses_plain, lw=0.8, label="no BatchNorm")
axes[1].plot(losses_bn, lw=0.8, label="BatchNorm")
axes[1].axhline(target, color="0.5", ls="--")
axes[1].set_xlabel("SGD step"), axes[1].set_ylabel("training loss"), axes[1].legend()
lectures.save(fig, args, "batchnorm")

# %%
lectures.claim(args, "eval mode uses running statistics (outputs differ from train mode); "
               "BatchNorm reaches the loss level in fewer steps",
               train_eval_max_diff=train_eval_diff, running_mean_error_m01=curves[0.1][-1],
               running_mean_error_m001=curves[0.01][-1], steps_with_bn=steps_bn, steps_without_bn=steps_plain,
               target_loss=target)
