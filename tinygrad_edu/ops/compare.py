"""Comparisons, logical and bitwise ops and rounding: results that carry no gradient.

Comparisons return bool tensors outside the graph. ``sign``/``floor``/``ceil``/
``round`` are piecewise constant, so their gradient is zero almost everywhere; as in
PyTorch they stay in the graph and send back zeros. (``remainder`` is differentiable:
it lives in ``elementwise.py`` and is re-exported here.)
"""
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import elementwise
from ..shape_checks import broadcast_shape, normalize_dims, numpy_aliases


def _data(x):
    return x.array if isinstance(x, Tensor) else x


def _compare(op, name, a, b):
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.array.shape != b.array.shape:
        broadcast_shape(name, a.shape, b.shape)
    xa, xb = _data(a), _data(b)
    xp = get_array_module(xa, xb)
    return Tensor._wrap(getattr(xp, op)(xa, xb))


def eq(input, other):
    return _compare("equal", "eq", input, other)


def ne(input, other):
    return _compare("not_equal", "ne", input, other)


def lt(input, other):
    return _compare("less", "lt", input, other)


def le(input, other):
    return _compare("less_equal", "le", input, other)


def gt(input, other):
    return _compare("greater", "gt", input, other)


def ge(input, other):
    return _compare("greater_equal", "ge", input, other)


def logical_and(input, other):
    return _compare("logical_and", "logical_and", input, other)


def logical_or(input, other):
    return _compare("logical_or", "logical_or", input, other)


def logical_not(input):
    return Tensor._wrap(get_array_module(input.array).logical_not(input.array))


def _integral(op, *operands):
    """Bitwise ops are defined for bool and integer tensors only (as in PyTorch)."""
    for x in operands:
        ok = x.array.dtype.kind in "biu" if isinstance(x, Tensor) else isinstance(x, int)  # a bool is an int
        if not ok:
            raise TypeError(f"{op}: only integer and bool tensors are supported, got {getattr(x, 'dtype', type(x).__name__)}")


def bitwise_and(input, other):
    """``input & other``: bitwise AND of integers, logical AND of bools."""
    _integral("bitwise_and", input, other)
    return _compare("bitwise_and", "bitwise_and", input, other)


def bitwise_or(input, other):
    """``input | other``: bitwise OR of integers, logical OR of bools."""
    _integral("bitwise_or", input, other)
    return _compare("bitwise_or", "bitwise_or", input, other)


def bitwise_xor(input, other):
    """``input ^ other``: bitwise XOR of integers, logical XOR of bools."""
    _integral("bitwise_xor", input, other)
    return _compare("bitwise_xor", "bitwise_xor", input, other)


def bitwise_not(input):
    """``~input``: flips every bit of an integer (~6 == -7), negates a bool."""
    _integral("bitwise_not", input)
    return Tensor._wrap(get_array_module(input.array).invert(input.array))


def isnan(input):
    return Tensor._wrap(get_array_module(input.array).isnan(input.array))


def isfinite(input):
    return Tensor._wrap(get_array_module(input.array).isfinite(input.array))


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    dim, keepdim = numpy_aliases("any", dim, keepdim, axis, keepdims)
    dims = normalize_dims("any", dim, input.ndim)
    return Tensor._wrap(input.array.any(axis=dims, keepdims=keepdim))


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    dim, keepdim = numpy_aliases("all", dim, keepdim, axis, keepdims)
    dims = normalize_dims("all", dim, input.ndim)
    return Tensor._wrap(input.array.all(axis=dims, keepdims=keepdim))


def floor_divide(input, other):
    """``input // other`` (rounds toward minus infinity); no gradient."""
    return _compare("floor_divide", "floor_divide", input, other)


remainder = elementwise.remainder  # differentiable: a Function in elementwise.py


class PiecewiseConstant(Function):
    """z = f(x) for a step-like f (sign, floor, ceil, round).

    Backward: f'(x) = 0 wherever it exists, so dL/dx = 0.
    """

    @staticmethod
    def forward(ctx, x, name):
        xp = get_array_module(x)
        return getattr(xp, name)(x)

    @staticmethod
    def backward(ctx, g):
        return get_array_module(g).zeros_like(g), None


def sign(input):
    return PiecewiseConstant.apply(input, "sign")


def floor(input):
    return PiecewiseConstant.apply(input, "floor")


def ceil(input):
    return PiecewiseConstant.apply(input, "ceil")


def round(input):
    """Rounds half to even, as PyTorch and NumPy do."""
    return PiecewiseConstant.apply(input, "round")


# -------------------------------------------------------- closeness and equality
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |input - other| <= atol + rtol * |other| (a bool tensor); infinities
    are close only to themselves, NaN only with ``equal_nan=True``. Both tensors must
    have the same dtype, as in PyTorch. Shape: the broadcast shape. No gradient."""
    if isinstance(other, Tensor) and isinstance(input, Tensor) and input.dtype != other.dtype:
        raise RuntimeError(f"isclose: {input.dtype} did not match {other.dtype} (both tensors need the same dtype)")
    a, b = _data(input), _data(other)
    xp = get_array_module(a, b)
    return Tensor._wrap(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a Python bool) when every element of ``input`` is close to ``other``'s
    (see ``isclose``); shapes must broadcast."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        broadcast_shape("allclose", input.shape, other.shape)
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def equal(input, other):
    """True (a Python bool) when both tensors have the same shape and the same elements."""
    if input.shape != other.shape:
        return False
    xp = get_array_module(input.array, other.array)
    return bool(xp.all(input.array == other.array))
