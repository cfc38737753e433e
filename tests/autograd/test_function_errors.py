"""A custom Function that breaks the contract gets an error naming the Function, the
input index, and the shapes expected and got (issue 12, "errors that teach")."""
import numpy as np
import pytest

import tinygrad_edu as tge
import tinygrad_edu.nn as nn
from tinygrad_edu.autograd import Function
from tinygrad_edu.backend import get_array_module


def make(forward_result=None, backward_result=None):
    class Custom(Function):
        @staticmethod
        def forward(ctx, x, y):
            return forward_result(x) if forward_result else x * y

        @staticmethod
        def backward(ctx, g):
            return backward_result(g)

    return Custom


@pytest.mark.parametrize("result, kind", [
    (lambda x: [x], "a list"), (lambda x: float(x.sum()), "a float"), (lambda x: None, "a NoneType"),
    (lambda x: tge.tensor(x), "a Tensor"),
])
def test_forward_must_return_arrays(result, kind):
    with pytest.raises(TypeError, match=f"Custom.forward returned {kind} as its output") as info:
        make(forward_result=result).apply(tge.ones(2, 3, requires_grad=True), 2.0)
    assert "tuple" in str(info.value) or "array" in str(info.value)


def test_forward_tuple_output_names_the_index():
    with pytest.raises(TypeError, match="returned a list as output 1"):
        make(forward_result=lambda x: (x, [x])).apply(tge.ones(2), 2.0)


def test_backward_with_too_few_gradients_lists_the_inputs():
    out = make(backward_result=lambda g: g).apply(tge.ones(2, 3, requires_grad=True), 2.0)
    with pytest.raises(RuntimeError) as info:
        out.sum().backward()
    message = str(info.value)
    assert "CustomBackward returned an incorrect number of gradients (expected 2, got 1)" in message
    assert "0: a Tensor of shape (2, 3)" in message and "1: not a Tensor" in message


def test_backward_with_wrong_shape_names_index_and_shapes():
    x, y = tge.ones(2, 3, requires_grad=True), tge.ones(3, requires_grad=True)
    out = make(backward_result=lambda g: (g, g[:1, :2])).apply(x, y)
    with pytest.raises(RuntimeError, match=r"CustomBackward returned an invalid gradient at index 1 - got \[1, 2\] "
                                           r"but expected shape compatible with \[3\]"):
        out.sum().backward()


def test_backward_returning_a_non_array():
    out = make(backward_result=lambda g: (g.tolist(), None)).apply(tge.ones(2, requires_grad=True), 2.0)
    with pytest.raises(RuntimeError, match="returned a list as the gradient of input 0"):
        out.sum().backward()


def test_broadcast_gradients_are_still_accepted():
    x = tge.ones(3, requires_grad=True)
    out = make(forward_result=lambda x: get_array_module(x).broadcast_to(x, (2, 3)).copy(),
               backward_result=lambda g: (g, None)).apply(x, 2.0)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().array, [2.0, 2.0, 2.0])


# ------------------------------------------------------------ normalisation layers
@pytest.mark.parametrize("layer, bad_input, expected", [
    (nn.BatchNorm2d(4), tge.ones(2, 4, 3), r"BatchNorm2d\(4, .*expected 4D input \(got 3D input\): input shape \(2, 4, 3\)"),
    (nn.BatchNorm2d(4), tge.ones(2, 3, 5, 5), r"BatchNorm2d\(4, .*4 channels at dim 1.*shape \(2, 3, 5, 5\)"),
    (nn.BatchNorm1d(3), tge.ones(2, 3, 4, 5), r"BatchNorm1d\(3, .*expected 2D or 3D input \(got 4D input\): input shape \(2, 3, 4, 5\)"),
    (nn.LayerNorm(4), tge.ones(2, 3), r"LayerNorm\(\(4,\), .*expected input with shape \[\*, 4\], but got input of size \[2, 3\]"),
    (nn.GroupNorm(2, 4), tge.ones(2, 6, 3), r"GroupNorm\(2, 4, .*4 channels at dim 1.*shape \(2, 6, 3\)"),
    (nn.InstanceNorm2d(3), tge.ones(3, 4), r"InstanceNorm2d\(3, .*expected 3D or 4D input \(got 2D input\): input shape \(3, 4\)"),
])
def test_normalisation_errors_name_layer_and_shape(layer, bad_input, expected):
    with pytest.raises((RuntimeError, ValueError), match=expected):
        layer(bad_input)
