"""Optional Numba support shared by the kernel files.

Numba compiles plain Python loops to machine code. Each kernel file writes its
``*_numba`` form as loops decorated with :func:`njit_planes`; when Numba is not
installed the package still imports and those forms raise a clear ImportError
when called (the NumPy kernel set needs nothing beyond NumPy).

The compiled loops *fill* output arrays that their Python wrapper allocated with
NumPy, rather than allocating inside Numba: NumPy asks the OS for huge pages for
big arrays and Numba's allocator does not, and the page faults of a fresh 75 MB
im2col buffer cost more than the loops themselves (about 4x slower, measured).
"""
import os

import numpy as np

# Numba runs prange loops on GNU OpenMP threads, which by default spin for a while after
# each loop waiting for more work. On a busy machine (other processes on the same few
# cores) the spinning threads steal the CPU from the ones doing work, and a kernel on a
# small array took 2-20 ms instead of 0.01 ms (measured on 2 shared cores). Passive
# waiting puts idle threads to sleep. setdefault: a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:  # Numba is optional: the CPU kernel set "numba" needs it.
    import numba
except ImportError:
    numba = None

HAVE_NUMBA = numba is not None

if HAVE_NUMBA:
    prange = numba.prange

    def njit_planes(loops):
        """Compile ``loops`` once per dtype and cache the machine code on disk.

        ``parallel=True`` splits each ``prange`` loop over the CPU cores. Every kernel
        puts its ``prange`` over the N*C image planes, so no two iterations ever write
        the same output element (no races, no atomics). No ``fastmath``: the results
        must match the NumPy forms and PyTorch (NaN and -inf included).
        """
        return numba.njit(cache=True, parallel=True)(loops)

else:
    prange = range  # lets the loop functions be defined (and read) without Numba

    def njit_planes(loops):
        def numba_missing(*args, **kwargs):
            raise ImportError(
                f"{loops.__name__}: Numba is not installed, so the 'numba' kernel set is unavailable. "
                "Install it with `pip install numba`, or use the NumPy kernels: kernels.use('numpy')."
            )

        return numba_missing


def require_numpy(kernel, *arrays):
    """Numba compiles for NumPy arrays only; say so clearly for anything else
    (a CuPy array would otherwise fail deep inside Numba's type inference)."""
    for a in arrays:
        if not isinstance(a, np.ndarray):
            raise TypeError(
                f"{kernel}: the Numba kernels take NumPy arrays only, got {type(a).__module__}.{type(a).__name__}. "
                f"Use the vectorised form {kernel.removesuffix('_numba')} (it runs on NumPy and CuPy), "
                "or the dispatcher in tinygrad_edu.kernels, which picks the right form for the array."
            )
