"""In-place ops: ``add_``, ``mul_``, ``div_``, ``fill_``, ``clamp_``, ``copy_``,
``normal_``, ``uniform_`` and ``t[key] = value``.

An in-place op overwrites the tensor's array and bumps its version counter. If an
earlier op saved that array for its backward, the engine sees the version change
and raises instead of computing a wrong gradient.

When the graph is being recorded, the new value is computed by the ordinary
(out-of-place) op and written in, and the tensor takes over that op's ``grad_fn``:
its history now ends in the in-place op, as in PyTorch. The old values are copied
first only when that op's backward reads them (``x.mul_(w)`` keeps x for
dL/dw = g * x); ``add_``, ``fill_``, ``copy_`` and ``t[key] = v`` never do.

Views. ``x[0]``, ``x.T``, ``x.reshape(...)`` share memory with ``x`` (see
``autograd/views.py``), so writing into a view writes into its base. The base's
history must change too: it becomes ``CopySlices(base, result)`` ("the old base with
the view's elements replaced by the op's result"), and the view is made again from
the new base. In-place ops on a leaf that requires grad, or on a view of one, are
refused (they would rewrite the value the gradient is taken at).
"""
from .. import backend
from ..autograd import grad_mode
from ..autograd.function import Function
from ..autograd.views import MULTI_OUTPUT_VIEW, mark_modified, refresh_if_stale, refresh_view, replay_array
from ..backend import get_array_module
from ..random import numpy_generator
from ..tensor import Tensor
from . import elementwise
from .index import normalize_key
from ..shape_checks import broadcast_shape


def _recording(self, *others):
    return grad_mode._enabled and (self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))


def _check_inplace(op, self, *others):
    """Refuse the in-place writes PyTorch refuses, before anything is written."""
    _check_writable(op, self.array)
    if not grad_mode._enabled:
        return
    base = self._base
    leaf = self if base is None else base
    if leaf._requires_grad and leaf.grad_fn is None:
        what = "a leaf Variable" if base is None else "a view of a leaf Variable"
        raise RuntimeError(
            f"{op}: {what} that requires grad (shape {self.shape}) is being used in an in-place operation. "
            "Wrap the update in `with tge.no_grad():` (as optimizers do), or use the out-of-place op."
        )
    if base is None or not (base._requires_grad or _recording(self, *others)):
        return
    if self._view_steps is None:
        raise RuntimeError(
            f"{op}: a view was created in no_grad mode and is being modified inplace with grad mode enabled. "
            "Make the view and modify it both inside the no_grad block (not recorded) or both outside (recorded)."
        )
    if any(step[4] is not None for step in self._view_steps):
        raise RuntimeError(f"{op}: " + MULTI_OUTPUT_VIEW.format(what="is being"))


def _check_writable(op, array):
    if any(stride == 0 and n > 1 for stride, n in zip(array.strides, array.shape)):
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location (an expand()ed tensor?). Please clone() the tensor before performing the operation."
        )
    if not getattr(array.flags, "writeable", True):  # CuPy arrays have no read-only flag
        raise RuntimeError(f"{op}: the tensor's memory (shape {tuple(array.shape)}) is read-only; clone() it before writing into it")


def _old_values(self):
    """Stand-in for ``self`` as the input of the recorded op: same place in the graph,
    but its own copy of the data, which the in-place write below will not touch."""
    t = Tensor._wrap(self.array.copy())
    t.grad_fn, t._output_nr, t._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
    t._accumulator_ref = self._accumulator_ref
    return t


def _commit(op, self, result):
    """Write ``result`` into ``self`` and, if recorded, make ``self`` its output."""
    if result.shape != self.shape:
        raise RuntimeError(f"{op}: output with shape {self.shape} doesn't match the broadcast shape {result.shape}")
    _check_cast(op, result.array.dtype, self.array.dtype)
    if result.array is not self.array:  # SetItem has written into self's array already
        self.array[...] = result.array
    mark_modified(self)
    if result.grad_fn is not None:
        if self._base is None:
            self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
        else:
            _record_in_base(self, result)
    return self


def _record_in_base(view, result):
    """``view`` (of ``base``) now holds ``result``: record that in the base's history,
    then make the view again from the new base."""
    base = view._base
    xp = get_array_module(base.array)
    # the flat position in base of each element of the view: the view of an array of positions
    where = replay_array(xp.arange(base.array.size).reshape(base.shape), view._view_steps)
    new = CopySlices.apply(base, result, where)
    base.grad_fn, base._output_nr, base._requires_grad = new.grad_fn, new._output_nr, True
    refresh_view(view)


class CopySlices(Function):
    """b_new = b with the elements that a view of b selects replaced by r: the base's
    side of an in-place op on a view (``b[0].mul_(2)``: r = 2 * b[0]). PyTorch's name.

    ``where`` holds the flat positions in b of the view's elements, in the view's
    order. The values were already written through the view's memory, so forward only
    returns b's array.

    Backward: the overwritten elements no longer depend on b; they came from r:
        dL/db = g with g.flat[where] = 0        dL/dr = g.flat[where]
    """

    @staticmethod
    def forward(ctx, b, r, where):
        ctx.save_for_backward(where)
        return b

    @staticmethod
    def backward(ctx, g):
        (where,) = ctx.saved_tensors
        gb = gr = None
        if ctx.needs_input_grad[0]:
            gb = g.copy()  # C-contiguous, so reshape(-1) below is a view to write through
            gb.reshape(-1)[where] = 0
        if ctx.needs_input_grad[1]:
            gr = g.reshape(-1)[where]
        return gb, gr, None


def _check_cast(op, src, dst):
    if src != dst and not (src.kind == dst.kind or (src.kind in "biu" and dst.kind in "fc") or src.kind == "b"):
        raise RuntimeError(f"{op}: result type {src} can't be cast to the desired output type {dst}")


def apply_inplace(op, self, out_of_place, *others, keep_old=True):
    """``self`` := ``out_of_place(self, *others)``: the one way every in-place op (here and
    ``relu_``, ``dropout(inplace=True)``, ...) writes its result and records it in the graph.
    ``keep_old``: that op's backward reads ``self``'s old values, so they are copied
    before the write (the safe default)."""
    refresh_if_stale(self)
    _check_inplace(op, self, *others)
    if _recording(self, *others):
        return _commit(op, self, out_of_place(_old_values(self) if keep_old else self, *others))
    with grad_mode.no_grad():
        return _commit(op, self, out_of_place(self, *others))


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
    _check_inplace(op, self, value)
    if _recording(self, value):
        return _commit(op, self, Fill.apply(self, value))
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
    _check_inplace("setitem", self, value)
    try:  # NumPy checks the shapes before it writes anything
        if _recording(self, value):
            if value.array.dtype != self.array.dtype:
                value = value.to(self.dtype)
            return _commit("setitem", self, SetItem.apply(self, value, key))
        self.array[key] = value.array
    except ValueError:
        raise RuntimeError(
            f"setitem: shape mismatch: value tensor of shape {value.shape} cannot be broadcast to indexing result "
            f"of shape {tuple(self.array[key].shape)}"
        ) from None
    mark_modified(self)
    return self
