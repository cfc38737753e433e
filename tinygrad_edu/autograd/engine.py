"""The backward pass: reverse-mode differentiation over the recorded graph.

``run_backward`` walks the graph from the outputs to the leaves *iteratively* (a
20,000-op chain must not hit Python's recursion limit):

1. Count, for every node reachable from the outputs, how many edges point into it
   (how many consumers will send it a gradient).
2. Start with the outputs' gradients. A node runs once all its consumers have
   sent their part (its count reaches zero): that is a topological order.
3. Running a node calls its op's ``backward`` with the summed upstream gradients
   and sends each returned input gradient along the matching edge, after
   ``unbroadcast`` sums it back to that input's shape - the one place in the
   framework where broadcasting is undone.
4. Leaves (``AccumulateGrad`` nodes) add what reaches them to ``tensor.grad``.
"""

import numpy as np

from . import anomaly, grad_mode
from .. import fp_errors
from .function import AccumulateGrad, _as_array
from ..backend import get_array_module, is_array
from ..tensor import Tensor


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1,
    so each copy's gradient flows back to the same input element: sum over those axes.
    """
    # BEGIN SOLUTION task 1.2
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(f"unbroadcast: gradient of shape {tuple(grad.shape)} has fewer dims than input {shape}")
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    # keepdims keeps an array (NumPy would return a scalar for a full sum); reshape drops the leading dims
    summed = grad.sum(axis=axes, keepdims=True).reshape(shape)
    if summed.shape != shape:
        raise RuntimeError(f"unbroadcast: gradient of shape {tuple(grad.shape)} cannot be summed to input shape {shape}")
    return summed
    # END SOLUTION


def run_backward(roots, root_grads, retain_graph=False, capture=None):
    """Backpropagate ``root_grads`` (arrays) from ``roots`` (edges: ``(node, output_nr)``).

    With ``capture`` (a dict ``{edge: None}``, used by ``autograd.grad``) the gradients
    arriving at those edges are stored in it and no leaf's ``.grad`` is touched; only
    the part of the graph between the outputs and those edges is run (and freed).

    The whole pass runs with grad mode off, backwards and hooks alike, as in PyTorch
    (without ``create_graph``): nothing it computes is recorded. And as in forward, inf
    and nan are results, not warnings (anomaly mode checks them; ``fp_errors.py``). Both
    are set once for the pass, not per node (that cost about 1 us a node).
    """
    previous = grad_mode._enabled
    grad_mode._enabled = False
    token = fp_errors.ignore()
    try:
        _run_graph(roots, root_grads, retain_graph, capture)
    finally:
        fp_errors.restore(token)
        grad_mode._enabled = previous


def _run_graph(roots, root_grads, retain_graph, capture):
    """``run_backward``'s three steps (see the module docstring)."""
    relevant = None if capture is None else _nodes_leading_to(roots, {node for node, _ in capture})

    # 1. dependency counts of every reachable node
    dependencies = dependency_counts(roots, relevant)

    # 2. seed the buffers with the outputs' gradients
    buffers = {}
    for (node, nr), g in zip(roots, root_grads):
        _accumulate_into(buffers, node, nr, g)
    ready = [node for node in buffers if dependencies.get(node, 0) == 0]

    # 3. run every node once all of its consumers have sent their gradient
    while ready:
        node = ready.pop()
        grads = buffers.pop(node)
        if isinstance(node, AccumulateGrad):
            _accumulate_leaf(node, grads[0], capture)
            continue
        if node._output_hooks or capture is not None:
            grads = _run_output_hooks(node, grads, capture)
        if relevant is not None and not _children(node, relevant):
            continue  # a captured edge with nothing wanted below it: stop here (the list has no None)
        input_grads = _call_backward(node, grads)
        if not retain_graph:
            node._free()
        i = -1  # the input's number, counted by hand: enumerate's pair a step costs more
        for child, nr in node.next_functions:
            i += 1
            if child is None or (relevant is not None and child not in relevant):
                continue
            g = input_grads[i]
            if g is not None:
                if isinstance(g, np.generic):  # what 0-d arithmetic gives (g * y of two 0-d arrays)
                    g = np.asarray(g)
                shape, dtype = node._input_meta[i]
                if type(g) is not np.ndarray or g.shape != shape or g.dtype != dtype:
                    g = _fitted_gradient(node, i, g)  # (every CuPy gradient too: one call more)
                _accumulate_into(buffers, child, nr, g)
            remaining = dependencies[child] - 1
            dependencies[child] = remaining
            if remaining == 0:
                if child in buffers:
                    ready.append(child)
                else:
                    _skip_subgraph(child, dependencies, buffers, ready, relevant)


def dependency_counts(roots, relevant=None):
    """{node: number of edges into it} for every node reachable from ``roots``.

    This is the topological sort of the backward pass: a node may run only once
    every consumer has sent its gradient, i.e. once its count has dropped to zero.
    An edge counts once per use: a node consumed twice (``x + x``, or ``a`` feeding
    both branches of a diamond) waits for both gradients. The walk is iterative
    (an explicit stack), so long chains do not hit Python's recursion limit.
    """
    # BEGIN SOLUTION task 1.3
    stack = [node for node, _ in roots]
    dependencies = {node: 0 for node in stack}  # a node is in here once it has been seen
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions if relevant is None else _children(node, relevant):
            if child is None:  # an input that needs no gradient
                continue
            count = dependencies.get(child)
            if count is None:  # seen for the first time: walk on from it
                dependencies[child] = 1
                stack.append(child)
            else:
                dependencies[child] = count + 1
    return dependencies
    # END SOLUTION


def _children(node, relevant):
    """The edges of ``node`` the backward pass follows: all of them (an input that
    needs no gradient has the edge ``(None, 0)``: callers skip it), or with
    ``relevant`` only those into nodes that lead to a captured edge."""
    if relevant is None:
        return node.next_functions
    return [(c, nr) for c, nr in node.next_functions if c is not None and c in relevant]


def _nodes_leading_to(roots, targets):
    """Every node reachable from ``roots`` that has a path to one of ``targets``
    (targets included): the part of the graph ``autograd.grad`` must run."""
    parents = {}
    stack = [node for node, _ in roots]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            parents.setdefault(child, []).append(node)
            if child not in seen:
                seen.add(child)
                stack.append(child)
    relevant = {t for t in targets if t in seen}
    stack = list(relevant)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in relevant:
                relevant.add(parent)
                stack.append(parent)
    return relevant


def _skip_subgraph(node, dependencies, buffers, ready, relevant=None):
    """A node that received no gradient at all (every consumer returned ``None``):
    release the counts it holds on its own inputs so they can still run."""
    stack = [node]
    while stack:
        n = stack.pop()
        for child, _ in _children(n, relevant):
            if child is None:
                continue
            dependencies[child] -= 1
            if dependencies[child] == 0:
                if child in buffers:
                    ready.append(child)
                else:
                    stack.append(child)


def _accumulate_into(buffers, node, nr, g):
    """Add ``g`` to output ``nr``'s slot of ``node``'s buffer (made on first use)."""
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * len(node._output_meta)
    slots[nr] = g if slots[nr] is None else _as_array(slots[nr] + g)  # 0-d + 0-d is a NumPy scalar


def _call_backward(node, grads):
    """Call the op's backward with one gradient per output (zeros where none arrived);
    returns its result as a tuple with one entry (a gradient or None) per input.

    Each gradient is checked where the engine sends it on: the usual one, a NumPy array
    of its input's shape and dtype, after one look; anything else in ``_fitted_gradient``."""
    if len(grads) > 1:  # an op with several outputs: some may have received no gradient
        for i, g in enumerate(grads):
            if g is None:
                shape, dtype = node._output_meta[i]
                xp = get_array_module(*[x for x in grads if x is not None])
                grads[i] = xp.zeros(shape, dtype=dtype)
    result = node.function.backward(node, *grads)  # with run_backward's grad mode and fp state
    if type(result) is not tuple:
        result = (result,)
    if len(result) != len(node.next_functions):
        result = _checked_count(node, result)
    if anomaly._enabled:
        anomaly.check_gradients(node, result, get_array_module(*grads))
    return result


def _checked_count(node, result):
    """A backward returned more or fewer gradients than its op has inputs: drop extra
    Nones (PyTorch allows them), refuse anything else."""
    n_inputs = len(node.next_functions)
    if len(result) > n_inputs and all(g is None for g in result[n_inputs:]):
        return result[:n_inputs]
    inputs = ", ".join(f"{i}: {'a Tensor of shape ' + str(tuple(m[0])) if m else 'not a Tensor: return None'}"
                       for i, m in enumerate(node._input_meta))
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients (expected {n_inputs}, got {len(result)}): "
        f"backward must return one gradient per argument of forward, None for those without one ({inputs})"
    )


def _fitted_gradient(node, i, g):
    """Gradient ``g`` for input ``i`` of ``node``, when it is not simply a NumPy array of
    that input's shape and dtype (a 0-d NumPy scalar, what 0-d arithmetic gives, was
    made a 0-d array before): a gradient of the broadcast shape is summed back to the
    input's (``unbroadcast``), one of another dtype is cast to the input's; a wrong type
    or an incompatible shape is an error that names the op."""
    shape, dtype = node._input_meta[i]
    if not is_array(g) or g.shape != shape:
        _check_gradient(node, i, g)  # an error unless it is an array whose shape sums to the input's
        g = unbroadcast(g, shape)  # the input was broadcast in forward
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _check_gradient(node, i, g):
    """Gradient ``i`` of ``node``'s backward is None, or an array that sums to input i's shape."""
    if g is None or node.next_functions[i][0] is None:
        return
    if not (is_array(g) or hasattr(g, "dtype") and hasattr(g, "shape")):
        raise RuntimeError(
            f"function {node.name()} returned a {type(g).__name__} as the gradient of input {i}; expected an array "
            "(NumPy/CuPy, the namespace of the inputs) or None"
        )
    shape = tuple(node._input_meta[i][0])
    got = tuple(g.shape)
    if got == shape:
        return
    compatible = len(got) >= len(shape) and all(
        s == n or s == 1 for s, n in zip(shape, got[len(got) - len(shape):]))
    if not compatible:
        raise RuntimeError(
            f"function {node.name()} returned an invalid gradient at index {i} - got {list(got)} but expected shape "
            f"compatible with {list(shape)} (the shape of input {i} of forward; broadcast dims may be summed back)"
        )


def _run_output_hooks(node, grads, capture):
    """Tensor hooks of the op's outputs see (and may replace) the total gradient."""
    if node._output_hooks:
        for nr, hooks in node._output_hooks.items():
            if grads[nr] is None:
                continue
            for hook in hooks:
                replaced = hook(Tensor._wrap(grads[nr]))
                if replaced is not None:
                    grads[nr] = replaced.array if isinstance(replaced, Tensor) else replaced
    if capture is not None:
        for nr, g in enumerate(grads):
            if (node, nr) in capture:
                capture[(node, nr)] = g
    return grads


def _accumulate_leaf(node, g, capture):
    """Leaf hooks, then ``tensor.grad += g`` (or, under ``autograd.grad``, capture it).

    As in PyTorch, a gradient that is already there is added to in place: ``.grad`` keeps
    its array across backward passes (gradient accumulation allocates nothing new)."""
    leaf = node.variable
    for hook in leaf._hooks:
        replaced = hook(Tensor._wrap(g))
        if replaced is not None:
            g = replaced.array if isinstance(replaced, Tensor) else replaced
    if capture is not None:
        if (node, 0) in capture:
            capture[(node, 0)] = g
        return
    add_to_grad(leaf, g)


def add_to_grad(tensor, g):
    """``tensor.grad += g`` as PyTorch does it: the first gradient is copied in (g may be
    an array the caller still holds, the gradient passed to backward), later ones are
    added in place, so ``.grad`` keeps its array (gradient accumulation allocates
    nothing new; the ``.grad`` setter refused anything that cannot be added into).
    g is already checked and fitted to the tensor: ``_grad`` skips the setter's checks."""
    if tensor._grad is None:
        tensor._grad = Tensor._wrap(g.astype(tensor.array.dtype, copy=True))
        return
    grad = tensor._grad.array
    if grad.size == 1 and type(grad) is np.ndarray:
        # one value (a scalar parameter, the scalar-autograd lectures): add it as Python
        # numbers, 0.07 us where NumPy's 0-d arithmetic takes 0.3 (np.add with out= 0.5).
        # The same sum as NumPy's: .item() gives a Python float (complex; a longdouble
        # stays one), and a float32 or float16 sum done in double, then rounded to float32
        # or float16, is their correctly rounded sum (double has more than twice their
        # precision plus two bits, so the second rounding cannot go wrong).
        grad[...] = grad.item() + g.item()
    else:
        grad += g
