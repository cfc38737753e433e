"""A strict array type for the tests: NumPy inside, but it refuses to become a NumPy array.

CuPy arrays live on the GPU: NumPy cannot read them (``np.asarray(cupy_array)`` raises
TypeError), and CuPy refuses host NumPy arrays as operands. An op that calls ``np.``
on its input instead of ``xp = get_array_module(x)`` works on the CPU and breaks on
the GPU. ``StrictArray`` reproduces that on a machine without a GPU:

- ``StrictArray`` wraps an ndarray (it is *not* a subclass), implements the operators,
  indexing and the array methods, and returns ``StrictArray`` results;
- ``np.asarray(s)``, ``np.exp(s)``, ``np.sum(s)`` and ``s + host_ndarray`` raise TypeError;
- ``strict_xp`` is its namespace (what ``get_array_module`` returns for it): NumPy's
  functions, submodules (``strict_xp.linalg``, ``strict_xp.lib.stride_tricks``) and
  ufunc methods (``strict_xp.add.at``) on unwrapped arguments, with wrapped results;
  dtype classes (``strict_xp.float32``) are NumPy's own; ``strict_xp.ndarray`` is
  ``StrictArray``;
- ``s.to_numpy()`` is the one explicit way back to host memory (``backend.to_numpy``).

The ``strict_backend`` fixture (tests/conftest.py) registers it with
``backend.register_namespace(StrictArray, strict_xp, "strict")`` and unregisters it afterwards.
This is test code: generic forwarding (``__getattr__``) is fine here.
"""
import operator
import types

import numpy as np

MESSAGE = "Implicit conversion to a NumPy array is not allowed"
_HINT = " (use xp = get_array_module(...) and xp.<function>)"

# CuPy's asarray/array accept host arrays: they are the explicit host -> device copy.
_HOST_ARRAYS_ALLOWED = {"asarray", "array", "asanyarray"}


def unwrap(obj):
    """The ndarrays inside ``obj`` (StrictArray, or tuples/lists/dicts of them)."""
    if isinstance(obj, StrictArray):
        return obj._array
    if isinstance(obj, (tuple, list)):
        return type(obj)(unwrap(o) for o in obj)
    if isinstance(obj, dict):
        return {k: unwrap(v) for k, v in obj.items()}
    return obj


def wrap(obj):
    """``obj`` with every ndarray or NumPy scalar turned into a StrictArray (a 0-d one for
    a scalar, as CuPy returns 0-d arrays from reductions)."""
    if isinstance(obj, np.ndarray):
        return StrictArray(obj)
    if isinstance(obj, np.generic):
        return StrictArray(np.asarray(obj))
    if isinstance(obj, (tuple, list)) and not hasattr(obj, "_fields"):
        return type(obj)(wrap(o) for o in obj)
    return obj


def _find_host_array(obj):
    """A host ndarray inside ``obj`` (nested tuples/lists/dicts), or None."""
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, (tuple, list)):
        items = obj
    elif isinstance(obj, dict):
        items = obj.values()
    else:
        return None
    for o in items:
        found = _find_host_array(o)
        if found is not None:
            return found
    return None


def _host_operand_error(what, array):
    return TypeError(
        f"{what}: got a host NumPy array (shape {array.shape}, dtype {array.dtype}) where a StrictArray "
        f"was expected. {MESSAGE}: on a GPU this would be a CuPy/NumPy mix (CuPy raises 'Unsupported type')."
    )


def _operand(symbol, other):
    """The raw value of the other operand of an operator, or NotImplemented."""
    if isinstance(other, StrictArray):
        return other._array
    if isinstance(other, np.ndarray):
        raise _host_operand_error(f"StrictArray {symbol}", other)
    if isinstance(other, (bool, int, float, complex, np.generic)):
        return other
    return NotImplemented  # e.g. a Tensor: let its reflected operator run


def _binary(op, symbol):
    """``s <symbol> other``."""
    def method(self, other):
        other = _operand(symbol, other)
        return NotImplemented if other is NotImplemented else wrap(op(self._array, other))

    return method


def _reflected(op, symbol):
    """``other <symbol> s`` (Python calls it when ``other`` does not handle StrictArrays)."""
    def method(self, other):
        other = _operand(symbol, other)
        return NotImplemented if other is NotImplemented else wrap(op(other, self._array))

    return method


def _in_place(op, symbol):
    """``s <symbol>= other``: NumPy's in-place operators modify the wrapped array itself."""
    def method(self, other):
        other = _operand(symbol, other)
        if other is NotImplemented:
            return NotImplemented
        op(self._array, other)
        return self

    return method


class StrictArray:
    """An array that behaves like an ndarray but refuses conversion to one."""

    __slots__ = ("_array",)

    def __init__(self, array):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"StrictArray wraps an ndarray, got {type(array).__name__}")
        self._array = array

    # -------- the refusals
    def __array__(self, dtype=None, copy=None):
        raise TypeError(MESSAGE)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy scalars run their operators as ufuncs, so `np.float64(2) * s` arrives here:
        # allow that, as CuPy does. Any other NumPy ufunc on a StrictArray (np.exp(s)) is refused.
        if method == "__call__" and len(inputs) == 2 and not kwargs and any(isinstance(i, np.generic) for i in inputs):
            return wrap(ufunc(*unwrap(inputs)))
        raise TypeError(f"{MESSAGE}: numpy.{ufunc.__name__} was called on a StrictArray{_HINT}")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"{MESSAGE}: numpy.{func.__name__} was called on a StrictArray{_HINT}")

    # -------- the explicit way back
    def to_numpy(self):
        return self._array.copy()

    # -------- everything else an ndarray has (shape, dtype, T, sum, reshape, astype, ...)
    def __getattr__(self, name):
        if name.startswith("__"):  # never __array_interface__, __array_struct__, __dlpack__: NumPy would read those
            raise AttributeError(f"StrictArray has no attribute {name!r}")
        attr = getattr(object.__getattribute__(self, "_array"), name)
        return _StrictFunction(attr, name) if callable(attr) else wrap(attr)

    def __repr__(self):
        return f"StrictArray({self._array!r})"

    __str__ = __repr__
    __hash__ = None

    # -------- indexing (host index arrays are accepted: CuPy copies them to the device)
    def __getitem__(self, key):
        key = unwrap(key)
        out = self._array[key]
        if isinstance(out, np.generic):  # CuPy gives a 0-d view for an element, not a copied scalar
            out = self._array[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
        return wrap(out)

    def __setitem__(self, key, value):
        self._array[unwrap(key)] = unwrap(value)

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        return (wrap(row) for row in self._array)

    # -------- conversions to Python scalars (CuPy allows them: an explicit synchronisation)
    def __bool__(self):
        return bool(self._array)

    def __float__(self):
        return float(self._array)

    def __int__(self):
        return int(self._array)

    def __index__(self):
        return operator.index(self._array)

    def __copy__(self):
        return StrictArray(self._array.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._array.copy())

    # -------- operators
    def __neg__(self):
        return wrap(-self._array)

    def __pos__(self):
        return wrap(+self._array)

    def __abs__(self):
        return wrap(abs(self._array))

    def __invert__(self):
        return wrap(~self._array)

    __add__ = _binary(operator.add, "+")
    __radd__ = _reflected(operator.add, "+")
    __iadd__ = _in_place(operator.iadd, "+=")
    __sub__ = _binary(operator.sub, "-")
    __rsub__ = _reflected(operator.sub, "-")
    __isub__ = _in_place(operator.isub, "-=")
    __mul__ = _binary(operator.mul, "*")
    __rmul__ = _reflected(operator.mul, "*")
    __imul__ = _in_place(operator.imul, "*=")
    __truediv__ = _binary(operator.truediv, "/")
    __rtruediv__ = _reflected(operator.truediv, "/")
    __itruediv__ = _in_place(operator.itruediv, "/=")
    __floordiv__ = _binary(operator.floordiv, "//")
    __rfloordiv__ = _reflected(operator.floordiv, "//")
    __mod__ = _binary(operator.mod, "%")
    __rmod__ = _reflected(operator.mod, "%")
    __pow__ = _binary(operator.pow, "**")
    __rpow__ = _reflected(operator.pow, "**")
    __ipow__ = _in_place(operator.ipow, "**=")
    __matmul__ = _binary(operator.matmul, "@")
    __rmatmul__ = _reflected(operator.matmul, "@")
    __and__ = _binary(operator.and_, "&")
    __rand__ = _reflected(operator.and_, "&")
    __iand__ = _in_place(operator.iand, "&=")
    __or__ = _binary(operator.or_, "|")
    __ror__ = _reflected(operator.or_, "|")
    __ior__ = _in_place(operator.ior, "|=")
    __xor__ = _binary(operator.xor, "^")
    __rxor__ = _reflected(operator.xor, "^")
    __lt__ = _binary(operator.lt, "<")
    __le__ = _binary(operator.le, "<=")
    __gt__ = _binary(operator.gt, ">")
    __ge__ = _binary(operator.ge, ">=")
    __eq__ = _binary(operator.eq, "==")
    __ne__ = _binary(operator.ne, "!=")


class _StrictFunction:
    """A NumPy function (or ufunc, or bound ndarray method) on unwrapped arguments,
    with wrapped results. Host ndarray arguments are refused, as CuPy refuses them."""

    def __init__(self, function, name):
        self._function, self._name = function, name

    def __call__(self, *args, **kwargs):
        if self._name not in _HOST_ARRAYS_ALLOWED:
            host = _find_host_array((args, kwargs))
            if host is not None:
                raise _host_operand_error(f"xp.{self._name}", host)
        return wrap(self._function(*unwrap(args), **unwrap(kwargs)))

    def __getattr__(self, name):  # ufunc methods: xp.add.at, xp.maximum.reduce, ...
        attr = getattr(self._function, name)
        return _StrictFunction(attr, f"{self._name}.{name}") if callable(attr) else attr

    def __repr__(self):
        return f"<strict {self._name}>"


class _StrictNamespace(types.ModuleType):
    """NumPy's namespace (or a submodule of it) for StrictArrays."""

    def __init__(self, name, module):
        super().__init__(name)
        self._module = module

    def __getattr__(self, name):
        if name == "ndarray":
            return StrictArray
        attr = getattr(self._module, name)
        if isinstance(attr, types.ModuleType):
            return _StrictNamespace(f"{self.__name__}.{name}", attr)
        if isinstance(attr, type):  # dtype classes (float32, ...), dtype, finfo, errstate: NumPy's own
            return attr
        if callable(attr):
            return _StrictFunction(attr, name)
        return attr  # constants: pi, inf, newaxis


strict_xp = _StrictNamespace("strict_xp", np)
