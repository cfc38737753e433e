"""Run the CUDA kernel sources on the CPU, to test their logic without a GPU.

The kernels in ``tinygrad_edu/kernels/*_cupy.py`` are CUDA C strings that CuPy compiles
with NVRTC on a GPU machine. Their logic (index arithmetic, tap inversion, the order of
the sums) is plain C++, so it also compiles with a host C++ compiler once the few CUDA
names are defined: ``__global__`` as nothing, ``blockIdx``/``threadIdx``/``blockDim``/
``gridDim`` as globals, ``__int_as_float`` as a bit copy.

A launch of ``grid x block`` threads is emulated by calling the kernel once per
(block, thread) pair, one after the other, with the globals set. That is faithful for
these kernels: each thread writes only its own elements (a gather, no atomics, no
shared memory, no __syncthreads), so the order of the threads cannot change the result.

``EmulatedCuPy`` stands in for the ``cupy`` module (NumPy arrays play the device
arrays) so that the Python wrappers run unchanged, and ``emulated_kernel`` replaces
``_cupy.kernel``. Requires ``g++`` (the tests skip without it).
"""
import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import types
from unittest import mock

import numpy as np

from tinygrad_edu.kernels import _cupy

CXX = shutil.which("g++") or shutil.which("c++")

SHIM = r"""
#include <cstring>
struct emu_dim3 { unsigned x, y, z; };
static emu_dim3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, sizeof f); return f; }
extern "C" void emu_set_launch(unsigned block, unsigned thread, unsigned blocks, unsigned threads) {
    blockIdx.x = block; threadIdx.x = thread; gridDim.x = blocks; blockDim.x = threads;
    blockIdx.y = blockIdx.z = threadIdx.y = threadIdx.z = 0;
    gridDim.y = gridDim.z = blockDim.y = blockDim.z = 1;
}
"""

_BUILD_DIR = os.path.join(tempfile.gettempdir(), f"tge_cuda_emulation_{os.getuid() if hasattr(os, 'getuid') else 0}")
_libraries = {}


def compile_source(cuda_source):
    """The C++ shared library of ``cuda_source`` (a full source from ``_cupy.source``)."""
    code = SHIM + cuda_source
    digest = hashlib.sha1(code.encode()).hexdigest()[:16]
    if digest in _libraries:
        return _libraries[digest]
    os.makedirs(_BUILD_DIR, exist_ok=True)
    src, lib = os.path.join(_BUILD_DIR, f"{digest}.cpp"), os.path.join(_BUILD_DIR, f"{digest}.so")
    if not os.path.exists(lib):
        with open(src, "w") as f:
            f.write(code)
        tmp = f"{lib}.{os.getpid()}.tmp"
        subprocess.run([CXX, "-O1", "-shared", "-fPIC", "-Wall", "-Werror", "-Wno-unused-variable", "-o", tmp, src],
                       check=True, capture_output=True, text=True)
        os.replace(tmp, lib)  # atomic: parallel test runs never load a half-written file
    _libraries[digest] = ctypes.CDLL(lib)
    return _libraries[digest]


class EmulatedKernel:
    """A ``cupy.RawKernel`` look-alike: ``kernel(grid, block, args)`` runs every thread."""

    def __init__(self, name, body, dtype, launches):
        self.name = name
        self.library = compile_source(_cupy.source(body, dtype))
        self.function = getattr(self.library, name)
        self.function.restype = None
        self.launches = launches

    def __call__(self, grid, block, args):
        c_args = []
        for a in args:
            if isinstance(a, np.ndarray):
                assert a.flags.c_contiguous, "kernels read C-contiguous arrays"
                c_args.append(ctypes.c_void_p(a.ctypes.data))
            elif isinstance(a, np.int32):
                c_args.append(ctypes.c_int(int(a)))
            else:
                raise TypeError(f"kernel argument of type {type(a).__name__}: launch passes ints as np.int32")
        blocks, threads = grid[0], block[0]
        self.launches.append((self.name, blocks, threads))
        for b in range(blocks):
            for t in range(threads):
                self.library.emu_set_launch(b, t, blocks, threads)
                self.function(*c_args)


class DeviceArray(np.ndarray):
    """Stands for a ``cupy.ndarray``: NumPy memory, but a type of its own, so the kernel
    dispatcher can tell it from a host array (and must never give it to Numba)."""


def to_device(array):
    return np.ascontiguousarray(array).view(DeviceArray)


def _on_device(function):
    def make(*args, **kwargs):
        return np.asarray(function(*args, **kwargs)).view(DeviceArray)

    return make


def emulated_cupy():
    """A ``cupy`` stand-in whose arrays are :class:`DeviceArray`."""
    fake = types.ModuleType("cupy")
    for attr in ("empty", "zeros", "asarray", "ascontiguousarray"):
        setattr(fake, attr, _on_device(getattr(np, attr)))
    for attr in ("int64", "float32", "float64"):
        setattr(fake, attr, getattr(np, attr))
    fake.ndarray = DeviceArray
    return fake


@contextlib.contextmanager
def emulation(threads_per_block=4, max_blocks=3):
    """Within: ``import cupy`` gives :func:`emulated_cupy`, kernels compile with g++ and
    run every thread on the CPU; a small grid (default 3 blocks of 4 threads) makes
    every kernel's grid-stride loop wrap around. Yields the list of launches made
    (kernel name, blocks, threads per block)."""
    launches = []

    def emulated_kernel(name, body, dtype):
        return EmulatedKernel(name, body, dtype, launches)

    with mock.patch.dict(sys.modules, {"cupy": emulated_cupy()}), \
            mock.patch.object(_cupy, "kernel", emulated_kernel), \
            mock.patch.object(_cupy, "THREADS_PER_BLOCK", threads_per_block), \
            mock.patch.object(_cupy, "MAX_BLOCKS", max_blocks):
        yield launches


def nvcc_check(cuda_source, arch="compute_80"):
    """Compile ``cuda_source`` to PTX with nvcc (syntax and types, no GPU needed).
    Returns (ok, compiler output)."""
    nvcc = shutil.which("nvcc")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kernel.cu")
        with open(path, "w") as f:
            f.write(cuda_source)
        run = subprocess.run([nvcc, "--ptx", f"-arch={arch}", "-Werror", "all-warnings", "-o", os.path.join(tmp, "k.ptx"), path],
                             capture_output=True, text=True)
    return run.returncode == 0, run.stdout + run.stderr
