"""Inverse problem: fit a network's parameters through a known physics model (sparse-angle tomography)."""
# %% [markdown]
# # Solving an inverse problem through a physics model
#
# We never see the image `x`, only measurements `y = A x + noise`, where `A` is a known
# physics model: here parallel-beam tomography, the line integrals of the image along rays
# at a few angles (a sinogram). We represent the image by a network `x = f_theta(p)` over
# pixel coordinates `p` and solve `theta* = argmin ||y - A f_theta(p)||^2`: the gradient
# flows through the linear operator `A` (a matrix product here) into the network. The
# baseline puts the same loss directly on a grid of free pixels. With fewer measurements
# than pixels the grid has many exact solutions; what the network's structure prefers is
# the point of the comparison.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.models import CoordinateMLP, pixel_coordinates

args = lectures.parse_args(__doc__)
tge.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
size, n_angles, steps = (16, 6, 150) if args.fast else (32, 10, 1500)


def phantom(n):
    """A few overlapping ellipses of different densities (a toy Shepp-Logan)."""
    yy, xx = np.mgrid[-1:1:n * 1j, -1:1:n * 1j]
    img = np.zeros((n, n))
    for cy, cx, ry, rx, v in [(0, 0, 0.85, 0.65, 1.0), (0.1, -0.25, 0.3, 0.15, -0.5), (-0.2, 0.25, 0.2, 0.25, 0.6),
                              (0.45, 0.1, 0.12, 0.12, 0.8)]:
        img[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] += v
    return img


def projection_matrix(n, angles, samples=2):
    """Rows: rays (angle, detector bin); columns: pixels. A ray's row sums the pixels it
    passes (nearest pixel, ``samples`` points per pixel along the ray)."""
    c = (np.arange(n) + 0.5) / n * 2 - 1  # pixel centres in [-1, 1]
    t = np.linspace(-1.4, 1.4, int(2.8 * n * samples))
    A = np.zeros((len(angles) * n, n * n))
    for a, theta in enumerate(angles):
        for d, s in enumerate(c):
            px, py = s * np.cos(theta) - t * np.sin(theta), s * np.sin(theta) + t * np.cos(theta)
            i, j = np.round((py + 1) / 2 * n - 0.5).astype(int), np.round((px + 1) / 2 * n - 0.5).astype(int)
            ok = (i >= 0) & (i < n) & (j >= 0) & (j < n)
            np.add.at(A[a * n + d], i[ok] * n + j[ok], 1.0 / samples)
    return A


x_true = phantom(size)
A_np = projection_matrix(size, np.linspace(0, np.pi, n_angles, endpoint=False))
y_np = A_np @ x_true.ravel()
y_np += 0.01 * np.abs(y_np).max() * rng.standard_normal(y_np.shape)
A, y = tge.tensor(A_np.astype(np.float32)), tge.tensor(y_np.astype(np.float32))
print(f"{A_np.shape[0]} measurements, {A_np.shape[1]} unknown pixels")


def psnr(x):
    return 10 * np.log10(np.ptp(x_true) ** 2 / np.mean((x - x_true) ** 2))


def fit(params, image):
    """Adam on ||y - A image()||^2; returns the image and the relative data residual."""
    opt = tge.optim.Adam(params, lr=1e-2)
    for _ in range(steps):
        r = A @ image() - y
        loss = (r * r).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with tge.no_grad():
        x = image().detach().numpy()
    return x.reshape(size, size), np.linalg.norm(A_np @ x - y_np) / np.linalg.norm(y_np)


pixels = tge.zeros(size * size, requires_grad=True)
x_grid, res_grid = fit([pixels], lambda: pixels)
net = CoordinateMLP(hidden=64, layers=3, encoding="fourier", num_frequencies=4)
coords = pixel_coordinates(size, size)
x_net, res_net = fit(net.parameters(), lambda: net(coords).reshape(-1))
print(f"pixel grid: data residual {res_grid:.3f}, PSNR {psnr(x_grid):.2f} dB")
print(f"network   : data residual {res_net:.3f}, PSNR {psnr(x_net):.2f} dB")

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
axes[0].imshow(x_true, cmap="gray"), axes[0].set_title("unknown image")
axes[1].imshow(y_np.reshape(n_angles, size), cmap="gray", aspect="auto"), axes[1].set_title(f"sinogram ({n_angles} angles)")
axes[2].imshow(x_grid, cmap="gray"), axes[2].set_title(f"pixel grid fit, {psnr(x_grid):.1f} dB")
axes[3].imshow(x_net, cmap="gray"), axes[3].set_title(f"network fit, {psnr(x_net):.1f} dB")
for ax in axes:
    ax.axis("off")
lectures.save(fig, args, "inverse_problem")

# %%
lectures.claim(args, "fitting through the physics model matches the measurements; reconstruction error reported "
               "for the network and for a free pixel grid",
               residual_network=res_net, residual_grid=res_grid, psnr_network=psnr(x_net), psnr_grid=psnr(x_grid))
