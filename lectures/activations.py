"""Activations: ReLU, leaky ReLU, ELU, SELU, GELU, sigmoid and tanh with their derivatives, by autograd vs closed forms."""
# %% [markdown]
# # The activation table
#
# Each activation and its derivative, the derivative computed by backpropagation (one
# `backward` of `f(x).sum()` gives `f'(x)` at every point, since the Jacobian is diagonal)
# and compared with the closed form written by hand below. Kinks (ReLU at 0) are avoided by
# the grid. SELU's constants make unit-variance inputs keep unit variance; GELU is
# `x * Phi(x)` with `Phi` the normal CDF (exact erf form).

# %%
import math

import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures
import tinygrad_edu.nn.functional as F

args = lectures.parse_args(__doc__)
x_np = np.linspace(-4, 4, 40 if args.fast else 400) + 1e-3  # + 1e-3: no grid point on a kink
ALPHA_SELU, SCALE_SELU = 1.6732632423543772, 1.0507009873554805
erf = np.vectorize(math.erf)
phi = lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
sig = lambda x: 1 / (1 + np.exp(-x))

# name: (framework function, closed form f, closed form f')
table = {
    "ReLU": (F.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    "leaky ReLU": (lambda t: F.leaky_relu(t, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
                   lambda x: np.where(x > 0, 1.0, 0.1)),
    "ELU": (F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "SELU": (F.selu, lambda x: SCALE_SELU * np.where(x > 0, x, ALPHA_SELU * np.expm1(x)),
             lambda x: SCALE_SELU * np.where(x > 0, 1.0, ALPHA_SELU * np.exp(x))),
    "GELU": (F.gelu, lambda x: x * 0.5 * (1 + erf(x / np.sqrt(2))), lambda x: 0.5 * (1 + erf(x / np.sqrt(2))) + x * phi(x)),
    "sigmoid": (tge.sigmoid, sig, lambda x: sig(x) * (1 - sig(x))),
    "tanh": (tge.tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}

errors = {}
fig, axes = plt.subplots(2, len(table), figsize=(2.2 * len(table), 4.2), sharex=True)
for col, (name, (fn, f, df)) in enumerate(table.items()):
    x = tge.tensor(x_np, dtype=tge.float64, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    value, slope = y.detach().numpy(), x.grad.numpy()
    errors[name] = max(np.abs(value - f(x_np)).max(), np.abs(slope - df(x_np)).max())
    axes[0, col].plot(x_np, value), axes[0, col].set_title(name, fontsize=10)
    axes[1, col].plot(x_np, slope, color="C1")
    print(f"{name:11s} max |autograd - closed form| (value and derivative): {errors[name]:.2e}")
axes[0, 0].set_ylabel("f(x)"), axes[1, 0].set_ylabel("f'(x) by autograd")
lectures.save(fig, args, "activations")

# %%
lectures.claim(args, "autograd derivatives of seven activations match their closed forms",
               max_error=max(errors.values()), **{k.replace(" ", "_"): v for k, v in errors.items()})
