"""``Variable``: PyTorch's old name for a tensor that records a graph (before 0.4 a
Tensor was wrapped in a Variable to get gradients). Old programs still write
``Variable(x, requires_grad=True)``; as in PyTorch today it returns a Tensor: a new leaf
sharing ``x``'s memory, with ``requires_grad`` set. ``isinstance(t, Variable)`` is True
for every Tensor, as in PyTorch. ``volatile`` is accepted and ignored (PyTorch ignores
it too, with a warning; use ``no_grad()``)."""
from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)`` -> a Tensor sharing ``data``'s memory."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)

