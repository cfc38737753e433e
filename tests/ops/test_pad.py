"""``pad`` (F.pad): constant padding of any number of trailing dims, negative amounts
that crop, the pad/crop backward, the mode dispatch and the errors; then PyTorch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.ops.pad import pad
from tests import strategies as S


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
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    w = tge.tensor(np.random.default_rng(0).standard_normal(out.shape))
    assert gradcheck(lambda t: pad(t, amounts, value=value) * w, (x,))


def test_backward_is_the_crop_and_cropped_elements_get_zero():
    x = tge.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    out = pad(x, (-1, 2))  # drop column 0, add two columns of 0
    np.testing.assert_array_equal(out.detach().numpy(), [[2, 3, 0, 0], [5, 6, 0, 0]])
    out.backward(tge.tensor(np.arange(8.0).reshape(2, 4)))
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 1], [0, 4, 5]])


def test_value_is_cast_to_the_input_dtype():
    assert pad(tge.tensor([1, 2, 3]), (1, 1), value=2.7).numpy().tolist() == [2, 1, 2, 3, 2]
    assert pad(tge.tensor([True]), (1, 0), value=1).numpy().tolist() == [True, True]
    out = pad(tge.ones(2, dtype=tge.float32), (0, 1))
    assert out.dtype == tge.float32


def test_empty_pad_and_empty_inputs():
    x = tge.ones(2, 3)
    assert pad(x, ()).shape == (2, 3)
    assert pad(tge.zeros(0, 3), (1, 1)).shape == (0, 5)
    assert pad(tge.zeros(0, 3), (0, 0, 1, 1)).shape == (2, 3)
    assert pad(x, (-3, 0)).shape == (2, 0)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_other_modes_are_not_yet_available(mode):
    with pytest.raises(NotImplementedError, match=f"pad: mode='{mode}' comes with the convolution issue"):
        pad(tge.ones(1, 2, 3), (1, 1), mode=mode)
    with pytest.raises(RuntimeError, match=f'padding mode "{mode}" doesn\'t take in value argument'):
        pad(tge.ones(1, 2, 3), (1, 1), mode=mode, value=1.0)


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
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    g = rng.standard_normal(ours.shape)
    ours.backward(tge.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
