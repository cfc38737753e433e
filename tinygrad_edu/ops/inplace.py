"""In-place ops: ``add_``, ``mul_``, ``div_``, ``fill_``, ``clamp_``, ``copy_``,
``normal_``, ``uniform_`` and ``t[key] = value``.

Each computes its new value with the ordinary op and writes it in through
``apply_inplace`` (``autograd/inplace.py``), which makes the checks PyTorch makes,
bumps the version counter and records the write in the graph (also when the tensor is
a view of another). ``add_``, ``fill_``, ``copy_`` and ``t[key] = v`` never read the
old values, so they are never copied.
"""
from .. import backend
from ..autograd.function import Function
from ..autograd.inplace import apply_inplace, check_inplace, commit, is_recording
from ..autograd.views import mark_modified, refresh_if_stale
from ..backend import get_array_module
from ..random import numpy_generator
from ..shape_checks import broadcast_shape
from ..tensor import Tensor
from . import elementwise
from .index import normalize_key


def _needs_grad(t):
    return isinstance(t, Tensor) and t._requires_grad


def add_(self, other, alpha=1):
    return apply_inplace("add_", self, lambda s, o: elementwise.add(s, o, alpha=alpha), other, keep_old=False)


def mul_(self, other):
    # Mul keeps x for dL/dy = g * x only when `other` needs a gradient
    return apply_inplace("mul_", self, elementwise.mul, other, keep_old=_needs_grad(other))


def div_(self, other):
    # Div keeps x for dL/dy = -g * x / y^2 only when `other` needs a gradient
    return apply_inplace("div_", self, elementwise.div, other, keep_old=_needs_grad(other))


def clamp_(self, min=None, max=None):
    # the clamp Functions keep masks, not x
    return apply_inplace("clamp_", self, lambda s, lo, hi: elementwise.clamp(s, lo, hi), min, max, keep_old=False)


class Fill(Function):
    """z = v broadcast to x's shape, in x's dtype (``x.fill_(v)``, ``x.copy_(v)``).

    Backward: z does not depend on x at all:
        dL/dx = 0        dL/dv = g
    (the engine sums dL/dv back to v's shape and casts it to v's dtype). x gets explicit
    zeros rather than no gradient, so its leaves end up with a zero ``.grad`` as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, v):
        xp = get_array_module(x, v)
        return xp.broadcast_to(xp.asarray(v), x.shape).astype(x.dtype)  # astype copies

    @staticmethod
    def backward(ctx, g):
        gx = get_array_module(g).zeros_like(g) if ctx.needs_input_grad[0] else None
        return gx, (g if ctx.needs_input_grad[1] else None)


def _overwrite(op, self, value):
    """``self`` := ``value`` broadcast to its shape; the old values (even NaN, Inf) are gone."""
    refresh_if_stale(self)
    check_inplace(op, self, value)
    if is_recording(self, value):
        return commit(op, self, Fill.apply(self, value))
    self.array[...] = value.array if isinstance(value, Tensor) else value
    mark_modified(self)
    return self


def copy_(self, src):
    """Copy ``src`` (broadcast to ``self``'s shape, cast to its dtype) into ``self``; the
    gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        src = Tensor(src)
    if src.device != self.device:
        src = src.to(self.device)
    shape = broadcast_shape("copy_", self.shape, src.shape)
    if shape != self.shape:
        raise RuntimeError(f"copy_: output with shape {self.shape} doesn't match the broadcast shape {shape}")
    return _overwrite("copy_", self, src)


def fill_(self, value):
    """Set every element to ``value`` (a number or a 0-d tensor); the old values get a zero gradient."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return _overwrite("fill_", self, value)


def normal_(self, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2) drawn from the framework's generator."""
    sample = numpy_generator(generator).normal(mean, std, size=self.shape)
    return _overwrite("normal_", self, Tensor._wrap(backend.to_device(sample.astype(self.dtype), self.device)))


def uniform_(self, a=0.0, b=1.0, generator=None):
    """Fill with samples from U[a, b) drawn from the framework's generator."""
    sample = numpy_generator(generator).uniform(a, b, size=self.shape)
    return _overwrite("uniform_", self, Tensor._wrap(backend.to_device(sample.astype(self.dtype), self.device)))


class SetItem(Function):
    """z = x with z[key] = v  (``x[key] = v``).

    The one Function that writes into its input: x is the tensor's own array, and
    backward never needs its old values, so no copy is made.

    Backward: the positions that were overwritten no longer depend on x:
        dL/dx = g with g[key] = 0        dL/dv = g[key]
    (the engine sums dL/dv back to v's shape if v was broadcast into the slice; a v with
    extra leading size-1 dims, which NumPy drops when assigning, gets them back here).
    """

    @staticmethod
    def forward(ctx, x, v, key):
        x[key] = v
        ctx.save_for_backward(key)  # freed with the graph (an index array can be large)
        ctx.v_ndim = v.ndim
        return x

    @staticmethod
    def backward(ctx, g):
        (key,) = ctx.saved_tensors
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g.copy()
            gx[key] = 0
        if ctx.needs_input_grad[1]:
            gv = g[key]
            if gv.ndim < ctx.v_ndim:
                gv = gv.reshape((1,) * (ctx.v_ndim - gv.ndim) + gv.shape)
        return gx, gv, None


def setitem(self, key, value):
    """``self[key] = value``: an in-place write, recorded in the graph when needed."""
    xp = get_array_module(self.array)
    key = normalize_key("setitem", key, self.shape, xp)
    if not isinstance(value, Tensor):
        value = Tensor._wrap(xp.asarray(value, dtype=self.array.dtype))
    elif value.device != self.device:
        raise RuntimeError(f"setitem: value is on {value.device} but the tensor is on {self.device}")
    refresh_if_stale(self)
    check_inplace("setitem", self, value)
    try:  # NumPy checks the shapes before it writes anything
        if is_recording(self, value):
            if value.array.dtype != self.array.dtype:
                value = value.to(self.dtype)
            return commit("setitem", self, SetItem.apply(self, value, key))
        self.array[key] = value.array
    except ValueError:
        raise RuntimeError(
            f"setitem: shape mismatch: value tensor of shape {value.shape} cannot be broadcast to indexing result "
            f"of shape {tuple(self.array[key].shape)}"
        ) from None
    mark_modified(self)
    return self
