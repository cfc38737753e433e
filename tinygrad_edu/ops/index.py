"""Indexing: ``x[key]`` with ints, slices, ``None``, ``...``, integer arrays (repeats
allowed) and boolean masks, following NumPy's (and PyTorch's) rules."""
import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module, is_array, to_numpy
from ..tensor import Tensor


class GetItem(Function):
    """z = x[key].

    Backward: each element of z came from one element of x, so dL/dx is zero
    everywhere except at the selected positions, which receive g. An integer array
    may select the same position several times (``x[[0, 0, 1]]``); those gradients
    must add up, so that case scatter-adds (``xp.add.at``) instead of assigning.
    """

    @staticmethod
    def forward(ctx, x, key, repeats_possible):
        if any(is_array(k) for k in key):
            ctx.key = None
            ctx.save_for_backward(key)  # index arrays can be large: freed after backward
        else:
            ctx.key = key  # ints and slices: small, and backward can run twice (as PyTorch)
        ctx.shape, ctx.repeats_possible = x.shape, repeats_possible
        z = x[key]
        if isinstance(z, np.generic):  # NumPy gives a copied scalar for x[0] of a 1-d x:
            z = x[key + (Ellipsis,)]  # a 0-d view instead, so z shares memory as in PyTorch
        return z

    @staticmethod
    def backward(ctx, g):
        key = ctx.key if ctx.key is not None else ctx.saved_tensors[0]
        xp = get_array_module(g)
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        if ctx.repeats_possible:
            xp.add.at(gx, key, g)
        else:
            gx[key] = g
        return gx, None, None


def _consumed(k):
    """How many dims of the indexed tensor one key entry uses up."""
    if k is None or k is Ellipsis:
        return 0
    if is_array(k) and k.dtype.kind == "b":
        return k.ndim
    return 1


def normalize_key(op, key, shape, xp):
    """The key as a tuple NumPy/CuPy accept, with tensors and lists turned into
    arrays and every index checked against ``shape`` (CuPy would silently wrap an
    out-of-range integer array index, so we check here for both)."""
    if not isinstance(key, tuple):
        key = (key,)
    entries = []
    for k in key:
        if isinstance(k, Tensor):
            k = k.array
        elif isinstance(k, list):
            k = xp.asarray(k)
            if k.size == 0:  # [] has no dtype of its own: an empty integer index, as in PyTorch
                k = k.astype("int64")
        elif isinstance(k, bool):  # x[True] is a 0-d mask (adds a dim of size 1 or 0), as in PyTorch
            k = xp.asarray(k)
        if is_array(k) and get_array_module(k) is not xp:
            k = xp.asarray(to_numpy(k))  # a host index of a device tensor: copied there, as PyTorch does
        entries.append(k)
    used = sum(_consumed(k) for k in entries)
    if used > len(shape):
        raise IndexError(f"{op}: too many indices for a tensor of dimension {len(shape)} (shape {tuple(shape)}): {used} given")
    dim = 0
    for k in entries:
        if k is Ellipsis:
            dim += len(shape) - used
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError(f"{op}: slice step must be positive (got {k.step}); use .flip() to reverse")
            dim += 1
        elif is_array(k):
            if k.dtype.kind == "b":
                if tuple(k.shape) != tuple(shape[dim:dim + k.ndim]):
                    raise IndexError(
                        f"{op}: the shape of the mask {tuple(k.shape)} does not match the shape {tuple(shape[dim:dim + k.ndim])} "
                        f"of the indexed tensor (shape {tuple(shape)}) starting at dimension {dim}"
                    )
                dim += k.ndim
            elif k.dtype.kind in "iu":
                size = shape[dim]
                # The bounds check costs one device sync per integer-array index on CuPy, but
                # CuPy would otherwise wrap a bad index around silently: correctness wins.
                if k.size and bool(((k >= size) | (k < -size)).any()):
                    bad = int(k[(k >= size) | (k < -size)].ravel()[0])
                    raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")
                dim += 1
            else:
                raise IndexError(f"{op}: tensors used as indices must be long, int or bool tensors, got {k.dtype}")
        elif k is not None:
            if isinstance(k, bool) or not hasattr(k, "__index__"):
                raise IndexError(f"{op}: only integers, slices, None, ..., and integer or boolean tensors are valid indices (got {type(k).__name__})")
            k = int(k)
            size = shape[dim]
            if not -size <= k < size:
                raise IndexError(f"{op}: index {k} is out of bounds for dimension {dim} with size {size}")
            dim += 1
    return tuple(entries)


def getitem(input, key):
    key = normalize_key("index", key, input.shape, get_array_module(input.array))
    repeats_possible = any(is_array(k) and k.dtype.kind in "iu" and k.ndim > 0 for k in key)
    return GetItem.apply(input, key, repeats_possible)
