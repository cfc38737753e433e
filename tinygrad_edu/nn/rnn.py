"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step forms ``RNNCell``,
``LSTMCell``, ``GRUCell``, with PyTorch's arguments, gate order and parameter names, so
a ``state_dict`` ports in both directions.

A sequence layer is a loop over time around one cell per layer and direction::

    for t in range(seq_len):               # reversed(range(...)) for the _reverse direction
        h, c = lstm_cell(x[t], h, c, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0)
        out[t] = h

Backpropagation through time is the engine walking that unrolled graph backwards. The
cells' math (and the LSTM cell's hand-written backward) is in ``ops/rnn.py``.

Shapes (PyTorch's; D = 2 if bidirectional else 1):
    input   (L, N, input_size), or (N, L, input_size) with batch_first, or (L, input_size)
    h_0/h_n (D * num_layers, N, hidden_size)     (c_0/c_n too, for an LSTM)
    output  (L, N, D * hidden_size)              (N first with batch_first)
Parameters of layer k: ``weight_ih_l{k}`` (G*H, input), ``weight_hh_l{k}`` (G*H, H),
``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*H,), with suffix ``_reverse`` for the backward
direction; G = 4 (LSTM, gates i f g o), 3 (GRU, gates r z n), 1 (RNN). Every parameter
starts U(-1/sqrt(H), 1/sqrt(H)).

Not supported (a clear error): ``proj_size`` > 0 and packed sequences.
"""
import math

from .. import creation
from ..ops.dropout import dropout as dropout_fn
from ..ops.rnn import gru_cell, lstm_cell, rnn_cell
from ..ops.shape import cat, stack
from . import init
from .module import Module
from .parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _reset_uniform(module):
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


# --------------------------------------------------------------------------- cells
class _RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, gates, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        make = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(creation.empty(gates * hidden_size, input_size, **make))
        self.weight_hh = Parameter(creation.empty(gates * hidden_size, hidden_size, **make))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates * hidden_size, **make))
            self.bias_hh = Parameter(creation.empty(gates * hidden_size, **make))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx):
        """Batch an unbatched (input_size,) input; zeros for a missing state."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input to be 1-D or 2-D, got {input.ndim}-D (shape {input.shape})")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        return input, hx, batched


class RNNCell(_RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu); input (N, input_size) or
    (input_size,), hx (N, hidden_size) or None for zeros. Math in ``ops/rnn.py``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity '{nonlinearity}', expected 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, h, batched = self._prepare(input, hx)
        h = rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(_RNNCellBase):
    """One LSTM step: ``(h', c') = cell(x, (h, c))``; gates i, f, g, o stacked in the
    rows of ``weight_ih`` / ``weight_hh``. Forward and backward: ``ops/rnn.py``, LSTMCell."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            x, h, batched = self._prepare(input, None)
            c = creation.zeros(*h.shape, dtype=h.dtype, device=h.device)
        else:
            x, h, batched = self._prepare(input, hx[0])
            c = hx[1] if batched else hx[1].unsqueeze(0)
        h, c = lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_RNNCellBase):
    """One GRU step: h' = (1 - z) n + z h, gates r, z, n (see ``ops/rnn.py``, gru_cell)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, h, batched = self._prepare(input, hx)
        h = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


# ----------------------------------------------------------------------- sequences
class RNNBase(Module):
    """The loop over layers, directions and time shared by ``RNN``, ``LSTM``, ``GRU``."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1], got {dropout}")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size > 0 (LSTM projections) is not supported here")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0
        gates = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        make = dict(device=device, dtype=dtype)
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                setattr(self, f"weight_ih_l{layer}{suffix}", Parameter(creation.empty(gates, layer_input, **make)))
                setattr(self, f"weight_hh_l{layer}{suffix}", Parameter(creation.empty(gates, hidden_size, **make)))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(creation.empty(gates, **make)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(creation.empty(gates, **make)))
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def _weights(self, layer, suffix):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if self.bias else ("weight_ih", "weight_hh")
        weights = tuple(getattr(self, f"{n}_l{layer}{suffix}") for n in names)
        return weights if self.bias else weights + (None, None)

    def _step(self, x, state, weights):
        """One cell step: the new state (h, or (h, c) for an LSTM) and its output h."""
        raise NotImplementedError

    def _check_state(self, h, what, expected):
        if tuple(h.shape) != expected:
            raise RuntimeError(f"{type(self).__name__}: expected {what} of shape {expected}, got {tuple(h.shape)}")

    def _initial_states(self, hx, batch, input):
        """The per-(layer, direction) initial states, each (N, H) (or (h, c) pairs)."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        shape = (count, batch, self.hidden_size)
        zeros = creation.zeros(*shape, dtype=input.dtype, device=input.device)
        return [zeros[i] for i in range(count)] if hx is None else [hx[i] for i in range(count)]

    def forward(self, input, hx=None):
        name = type(self).__name__
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input to be 2-D or 3-D, got {input.ndim}-D (shape {input.shape})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}")
        batched = input.ndim == 3
        if not batched:  # (L, H_in): one sequence
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        seq_len, batch = input.shape[0], input.shape[1]
        states = self._unpack_hx(hx, batched, batch, input)

        directions = ("", "_reverse") if self.bidirectional else ("",)
        steps = [input[t] for t in range(seq_len)]
        finals = []
        for layer in range(self.num_layers):
            per_direction = []
            for d, suffix in enumerate(directions):
                weights = self._weights(layer, suffix)
                state = states[layer * len(directions) + d]
                outputs = [None] * seq_len
                order = range(seq_len) if suffix == "" else range(seq_len - 1, -1, -1)
                for t in order:
                    state, outputs[t] = self._step(steps[t], state, weights)
                per_direction.append(outputs)
                finals.append(state)
            steps = [cat([o[t] for o in per_direction], 1) if len(directions) == 2 else per_direction[0][t]
                     for t in range(seq_len)]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_out = dropout_fn(stack(steps, 0), self.dropout, True)
                steps = [layer_out[t] for t in range(seq_len)]

        output = stack(steps, 0)
        if not batched:
            output = output.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, self._pack_finals(finals, batched)

    def _unpack_hx(self, hx, batched, batch, input):
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if hx is not None:
            hx = hx if batched else hx.unsqueeze(1)
            self._check_state(hx, "hidden state", expected)
        return self._initial_states(hx, batch, input)

    def _pack_finals(self, finals, batched):
        h_n = stack(finals, 0)
        return h_n if batched else h_n.squeeze(1)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) per layer
    (``nonlinearity='relu'`` for relu). Returns ``(output, h_n)``."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity '{nonlinearity}', expected 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)

    def _step(self, x, h, weights):
        h = rnn_cell(x, h, *weights, nonlinearity=self.nonlinearity)
        return h, h


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; see ``ops/rnn.py``). Returns ``(output, h_n)``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)

    def _step(self, x, h, weights):
        h = gru_cell(x, h, *weights)
        return h, h


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o): returns ``(output, (h_n, c_n))`` and takes
    ``hx = (h_0, c_0)`` or None. The cell's forward and hand-written backward are
    ``ops/rnn.py``'s ``LSTMCell``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def _step(self, x, state, weights):
        h, c = lstm_cell(x, state[0], state[1], *weights)
        return (h, c), h

    def _unpack_hx(self, hx, batched, batch, input):
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if hx is None:
            hs = self._initial_states(None, batch, input)
            return [(h, h) for h in hs]
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0)")
        h0, c0 = (hx[0], hx[1]) if batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self._check_state(h0, "hidden state h_0", expected)
        self._check_state(c0, "cell state c_0", expected)
        return list(zip(self._initial_states(h0, batch, input), self._initial_states(c0, batch, input)))

    def _pack_finals(self, finals, batched):
        h_n = stack([s[0] for s in finals], 0)
        c_n = stack([s[1] for s in finals], 0)
        return (h_n, c_n) if batched else (h_n.squeeze(1), c_n.squeeze(1))


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
