"""Ordering: ``sort``, ``argsort``, ``topk``; the values move, their gradients move back."""
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ..shape_checks import normalize_dim

# What sort / topk return: a tuple with names, like torch.return_types.sort.
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


def sort_indices(x, dim, descending, stable=True):
    """The int64 positions along ``dim`` that put ``x`` in order. Descending order is
    the ascending stable sort of x read backwards, then read backwards again, so that
    equal values keep their original order in both directions (and NaN counts as the
    largest value, as in PyTorch)."""
    xp = get_array_module(x)
    kind = "stable" if stable else None
    if not descending:
        return xp.argsort(x, axis=dim, kind=kind).astype(np.int64)
    n = x.shape[dim]
    flipped = xp.argsort(xp.flip(x, axis=dim), axis=dim, kind=kind)
    return (n - 1 - xp.flip(flipped, axis=dim)).astype(np.int64)


def scatter_back(xp, g, indices, dim, shape):
    """The adjoint of ``take_along_axis(x, indices, dim)``: each g goes back to the
    position its value was taken from (adding up where a position was taken twice)."""
    out = xp.zeros(shape, dtype=g.dtype)
    positions = list(xp.ix_(*[xp.arange(n) for n in indices.shape]))
    positions[dim] = indices
    xp.add.at(out, tuple(positions), g)
    return out


class TakeSorted(Function):
    """z = x taken along ``dim`` at ``indices`` (int64, computed in forward): the values
    of ``sort`` (all positions, in order) and ``topk`` (the first k of them).

    Backward: z_j = x_{indices_j}, so each x_i receives the g_j of the places it went to:
        dL/dx = zeros with dL/dx[indices_j] += g_j          (along ``dim``)
    The indices are returned as a second, non-differentiable output.
    """

    @staticmethod
    def forward(ctx, x, dim, descending, k, stable):
        xp = get_array_module(x)
        if x.ndim == 0:
            indices = xp.zeros((), dtype=np.int64)
            values = x.copy()
        else:
            indices = sort_indices(x, dim, descending, stable)
            if k is not None:
                indices = xp.take(indices, xp.arange(k), axis=dim)
            values = xp.take_along_axis(x, indices, axis=dim)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        ctx.dim, ctx.shape = dim, x.shape
        return values, indices

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        if indices.ndim == 0:
            return g, None, None, None, None
        return scatter_back(get_array_module(g), g, indices, ctx.dim, ctx.shape), None, None, None, None


def _checked_dim(op, input, dim):
    if not isinstance(input, Tensor):
        input = Tensor(input)
    return input, normalize_dim(op, dim, input.ndim)


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (ascending unless
    ``descending``). The sort used here is always stable (``stable=False`` allows any
    order of equal values, so a stable one is one correct answer). Shapes: both as
    ``input``. Backward: ``TakeSorted`` in ``tinygrad_edu/ops/sort.py``."""
    input, dim = _checked_dim("sort", input, dim)
    return sort_result(*TakeSorted.apply(input, dim, bool(descending), None, True))


def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 indices that sort ``input`` along ``dim`` (the ``indices`` of ``sort``);
    shape as ``input``. No gradient (integer positions)."""
    input, dim = _checked_dim("argsort", input, dim)
    if input.ndim == 0:
        return Tensor._wrap(get_array_module(input.array).zeros((), dtype=np.int64))
    return Tensor._wrap(sort_indices(input.array, dim, bool(descending)))


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements
    along ``dim``, in order (``sorted=False`` allows any order; they come sorted here).
    Shapes: as ``input`` with size k at ``dim``. Backward: ``TakeSorted`` in
    ``tinygrad_edu/ops/sort.py`` (each gradient goes back to the position its value came from)."""
    input, dim = _checked_dim("topk", input, dim)
    n = input.shape[dim] if input.ndim else 1
    if not isinstance(k, int) or not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {n} (input shape {input.shape})")
    return topk_result(*TakeSorted.apply(input, dim, bool(largest), k if input.ndim else None, True))
