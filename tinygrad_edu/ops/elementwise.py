"""Elementwise arithmetic and math functions, each a ``Function`` with its backward.

Every backward below returns the vector-Jacobian product for each input: the
Jacobian of an elementwise op is diagonal, so ``dL/dx = g * f'(x)`` elementwise,
where ``g = dL/dout`` is the upstream gradient. Broadcasting is *not* handled here:
the engine sums each returned gradient back to its input's shape (``unbroadcast``).
"""
import math

import numpy as np

from .. import kernels
from ..autograd.function import Function
from ..backend import default_float_dtype, get_array_module, result_dtype
from ..tensor import Tensor
from ..shape_checks import broadcast_shape


# --------------------------------------------------------------------- binary ops
class Add(Function):
    """z = x + y.   Backward: dL/dx = g,  dL/dy = g."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """z = x - y.   Backward: dL/dx = g,  dL/dy = -g."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Function):
    """z = x * y.   Backward: dL/dx = g * y,  dL/dy = g * x.

    Each input is saved only if the *other* one needs its gradient: ``(w * 2.0)``
    keeps nothing of w, so modifying w in place afterwards is fine (as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y if ctx.needs_input_grad[0] else None)
        return x * y

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 1.4
        x, y = ctx.saved_tensors
        gx = g * y if ctx.needs_input_grad[0] else None
        gy = g * x if ctx.needs_input_grad[1] else None
        return gx, gy
        # END SOLUTION


class Div(Function):
    """z = x / y.   Backward: dL/dx = g / y,  dL/dy = -g * x / y^2.

    The inputs are saved, not z (as in PyTorch), and x only if y needs its gradient:
    modifying z in place afterwards is then fine.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 1.4
        x, y = ctx.saved_tensors
        gx = g / y if ctx.needs_input_grad[0] else None
        gy = -g * x / (y * y) if ctx.needs_input_grad[1] else None
        return gx, gy
        # END SOLUTION


class Pow(Function):
    """z = x ** y  (either side may be a Python number).

    Backward:
        dL/dx = g * y * x^(y - 1)  (taken as 0 where y == 0: x^0 = 1 is flat in x, even
                                    at x = 0 where 0 * 0^-1 would give NaN; as PyTorch)
        dL/dy = g * z * log(x)     (taken as 0 where x == 0 and y >= 0, as PyTorch does,
                                    since x^y is flat in y there)
    z is saved only if y needs its gradient.
    """

    @staticmethod
    def forward(ctx, x, y):
        xp = get_array_module(x, y)
        z = xp.power(x, y)
        ctx.save_for_backward(x, y, z if ctx.needs_input_grad[1] else None)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        xp = get_array_module(g)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0^-1 where y == 0, masked below
                gx = g * y * xp.power(x, y - 1)
            gx = xp.where(y == 0, 0, gx).astype(gx.dtype, copy=False)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where x == 0, masked below
                if isinstance(x, (int, float)):
                    log_x = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
                else:
                    log_x = xp.log(x)
                gy = g * z * log_x
            gy = xp.where((x == 0) & (y >= 0), 0, gy).astype(gy.dtype, copy=False)
        return gx, gy


class Maximum(Function):
    """z = max(x, y) elementwise.

    Backward: the gradient goes to the larger input; at ties (x == y) it is split,
    g/2 to each, as PyTorch does:
        dL/dx = g * s_x,  s_x = 0 where x < y, 1/2 where x == y, else 1
        dL/dy = g * s_y,  s_y = 0 where x > y, 1/2 where x == y, else 1
    Where x or y is NaN (so is z) no comparison holds and both get g, as in PyTorch.
    (``_split_gradient`` chooses each part rather than multiplying by s, so a loser's
    gradient is 0 even where g is inf or NaN.)
    """

    @staticmethod
    def forward(ctx, x, y):
        xp = get_array_module(x, y)
        ctx.save_for_backward(x, y)
        return xp.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _split_gradient(ctx, g, x < y, x > y, x == y)


class Minimum(Function):
    """z = min(x, y) elementwise.   Backward: as ``Maximum`` with the comparisons reversed
    (x's share is 0 where x > y, 1/2 at ties, else 1; both get g at a NaN)."""

    @staticmethod
    def forward(ctx, x, y):
        xp = get_array_module(x, y)
        ctx.save_for_backward(x, y)
        return xp.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _split_gradient(ctx, g, x > y, x < y, x == y)


def _split_gradient(ctx, g, x_loses, y_loses, tie):
    """Each input's part of g: 0 where it loses, g/2 at a tie, else g (in g's dtype).
    Chosen, not g times a share: where an input loses its gradient is +0.0 even for an
    inf or NaN g (inf * 0 would be NaN), as PyTorch's ``masked_fill`` gives."""
    half = kernels.where(tie, g * 0.5, g)
    gx = kernels.where(x_loses, 0, half) if ctx.needs_input_grad[0] else None
    gy = kernels.where(y_loses, 0, half) if ctx.needs_input_grad[1] else None
    return gx, gy


class Remainder(Function):
    """z = x mod y = x - floor(x / y) * y  (the sign of y, Python's rule).

    Backward: floor(x / y) is piecewise constant, so away from the jumps
        dL/dx = g          dL/dy = -g * floor(x / y)
    (``floor_divide`` itself has no gradient, as in PyTorch.)
    """

    @staticmethod
    def forward(ctx, x, y):
        xp = get_array_module(x, y)
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(x, y)
        return xp.remainder(x, y)

    @staticmethod
    def backward(ctx, g):
        gy = None
        if ctx.needs_input_grad[1]:
            x, y = ctx.saved_tensors
            gy = -g * get_array_module(g).floor(x / y)
        return (g if ctx.needs_input_grad[0] else None), gy


class Where(Function):
    """z = x where cond else y.

    Backward: dL/dx = g where cond else 0,  dL/dy = g where not cond else 0;
    ``cond`` is boolean and gets no gradient.
    """

    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.save_for_backward(cond)
        return kernels.where(cond, x, y)  # NumPy's where, without its branch per element

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        xp = get_array_module(g)
        zero = xp.zeros((), dtype=g.dtype)
        gx = kernels.where(cond, g, zero) if ctx.needs_input_grad[1] else None
        gy = kernels.where(cond, zero, g) if ctx.needs_input_grad[2] else None
        return None, gx, gy


# ---------------------------------------------------------------------- unary ops
class Neg(Function):
    """z = -x.   Backward: dL/dx = -g."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Function):
    """z = e^x.   Backward: dL/dx = g * e^x = g * z (the output is saved, not x)."""

    @staticmethod
    def forward(ctx, x):
        z = get_array_module(x).exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z


class Log(Function):
    """z = ln(x).   Backward: dL/dx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    """z = sqrt(x).   Backward: dL/dx = g / (2 sqrt(x)) = g / (2 z)."""

    @staticmethod
    def forward(ctx, x):
        z = get_array_module(x).sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g / (2 * z)


class Rsqrt(Function):
    """z = 1 / sqrt(x).   Backward: dL/dx = -g / (2 x^(3/2)) = -g * z^3 / 2."""

    @staticmethod
    def forward(ctx, x):
        z = 1 / get_array_module(x).sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return -0.5 * g * z * z * z


class Abs(Function):
    """z = |x|.   Backward: dL/dx = g * sign(x)  (0 at x = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * get_array_module(x).sign(x)


class Sin(Function):
    """z = sin(x).   Backward: dL/dx = g * cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * get_array_module(x).cos(x)


class Cos(Function):
    """z = cos(x).   Backward: dL/dx = -g * sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * get_array_module(x).sin(x)


class Tanh(Function):
    """z = tanh(x).   Backward: dL/dx = g * (1 - z^2)."""

    @staticmethod
    def forward(ctx, x):
        z = get_array_module(x).tanh(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.2
        (z,) = ctx.saved_tensors
        return g * (1 - z * z)
        # END SOLUTION


class Sigmoid(Function):
    """z = 1 / (1 + e^-x).   Backward: dL/dx = g * z * (1 - z).

    Forward in the stable form: with e = exp(-|x|) (never overflows),
    z = 1 / (1 + e) for x >= 0 and z = e / (1 + e) for x < 0.
    """

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))
        z = kernels.where(x >= 0, 1 / (1 + e), e / (1 + e))  # NumPy's where, without its branch per element
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.2
        (z,) = ctx.saved_tensors
        return g * z * (1 - z)
        # END SOLUTION


class Atan(Function):
    """z = arctan(x) (the slides' ArcTan activation).   Backward: dL/dx = g / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x).arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Clamp(Function):
    """z = min(max(x, lo), hi)  for numbers lo, hi (either may be None).

    Backward: dL/dx = g where lo <= x <= hi, else 0 (PyTorch lets the gradient
    through at the bounds themselves). Only that mask is saved, not x. A choice, not
    ``g * mask``: outside the bounds the gradient is +0.0 whatever g holds (inf * 0
    would be NaN), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = get_array_module(x)
        if ctx.needs_input_grad[0]:
            inside = xp.ones(x.shape, dtype=bool) if lo is None else x >= lo
            if hi is not None:
                inside &= x <= hi
            ctx.save_for_backward(inside)
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return kernels.where(inside, g, 0), None, None


class ClampTensor(Function):
    """z = min(max(x, lo), hi)  with tensor bounds (either may be None).

    Backward: each element's gradient goes to whichever of x, lo, hi it comes from; x
    wins ties with a bound, and a bound lo > hi gives every element hi (PyTorch's
    ``clamp_backward`` rules, masks as PyTorch writes them):
        dL/dx  = g * (x >= lo) * (x <= hi)
        dL/dlo = g * (x < lo) * (lo < hi)         (g * (x < lo) without hi)
        dL/dhi = g * ((x > hi) | (hi < lo))       (g * (x > hi) without lo)
    A NaN in x, lo or hi makes every comparison false: that element's gradient goes
    nowhere (dL/dhi still gets it where hi < lo), as in PyTorch. Only the masks of the
    inputs that need a gradient are saved, not the inputs. Each product with a mask is
    computed as a choice (g where the mask holds, else +0.0), so an infinite or NaN g
    stays where it belongs, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = get_array_module(x, lo, hi)
        m = x if lo is None else xp.maximum(x, lo)
        z = m if hi is None else xp.minimum(m, hi)
        need_x, need_lo, need_hi = ctx.needs_input_grad[:3]
        from_x = from_lo = from_hi = None
        if need_x:
            from_x = xp.ones(z.shape, dtype=bool)
            if lo is not None:
                from_x = from_x & (x >= lo)
            if hi is not None:
                from_x = from_x & (x <= hi)
        if need_lo:
            from_lo = x < lo if hi is None else (x < lo) & (lo < hi)
        if need_hi:
            from_hi = x > hi if lo is None else (x > hi) | (hi < lo)
        ctx.save_for_backward(from_x, from_lo, from_hi)
        return z

    @staticmethod
    def backward(ctx, g):
        from_x, from_lo, from_hi = ctx.saved_tensors
        return tuple(None if mask is None else kernels.where(mask, g, 0) for mask in (from_x, from_lo, from_hi))


# ------------------------------------------------------ the functional interface
def _operands(op, a, b, true_divide=False):
    """Tensors (or Python numbers) ready for a binary Function: array-likes become
    Tensors, shapes are checked, and integer tensors are promoted to float where
    PyTorch's rules make the result float."""
    both_tensors = isinstance(a, Tensor) and isinstance(b, Tensor)
    if not both_tensors:  # a number or an array-like
        a, b = _python_number(a), _python_number(b)
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = Tensor(a)
        if not isinstance(a, (Tensor, int, float)):
            a = Tensor(a)
        if not isinstance(b, (Tensor, int, float)):
            b = Tensor(b)
        both_tensors = isinstance(a, Tensor) and isinstance(b, Tensor)
    if both_tensors:
        if a.array.shape != b.array.shape:
            broadcast_shape(op, a.shape, b.shape)
        if a.array.dtype == b.array.dtype and not (true_divide and a.array.dtype.kind in "biu"):
            return a, b  # one dtype: nothing to promote or cast (the common case, and the cheap one)
    dtype = result_dtype(a.array if isinstance(a, Tensor) else a, b.array if isinstance(b, Tensor) else b)
    if true_divide and dtype.kind in "biu":
        dtype = default_float_dtype
    return _cast(a, dtype), _cast(b, dtype)


def _python_number(x):
    """NumPy scalars (``np.float64(2.0)``) act as Python numbers, as in PyTorch."""
    return x.item() if isinstance(x, np.generic) else x


def _cast(t, dtype):
    """``t`` in the result dtype: a plain cast for integers (no gradient), a recorded
    one for floats (e.g. a 0-d float64 tensor meeting a float32 array)."""
    if not isinstance(t, Tensor) or t.array.dtype == dtype:
        return t
    if t.array.dtype.kind in "biu":
        return Tensor._wrap(t.array.astype(dtype))
    return t.to(dtype)


def _scaled(other, alpha):
    """``alpha * other`` for add/sub; a number stays a number (a tensor made from it here
    would sit on the CPU, away from a device ``input``)."""
    if alpha == 1:
        return other
    other = _python_number(other)
    return other * alpha if isinstance(other, (int, float)) else mul(other, alpha)


def add(input, other, alpha=1):
    """``input + alpha * other``."""
    return Add.apply(*_operands("add", input, _scaled(other, alpha)))


def sub(input, other, alpha=1):
    """``input - alpha * other``."""
    return Sub.apply(*_operands("sub", input, _scaled(other, alpha)))


def mul(input, other):
    return Mul.apply(*_operands("mul", input, other))


def div(input, other):
    """True division: integer inputs give a float result, as in PyTorch."""
    return Div.apply(*_operands("div", input, other, true_divide=True))


def pow(input, exponent):
    return Pow.apply(*_operands("pow", input, exponent))


def maximum(input, other):
    return Maximum.apply(*_operands("maximum", input, other))


def minimum(input, other):
    return Minimum.apply(*_operands("minimum", input, other))


def remainder(input, other):
    """``input % other`` with the sign of ``other`` (Python's rule)."""
    return Remainder.apply(*_operands("remainder", input, other))


def where(condition, input, other):
    """``input`` where ``condition`` holds, else ``other`` (either may be a number)."""
    if not isinstance(condition, Tensor):
        condition = Tensor(condition)
    if condition.array.dtype.kind != "b":
        raise TypeError(f"where: expected condition to be a bool tensor, got {condition.dtype}")
    x, y = _operands("where", input, other)
    shapes = [condition.shape] + [t.shape for t in (x, y) if isinstance(t, Tensor)]
    broadcast_shape("where", *shapes)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor(get_array_module(condition.array).asarray(x, dtype=result_dtype(x, y)))
    return Where.apply(condition, x, y)


def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is True. The result keeps ``input``'s dtype
    (the value is cast to it: an integer tensor filled with 2.7 gets 2, as in PyTorch);
    a 0-d tensor value gets its gradient from the filled positions."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill: only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)"
            )
        value = value.to(input.dtype)
    else:
        value = Tensor._wrap(get_array_module(input.array).asarray(value, dtype=input.array.dtype))
    return where(mask, value, input)


def neg(input):
    return Neg.apply(input)


def _float_input(op, input):
    """Math functions of integer tensors compute in the default float dtype (PyTorch)."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.array.dtype.kind in "biu":
        input = Tensor._wrap(input.array.astype(default_float_dtype))
    return input


def exp(input):
    return Exp.apply(_float_input("exp", input))


def log(input):
    return Log.apply(_float_input("log", input))


def sqrt(input):
    return Sqrt.apply(_float_input("sqrt", input))


def rsqrt(input):
    return Rsqrt.apply(_float_input("rsqrt", input))


def abs(input):
    return Abs.apply(input)


def sin(input):
    return Sin.apply(_float_input("sin", input))


def cos(input):
    return Cos.apply(_float_input("cos", input))


def tanh(input):
    """Hyperbolic tangent, elementwise.

        y = tanh(x) = (e^x - e^-x) / (e^x + e^-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/elementwise.py (Tanh): dL/dx = g * (1 - y^2).
    """
    return Tanh.apply(_float_input("tanh", input))


def sigmoid(input):
    """Logistic sigmoid, elementwise.

        y = 1 / (1 + e^-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/elementwise.py (Sigmoid): dL/dx = g * y * (1 - y).
    """
    return Sigmoid.apply(_float_input("sigmoid", input))


def atan(input):
    return Atan.apply(_float_input("atan", input))


arctan = atan


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]``; either bound may be ``None`` (not both). An integer
    tensor with a float bound gives a float result, as in PyTorch."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if not isinstance(input, Tensor):
        input = Tensor(input)
    min, max = _python_number(min), _python_number(max)
    bounds = [b.array if isinstance(b, Tensor) else b for b in (min, max) if b is not None]
    dtype = result_dtype(input.array, *bounds)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        broadcast_shape("clamp", *[t.shape for t in (input, min, max) if isinstance(t, Tensor)])
        return ClampTensor.apply(_cast(input, dtype), _cast(min, dtype), _cast(max, dtype))
    return Clamp.apply(_cast(input, dtype), min, max)


clip = clamp
