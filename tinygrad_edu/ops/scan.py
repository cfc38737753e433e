"""Running and total products and sums along a dim: ``cumsum``, ``cumprod``, ``prod``."""
import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .reduce import _expand_back
from ..shape_checks import normalize_dim, numpy_aliases


def reverse_cumsum(xp, a, dim):
    """r_i = sum over j >= i of a_j along ``dim`` (a running sum from the end)."""
    return xp.flip(xp.cumsum(xp.flip(a, axis=dim), axis=dim), axis=dim)


def exclusive_cumprod(xp, a, dim, reverse=False):
    """e_i = product of a_j over j < i (``reverse``: over j > i) along ``dim``; e is 1
    where that set is empty. No division, so zeros in a are fine."""
    if reverse:
        return xp.flip(exclusive_cumprod(xp, xp.flip(a, axis=dim), dim), axis=dim)
    ones = xp.ones_like(xp.take(a, xp.arange(1), axis=dim))
    shifted = xp.concatenate([ones, xp.take(a, xp.arange(a.shape[dim] - 1), axis=dim)], axis=dim)
    return xp.cumprod(shifted, axis=dim)


class Cumsum(Function):
    """z_i = x_1 + ... + x_i along ``dim``.

    Backward: x_i appears in z_j for every j >= i, with weight 1:
        dL/dx_i = sum over j >= i of g_j        (a running sum of g from the end)
    """

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return get_array_module(x).cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return reverse_cumsum(get_array_module(g), g, ctx.dim), None


class Cumprod(Function):
    """z_i = x_1 * ... * x_i along ``dim``.

    Backward: dz_j/dx_i = product of x_k over k <= j, k != i (for j >= i), so
        dL/dx_i = sum over j >= i of g_j * z_j / x_i
    when no x is 0 (a running sum of g * z from the end, divided by x). With a zero in
    the row that division is 0/0, so those rows use the definition itself: for each i,
    the running product of x with x_i replaced by 1, times g, summed over j >= i.
    """

    @staticmethod
    def forward(ctx, x, dim):
        z = get_array_module(x).cumprod(x, axis=dim)
        ctx.save_for_backward(x, z)
        ctx.dim = dim
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        xp = get_array_module(g)
        dim = ctx.dim
        if not (x == 0).any():
            return reverse_cumsum(xp, g * z, dim) / x, None
        grad = xp.zeros_like(x)
        n = x.shape[dim]
        for i in range(n):
            without_i = x.copy()
            index = [slice(None)] * x.ndim
            index[dim] = i
            without_i[tuple(index)] = 1
            after = [slice(None)] * x.ndim
            after[dim] = slice(i, n)
            terms = (g * xp.cumprod(without_i, axis=dim))[tuple(after)]
            grad[tuple(index)] = terms.sum(axis=dim)
        return grad, None


class Prod(Function):
    """z = x_1 * x_2 * ... * x_n along ``dim`` (``dim=None``: over all elements).

    Backward: dz/dx_i is the product of all the other x_k:
        dL/dx_i = g * (product of x_k, k < i) * (product of x_k, k > i)
    computed as two exclusive running products, with no division by x_i, so a zero
    in x gives the right answer (one zero: only its position gets a gradient).
    """

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = get_array_module(x)
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        if dim is None:
            return xp.asarray(x.prod())
        return x.prod(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = get_array_module(g)
        if ctx.dim is None:
            flat = x.reshape(-1)
            others = exclusive_cumprod(xp, flat, 0) * exclusive_cumprod(xp, flat, 0, reverse=True)
            return (g * others).reshape(x.shape), None, None
        g = _expand_back(g, x.shape, (ctx.dim,), ctx.keepdim)
        others = exclusive_cumprod(xp, x, ctx.dim) * exclusive_cumprod(xp, x, ctx.dim, reverse=True)
        return g * others, None, None


def _prepared(op, input, dim, dtype, required=False):
    """``input`` cast to ``dtype`` (integers and bools accumulate in int64, as in
    PyTorch) and ``dim`` checked (``required``: the scans need one); a 0-d tensor has
    one position along dim 0 / -1."""
    if required and dim is None:
        raise TypeError(f"{op}: missing required argument 'dim' (alias 'axis')")
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":
        input = input.to(np.int64)
    return input, (None if dim is None else normalize_dim(op, dim, input.ndim))


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """z_i = x_1 + ... + x_i along ``dim``. Shape: as ``input``. Backward: ``Cumsum``
    (``tinygrad_edu/ops/scan.py``)."""
    input, dim = _prepared("cumsum", input, numpy_aliases("cumsum", dim, False, axis)[0], dtype, required=True)
    if input.ndim == 0:
        return input.clone()
    return Cumsum.apply(input, dim)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """z_i = x_1 * ... * x_i along ``dim``. Shape: as ``input``. Backward: ``Cumprod``
    (``tinygrad_edu/ops/scan.py``)."""
    input, dim = _prepared("cumprod", input, numpy_aliases("cumprod", dim, False, axis)[0], dtype, required=True)
    if input.ndim == 0:
        return input.clone()
    return Cumprod.apply(input, dim)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """z = x_1 * x_2 * ... * x_n, over all elements or along one ``dim``. Shape: 0-d for
    ``dim=None``, else input's without ``dim`` (kept as 1 with ``keepdim``). Backward: ``Prod`` (``tinygrad_edu/ops/scan.py``)."""
    dim, keepdim = numpy_aliases("prod", dim, keepdim, axis, keepdims)
    input, dim = _prepared("prod", input, dim, dtype)
    if dim is not None and input.ndim == 0:
        return input.clone()
    return Prod.apply(input, dim, keepdim)
