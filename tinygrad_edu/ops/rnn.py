"""Recurrent cells: one time step of an LSTM (a hand-written ``Function``), a GRU and an
Elman RNN (composed from existing ops), with PyTorch's weight layout and gate order.

Backpropagation through time needs nothing special: a sequence layer (``nn/rnn.py``)
calls the cell once per step, the graph records every call, and the engine walks it
back from the last step to the first, adding each step's ``dL/dh`` and ``dL/dc`` to the
gradient arriving from the step after it. The LSTM cell is written by hand so that a
student sees that whole step on one screen; GRU and RNN cells are short compositions.

Shapes: x (batch, input_size), h and c (batch, hidden_size), ``weight_ih``
(G * hidden_size, input_size), ``weight_hh`` (G * hidden_size, hidden_size), biases
(G * hidden_size,), with G = 4 gates for an LSTM (order i, f, g, o), 3 for a GRU
(order r, z, n), 1 for an RNN.
"""
from ..autograd.function import Function
from ..backend import get_array_module
from .activation import relu
from .elementwise import sigmoid, tanh
from .matmul import linear


def _sigmoid(xp, a):
    """1 / (1 + exp(-a)) without overflow for large negative a."""
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


class LSTMCell(Function):
    """One LSTM step (PyTorch's gate order i, f, g, o):

        a = x @ W_ih^T + b_ih + h @ W_hh^T + b_hh,  split into a_i, a_f, a_g, a_o
        i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
        c' = f * c + i * g
        h' = o * tanh(c')

    Backward, with upstream gradients gh = dL/dh' and gc = dL/dc' (gc carries the
    gradient that reaches c' from the next time step):

        dc'  = gc + gh * o * (1 - tanh(c')^2)      (c' reaches L directly and through h')
        da_o = gh * tanh(c') * o (1 - o)
        da_i = dc' * g * i (1 - i)
        da_f = dc' * c * f (1 - f)
        da_g = dc' * i * (1 - g^2)
        dL/dc = dc' * f                             (the "constant error carousel")
        with da = [da_i, da_f, da_g, da_o] (batch, 4H), as for a linear layer:
        dL/dx = da @ W_ih    dL/dh = da @ W_hh
        dL/dW_ih = da^T @ x  dL/dW_hh = da^T @ h   dL/db_ih = dL/db_hh = sum_batch da

    The gates and tanh(c') are saved, so backward needs no exponential. Biases may be
    None (``bias=False``).
    """

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
        xp = get_array_module(x, h, c, w_ih, w_hh)
        a = x @ w_ih.T + h @ w_hh.T
        if b_ih is not None:
            a = a + b_ih
        if b_hh is not None:
            a = a + b_hh
        a_i, a_f, a_g, a_o = xp.split(a, 4, axis=1)
        i, f, o = _sigmoid(xp, a_i), _sigmoid(xp, a_f), _sigmoid(xp, a_o)
        g = xp.tanh(a_g)
        c_new = f * c + i * g
        tanh_c = xp.tanh(c_new)
        h_new = o * tanh_c
        ctx.save_for_backward(x, h, c, w_ih, w_hh, i, f, g, o, tanh_c)
        return h_new, c_new

    @staticmethod
    def backward(ctx, gh, gc):
        x, h, c, w_ih, w_hh, i, f, g, o, tanh_c = ctx.saved_tensors
        xp = get_array_module(gh, gc)
        dc = gc + gh * o * (1 - tanh_c * tanh_c)
        da = xp.concatenate(
            [dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), gh * tanh_c * o * (1 - o)], axis=1
        )
        need = ctx.needs_input_grad
        gx = da @ w_ih if need[0] else None
        gh_prev = da @ w_hh if need[1] else None
        gc_prev = dc * f if need[2] else None
        gw_ih = da.T @ x if need[3] else None
        gw_hh = da.T @ h if need[4] else None
        gb = da.sum(axis=0) if (len(need) > 5 and need[5]) or (len(need) > 6 and need[6]) else None
        gb_ih = gb if len(need) > 5 and need[5] else None
        gb_hh = gb if len(need) > 6 and need[6] else None
        return gx, gh_prev, gc_prev, gw_ih, gw_hh, gb_ih, gb_hh


def lstm_cell(input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step on a batch: returns ``(h', c')``. See ``LSTMCell`` for the math."""
    _check_cell("lstm_cell", input, hx, weight_ih, weight_hh, 4)
    return LSTMCell.apply(input, hx, cx, weight_ih, weight_hh, bias_ih, bias_hh)


def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step (PyTorch's gate order r, z, n):

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    The reset gate multiplies the hidden part *after* its bias (PyTorch's and cuDNN's
    form, not the original paper's). Composed of linear, sigmoid and tanh, whose
    backwards live in ``ops/matmul.py`` and ``ops/elementwise.py``.
    """
    _check_cell("gru_cell", input, hx, weight_ih, weight_hh, 3)
    gi = linear(input, weight_ih, bias_ih)
    gh = linear(hx, weight_hh, bias_hh)
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return (1 - z) * n + z * hx


def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One Elman RNN step: h' = act(x @ W_ih^T + b_ih + h @ W_hh^T + b_hh), act = tanh or relu."""
    _check_cell("rnn_cell", input, hx, weight_ih, weight_hh, 1)
    a = linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh)
    if nonlinearity == "tanh":
        return tanh(a)
    if nonlinearity == "relu":
        return relu(a)
    raise ValueError(f"rnn_cell: unknown nonlinearity '{nonlinearity}', expected 'tanh' or 'relu'")


def _check_cell(op, x, h, w_ih, w_hh, gates):
    hidden = w_hh.shape[1]
    if x.ndim != 2 or x.shape[1] != w_ih.shape[1]:
        raise ValueError(
            f"{op}: input has shape {tuple(x.shape)}, expected (batch, {w_ih.shape[1]}) "
            f"(input_size = weight_ih.shape[1])"
        )
    if tuple(h.shape) != (x.shape[0], hidden):
        raise ValueError(f"{op}: hidden state has shape {tuple(h.shape)}, expected ({x.shape[0]}, {hidden})")
    if w_ih.shape[0] != gates * hidden or w_hh.shape[0] != gates * hidden:
        raise ValueError(
            f"{op}: weight_ih {tuple(w_ih.shape)} and weight_hh {tuple(w_hh.shape)} must have "
            f"{gates} * hidden_size = {gates * hidden} rows"
        )
