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
return *arrays* (NumPy or CuPy, the ``.array`` of the tensors), not Tensors. That is
where the math lives, written with the array namespace ``xp`` of the inputs, and it
keeps the engine from recording the op's own arithmetic. ``apply`` unwraps the
Tensor arguments, runs ``forward`` and wraps the result; non-Tensor arguments
(Python numbers, shapes, flags) pass through unchanged and get ``None`` gradients.

The ``ctx`` object is also the graph node: it becomes the output's ``grad_fn``,
remembers where each input came from (``next_functions``), and is what the engine
calls during backward.

Views and version counters (``x[0]`` shares memory with ``x``; an in-place write bumps a
counter that saved values are checked against) live in ``views.py``.
"""
import weakref

import numpy as np

from . import anomaly, grad_mode
from .. import fp_errors
from . import views
from .views import mark_view, refresh_if_stale, viewed_input
from ..backend import is_array
from ..tensor import Tensor


class Node:
    """Base of every graph node: a name and the edges to the nodes of its inputs."""

    next_functions = ()

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The node behind a leaf tensor: it adds the gradient that reaches it to ``.grad``."""

    _output_meta = (None,)  # one gradient slot in the engine's buffers: the leaf's

    def __init__(self, variable):
        self.variable = variable


class Context(Node):
    """The ``ctx`` of one op application, and that op's node in the graph.

    The attributes most ops never set have class-level defaults (read through the
    instance until an op or the engine assigns one): a graph node is made for every op
    call, so its construction is part of the per-op cost the tiny-graph benchmark measures.
    """

    needs_input_grad = ()
    _to_save = ()
    _saved_versions = None  # [(counter, version, "input" or "output", index) or None] per saved array
    _writes_at_save = 0  # views.writes when they were recorded
    _freed = False
    _non_differentiable = ()
    _input_meta = ()  # (shape, dtype) per input, to reshape and cast gradients (a list once recorded)
    _output_meta = ()  # (shape, dtype) per output, to make zero gradients (a list once recorded)
    _output_hooks = None  # {output_nr: [hook, ...]} from Tensor.register_hook
    _forward_stack = None  # where the forward ran, in anomaly mode

    def __init__(self, function):
        self.function = function

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
        if self._saved_versions is not None and views.writes != self._writes_at_save:  # some tensor was written since
            for array, record in zip(self._to_save, self._saved_versions):
                if record is not None and record[0].value != record[1]:
                    counter, version, kind, index = record
                    if kind == "input":  # index among the Tensor arguments: count them to find its argument number
                        index = [i for i, meta in enumerate(self._input_meta) if meta is not None][index]
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: [{array.dtype} tensor of shape {tuple(array.shape)}], which is "
                        f"{kind} {index} of {self.name()} and was saved by {self.name()}, is at version {counter.value}; expected "
                        f"version {version} instead. Hint: use the out-of-place op (x = x + 1, not x += 1) "
                        "or .clone() the tensor before modifying it."
                    )
        return self._to_save

    def _record_saved_versions(self, inputs, outputs):
        """Remember the version of every saved array that is the data of one of the op's
        Tensor ``inputs`` or ``outputs``: ``(version counter, its value now, "input" or
        "output", index among them)``, or None for a saved intermediate, which nobody else
        can modify. The inputs are searched first: they are what ops save most. (The index
        is counted by hand: ``enumerate``'s pair a step cost 0.5-1.5% of the scalar graph.)"""
        records = []
        for array in self._to_save:
            record = None
            if array is not None:
                index = 0
                for t in inputs:
                    if t.array is array:
                        record = (t._version, t._version.value, "input", index)
                        break
                    index += 1
                else:  # the loop found no input holding it (no break): look among the outputs
                    index = 0
                    for t in outputs:
                        if t.array is array:
                            record = (t._version, t._version.value, "output", index)
                            break
                        index += 1
            records.append(record)
        self._saved_versions = records
        self._writes_at_save = views.writes

    def _free(self):
        """After backward: let go of the arrays this node holds. The node itself lives as
        long as the graph (the next node's edges point to it), so an array it keeps (max
        pooling's int64 indices, marked non-differentiable) would otherwise stay until the
        whole backward pass ends."""
        self._to_save = ()
        self._saved_versions = None
        self._non_differentiable = ()
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
        ctx = Context(cls)
        grad_enabled = grad_mode._enabled
        tensors = []  # the Tensor arguments
        raw = []  # every argument, Tensors replaced by their arrays
        wants_grad = []  # per argument: a Tensor that requires grad?
        edges = []  # per argument: where its gradient goes, (None, 0) for nowhere
        input_meta = []  # per argument: a Tensor's (shape, dtype), to reshape and cast its gradient
        all_numpy = True  # every Tensor argument on the CPU, so on one device
        for a in args:
            if isinstance(a, Tensor):
                array = a.array
                if type(array) is not np.ndarray:
                    all_numpy = False
                if grad_enabled:
                    if a._base is not None:
                        refresh_if_stale(a)  # a view whose base was modified in place since: new grad_fn
                    edges.append(_edge(a))
                else:
                    edges.append(_NO_EDGE)
                tensors.append(a)
                raw.append(array)
                wants_grad.append(a._requires_grad)
                input_meta.append((array.shape, array.dtype))
            else:
                edges.append(_NO_EDGE)
                raw.append(a)
                wants_grad.append(False)
                input_meta.append(None)
        if not all_numpy and len(tensors) > 1:
            _check_same_device(cls, tensors)
        record = grad_enabled and any(wants_grad)
        ctx.needs_input_grad = tuple(wants_grad) if record else (False,) * len(args)

        # forward runs with grad mode off (its own arithmetic is not recorded) and NumPy's
        # floating-point warnings off (log(0) = -inf, silently, as in PyTorch: fp_errors.py)
        grad_mode._enabled = False
        token = fp_errors.ignore()
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        finally:
            fp_errors.restore(token)
            grad_mode._enabled = grad_enabled
        is_tuple = isinstance(out, tuple)
        if is_tuple:
            outputs = tuple([Tensor._wrap(_checked_output(cls, i, o)) for i, o in enumerate(out)])
        else:
            outputs = (Tensor._wrap(_checked_output(cls, 0, out)),)
        output_meta = []
        i = -1  # the output's number, counted by hand: enumerate's pair a step costs more
        for t in outputs:
            i += 1
            source = viewed_input(t.array, tensors)
            if source is not None:
                mark_view(t, source, (cls, args, kwargs, i if is_tuple else None), grad_enabled)
            if record:  # the output comes from this node (unless it is an integer or marked so)
                output_meta.append((t.array.shape, t.array.dtype))
                marked = ctx._non_differentiable and _is_one_of(t.array, ctx._non_differentiable)
                if t.array.dtype.kind in "fc" and not marked:
                    t.grad_fn = ctx
                    t._output_nr = i
                    t._requires_grad = True

        if record:
            ctx.next_functions = tuple(edges)  # a tuple, as PyTorch's
            ctx._input_meta, ctx._output_meta = input_meta, output_meta  # private: no copy into tuples
            if ctx._to_save:
                ctx._record_saved_versions(tensors, outputs)
            if anomaly._enabled:
                ctx._forward_stack = anomaly.forward_stack()
        else:
            ctx._to_save = ()  # nothing will call backward: free the saved arrays now
        return outputs if is_tuple else outputs[0]


_NO_EDGE = (None, 0)  # the edge of an argument that needs no gradient


def _is_one_of(array, arrays):
    """``array`` is (the very object) one of ``arrays``."""
    for a in arrays:
        if a is array:
            return True
    return False


def _as_array(a):
    """NumPy reductions to 0-d return a scalar (np.float32), not an array: wrap it."""
    return np.asarray(a) if isinstance(a, np.generic) else a


def _checked_output(cls, index, out):
    """Output ``index`` of ``cls.forward`` as an array, or an error that says what is wrong."""
    if isinstance(out, np.generic):  # what 0-d arithmetic gives (the scalar graphs): first, before is_array's call
        return np.asarray(out)
    if is_array(out):
        return out
    if isinstance(out, list):
        hint = "return a tuple of arrays for several outputs (a list is not accepted, as in PyTorch)"
    elif isinstance(out, Tensor):
        hint = ("here forward receives and returns arrays, not Tensors (see autograd/function.py): "
                "compute on the arrays it was given and return the array")
    else:
        hint = "forward must return an array of its inputs' namespace (NumPy/CuPy), or a tuple of them"
    where = f"output {index}" if index else "its output"
    raise TypeError(f"{cls.__name__}.forward returned a {type(out).__name__} as {where}; {hint}")


def gradient_edge(t):
    """Where a gradient for tensor ``t`` must go: ``(its grad_fn, output number)``, its
    leaf's ``AccumulateGrad`` node, or ``(None, 0)`` when it needs none."""
    refresh_if_stale(t)
    return _edge(t)


def _edge(t):
    """``gradient_edge`` of a tensor known to be fresh (not a stale view)."""
    if not t._requires_grad:
        return _NO_EDGE
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (leaf_accumulator(t), 0)


def leaf_accumulator(t):
    """The leaf's ``AccumulateGrad`` node: one per leaf (held weakly, as long as a graph
    uses it), so its hooks see the total gradient."""
    acc = t._accumulator_ref() if t._accumulator_ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accumulator_ref = weakref.ref(acc)
    return acc


def _check_same_device(fn, tensors):
    """Refuse an op whose tensor inputs live on different devices (PyTorch's message).

    Moving data silently would hide a slow host<->device copy inside an op, so the user
    moves it, once, with ``.to(device)``. (PyTorch lets a 0-d CPU tensor join a CUDA op
    as a scalar; here it must be moved too, or passed as a Python number.)"""
    kind = type(tensors[0].array)
    for t in tensors[1:]:
        if type(t.array) is not kind or (kind is not np.ndarray and t.device != tensors[0].device):
            raise RuntimeError(
                f"{fn.__name__}: Expected all tensors to be on the same device, but found at least two "
                f"devices, {tensors[0].device} and {t.device}! Move them to one device with .to(device) first."
            )

