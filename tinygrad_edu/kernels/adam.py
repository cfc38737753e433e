"""Adam's update of one parameter in one pass: ``adam_update`` (the rule is ``Adam``'s,
optim/adam.py).

Per element, with g the gradient, m and v the two moving averages (state, updated in
place) and theta the parameter (updated in place)::

    m     = beta1 * m + (1 - beta1) * g
    v     = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v)                  (amsgrad; the denominator then uses v_max)
    theta = theta - step_size * (m / (sqrt(v) / root_bc2 + eps))

with step_size = lr / (1 - beta1^t) and root_bc2 = sqrt(1 - beta2^t), worked out once per
step by the caller. Adam's NumPy lines (``Adam._update``) make a pass over the parameter
and a temporary for each operation, about ten; a small CNN's 14 parameters took 247-250 us
a step that way and 123 us with this loop, compiled (the loop itself 35 us of it; one
thread; benchmarks/issue14_log.md, "Twelfth session"). The loop is elementwise, so there
is nothing to split among threads that would pay at the sizes of the course's models.

Every operation runs in the parameter's dtype, in the order of ``Adam._update``'s NumPy
lines (``(1 - beta2) * g`` first, then ``* g``), and the constants are rounded to that
dtype first, as NumPy rounds a Python float that meets a float32 array. So the compiled
form gives the NumPy form's results bit for bit (tests/kernels/test_adam.py).

Two forms, as for batch norm (its vectorised form is the exercise body, ``Adam._update``):
``adam_update_reference`` (a plain loop, for reading) and ``adam_update_numba`` (the same
loop compiled; NumPy only). ``Adam`` takes the compiled one under the Numba kernel set for
NumPy float parameters whose state and gradient are arrays of their dtype and shape
(``kernels.adam_compiled_applies``).
"""
import numpy as np

from tinygrad_edu.kernels._numba import njit_elementwise


def adam_update_reference(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_bc2, eps):
    """One Adam step on every element of ``param`` (NumPy arrays of one shape, updated in
    place with ``exp_avg``, ``exp_avg_sq`` and, unless it is None, ``max_exp_avg_sq``):
    read this one."""
    # the step's numbers in the parameter's dtype, as NumPy rounds a Python float
    b1, one_minus_b1, b2, one_minus_b2, step, root, e = (
        param.dtype.type(number) for number in (beta1, 1 - beta1, beta2, 1 - beta2, step_size, root_bc2, eps))
    for i in np.ndindex(param.shape):
        g = grad[i]
        exp_avg[i] = exp_avg[i] * b1 + one_minus_b1 * g
        exp_avg_sq[i] = exp_avg_sq[i] * b2 + one_minus_b2 * g * g
        v = exp_avg_sq[i]
        if max_exp_avg_sq is not None:
            max_exp_avg_sq[i] = np.maximum(max_exp_avg_sq[i], v)  # NaN wins, as in np.maximum
            v = max_exp_avg_sq[i]
        param[i] = param[i] - step * (exp_avg[i] / (np.sqrt(v) / root + e))


@njit_elementwise
def _adam_loops(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_bc2, eps):
    c = np.empty(7, dtype=param.dtype)  # the step's numbers rounded to the parameter's dtype
    c[0], c[1], c[2], c[3], c[4], c[5], c[6] = beta1, 1 - beta1, beta2, 1 - beta2, step_size, root_bc2, eps
    b1, one_minus_b1, b2, one_minus_b2, step, root, e = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    n = param.size  # flat views of the arrays (all C-contiguous)
    p, g_all, m, v_avg = param.reshape(n), grad.reshape(n), exp_avg.reshape(n), exp_avg_sq.reshape(n)
    if max_exp_avg_sq is not None:  # amsgrad (Numba compiles the function with or without it)
        v_max = max_exp_avg_sq.reshape(n)
    for i in range(n):
        g = g_all[i]
        m_i = m[i] * b1 + one_minus_b1 * g
        v = v_avg[i] * b2 + one_minus_b2 * g * g
        m[i] = m_i
        v_avg[i] = v
        if max_exp_avg_sq is not None:
            v = v if v > v_max[i] or v != v or v_max[i] != v_max[i] else v_max[i]  # NaN wins, as np.maximum
            v_max[i] = v
        p[i] = p[i] - step * (m_i / (np.sqrt(v) / root + e))


def adam_update_numba(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_bc2, eps):
    """:func:`adam_update_reference` compiled: one pass over the flattened arrays (NumPy,
    all of ``param``'s shape and dtype; all but ``grad`` C-contiguous, as they are written
    in place; ``max_exp_avg_sq`` may be None). A strided ``grad`` (a convolution's weight
    gradient may come transposed) is copied into order first."""
    arrays = [a for a in (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq) if a is not None]
    for a in arrays:
        if not isinstance(a, np.ndarray):  # e.g. CuPy's: Adam._update's NumPy lines run those
            raise TypeError(f"adam_update_numba: the compiled update takes NumPy arrays only, got "
                            f"{type(a).__module__}.{type(a).__name__}; Adam._update runs on any array namespace")
        if a.shape != param.shape or a.dtype != param.dtype or not (a is grad or a.flags.c_contiguous):
            raise ValueError(f"adam_update_numba: the arrays must have the parameter's shape {param.shape} and dtype "
                             f"{param.dtype}, and all but the gradient be C-contiguous; got shape {a.shape}, "
                             f"dtype {a.dtype}, C-contiguous={a.flags.c_contiguous}")
    _adam_loops(param, np.ascontiguousarray(grad), exp_avg, exp_avg_sq, max_exp_avg_sq,
                float(beta1), float(beta2), float(step_size), float(root_bc2), float(eps))
