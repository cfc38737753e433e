"""PixelShuffle / PixelUnshuffle and the padding layers against torch (values and
gradients, float64; skipped without torch), plus gradient checks and errors."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn


torch = pytest.importorskip("torch")


def _compare(ours, theirs, x):
    a, b = tge.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(a), theirs(b)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), tout.detach().cpu().numpy())
    g = np.random.default_rng(5).standard_normal(tuple(tout.shape))
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.cpu().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((18, 2, 1), 3), ((1, 2, 4, 2, 3), 2)])
def test_pixel_shuffle_matches_torch(shape, r):
    x = np.random.default_rng(1).standard_normal(shape)
    _compare(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), x)
    y = torch.nn.functional.pixel_shuffle(torch.tensor(x), r).cpu().numpy()
    _compare(nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), y)


LAYERS = [
    ("ReflectionPad1d", (2, 1), (2, 3, 5)), ("ReflectionPad2d", 1, (2, 3, 4, 5)), ("ReflectionPad2d", (1, 2, 0, 3), (3, 4, 5)),
    ("ReflectionPad3d", (1, 0, 1, 1, 0, 1), (1, 2, 3, 3, 3)),
    ("ReplicationPad1d", 3, (1, 2, 4)), ("ReplicationPad2d", (2, 0, 1, 3), (2, 1, 3, 3)), ("ReplicationPad3d", 1, (2, 2, 2, 2)),
    ("ZeroPad1d", (1, 2), (2, 4)), ("ZeroPad2d", (1, 0, 2, 1), (1, 2, 3, 3)), ("ZeroPad2d", 2, (2, 3, 3)),
    ("CircularPad1d", 1, (1, 2, 3)), ("CircularPad2d", (1, 2, 2, 1), (1, 1, 3, 4)),
]


@pytest.mark.parametrize("name,padding,shape", LAYERS)
def test_padding_layers_match_torch(name, padding, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    _compare(getattr(nn, name)(padding), getattr(torch.nn, name)(padding), x)
    assert list(getattr(nn, name)(padding).padding) == list(getattr(torch.nn, name)(padding).padding)


@pytest.mark.parametrize("name,dims", [("ConstantPad1d", 1), ("ConstantPad2d", 2), ("ConstantPad3d", 3)])
def test_constant_padding_matches_torch(name, dims):
    x = np.random.default_rng(3).standard_normal((2,) * (dims + 1))
    _compare(getattr(nn, name)(1, 3.5), getattr(torch.nn, name)(1, 3.5), x)
    _compare(getattr(nn, name)(tuple(range(2 * dims)), -1.0), getattr(torch.nn, name)(tuple(range(2 * dims)), -1.0), x)
