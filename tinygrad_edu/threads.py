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

The default leaves one core to everything else: ``cpu count - 1`` threads (at least
1; the CPUs this process may run on), set when tinygrad_edu is imported, unless one of
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS or MKL_NUM_THREADS is set in the environment (a
user's setting wins). NumPy and PyTorch use every core instead; we differ on purpose.
Why: a multi-threaded BLAS call is only as fast as its slowest thread, and on a machine
whose cores are busy with other work (a browser, a second notebook, a test run, PyTorch
in the same process) that thread waits for a core, on every call. Measured on 2 shared
cores (benchmarks/README.md, "Thread pools that cooperate"), one BLAS thread against
two, both with one Numba thread: a small-CNN training step 43 ms against 348 ms, conv2d
forward + backward 481 ms against 1810 ms, while other jobs loaded the machine (load
average 7-8; PyTorch, 2 threads: 145 and 408 ms). On an idle machine two threads run the GEMMs up to ~2x faster (the
2048^3 float32 matmul: 235-248 against 119-124 GFLOP/s): call ``set_num_threads(2)``
when the cores are yours.
"""
import os

from threadpoolctl import ThreadpoolController


def _blas():
    """A threadpoolctl controller of every BLAS library loaded in this process now
    (NumPy's, and any loaded since: a fresh scan on each call, which is rare)."""
    return ThreadpoolController().select(user_api="blas")


THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def default_num_threads():
    """One fewer than the CPUs this process may run on, at least 1."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cpus - 1)


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


if not any(name in os.environ for name in THREAD_ENV_VARS):
    set_num_threads(default_num_threads())
