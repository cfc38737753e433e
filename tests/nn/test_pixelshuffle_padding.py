"""PixelShuffle / PixelUnshuffle without torch: round trip, gradient checks, errors."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.autograd.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


@pytest.mark.parametrize("shape,r", [((1, 4, 2, 3), 2), ((2, 9, 1, 2), 3), ((8, 2, 2), 2), ((2, 1, 4, 1, 1), 2)])
def test_pixel_shuffle_round_trip_and_gradcheck(shape, r):
    x = tge.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    y = F.pixel_shuffle(x, r)
    assert y.shape == (*shape[:-3], shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    np.testing.assert_array_equal(F.pixel_unshuffle(y, r).detach().cpu().numpy(), x.detach().cpu().numpy())
    assert gradcheck(lambda t: F.pixel_shuffle(t, r), (x,))
    assert gradcheck(lambda t: F.pixel_unshuffle(t, r), (tge.tensor(y.detach().cpu().numpy(), requires_grad=True),))


def test_pixel_shuffle_errors_name_the_shape():
    with pytest.raises(RuntimeError, match=r"pixel_shuffle: .*\(3, shape \(1, 3, 2, 2\)\).*divisible by the square"):
        F.pixel_shuffle(tge.zeros(1, 3, 2, 2), 2)
    with pytest.raises(RuntimeError, match="pixel_unshuffle: expects height"):
        F.pixel_unshuffle(tge.zeros(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="ZeroPad2d: expected a 3-D or 4-D input"):
        nn.ZeroPad2d(1)(tge.zeros(2, 2))
