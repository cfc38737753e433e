"""nn.init: exact gains and fans; distributions checked statistically (bounds exactly,
mean and standard deviation within a few standard errors on ~200k samples); every
layer's default initialisation is PyTorch's distribution."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.nn import init

N_OUT, N_IN = 400, 500  # 200,000 samples: the sample std is within ~0.5% of the true one


def values(t):
    return t.detach().cpu().numpy().astype(np.float64)


def check_uniform(t, bound):
    v = values(t)
    assert v.min() >= -bound and v.max() <= bound
    assert v.min() < -0.99 * bound and v.max() > 0.99 * bound  # the whole interval is used
    assert abs(v.mean()) < 0.01 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def check_normal(t, mean, std):
    v = values(t)
    assert abs(v.mean() - mean) < 0.01 * std
    assert v.std() == pytest.approx(std, rel=0.01)


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2.0 / 6)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_fan_in_and_fan_out_are_exact():
    assert init._calculate_fan_in_and_fan_out(tge.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(tge.empty(8, 4, 3, 3)) == (36, 72)
    assert init._calculate_fan_in_and_fan_out(tge.empty(8, 4, 5)) == (20, 40)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tge.empty(4))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(tge.empty(3, 3), mode="fan_avg")


def test_uniform_normal_constant():
    check_uniform(init.uniform_(tge.empty(N_OUT, N_IN), -0.3, 0.3), 0.3)
    v = values(init.uniform_(tge.empty(N_OUT, N_IN), 2.0, 3.0))
    assert v.min() >= 2.0 and v.max() <= 3.0 and v.mean() == pytest.approx(2.5, abs=0.005)
    check_normal(init.normal_(tge.empty(N_OUT, N_IN), 1.5, 0.2), 1.5, 0.2)
    np.testing.assert_array_equal(values(init.constant_(tge.empty(2, 3), 0.7)), np.full((2, 3), np.float32(0.7)))
    np.testing.assert_array_equal(values(init.ones_(tge.empty(2))), [1, 1])
    np.testing.assert_array_equal(values(init.zeros_(tge.empty(2))), [0, 0])
    v = values(init.trunc_normal_(tge.empty(N_OUT, N_IN), std=1.0, a=-1.0, b=1.5))
    assert v.min() >= -1.0 and v.max() <= 1.5


def test_xavier():
    bound = math.sqrt(6.0 / (N_IN + N_OUT))
    check_uniform(init.xavier_uniform_(tge.empty(N_OUT, N_IN)), bound)
    check_uniform(init.xavier_uniform_(tge.empty(N_OUT, N_IN), gain=2.0), 2.0 * bound)
    check_normal(init.xavier_normal_(tge.empty(N_OUT, N_IN)), 0.0, math.sqrt(2.0 / (N_IN + N_OUT)))


def test_kaiming():
    check_uniform(init.kaiming_uniform_(tge.empty(N_OUT, N_IN), nonlinearity="relu"), math.sqrt(6.0 / N_IN))
    check_uniform(init.kaiming_uniform_(tge.empty(N_OUT, N_IN), mode="fan_out", nonlinearity="relu"),
                  math.sqrt(6.0 / N_OUT))
    # a = sqrt(5) (PyTorch's Linear/Conv default) gives the bound 1 / sqrt(fan_in)
    check_uniform(init.kaiming_uniform_(tge.empty(N_OUT, N_IN), a=math.sqrt(5)), 1 / math.sqrt(N_IN))
    check_normal(init.kaiming_normal_(tge.empty(N_OUT, N_IN), nonlinearity="relu"), 0.0, math.sqrt(2.0 / N_IN))
    check_normal(init.kaiming_normal_(tge.empty(100, 20, 10, 10), mode="fan_out"), 0.0,
                 init.calculate_gain("leaky_relu", 0) / math.sqrt(100 * 100))
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(tge.empty(0, 3))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2, 2)])
def test_orthogonal(shape):
    q = values(init.orthogonal_(tge.empty(*shape), gain=2.0)).reshape(shape[0], -1) / 2.0
    rows, cols = q.shape
    if rows >= cols:
        np.testing.assert_allclose(q.T @ q, np.eye(cols), atol=1e-5)
    else:
        np.testing.assert_allclose(q @ q.T, np.eye(rows), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(tge.empty(3))


def test_init_works_on_parameters_without_recording_a_graph_and_is_reproducible():
    p = nn.Parameter(tge.empty(3, 4))
    version = p._version.value
    assert init.normal_(p) is p
    assert p.grad_fn is None and p.requires_grad and p._version.value > version
    tge.manual_seed(3)
    a = values(init.xavier_uniform_(tge.empty(3, 4)))
    tge.manual_seed(3)
    np.testing.assert_array_equal(a, values(init.xavier_uniform_(tge.empty(3, 4))))
    g1, g2 = tge.Generator().manual_seed(7), tge.Generator().manual_seed(7)
    np.testing.assert_array_equal(values(init.normal_(tge.empty(5), generator=g1)),
                                  values(init.normal_(tge.empty(5), generator=g2)))
    assert values(init.uniform_(tge.empty(2, dtype=tge.float64))).dtype == np.float64


# -------------------------------------------------------- layers' default init
def test_linear_default_init_matches_pytorch_distribution():
    lin = nn.Linear(N_IN, N_OUT)
    bound = 1 / math.sqrt(N_IN)
    check_uniform(lin.weight, bound)
    b = values(lin.bias)
    assert b.min() >= -bound and b.max() <= bound and b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)


def test_conv_default_init_matches_pytorch_distribution():
    conv = nn.Conv2d(50, 160, 5)  # fan_in = 50 * 25
    bound = 1 / math.sqrt(50 * 25)
    check_uniform(conv.weight, bound)
    assert np.abs(values(conv.bias)).max() <= bound
    # ConvTranspose2d: weight (in, out, k, k), fan_in computed from dim 1 (PyTorch's quirk)
    up = nn.ConvTranspose2d(160, 50, 5)
    check_uniform(up.weight, 1 / math.sqrt(50 * 25))
    conv1 = nn.Conv1d(50, 400, 5)
    check_uniform(conv1.weight, 1 / math.sqrt(250))


def test_other_layers_default_init():
    emb = nn.Embedding(N_OUT, N_IN)
    check_normal(emb.weight, 0.0, 1.0)
    for layer in (nn.BatchNorm2d(5), nn.LayerNorm(5), nn.GroupNorm(1, 5), nn.InstanceNorm2d(5, affine=True)):
        np.testing.assert_array_equal(values(layer.weight), np.ones(5))
        np.testing.assert_array_equal(values(layer.bias), np.zeros(5))
    np.testing.assert_array_equal(values(nn.RMSNorm(5).weight), np.ones(5))
    np.testing.assert_array_equal(values(nn.PReLU(3, init=0.1).weight), np.full(3, np.float32(0.1)))


def test_layers_take_dtype_and_reset_parameters():
    lin = nn.Linear(3, 2, dtype=tge.float64)
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    before = values(lin.weight).copy()
    lin.reset_parameters()
    assert not np.array_equal(before, values(lin.weight))
    tge.manual_seed(11)
    a = nn.Linear(4, 4)
    tge.manual_seed(11)
    np.testing.assert_array_equal(values(a.weight), values(nn.Linear(4, 4).weight))
