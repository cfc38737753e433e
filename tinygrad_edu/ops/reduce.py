"""Reductions: ``sum``, ``mean``, ``var``, ``std``, ``max``, ``min``, ``amax``, ``amin``,
``logsumexp``, ``argmax``, ``argmin``, ``norm``; ``dim`` (int or tuple) and ``keepdim``.

Every backward has the same outline: put the reduced dims back into ``g`` as size-1
dims (``_expand_back``), so that it broadcasts against the input, then multiply by the
local derivative of the reduction with respect to each input element.
"""
import math
import warnings
from collections import namedtuple

import numpy as np

from .. import kernels
from ..autograd.function import Function
from ..backend import default_float_dtype, get_array_module
from ..tensor import Tensor
from . import elementwise
from ..shape_checks import normalize_dim, normalize_dims, numpy_aliases

# What max(dim=...) / min(dim=...) return: a tuple with names, like torch.return_types.max.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _expand_back(g, shape, dims, keepdim):
    """Put back the reduced dims of ``g`` (as size 1) so it broadcasts against the input."""
    if keepdim:
        return g
    xp = get_array_module(g)
    return xp.expand_dims(g, dims) if dims else g


def _reduce_dims(op, dim, ndim):
    """``dim`` as a sorted tuple of dims to reduce. A 0-d tensor accepts dim 0 / -1 (as
    PyTorch does) but has no axis to reduce, so its dims are ``()``."""
    dims = normalize_dims(op, dim, ndim)
    return dims if ndim else ()


def _count(shape, dims):
    """How many elements each reduction combines."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _reduced_shape(shape, dims):
    """The shape after reducing ``dims`` away (keepdim=False)."""
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _check_nonempty(op, shape, dims):
    """max/min-style reductions have no identity: an empty reduced dim is an error."""
    for d in dims:
        if shape[d] == 0:
            raise IndexError(
                f"{op}: expected reduction dim {d} to have non-zero size, but the input has shape {tuple(shape)}"
            )


def _check_floating(op, input):
    if input.array.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: input dtype must be floating point, got {input.dtype}")


# ---------------------------------------------------------------- sum and mean
class Sum(Function):
    """z = sum of x over ``dims``.

    Backward: every summed element contributes with weight 1, so dL/dx is g copied
    (broadcast) back over the reduced dims.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if not dims:  # a 0-d input: nothing to sum (a copy, as NumPy's sum over no axes gives, but cheaper)
            return x.copy()
        if len(dims) == x.ndim:  # every element: kernels.sum_all, compiled for large float32 arrays
            total = kernels.sum_all(x)
            return total.reshape((1,) * x.ndim) if keepdim else total
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        if g.shape == ctx.shape:  # nothing was summed away (a 0-d or size-1 input)
            return g, None, None
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
        ctx.n = _count(x.shape, dims)
        if len(dims) == x.ndim and kernels.sum_all_compiled(x):  # every element of a large float32 array
            mean = kernels.sum_all(x) / ctx.n  # a NumPy scalar of x's dtype, as x.mean() gives
            return mean.reshape((1,) * x.ndim) if keepdim else mean
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        g = _expand_back(g, ctx.shape, ctx.dims, ctx.keepdim)
        return xp.broadcast_to(g / ctx.n, ctx.shape), None, None


def sum(input, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    dim, keepdim = numpy_aliases("sum", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    elif input.array.dtype.kind in "bu" or (input.array.dtype.kind == "i" and input.array.dtype.itemsize < 8):
        input = input.to(np.int64)  # PyTorch sums bools and smaller integers as int64
    return Sum.apply(input, _reduce_dims("sum", dim, input.ndim), keepdim)


def mean(input, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    dim, keepdim = numpy_aliases("mean", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    if input.array.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean: could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {input.dtype}"
        )
    return Mean.apply(input, _reduce_dims("mean", dim, input.ndim), keepdim)


# ------------------------------------------------------------- var and std
def _variance_scale(n, correction):
    """1 / max(0, N - correction), PyTorch's divisor; inf when no degrees of freedom are
    left (then 0 * inf gives nan, as 0/0 does in PyTorch)."""
    dof = n - correction
    return 1.0 / dof if dof > 0 else math.inf


def _warn_if_no_dof(op, input, dims, correction):
    n = _count(input.shape, dims)
    if n - correction <= 0:
        warnings.warn(
            f"{op}(): degrees of freedom is <= 0 (N = {n} elements per reduction, correction = {correction}); "
            "the result is inf or nan. Correction should be strictly less than N.",
            UserWarning,
            stacklevel=3,
        )


def _centered_sum_of_squares(x, dims, keepdim):
    """(x - mean, sum (x - mean)^2) over ``dims``: the two-pass formula, which does not
    lose precision to cancellation the way E[x^2] - E[x]^2 does."""
    d = x - x.mean(axis=dims, keepdims=True)
    return d, (d * d).sum(axis=dims, keepdims=keepdim)


class Var(Function):
    """v = sum_i (x_i - mean)^2 / (N - c)   over ``dims``  (c = the ``correction``).

    Backward: dv/dx_j = 2 (x_j - mean) / (N - c). (The mean depends on x_j too, but
    its term is -2/N sum_i (x_i - mean) / (N - c) = 0: deviations sum to zero.) So
        dL/dx = g * 2 (x - mean) / (N - c),  g broadcast back over the reduced dims.
    """

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        scale = _variance_scale(_count(x.shape, dims), correction)
        d, ss = _centered_sum_of_squares(x, dims, keepdim)
        ctx.save_for_backward(d)
        ctx.dims, ctx.keepdim, ctx.scale = dims, keepdim, scale
        with np.errstate(invalid="ignore"):  # 0 * inf = nan: the wrapper has warned
            return ss * scale

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        g = _expand_back(g, d.shape, ctx.dims, ctx.keepdim)
        with np.errstate(invalid="ignore"):
            return g * (2 * ctx.scale) * d, None, None, None


class Std(Function):
    """s = sqrt(v),  v = sum_i (x_i - mean)^2 / (N - c)  (see ``Var``).

    Backward (chain rule through the square root):
        dL/dx = g / (2 s) * dv/dx = g * (x - mean) / ((N - c) s)
    At s = 0 (all elements equal) the square root has no derivative; the gradient is
    taken as 0 there, as PyTorch does.
    """

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        xp = get_array_module(x)
        scale = _variance_scale(_count(x.shape, dims), correction)
        d, ss = _centered_sum_of_squares(x, dims, keepdim=True)
        with np.errstate(invalid="ignore"):
            s = xp.sqrt(ss * scale)
        if not keepdim:
            s = s.reshape(_reduced_shape(x.shape, dims))
        ctx.save_for_backward(d, s)  # the returned array itself, so that modifying the output in place is caught
        ctx.dims, ctx.keepdim, ctx.scale = dims, keepdim, scale
        return s

    @staticmethod
    def backward(ctx, g):
        d, s = ctx.saved_tensors
        xp = get_array_module(g)
        g = _expand_back(g, d.shape, ctx.dims, ctx.keepdim)
        s = _expand_back(s, d.shape, ctx.dims, ctx.keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            g_over_s = xp.where(s == 0, 0, g / s)
            return g_over_s * ctx.scale * d, None, None, None


def _correction(op, unbiased, correction):
    """PyTorch's rule: correction defaults to 1 (Bessel's); unbiased=False means 0."""
    if unbiased is not None and not isinstance(unbiased, bool):
        raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r}")
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: pass either unbiased or correction, not both (got unbiased={unbiased}, correction={correction})")
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim`` with divisor N - correction (default correction 1)."""
    dim, keepdim = numpy_aliases("var", dim, keepdim, axis, keepdims)
    _check_floating("var", input)
    if isinstance(dim, bool):  # PyTorch's overload var(x, unbiased): x.var(False) is over all dims
        dim, unbiased = None, dim
    c = _correction("var", unbiased, correction)
    dims = _reduce_dims("var", dim, input.ndim)
    _warn_if_no_dof("var", input, dims, c)
    return Var.apply(input, dims, c, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation over ``dim``: sqrt of ``var`` (default correction 1)."""
    dim, keepdim = numpy_aliases("std", dim, keepdim, axis, keepdims)
    _check_floating("std", input)
    if isinstance(dim, bool):  # PyTorch's overload std(x, unbiased): x.std(False) is over all dims
        dim, unbiased = None, dim
    c = _correction("std", unbiased, correction)
    dims = _reduce_dims("std", dim, input.ndim)
    _warn_if_no_dof("std", input, dims, c)
    return Std.apply(input, dims, c, keepdim)


# --------------------------------------------------------------- amax and amin
def _share(x, out, dims, nan_shares):
    """``hit / count``: 1/count where x equals the extreme value ``out`` (kept dims),
    0 elsewhere. Ties split the gradient equally, as PyTorch's amax/amin do. A NaN
    extreme equals nothing, so amax's gradient is then NaN (0/0), as PyTorch's; with
    ``nan_shares`` (``max(x)``, ``min(x)``: PyTorch's evenly_distribute_backward) the NaN
    elements count as hits and share the gradient."""
    xp = get_array_module(x)
    hit = x == out
    if nan_shares:
        hit = hit | (xp.isnan(x) & xp.isnan(out))
    hit = hit.astype(x.dtype)
    return hit / hit.sum(axis=dims, keepdims=True)


class Amax(Function):
    """z = max of x over ``dims``.

    Backward: z depends only on the elements equal to the maximum. With ``count``
    tied maxima, each gets an equal share:
        dL/dx = g * [x == z] / count   (0 for every other element)
    (A subgradient: at a tie the max has no derivative; PyTorch splits it the same way.)
    ``nan_shares``: a NaN maximum's gradient goes to the NaN elements (``_share``).
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim, nan_shares):
        out = x.max(axis=dims, keepdims=True)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(_share(x, out, dims, nan_shares))
        ctx.dims, ctx.keepdim = dims, keepdim
        return out if keepdim else out.reshape(_reduced_shape(x.shape, dims))

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved_tensors
        return _expand_back(g, share.shape, ctx.dims, ctx.keepdim) * share, None, None, None


class Amin(Function):
    """z = min of x over ``dims``.   Backward: as ``Amax``: dL/dx = g * [x == z] / count."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, nan_shares):
        out = x.min(axis=dims, keepdims=True)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(_share(x, out, dims, nan_shares))
        ctx.dims, ctx.keepdim = dims, keepdim
        return out if keepdim else out.reshape(_reduced_shape(x.shape, dims))

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved_tensors
        return _expand_back(g, share.shape, ctx.dims, ctx.keepdim) * share, None, None, None


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim`` (default: all dims); tied maxima share the gradient."""
    dim, keepdim = numpy_aliases("amax", dim, keepdim, axis, keepdims)
    dims = _reduce_dims("amax", dim, input.ndim)
    _check_nonempty("amax", input.shape, dims)
    return Amax.apply(input, dims, keepdim, False)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim`` (default: all dims); tied minima share the gradient."""
    dim, keepdim = numpy_aliases("amin", dim, keepdim, axis, keepdims)
    dims = _reduce_dims("amin", dim, input.ndim)
    _check_nonempty("amin", input.shape, dims)
    return Amin.apply(input, dims, keepdim, False)


# -------------------------------------------------------- max and min along a dim
def _index_mask(shape, dim, indices):
    """Boolean mask of ``shape``: True where the position along ``dim`` equals
    ``indices`` (which has size 1 at ``dim``)."""
    xp = get_array_module(indices)
    positions = xp.arange(shape[dim]).reshape((-1,) + (1,) * (len(shape) - dim - 1))
    return positions == indices


class MaxDim(Function):
    """(values, indices) = max of x along one ``dim`` and where it is (the first
    maximum at ties; a NaN counts as the maximum, as in PyTorch).

    Backward: values[k] is the single element x[..., indices[k], ...], so only that
    element receives the gradient:
        dL/dx[..., j, ...] = g[...] if j == indices[...] else 0
    (a choice, not g times a mask: the others get +0.0 even where g is inf or NaN, as in
    PyTorch). ``indices`` are integers and carry no gradient.
    """

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = get_array_module(x)
        idx = x.argmax(axis=dim, keepdims=True).astype(np.int64)
        values = xp.take_along_axis(x, idx, axis=dim)
        return _dim_result(ctx, x, dim, keepdim, values, idx)

    @staticmethod
    def backward(ctx, g, g_indices):
        (idx,) = ctx.saved_tensors
        g = g if ctx.keepdim else get_array_module(g).expand_dims(g, ctx.dim)
        return kernels.where(_index_mask(ctx.shape, ctx.dim, idx), g, 0), None, None


class MinDim(Function):
    """(values, indices) = min of x along one ``dim`` and where it is.

    Backward: as ``MaxDim``: only x[..., indices, ...] receives g.
    """

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = get_array_module(x)
        idx = x.argmin(axis=dim, keepdims=True).astype(np.int64)
        values = xp.take_along_axis(x, idx, axis=dim)
        return _dim_result(ctx, x, dim, keepdim, values, idx)

    @staticmethod
    def backward(ctx, g, g_indices):
        (idx,) = ctx.saved_tensors
        g = g if ctx.keepdim else get_array_module(g).expand_dims(g, ctx.dim)
        return kernels.where(_index_mask(ctx.shape, ctx.dim, idx), g, 0), None, None


def _dim_result(ctx, x, dim, keepdim, values, idx):
    """Shared tail of MaxDim/MinDim forward: save what backward needs, drop ``dim``
    unless ``keepdim``, mark the indices non-differentiable."""
    ctx.save_for_backward(idx)
    ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    ctx.mark_non_differentiable(idx)
    return values, idx


def _max_min(op, function, result, input, dim, keepdim):
    dim = normalize_dim(op, dim, input.ndim)
    if input.ndim == 0:  # a 0-d tensor: the value itself, at index 0
        values, indices = function.apply(input.reshape(1), 0, False)
        return result(values.reshape(()), indices.reshape(()))
    _check_nonempty(op, input.shape, (dim,))
    return result(*function.apply(input, dim, keepdim))


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``max(x)``: the largest value (tied maxima share the gradient, like ``amax``).
    ``max(x, dim)``: the named tuple ``(values, indices)`` along ``dim``; the gradient goes
    to the returned index only. ``max(x, other_tensor)`` is ``maximum``."""
    dim, keepdim = numpy_aliases("max", dim, keepdim, axis, keepdims)
    if isinstance(dim, Tensor):
        return elementwise.maximum(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError("max: keepdim=True needs a dim (max(x) reduces over all dims to a single value)")
        if input.numel() == 0:
            raise RuntimeError("max: expected reduction dim to be specified for input.numel() == 0 (shape "
                               f"{input.shape}); specify the reduction dim with the 'dim' argument")
        return Amax.apply(input, tuple(range(input.ndim)), False, True)  # a NaN max: the NaNs share g
    return _max_min("max", MaxDim, max_result, input, dim, keepdim)


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, ``min(x, other)``: as ``max``."""
    dim, keepdim = numpy_aliases("min", dim, keepdim, axis, keepdims)
    if isinstance(dim, Tensor):
        return elementwise.minimum(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError("min: keepdim=True needs a dim (min(x) reduces over all dims to a single value)")
        if input.numel() == 0:
            raise RuntimeError("min: expected reduction dim to be specified for input.numel() == 0 (shape "
                               f"{input.shape}); specify the reduction dim with the 'dim' argument")
        return Amin.apply(input, tuple(range(input.ndim)), False, True)
    return _max_min("min", MinDim, min_result, input, dim, keepdim)


# ---------------------------------------------------------- argmax and argmin
def _arg_extreme(op, input, dim, keepdim, largest):
    """Index (int64) of the first maximum/minimum; no gradient, so no Function."""
    x = input.array
    xp = get_array_module(x)
    if input.numel() == 0:
        raise RuntimeError(f"{op}: expected a non-empty tensor (shape {input.shape}): an empty tensor has no {op[3:]}")
    # keepdims=True throughout: NumPy would return a scalar, not an array, for a 1-d input
    if dim is None:  # over the flattened tensor
        flat = x.reshape(-1)
        idx = flat.argmax(axis=0, keepdims=True) if largest else flat.argmin(axis=0, keepdims=True)
        return Tensor._wrap(idx.astype(np.int64).reshape((1,) * x.ndim if keepdim else ()))
    dim = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return Tensor._wrap(xp.zeros((), dtype=np.int64))
    _check_nonempty(op, x.shape, (dim,))
    idx = x.argmax(axis=dim, keepdims=True) if largest else x.argmin(axis=dim, keepdims=True)
    idx = idx.astype(np.int64)
    return Tensor._wrap(idx if keepdim else idx.squeeze(dim))


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the (first) maximum along ``dim``, or in the flattened tensor if None."""
    dim, keepdim = numpy_aliases("argmax", dim, keepdim, axis, keepdims)
    return _arg_extreme("argmax", input, dim, keepdim, largest=True)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the (first) minimum along ``dim``, or in the flattened tensor if None."""
    dim, keepdim = numpy_aliases("argmin", dim, keepdim, axis, keepdims)
    return _arg_extreme("argmin", input, dim, keepdim, largest=False)


# -------------------------------------------------------------------- logsumexp
class LogSumExp(Function):
    """z = log sum_i e^(x_i)  over ``dims``.

    Stable forward: with m = max_i x_i, z = m + log sum_i e^(x_i - m); every exponent
    is <= 0 (no overflow) and the largest term is 1 (no log 0). m is replaced by 0
    where it is infinite, so that inf - inf never appears (all -inf gives -inf, any
    +inf gives +inf, as in PyTorch).

    Backward: dz/dx_i = e^(x_i) / sum_j e^(x_j) = softmax(x)_i, so
        dL/dx = g * softmax(x)   (softmax over the reduced dims)
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = get_array_module(x)
        if _count(x.shape, dims) == 0:  # log of an empty sum is log 0 = -inf
            m = xp.zeros(tuple(1 if i in dims else n for i, n in enumerate(x.shape)), dtype=x.dtype)
        else:
            m = x.max(axis=dims, keepdims=True)
            m = xp.where(xp.isinf(m), 0, m).astype(x.dtype, copy=False)
        e = xp.exp(x - m)
        s = e.sum(axis=dims, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                ctx.save_for_backward(e / s)
            z = xp.log(s) + m
        ctx.dims, ctx.keepdim = dims, keepdim
        return z if keepdim else z.reshape(_reduced_shape(x.shape, dims))

    @staticmethod
    def backward(ctx, g):
        (softmax,) = ctx.saved_tensors
        return _expand_back(g, softmax.shape, ctx.dims, ctx.keepdim) * softmax, None, None


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(input), dim)), computed without overflow. Integer inputs are
    promoted to the default float dtype, as in PyTorch."""
    dim, keepdim = numpy_aliases("logsumexp", dim, keepdim, axis, keepdims)
    if dim is None:
        raise TypeError("logsumexp: missing required argument 'dim' (alias 'axis')")
    if input.array.dtype.kind not in "fc":
        input = Tensor._wrap(input.array.astype(default_float_dtype))  # integers carry no gradient
    return LogSumExp.apply(input, _reduce_dims("logsumexp", dim, input.ndim), keepdim)


# ------------------------------------------------------------------------- norm
class Norm(Function):
    """Vector p-norm over ``dims``:  n = (sum_i |x_i|^p)^(1/p)  for finite p > 0, and
    n = #{i : x_i != 0} for p = 0.

    Backward: dn/dx_i = sign(x_i) |x_i|^(p-1) / n^(p-1), which is
        p = 2:  dL/dx = g * x / n
        p = 1:  dL/dx = g * sign(x)
        p = 0:  dL/dx = 0          (a count is piecewise constant)
    Where n = 0 (x = 0) the norm has no derivative: the gradient is taken as 0, as in
    PyTorch; for p < 1, |x_i|^(p-1) is infinite at x_i = 0 and that element gets 0 too.
    """

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = get_array_module(x)
        if p == 2:
            n = xp.sqrt((x * x).sum(axis=dims, keepdims=True))
        elif p == 1:
            n = xp.abs(x).sum(axis=dims, keepdims=True)
        elif p == 0:
            n = (x != 0).sum(axis=dims, keepdims=True).astype(x.dtype)
        else:
            n = (xp.abs(x) ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        if not keepdim:
            n = n.reshape(_reduced_shape(x.shape, dims))
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x, n)  # the returned array itself, so that modifying the output in place is caught
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return n

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        xp = get_array_module(g)
        g = _expand_back(g, x.shape, ctx.dims, ctx.keepdim)
        n = _expand_back(n, x.shape, ctx.dims, ctx.keepdim)
        p = ctx.p
        if p == 0:
            return xp.zeros_like(x), None, None, None
        if p == 1:
            return g * xp.sign(x), None, None, None
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = xp.where(n == 0, 0, g / n ** (p - 1))
            if p == 2:
                return scale * x, None, None, None
            local = xp.where(x == 0, 0, xp.sign(x) * xp.abs(x) ** (p - 1))
            return scale * local, None, None, None


def norm(input, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Vector p-norm over ``dim`` (default: all elements), as ``torch.norm``.

    ``p``: a number >= 0, ``inf``/``-inf`` (max/min of |x|), or ``'fro'`` (the 2-norm
    of all elements in ``dim``, at most two dims). Finite p is the ``Norm`` Function;
    ``inf``/``-inf`` are compositions, ``amax(abs(x))`` / ``amin(abs(x))``, whose
    backward (sign(x) at the tied extreme elements, shared) is already PyTorch's.
    """
    dim, keepdim = numpy_aliases("norm", dim, keepdim, axis, keepdims)
    _check_floating("norm", input)
    if p == "fro":
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise RuntimeError(f"norm: p='fro' needs dim to be an int or a 2-tuple, got {tuple(dim)}")
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not supported (only numbers, inf, -inf and 'fro'; 'nuc' needs an SVD)")
    dims = _reduce_dims("norm", dim, input.ndim)
    if p == math.inf:
        return amax(elementwise.abs(input), dims, keepdim)
    if p == -math.inf:
        return amin(elementwise.abs(input), dims, keepdim)
    if p < 0:
        raise NotImplementedError(f"norm: negative p ({p}) is not supported")
    return Norm.apply(input, p, dims, keepdim)
