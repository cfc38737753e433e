"""``sum_all(x)``: the sum of every element of an array, as a 0-d array of its dtype: what
``Tensor.sum()`` and ``Tensor.mean()`` compute when no dim is given (ops/reduce.py).

Why a kernel for something NumPy has: NumPy adds floats pairwise, and the leaves of its
tree are eight running sums that share one SIMD register, so every add waits for the
one before it: about two values a cycle. One thread, microseconds, NumPy / the compiled
loop below, float32: 32768 values 5.9 / 1.7; (16, 32, 32, 32) (2 MiB, the output of the
conv_transpose2d workload) 85 / 33, where PyTorch's sum took 37; at 8 MiB memory sets the
pace, 331 / 241 (benchmarks/issue14_log.md, "Fifty-first session"). The loop lets the
compiler reorder the adds of a block (``njit_sums``), so several running sums are in
flight at once.

float32 only. Each block of BLOCK values is added up in float32 (the compiler keeps a
few dozen running sums, each over a few dozen values), and the block sums go into a
float64 total, rounded to float32 at the end: against ``math.fsum`` its error was
NumPy's or smaller (2^21 normal values: 2.6e-11 of the sum of |x|, NumPy's 1.7e-10;
tests/kernels/test_sums.py checks a bound). The order of the adds is not NumPy's, so
the last bit may differ from ``np.sum``'s; NaN and inf propagate as in any sum. float64
keeps NumPy's pairwise sum: a float64 total added block after block has no wider type
to hide its rounding in (2^21 values: 2.1e-15 against NumPy's 1.1e-16), and at 2 MiB
and more memory sets the pace anyway (122 / 119 us).

Three forms, equal to rounding (tests/kernels/test_sums.py): ``sum_all_reference`` (one
loop, for reading), ``sum_all`` (the namespace's own sum: NumPy or CuPy) and
``sum_all_numba`` (compiled; NumPy float32 arrays).
"""
import numpy as np

from tinygrad_edu.backend import get_array_module
from tinygrad_edu.kernels._numba import njit_sums, require_numpy


def sum_all_reference(x):
    """Every value of a NumPy float array added to one float64 total, in C order:
    read this one."""
    total = 0.0  # a Python float: float64
    for value in np.asarray(x).reshape(-1):
        total += float(value)
    return np.asarray(total, dtype=x.dtype)


def sum_all(x):
    """The array namespace's own sum (NumPy or CuPy), as a 0-d array."""
    xp = get_array_module(x)
    return xp.asarray(x.sum())


BLOCK = 1024  # values added up in float32 before their sum joins the float64 total


@njit_sums
def _sum_loops(flat):
    n = flat.size
    zero = np.zeros(1, dtype=flat.dtype)  # each block's sum starts at 0 in the data's dtype (float32)
    total = 0.0  # float64
    for block in range((n + BLOCK - 1) // BLOCK):
        # never negative, but the compiler cannot know that without the max(): it would
        # check every index against Python's wraparound, a branch that stops SIMD (the
        # loop then ran slower than NumPy's sum: 114 against 85 us at 2^19 values)
        start = max(0, block * BLOCK)
        part = zero[0]
        for i in range(min(BLOCK, n - start)):
            part += flat[start + i]
        total += part
    return total


def sum_all_numba(x):
    """:func:`sum_all` as a compiled loop over the values in memory order (NumPy float32;
    an array laid out in one block is read in place, any other copied first)."""
    require_numpy("sum_all_numba", x)
    if x.dtype != np.float32:
        raise TypeError(f"sum_all_numba: the compiled loop adds float32 values, got {x.dtype}; use sum_all")
    return np.asarray(_sum_loops(x.ravel(order="K")), dtype=x.dtype)
