"""Jacobians: the matmul and elementwise conventions, explicit Jacobian matrices vs vector-Jacobian products."""
# %% [markdown]
# # Jacobian conventions: build the matrix, or never build it
#
# For `Y = X W` with `X` (n, d) and `W` (d, m), the Jacobian of `vec(Y)` (row-major) with
# respect to `vec(W)` is the Kronecker product `kron(X, I_m)`: an (nm, dm) matrix that is
# mostly zeros. Backpropagation never forms it: for an upstream gradient `G = dL/dY` the
# vector-Jacobian product is `vec(G) @ J`, which equals `X^T G` (and `G W^T` for `X`).
# For an elementwise map `y = s(x)` the Jacobian is diagonal, `diag(s'(x))`, and the VJP is
# just `g * s'(x)`. We build each explicit Jacobian, multiply, and compare with the engine.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.autograd import analytical_jacobian

args = lectures.parse_args(__doc__)
rng = np.random.default_rng(args.seed)
n, d, m = (2, 3, 2) if args.fast else (4, 5, 3)
X, W, G = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal((n, m))

# %% [markdown]
# ## Matmul: explicit Kronecker Jacobians vs the engine's VJP

# %%
J_W = np.kron(X, np.eye(m))          # d vec(Y) / d vec(W): (n*m, d*m)
J_X = np.kron(np.eye(n), W.T)        # d vec(Y) / d vec(X): (n*m, n*d)
x = tge.tensor(X, dtype=tge.float64, requires_grad=True)
w = tge.tensor(W, dtype=tge.float64, requires_grad=True)
(x @ w).backward(tge.tensor(G, dtype=tge.float64))
diff_matmul = max(np.abs(G.reshape(-1) @ J_W - w.grad.numpy().reshape(-1)).max(),
                  np.abs(G.reshape(-1) @ J_X - x.grad.numpy().reshape(-1)).max())
# the engine's whole Jacobian (one VJP per output element) is the transpose of ours
J_engine = analytical_jacobian(lambda a, b: a @ b, (tge.tensor(X, requires_grad=True), tge.tensor(W, requires_grad=True)))
diff_full = max(np.abs(J_engine[0][0].T - J_X).max(), np.abs(J_engine[1][0].T - J_W).max())

# %% [markdown]
# ## Elementwise: a diagonal Jacobian

# %%
v = rng.standard_normal(6)
s = 1 / (1 + np.exp(-v))
J_sig = np.diag(s * (1 - s))
g = rng.standard_normal(6)
t = tge.tensor(v, dtype=tge.float64, requires_grad=True)
t.sigmoid().backward(tge.tensor(g, dtype=tge.float64))
diff_elementwise = np.abs(g @ J_sig - t.grad.numpy()).max()

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for ax, M, title in zip(axes, [J_W, J_X, J_sig], ["dY/dW = kron(X, I)", "dY/dX = kron(I, W^T)", "d sigmoid(x)/dx = diag"]):
    ax.imshow(M, cmap="RdBu", vmin=-np.abs(M).max(), vmax=np.abs(M).max())
    ax.set_title(f"{title}\n{M.shape}, {np.mean(M == 0):.0%} zeros", fontsize=9)
    ax.set_xticks([]), ax.set_yticks([])
lectures.save(fig, args, "jacobians")

# %%
lectures.claim(args, "explicit Jacobians and the engine's vector-Jacobian products agree",
               max_diff_matmul=diff_matmul, max_diff_full_jacobian=diff_full, max_diff_elementwise=diff_elementwise)
