"""Shape arithmetic shared by tensor.py and the ops, with errors that name the op and the shapes
(the backend layer: it imports nothing from the package)."""


def broadcast_shape(op, *shapes):
    """The broadcast shape of ``shapes`` (NumPy / PyTorch rules), or a clear error.

    Shapes are aligned at the right; two sizes are compatible when equal or when one
    of them is 1.
    """
    ndim = max(len(s) for s in shapes)
    result = []
    for i in range(-ndim, 0):
        sizes = {s[i] for s in shapes if len(s) >= -i and s[i] != 1}
        if len(sizes) > 1:
            listed = " and ".join(str(tuple(s)) for s in shapes)
            raise RuntimeError(
                f"{op}: shapes {listed} cannot be broadcast together: sizes {sorted(sizes)} differ at dimension "
                f"{i} (sizes must be equal, or one of them 1)"
            )
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def normalize_dim(op, dim, ndim):
    """Wrap a negative ``dim`` and check it names an existing dimension."""
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)  # a 0-d tensor accepts dim 0 / -1
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not low <= dim <= high:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return dim % ndim if ndim else 0


def normalize_dims(op, dim, ndim):
    """``dim`` as a sorted tuple of non-negative dims; ``None`` (or ``()``) means all dims."""
    if dim is None or dim == () or dim == []:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    dims = tuple(sorted(normalize_dim(op, d, ndim) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return dims


def pair(op, name, value, minimum):
    """A sliding-window argument (``kernel_size``, ``stride``, ``padding``, ...) given as an
    int or a pair of ints, as the pair (height, width), each checked to be >= ``minimum``."""
    v = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(v) != 2 or not all(isinstance(i, int) and not isinstance(i, bool) for i in v):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(i < minimum for i in v):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return v


def as_batched(op, input):
    """A 4-D (N, C, H, W) input as it is, or an unbatched 3-D (C, H, W) one as a batch of
    one; the flag says whether to drop that batch dim from the result again (PyTorch
    accepts both forms for its 2-D image ops)."""
    if input.ndim == 4:
        return input, False
    if input.ndim == 3:
        return input.reshape(1, *input.shape), True
    raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {input.shape}")


def numpy_aliases(op, dim, keepdim, axis=None, keepdims=None):
    """PyTorch accepts NumPy's names for two arguments: ``axis`` for ``dim`` and
    ``keepdims`` for ``keepdim`` (``x.sum(axis=0, keepdims=True)``). Returns (dim, keepdim)."""
    if axis is not None:
        if dim is not None and dim != ():
            raise TypeError(f"{op}: got both dim={dim!r} and its NumPy alias axis={axis!r}; give one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, keepdim
