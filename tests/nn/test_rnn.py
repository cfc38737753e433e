"""Recurrent layers without torch: the LSTM cell's hand-written backward against the
gradient checker (one step and unrolled through time), errors, state_dict keys, dropout."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.autograd.gradcheck import gradcheck
from tinygrad_edu.ops.rnn import lstm_cell


@pytest.mark.parametrize("batch,inp,hidden", [(3, 4, 5), (1, 1, 2), (2, 6, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell_gradcheck(batch, inp, hidden, bias):
    rng = np.random.default_rng(batch + inp)
    shapes = [(batch, inp), (batch, hidden), (batch, hidden), (4 * hidden, inp), (4 * hidden, hidden)]
    if bias:
        shapes += [(4 * hidden,), (4 * hidden,)]
    ts = [tge.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(lambda *a: lstm_cell(*a), ts)


def test_lstm_cell_gradcheck_through_time():
    """Three unrolled steps sharing weights: the gradient through c and h of earlier steps."""
    rng = np.random.default_rng(7)
    xs = tge.tensor(rng.standard_normal((3, 2, 3)), requires_grad=True)
    w_ih = tge.tensor(rng.standard_normal((8, 3)), requires_grad=True)
    w_hh = tge.tensor(rng.standard_normal((8, 2)), requires_grad=True)
    h0 = tge.tensor(rng.standard_normal((2, 2)), requires_grad=True)

    def unrolled(xs, w_ih, w_hh, h0):
        h, c = h0, h0 * 0.5
        for t in range(3):
            h, c = lstm_cell(xs[t], h, c, w_ih, w_hh)
        return h, c

    assert gradcheck(unrolled, (xs, w_ih, w_hh, h0))


def test_cell_errors_name_the_shapes():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"lstm_cell: input has shape \(2, 5\), expected \(batch, 3\)"):
        cell(tge.zeros(2, 5))
    with pytest.raises(RuntimeError, match="input_size"):
        nn.LSTM(3, 4)(tge.zeros(5, 2, 2))


def test_state_dict_keys_are_pytorchs():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert list(m.state_dict()) == [
        f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    assert m.weight_ih_l1.shape == (16, 8)
    assert list(nn.GRUCell(2, 3, bias=False).state_dict()) == ["weight_ih", "weight_hh"]


def test_dropout_between_layers_only_in_training():
    tge.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=tge.float64)
    x = tge.randn(5, 2, 3, dtype=tge.float64)
    m.eval()
    a, b = m(x)[0].detach(), m(x)[0].detach()
    assert np.array_equal(a.cpu().numpy(), b.cpu().numpy())
    m.train()
    assert not np.allclose(m(x)[0].detach().cpu().numpy(), a.cpu().numpy())
