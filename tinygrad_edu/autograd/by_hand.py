"""Backpropagation by hand: the sigmoid neuron of the lecture's computational graph.

    f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))

The graph, node by node (forward, then the local derivative each backward step uses):

    a = w0 * x0          da/dw0 = x0,  da/dx0 = w0
    b = w1 * x1          db/dw1 = x1,  db/dx1 = w1
    s = a + b + w2       ds/da = ds/db = ds/dw2 = 1   (an add node copies its gradient)
    f = sigmoid(s)       df/ds = f * (1 - f)          (the sigmoid gate collapses
                                                       neg, exp, add 1 and 1/x into one)

Backward starts from df/df = 1 and multiplies local derivatives along each path
(the chain rule). No autograd here: this is what the engine automates.
"""
import numpy as np


def sigmoid_neuron(w, x):
    """The neuron's output and its gradients: ``(f, df/dw, df/dx)``.

    ``w``: weights (3,) = (w0, w1, w2), w2 the bias; ``x``: inputs (2,) = (x0, x1).
    Returns f as a 0-d array, df/dw of shape (3,) and df/dx of shape (2,), all in the
    dtype of ``w``.
    """
    w = np.asarray(w)
    x = np.asarray(x, dtype=w.dtype)
    # BEGIN SOLUTION task 1.1
    s = w[0] * x[0] + w[1] * x[1] + w[2]  # forward: the weighted sum ...
    e = np.exp(-np.abs(s))  # ... through the sigmoid, in the form that cannot overflow
    f = 1.0 / (1.0 + e) if s >= 0 else e / (1.0 + e)
    ds = f * (1.0 - f)  # backward: df/ds, the sigmoid's local derivative
    dw = np.array([x[0] * ds, x[1] * ds, ds], dtype=w.dtype)  # the add node sends ds to a, b and w2
    dx = np.array([w[0] * ds, w[1] * ds], dtype=w.dtype)  # the mul nodes swap their inputs
    return np.asarray(f, dtype=w.dtype), dw, dx
    # END SOLUTION
