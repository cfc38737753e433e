"""Backprop by hand: the sigmoid neuron's graph with every value and gradient, checked against gradcheck."""
# %% [markdown]
# # Backpropagation on a sigmoid neuron, by hand
#
# The neuron computes `y = sigmoid(w0*x0 + w1*x1 + b)`. Forward, each node stores its value;
# backward, each node multiplies the gradient arriving from above by its local derivative
# and passes it on: `dy/dz = y(1-y)`, an addition copies the gradient to both inputs, a
# product sends each input the gradient times the *other* input. We do this by hand, then
# let the engine do it, then compare both with central differences (gradcheck).

# %%
import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import lectures
from tinygrad_edu.autograd import gradcheck, numerical_jacobian
from tinygrad_edu.viz import draw_graph, to_dot

args = lectures.parse_args(__doc__)
rng = np.random.default_rng(args.seed)
w_val, x_val, b_val = np.array([2.0, -3.0]), np.array([-1.0, -2.0]), -3.0

# %% [markdown]
# ## By hand
# Forward: `p = w*x` (elementwise), `s = sum(p)`, `z = s + b`, `y = 1 / (1 + exp(-z))`.

# %%
p = w_val * x_val
z = p.sum() + b_val
y = 1 / (1 + np.exp(-z))
dy_dz = y * (1 - y)            # sigmoid's local derivative
dy_db = dy_dz                  # add: gradient copied
dy_dp = dy_dz * np.ones(2)     # sum: gradient copied to every term
dy_dw, dy_dx = dy_dp * x_val, dy_dp * w_val  # product: times the other factor
print(f"by hand: y={y:.4f} dy/dw={dy_dw} dy/dx={dy_dx} dy/db={dy_db:.4f}")

# %% [markdown]
# ## The engine, and its graph

# %%
w = tge.tensor(w_val, dtype=tge.float64, requires_grad=True)
x = tge.tensor(x_val, dtype=tge.float64, requires_grad=True)
b = tge.tensor(b_val, dtype=tge.float64, requires_grad=True)
# the engine keeps .grad only on leaves; retain_grad() asks it to keep the gradient of an
# intermediate too, so the graph can show value AND gradient on every node (y's is dy/dy = 1)
pt = w * x
st = pt.sum()
zt = st + b
yt = zt.sigmoid()
named = {"w": w, "x": x, "b": b, "p": pt, "s": st, "z": zt, "y": yt}
for t in (pt, st, zt, yt):
    t.retain_grad()
yt.backward()
fig = draw_graph(yt, tensors=named, title="y = sigmoid(w . x + b)")
lectures.save(fig, args, "sigmoid_neuron_graph")
(args.out / "sigmoid_neuron_graph.dot").write_text(to_dot(yt, tensors=named))

hand = np.concatenate([dy_dw, dy_dx, [dy_db]])
engine = np.concatenate([w.grad.numpy(), x.grad.numpy(), b.grad.numpy().reshape(1)])


# %% [markdown]
# ## Central differences (gradcheck)

# %%
def neuron(w, x, b):
    return ((w * x).sum() + b).sigmoid()


inputs = (tge.tensor(w_val, requires_grad=True), tge.tensor(x_val, requires_grad=True),
          tge.tensor(b_val, requires_grad=True))
assert gradcheck(neuron, inputs)
numeric = np.concatenate([J[0].reshape(-1) for J in numerical_jacobian(neuron, inputs)])
print("by hand :", np.round(hand, 6), "\nengine  :", np.round(engine, 6), "\nnumeric :", np.round(numeric, 6))

# %%
lectures.claim(args, "hand-derived backprop equals the engine and gradcheck on the sigmoid neuron",
               hand_vs_engine=np.abs(hand - engine).max(), hand_vs_numeric=np.abs(hand - numeric).max())
