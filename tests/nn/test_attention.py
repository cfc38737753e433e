"""MultiheadAttention without torch: permutation equivariance without positions, errors,
dropout only in training."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn


def test_attention_without_positions_is_permutation_equivariant():
    tge.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, batch_first=True, dtype=tge.float64)
    x = tge.randn(1, 5, 8, dtype=tge.float64)
    perm = [3, 0, 4, 1, 2]
    out = m(x, x, x)[0].detach().cpu().numpy()
    out_perm = m(x[:, perm], x[:, perm], x[:, perm])[0].detach().cpu().numpy()
    np.testing.assert_allclose(out_perm, out[:, perm], rtol=1e-12, atol=1e-12)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(4, 2)
    with pytest.raises(RuntimeError, match="key_padding_mask should be of size"):
        m(tge.zeros(3, 2, 4), tge.zeros(3, 2, 4), tge.zeros(3, 2, 4), key_padding_mask=tge.zeros(2, 5, dtype=tge.bool))


def test_encoder_layer_dropout_only_in_training():
    tge.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.5, dtype=tge.float64)
    x = tge.randn(3, 1, 4, dtype=tge.float64)
    layer.eval()
    a = layer(x).detach().cpu().numpy()
    np.testing.assert_array_equal(a, layer(x).detach().cpu().numpy())
    layer.train()
    assert not np.allclose(layer(x).detach().cpu().numpy(), a)
