"""MultiheadAttention and TransformerEncoder(Layer) against torch.nn in float64, eval
mode, after copying the weights by state_dict: outputs, attention weights, gradients
(skipped without torch); permutation equivariance without positions."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn


torch = pytest.importorskip("torch")


def _port(ours, theirs):
    state = {k: tge.tensor(v.detach().cpu().numpy().copy()) for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)


def _close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), rtol=rtol, atol=atol)


def _pair(a, requires_grad=False):
    return tge.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool_attn", "float_attn", "padding", "both", "attn3d"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_torch(batch_first, masks, average):
    torch.manual_seed(0)
    E, h, N, L, S = 8, 2, 2, 3, 4
    theirs = torch.nn.MultiheadAttention(E, h, batch_first=batch_first, dtype=torch.float64).eval()
    ours = nn.MultiheadAttention(E, h, batch_first=batch_first, dtype=tge.float64).eval()
    # non-zero biases so they are tested too
    with torch.no_grad():
        theirs.in_proj_bias.normal_()
        theirs.out_proj.bias.normal_()
    _port(ours, theirs)
    rng = np.random.default_rng(1)
    qs, ks = ((N, L, E), (N, S, E)) if batch_first else ((L, N, E), (S, N, E))
    (q, tq), (k, tk), (v, tv) = _pair(rng.standard_normal(qs), True), _pair(rng.standard_normal(ks), True), _pair(rng.standard_normal(ks), True)
    kw, tkw = {}, {}
    if masks in ("bool_attn", "both"):
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False  # every query can read at least one key
        kw["attn_mask"], tkw["attn_mask"] = _pair(m)
    if masks == "float_attn":
        kw["attn_mask"], tkw["attn_mask"] = _pair(rng.standard_normal((L, S)))
    if masks == "attn3d":
        kw["attn_mask"], tkw["attn_mask"] = _pair(rng.standard_normal((N * h, L, S)))
    if masks in ("padding", "both"):
        p = np.zeros((N, S), dtype=bool)
        p[1, -2:] = True
        kw["key_padding_mask"], tkw["key_padding_mask"] = _pair(p)
    out, w = ours(q, k, v, average_attn_weights=average, **kw)
    tout, tw = theirs(tq, tk, tv, average_attn_weights=average, **tkw)
    _close(out, tout)
    _close(w, tw)
    g = rng.standard_normal(tuple(tout.shape))
    (out * tge.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for a, b in ((q, tq), (k, tk), (v, tv)):
        _close(a.grad, b.grad, 1e-9, 1e-11)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), tp.grad.cpu().numpy(), rtol=1e-9, atol=1e-11, err_msg=n)
    none = ours(q, k, v, need_weights=False, **kw)
    assert none[1] is None
    _close(none[0], tout)


def test_multihead_attention_kdim_vdim_and_unbatched():
    torch.manual_seed(1)
    theirs = torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=5, dtype=torch.float64).eval()
    ours = nn.MultiheadAttention(6, 3, kdim=4, vdim=5, dtype=tge.float64).eval()
    _port(ours, theirs)
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((3, 6)), rng.standard_normal((5, 4)), rng.standard_normal((5, 5))
    out, w = ours(tge.tensor(q), tge.tensor(k), tge.tensor(v))
    tout, tw = theirs(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    _close(out, tout)
    _close(w, tw)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_matches_torch(norm_first, activation, batch_first):
    torch.manual_seed(3)
    args = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, activation=activation,
                batch_first=batch_first, norm_first=norm_first)
    tlayer = torch.nn.TransformerEncoderLayer(**args, dtype=torch.float64)
    olayer = nn.TransformerEncoderLayer(**args, dtype=tge.float64)
    theirs = torch.nn.TransformerEncoder(tlayer, 2, norm=torch.nn.LayerNorm(8, dtype=torch.float64),
                                         enable_nested_tensor=False).eval()
    ours = nn.TransformerEncoder(olayer, 2, norm=nn.LayerNorm(8, dtype=tge.float64)).eval()
    with torch.no_grad():
        for p in theirs.parameters():  # distinct values everywhere, biases and norms included
            p.add_(0.1 * torch.randn_like(p))
    _port(ours, theirs)
    rng = np.random.default_rng(4)
    shape = (2, 5, 8) if batch_first else (5, 2, 8)
    x, tx = _pair(rng.standard_normal(shape), True)
    mask = np.triu(np.ones((5, 5), dtype=bool), 1)  # causal
    pad = np.zeros((2, 5), dtype=bool)
    pad[0, -1] = True
    out = ours(x, mask=tge.tensor(mask), src_key_padding_mask=tge.tensor(pad))
    tout = theirs(tx, mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(pad))
    _close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    _close(x.grad, tx.grad, 1e-9, 1e-11)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), tp.grad.cpu().numpy(), rtol=1e-9, atol=1e-11, err_msg=n)
