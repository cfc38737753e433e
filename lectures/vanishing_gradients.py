"""Vanishing gradients: the condition number of a product of Jacobians, and gradient norms per layer, plain vs residual."""
# %% [markdown]
# # Vanishing gradients and skip connections
#
# Backpropagation through M layers multiplies M Jacobians. If every layer had the same
# symmetric Jacobian `A = U S U^T`, the product would be `U S^M U^T`: its condition number
# is `(s_max / s_min)^M`, which explodes with depth, so some directions get gradients many
# orders of magnitude smaller than others. A skip connection makes each factor `I + A_i`;
# with small `A_i` every singular value stays near 1 and the product stays well conditioned.
# Second half: the gradient norm of each layer's weight in a deep tanh MLP, plain vs residual.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures, nn

args = lectures.parse_args(__doc__)
rng = np.random.default_rng(args.seed)
n, max_depth = (8, 20) if args.fast else (16, 50)


def random_jacobian(spread):
    """A random symmetric matrix whose eigenvalues lie in [1 - spread, 1 + spread]."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(rng.uniform(1 - spread, 1 + spread, n)) @ q.T


plain, residual = [], []
P, R = np.eye(n), np.eye(n)
for M in range(1, max_depth + 1):
    P = random_jacobian(0.5) @ P                      # a plain layer: singular values in [0.5, 1.5]
    R = (np.eye(n) + 0.1 * random_jacobian(0.5)) @ R  # a residual layer: I + small A
    plain.append(np.linalg.cond(P))
    residual.append(np.linalg.cond(R))

# %% [markdown]
# ## Gradient norm per layer in a deep network at initialisation

# %%
class Block(nn.Module):
    def __init__(self, width, skip):
        super().__init__()
        self.linear, self.skip = nn.Linear(width, width), skip

    def forward(self, x):
        h = self.linear(x).tanh()
        return x + h if self.skip else h


def grad_norms(skip, depth, width=32):
    tge.manual_seed(args.seed)
    net = nn.Sequential(*[Block(width, skip) for _ in range(depth)])
    x = tge.randn(64, width)
    (net(x) ** 2).mean().backward()
    return np.array([float(b.linear.weight.grad.norm().item()) for b in net])


layers = 12 if args.fast else 40
g_plain, g_res = grad_norms(False, layers), grad_norms(True, layers)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].semilogy(range(1, max_depth + 1), plain, label="plain: prod A_i")
axes[0].semilogy(range(1, max_depth + 1), residual, label="residual: prod (I + A_i)")
axes[0].set_xlabel("number of layers M"), axes[0].set_ylabel("condition number"), axes[0].legend()
axes[1].semilogy(range(1, layers + 1), g_plain, "o-", ms=3, label="plain tanh MLP")
axes[1].semilogy(range(1, layers + 1), g_res, "o-", ms=3, label="residual tanh MLP")
axes[1].set_xlabel("layer (1 = input side)"), axes[1].set_ylabel("||dL/dW||"), axes[1].legend()
lectures.save(fig, args, "vanishing_gradients")

# %%
lectures.claim(args, "cond of a product of Jacobians explodes with depth, skip connections keep it small; "
               "first-layer gradients vanish only without skips",
               cond_plain=plain[-1], cond_residual=residual[-1], depth=max_depth,
               first_over_last_plain=g_plain[0] / g_plain[-1], first_over_last_residual=g_res[0] / g_res[-1])
