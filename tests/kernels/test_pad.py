"""Reflect and replicate padding: the three forms agree, the backwards are adjoints,
and bad padding is refused with a clear message."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import pad

from .checks import assert_forms_agree, forms, inner
from .strategies import images, kernel_settings, pad_configs


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@kernel_settings
@given(data=st.data())
def test_pad_forms_agree(mode, data):
    x, padding = data.draw(pad_configs(reflect=mode == "reflect"))
    out = assert_forms_agree(pad, f"pad_{mode}", x, padding)
    grad_out = data.draw(images(out.shape, x.dtype))
    grad = assert_forms_agree(pad, f"pad_{mode}_backward", grad_out, padding)
    assert grad.shape == x.shape


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@kernel_settings
@given(data=st.data())
def test_pad_backward_is_the_adjoint(mode, data):
    x, padding = data.draw(pad_configs(reflect=mode == "reflect", dtype=np.float64))
    for forward, backward in zip(forms(pad, f"pad_{mode}"), forms(pad, f"pad_{mode}_backward")):
        out = forward(x, padding)
        g = data.draw(images(out.shape, np.float64))
        lhs, rhs = inner(out, g), inner(x, backward(g, padding))
        assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), forward.__name__


def test_pad_values_on_a_row():
    x = np.array([[1.0, 2.0, 3.0]])
    for form in forms(pad, "pad_reflect"):
        np.testing.assert_array_equal(form(x, (2, 1)), [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]])
    for form in forms(pad, "pad_replicate"):
        np.testing.assert_array_equal(form(x, (2, 1)), [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]])


@pytest.mark.parametrize("form", ["pad_reflect", "pad_reflect_reference", "pad_reflect_numba"])
def test_reflect_padding_must_be_smaller_than_the_dim(form):
    if form.endswith("numba"):
        pytest.importorskip("numba")
    with pytest.raises(ValueError, match="reflect padding must be smaller than the dim"):
        getattr(pad, form)(np.zeros((1, 1, 3, 3)), (3, 0, 0, 0))


def test_padding_must_name_one_or_two_dims():
    with pytest.raises(ValueError, match=r"\(left, right\) for the last dim or \(left, right, top, bottom\)"):
        pad.pad_replicate(np.zeros((2, 3)), (1, 1, 1))
