"""Every array an op hands back, values and gradients, 0-d included, is an ndarray of
the input's namespace, never a NumPy scalar (``np.float64``): NumPy reductions to 0-d
return scalars, which have no ``.flags``/``.strides`` to write through and are not
CuPy-like. Checked for every op-table entry on its smallest inputs, and on 0-d inputs
wherever the op accepts them: the op's outputs, every gradient the engine hands to a
backward (NumPy's 0-d arithmetic returns scalars; the engine turns the results of
each backward into arrays, the one place that does), and the leaves' ``.grad`` after
two accumulating backward passes."""
import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.testing.op_table import OPS, make_inputs

IDS = [spec.name for spec in OPS]
REFUSALS = (RuntimeError, IndexError, ValueError, TypeError)  # an op that refuses 0-d inputs says so
# the warnings PyTorch gives too, expected on one-element and 0-d inputs (var/std of one value, dropout2d of a 0-d input)
pytestmark = [pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning"),
              pytest.mark.filterwarnings("ignore:dropout2d. Received a 0-D input:UserWarning")]


def _outputs(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def check_arrays(spec, inputs):
    outputs = _outputs(spec.fn(*inputs))
    for k, out in enumerate(outputs):
        assert isinstance(out, Tensor) and type(out.array) is np.ndarray, \
            f"{spec.name}: output {k} holds a {type(out.array).__name__}"
    for node in _graph_nodes(outputs):
        node.function = _checking(node.function, spec.name)
    floats = [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
    if floats:
        loss = sum((o * 1.0).sum() for o in floats)
        loss.backward(retain_graph=True)
        loss.backward()  # accumulates into .grad
    for i, t in enumerate(inputs):
        if t.requires_grad:
            assert t.grad is not None and type(t.grad.array) is np.ndarray, \
                f"{spec.name}: the gradient of input {i} holds a {type(getattr(t.grad, 'array', None)).__name__}"


def _graph_nodes(outputs):
    """The op nodes (not leaf accumulators) of the graph behind ``outputs``."""
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    seen = {}
    while stack:
        node = stack.pop()
        if id(node) in seen or not hasattr(node, "function"):
            continue
        seen[id(node)] = node
        stack.extend(child for child, _ in node.next_functions if child is not None)
    return list(seen.values())


def _checking(function, name):
    """``function`` whose backward first checks that every gradient it receives is an ndarray."""

    class Checked(function):
        @staticmethod
        def backward(ctx, *grads):
            for k, g in enumerate(grads):
                assert type(g) is np.ndarray, f"{name}: {function.__name__}.backward received a {type(g).__name__} " \
                                              f"as the gradient of output {k}"
            return function.backward(ctx, *grads)

    Checked.__name__ = function.__name__
    return Checked


@pytest.mark.parametrize("spec", OPS, ids=IDS)
def test_smallest_inputs_give_arrays(spec):
    shapes = spec.shapes(lambda low, high: low)
    check_arrays(spec, make_inputs(spec, shapes, np.random.default_rng(0)))


def test_zero_d_inputs_give_arrays():
    """Every op that accepts all-0-d inputs (those that need dims refuse them with an error)."""
    checked = []
    for spec in OPS:
        shapes = tuple(() for _ in spec.domains)
        try:
            spec.fn(*make_inputs(spec, shapes, np.random.default_rng(0)))
        except REFUSALS:
            continue
        check_arrays(spec, make_inputs(spec, shapes, np.random.default_rng(0)))
        checked.append(spec.name)
    assert len(checked) >= 50, f"only {len(checked)} ops ran on 0-d inputs: {checked}"
    for name in ("sum", "prod", "cumsum", "cumprod", "sort", "mul", "exp", "norm"):
        assert name in checked or name not in {s.name for s in OPS}, f"{name} was not checked on 0-d inputs"
