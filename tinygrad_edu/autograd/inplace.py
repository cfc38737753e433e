"""Recording an in-place write: PyTorch's checks, the write, and the graph's rewiring.

Every in-place op (``ops/inplace.py``, ``relu_``, ``dropout(inplace=True)``, ...) goes
through ``apply_inplace``; the ops that overwrite without reading (``fill_``, ``copy_``,
``t[key] = v``) use its parts, ``check_inplace`` and ``commit``.

The write overwrites the tensor's array and calls ``mark_modified`` (``views.py``): if an
earlier op saved that array for its backward, the engine sees the version change and
raises instead of computing a wrong gradient.

When the graph is being recorded, the new value is computed by the ordinary
(out-of-place) op and written in, and the tensor takes over that op's ``grad_fn``: its
history now ends in the in-place op, as in PyTorch. The old values are copied first
only when that op's backward reads them (``x.mul_(w)`` keeps x for dL/dw = g * x).

A view shares memory with its base, so writing into a view writes into the base, and
the base's history must change too: it becomes ``CopySlices(base, result)`` ("the old
base with the view's elements replaced by the op's result"), and the view is made again
from the new base. In-place ops on a leaf that requires grad, or on a view of one, are
refused (they would rewrite the value the gradient is taken at).
"""
from . import grad_mode
from .function import Function
from .views import MULTI_OUTPUT_VIEW, mark_modified, refresh_if_stale, refresh_view, replay_array
from ..backend import get_array_module
from ..tensor import Tensor


def is_recording(self, *others):
    return grad_mode._enabled and (self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))


def check_inplace(op, self, *others):
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
    if base is None or not (base._requires_grad or is_recording(self, *others)):
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


def old_values(self):
    """Stand-in for ``self`` as the input of the recorded op: same place in the graph,
    but its own copy of the data, which the in-place write below will not touch."""
    t = Tensor._wrap(self.array.copy())
    t.grad_fn, t._output_nr, t._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
    t._accumulator_ref = self._accumulator_ref
    return t


def commit(op, self, result):
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
    check_inplace(op, self, *others)
    if is_recording(self, *others):
        return commit(op, self, out_of_place(old_values(self) if keep_old else self, *others))
    with grad_mode.no_grad():
        return commit(op, self, out_of_place(self, *others))
