"""``Tensor``: an array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

The values are a NumPy or CuPy array (``t.array``); ``t.data`` is, as in PyTorch, a
detached Tensor sharing it. Every operator and method builds the result through a
``Function`` (see ``ops/``), which records the graph that ``backward()`` walks in reverse.

Layering: this module sits above ``backend`` and below ``autograd`` and ``ops``, which
build Tensors. Its methods call them through the names bound in one place, the seam at
the bottom of this file (as early tinygrad and PyTorch bind a tensor's methods to its
ops in one place).

Deliberate difference from PyTorch: ``t.dtype`` is a NumPy dtype (``tge.float32`` is
``numpy.dtype('float32')``).
"""
import weakref

import numpy as np

from . import backend
from . import memory_format as memory_formats
from .shape_checks import normalize_dim

_PYTHON_TYPES = (bool, int, float)


def _infer_array(data, dtype=None):
    """Turn Python data or an array into an array with PyTorch's dtype inference:
    Python floats become float32 (the default), Python ints int64, bools bool;
    arrays keep their dtype (a float64 NumPy array stays float64)."""
    if isinstance(data, Tensor):
        data = data.array
    if backend.is_array(data):
        return data if dtype is None else data.astype(dtype, copy=False)
    if isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        array = np.asarray(_unwrap_nested(data))
        if dtype is None and array.dtype == np.float64:
            array = array.astype(backend.default_float_dtype)
    if dtype is None and array.dtype.kind == "i":
        array = array.astype(np.int64)
    if array.dtype == object:
        raise TypeError(f"tensor: could not infer a numeric dtype from {type(data).__name__} data")
    return array if dtype is None else array.astype(dtype)


def _unwrap_nested(data):
    if isinstance(data, Tensor):
        return backend.to_numpy(data.array)
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(d) for d in data]
    return data


class Tensor:
    """A multi-dimensional array that can record the ops applied to it.

    ``Tensor(data, requires_grad=False)`` wraps ``data`` (an array is used as is,
    without copying; Python data is converted as ``tge.tensor`` would).

    ``t.array`` is the NumPy/CuPy array holding the values: what ops, kernels and
    optimizers compute on. ``t.data`` is PyTorch's: a detached Tensor sharing it.
    """

    __array_priority__ = 1000  # ndarray (op) Tensor -> Tensor's reflected operator
    __array_ufunc__ = None  # NumPy ufuncs defer to Tensor's operators

    # Set only on views (see autograd/views.py): the tensor owning the memory, the
    # steps that make this view from it, and the version its grad_fn was made at.
    _base = None
    _view_steps = None
    _view_version = 0

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        array = _infer_array(data, dtype)
        if device is not None:
            array = backend.to_device(array, device)
        self.array = array
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        self._version = VersionCounter()
        self._accumulator_ref = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, array):
        """Fast constructor for op results: wrap an array, no copy. The one check: a NumPy
        scalar (what NumPy reductions to 0-d give) becomes a 0-d array, so a tensor's
        data is always an array of its namespace. The other attributes keep their
        class-level defaults below until something sets them."""
        if isinstance(array, np.generic):
            array = np.asarray(array)
        t = cls.__new__(cls)
        t.array = array
        t._version = VersionCounter()
        return t

    # What a new tensor starts with (``__init__`` sets them too; ``_wrap`` relies on these).
    _grad = None
    grad_fn = None
    _requires_grad = False
    _output_nr = 0
    _accumulator_ref = None
    _hooks = ()  # a leaf's gradient hooks: a list of its own from the first register_hook

    # ----------------------------------------------------------------- properties
    @property
    def data(self):
        """A detached Tensor sharing this tensor's array, as in PyTorch: writes through it
        (``p.data.add_(u)``, ``p.data.zero_()``) change ``p``'s values but are invisible to
        autograd (it has its own version counter, so no saved-value check fires). Ops and
        kernels use the raw array, ``t.array``."""
        return Tensor._wrap(self.array)  # a fresh version counter: autograd does not see these writes

    @data.setter
    def data(self, value):
        """``p.data = t`` makes ``p`` hold ``t``'s array (shape and dtype may change), as in PyTorch."""
        if not isinstance(value, Tensor):
            raise TypeError(
                f"data: expected a Tensor to assign to .data, got {type(value).__name__}; to replace the raw "
                "array use t.array = a"
            )
        self.array = value.array

    @property
    def grad(self):
        """The gradient that backward accumulated into this tensor (a leaf, or one that
        called ``retain_grad()``); None until then."""
        return self._grad

    @grad.setter
    def grad(self, value):
        """``t.grad = g``, checked as PyTorch checks it: None, or a Tensor of t's shape,
        dtype and device. Backward adds into ``.grad`` in place (autograd/engine.py),
        so a gradient it could not add into is refused here, where the mistake is
        made, rather than in a later backward: also one whose array is read-only (a
        ``broadcast_to`` view, say: NumPy's flag, which PyTorch has no need for)."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"grad: attempting to assign a gradient of shape {value.shape} to a tensor of shape {self.shape}; "
                    "the gradient and the tensor must be the same shape"
                )
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"grad: attempting to assign a gradient of dtype {value.dtype} to a tensor of dtype {self.dtype}; "
                    "the gradient must have the tensor's dtype"
                )
            if value.device != self.device:
                raise RuntimeError(
                    f"grad: attempting to assign a gradient on {value.device} to a tensor on {self.device}; "
                    "the gradient must be on the tensor's device"
                )
            if not getattr(value.array.flags, "writeable", True):
                raise RuntimeError(
                    f"grad: the assigned gradient (shape {value.shape}) is read-only, and backward adds into "
                    ".grad in place; assign a copy (g.clone())"
                )
        self._grad = value

    @property
    def shape(self):
        return tuple(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    def size(self, dim=None):
        """``size()`` is the shape; ``size(d)`` the length of dim ``d`` (PyTorch)."""
        if dim is None:
            return self.shape
        return self.shape[normalize_dim("size", dim, self.ndim)]

    def numel(self):
        return int(self.array.size)

    nelement = numel

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        return backend.device_of(self.array)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if value and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad: only Tensors of floating point dtype can require gradients (this one is "
                f"{self.array.dtype}, shape {self.shape}); convert it first, e.g. t.float()"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad: you can only change requires_grad flags of leaf variables. To use a "
                "non-leaf tensor without its gradient, use t.detach()."
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """Leaves are tensors created by the user (or not requiring grad); only leaves
        get ``.grad`` filled by backward (use ``retain_grad()`` for others)."""
        return self.grad_fn is None

    @property
    def _version_value(self):
        return self._version.value

    @property
    def T(self):
        """All dims reversed (PyTorch deprecates ``.T`` on ndim != 2 but allows it)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        """The last two dims swapped (batched matrix transpose)."""
        return self.transpose(-2, -1)

    # -------------------------------------------------------------- conversions
    def item(self):
        if self.array.size != 1:
            raise RuntimeError(f"item: a Tensor with {self.array.size} elements (shape {self.shape}) cannot be converted to a Python scalar")
        return self.array.item()

    def numpy(self):
        """The data as a NumPy array (shares memory on the CPU, as in PyTorch)."""
        if self._requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a Tensor that requires grad. Use t.detach().numpy() instead.")
        if self.device.type != "cpu":
            raise TypeError(f"numpy: can't convert a {self.device} tensor to NumPy. Use t.cpu() to copy it to host memory first.")
        return self.array

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def tolist(self):
        return backend.to_numpy(self.array).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"bool: the truth value of a Tensor with {self.array.size} elements is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    __hash__ = object.__hash__  # == is elementwise, so hash by identity (as PyTorch)

    def detach(self):
        """A new leaf sharing this tensor's data (and version counter), outside the graph."""
        t = Tensor._wrap(self.array)
        t._version = self._version
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self):
        """A copy of the data that stays in the graph (gradient flows back unchanged)."""
        return convert.clone(self)

    def contiguous(self, memory_format=memory_formats.contiguous_format):
        """``self`` if its data is C-contiguous, else a contiguous copy (in the graph), as
        in PyTorch: the copy no longer shares memory with ``self``. ``memory_format`` is
        accepted and changes no layout (see ``memory_format.py``)."""
        memory_formats.check("contiguous", memory_format)
        return self if self.array.flags.c_contiguous else self.clone()

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``; differentiable.
        ``non_blocking`` and ``memory_format`` are accepted and have no effect here."""
        dev, dtype = None, kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        memory_formats.check("to", kwargs.pop("memory_format", memory_formats.preserve_format))
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dev, dtype = a.device, a.dtype
            elif isinstance(a, (str, backend.device)):
                dev = a
            elif a is not None:
                dtype = a
        return convert.to(self, device=dev, dtype=dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate from this tensor, accumulating gradients into the leaves' ``.grad``.

        ``gradient`` is dL/d(self); it may be left out only for a one-element tensor
        (a scalar loss), where it is 1. The graph's saved values are freed unless
        ``retain_graph=True``.
        """
        if create_graph:
            raise NotImplementedError("backward: create_graph=True (higher-order gradients) is not supported: backward passes work on arrays")
        if not self._requires_grad:
            raise RuntimeError(
                f"backward: this tensor (shape {self.shape}) does not require grad and has no grad_fn, so there is "
                "nothing to differentiate. Did you forget requires_grad=True on the inputs, or run the forward under no_grad()?"
            )
        g = _gradient_for(self, gradient, "backward")
        if inputs is not None:
            return backward_to_inputs(self, g, inputs, bool(retain_graph))
        engine.run_backward([gradient_edge(self)], [g], retain_graph=bool(retain_graph))

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        refresh_if_stale(self)
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if not self._hooks:
                self._hooks = []
            hooks = self._hooks
        else:
            if self.grad_fn._output_hooks is None:
                self.grad_fn._output_hooks = {}
            hooks = self.grad_fn._output_hooks.setdefault(self._output_nr, [])
        retain = getattr(self, "_retain_hook", None)
        if hooks and hooks[-1] is retain:
            hooks.insert(len(hooks) - 1, hook)  # .grad stores the gradient after every hook
        else:
            hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it).

        It is a hook that stays the last one of this tensor (``register_hook`` puts later
        hooks before it), so ``.grad`` is the gradient after all hooks ran, as in PyTorch."""
        if self.grad_fn is None or getattr(self, "_retains_grad", False):
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def store(grad):
            t = ref()
            if t is not None:
                t.grad = Tensor._wrap(grad.array.copy()) if t.grad is None else Tensor._wrap(t.grad.array + grad.array)

        self.register_hook(store)
        self._retain_hook = store

    @property
    def retains_grad(self):
        return getattr(self, "_retains_grad", False)

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        array = backend.to_numpy(self.array)
        body = np.array2string(array, separator=", ", precision=4, prefix="tensor(", threshold=1000, edgeitems=3)
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if array.dtype not in (backend.default_float_dtype, np.dtype(np.int64), np.dtype(np.bool_)) or array.size == 0:
            extras.append(f"dtype={array.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return elementwise.add(self, other)

    def __radd__(self, other):
        return elementwise.add(other, self)

    def __sub__(self, other):
        return elementwise.sub(self, other)

    def __rsub__(self, other):
        return elementwise.sub(other, self)

    def __mul__(self, other):
        return elementwise.mul(self, other)

    def __rmul__(self, other):
        return elementwise.mul(other, self)

    def __truediv__(self, other):
        return elementwise.div(self, other)

    def __rtruediv__(self, other):
        return elementwise.div(other, self)

    def __floordiv__(self, other):
        return compare.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return compare.floor_divide(other, self)

    def __mod__(self, other):
        return compare.remainder(self, other)

    def __rmod__(self, other):
        return compare.remainder(other, self)

    def __pow__(self, other):
        return elementwise.pow(self, other)

    def __rpow__(self, other):
        return elementwise.pow(other, self)

    def __matmul__(self, other):
        return matmul.matmul(self, other)

    def __rmatmul__(self, other):
        return matmul.matmul(other, self)

    def __neg__(self):
        return elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return elementwise.abs(self)

    def __eq__(self, other):
        if other is None:  # `t == None` is False, not elementwise (PyTorch)
            return False
        return compare.eq(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return compare.ne(self, other)

    def __lt__(self, other):
        return compare.lt(self, other)

    def __le__(self, other):
        return compare.le(self, other)

    def __gt__(self, other):
        return compare.gt(self, other)

    def __ge__(self, other):
        return compare.ge(self, other)

    # &, |, ^, ~ are bitwise on integers and logical on bools, as in PyTorch
    def __invert__(self):
        return compare.bitwise_not(self)

    def __and__(self, other):
        return compare.bitwise_and(self, other)

    def __rand__(self, other):
        return compare.bitwise_and(other, self)

    def __or__(self, other):
        return compare.bitwise_or(self, other)

    def __ror__(self, other):
        return compare.bitwise_or(other, self)

    def __xor__(self, other):
        return compare.bitwise_xor(self, other)

    def __rxor__(self, other):
        return compare.bitwise_xor(other, self)

    def __getitem__(self, key):
        return index.getitem(self, key)

    def __setitem__(self, key, value):
        inplace.setitem(self, key, value)

    # in-place operators: x += y modifies x (and bumps its version)
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ------------------------------------------------------- elementwise methods
    def add(self, other, alpha=1):
        return elementwise.add(self, other if alpha == 1 else elementwise.mul(other, alpha))

    def sub(self, other, alpha=1):
        return elementwise.sub(self, other if alpha == 1 else elementwise.mul(other, alpha))

    def mul(self, other):
        return elementwise.mul(self, other)

    def div(self, other):
        return elementwise.div(self, other)

    def pow(self, exponent):
        return elementwise.pow(self, exponent)

    def neg(self):
        return elementwise.neg(self)

    def exp(self):
        return elementwise.exp(self)

    def log(self):
        return elementwise.log(self)

    def sqrt(self):
        return elementwise.sqrt(self)

    def rsqrt(self):
        return elementwise.rsqrt(self)

    def square(self):
        return elementwise.mul(self, self)

    def reciprocal(self):
        return elementwise.div(1.0, self)

    def abs(self):
        return elementwise.abs(self)

    def sin(self):
        return elementwise.sin(self)

    def cos(self):
        return elementwise.cos(self)

    def tanh(self):
        return elementwise.tanh(self)

    def sigmoid(self):
        return elementwise.sigmoid(self)

    def atan(self):
        return elementwise.atan(self)

    arctan = atan

    def clamp(self, min=None, max=None):
        return elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return elementwise.maximum(self, other)

    def minimum(self, other):
        return elementwise.minimum(self, other)

    def where(self, condition, other):
        """``x.where(cond, y)`` is ``where(cond, x, y)`` (PyTorch)."""
        return elementwise.where(condition, self, other)

    def masked_fill(self, mask, value):
        return elementwise.masked_fill(self, mask, value)

    def sign(self):
        return compare.sign(self)

    def floor(self):
        return compare.floor(self)

    def ceil(self):
        return compare.ceil(self)

    def round(self):
        return compare.round(self)

    def eq(self, other):
        return compare.eq(self, other)

    def ne(self, other):
        return compare.ne(self, other)

    def lt(self, other):
        return compare.lt(self, other)

    def le(self, other):
        return compare.le(self, other)

    def gt(self, other):
        return compare.gt(self, other)

    def ge(self, other):
        return compare.ge(self, other)

    def isnan(self):
        return compare.isnan(self)

    def isfinite(self):
        return compare.isfinite(self)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return compare.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return compare.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def relu(self):
        return activation.relu(self)

    def relu_(self):
        return activation.relu_(self)

    def softmax(self, dim=None, dtype=None, *, axis=None):
        return softmax.softmax(self, dim, dtype=dtype, axis=axis)

    def log_softmax(self, dim=None, dtype=None, *, axis=None):
        return softmax.log_softmax(self, dim, dtype=dtype, axis=axis)

    # --------------------------------------------------------------- reductions
    # (``axis=`` and ``keepdims=`` are NumPy's names, which PyTorch accepts too)
    def sum(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        return reduce.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        return reduce.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return reduce.var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return reduce.std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=(), keepdim=False, *, axis=None, keepdims=None):
        return reduce.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=(), keepdim=False, *, axis=None, keepdims=None):
        return reduce.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def norm(self, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return reduce.norm(self, p, dim, keepdim, axis=axis, keepdims=keepdims)

    # ---------------------------------------------------------------- matmul
    def matmul(self, other):
        return matmul.matmul(self, other)

    def mm(self, other):
        return matmul.mm(self, other)

    def bmm(self, other):
        return matmul.bmm(self, other)

    # ---------------------------------------------------------------- shapes
    def reshape(self, *shape):
        return shape_ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return shape_ops.view(self, _shape_args(shape))

    def view_as(self, other):
        return shape_ops.view(self, other.shape)

    def reshape_as(self, other):
        return shape_ops.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return shape_ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return shape_ops.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return shape_ops.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return shape_ops.transpose(self, dim0, dim1)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but got {self.ndim}D (shape {self.shape})")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def permute(self, *dims):
        return shape_ops.permute(self, _shape_args(dims))

    def expand(self, *sizes):
        return shape_ops.expand(self, _shape_args(sizes))

    def expand_as(self, other):
        return shape_ops.expand(self, other.shape)

    def broadcast_to(self, shape):
        return shape_ops.broadcast_to(self, shape)

    def split(self, split_size_or_sections, dim=0):
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return shape_ops.chunk(self, chunks, dim)

    def repeat(self, *sizes):
        return shape_ops.repeat(self, _shape_args(sizes))

    # ---------------------------------------------------------------- in place
    def add_(self, other, alpha=1):
        return inplace.add_(self, other, alpha)

    def sub_(self, other, alpha=1):
        return inplace.add_(self, other, -alpha)

    def mul_(self, other):
        return inplace.mul_(self, other)

    def div_(self, other):
        return inplace.div_(self, other)

    def zero_(self):
        return inplace.fill_(self, 0)

    def fill_(self, value):
        return inplace.fill_(self, value)

    def clamp_(self, min=None, max=None):
        return inplace.clamp_(self, min, max)

    clip_ = clamp_

    def copy_(self, src):
        return inplace.copy_(self, src)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        return inplace.normal_(self, mean, std, generator)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        return inplace.uniform_(self, a, b, generator)


    # =================================================================== parity block
    # PyTorch's everyday Tensor API beyond the core (issue 12): device flags, format
    # specs, ``type``, ``new_*``, and methods bound to the op families in ops/einsum.py,
    # ops/sort.py, ops/scan.py, ops/gather.py, ops/linalg.py and ops/compare.py, then
    # the in-place twins of the elementwise ops (all through ``inplace.apply_inplace``,
    # which bumps the version counter and records the op in the graph).
    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def is_xpu(self):
        return False  # no Intel GPU backend here

    @property
    def is_mps(self):
        return False  # no Apple GPU backend here

    def __format__(self, format_spec):
        """``f"{loss:.4f}"`` formats a 0-d tensor's value, as PyTorch does; other tensors
        accept only the empty spec (``f"{t}"`` is ``str(t)``)."""
        if self.ndim == 0:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    def type(self, dtype=None):
        """``t.type()``: PyTorch's type name (``'torch.FloatTensor'``, kept for scripts that
        compare it); ``t.type(dtype)``: ``t.to(dtype)`` (a name like ``'torch.DoubleTensor'``
        is accepted too)."""
        if dtype is None:
            prefix = "torch." if self.is_cpu else "torch.cuda."
            return prefix + _TYPE_NAMES.get(self.dtype.name, self.dtype.name) + "Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            names = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = np.dtype(names[dtype.rsplit(".", 1)[-1][: -len("Tensor")]])
        return self.to(dtype)

    def is_contiguous(self, memory_format=None):
        """True when the elements lie in memory in row-major order without gaps."""
        return bool(self.array.flags.c_contiguous)

    def _new(self, maker, size, dtype, device, requires_grad, *args):
        """``maker(size, *args)`` with this tensor's dtype and device unless given (``new_*``)."""
        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        return maker(_shape_args(size), *args, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new(creation.zeros, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(creation.ones, size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(creation.empty, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return self._new(creation.full, (size,), dtype, device, requires_grad, fill_value)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` as a new leaf, with this tensor's dtype and device unless given."""
        return creation.tensor(data, dtype=self.dtype if dtype is None else dtype,
                               device=self.device if device is None else device, requires_grad=requires_grad)

    # ordering, scans, products
    def sort(self, dim=-1, descending=False, stable=False):
        return sort_ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return sort_ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return sort_ops.topk(self, k, dim, largest, sorted)

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        return scan.cumsum(self, dim, dtype=dtype, axis=axis)

    def cumprod(self, dim=None, *, dtype=None, axis=None):
        return scan.cumprod(self, dim, dtype=dtype, axis=axis)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return scan.prod(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    # matrices
    def tril(self, diagonal=0):
        return linalg.tril(self, diagonal)

    def triu(self, diagonal=0):
        return linalg.triu(self, diagonal)

    def diag(self, diagonal=0):
        return linalg.diag(self, diagonal)

    def outer(self, vec2):
        return linalg.outer(self, vec2)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return linalg.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # reading and writing at indices
    def gather(self, dim, index):
        return gather_ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return gather_ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return gather_ops.scatter_add(self, dim, index, src)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        def write(s, src):
            return gather_ops.scatter(s, dim, index, src, value=value, reduce=reduce)

        return inplace.apply_inplace("scatter_", self, write, src, keep_old=False)  # Scatter saves only the index

    def scatter_add_(self, dim, index, src):
        return inplace.apply_inplace("scatter_add_", self, lambda s, src: gather_ops.scatter_add(s, dim, index, src),
                                     src, keep_old=False)

    def index_select(self, dim, index):
        return gather_ops.index_select(self, dim, index)

    def take_along_dim(self, indices, dim=None):
        return gather_ops.take_along_dim(self, indices, dim)

    def unfold(self, dimension, size, step):
        return gather_ops.unfold(self, dimension, size, step)

    # comparisons
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return compare.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return compare.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return compare.equal(self, other)

    # in-place twins of elementwise ops (``x.exp_()`` is ``x = x.exp()`` written into x)
    def abs_(self):
        return inplace.apply_inplace("abs_", self, elementwise.abs)

    absolute_ = abs_

    def neg_(self):
        return inplace.apply_inplace("neg_", self, elementwise.neg, keep_old=False)

    negative_ = neg_

    def exp_(self):
        return inplace.apply_inplace("exp_", self, elementwise.exp)

    def log_(self):
        return inplace.apply_inplace("log_", self, elementwise.log)

    def sqrt_(self):
        return inplace.apply_inplace("sqrt_", self, elementwise.sqrt)

    def rsqrt_(self):
        return inplace.apply_inplace("rsqrt_", self, elementwise.rsqrt)

    def sin_(self):
        return inplace.apply_inplace("sin_", self, elementwise.sin)

    def cos_(self):
        return inplace.apply_inplace("cos_", self, elementwise.cos)

    def tanh_(self):
        return inplace.apply_inplace("tanh_", self, elementwise.tanh)

    def sigmoid_(self):
        return inplace.apply_inplace("sigmoid_", self, elementwise.sigmoid)

    def atan_(self):
        return inplace.apply_inplace("atan_", self, elementwise.atan)

    arctan_ = atan_

    def square_(self):
        return inplace.apply_inplace("square_", self, lambda s: elementwise.mul(s, s))

    def reciprocal_(self):
        return inplace.apply_inplace("reciprocal_", self, lambda s: elementwise.div(1.0, s))

    def pow_(self, exponent):
        return inplace.apply_inplace("pow_", self, elementwise.pow, exponent)

    def sign_(self):
        return inplace.apply_inplace("sign_", self, compare.sign, keep_old=False)

    def floor_(self):
        return inplace.apply_inplace("floor_", self, compare.floor, keep_old=False)

    def ceil_(self):
        return inplace.apply_inplace("ceil_", self, compare.ceil, keep_old=False)

    def round_(self):
        return inplace.apply_inplace("round_", self, compare.round, keep_old=False)

    def remainder_(self, other):
        return inplace.apply_inplace("remainder_", self, elementwise.remainder, other)

    def masked_fill_(self, mask, value):
        return inplace.apply_inplace("masked_fill_", self, lambda s: elementwise.masked_fill(s, mask, value),
                                     keep_old=False)  # Where saves only the mask

    def tril_(self, diagonal=0):
        return inplace.apply_inplace("tril_", self, lambda s: linalg.tril(s, diagonal), keep_old=False)

    def triu_(self, diagonal=0):
        return inplace.apply_inplace("triu_", self, lambda s: linalg.triu(s, diagonal), keep_old=False)
    # ============================================================ end of parity block


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _shape_args(args):
    """Accept both ``f(2, 3)`` and ``f((2, 3))``, as PyTorch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _gradient_for(t, gradient, op):
    """The upstream gradient array for ``t``: 1 for a one-element tensor, else checked."""
    xp = backend.get_array_module(t.array)
    if gradient is None:
        if t.array.size != 1:
            raise RuntimeError(
                f"{op}: grad can be implicitly created only for scalar outputs, but this tensor has shape {t.shape}. "
                "Reduce it to a scalar (e.g. loss.sum()) or pass gradient= with the same shape."
            )
        # a 0-d 1 made the shape of t (np.ones and np.full take twice as long: Python around
        # np.empty); a 0-d t skips the reshape, which costs as much again
        one = xp.asarray(1, dtype=t.array.dtype)
        return one.reshape(t.array.shape) if t.array.ndim else one
    g = gradient.array if isinstance(gradient, Tensor) else xp.asarray(gradient, dtype=t.array.dtype)
    if tuple(g.shape) != t.shape:
        raise RuntimeError(f"{op}: gradient has shape {tuple(g.shape)} but the tensor has shape {t.shape}; they must match")
    if type(g) is not type(t.array):
        raise RuntimeError(f"{op}: gradient is on {backend.device_of(g)} but the tensor is on {t.device}")
    return g.astype(t.array.dtype, copy=False)


# ------------------------------------------------------------------ the seam
# autograd and the ops build Tensors, so they import this module; Tensor's methods above
# call them. This block, run once Tensor exists, is the one place that binds the names
# those methods use (``tinygrad_edu/__init__.py`` imports this module first).
from .autograd import engine  # noqa: E402
from .autograd.function import gradient_edge  # noqa: E402
from .autograd.functional import backward_to_inputs  # noqa: E402
from .autograd.views import VersionCounter, refresh_if_stale  # noqa: E402
from .ops import (  # noqa: E402
    activation,
    compare,
    convert,
    elementwise,
    index,
    inplace,
    linalg,
    matmul,
    reduce,
    scan,
    softmax,
)
from .ops import shape as shape_ops  # noqa: E402
from .ops import gather as gather_ops  # noqa: E402
from .ops import sort as sort_ops  # noqa: E402
from . import creation  # noqa: E402
