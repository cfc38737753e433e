"""How many CPU threads the compute uses: ``set_num_threads`` / ``get_num_threads``
(PyTorch's names: ``torch.set_num_threads``).

On the CPU, tinygrad_edu's arithmetic runs in two places:

- NumPy's BLAS library (OpenBLAS or MKL) for every matrix product (``matmul``,
  ``Linear``, and the GEMMs of ``conv2d``), with its own pool of threads;
- the Numba kernels (``kernels/``: im2col, pooling, ...), compiled loops that run on
  the calling thread (``kernels/_numba.py`` says why they are not parallel).

So the thread count that matters is BLAS's. It is set at run time with threadpoolctl,
the well-kept tool for it, and only for BLAS libraries: an OpenMP runtime in the same
process (PyTorch's) keeps its own setting.

Why you might want 1: a multi-threaded BLAS call is only as fast as its slowest
thread. On a machine whose cores are busy with other work (a browser, a second
notebook, a test run) that thread waits for a core, and every call pays for it: on the
2 shared cores measured in benchmarks/README.md, a small-CNN training step took 40 ms
with one thread and 350 ms with two while the machine was loaded, though two threads
are up to 1.8x faster on an idle machine. The default is BLAS's own (all cores), as in
NumPy and PyTorch.
"""
import os

from threadpoolctl import ThreadpoolController


def _blas():
    """A threadpoolctl controller of every BLAS library loaded in this process now
    (NumPy's, and any loaded since: a fresh scan on each call, which is rare)."""
    return ThreadpoolController().select(user_api="blas")


def set_num_threads(num_threads):
    """Use ``num_threads`` threads in BLAS (NumPy's matrix products) from now on."""
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {num_threads!r}")
    _blas().limit(limits=num_threads)


def get_num_threads():
    """The number of threads BLAS uses (the largest, if several BLAS libraries are loaded;
    the number of CPUs if none reports one)."""
    counts = [lib.num_threads for lib in _blas().lib_controllers]
    return max(counts) if counts else os.cpu_count() or 1
