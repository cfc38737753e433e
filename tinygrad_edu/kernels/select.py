"""Choosing per element: ``where(cond, a, b)``, ``a`` where ``cond`` holds, else ``b``,
elementwise, with broadcasting and NumPy's result dtype; and ``threshold`` with its
backward, the per-element choice of ``relu`` (PyTorch's names, below). The ops that
choose between two branches on every element (leaky ReLU, ELU, PReLU, the stable
sigmoid, softplus) call ``where``.

Why a kernel for something NumPy has: NumPy's ``where`` (2.4) took 2.9 ms on DnCNN's
(16, 32, 40, 40) float32 when the condition flips at random, as an activation's sign
does, and 0.33 ms on the same condition sorted (one thread): the time of a mispredicted
branch per element. The compiled loop below chooses with a conditional expression and
took 0.38 ms on the random condition. It runs over ``range(out.size)``. The same loop over
``range(first, last)`` took 3.7 ms; the index may then be negative as far as the compiler
knows, and Numba wraps negative indices around. So the tasks get slices, not bounds
(benchmarks/issue14_log.md, "Eighth session").

Three forms, proven equal by tests/kernels/test_select.py: ``where_reference`` (loops, for
reading), ``where`` (the namespace's own: NumPy or CuPy) and ``where_numba`` (compiled,
NumPy only; its flat range is cut into tasks for large arrays, threads.run_ranges).
"""
import numpy as np

from tinygrad_edu import threads  # SELECT_PARALLEL_ELEMENTS, read at each call (tests set it)
from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_planes, require_numpy
from tinygrad_edu.threads import run_ranges


def where_reference(cond, a, b):
    """One loop over the broadcast shape (NumPy input): read this one."""
    dtype = np.result_type(a, b)  # before np.asarray: a Python number takes the array's dtype
    cond, a, b = np.broadcast_arrays(np.asarray(cond, dtype=bool), np.asarray(a, dtype=dtype),
                                     np.asarray(b, dtype=dtype))
    out = np.empty(cond.shape, dtype=dtype)
    for index in np.ndindex(out.shape):
        out[index] = a[index] if cond[index] else b[index]
    return out


def where(cond, a, b):
    """The array namespace's ``where`` (NumPy or CuPy)."""
    return get_array_module(cond, a, b).where(cond, a, b)


@njit_planes  # for its settings (cached, nogil, serial); the ranges are slices of the flat arrays
def _where_loops(cond, a, b, out):
    for i in range(out.size):  # from 0, not from an argument: see the module docstring
        out[i] = a[i] if cond[i] else b[i]


def _flat(value, shape, dtype):
    """``value`` as a C-contiguous 1-d array of ``shape``'s size in ``dtype``: a view when
    it already is one, else broadcast and copied (a scalar: filled)."""
    value = np.asarray(value, dtype=dtype)
    if value.shape != shape or not value.flags.c_contiguous:
        value = np.ascontiguousarray(np.broadcast_to(value, shape))
    return value.reshape(-1)


def where_numba(cond, a, b):
    """:func:`where` as a compiled loop over the flattened broadcast shape (NumPy only)."""
    arrays = [v for v in (cond, a, b) if not isinstance(v, (int, float, np.generic))]  # numbers may come too
    require_numpy("where_numba", *arrays)
    dtype = np.result_type(a, b)  # NumPy's rule: a Python number takes the array's dtype
    shape = np.broadcast_shapes(np.shape(cond), np.shape(a), np.shape(b))
    out = np.empty(shape, dtype=dtype)
    c, x, y, o = _flat(cond, shape, bool), _flat(a, shape, dtype), _flat(b, shape, dtype), out.reshape(-1)
    run_ranges(lambda first, last: _where_loops(c[first:last], x[first:last], y[first:last], o[first:last]),
               o.size, o.size, threads.SELECT_PARALLEL_ELEMENTS)
    return out


# ---------------------------------------------------------------- threshold
# threshold(x, t, v) = x where x > t, else v: PyTorch's ``threshold``, and ``relu`` with
# t = v = 0. Its backward, ``threshold_backward(g, x, t)``, passes g where x > t, else 0.
# Both test "x <= t" and take the other branch when it fails, so a NaN passes (x, or g)
# as PyTorch's kernels do. NumPy's forms cost a pass per operation, and NumPy's ``where``
# branches on every element: the backward's ``where(x <= t, 0, g)`` took 3.0 ms on
# DnCNN's (16, 32, 40, 40) float32 (one thread; 4.6 us on an MLP's (32, 128), as fast
# as a product with the mask), where one compiled pass took 0.34 ms, 0.28 ms on two
# threads (benchmarks/issue14_log.md, "Ninth" and "Thirteenth session"). The compiled pass
# takes large NumPy arrays; the form below, small ones, CuPy's and the NumPy kernel set.
# These passes (and ``where``'s) do one comparison a value, so they go to the threads only
# from threads.SELECT_PARALLEL_ELEMENTS values, three times the other kernels' line: below
# it a second thread's start costs more than it saves ("Fifty-seventh session").


def threshold_reference(x, threshold, value):
    """One loop over x (NumPy input): read this one."""
    x = np.asarray(x)
    out = np.empty_like(x)
    for index in np.ndindex(x.shape):
        out[index] = value if x[index] <= threshold else x[index]
    return out


def threshold(x, threshold, value):
    """The namespace's form (NumPy or CuPy): value where x <= threshold, x elsewhere, in
    x's dtype."""
    xp = get_array_module(x)
    return xp.where(x <= threshold, xp.asarray(value, dtype=x.dtype), x)


def threshold_backward_reference(g, x, threshold):
    """One loop (NumPy input): read this one."""
    g, x = np.asarray(g), np.asarray(x)
    out = np.empty_like(g)
    for index in np.ndindex(g.shape):
        out[index] = 0 if x[index] <= threshold else g[index]
    return out


def threshold_backward(g, x, threshold):
    """The namespace's form: g where not x <= threshold (a NaN passes g), else +0.0.

    A choice, not a product with the mask: ``g * ~(x <= t)`` gives -0.0 for a negative g
    and NaN for an infinite or NaN g where the mask is 0; PyTorch gives 0 there."""
    xp = get_array_module(g, x)
    return xp.where(x <= threshold, xp.zeros((), dtype=g.dtype), g)


@njit_planes  # the ranges are slices of the flat arrays, as for where
def _threshold_loops(x, out, threshold, value):
    for i in range(out.size):
        out[i] = value if x[i] <= threshold else x[i]


@njit_planes
def _threshold_backward_loops(g, x, out, threshold):
    for i in range(out.size):
        out[i] = 0 if x[i] <= threshold else g[i]


def threshold_numba(x, threshold, value):
    """:func:`threshold` as one compiled pass over the flattened array (NumPy float
    arrays only), cut into ranges on the threads for large arrays (threads.run_ranges)."""
    require_numpy("threshold_numba", x)
    xf = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(x.shape, dtype=x.dtype)
    o = out.reshape(-1)
    t, v = x.dtype.type(threshold), x.dtype.type(value)
    run_ranges(lambda first, last: _threshold_loops(xf[first:last], o[first:last], t, v), o.size, o.size,
               threads.SELECT_PARALLEL_ELEMENTS)
    return out


def threshold_backward_numba(g, x, threshold):
    """:func:`threshold_backward` as one compiled pass (NumPy float arrays of one shape)."""
    require_numpy("threshold_backward_numba", g, x)
    if g.shape != x.shape:
        raise ValueError(f"threshold_backward_numba: g {g.shape} and x {x.shape} must have the same shape")
    gf = np.ascontiguousarray(g, dtype=x.dtype).reshape(-1)
    xf = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(x.shape, dtype=x.dtype)
    o = out.reshape(-1)
    t = x.dtype.type(threshold)
    run_ranges(lambda first, last: _threshold_backward_loops(gf[first:last], xf[first:last], o[first:last], t),
               o.size, o.size, threads.SELECT_PARALLEL_ELEMENTS)
    return out
