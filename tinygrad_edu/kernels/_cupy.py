"""Optional CuPy support shared by the CUDA kernel files (``*_cupy.py``).

A few kernels are a poor fit for the vectorised array form on a GPU: col2im's
``+=`` of kh*kw strided slices launches kh*kw kernels over the whole image, and a
scatter-add (max-pool and upsampling backward) needs atomics, whose summation order
changes from run to run. Those kernels are written once more in CUDA C, as a
*gather*: one GPU thread per output element reads everything that contributes to it
and sums in a fixed order. No two threads write the same element, so there are no
atomics and the same inputs give the same bits on every run (determinism).

Each CUDA kernel is a source string compiled at first use by ``cupy.RawKernel``
(NVRTC, at run time), once per dtype: the source starts with ``typedef float T;`` or
``typedef double T;``. The kernels loop with a *grid stride*: thread ``t`` of a grid of
``G`` threads handles elements ``t, t + G, t + 2G, ...``, so any grid size covers any
array, and a grid of one thread is the plain sequential loop a student would write.

This module never imports CuPy itself until a kernel runs: the NumPy-only install must
not need it (and a CuPy array can only exist once the user's code imported CuPy).
"""
import sys

import numpy as np

CUDA_DTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
THREADS_PER_BLOCK = 256
MAX_BLOCKS = 65535 * 32  # grid-stride loops make a larger grid unnecessary

# Prepended to every kernel source. NVRTC needs no header for these; the CPU emulation
# in tests/kernels/cuda_emulation.py defines them for a C++ compiler.
PRELUDE = """\
typedef {ctype} T;
typedef long long index_t;
"""

_compiled = {}  # (kernel name, dtype) -> cupy.RawKernel


def is_cupy_array(*arrays):
    """True when every array is a CuPy ndarray (False when CuPy is not even imported)."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and all(isinstance(a, cupy.ndarray) for a in arrays)


def source(body, dtype):
    """The full CUDA source of kernel ``body`` for ``dtype`` (float32 or float64)."""
    dtype = np.dtype(dtype)
    if dtype not in CUDA_DTYPES:
        raise TypeError(f"CUDA kernels are built for float32 and float64 only, got {dtype}")
    return PRELUDE.format(ctype=CUDA_DTYPES[dtype]) + body


def kernel(name, body, dtype):
    """The compiled ``cupy.RawKernel`` ``name`` of ``body`` for ``dtype`` (compiled once)."""
    import cupy

    key = (name, np.dtype(dtype))
    if key not in _compiled:
        _compiled[key] = cupy.RawKernel(source(body, dtype), name)
    return _compiled[key]


def launch(name, body, dtype, total, args):
    """Run kernel ``name`` over ``total`` elements (grid-stride) with ``args``: CuPy arrays
    and Python ints (passed as C ``int``, every kernel's int parameters are ``int``)."""
    if total == 0:
        return
    blocks = min((total + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK, MAX_BLOCKS)
    c_args = tuple(np.int32(a) if isinstance(a, (int, np.integer)) else a for a in args)
    kernel(name, body, dtype)((blocks,), (THREADS_PER_BLOCK,), c_args)


def require_cupy(kernel_name, *arrays):
    """The CUDA forms take CuPy arrays only; say so clearly for anything else."""
    if not is_cupy_array(*arrays):
        kinds = ", ".join(type(a).__name__ for a in arrays)
        raise TypeError(f"{kernel_name}: the CUDA kernels take CuPy arrays on a GPU, got {kinds}")
