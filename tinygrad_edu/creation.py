"""Creating tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``linspace``,
``eye``, ``randn``, ``rand``, ``randint``, ``empty`` and the ``*_like`` forms.

Defaults follow PyTorch: floating results are float32 unless a ``dtype`` is given,
integer ranges are int64, and ``tensor()`` infers the dtype from its data (a float64
NumPy array stays float64).
"""
import numpy as np

from . import backend
from .random import numpy_generator
from .tensor import Tensor, _infer_array


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    if any(s < 0 for s in size):
        raise RuntimeError(f"creation: negative dimension in size {size}")
    return size


def _device(device):
    """``device``, or the default device (``tge.set_default_device``) when it is None."""
    return backend.default_device if device is None else device


def _finish(array, device, requires_grad):
    """Move an array to ``device`` (the default device when None) and wrap it as a leaf tensor."""
    device = _device(device)
    if device is not None:
        array = backend.to_device(array, device)
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _on(device):
    """The array namespace that creates arrays directly on ``device`` (no host copy)."""
    device = _device(device)
    return np if device is None else backend.namespace_for_device(device)


def _float(dtype):
    return backend.default_float_dtype if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    array = _infer_array(data, dtype)
    array = array.copy() if backend.is_array(data) or isinstance(data, Tensor) else array
    return _finish(array, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares the data of an array when it can."""
    return _finish(_infer_array(data, dtype), device, False)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (its dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    xp = _on(device)
    return _finish(xp.zeros(_shape(size), dtype=_float(dtype)), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    xp = _on(device)
    return _finish(xp.ones(_shape(size), dtype=_float(dtype)), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    xp = _on(device)
    return _finish(xp.empty(_shape(size), dtype=_float(dtype)), device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """Filled with ``fill_value``; the dtype is inferred from it when not given (PyTorch)."""
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64 if isinstance(fill_value, int) else backend.default_float_dtype
    xp = _on(device)
    return _finish(xp.full(_shape((size,)), fill_value, dtype=dtype), device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """``[start, end)`` in steps; int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        all_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = np.int64 if all_int else backend.default_float_dtype
    xp = _on(device)
    return _finish(xp.arange(start, end, step, dtype=dtype), device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    xp = _on(device)
    return _finish(xp.linspace(start, end, int(steps), dtype=_float(dtype)), device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    xp = _on(device)
    return _finish(xp.eye(n, m, dtype=_float(dtype)), device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples from the framework's generator (see ``manual_seed``)."""
    rng = numpy_generator(generator)
    array = rng.standard_normal(_shape(size), dtype=np.float64).astype(_float(dtype))
    return _finish(array, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) from the framework's generator."""
    rng = numpy_generator(generator)
    array = rng.random(_shape(size), dtype=np.float64).astype(_float(dtype))
    return _finish(array, device, requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: missing required argument 'size' (e.g. randint(0, 10, (3,)))")
        low, high, size = 0, low, high
    rng = numpy_generator(generator)
    array = rng.integers(low, high, size=tuple(size), dtype=np.int64)
    if dtype is not None:
        array = array.astype(dtype)
    return _finish(array, device, requires_grad)


def randperm(n, generator=None, dtype=np.int64, device=None):
    return _finish(numpy_generator(generator).permutation(n).astype(dtype), device, False)


def normal(mean, std, size, generator=None, dtype=None, device=None, requires_grad=False):
    array = numpy_generator(generator).normal(mean, std, size=tuple(size)).astype(_float(dtype))
    return _finish(array, device, requires_grad)


def _like(maker, input, dtype, device, requires_grad, *args, **kwargs):
    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    return maker(*args, input.shape, dtype=dtype, device=device, requires_grad=requires_grad, **kwargs)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    return _like(randn, input, dtype, device, requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    return _like(rand, input, dtype, device, requires_grad)


def randint_like(input, low, high=None, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    return randint(low, high, input.shape, dtype=dtype, device=device)
