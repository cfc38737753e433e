"""The device that the device-proof tests (test_strict_device.py, test_strict_backend.py)
compare with the CPU.

By default it is ``"strict"``: ``StrictArray`` (tests/strict_array.py), which refuses every
implicit conversion to NumPy as CuPy arrays do, so CI proves the GPU path without a GPU.
``TINYGRAD_EDU_CHECK_DEVICE=cuda`` (what benchmarks/gpu_check.sh sets) runs the same
comparisons on the GPU through CuPy; where CUDA is not usable those tests skip, saying why.
"""
import os

import numpy as np
import pytest

import tinygrad_edu as tge

from tests.strict_array import StrictArray

DEVICE = os.environ.get("TINYGRAD_EDU_CHECK_DEVICE", "").strip() or "strict"
ON_GPU = DEVICE != "strict"

# Tolerances of a float64 comparison with the CPU run. StrictArray computes with NumPy in
# the same order, so only the last bits may differ; on a GPU, cuBLAS and CuPy's reductions
# sum in other orders.
RTOL, ATOL = (1e-8, 1e-10) if ON_GPU else (1e-10, 1e-12)

skip_unless_usable = pytest.mark.skipif(
    ON_GPU and not tge.cuda.is_available(),
    reason=f"TINYGRAD_EDU_CHECK_DEVICE={DEVICE}: CUDA is not usable here: {tge.cuda.unavailable_reason()}",
)


def array_type():
    """The array class that results on the device must have."""
    if not ON_GPU:
        return StrictArray
    import cupy  # only reached when the tests run on the GPU

    return cupy.ndarray


def to_device_array(a):
    """A host array put on the device (as raw array data, not a Tensor)."""
    if not ON_GPU:
        return StrictArray(a)
    import cupy

    return cupy.asarray(a)


def host(array):
    """A device (or host) array as a NumPy array, explicitly."""
    if isinstance(array, StrictArray):
        return array.to_numpy()
    if hasattr(array, "get"):  # cupy.ndarray
        return array.get()
    return np.asarray(array)


def assert_on_device_and_close(got, expected, where, rtol=RTOL, atol=ATOL):
    """``got`` (the device run) is an array of the device's type and equals ``expected``
    (the CPU run, a NumPy array) within the tolerances."""
    kind = array_type()
    assert type(got) is kind, f"{where}: a {type(got).__name__} on the device, not a {kind.__name__}"
    assert isinstance(expected, np.ndarray), f"{where}: the CPU run gave a {type(expected).__name__}"
    np.testing.assert_allclose(host(got), expected, rtol=rtol, atol=atol, err_msg=where)
