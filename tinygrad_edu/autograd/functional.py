"""``autograd.grad``: gradients of outputs with respect to chosen inputs, returned
rather than accumulated into ``.grad``."""
from . import engine
from .function import gradient_edge
from ..tensor import Tensor, _gradient_for


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Return ``d(sum_i <grad_outputs_i, outputs_i>) / d input`` for each input.

    Leaves' ``.grad`` fields are left untouched. ``allow_unused=True`` returns ``None``
    for an input the outputs do not depend on (otherwise that is an error).
    """
    if create_graph:
        raise NotImplementedError("grad: create_graph=True (higher-order gradients) is not supported: backward passes work on arrays")
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {getattr(t, 'shape', '?')}) does not require grad")
    roots, root_grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"grad: output {i} (shape {out.shape}) does not require grad and has no grad_fn")
        roots.append(gradient_edge(out))
        root_grads.append(_gradient_for(out, g, "grad"))
    capture = {gradient_edge(t): None for t in inputs}
    engine.run_backward(roots, root_grads, retain_graph=bool(retain_graph), capture=capture)
    results = []
    for i, t in enumerate(inputs):
        g = capture[gradient_edge(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used in the graph of the outputs. "
                "Pass allow_unused=True if this is expected."
            )
        results.append(None if g is None else Tensor._wrap(g))
    return tuple(results)


def backward_to_inputs(tensor, g, inputs, retain_graph):
    """``tensor.backward(inputs=...)``: accumulate only into the given leaves' ``.grad``."""
    inputs = _as_tuple(inputs)
    capture = {gradient_edge(t): None for t in inputs}
    engine.run_backward([gradient_edge(tensor)], [g], retain_graph=retain_graph, capture=capture)
    for t in inputs:
        captured = capture[gradient_edge(t)]
        if captured is None:
            continue
        engine.add_to_grad(t, captured)
