"""Pooling and upsampling against PyTorch, forward and backward (ties included: the
max-pooling tie rule must match)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import tinygrad_edu as tge  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402

CASES = [
    ("max_pool2d", (2, 3, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", (2, 3, 8, 8), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))),
    ("avg_pool2d", (2, 3, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)),
    ("avg_pool2d", (2, 3, 9, 7), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (1, 2, 6, 6), dict(kernel_size=3, divisor_override=5)),
    ("adaptive_avg_pool2d", (2, 3, 7, 9), dict(output_size=(3, 4))),
    ("adaptive_max_pool2d", (2, 3, 7, 9), dict(output_size=(4, 3))),
    ("interpolate", (2, 2, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    ("interpolate", (2, 2, 4, 5), dict(scale_factor=1.5, mode="bilinear", align_corners=False)),
    ("interpolate", (2, 2, 4, 5), dict(size=(9, 3), mode="bilinear", align_corners=True)),
    ("interpolate", (2, 2, 4, 5), dict(size=(7, 11), mode="nearest")),
    ("interpolate", (2, 2, 4, 5), dict(scale_factor=(2, 3), mode="nearest")),
]


@pytest.mark.parametrize("name, shape, kw", CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_against_pytorch(name, shape, kw, ties):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    x, t = tge.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, ref = getattr(F, name)(x, **kw), getattr(TF, name)(t, **kw)
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().cpu().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(ref.shape)
    out.backward(tge.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_indices_and_unpool_match_pytorch():
    a = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    out, idx = F.max_pool2d(tge.tensor(a), 3, 2, 1, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(a), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.cpu().numpy(), tidx.cpu().numpy())
    un = F.max_unpool2d(out, idx, 3, 2, 1, output_size=(6, 7))
    tun = TF.max_unpool2d(tout, tidx, 3, 2, 1, output_size=(6, 7))
    np.testing.assert_array_equal(un.cpu().numpy(), tun.cpu().numpy())
