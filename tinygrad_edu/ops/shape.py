"""Shape ops: ``reshape``/``view``, ``flatten``, ``unflatten``, ``squeeze``, ``unsqueeze``,
``transpose``, ``permute``, ``expand``/``broadcast_to``, ``cat``, ``stack``, ``split``,
``chunk``, ``repeat``.

None of them computes anything: they move elements around (or copy them), so each
backward moves the gradient back, with the op's inverse:

    reshape  <->  reshape back        permute  <->  inverse permute
    expand   <->  sum over the copies  repeat  <->  sum over the tiles
    cat      <->  split                stack    <->  unstack
    split    <->  cat

``flatten``, ``unflatten``, ``squeeze`` and ``unsqueeze`` only change the shape, not the
order of the elements, so they are all ``Reshape``; ``transpose`` is a ``Permute``;
``broadcast_to`` is ``expand``; ``chunk`` is ``split``.

Like PyTorch's, the results of reshape, permute, expand and split share memory with
the input where NumPy can make a view (writing into one writes into the other).
"""
import math

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ..shape_checks import normalize_dim, normalize_dims, numpy_aliases


def _sizes(op, sizes, what="shape"):
    """``sizes`` as a tuple of Python ints (an int alone is a 1-tuple), or a TypeError."""
    if isinstance(sizes, int) and not isinstance(sizes, bool):
        return (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(f"{op}: {what} must be a tuple of ints, got {type(sizes).__name__}") from None
    for s in sizes:
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{op}: {what} must be a tuple of ints, got {sizes} (an element is {type(s).__name__})")
    return tuple(int(s) for s in sizes)


def _infer_shape(op, shape, numel):
    """``shape`` with its one -1 (if any) replaced by the size that makes the element
    count ``numel``; errors as PyTorch's, naming the shape and the size."""
    inferred = [i for i, s in enumerate(shape) if s == -1]
    if len(inferred) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {shape}")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"{op}: invalid shape dimension {s} at index {i} of shape {shape}")
    known = math.prod(s for s in shape if s != -1)
    if inferred and known == 0 and numel == 0:
        raise RuntimeError(
            f"{op}: cannot reshape a tensor of 0 elements into shape {shape} because the unspecified "
            "dimension size -1 can be any value and is ambiguous"
        )
    fits = (known != 0 and numel % known == 0) if inferred else known == numel
    if not fits:
        raise RuntimeError(f"{op}: shape {shape} is invalid for input of size {numel}")
    if inferred:
        i = inferred[0]
        shape = shape[:i] + (numel // known,) + shape[i + 1:]
    return shape


# ----------------------------------------------------------------- reshape family
class Reshape(Function):
    """z = x with a new shape (same elements, same row-major order).

    Backward: element k of z is element k of x, so dL/dx is g read in x's shape:
        dL/dx = g.reshape(x.shape)
    """

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.input_shape), None


def reshape(input, shape):
    """``input`` with shape ``shape`` (one entry may be -1: inferred)."""
    shape = _infer_shape("reshape", _sizes("reshape", shape), input.numel())
    return Reshape.apply(input, shape)


def view(input, shape):
    """``input`` with shape ``shape``, sharing its memory, as PyTorch's ``view``: refused
    when the memory layout (the strides) cannot express the new shape without a copy,
    e.g. merging dims after a ``permute``/``transpose``; ``reshape`` copies then."""
    shape = _infer_shape("view", _sizes("view", shape), input.numel())
    if view_strides(input.shape, input.array.strides, shape) is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
            f"two contiguous subspaces). Use .reshape(...) instead. (view: input shape {input.shape} with strides "
            f"{tuple(input.array.strides)} bytes, requested shape {shape})"
        )
    return Reshape.apply(input, shape)


def view_strides(shape, strides, new_shape):
    """The strides that let memory laid out as (``shape``, ``strides``) be read as
    ``new_shape`` without copying, or None when there are none (PyTorch's rule).

    Walk the old dims from the last, grouping them into "chunks" that are contiguous
    with each other (dim d-1's stride = size * stride of the chunk so far). A new
    dim can merge or split dims only inside one chunk: each chunk's element count
    must be matched exactly by a run of new dims, which then get strides inside it.
    """
    if not shape or math.prod(shape) == 0:
        return _contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_stride = strides[-1]  # stride of the innermost element of the current chunk
    chunk_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        chunk_numel *= shape[d]
        chunk_ends = d == 0 or (shape[d - 1] != 1 and strides[d - 1] != chunk_numel * chunk_stride)
        if chunk_ends:
            while view_d >= 0 and (view_numel < chunk_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != chunk_numel:
                return None
            if d > 0:
                chunk_stride, chunk_numel, view_numel = strides[d - 1], 1, 1
    return tuple(new_strides) if view_d == -1 else None


def _contiguous_strides(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim`` .. ``end_dim`` (inclusive) into one; a 0-d tensor becomes 1-d."""
    shape = input.shape
    if not shape:  # a 0-d tensor accepts dims 0 / -1 and becomes 1-d
        normalize_dim("flatten", start_dim, 0)
        normalize_dim("flatten", end_dim, 0)
        return Reshape.apply(input, (1,))
    start = normalize_dim("flatten", start_dim, len(shape))
    end = normalize_dim("flatten", end_dim, len(shape))
    if start > end:
        raise RuntimeError(f"flatten: start_dim cannot come after end_dim (got start_dim={start_dim}, end_dim={end_dim})")
    new = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
    return Reshape.apply(input, new)


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (whose product must be its size; one may be -1)."""
    d = normalize_dim("unflatten", dim, input.ndim)
    sizes = _sizes("unflatten", sizes, "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    try:
        sizes = _infer_shape("unflatten", sizes, n)
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: provided sizes {sizes} don't multiply up to the size of dim {dim} ({n}) in the input "
            f"tensor of shape {input.shape}"
        ) from None
    return Reshape.apply(input, input.shape[:d] + sizes + input.shape[d + 1:])


def squeeze(input, dim=None):
    """Remove size-1 dims: all of them, or those in ``dim`` (int or tuple). A named
    dim whose size is not 1 is left alone, as in PyTorch."""
    shape = input.shape
    if dim is None:
        dims = tuple(range(len(shape)))
    else:
        dims = normalize_dims("squeeze", dim, len(shape))  # a 0-d tensor accepts dim 0 / -1
    new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return Reshape.apply(input, new)


def unsqueeze(input, dim):
    """Insert a size-1 dim at position ``dim`` (in the result: -1 means last)."""
    d = normalize_dim("unsqueeze", dim, input.ndim + 1)
    shape = input.shape
    return Reshape.apply(input, shape[:d] + (1,) + shape[d:])


# ------------------------------------------------------------ permute, transpose
class Permute(Function):
    """z = x with its dims reordered: z.shape[i] = x.shape[dims[i]].

    Backward: apply the inverse permutation to g (inverse[dims[i]] = i), which puts
    every gradient element back at its x position:
        dL/dx = g.transpose(inverse)
    """

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.transpose(inverse), None


def permute(input, dims):
    """Reorder the dims: ``dims`` must be a permutation of 0..ndim-1 (negatives allowed)."""
    dims = _sizes("permute", dims, "dims")
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute: the number of dims ({len(dims)}, {dims}) does not match the number of dimensions of the "
            f"input ({input.ndim}, shape {input.shape})"
        )
    normalized = tuple(normalize_dim("permute", d, input.ndim) for d in dims) if input.ndim else ()
    if len(set(normalized)) != len(normalized):
        raise RuntimeError(f"permute: duplicate dims are not allowed, got {dims} for shape {input.shape}")
    return Permute.apply(input, normalized)


def transpose(input, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1`` (a ``Permute``)."""
    a = normalize_dim("transpose", dim0, input.ndim)
    b = normalize_dim("transpose", dim1, input.ndim)
    dims = list(range(input.ndim))
    if dims:
        dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(input, tuple(dims))


# ---------------------------------------------------------- expand, broadcast_to
class Expand(Function):
    """z = x copied along new leading dims and along its size-1 dims (a broadcast view,
    no copy made).

    Backward: every copy of an element sends its gradient back to that one element,
    so dL/dx = g summed over the new leading dims and over the expanded size-1 dims.
    That sum is exactly the engine's ``unbroadcast``, applied to every gradient an op
    returns, so this backward just returns g (the expand <-> sum pair).
    """

    @staticmethod
    def forward(ctx, x, shape):
        return get_array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _expanded_shape(op, shape, sizes):
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"{op}: the number of sizes provided ({len(sizes)}, {sizes}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)}, shape {shape})"
        )
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i in reversed(range(len(sizes))):  # from the last dim, as PyTorch checks (and reports)
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(f"{op}: the expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}")
            continue
        old = shape[i - lead]
        if s == -1:
            target[i] = old
        elif s < 0 or (old != 1 and s != old):
            raise RuntimeError(
                f"{op}: the expanded size of the tensor ({s}) must match the existing size ({old}) at non-singleton "
                f"dimension {i}. Target sizes: {sizes}. Tensor sizes: {shape}"
            )
    return tuple(target)


def expand(input, sizes):
    """A view of ``input`` broadcast to ``sizes``: -1 keeps a size, new dims go in front,
    and only size-1 dims can grow."""
    sizes = _sizes("expand", sizes, "sizes")
    return Expand.apply(input, _expanded_shape("expand", input.shape, sizes))


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape``: the same as ``expand`` (as in PyTorch)."""
    shape = _sizes("broadcast_to", shape)
    return Expand.apply(input, _expanded_shape("broadcast_to", input.shape, shape))


# -------------------------------------------------------------------------- repeat
class Repeat(Function):
    """z = x tiled ``sizes[i]`` times along each dim (x gets leading size-1 dims first
    if ``sizes`` is longer than its shape).

    Backward: view g as (r0, n0, r1, n1, ...) (tile index, position in the tile)
    and sum over the tile indices: each x element gets the sum of its copies' gradients.
    """

    @staticmethod
    def forward(ctx, x, sizes):
        ctx.input_shape, ctx.sizes = x.shape, sizes
        return get_array_module(x).tile(x, sizes)

    @staticmethod
    def backward(ctx, g):
        sizes = ctx.sizes
        padded = (1,) * (len(sizes) - len(ctx.input_shape)) + tuple(ctx.input_shape)
        interleaved = tuple(n for pair in zip(sizes, padded) for n in pair)
        summed = g.reshape(interleaved).sum(axis=tuple(range(0, 2 * len(sizes), 2)))
        return summed.reshape(ctx.input_shape), None


def repeat(input, sizes):
    """Tile ``input`` ``sizes[i]`` times along dim i (``len(sizes) >= input.ndim``)."""
    sizes = _sizes("repeat", sizes, "sizes")
    if len(sizes) < input.ndim:
        raise RuntimeError(
            f"repeat: the number of repeat dims ({len(sizes)}, {sizes}) can not be smaller than the number of "
            f"dimensions of the tensor ({input.ndim}, shape {input.shape})"
        )
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
    return Repeat.apply(input, sizes)


# ------------------------------------------------------------------- cat and stack
def _common_dtype(tensors):
    """PyTorch's promotion for cat/stack: floating tensors decide if there are any
    (int64 with float32 gives float32, where NumPy would give float64)."""
    dtypes = [t.array.dtype for t in tensors]
    floats = [d for d in dtypes if d.kind in "fc"]
    return np.result_type(*(floats or dtypes))


def _check_tensors(op, tensors):
    tensors = list(tensors) if not isinstance(tensors, Tensor) else None
    if tensors is None:
        raise TypeError(f"{op}: expected a sequence of Tensors, got a single Tensor")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a sequence of Tensors, but element {i} is a {type(t).__name__}")
    return tensors


class Cat(Function):
    """z = the inputs joined along ``dim``.

    Backward: the inverse split: input k receives the slice of g at its own offsets
    along ``dim``. (Inputs of another dtype get g cast back by the engine.)
    """

    @staticmethod
    def forward(ctx, dim, dtype, *xs):
        xp = get_array_module(*xs)
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return xp.concatenate([x.astype(dtype, copy=False) for x in xs], axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [], 0
        for k, size in enumerate(ctx.sizes):
            needed = ctx.needs_input_grad[k + 2]
            grads.append(g[(slice(None),) * ctx.dim + (slice(start, start + size),)] if needed else None)
            start += size
        return (None, None, *grads)


def cat(tensors, dim=0, *, axis=None):
    """Join ``tensors`` along the existing dim ``dim`` (alias ``axis``); they must have the
    same number of dims and equal sizes in every other dim. (As in PyTorch, 1-d empty
    tensors of shape (0,) are skipped, a legacy rule that lets ``cat([torch.tensor([]), x])`` work.)"""
    if axis is not None:  # dim keeps its default 0 unless given: only then do both clash
        dim, _ = numpy_aliases("cat", None if dim == 0 else dim, False, axis)
    tensors = _check_tensors("cat", tensors)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [t for t in tensors if t.shape != (0,)] or tensors
    first = kept[0]
    d = normalize_dim("cat", dim, first.ndim)
    shapes = ", ".join(str(t.shape) for t in tensors)
    for i, t in enumerate(tensors):
        if t.shape == (0,) and len(kept) < len(tensors):
            continue  # skipped
        if t.ndim != first.ndim:
            raise RuntimeError(
                f"cat: tensors must have the same number of dimensions: got {first.ndim} and {t.ndim} (shapes {shapes})"
            )
        for j in range(first.ndim):
            if j != d and t.shape[j] != first.shape[j]:
                raise RuntimeError(
                    f"cat: sizes of tensors must match except in dimension {d}. Expected size {first.shape[j]} but "
                    f"got size {t.shape[j]} for tensor number {i} in the list (shapes {shapes})"
                )
    return Cat.apply(d, _common_dtype(tensors), *kept)


class Stack(Function):
    """z = the (equal-shape) inputs joined along a new dim ``dim``: z[..., k, ...] = x_k.

    Backward: input k receives the slice g[..., k, ...] (unstack).
    """

    @staticmethod
    def forward(ctx, dim, dtype, *xs):
        xp = get_array_module(*xs)
        ctx.dim = dim
        return xp.stack([x.astype(dtype, copy=False) for x in xs], axis=dim)

    @staticmethod
    def backward(ctx, g):
        before = (slice(None),) * ctx.dim
        grads = [g[before + (k,)] if needed else None for k, needed in enumerate(ctx.needs_input_grad[2:])]
        return (None, None, *grads)


def stack(tensors, dim=0, *, axis=None):
    """Join equal-shape ``tensors`` along a new dim ``dim`` (alias ``axis``; in the result)."""
    if axis is not None:  # dim keeps its default 0 unless given: only then do both clash
        dim, _ = numpy_aliases("stack", None if dim == 0 else dim, False, axis)
    tensors = _check_tensors("stack", tensors)
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {first.shape} at entry 0 and {t.shape} at entry {i}"
            )
    d = normalize_dim("stack", dim, first.ndim + 1)
    return Stack.apply(d, _common_dtype(tensors), *tensors)


# -------------------------------------------------------------------- split, chunk
class Split(Function):
    """(z_0, z_1, ...) = consecutive slices of x along ``dim``, of lengths ``sizes``.

    One Function with several outputs rather than one slicing op per piece: backward
    runs once and concatenates the pieces' gradients (cat is split's inverse),
        dL/dx = cat(g_0, g_1, ..., dim)
    with zeros for pieces that no loss used (the engine supplies those). Per-piece
    slicing ops would each allocate a zero gradient the size of x and add them up:
    k pieces would cost k full-size arrays instead of one.
    """

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        before = (slice(None),) * dim
        pieces, start = [], 0
        for size in sizes:
            pieces.append(x[before + (slice(start, start + size),)])
            start += size
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        return get_array_module(*grads).concatenate(grads, axis=ctx.dim), None, None


def _split_dim(op, input, dim):
    if input.ndim == 0:
        raise RuntimeError(f"{op}: expects at least a 1-dimensional tensor, got a 0-d tensor")
    return normalize_dim(op, dim, input.ndim)


def split(input, split_size_or_sections, dim=0):
    """Split ``input`` along ``dim`` into pieces of ``split_size_or_sections`` each (the
    last one may be shorter), or of the listed sizes (which must add up to the dim's
    size). Returns a tuple of tensors, each differentiable."""
    d = _split_dim("split", input, dim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _sizes("split", split_size_or_sections, "split sizes")
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(
                f"split: split_sizes must be non-negative and sum exactly to {n} (the input's size at dimension {d}, "
                f"shape {input.shape}), but got split_sizes={list(sizes)}"
            )
    else:
        size = _sizes("split", split_size_or_sections, "split_size")[0]
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(
                f"split: split_size must be positive (0 only for a dim of size 0), got {size} for dimension {d} of size {n}"
            )
        count = max(-(-n // size), 1) if size else 1
        sizes = (size,) * (count - 1) + (n - size * (count - 1),)
    return Split.apply(input, sizes, d)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of ceil(n / chunks) elements along ``dim`` (PyTorch's
    rule: the last is shorter, and there may be fewer than ``chunks`` pieces)."""
    d = _split_dim("chunk", input, dim)
    if chunks <= 0:
        raise RuntimeError(f"chunk: expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[d]
    if n == 0:  # PyTorch returns `chunks` empty pieces here
        return Split.apply(input, (0,) * chunks, d)
    return split(input, -(-n // chunks), d)
