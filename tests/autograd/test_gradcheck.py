"""gradcheck and its parts: the Jacobians' layout (PyTorch's: one row per input
element, one column per output element), the checker catching planted wrong
backwards with a report that says where, fast mode, float64 upcasting, rel_error."""
import re

import numpy as np
import pytest
from hypothesis import given

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.autograd import (
    Function, GradcheckError, analytical_jacobian, gradcheck, numerical_jacobian, rel_error,
)
from tinygrad_edu.testing import strategies as S


def leaf(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------- Jacobian layout
@pytest.mark.parametrize("jacobian", [numerical_jacobian, analytical_jacobian], ids=["numerical", "analytical"])
def test_jacobian_of_a_matrix_vector_product_is_A_transposed(jacobian, rng):
    """f(x) = A x with A of shape (m, n): J[j, k] = d f_k / d x_j = A[k, j], so J = A^T (n, m)."""
    A = rng.standard_normal((3, 5))
    x = leaf(rng.standard_normal(5))
    J = jacobian(lambda x: tge.matmul(Tensor(A), x), [x])
    assert len(J) == 1 and len(J[0]) == 1  # one input, one output
    assert J[0][0].shape == (5, 3)
    np.testing.assert_allclose(J[0][0], A.T, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("jacobian", [numerical_jacobian, analytical_jacobian], ids=["numerical", "analytical"])
def test_jacobians_are_listed_per_differentiable_input_then_per_output(jacobian, rng):
    x, y, c = leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3)), leaf(rng.standard_normal(3), requires_grad=False)
    J = jacobian(lambda x, c, y: (x * y, (x * c).sum()), [x, c, y])
    assert len(J) == 2 and all(len(row) == 2 for row in J)  # inputs x and y (c needs no grad), two outputs
    (J_xz, J_xs), (J_yz, J_ys) = J
    np.testing.assert_allclose(J_xz, np.diag(y.cpu().array), atol=1e-8)      # d(x*y)/dx
    np.testing.assert_allclose(J_xs, c.cpu().array[:, None], atol=1e-8)      # d(sum(x*c))/dx, shape (3, 1)
    np.testing.assert_allclose(J_yz, np.diag(x.cpu().array), atol=1e-8)
    np.testing.assert_allclose(J_ys, np.zeros((3, 1)), atol=1e-8)     # sum(x*c) does not depend on y


def test_numerical_jacobian_of_a_noncontiguous_input_and_a_view_output(rng):
    """Perturbations must reach a non-contiguous input, and an output that is a view of
    the input must not change under the next perturbation."""
    a = S.noncontiguous(rng.standard_normal((2, 3)))
    assert not a.flags.c_contiguous
    (J,), = numerical_jacobian(lambda x: x * 2, [leaf(a)])
    np.testing.assert_allclose(J, 2 * np.eye(6), atol=1e-8)
    (J,), = numerical_jacobian(lambda x: x[1:], [leaf(rng.standard_normal(3))])
    np.testing.assert_allclose(J, np.eye(3)[:, 1:], atol=1e-8)
    for fast_mode in (False, True):
        assert gradcheck(lambda x: x.T * 3, [leaf(a)], fast_mode=fast_mode)
        assert gradcheck(lambda x: x[:, 1:], [leaf(a)], fast_mode=fast_mode)


def test_jacobians_do_not_modify_the_inputs(rng):
    a = rng.standard_normal((2, 2))
    x = leaf(a.copy())
    numerical_jacobian(lambda x: x.exp(), [x])
    analytical_jacobian(lambda x: x.exp(), [x])
    np.testing.assert_array_equal(x.cpu().array, a)
    assert x.grad is None


# ---------------------------------------------------------- correct ops pass
@given(shapes=S.broadcastable_shapes(2))
def test_gradcheck_passes_on_correct_ops(shapes):
    rng = np.random.default_rng(0)
    x, y = (leaf(rng.uniform(0.5, 2, s)) for s in shapes)
    assert gradcheck(lambda x, y: (x * y).exp() / y, [x, y])
    assert gradcheck(lambda x, y: (x * y).exp() / y, [x, y], fast_mode=True)


def test_gradcheck_ignores_integer_outputs(rng):
    x = leaf(rng.standard_normal((3, 4)))
    values, indices = x.max(1)
    assert indices.dtype == np.int64
    assert gradcheck(lambda x: x.max(1), [x])


# ------------------------------------------------------- planted wrong backwards
class SquareMissingFactor2(Function):
    """z = x^2 with a wrong backward: g * x instead of 2 g x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class SquareOneWrongSign(Function):
    """z = x^2 with the right backward except for one element, whose sign is flipped."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        gx = 2 * g * x
        gx[1, 2] = -gx[1, 2]
        return gx


class MulWrongSecondGradient(Function):
    """z = x * y with dL/dy wrong (g instead of g * x): only input 1 is off."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, g


def _report_numbers(message):
    numbers = {}
    for key in ("numerical", "analytical", "relative error"):
        match = re.search(rf"{key}:\s+(\S+)", message)
        assert match, f"the report does not state the {key} value:\n{message}"
        numbers[key] = float(match.group(1))
    return numbers


def test_a_missing_factor_2_is_caught_and_reported(rng):
    x = leaf(rng.uniform(0.5, 2, 4))
    with pytest.raises(GradcheckError) as error:
        gradcheck(SquareMissingFactor2.apply, [x])
    message = str(error.value)
    assert "with respect to input 0" in message
    worst = int(np.argmax(x.cpu().array))  # |x - 2x| is largest at the largest x
    assert f"input[{worst}] -> output[{worst}]" in message
    numbers = _report_numbers(message)
    assert numbers["numerical"] == pytest.approx(2 * x.array[worst], rel=1e-6)
    assert numbers["analytical"] == pytest.approx(x.array[worst], rel=1e-9)
    assert numbers["relative error"] == pytest.approx(1 / 3, rel=1e-3)  # |2x - x| / (2x + x)
    assert "4 of 16 Jacobian entries are outside the tolerance" in message
    assert gradcheck(SquareMissingFactor2.apply, [x], raise_exception=False) is False


def test_one_wrong_element_is_located(rng):
    x = leaf(rng.uniform(0.5, 2, (2, 3)))
    with pytest.raises(GradcheckError) as error:
        gradcheck(SquareOneWrongSign.apply, [x])
    message = str(error.value)
    assert "with respect to input 0 (input shape (2, 3), output shape (2, 3))" in message
    assert "input[1, 2] -> output[1, 2]" in message
    numbers = _report_numbers(message)
    assert numbers["numerical"] == pytest.approx(2 * x.array[1, 2], rel=1e-6)
    assert numbers["analytical"] == pytest.approx(-2 * x.array[1, 2], rel=1e-9)
    assert numbers["relative error"] == pytest.approx(1.0)
    assert "1 of 36 Jacobian entries" in message


def test_the_report_names_the_wrong_input(rng):
    x, y = leaf(rng.uniform(0.5, 2, 3)), leaf(rng.uniform(0.5, 2, 3))
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(MulWrongSecondGradient.apply, [x, y])
    # with y not differentiated, only the correct gradient of x is checked
    assert gradcheck(MulWrongSecondGradient.apply, [x, leaf(y.array, requires_grad=False)])


@pytest.mark.parametrize("function", [SquareMissingFactor2, SquareOneWrongSign])
def test_fast_mode_catches_them_too(function, rng):
    x = leaf(rng.uniform(0.5, 2, (2, 3)))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(function.apply, [x], fast_mode=True)
    assert gradcheck(function.apply, [x], fast_mode=True, raise_exception=False) is False


def test_a_backward_that_ignores_the_upstream_gradient_is_caught(rng):
    class IgnoresG(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x  # right only when g is all ones, as with .sum().backward()

    x = leaf(rng.uniform(0.5, 2, 3))
    assert gradcheck(lambda x: IgnoresG.apply(x).sum(), [x])  # why .sum() alone is not a test
    assert not gradcheck(IgnoresG.apply, [x], raise_exception=False)
    assert not gradcheck(IgnoresG.apply, [x], raise_exception=False, fast_mode=True)


# ------------------------------------------------------------ dtypes and errors
def test_float32_inputs_are_checked_in_float64():
    seen = []

    def fn(x):
        seen.append(x.dtype)
        return x.exp()

    data = np.array([0.1, 0.7, -1.3], dtype=np.float32)
    x = Tensor(data.copy(), requires_grad=True)
    assert gradcheck(fn, [x])  # in float32 the difference quotient would be mostly rounding error
    assert set(seen) == {np.dtype(np.float64)}
    assert x.dtype == np.float32 and np.array_equal(x.cpu().array, data)


def test_at_least_one_input_must_require_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x.exp(), [leaf([1.0, 2.0], requires_grad=False)])


def test_non_tensor_inputs_pass_through(rng):
    x = leaf(rng.standard_normal(3))
    assert gradcheck(lambda x, k: x * k, [x, 3.0])


# ------------------------------------------------------------------ rel_error
def test_rel_error_values():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)           # |1-3| / (1+3)
    assert rel_error(np.array([1.0, 10.0]), np.array([1.0, 12.0])) == pytest.approx(2 / 22)  # the max
    assert rel_error(np.array([-1.0]), np.array([1.0])) == pytest.approx(1.0)          # opposite signs
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0                                  # no 0/0
    assert rel_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(0.1)          # floor 1e-8
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error(tge.tensor([1.0, 2.0]), np.array([1.0, 2.5])) == pytest.approx(0.5 / 4.5)
