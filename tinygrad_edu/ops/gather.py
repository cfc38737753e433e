"""Reading and writing at index tensors: ``gather``, ``scatter``, ``scatter_add``,
``index_select``, ``take_along_dim`` and ``Tensor.unfold``.

``gather`` reads x at positions given along one dim; ``scatter_add`` writes (adds) at
such positions. They are each other's adjoint, so each one's backward is the other:

    gather       <->  scatter_add          index_select  <->  add at the rows
"""
import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ..shape_checks import broadcast_shape, normalize_dim


def positions(xp, index, dim):
    """The full index tuple that addresses ``out[i_0, ..., index[i], ..., i_n]`` for
    every position i of ``index``: an open grid of each dim, with ``index`` at ``dim``."""
    grid = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
    grid[dim] = index
    return tuple(grid)


def scatter_add_array(xp, shape, dtype, dim, index, src):
    """Zeros of ``shape`` with ``src[i]`` added at ``positions(index)[i]`` (repeated
    positions add up)."""
    out = xp.zeros(shape, dtype=dtype)
    xp.add.at(out, positions(xp, index, dim), src)
    return out


def _leading(src, shape):
    """The first ``shape`` elements of ``src`` in each dim (scatter reads only those)."""
    return src[tuple(slice(0, n) for n in shape)]


def _padded(xp, a, shape):
    """``a`` placed in the corner of zeros of ``shape`` (the adjoint of ``_leading``)."""
    if tuple(a.shape) == tuple(shape):
        return a
    out = xp.zeros(shape, dtype=a.dtype)
    out[tuple(slice(0, n) for n in a.shape)] = a
    return out


class Gather(Function):
    """z[i] = x[i with i_dim replaced by index[i]]  (z has ``index``'s shape).

    Backward: each z[i] came from one element of x, so its gradient goes back there,
    adding up where two positions read the same element:
        dL/dx = scatter_add(zeros like x, dim, index, g)
    """

    @staticmethod
    def forward(ctx, x, dim, index):
        xp = get_array_module(x, index)
        ctx.save_for_backward(index)
        ctx.dim, ctx.shape = dim, x.shape
        return x[positions(xp, index, dim)]

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = get_array_module(g)
        return scatter_add_array(xp, ctx.shape, g.dtype, ctx.dim, index, g), None, None


class Scatter(Function):
    """z = x with z[i with i_dim replaced by index[i]] = src[i] (or ``+=`` with
    ``add=True``: ``scatter_add``), for every position i of ``index``.

    Backward: for ``scatter`` the written positions no longer depend on x, and each
    used src[i] went to one place:
        dL/dx = g with the written positions set to 0      dL/dsrc[i] = g[written position of i]
    For ``scatter_add`` x is kept and src[i] is added: dL/dx = g, dL/dsrc = gather(g, dim, index).
    Only the first ``index.shape`` elements of src are used; the rest get 0.
    (With repeated positions ``scatter`` keeps one of the values, which one is not
    defined, as in PyTorch.)
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, add):
        xp = get_array_module(x, index)
        where = positions(xp, index, dim)
        z = x.copy()
        values = _leading(src, index.shape) if src.ndim else src
        if add:
            xp.add.at(z, where, values)
        else:
            z[where] = values
        ctx.save_for_backward(index)
        ctx.dim, ctx.add, ctx.src_shape = dim, add, src.shape
        return z

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = get_array_module(g)
        where = positions(xp, index, ctx.dim)
        gx = gsrc = None
        if ctx.needs_input_grad[0]:
            gx = g
            if not ctx.add:
                gx = g.copy()
                gx[where] = 0
        if ctx.needs_input_grad[3]:
            taken = g[where]
            gsrc = _padded(xp, taken, ctx.src_shape) if len(ctx.src_shape) else taken.sum()
        return gx, None, None, gsrc, None


class IndexSelect(Function):
    """z = x with dim ``dim`` replaced by the slices x[..., index[k], ...] (index 1-D).

    Backward: slice k of g goes back to slice index[k] of x, adding up repeats:
        dL/dx[..., r, ...] = sum over k with index[k] = r of g[..., k, ...]
    """

    @staticmethod
    def forward(ctx, x, dim, index):
        xp = get_array_module(x, index)
        ctx.save_for_backward(index)
        ctx.dim, ctx.shape = dim, x.shape
        return xp.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = get_array_module(g)
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.add.at(xp.moveaxis(gx, ctx.dim, 0), index, xp.moveaxis(g, ctx.dim, 0))  # moveaxis: a view, written through
        return gx, None, None


# ------------------------------------------------------------------ functional
def _index_tensor(op, index):
    if not isinstance(index, Tensor):
        index = Tensor(index)
    if index.dtype != np.int64:
        raise RuntimeError(f"{op}: expected index to be an int64 (torch.long) tensor, got {index.dtype}")
    return index


def _check_index(op, input, dim, index, src=None):
    """PyTorch's rules: index has input's number of dims, and is no larger than input
    (except at ``dim``) and than src in every dim; its values are in range at ``dim``."""
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError(f"{op}: index tensor must have the same number of dimensions as input tensor "
                           f"(index shape {index.shape}, input shape {input.shape})")
    for d, n in enumerate(index.shape):
        if d != dim and n > input.shape[d]:
            raise RuntimeError(f"{op}: size of index {index.shape} must not exceed input {input.shape} at dimension {d}")
        if src is not None and src.ndim and n > src.shape[d]:
            raise RuntimeError(f"{op}: size of index {index.shape} must not exceed src {src.shape} at dimension {d}")
    size = input.shape[dim] if input.ndim else 1
    idx = index.array
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        raise RuntimeError(f"{op}: index {int(idx.max()) if int(idx.max()) >= size else int(idx.min())} is out of "
                           f"bounds for dimension {dim} with size {size}")


def _as_nd(t):
    """A 0-d tensor as 1-d (PyTorch treats a 0-d input/index of gather as one element)."""
    return t.reshape(1) if t.ndim == 0 else t


def gather(input, dim, index, *, sparse_grad=False):
    """z[i][j][k] = input[index[i][j][k]][j][k] (for dim 0; likewise for other dims).
    Shapes: index has input's number of dims; z has index's shape. Backward: ``Gather``
    (``tinygrad_edu/ops/gather.py``)."""
    index = _index_tensor("gather", index)
    dim = normalize_dim("gather", dim, input.ndim)
    _check_index("gather", input, dim, index)
    out = Gather.apply(_as_nd(input), dim, _as_nd(index).array)
    return out.reshape(()) if index.ndim == 0 else out


def _src_tensor(input, src, value):
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a tensor) or value (a number)")
    if src is None or not isinstance(src, Tensor):
        xp = get_array_module(input.array)
        return Tensor._wrap(xp.asarray(value if src is None else src, dtype=input.array.dtype))
    if src.dtype != input.dtype:
        raise RuntimeError(f"scatter: expected src dtype {input.dtype} (the input's), got {src.dtype}")
    return src


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``input`` with src[i][j][k] written at [index[i][j][k]][j][k] (for dim 0);
    ``src`` may be a number. ``reduce="add"`` adds instead (``scatter_add``); ``"multiply"``
    is not supported. Shapes: z as input; index as for ``gather``. Backward: ``Scatter``
    (``tinygrad_edu/ops/gather.py``)."""
    if reduce not in (None, "add"):
        raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported here (only None and 'add')")
    if src is not None and not isinstance(src, Tensor) and value is None:
        src, value = None, src  # scatter(x, dim, index, 2.0): a number in src's place
    index = _index_tensor("scatter", index)
    dim = normalize_dim("scatter", dim, input.ndim)
    src = _src_tensor(input, src, value)
    _check_index("scatter", input, dim, index, src)
    out = Scatter.apply(_as_nd(input), dim, _as_nd(index).array, _as_nd(src) if src.ndim else src, reduce == "add")
    return out.reshape(()) if input.ndim == 0 else out


def scatter_add(input, dim, index, src):
    """``input`` with src[i][j][k] added at [index[i][j][k]][j][k] (for dim 0); repeated
    positions add up. Shapes: z as input; index no larger than src. Backward: ``Scatter``
    in ``tinygrad_edu/ops/gather.py`` (dL/dsrc = gather(g, dim, index))."""
    return scatter(input, dim, index, src, reduce="add")


def index_select(input, dim, index):
    """The slices of ``input`` at positions ``index`` (1-D int64) along ``dim``.
    Shape: input's, with index's length at ``dim``: z[..., k, ...] = x[..., index[k], ...].
    Backward: ``IndexSelect`` (``tinygrad_edu/ops/gather.py``)."""
    index = _index_tensor("index_select", index)
    if index.ndim > 1:
        raise IndexError(f"index_select: index must be 1-D (or 0-d), got shape {index.shape}")
    dim = normalize_dim("index_select", dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    idx = index.array.reshape(-1)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        raise IndexError(f"index_select: index out of range in self (dim {dim} has size {size}, index {index.tolist()})")
    out = IndexSelect.apply(_as_nd(input), dim, idx)
    return out.reshape(()) if input.ndim == 0 else out


def take_along_dim(input, indices, dim=None):
    """``input`` read at ``indices`` along ``dim`` (NumPy's ``take_along_axis``); with
    ``dim=None`` both are flattened first: z[i] = x[indices[i] (along dim), i (elsewhere)].
    Shapes: input and indices broadcast in the other dims; z has the broadcast shape with
    indices' size at ``dim``. Backward: ``Gather`` in ``tinygrad_edu/ops/gather.py``
    (after a differentiable ``expand`` of input)."""
    indices = _index_tensor("take_along_dim", indices)
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    dim = normalize_dim("take_along_dim", dim, input.ndim)
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim: input {input.shape} and indices {indices.shape} should have the same "
                           "number of dimensions")
    others = [(a, b) for d, (a, b) in enumerate(zip(input.shape, indices.shape)) if d != dim]
    common = broadcast_shape("take_along_dim", tuple(a for a, _ in others), tuple(b for _, b in others))
    in_shape, idx_shape = list(common), list(common)
    in_shape.insert(dim, input.shape[dim])
    idx_shape.insert(dim, indices.shape[dim])
    xp = get_array_module(indices.array)
    return gather(input.expand(*in_shape), dim, Tensor._wrap(xp.broadcast_to(indices.array, idx_shape)))


def unfold(input, dimension, size, step):
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step``
    apart; the windows run along ``dimension``, their elements along a new last dim.
    Shape: (..., (n - size) // step + 1, ..., size); z[..., w, ..., i] = x[..., w*step + i, ...].
    Backward: it is an ``index_select`` of the window positions (``IndexSelect`` in
    ``ops/gather.py``: overlapping windows add their gradients), then a reshape and a
    permute. (PyTorch returns a view sharing memory; this is a copy.)"""
    dim = normalize_dim("unfold", dimension, input.ndim)
    n = input.shape[dim] if input.ndim else 1
    if size > n or size < 0:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {dim} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    x = _as_nd(input)
    windows = (n - size) // step + 1
    xp = get_array_module(x.array)
    starts = xp.arange(windows, dtype=np.int64) * step
    where = (starts[:, None] + xp.arange(size, dtype=np.int64)[None, :]).reshape(-1)
    picked = IndexSelect.apply(x, dim, where)
    shaped = picked.reshape(x.shape[:dim] + (windows, size) + x.shape[dim + 1:])
    order = list(range(shaped.ndim))
    order.append(order.pop(dim + 1))
    out = shaped.permute(*order)
    return out.reshape(windows, size) if input.ndim == 0 else out


def one_hot(tensor, num_classes=-1):
    """int64 class indices (any shape) -> int64 (..., num_classes) with a 1 at each index
    (a scatter of ones). ``num_classes=-1``: one more than the largest index. No gradient."""
    if not isinstance(tensor, Tensor) or tensor.dtype != np.int64:
        raise RuntimeError(f"one_hot: one_hot is only applicable to index tensor of dtype int64, got "
                           f"{getattr(tensor, 'dtype', type(tensor).__name__)}")
    x = tensor.array
    xp = get_array_module(x)
    if x.size and int(x.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(x.min())}")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(x.max()) + 1
    if x.size and int(x.max()) >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({num_classes}), got {int(x.max())}")
    return Tensor._wrap((x[..., None] == xp.arange(num_classes)).astype(np.int64))
