"""Numerical gradient checking: compare an op's hand-written backward with central
differences.

For f: R^n -> R^m the Jacobian J has entries J[j, k] = d f_k / d x_j (one row per
input element, one column per output element, PyTorch's layout). Two ways to get it:

- numerically, one input element at a time (central differences, error O(eps^2)):
      J[j, :] ~ (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)
- analytically, one output element at a time, from the backward pass: a
  vector-Jacobian product with the one-hot vector e_k gives column k,
      J[:, k] = backward(grad_output = e_k)

``gradcheck`` compares the two elementwise with |analytical - numerical| <=
atol + rtol * |numerical|. Everything runs in float64: with float32's 7 digits, the
difference quotient would be mostly rounding error. (Deliberate difference from
PyTorch, which only warns: float32 inputs are copied to float64 here.)

``fast_mode=True`` compares one random projection u^T J v per input/output pair
instead of whole Jacobians (one backward and two forward passes per pair) and only
builds the full Jacobians to report a failure.
"""
import numpy as np

from .. import backend
from . import grad_mode
from .functional import grad
from ..tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients disagree."""


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|): the relative error of two arrays or tensors."""
    x, y = _host(x), _host(y)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))) if x.size else 0.0


def _host(a):
    a = a.array if isinstance(a, Tensor) else a
    return np.asarray(backend.to_numpy(a) if backend.is_array(a) else a, dtype=np.float64)


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float64_inputs(inputs):
    """Copies of the floating-point tensor inputs in float64, as fresh leaves."""
    prepared = []
    for a in _as_tuple(inputs):
        if isinstance(a, Tensor) and a.array.dtype.kind == "f":
            copy = Tensor._wrap(a.array.astype(np.float64, copy=True))
            copy.requires_grad = a.requires_grad
            prepared.append(copy)
        else:
            prepared.append(a)
    return tuple(prepared)


def _outputs(fn, inputs):
    """The floating-point outputs of ``fn(*inputs)`` as a tuple of tensors."""
    out = _as_tuple(fn(*inputs))
    return tuple(o for o in out if isinstance(o, Tensor) and o.array.dtype.kind == "f")


def _output_copies(fn, inputs):
    """The floating-point outputs' data, evaluated without recording a graph and
    copied: an output may be a view of an input (reshape, slicing) that is about to
    be perturbed in place."""
    with grad_mode.no_grad():
        return [o.array.copy() for o in _outputs(fn, inputs)]


def _diff_inputs(inputs):
    return [i for i, a in enumerate(inputs) if isinstance(a, Tensor) and a.requires_grad]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """Jacobians by central differences: ``J[i][k]`` has shape (inputs[i].numel(),
    outputs[k].numel()), for each input that requires grad, in float64."""
    # BEGIN SOLUTION task 1.6
    inputs = _float64_inputs(inputs)
    with grad_mode.no_grad():
        n_out = [o.numel() for o in _outputs(fn, inputs)]
    jacobians = []
    for i in _diff_inputs(inputs):
        data = inputs[i].array
        xp = backend.get_array_module(data)
        J = [xp.zeros((data.size, m), dtype=np.float64) for m in n_out]
        # Element j in row-major order, written through its multi-index: reshape(-1)
        # would silently copy a non-contiguous input, and the writes would be lost.
        for j, index in enumerate(np.ndindex(*data.shape)):
            original = data[index].item()
            data[index] = original + eps
            plus = _output_copies(fn, inputs)
            data[index] = original - eps
            minus = _output_copies(fn, inputs)
            data[index] = original
            for k in range(len(n_out)):
                J[k][j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
        jacobians.append(J)
    return jacobians
    # END SOLUTION


def analytical_jacobian(fn, inputs):
    """Jacobians from the backward pass, one one-hot ``grad_output`` per output element:
    ``J[i][k]`` has shape (inputs[i].numel(), outputs[k].numel())."""
    inputs = _float64_inputs(inputs)
    which = _diff_inputs(inputs)
    diff = [inputs[i] for i in which]
    outputs = _outputs(fn, inputs)
    jacobians = [[None] * len(outputs) for _ in which]
    for k, out in enumerate(outputs):
        xp = backend.get_array_module(out.array)
        cols = [xp.zeros((t.numel(), out.numel()), dtype=np.float64) for t in diff]
        if out.requires_grad:
            for m in range(out.numel()):
                onehot = xp.zeros(out.numel(), dtype=out.array.dtype)
                onehot[m] = 1
                grads = grad(out, diff, grad_outputs=onehot.reshape(out.shape), retain_graph=True, allow_unused=True)
                for c, g in zip(cols, grads):
                    if g is not None:
                        c[:, m] = g.array.reshape(-1)
        for i in range(len(which)):
            jacobians[i][k] = cols[i]
    return jacobians


def _mismatch_report(i, k, shape_in, shape_out, numerical, analytical, atol, rtol):
    numerical, analytical = backend.to_numpy(numerical), backend.to_numpy(analytical)
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    j, m = np.unravel_index(int(np.argmax(excess)), excess.shape)
    n_bad = int((excess > 0).sum())
    num, ana = numerical[j, m], analytical[j, m]
    rel = abs(ana - num) / max(1e-8, abs(ana) + abs(num))
    in_index = np.unravel_index(j, shape_in) if shape_in else ()
    out_index = np.unravel_index(m, shape_out) if shape_out else ()
    lines = [
        f"Jacobian mismatch for output {k} with respect to input {i} (input shape {shape_in}, output shape {shape_out}):",
        f"  worst element: input[{', '.join(map(str, in_index))}] -> output[{', '.join(map(str, out_index))}]",
        f"  numerical:  {num:.10g}",
        f"  analytical: {ana:.10g}",
        f"  relative error: {rel:.3g}   (allowed |analytical - numerical| <= {atol} + {rtol} * |numerical|)",
        f"  {n_bad} of {excess.size} Jacobian entries are outside the tolerance.",
    ]
    if numerical.size <= 64:
        with np.printoptions(precision=5, suppress=True, linewidth=120):
            lines += ["  numerical Jacobian (rows: input elements, columns: output elements):", _indent(numerical),
                      "  analytical Jacobian:", _indent(analytical)]
    return "\n".join(lines)


def _indent(a):
    return "\n".join("    " + line for line in str(a).splitlines())


def _full_check(fn, inputs, eps, atol, rtol):
    """Compare full Jacobians; return the first mismatch report, or None."""
    numerical = numerical_jacobian(fn, inputs, eps)
    analytical = analytical_jacobian(fn, inputs)
    which = _diff_inputs(_float64_inputs(inputs))
    with grad_mode.no_grad():
        outs = _outputs(fn, _float64_inputs(inputs))
    for n, i in enumerate(which):
        for k in range(len(outs)):
            num, ana = numerical[n][k], analytical[n][k]
            xp = backend.get_array_module(num)
            if not bool(xp.all(xp.abs(ana - num) <= atol + rtol * xp.abs(num))):
                return _mismatch_report(i, k, _as_tuple(inputs)[i].shape, outs[k].shape, num, ana, atol, rtol)
    return None


def _fast_check(fn, inputs, eps, atol, rtol):
    """Compare u^T J v per input/output pair; True when all pairs agree."""
    inputs = _float64_inputs(inputs)
    rng = np.random.default_rng(0)
    outputs = _outputs(fn, inputs)
    us = [backend.to_device(rng.standard_normal(o.shape), o.device) for o in outputs]
    for i in _diff_inputs(inputs):
        x = inputs[i]
        v = backend.to_device(rng.standard_normal(x.shape), x.device)
        original = x.array.copy()
        x.array[...] = original + eps * v
        plus = _output_copies(fn, inputs)
        x.array[...] = original - eps * v
        minus = _output_copies(fn, inputs)
        x.array[...] = original
        for k, out in enumerate(outputs):
            numerical = float(((plus[k] - minus[k]) / (2 * eps) * us[k]).sum())
            analytical = 0.0
            if out.requires_grad:
                (g,) = grad(out, [x], grad_outputs=us[k], retain_graph=True, allow_unused=True)
                analytical = 0.0 if g is None else float((g.array * v).sum())
            if abs(analytical - numerical) > atol + rtol * abs(numerical):
                return False
    return True


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast_mode=False):
    """Check the backward of ``fn`` at ``inputs`` against central differences.

    ``fn`` takes the inputs (tensors and other arguments) and returns a tensor or a
    tuple of tensors; every input tensor with ``requires_grad=True`` is checked
    against every floating-point output. Returns True, or raises ``GradcheckError``
    (returns False when ``raise_exception=False``) with a report naming the input,
    the element, the numerical and analytical values and the relative error.
    """
    inputs = _as_tuple(inputs)
    if not _diff_inputs(inputs):
        raise ValueError("gradcheck: expected at least one input tensor to require gradient (requires_grad=True)")
    report = None
    if not fast_mode or not _fast_check(fn, inputs, eps, atol, rtol):
        report = _full_check(fn, inputs, eps, atol, rtol)  # the full Jacobians decide
    if report is None:
        return True
    if raise_exception:
        raise GradcheckError("gradcheck failed.\n" + report)
    return False
