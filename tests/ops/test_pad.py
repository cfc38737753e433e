"""``pad`` (F.pad): constant padding of any number of trailing dims, negative amounts
that crop, the pad/crop backward; reflect / replicate / circular padding of 1-3 dims
(both kernel sets) with gradcheck; the errors; then PyTorch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu import kernels
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops.pad import pad
from tinygrad_edu.testing import strategies as S


def np_pad(a, amounts, value):
    """Reference: ``np.pad`` for the positive amounts, then slicing for the negative ones."""
    widths = [(0, 0)] * a.ndim
    for k in range(len(amounts) // 2):
        widths[a.ndim - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    if a.ndim == 0:
        return a
    out = np.pad(a, [(max(b, 0), max(e, 0)) for b, e in widths], constant_values=value)
    crop = tuple(slice(max(-b, 0), out.shape[d] - max(-e, 0)) for d, (b, e) in enumerate(widths))
    return out[crop]


@st.composite
def pad_amounts(draw, shape):
    """A flat pad tuple for up to ndim trailing dims; negative amounts never crop more
    than the dim holds."""
    k = draw(st.integers(0, len(shape)))
    amounts = []
    for i in range(k):
        n = shape[len(shape) - 1 - i]
        before = draw(st.integers(-n, 2))
        after = draw(st.integers(-(n + min(before, 0)), 2))
        amounts += [before, after]
    return tuple(amounts)


@given(shape=S.shapes, data=st.data(), contiguous=st.booleans())
def test_constant_pad_forward_and_gradcheck(shape, data, contiguous):
    a = data.draw(S.arrays(shape))
    if not contiguous:
        a = S.noncontiguous(a)
    amounts = data.draw(pad_amounts(shape))
    value = data.draw(st.sampled_from([None, 0.0, -1.5, 2.0]))
    x = S.leaf(a)
    out = pad(x, amounts, value=value)
    expected = np_pad(a, amounts, 0.0 if value is None else value)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.detach().cpu().numpy(), expected)
    w = tge.tensor(np.random.default_rng(0).standard_normal(out.shape))
    assert gradcheck(lambda t: pad(t, amounts, value=value) * w, (x,))


def test_backward_is_the_crop_and_cropped_elements_get_zero():
    x = tge.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    out = pad(x, (-1, 2))  # drop column 0, add two columns of 0
    np.testing.assert_array_equal(out.detach().cpu().numpy(), [[2, 3, 0, 0], [5, 6, 0, 0]])
    out.backward(tge.tensor(np.arange(8.0).reshape(2, 4)))
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[0, 0, 1], [0, 4, 5]])


def test_value_is_cast_to_the_input_dtype():
    assert pad(tge.tensor([1, 2, 3]), (1, 1), value=2.7).cpu().numpy().tolist() == [2, 1, 2, 3, 2]
    assert pad(tge.tensor([True]), (1, 0), value=1).cpu().numpy().tolist() == [True, True]
    out = pad(tge.ones(2, dtype=tge.float32), (0, 1))
    assert out.dtype == tge.float32


def test_empty_pad_and_empty_inputs():
    x = tge.ones(2, 3)
    assert pad(x, ()).shape == (2, 3)
    assert pad(tge.zeros(0, 3), (1, 1)).shape == (0, 5)
    assert pad(tge.zeros(0, 3), (0, 0, 1, 1)).shape == (2, 3)
    assert pad(x, (-3, 0)).shape == (2, 0)


# ---------------------------------------------------------------------- reflect / replicate / circular
MODES = ["reflect", "replicate", "circular"]
NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_mode_pad(a, amounts, mode):
    """Reference: ``np.pad`` in the matching mode for the positive amounts and slicing for
    the negative ones, in PyTorch's order (circular crops first, the others crop last)."""
    widths = [(0, 0)] * a.ndim
    for k in range(len(amounts) // 2):
        widths[a.ndim - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    grow = [(max(b, 0), max(e, 0)) for b, e in widths]

    def crop(arr):
        return arr[tuple(slice(max(-b, 0), arr.shape[d] - max(-e, 0)) for d, (b, e) in enumerate(widths))]

    if mode == "circular":
        return np.pad(crop(a), grow, mode="wrap")
    return crop(np.pad(a, grow, mode=NP_MODE[mode]))


@st.composite
def side_amounts(draw, n, mode):
    """(before, after) for one padded dim of size n that PyTorch accepts, leaving >= 1
    element; negative amounts crop (test_mode_errors shows each rule)."""
    if mode == "circular":  # crops first, then wraps at most once around what is left
        crop_before = draw(st.integers(0, n - 1))
        crop_after = draw(st.integers(0, n - 1 - crop_before))
        kept = n - crop_before - crop_after
        before = -crop_before if crop_before else draw(st.integers(0, min(kept, 3)))
        after = -crop_after if crop_after else draw(st.integers(0, min(kept, 3)))
        return before, after
    top = n - 1 if mode == "reflect" else 3  # reflect: padding < n
    before = draw(st.integers(max(-(n - 1), -3), top))
    return before, draw(st.integers(max(-3, 1 - n - before), top))


@st.composite
def mode_pad_cases(draw, mode):
    """(array, amounts): 1, 2 or 3 padded dims of a batched or unbatched input, sides
    1-4, amounts from -3 (crop) to 3."""
    dims = draw(st.integers(1, 3))
    rank = dims + draw(st.integers(1, 2))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    amounts = ()
    for k in range(dims):
        amounts += draw(side_amounts(shape[rank - 1 - k], mode))
    return data_array(draw, shape), amounts


def data_array(draw, shape):
    a = draw(S.arrays(shape))
    return S.noncontiguous(a) if draw(st.booleans()) else a


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_mode_pad_forward_and_gradcheck(kernel_set, mode, data):
    a, amounts = data.draw(mode_pad_cases(mode))
    previous = kernels.current()
    kernels.use(kernel_set)
    try:
        x = S.leaf(a)
        out = pad(x, amounts, mode=mode)
        np.testing.assert_array_equal(out.detach().cpu().numpy(), np_mode_pad(a, amounts, mode))
        w = tge.tensor(np.random.default_rng(0).standard_normal(out.shape))
        assert gradcheck(lambda t: pad(t, amounts, mode=mode) * w, (x,))
    finally:
        kernels.use(previous)


def test_mode_pad_values_on_a_row():
    x = tge.tensor([[[1.0, 2.0, 3.0]]])
    assert pad(x, (2, 1), mode="reflect").cpu().numpy().tolist() == [[[3, 2, 1, 2, 3, 2]]]
    assert pad(x, (2, 1), mode="replicate").cpu().numpy().tolist() == [[[1, 1, 1, 2, 3, 3]]]
    assert pad(x, (2, 1), mode="circular").cpu().numpy().tolist() == [[[2, 3, 1, 2, 3, 1]]]
    # negative amounts: reflect/replicate pad then crop, circular crops then wraps
    assert pad(x, (-1, 2), mode="reflect").cpu().numpy().tolist() == [[[2, 3, 2, 1]]]
    assert pad(x, (2, -1), mode="circular").cpu().numpy().tolist() == [[[1, 2, 1, 2]]]


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_mode_pad_backward_folds_the_border_onto_the_copied_elements(mode):
    x = tge.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    pad(x, (2, 1), mode=mode).backward(tge.tensor([[[1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]]]))
    # reflect: [x2 x1 | x0 x1 x2 | x1]; replicate: [x0 x0 | x0 x1 x2 | x2]
    expected = [[[100, 101000 + 10, 1 + 10000]]] if mode == "reflect" else [[[111, 1000, 110000]]]
    assert x.grad.cpu().numpy().tolist() == expected


def test_conv2d_layer_with_reflect_padding_uses_it():
    x = tge.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    padded = pad(x, (1, 1, 1, 1), mode="reflect")
    np.testing.assert_array_equal(padded.cpu().numpy()[0, 0], np.pad(np.arange(16.0).reshape(4, 4), 1, mode="reflect"))


@pytest.mark.parametrize(
    "shape, amounts, mode, error, message",
    [
        ((3,), (1, 1), "reflect", NotImplementedError,
         r"pad: mode='reflect' pads the last 1, 2 or 3 dims .* got padding \(1, 1\) \(length 2\) for an input of shape "
         r"\(3,\) \(expected a 2-D \(C, W\) or 3-D \(N, C, W\) input\)"),
        ((1, 2, 3, 4), (1, 1), "replicate", NotImplementedError, r"padding of length 2 needs a 2-D or 3-D input"),
        ((2, 3), (1, 1, 1, 1), "circular", NotImplementedError, r"expected a 3-D \(C, H, W\) or 4-D"),
        ((1, 1, 1, 2, 3, 4), (1, 1, 1, 1, 1, 1), "reflect", NotImplementedError, r"expected a 4-D \(C, D, H, W\) or 5-D"),
        ((1, 2, 3), (3, 0), "reflect", RuntimeError,
         r"pad: reflect padding must be smaller than the dim it pads .* got padding \(3, 0\) for dim 2 of size 3 "
         r"\(input shape \(1, 2, 3\)\)"),
        ((1, 2, 3, 4), (1, 1, 0, 3), "reflect", RuntimeError, r"got padding \(0, 3\) for dim 2 of size 3"),
        ((1, 2, 3), (4, 0), "circular", RuntimeError,
         r"pad: circular padding may wrap around at most once, .* \(after any cropping: 3\), got padding \(4, 0\)"),
        ((1, 2, 3), (2, -2), "circular", RuntimeError, r"after any cropping: 1\), got padding \(2, -2\)"),
        ((1, 2, 3), (-2, -1), "replicate", RuntimeError,
         r"pad: padding \(-2, -1\) of an input of shape \(1, 2, 3\) is too small: it leaves the padded dims "
         r"\(last first\) with sizes \(0,\)"),
        ((1, 2, 3), (-2, -2), "reflect", RuntimeError, r"with sizes \(-1,\)"),
        ((1, 2, 3), (-2, -2), "circular", RuntimeError,
         r"pad: padding \(-2, -2\) crops more than the 3 elements of dim 2 \(input shape \(1, 2, 3\)\)"),
        ((2, 0, 3), (1, 1), "reflect", RuntimeError,
         r"pad: mode='reflect' needs non-empty channel and padded dims \(only a batch dim may be 0\), got input of "
         r"shape \(2, 0, 3\)"),
        ((0, 3), (1, 1), "replicate", RuntimeError, r"needs non-empty channel and padded dims"),
        ((1, 2, 3, 4), (1, 1, 1), "reflect", RuntimeError, r"pad: padding length must be divisible by 2"),
    ],
)
def test_mode_errors(shape, amounts, mode, error, message):
    with pytest.raises(error, match=message):
        pad(tge.zeros(*shape), amounts, mode=mode)
    with pytest.raises(RuntimeError, match=f'padding mode "{mode}" doesn\'t take in value argument'):
        pad(tge.ones(1, 2, 3), (1, 1), mode=mode, value=1.0)


def test_mode_pad_of_bool_is_refused_like_pytorch_except_circular():
    with pytest.raises(NotImplementedError, match="pad: mode='reflect' is not implemented for bool tensors"):
        pad(tge.tensor([[[True, False]]]), (1, 1), mode="reflect")
    assert pad(tge.tensor([[[True, False]]]), (1, 1), mode="circular").cpu().numpy().tolist() == [[[False, True, False, True]]]


@pytest.mark.parametrize("mode", MODES)
def test_mode_pad_keeps_an_empty_batch_and_the_dtype(mode):
    assert pad(tge.zeros(0, 2, 3), (1, 2), mode=mode).shape == (0, 2, 6)
    out = pad(tge.tensor([[[1, 2, 3]]]), (1, 1), mode=mode)
    assert out.dtype == tge.int64 and out.shape == (1, 1, 5)


@pytest.mark.parametrize(
    "amounts, kwargs, error, message",
    [
        ((1,), {}, RuntimeError, r"pad: padding length must be divisible by 2, got 1 \(\(1,\)\)"),
        ((1, 1, 1, 1, 1, 1), {}, RuntimeError,
         r"pad: padding length should be less than or equal to two times the input dimension but got padding length 6 "
         r"and input of dimension 2 \(shape \(2, 3\)\)"),
        ((-2, -2), {}, RuntimeError, r"pad: padding \(-2, -2\) crops more than the 3 elements of dim 1 \(input shape \(2, 3\)\)"),
        ((-4, 4), {}, RuntimeError, "crops more than"),
        ((1, 1.5), {}, TypeError, "pad: pad must be a tuple of ints"),
        ((1, 1), {"mode": "bogus"}, NotImplementedError, "pad: unrecognised padding mode 'bogus'"),
    ],
)
def test_errors(amounts, kwargs, error, message):
    with pytest.raises(error, match=message):
        pad(tge.ones(2, 3), amounts, **kwargs)


# ---------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize(
    "shape, amounts, value",
    [
        ((2, 3, 4), (1, 2), None),
        ((2, 3, 4), (0, 1, 2, 0, 1, 1), -3.5),
        ((2, 3, 4), (-1, 2, 1, -2), 1.0),
        ((2, 3, 4), (-4, 1), None),
        ((3,), (2, -1), 0.5),
        ((1, 2, 2, 2, 2), (1, 1, 1, 1, 1, 1, 1, 1), None),
    ],
)
def test_matches_torch(shape, amounts, value):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape)
    x = tge.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    ours = pad(x, amounts, value=value)
    theirs = torch.nn.functional.pad(t, amounts, value=value)
    np.testing.assert_array_equal(ours.detach().cpu().numpy(), theirs.detach().cpu().numpy())
    g = rng.standard_normal(ours.shape)
    ours.backward(tge.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.cpu().numpy(), t.grad.cpu().numpy())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "shape, amounts",
    [
        ((2, 3, 4), (1, 2)),
        ((3, 5), (2, 0)),
        ((2, 3, 4, 5), (1, 2, 3, 0)),
        ((3, 4, 5), (2, 2, 1, 1)),
        ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2)),
        ((2, 3, 4, 3), (2, 1, 0, 3, 1, 1)),
        ((2, 3, 4, 5), (-1, 2, 1, -2)),  # crops: reflect/replicate pad first, circular crops first
        ((2, 4), (1, -2)),
    ],
)
def test_modes_match_torch(mode, shape, amounts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape)
    x = tge.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    ours = pad(x, amounts, mode=mode)
    theirs = torch.nn.functional.pad(t, amounts, mode=mode)
    np.testing.assert_array_equal(ours.detach().cpu().numpy(), theirs.detach().cpu().numpy())
    g = rng.standard_normal(ours.shape)
    ours.backward(tge.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12, atol=1e-12)
