"""Custom ``Function``s written the PyTorch way: ctx API, multiple outputs,
non-differentiable outputs, needs_input_grad, and the graph structure."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.autograd import Function, gradcheck
from tinygrad_edu.backend import get_array_module


class Cube(Function):
    """z = x^3.  dL/dx = 3 x^2 g."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


class SumAndDiff(Function):
    """Two outputs: (x + y, x - y)."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y, x - y

    @staticmethod
    def backward(ctx, g_sum, g_diff):
        return g_sum + g_diff, g_sum - g_diff


class SortWithIndices(Function):
    """Sorted values (differentiable) and the permutation (not differentiable)."""

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        idx = xp.argsort(x)
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        ctx.n = x.shape[0]
        return x[idx], idx

    @staticmethod
    def backward(ctx, g, g_idx):
        (idx,) = ctx.saved_tensors
        xp = get_array_module(g)
        out = xp.zeros(ctx.n, dtype=g.dtype)
        out[idx] = g
        return out


def test_custom_function_forward_backward_and_gradcheck():
    x = tge.tensor([1.0, -2.0], dtype=tge.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 3 * np.array([1.0, 4.0]))
    assert gradcheck(Cube.apply, (tge.randn(3, 2, dtype=tge.float64, requires_grad=True),))


def test_multiple_outputs_and_one_unused_output():
    x = tge.randn(3, dtype=tge.float64, requires_grad=True)
    y = tge.randn(3, dtype=tge.float64, requires_grad=True)
    assert gradcheck(lambda a, b: SumAndDiff.apply(a, b), (x, y))
    s, d = SumAndDiff.apply(x, y)
    (d * 2).sum().backward()  # s unused: its gradient is materialised as zeros
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(y.grad.cpu().numpy(), [-2.0, -2.0, -2.0])


def test_non_differentiable_output():
    x = tge.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = SortWithIndices.apply(x)
    assert values.requires_grad and not idx.requires_grad
    (values * tge.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [100.0, 1.0, 10.0])


def test_needs_input_grad_and_no_grad_mode():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y, scale):
            seen["needs"] = ctx.needs_input_grad
            return x * y * scale

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    Probe.apply(tge.randn(2, requires_grad=True), tge.randn(2), 3.0)
    assert seen["needs"] == (True, False, False)
    with tge.no_grad():
        out = Probe.apply(tge.randn(2, requires_grad=True), tge.randn(2), 3.0)
    assert seen["needs"] == (False, False, False) and out.grad_fn is None and not out.requires_grad


def test_wrong_number_of_gradients_is_reported():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    out = Bad.apply(tge.randn(2, requires_grad=True), tge.randn(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="BadBackward returned an incorrect number of gradients"):
        out.sum().backward()


def test_next_functions_expose_the_graph():
    x = tge.randn(2, requires_grad=True)
    y = x * 2
    z = y.exp()
    (node, nr), = z.grad_fn.next_functions
    assert node is y.grad_fn and nr == 0
    leaf_node = y.grad_fn.next_functions[0][0]
    assert leaf_node.name() == "AccumulateGrad" and leaf_node.variable is x
    assert y.grad_fn.next_functions[1] == (None, 0)  # the Python number 2


def test_forward_runs_with_grad_mode_off():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen["mode"] = tge.is_grad_enabled()
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    Probe.apply(tge.randn(2, requires_grad=True))
    assert seen["mode"] is False and tge.is_grad_enabled()
