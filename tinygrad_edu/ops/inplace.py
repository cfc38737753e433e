"""In-place ops: ``add_``, ``mul_``, ``div_``, ``fill_``, ``clamp_``, ``copy_``,
``normal_``, ``uniform_`` and ``t[key] = value``.

An in-place op overwrites the tensor's array and bumps its version counter. If an
earlier op saved that array for its backward, the engine sees the version change
and raises instead of computing a wrong gradient.

When the graph is being recorded, the new value is computed by the ordinary
(out-of-place) op and copied in, and the tensor takes over that op's ``grad_fn``:
its history now ends in the in-place op, as in PyTorch. In-place ops on a leaf that
requires grad are refused (they would rewrite the value the gradient is taken at).
"""
from .. import backend
from ..autograd import grad_mode
from ..autograd.function import Function
from ..backend import get_array_module
from ..random import numpy_generator
from ..tensor import Tensor
from . import elementwise
from .index import normalize_key


def _recording(self, *others):
    return grad_mode._enabled and (self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))


def _check_leaf(op, self):
    if grad_mode._enabled and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad (shape {self.shape}) is being used in an in-place operation. "
            "Wrap the update in `with tge.no_grad():` (as optimizers do), or use the out-of-place op."
        )


def _graph_input(self):
    """Stand-in for ``self`` as the input of the recorded op: same place in the graph,
    but its own copy of the data, which the in-place write below will not touch."""
    t = Tensor._wrap(self.data.copy())
    t.grad_fn, t._output_nr, t._requires_grad = self.grad_fn, self._output_nr, self._requires_grad
    t._accumulator_ref = self._accumulator_ref
    return t


def _commit(op, self, result):
    """Write ``result`` into ``self`` and, if recorded, make ``self`` its output."""
    if result.shape != self.shape:
        raise RuntimeError(f"{op}: output with shape {self.shape} doesn't match the broadcast shape {result.shape}")
    _check_cast(op, result.data.dtype, self.data.dtype)
    self.data[...] = result.data
    self._version.value += 1
    if result.grad_fn is not None:
        self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, result._output_nr, True
    return self


def _check_cast(op, src, dst):
    if src != dst and not (src.kind == dst.kind or (src.kind in "biu" and dst.kind in "fc") or src.kind == "b"):
        raise RuntimeError(f"{op}: result type {src} can't be cast to the desired output type {dst}")


def _apply(op, self, out_of_place, *others):
    _check_leaf(op, self)
    if _recording(self, *others):
        return _commit(op, self, out_of_place(_graph_input(self), *others))
    with grad_mode.no_grad():
        return _commit(op, self, out_of_place(self, *others))


def add_(self, other, alpha=1):
    return _apply("add_", self, lambda s, o: elementwise.add(s, o, alpha=alpha), other)


def mul_(self, other):
    return _apply("mul_", self, elementwise.mul, other)


def div_(self, other):
    return _apply("div_", self, elementwise.div, other)


def clamp_(self, min=None, max=None):
    return _apply("clamp_", self, lambda s: elementwise.clamp(s, min, max))


def copy_(self, src):
    """Copy ``src`` (broadcast to ``self``'s shape) into ``self``; the gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        src = Tensor(src)
    if src.device != self.device:
        src = src.to(self.device)
    return _apply("copy_", self, lambda s, o: elementwise.add(elementwise.mul(s, 0), o).to(dtype=s.dtype), src)


def fill_(self, value):
    """Set every element to ``value``; the old values get a zero gradient."""
    _check_leaf("fill_", self)
    if _recording(self, value):
        return _commit("fill_", self, elementwise.add(elementwise.mul(_graph_input(self), 0), value))
    self.data[...] = value.data if isinstance(value, Tensor) else value
    self._version.value += 1
    return self


def normal_(self, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2) drawn from the framework's generator."""
    sample = numpy_generator(generator).normal(mean, std, size=self.shape)
    return fill_(self, Tensor._wrap(backend.to_device(sample.astype(self.dtype), self.device)))


def uniform_(self, a=0.0, b=1.0, generator=None):
    """Fill with samples from U[a, b) drawn from the framework's generator."""
    sample = numpy_generator(generator).uniform(a, b, size=self.shape)
    return fill_(self, Tensor._wrap(backend.to_device(sample.astype(self.dtype), self.device)))


class SetItem(Function):
    """z = x with z[key] = v  (the out-of-place form of ``x[key] = v``).

    Backward: the positions that were overwritten no longer depend on x:
        dL/dx = g with g[key] = 0        dL/dv = g[key]
    (the engine sums dL/dv back to v's shape if v was broadcast into the slice).
    """

    @staticmethod
    def forward(ctx, x, v, key):
        ctx.key = key
        z = x.copy()
        z[key] = v
        return z

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g.copy()
            gx[ctx.key] = 0
        if ctx.needs_input_grad[1]:
            gv = g[ctx.key]
        return gx, gv, None


def setitem(self, key, value):
    """``self[key] = value``: an in-place write, recorded in the graph when needed."""
    key = normalize_key("setitem", key, self.shape, get_array_module(self.data))
    if not isinstance(value, Tensor):
        xp = get_array_module(self.data)
        value = Tensor._wrap(xp.asarray(value, dtype=self.data.dtype))
    elif value.device != self.device:
        raise RuntimeError(f"setitem: value is on {value.device} but the tensor is on {self.device}")
    _check_leaf("setitem", self)
    if _recording(self, value):
        if value.data.dtype != self.data.dtype:
            value = value.to(self.dtype)
        return _commit("setitem", self, SetItem.apply(_graph_input(self), value, key))
    try:
        self.data[key] = value.data
    except ValueError as e:
        raise RuntimeError(f"setitem: cannot assign a value of shape {value.shape} to the selection: {e}") from None
    self._version.value += 1
    return self
