"""Recurrent layers against torch.nn in float64 after copying the weights: outputs,
final states and every gradient (skipped without torch); the LSTM cell's hand-written
backward against the gradient checker."""
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


torch = pytest.importorskip("torch")


def _port(ours, theirs):
    """Copy torch's parameters into ours by state_dict (the keys must match)."""
    state = {k: tge.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def _grads_close(ours, theirs):
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2, batch_first=True),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=1, bidirectional=True, batch_first=True, bias=False),
]


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM", "RNN_relu"])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_sequence_layers_match_torch(kind, config, with_state):
    torch.manual_seed(0)
    extra = {"nonlinearity": "relu"} if kind == "RNN_relu" else {}
    name = kind.split("_")[0]
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64, **config, **extra)
    ours = getattr(nn, name)(3, 4, dtype=tge.float64, **config, **extra)
    _port(ours, theirs)
    rng = np.random.default_rng(1)
    L, N = 5, 2
    shape = (N, L, 3) if config.get("batch_first") else (L, N, 3)
    x = rng.standard_normal(shape)
    tx, ox = torch.tensor(x, requires_grad=True), tge.tensor(x, requires_grad=True)
    D = 2 if config.get("bidirectional") else 1
    state_shape = (D * config["num_layers"], N, 4)
    if with_state:
        h0 = rng.standard_normal(state_shape)
        if name == "LSTM":
            c0 = rng.standard_normal(state_shape)
            t_hx, o_hx = (torch.tensor(h0), torch.tensor(c0)), (tge.tensor(h0), tge.tensor(c0))
        else:
            t_hx, o_hx = torch.tensor(h0), tge.tensor(h0)
        tout, tstate = theirs(tx, t_hx)
        out, state = ours(ox, o_hx)
    else:
        tout, tstate = theirs(tx)
        out, state = ours(ox)
    _close(out, tout)
    states = state if name == "LSTM" else (state,)
    tstates = tstate if name == "LSTM" else (tstate,)
    for s, ts in zip(states, tstates):
        _close(s, ts)
    # a loss that reads the output and every final state
    g = rng.standard_normal(tuple(tout.shape))
    tloss = (tout * torch.tensor(g)).sum() + sum((ts ** 2).sum() for ts in tstates)
    loss = (out * tge.tensor(g)).sum() + sum((s ** 2).sum() for s in states)
    tloss.backward()
    loss.backward()
    _close(ox.grad, tx.grad)
    _grads_close(ours, theirs)


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_unbatched_input_matches_torch(name):
    torch.manual_seed(1)
    theirs = getattr(torch.nn, name)(2, 3, num_layers=2, dtype=torch.float64)
    ours = getattr(nn, name)(2, 3, num_layers=2, dtype=tge.float64)
    _port(ours, theirs)
    x = np.random.default_rng(2).standard_normal((4, 2))
    out, _ = ours(tge.tensor(x))
    tout, _ = theirs(torch.tensor(x))
    assert out.shape == tuple(tout.shape) == (4, 3)
    _close(out, tout)


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, batched):
    torch.manual_seed(2)
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64)
    ours = getattr(nn, name)(3, 4, dtype=tge.float64)
    _port(ours, theirs)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3) if batched else (3,))
    h = rng.standard_normal((2, 4) if batched else (4,))
    tx, ox = torch.tensor(x, requires_grad=True), tge.tensor(x, requires_grad=True)
    th, oh = torch.tensor(h, requires_grad=True), tge.tensor(h, requires_grad=True)
    if name == "LSTMCell":
        c = rng.standard_normal(h.shape)
        tc, oc = torch.tensor(c, requires_grad=True), tge.tensor(c, requires_grad=True)
        tout, out = theirs(tx, (th, tc)), ours(ox, (oh, oc))
        tloss = tout[0].sum() + (tout[1] ** 2).sum()
        loss = out[0].sum() + (out[1] ** 2).sum()
        _close(out[1], tout[1])
        out, tout = out[0], tout[0]
    else:
        tout, out = theirs(tx, th), ours(ox, oh)
        tloss, loss = (tout ** 2).sum(), (out ** 2).sum()
    _close(out, tout)
    tloss.backward()
    loss.backward()
    _close(ox.grad, tx.grad)
    _close(oh.grad, th.grad)
    _grads_close(ours, theirs)
    # no state: zeros, as torch
    first = lambda r: r[0] if name == "LSTMCell" else r  # noqa: E731
    _close(first(ours(ox)), first(theirs(tx)))


def test_dropout_between_layers_only_in_training():
    tge.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=tge.float64)
    x = tge.randn(5, 2, 3, dtype=tge.float64)
    m.eval()
    a, b = m(x)[0].detach(), m(x)[0].detach()
    assert np.array_equal(a.numpy(), b.numpy())
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), a.numpy())
