"""Reductions: ``sum``, ``mean``, ``var``, ``std``, ``max``, ``min``, ``amax``, ``amin``,
``logsumexp``, ``argmax``, ``argmin``, ``norm``; ``dim`` (int or tuple) and ``keepdim``."""
from ..autograd.function import Function
from ..backend import get_array_module
from .shape_checks import normalize_dims


def _expand_back(g, shape, dims, keepdim):
    """Put back the reduced dims of ``g`` (as size 1) so it broadcasts against the input."""
    if keepdim:
        return g
    xp = get_array_module(g)
    return xp.expand_dims(g, dims) if dims else g


class Sum(Function):
    """z = sum of x over ``dims``.

    Backward: every summed element contributes with weight 1, so dL/dx is g copied
    (broadcast) back over the reduced dims.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        g = _expand_back(g, ctx.shape, ctx.dims, ctx.keepdim)
        return xp.broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    """z = mean of x over ``dims`` (n elements each).

    Backward: dL/dx = g / n, broadcast back over the reduced dims.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        ctx.n = n
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        g = _expand_back(g, ctx.shape, ctx.dims, ctx.keepdim)
        return xp.broadcast_to(g / ctx.n, ctx.shape), None, None


def sum(input, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input.data.dtype.kind in "bi" and input.data.dtype.itemsize < 8 or input.data.dtype.kind == "b":
        input = input.to("int64")  # PyTorch sums bools and small ints as int64
    return Sum.apply(input, normalize_dims("sum", dim, input.ndim), keepdim)


def mean(input, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input.data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean: could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {input.dtype}"
        )
    return Mean.apply(input, normalize_dims("mean", dim, input.ndim), keepdim)
