"""Assertions shared by the kernel tests."""
import numpy as np

from tinygrad_edu import threads
from tinygrad_edu.kernels._numba import HAVE_NUMBA

# Forms sum in different orders; these bound the rounding differences.
TOLERANCE = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-5}


def assert_close(got, expected, who):
    """Same shape and dtype; integer arrays (indices) equal, floats equal to rounding."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), f"{who}: expected a tuple of {len(expected)}"
        for g, e in zip(got, expected):
            assert_close(g, e, who)
        return
    assert isinstance(got, np.ndarray), f"{who}: returned {type(got).__name__}, not an array"
    assert got.shape == expected.shape, f"{who}: shape {got.shape}, expected {expected.shape}"
    assert got.dtype == expected.dtype, f"{who}: dtype {got.dtype}, expected {expected.dtype}"
    if expected.dtype.kind in "iu":
        np.testing.assert_array_equal(got, expected, err_msg=who)
    else:
        tol = TOLERANCE[expected.dtype]
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=who)


def assert_forms_agree(module, name, *args):
    """Run ``name_reference``, ``name`` (vectorised) and ``name_numba`` (when Numba is
    installed) from ``module`` on the same arguments; check that they agree and
    return the reference result."""
    expected = getattr(module, f"{name}_reference")(*args)
    assert_close(getattr(module, name)(*args), expected, f"{name} (vectorised)")
    if HAVE_NUMBA:
        assert_close(getattr(module, f"{name}_numba")(*args), expected, f"{name}_numba")
    return expected


def forms(module, name):
    """The fast forms of a kernel, for tests that check a property of each: the
    vectorised one, and the Numba one when Numba is installed."""
    return [getattr(module, name)] + ([getattr(module, f"{name}_numba")] if HAVE_NUMBA else [])


def inner(a, b):
    """<a, b>, the Frobenius inner product, in float64."""
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


RANGE_LINES = ("PARALLEL_ELEMENTS", "SELECT_PARALLEL_ELEMENTS")


def set_range_lines(monkeypatch, value):
    """Every kind of kernel's line in threads.py set to ``value`` values: 1 runs even a
    tiny array's ranges as tasks on the threads, 2**62 runs every kernel in one call."""
    for name in RANGE_LINES:
        monkeypatch.setattr(threads, name, value)
