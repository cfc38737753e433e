"""Views and version counters: how autograd notices in-place writes.

Version counters. Every tensor has one: how many times its array has been written
in place. Tensors that share memory share the counter (views, ``detach()``), as in
PyTorch. Every in-place writer - the in-place ops, ``nn.init``, optimizers,
``load_state_dict`` - calls ``mark_modified(t)`` after it writes. A backward that
saved an array checks that its counter has not moved since (``Context.saved_tensors``)
and raises instead of computing a wrong gradient.

Views. An op output that shares memory with an input (``x[0]``, ``x.T``,
``x.reshape``, ``split``, ``expand``: NumPy makes these without copying) is a *view*
of it: writing into one writes into the other. ``Function.apply`` therefore gives a
view its base's version counter and remembers the base (``t._base``, the tensor that
owns the memory, never another view) and how to make the view again from it
(``t._view_steps``). That lets ``autograd/inplace.py`` record an in-place op on a view in
the base's history too, and lets a view whose base was modified in place get a fresh
``grad_fn`` (``refresh_view``) before it is used again.
"""
from . import grad_mode
from ..backend import get_array_module
from ..tensor import Tensor


class VersionCounter:
    """How many times a tensor's data has been modified in place. Shared by all
    tensors that share the data (views, ``detach()``), as in PyTorch."""

    # No __init__: a new counter reads this class-level 0 until its first in-place write
    # sets its own value. Every op result gets a counter, so making one must be cheap.
    value = 0


# In-place writes so far, to any tensor. An op that saves arrays notes it; while it has not
# moved since, none of them can have been modified and ``saved_tensors`` has nothing to check.
writes = 0


def mark_modified(tensor):
    """Record that ``tensor``'s array was just written in place: the one call every
    in-place writer makes, so autograd can spot saved values that went stale."""
    global writes
    tensor._version.value += 1
    writes += 1


def viewed_input(array, tensors):
    """The input tensor whose memory ``array`` shares (the output is a view of it), or None."""
    for t in tensors:
        if array is t.array:
            return t
    if array.base is None:  # the array owns its memory: a new result
        return None
    xp = get_array_module(array)
    for t in tensors:
        if xp.may_share_memory(array, t.array):  # a bounds check: cheap, never misses a view
            return t
    return None


def mark_view(t, source, step, grad_enabled):
    """Make output ``t`` a view of input ``source``: same version counter, same base, and
    the steps that make it again from the base. ``step`` is ``(cls, args, kwargs,
    output_index)`` of the op that made it; a view made under ``no_grad()`` keeps no
    steps (PyTorch forbids recording an in-place op on it)."""
    t._version = source._version
    t._base = source if source._base is None else source._base
    t._view_version = t._version.value
    if grad_enabled and (source._base is None or source._view_steps is not None):
        cls, args, kwargs, index = step
        pos = next(i for i, a in enumerate(args) if a is source)
        rest = args[:pos] + (None,) + args[pos + 1:]  # not the source itself: keep no graph alive
        t._view_steps = (source._view_steps or ()) + ((cls, rest, kwargs, pos, index),)


def replay(base, steps):
    """Make a view of ``base`` again, recorded: the steps applied to ``base`` as it is now."""
    t = base
    for cls, args, kwargs, pos, index in steps:
        out = cls.apply(*args[:pos], t, *args[pos + 1:], **kwargs)
        t = out if index is None else out[index]
    return t


def replay_array(array, steps):
    """The same view steps on a plain array, nothing recorded."""
    with grad_mode.no_grad():
        return replay(Tensor._wrap(array), steps).array


def refresh_view(t):
    """``t`` is a view whose base (or another view of it) was modified in place: its
    ``grad_fn`` still points into the base's old history. Make it again from the base,
    so that its gradient flows through the in-place op as its values do."""
    if not grad_mode._enabled:
        return  # nothing is recorded now; refresh when it is
    t._view_version = t._version.value
    steps, base = t._view_steps, t._base
    if steps is None:
        return  # made under no_grad(): it has no history to refresh
    if base._requires_grad and any(step[4] is not None for step in steps):
        raise RuntimeError(MULTI_OUTPUT_VIEW.format(what="its base or another view of its base has been"))
    fresh = replay(base, steps)
    t.grad_fn, t._output_nr, t._requires_grad = fresh.grad_fn, fresh._output_nr, fresh._requires_grad


def refresh_if_stale(t):
    """Refresh ``t`` if it is a view and its base was modified in place since its grad_fn was made."""
    if t._base is not None and t._view_version != t._version.value:
        refresh_view(t)


MULTI_OUTPUT_VIEW = (
    "a view made by a function that returns several views (split, chunk) {what} modified in place. Such "
    "views cannot be modified in place while their base requires grad; use the out-of-place op instead."
)
