"""Differentiation: finite differences against automatic differentiation (the V-shaped error curve)."""
# %% [markdown]
# # Numerical vs automatic differentiation
#
# A central difference `(f(x+h) - f(x-h)) / 2h` has two errors pulling in opposite
# directions: the truncation error of the Taylor series shrinks like `h^2`, while the
# rounding error of subtracting two nearly equal numbers grows like `eps / h`. On a log-log
# plot the total error is a V whose bottom sits near `h = eps^(1/3)`, about 1e-5 in float64.
# Reverse-mode autodiff applies the chain rule to exact local derivatives, so its only
# error is the rounding of the forward and backward arithmetic itself.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures

args = lectures.parse_args(__doc__)


def f(x):
    """f(x) = sin(x) * exp(-x^2 / 4) + x^3 / 10, on Tensors (works for NumPy arrays too)."""
    return (x.sin() * (-(x * x) / 4).exp() + x * x * x / 10) if isinstance(x, tge.Tensor) else \
        np.sin(x) * np.exp(-x * x / 4) + x ** 3 / 10


def df_exact(x):
    return np.cos(x) * np.exp(-x * x / 4) - x / 2 * np.sin(x) * np.exp(-x * x / 4) + 3 * x ** 2 / 10


points = np.linspace(-2, 2, 5 if args.fast else 41)
steps = np.logspace(-14, -1, 14 if args.fast else 53)

# %% [markdown]
# Central differences at every step h, averaged (relative error) over the points.

# %%
fd_error = []
for h in steps:
    fd = (f(points + h) - f(points - h)) / (2 * h)
    fd_error.append(np.mean(np.abs(fd - df_exact(points)) / (np.abs(df_exact(points)) + 1e-12)))
fd_error = np.array(fd_error)

x = tge.tensor(points, dtype=tge.float64, requires_grad=True)
f(x).sum().backward()
ad_error = np.mean(np.abs(x.grad.numpy() - df_exact(points)) / (np.abs(df_exact(points)) + 1e-12))
best_h = steps[np.argmin(fd_error)]

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.8))
ax.loglog(steps, fd_error, "o-", ms=3, label="central difference")
ax.axhline(max(ad_error, 1e-17), color="C3", ls="--", label=f"autodiff ({ad_error:.1e})")
ax.axvline(best_h, color="0.6", lw=0.8)
ax.set_xlabel("step h")
ax.set_ylabel("mean relative error of f'(x)")
ax.set_title("finite differences: truncation vs rounding")
ax.legend()
lectures.save(fig, args, "fd_vs_autodiff")

# %%
lectures.claim(args, "central differences are best near h=1e-5 (float64); autodiff is exact to rounding",
               best_h=best_h, best_fd_error=fd_error.min(), autodiff_error=ad_error)
