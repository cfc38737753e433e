"""conv2d / conv_transpose2d / conv1d against PyTorch, forward and backward."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")

import tinygrad_edu as tge  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from tinygrad_edu.autograd import gradcheck  # noqa: E402

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
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().cpu().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(tout.shape)
    out.backward(tge.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.cpu().numpy(), rtol=1e-10, atol=1e-10)


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
        np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().cpu().numpy(), rtol=1e-4, atol=1e-4)
        g = rng.standard_normal(tout.shape).astype(np.float32)
        out.backward(tge.tensor(g))
        tout.backward(torch.tensor(g))
        # float32: the weight gradient sums ~900 products per entry, so near-zero entries
        # carry absolute rounding errors of ~1e-4 (the float64 tests above use 1e-10)
        for a, b in zip(mine, ref):
            np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.cpu().numpy(), rtol=1e-4, atol=1e-3)


# output_padding may reach past the stride when it stays below the dilation (PyTorch's
# rule); the backward's columns of g then have windows that no pixel of y owns.
@st.composite
def transpose_cases(draw):
    """(stride, dilation, padding, output_padding, groups) per dimension, output_padding
    below stride or dilation, biased towards stride <= output_padding < dilation."""
    stride, dilation, padding, output_padding = [], [], [], []
    for _ in range(2):
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        stride.append(s)
        dilation.append(d)
        padding.append(draw(st.integers(0, 2)))
        output_padding.append(draw(st.integers(0, max(s, d) - 1)))
    groups = draw(st.sampled_from([1, 2]))
    return tuple(stride), tuple(dilation), tuple(padding), tuple(output_padding), groups


def _transpose_against_torch(stride, dilation, padding, output_padding, groups, seed):
    rng = np.random.default_rng(seed)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    arrays = [rng.standard_normal((2, 2 * groups, 3, 4)), rng.standard_normal((2 * groups, 2, 2, 3)),
              rng.standard_normal(2 * groups)]
    try:
        torch.nn.functional.conv_transpose2d(*[torch.tensor(a) for a in arrays], **kw)
    except RuntimeError as error:  # an empty output: PyTorch refuses it, and so must we
        assert "Output size is too small" in str(error), error
        with pytest.raises(RuntimeError, match="conv_transpose2d: the output size .* would be zero or negative"):
            F.conv_transpose2d(*[tge.tensor(a) for a in arrays], **kw)
        return
    _run(F.conv_transpose2d, torch.nn.functional.conv_transpose2d, [a.shape for a in arrays], kw)


@given(case=transpose_cases(), seed=st.integers(0, 2**16))
def test_conv_transpose2d_output_padding_against_torch(case, seed):
    """Forward, dL/dy, dL/dW and dL/db in float64 against PyTorch, 1e-10."""
    _transpose_against_torch(*case, seed)


@pytest.mark.parametrize("stride, dilation, padding, output_padding, groups", [
    (1, 2, 0, 1, 1),              # the reported case: output_padding >= stride, < dilation
    (1, 3, 1, 2, 2),
    (2, 3, 0, 2, 1),
    ((1, 2), (2, 1), (2, 0), (1, 1), 2),
    ((1, 1), (3, 2), (0, 1), (2, 1), 1),
])
def test_conv_transpose2d_output_padding_past_stride(stride, dilation, padding, output_padding, groups):
    _transpose_against_torch(stride, dilation, padding, output_padding, groups, seed=0)
    # and the gradient checker, independently of PyTorch
    rng = np.random.default_rng(1)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    inputs = [tge.tensor(rng.standard_normal(s), requires_grad=True)
              for s in [(1, 2 * groups, 3, 3), (2 * groups, 1, 2, 2), (groups,)]]
    up = tge.tensor(rng.standard_normal(F.conv_transpose2d(*inputs, **kw).shape))
    assert gradcheck(lambda y, w, b: (F.conv_transpose2d(y, w, b, **kw) * up), inputs)


@pytest.mark.parametrize("stride, dilation, output_padding", [(1, 1, 1), (2, 1, 2), (1, 2, 2), (2, 3, 3), ((1, 2), (2, 2), (2, 1))])
def test_conv_transpose2d_output_padding_refusal_like_torch(stride, dilation, output_padding):
    """output_padding must be smaller than stride or dilation: both refuse, same words."""
    y, w = np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2))
    kw = dict(stride=stride, output_padding=output_padding, dilation=dilation)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.conv_transpose2d(torch.tensor(y), torch.tensor(w), **kw)
    with pytest.raises(RuntimeError) as ours:
        F.conv_transpose2d(tge.tensor(y), tge.tensor(w), **kw)
    assert str(ours.value) == f"conv_transpose2d: {theirs.value}"
