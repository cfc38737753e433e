"""conv2d / conv_transpose2d / conv1d against PyTorch, forward and backward."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_edu as tge  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402

CONV2D = [
    dict(x=(2, 4, 9, 8), w=(6, 2, 3, 3), stride=1, padding=1, dilation=1, groups=2),
    dict(x=(1, 3, 10, 7), w=(5, 3, 4, 2), stride=(2, 3), padding=(2, 0), dilation=(1, 2), groups=1),
    dict(x=(3, 2, 6, 6), w=(4, 2, 1, 1), stride=2, padding=0, dilation=1, groups=1),
    dict(x=(2, 3, 7, 8), w=(4, 3, 4, 3), stride=1, padding="same", dilation=(2, 1), groups=1),
]
TRANSPOSE = [
    dict(x=(2, 4, 5, 5), w=(4, 3, 4, 4), stride=2, padding=1, output_padding=0, dilation=1, groups=1),
    dict(x=(1, 4, 3, 4), w=(4, 2, 3, 3), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=1, groups=2),
    dict(x=(2, 2, 4, 4), w=(2, 3, 3, 2), stride=1, padding=0, output_padding=0, dilation=2, groups=1),
]


def _run(ours, theirs, shapes, kw):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    mine = [tge.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = ours(*mine, **kw), theirs(*ref, **kw)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(tout.shape)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cfg", CONV2D)
def test_conv2d(cfg):
    cfg = dict(cfg)
    x, w = cfg.pop("x"), cfg.pop("w")
    _run(F.conv2d, torch.nn.functional.conv2d, [x, w, (w[0],)], cfg)


@pytest.mark.parametrize("cfg", TRANSPOSE)
def test_conv_transpose2d(cfg):
    cfg = dict(cfg)
    x, w = cfg.pop("x"), cfg.pop("w")
    _run(F.conv_transpose2d, torch.nn.functional.conv_transpose2d, [x, w, (w[1] * cfg["groups"],)], cfg)


def test_conv1d():
    _run(F.conv1d, torch.nn.functional.conv1d, [(2, 4, 11), (6, 2, 3), (6,)], dict(stride=2, padding=1, dilation=2, groups=2))


@pytest.mark.parametrize("one_image_per_slice", [False, True])
def test_float32_batches_built_in_slices(one_image_per_slice, monkeypatch):
    from tinygrad_edu.ops import conv as conv_ops

    if one_image_per_slice:  # the routines build the columns for one image at a time
        monkeypatch.setattr(conv_ops, "COLUMN_BYTES", 1)
    rng = np.random.default_rng(1)
    for ours, theirs, shapes, kw in [
        (F.conv2d, torch.nn.functional.conv2d, [(6, 8, 12, 12), (8, 8, 3, 3)], dict(padding=1)),
        (F.conv_transpose2d, torch.nn.functional.conv_transpose2d, [(6, 8, 6, 6), (8, 4, 4, 4)], dict(stride=2, padding=1)),
    ]:
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        mine = [tge.tensor(a, requires_grad=True) for a in arrays]
        ref = [torch.tensor(a, requires_grad=True) for a in arrays]
        out, tout = ours(*mine, **kw), theirs(*ref, **kw)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-4)
        g = rng.standard_normal(tout.shape).astype(np.float32)
        out.backward(tge.tensor(g))
        tout.backward(torch.tensor(g))
        # float32: the weight gradient sums ~900 products per entry, so near-zero entries
        # carry absolute rounding errors of ~1e-4 (the float64 tests above use 1e-10)
        for a, b in zip(mine, ref):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-3)
