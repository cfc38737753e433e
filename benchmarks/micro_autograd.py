"""A minimal autograd: the "mlp" workload's training step on an engine of micrograd's size.

bench_alternation.py asks what a framework's step pays to come back to a core after 2 ms
of other work. Its plain-NumPy step (``plain_mlp``) is the floor with no framework at all.
This is the next floor up: the same arithmetic through about as small an engine as can
record a graph and walk it backwards, as micrograd does on scalars (Karpathy's
micrograd), here on NumPy arrays. A ``Node`` holds its array, its gradient, its parents
and a closure that sends the gradient on; ``backward`` orders the graph and calls the
closures. There are no Function or Context objects, no version counters, no hooks, no
dtype or shape checks, no modules: what tinygrad_edu adds over this is what its step
pays beyond it.

It is a benchmark's control, not a framework: three ops (linear, relu, cross_entropy)
on the shapes the MLP gives them, no broadcasting rules, no checks.
tests/test_bench_alternation.py checks that its step computes tinygrad_edu's step.
"""
import numpy as np


class Node:
    """An array in the graph: ``data``, its gradient ``grad`` (None until one arrives),
    the nodes it was computed from, and ``send_back(g)``, which adds each parent's share
    of the gradient g (None for a leaf)."""

    def __init__(self, data, parents=(), send_back=None):
        self.data, self.grad, self.parents, self.send_back = data, None, parents, send_back

    def add_grad(self, g):
        self.grad = g if self.grad is None else self.grad + g


def linear(x, weight, bias):
    """y = x @ W.T + b.  Backward: dx = g @ W, dW = g.T @ x, db = sum over rows of g."""
    def send_back(g):
        weight.add_grad(g.T @ x.data)
        bias.add_grad(g.sum(axis=0))
        x.add_grad(g @ weight.data)

    return Node(x.data @ weight.data.T + bias.data, (x, weight, bias), send_back)


def relu(x):
    """y = max(x, 0).  Backward: dx = g where x > 0, else 0."""
    return Node(np.maximum(x.data, 0), (x,), lambda g: x.add_grad(g * (x.data > 0)))


def cross_entropy(logits, target):
    """Mean over the N rows of -log softmax(z)[i, y_i].
    Backward: dz = g * (softmax(z) - onehot(y)) / N."""
    z, n = logits.data, len(target)
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def send_back(g):
        dz = np.exp(log_p)
        dz[rows, target] -= 1
        logits.add_grad(dz * (g / n))

    return Node(-log_p[rows, target].mean(), (logits,), send_back)


def backward(loss):
    """Order the graph so that every node comes after its parents (a depth-first walk),
    seed dloss/dloss = 1, and call each node's send_back from the loss down."""
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(loss)
    loss.grad = np.ones_like(loss.data)
    for node in reversed(order):
        if node.send_back is not None and node.grad is not None:
            node.send_back(node.grad)


def micro_mlp(x, y, params, update):
    """The "mlp" workload's training step on this engine: returns step(), which computes
    the gradients of the mean cross-entropy of the MLP on ``x`` against the class indices
    ``y``, hands them to ``update`` (bench_alternation.py's ``adam``, on the same
    ``params``) and returns the loss. ``params`` = [W1, b1, W2, b2, ...] as float32
    arrays, W (out, in). ReLU between the layers, none after the last."""
    nodes = [Node(p) for p in params]
    layers = len(params) // 2

    def step():
        for node in nodes:
            node.grad = None
        h = Node(x)
        for layer in range(layers):
            h = linear(h, nodes[2 * layer], nodes[2 * layer + 1])
            if layer < layers - 1:
                h = relu(h)
        loss = cross_entropy(h, y)
        backward(loss)
        update([node.grad for node in nodes])
        return float(loss.data)

    return step
