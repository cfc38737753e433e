"""``Parameter``: a tensor that a ``Module`` owns and an optimizer updates.

It is an ordinary ``Tensor`` with two differences: it requires grad by default, and
assigning one to a module attribute (``self.weight = Parameter(...)``) registers it,
so that ``module.parameters()`` and ``state_dict()`` find it.
"""
from ..creation import empty
from ..tensor import Tensor, _infer_array


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``.

    ``data`` (a tensor or an array) is shared, not copied, as in PyTorch. Results of
    ops on a parameter are plain tensors: only the leaf itself is a Parameter.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        Tensor.__init__(self, _infer_array(data), requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.array.copy(), self.requires_grad)
        if self.grad is not None:
            result.grad = Tensor._wrap(self.grad.array.copy())
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        # pickling: rebuild from the data and the flag, leaving the graph links behind
        return (_rebuild_parameter, (self.array, self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
