"""Recurrent layers against torch.nn in float64 after copying the weights: outputs,
final states and every gradient (skipped without torch). The gradient checks of the
LSTM cell's hand-written backward are in test_rnn.py."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn

torch = pytest.importorskip("torch")


def _port(ours, theirs):
    """Copy torch's parameters into ours by state_dict (the keys must match)."""
    state = {k: tge.tensor(v.detach().cpu().numpy().copy()) for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)


def _close(a, b):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), rtol=1e-10, atol=1e-12)


def _grads_close(ours, theirs):
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.cpu().numpy(), tp.grad.cpu().numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


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
