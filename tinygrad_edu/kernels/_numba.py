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
import numpy as np

try:  # Numba is optional: the CPU kernel set "numba" needs it.
    import numba
except ImportError:
    numba = None

HAVE_NUMBA = numba is not None

# One thread per kernel. Every kernel here is memory-bound (a copy, a max, a scatter:
# a few operations per element moved), and on the 2 shared cores this course targets the
# parallel form (Numba's prange over the N*C planes on OpenMP threads) lost more than it
# gained, measured in benchmarks/issue14_log.md ("Thread pools: what was measured and
# chosen"):
#   - on a busy machine (load 4-8) a parallel call waits for its slowest thread: an im2col
#     slice of conv2d took 9.1 ms parallel, 3.9 ms serial (medians, same process,
#     alternating); a small-CNN training step 350 ms with parallel kernels and 2 BLAS
#     threads, 40 ms with one thread each;
#   - a parallel kernel starts Numba's OpenMP runtime, a second thread pool beside BLAS's
#     (and PyTorch's, when it shares the process), and their threads compete for the cores.
# Serial kernels leave the threads to one owner, threads.run_tasks: an op with enough work
# splits it into tasks (a convolution: its batch slices; a pooling kernel on a large array:
# ranges of its planes, threads.run_ranges) and runs those on
# ``tinygrad_edu.get_num_threads()`` threads, each task's kernels serial. The loops still
# say ``prange``: their iterations are independent, so ``parallel=True`` below is the
# whole change back (with NUMBA_THREADING_LAYER to pick the runtime). (Numba's on-disk
# cache does not record this flag, nor ``nogil``: after changing one, delete
# kernels/__pycache__/*.nbi so the kernels compile again.)
PARALLEL_KERNELS = False

if HAVE_NUMBA:
    prange = numba.prange

    def njit_planes(loops):
        """Compile ``loops`` once per dtype and cache the machine code on disk.

        The kernels put their ``prange`` over the N*C image planes, so no two iterations
        ever write the same output element (no races, no atomics): the loops are ready for
        ``parallel=PARALLEL_KERNELS``. (Loops that refill one scratch buffer per plane,
        as im2col's and col2im's, say ``range``: their planes share it.) ``nogil``: the
        loops let go of Python's lock, so the tasks of threads.run_tasks (e.g. a
        convolution's batch slices) run them on two threads at once. No ``fastmath``:
        the results must match the NumPy forms and PyTorch (NaN and -inf included).
        """
        return numba.njit(cache=True, parallel=PARALLEL_KERNELS, nogil=True)(loops)

    def njit_sums(loops):
        """As ``njit_planes``, for loops that add up long runs of numbers (batch norm's
        per-channel sums): ``fastmath={"reassoc"}`` lets the compiler keep several
        partial sums at once (SIMD) instead of one chain of dependent adds, 4-8x faster.
        Only reassociation: NaN and inf still propagate as IEEE says. The order of the
        adds is then the compiler's, fixed for one machine (a sum is off from the
        sequential one by rounding only, as NumPy's pairwise sums are)."""
        return numba.njit(cache=True, nogil=True, fastmath={"reassoc"})(loops)

    def njit_elementwise(loops):
        """As ``njit_planes``, for a loop of arithmetic per element that divides (Adam's
        update): ``error_model="numpy"`` makes x / 0 give inf or NaN, as NumPy and PyTorch
        do, where Numba's default would test every divisor and raise ZeroDivisionError,
        a branch that also keeps the compiler from running the loop on SIMD lanes (Adam's
        loop: 152 us a step with the test, 35 without)."""
        return numba.njit(cache=True, nogil=True, error_model="numpy")(loops)

    def njit_inline(helper):
        """A small helper of the loops (a 1-D transform of a few numbers), compiled into
        every loop that calls it (``inline="always"``) rather than called."""
        return numba.njit(inline="always")(helper)

else:
    prange = range  # lets the loop functions be defined (and read) without Numba

    def njit_planes(loops):
        def numba_missing(*args, **kwargs):
            raise ImportError(
                f"{loops.__name__}: Numba is not installed, so the 'numba' kernel set is unavailable. "
                "Install it with `pip install numba`, or use the NumPy kernels: kernels.use('numpy')."
            )

        return numba_missing

    njit_sums = njit_elementwise = njit_planes

    def njit_inline(helper):
        return helper


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
