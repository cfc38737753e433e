"""Array namespaces (NumPy / CuPy), devices and the dtype policy.

Every op and kernel gets its array module from its inputs::

    xp = get_array_module(x, w)      # numpy for NumPy arrays, cupy for CuPy arrays
    out = xp.exp(x)

and never calls ``numpy`` directly on an input. That single rule is what lets the
same op code run on a GPU through CuPy (Chainer's ``get_array_module`` idea).

Array types are registered with the namespace that handles them and the device type
they live on. NumPy is always registered; CuPy is registered when it imports. The test
suite registers a strict array type that refuses conversion to NumPy, to prove that
no op leaks to host NumPy.
"""
import numpy as np

from . import cuda as _cuda

# array type -> (namespace module, device type)
_NAMESPACES = {np.ndarray: (np, "cpu")}
# device type -> namespace module, for registered types other than CUDA (whose module
# comes from tge.cuda, after its probe says CUDA works)
_DEVICE_NAMESPACES = {"cpu": np}

try:  # CuPy is optional (the GPU extra). A CuPy array can only exist if this import works.
    import cupy as _cupy

    _NAMESPACES[_cupy.ndarray] = (_cupy, "cuda")
except Exception:  # ImportError, or a broken install: tge.cuda.is_available() says why
    _cupy = None

default_float_dtype = np.dtype(np.float32)
default_device = None  # where creation functions put new tensors: None is the CPU


def register_namespace(array_type, xp, device_type):
    """Teach the backend a new array type: arrays of ``array_type`` use module ``xp``
    and report device ``device_type``."""
    _NAMESPACES[array_type] = (xp, device_type)
    _DEVICE_NAMESPACES[device_type] = xp


def unregister_namespace(array_type):
    """Forget an array type registered with :func:`register_namespace`."""
    global default_device
    xp, device_type = _NAMESPACES.pop(array_type)
    if not any(d == device_type for _, d in _NAMESPACES.values()):
        _DEVICE_NAMESPACES.pop(device_type, None)
        if default_device is not None and default_device.type == device_type:
            default_device = None


def get_array_module(*arrays):
    """The array namespace (``numpy``, ``cupy``, ...) of the first array among the
    arguments; ``numpy`` when none is an array (Python scalars, ``None``)."""
    for a in arrays:
        entry = _NAMESPACES.get(type(a))
        if entry is not None and entry[0] is not np:
            return entry[0]
    return np


def is_array(obj):
    """True for an array of any registered namespace."""
    return type(obj) in _NAMESPACES


def cuda_available():
    """True when CUDA works through CuPy (``tge.cuda.is_available()``)."""
    return _cuda.is_available()


class device:
    """Where a tensor's data lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``,
    ``device("cuda", 1)``.

    Compares equal to its string form, so ``t.device == "cpu"`` works as in PyTorch.
    Making a ``device("cuda")`` object needs no GPU (as in PyTorch); putting data there
    does. Deliberate difference: ``device("cuda")`` means ``cuda:0`` (PyTorch leaves its
    index unset, "the current device"), so ``t.device == "cuda"`` is True for a tensor
    on ``cuda:0``.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        elif ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"device: invalid device string {type + ':' + idx!r}; expected e.g. 'cuda:0'")
            index = int(idx)
        if type != "cuda" and type not in _DEVICE_NAMESPACES:
            known = ", ".join(sorted(set(_DEVICE_NAMESPACES) | {"cuda"}))
            raise RuntimeError(
                f"device: unknown or unavailable device type {type!r}: expected one of {known} "
                "at the start of the device string"
            )
        if type == "cpu" and index not in (None, 0):
            raise RuntimeError(f"device: the CPU has no index {index} (use 'cpu')")
        self.type = type
        self.index = None if type == "cpu" else (0 if index is None else int(index))

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


def device_of(array):
    """The :class:`device` an array lives on."""
    entry = _NAMESPACES.get(type(array))
    if entry is None:
        raise TypeError(f"device_of: {type(array).__name__} is not a registered array type")
    if entry[1] == "cuda":
        return device("cuda", array.device.id)
    return device(entry[1])


def set_default_device(dev):
    """Make creation functions (``zeros``, ``randn``, ``tensor``, layers' parameters...)
    put new tensors on ``dev`` unless given ``device=`` (``torch.set_default_device``).
    ``None`` or ``"cpu"`` restores the CPU. Checks at once that the device works."""
    global default_device
    if dev is None or device(dev).type == "cpu":
        default_device = None
        return
    dev = device(dev)
    namespace_for_device(dev)  # a clear error now, not at the first tensor
    default_device = dev


def get_default_device():
    """The device new tensors go to by default (``torch.get_default_device``)."""
    return default_device or device("cpu")


def namespace_for_device(dev):
    """The array namespace that creates arrays on device ``dev``; a clear RuntimeError
    when ``dev`` is CUDA and CUDA does not work here (see ``tge.cuda``)."""
    dev = device(dev)
    if dev.type == "cuda":
        return _cuda._require(dev.index)
    return _DEVICE_NAMESPACES[dev.type]


def to_device(array, dev):
    """Copy ``array`` to device ``dev`` (no copy when it is already there).

    Every transfer goes through here and is explicit: host -> device with
    ``xp.asarray`` of a host array, device -> host with :func:`to_numpy`, and one CUDA
    device to another with a copy made under the target device."""
    dev = device(dev)
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return to_numpy(array)
    xp = namespace_for_device(dev)
    if dev.type == "cuda":
        with xp.cuda.Device(dev.index):
            if isinstance(array, xp.ndarray):  # on another GPU: a device-to-device copy
                return array.copy()
            return xp.asarray(to_numpy(array))
    return xp.asarray(to_numpy(array))


def to_numpy(array):
    """A NumPy copy (or the array itself) of any registered array: the one explicit,
    deliberate transfer to host memory."""
    if isinstance(array, np.ndarray):
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    to_host = getattr(array, "to_numpy", None)  # e.g. the strict test array
    if to_host is None:
        raise TypeError(f"to_numpy: do not know how to bring {type(array).__name__} to host memory")
    return to_host()


def is_floating(dtype):
    return np.issubdtype(np.dtype(dtype), np.floating)


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote_within(dtypes):
    """Promotion inside one category: the highest kind wins outright (int64 with
    float32 gives float32, unlike NumPy's float64); same kinds promote as NumPy does."""
    top = max(_KIND_RANK[d.kind] for d in dtypes)
    return np.result_type(*[d for d in dtypes if _KIND_RANK[d.kind] == top])


def result_dtype(*operands):
    """The dtype of an arithmetic result, following PyTorch's promotion rules.

    Operands fall into three categories, in priority order: arrays with dimensions,
    0-d arrays, and Python numbers. A lower category only matters if it is of a
    higher kind (bool < integer < float): ``float32 array * float64 0-d array`` stays
    float32, ``int64 array * 1.5`` gives the default float dtype (float32), and
    ``int64 array * float32 array`` gives float32 (NumPy would give float64 for all three).
    """
    dims = [np.dtype(a.dtype) for a in operands if hasattr(a, "dtype") and a.ndim > 0]
    zero_d = [np.dtype(a.dtype) for a in operands if hasattr(a, "dtype") and a.ndim == 0]
    numbers = [a for a in operands if not hasattr(a, "dtype")]
    result = None
    for group in (dims, zero_d):
        if group:
            dt = _promote_within(group)
            if result is None or _KIND_RANK[dt.kind] > _KIND_RANK[result.kind]:
                result = dt
    if numbers:
        kind = max(2 if isinstance(n, float) else 0 if isinstance(n, bool) else 1 for n in numbers)
        if result is None or kind > _KIND_RANK[result.kind]:
            result = [np.dtype(np.bool_), np.dtype(np.int64), default_float_dtype][kind]
    return np.dtype(result)
