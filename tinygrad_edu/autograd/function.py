"""``Function``: one op with a forward and a hand-written backward, and its graph node.

Writing an op looks exactly like ``torch.autograd.Function``::

    class Mul(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    z = Mul.apply(a, b)

One deliberate difference from PyTorch: ``forward`` and ``backward`` receive and
return *arrays* (NumPy or CuPy, the ``.data`` of the tensors), not Tensors. That is
where the math lives, written with the array namespace ``xp`` of the inputs, and it
keeps the engine from recording the op's own arithmetic. ``apply`` unwraps the
Tensor arguments, runs ``forward`` and wraps the result; non-Tensor arguments
(Python numbers, shapes, flags) pass through unchanged and get ``None`` gradients.

The ``ctx`` object is also the graph node: it becomes the output's ``grad_fn``,
remembers where each input came from (``next_functions``), and is what the engine
calls during backward.

Views. An output that shares memory with an input (``x[0]``, ``x.T``, ``x.reshape``,
``split``, ``expand``: NumPy makes these without copying) is a *view* of it: writing
into one writes into the other. As in PyTorch, ``apply`` therefore gives a view its
base's version counter and remembers the base (``t._base``, the tensor that owns the
memory, never another view) and how to make the view again from it
(``t._view_steps``). That lets ``ops/inplace.py`` record an in-place op on a view in
the base's history too, and lets a view whose base was modified in place get a fresh
``grad_fn`` (``_refresh_view``) before it is used again.
"""
import numpy as np

from . import anomaly, grad_mode
from ..backend import get_array_module


class VersionCounter:
    """How many times a tensor's data has been modified in place. Shared by all
    tensors that share the data (views, ``detach()``), as in PyTorch."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Node:
    """Base of every graph node: a name and the edges to the nodes of its inputs."""

    next_functions = ()

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The node behind a leaf tensor: it adds the gradient that reaches it to ``.grad``."""

    def __init__(self, variable):
        self.variable = variable


class Context(Node):
    """The ``ctx`` of one op application, and that op's node in the graph."""

    def __init__(self, function):
        self.function = function
        self.needs_input_grad = ()
        self.next_functions = ()
        self._to_save = ()
        self._saved_versions = None
        self._freed = False
        self._non_differentiable = ()
        self._input_meta = ()  # (shape, dtype) per input, to reshape and cast gradients
        self._output_meta = ()  # (shape, dtype, xp) per output, to make zero gradients
        self._output_hooks = None  # {output_nr: [hook, ...]} from Tensor.register_hook
        self._forward_stack = None

    def name(self):
        return self.function.__name__ + "Backward"

    def save_for_backward(self, *arrays):
        """Keep arrays for backward. Saved inputs and outputs are version-checked:
        modifying one in place before backward raises an error instead of silently
        giving a wrong gradient."""
        self._to_save = arrays

    def mark_non_differentiable(self, *arrays):
        """Declare outputs (e.g. the indices of ``max``) that never carry a gradient."""
        self._non_differentiable = arrays

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read saved "
                "tensors after they were freed). Saved values are freed when you call .backward() or "
                "autograd.grad(); pass retain_graph=True to the first call if you need to backward twice."
            )
        if self._saved_versions is not None:
            for array, record in zip(self._to_save, self._saved_versions):
                if record is not None and record[0].value != record[1]:
                    counter, version, where = record
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: [{array.dtype} tensor of shape {tuple(array.shape)}], which is "
                        f"{where} and was saved by {self.name()}, is at version {counter.value}; expected "
                        f"version {version} instead. Hint: use the out-of-place op (x = x + 1, not x += 1) "
                        "or .clone() the tensor before modifying it."
                    )
        return self._to_save

    def _record_saved_versions(self, args, outputs):
        """Remember the version of every saved array that is an input's or output's data."""
        owners = {}
        for i, a in enumerate(args):
            if isinstance(a, _tensor.Tensor):
                owners[id(a.data)] = (a._version, f"input {i} of {self.name()}")
        for i, t in enumerate(outputs):
            owners[id(t.data)] = (t._version, f"output {i} of {self.name()}")
        records = []
        for array in self._to_save:
            owner = owners.get(id(array))
            records.append(None if owner is None else (owner[0], owner[0].value, owner[1]))
        self._saved_versions = records

    def _free(self):
        self._to_save = ()
        self._saved_versions = None
        self._freed = True


class Function:
    """Base class of every op: subclass it and write ``forward`` and ``backward``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on Tensors (and plain values) and record it in the graph."""
        Tensor = _tensor.Tensor
        ctx = Context(cls)
        tensors = [a for a in args if isinstance(a, Tensor)]
        if len(tensors) > 1:
            _check_same_device(cls, tensors)
        for t in tensors:
            _refresh_if_stale(t)  # a view whose base was modified in place since it was made
        record = grad_mode._enabled and any(t._requires_grad for t in tensors)
        raw = [a.data if isinstance(a, Tensor) else a for a in args]
        if record:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        else:
            ctx.needs_input_grad = (False,) * len(args)

        previous_mode = grad_mode._enabled
        grad_mode._enabled = False  # the op's own arithmetic is not recorded
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        finally:
            grad_mode._enabled = previous_mode
        is_tuple = isinstance(out, tuple)
        outputs = tuple(Tensor._wrap(_as_array(o)) for o in (out if is_tuple else (out,)))
        for i, t in enumerate(outputs):
            source = _viewed_input(t.data, tensors)
            if source is not None:
                _mark_view(t, source, (cls, args, kwargs, i if is_tuple else None), previous_mode)

        if record:
            ctx.next_functions = tuple(_edge(a) if isinstance(a, Tensor) else (None, 0) for a in args)
            ctx._input_meta = tuple((a.data.shape, a.data.dtype) if isinstance(a, Tensor) else None for a in args)
            ctx._output_meta = tuple((t.data.shape, t.data.dtype) for t in outputs)
            non_diff = {id(a) for a in ctx._non_differentiable}
            for i, t in enumerate(outputs):
                if id(t.data) not in non_diff and t.data.dtype.kind in "fc":
                    t.grad_fn = ctx
                    t._output_nr = i
                    t._requires_grad = True
            if ctx._to_save:
                ctx._record_saved_versions(args, outputs)
            if anomaly._enabled:
                ctx._forward_stack = anomaly.forward_stack()
        else:
            ctx._to_save = ()  # nothing will call backward: free the saved arrays now
        return outputs if is_tuple else outputs[0]


def _as_array(a):
    """NumPy reductions to 0-d return a scalar (np.float32), not an array: wrap it."""
    return np.asarray(a) if isinstance(a, np.generic) else a


def _edge(t):
    """Where a gradient for tensor ``t`` must go: its grad_fn, or its leaf accumulator."""
    if not t._requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._accumulator(), 0)


# ----------------------------------------------------------------------- views
def _viewed_input(array, tensors):
    """The input tensor whose memory ``array`` shares (the output is a view of it), or None."""
    for t in tensors:
        if array is t.data:
            return t
    if array.base is None:  # the array owns its memory: a new result
        return None
    xp = get_array_module(array)
    for t in tensors:
        if xp.may_share_memory(array, t.data):  # a bounds check: cheap, never misses a view
            return t
    return None


def _mark_view(t, source, step, grad_enabled):
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


def _replay(base, steps):
    """Make a view of ``base`` again, recorded: the steps applied to ``base`` as it is now."""
    t = base
    for cls, args, kwargs, pos, index in steps:
        out = cls.apply(*args[:pos], t, *args[pos + 1:], **kwargs)
        t = out if index is None else out[index]
    return t


def _replay_array(array, steps):
    """The same view steps on a plain array (their forwards only, nothing recorded)."""
    for cls, args, kwargs, pos, index in steps:
        raw = [a.data if isinstance(a, _tensor.Tensor) else a for a in args]
        raw[pos] = array
        ctx = Context(cls)
        ctx.needs_input_grad = (False,) * len(raw)
        out = cls.forward(ctx, *raw, **kwargs)
        array = _as_array(out if index is None else out[index])
    return array


def _refresh_view(t):
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
        raise RuntimeError(_MULTI_OUTPUT_VIEW.format(what="its base or another view of its base has been"))
    fresh = _replay(base, steps)
    t.grad_fn, t._output_nr, t._requires_grad = fresh.grad_fn, fresh._output_nr, fresh._requires_grad


def _refresh_if_stale(t):
    """Refresh ``t`` if it is a view and its base was modified in place since its grad_fn was made."""
    if t._base is not None and t._view_version != t._version.value:
        _refresh_view(t)


_MULTI_OUTPUT_VIEW = (
    "a view made by a function that returns several views (split, chunk) {what} modified in place. Such "
    "views cannot be modified in place while their base requires grad; use the out-of-place op instead."
)


def _check_same_device(fn, tensors):
    """Refuse an op whose tensor inputs live on different devices (PyTorch's message).

    Moving data silently would hide a slow host<->device copy inside an op, so the user
    moves it, once, with ``.to(device)``. (PyTorch lets a 0-d CPU tensor join a CUDA op
    as a scalar; here it must be moved too, or passed as a Python number.)"""
    kind = type(tensors[0].data)
    for t in tensors[1:]:
        if type(t.data) is not kind or (kind is not np.ndarray and t.device != tensors[0].device):
            raise RuntimeError(
                f"{fn.__name__}: Expected all tensors to be on the same device, but found at least two "
                f"devices, {tensors[0].device} and {t.device}! Move them to one device with .to(device) first."
            )


# tensor.py imports this module while it is being defined, so Tensor is looked up
# from that module at call time rather than imported here.
from .. import tensor as _tensor  # noqa: E402
