"""``torch.backends.mkldnn``: oneDNN (once called MKL-DNN), the CPU library of PyTorch's
convolutions, here an optional source of faster matrix products.

tinygrad_edu's convolutions are im2col plus matrix products (ops/conv.py); ``Linear``
and ``matmul`` are matrix products (ops/matmul.py). NumPy runs those on its BLAS,
OpenBLAS. With the package ``onednn-cpu-gomp`` installed
(``pip install -e ".[onednn]"``; Linux on x86-64 only), the large float32 products run
on oneDNN's ``dnnl_sgemm`` instead (``kernels/gemm.py`` says which and why), where the
CPU has AVX-512. oneDNN picks its kernel by the instructions the CPU has: on a CPU with
AVX-512 it measured 1.6-2.0x OpenBLAS's rate where OpenBLAS is held to its AVX2 kernel
(``OPENBLAS_CORETYPE``; benchmarks/issue14_log.md, "Twenty-sixth session"); where
OpenBLAS runs its AVX-512 kernel too, 0.99-1.5x, and the convolutions' steps took about
the same time either way ("Twenty-eighth session"). On a CPU with AVX2 at most, both run
AVX2 kernels and OpenBLAS's was the faster: conv_transpose2d's step took 0.82-0.84x
oneDNN's time with NumPy's products, the recipes' steps 0.90-1.00x, but for the
coordinate MLP's at one thread, 1.00-1.07x (AMD EPYC Zen 3; "Fifty-ninth session"). So
there ``enabled`` starts False. Without the package, or with ``enabled = False``, NumPy's
``matmul`` does all of it, and the results agree to float32 rounding.

    enabled            at import: True where the CPU has AVX-512, else False;
                       ``TINYGRAD_EDU_ONEDNN=0`` makes it False, any other value True
    is_available()     True when the oneDNN library is installed and loads
    flags(enabled=)    a ``with`` block with ``enabled`` set, restored afterwards

A deliberate difference from PyTorch: there the flag chooses oneDNN's convolution
primitives; here it chooses who multiplies the columns. The convolutions themselves stay
tinygrad_edu's own (im2col, Winograd), readable in ops/conv.py.

Threads. This build of oneDNN runs a call on ``omp_get_max_threads()`` OpenMP threads of
GNU's OpenMP runtime (``libgomp``), the runtime PyTorch's CPU ops use too, shared with it
when both are in one process. tinygrad_edu's own tasks already use the cores
(threads.py), so each call runs on one thread: ``sgemm`` sets the calling thread's
OpenMP thread count to 1 and puts it back afterwards, so no OpenMP pool ever starts for
it, and PyTorch's setting is left as it was. Two threads for the products made outside
tasks (the small CNN's convolutions run on the calling thread) were tried: 4-12% off that
step in six paired runs of eight (slower in two), but beside a program busy on one core
the step then took 2.3-2.9x its time alone (1.0-1.1x on one thread): oneDNN splits a
product evenly and waits for the half whose thread shares its core
(benchmarks/issue14_log.md, "Thirty-second session").
"""
import contextlib
import ctypes
import importlib.metadata
import os
import threading

PACKAGE = "onednn-cpu-gomp"
LIBRARY = "libdnnl.so.3"
ENV_VAR = "TINYGRAD_EDU_ONEDNN"


def cpu_has_avx512(cpuinfo="/proc/cpuinfo"):
    """True when the CPU has AVX-512 (the ``avx512f`` flag in Linux's ``/proc/cpuinfo``;
    the oneDNN package exists for Linux on x86-64 only). False where it cannot be read."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith("flags"):
                    return "avx512f" in line.split()
    except OSError:
        pass
    return False


def default_enabled(environ=os.environ, cpuinfo="/proc/cpuinfo"):
    """``enabled`` at import: ``TINYGRAD_EDU_ONEDNN`` decides when it is set (``0``: off,
    anything else: on), else the CPU: on with AVX-512, off without (module docstring)."""
    setting = environ.get(ENV_VAR, "").strip()
    if setting:
        return setting != "0"
    return cpu_has_avx512(cpuinfo)


enabled = default_enabled()

_library = None  # (dnnl_sgemm, omp_get_max_threads, omp_set_num_threads) once loaded
_load_error = None  # why it could not be loaded: for is_available()'s callers to print
_load_lock = threading.Lock()
_tried = False


def _find_library():
    """The path of libdnnl in the installed package, or None."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == LIBRARY:
            return str(file.locate())
    return None


def _load():
    """Load oneDNN and GNU OpenMP's thread-count functions once; None if not installed."""
    global _library, _load_error, _tried
    with _load_lock:
        if _tried:
            return _library
        _tried = True
        path = _find_library()
        if path is None:
            _load_error = f"the package {PACKAGE} is not installed (pip install -e '.[onednn]')"
            return None
        try:
            dnnl = ctypes.CDLL(path)
            # the libgomp oneDNN was linked with: the one already in the process, if any
            gomp = ctypes.CDLL("libgomp.so.1")
        except OSError as error:
            _load_error = f"{path} did not load: {error}"
            return None
        i64, f32, ptr, char = ctypes.c_int64, ctypes.c_float, ctypes.c_void_p, ctypes.c_char
        sgemm = dnnl.dnnl_sgemm
        sgemm.argtypes = [char, char, i64, i64, i64, f32, ptr, i64, ptr, i64, f32, ptr, i64]
        sgemm.restype = ctypes.c_int
        gomp.omp_get_max_threads.restype = ctypes.c_int
        gomp.omp_set_num_threads.argtypes = [ctypes.c_int]
        _library = (sgemm, gomp.omp_get_max_threads, gomp.omp_set_num_threads)
        return _library


def is_available():
    """True when oneDNN is installed and loads (whether or not ``enabled``)."""
    return _load() is not None


def unavailable_reason():
    """Why ``is_available()`` is False (None when it is True)."""
    _load()
    return _load_error


def active():
    """True when the large float32 matrix products (kernels/gemm.py) go to oneDNN now."""
    return enabled and (_library or _load()) is not None


@contextlib.contextmanager
def flags(enabled=False):
    """``with tge.backends.mkldnn.flags(enabled=False): ...`` runs the block with the flag
    set, then restores it (even if the block raises)."""
    module = globals()  # the parameter hides the module's ``enabled``: set it by name
    previous = module["enabled"]
    module["enabled"] = bool(enabled)
    try:
        yield
    finally:
        module["enabled"] = previous


def sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc):
    """C (m x n, row-major, row stride ldc) = op(A) @ op(B), all float32, with oneDNN on
    the calling thread alone. ``a``, ``b``, ``c`` are addresses; ``trans_a`` is b"N"
    (A is m x k, row stride lda) or b"T" (A is stored k x m, row stride lda); ``trans_b``
    likewise for B (k x n)."""
    library = _library or _load()
    if library is None:
        raise RuntimeError(f"backends.mkldnn.sgemm: oneDNN is not available: {_load_error}")
    call, get_threads, set_threads = library
    threads = get_threads()
    set_threads(1)  # this thread's count only (an OpenMP setting per thread)
    try:
        status = call(trans_a, trans_b, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc)
    finally:
        set_threads(threads)
    if status != 0:
        raise RuntimeError(
            f"backends.mkldnn.sgemm: dnnl_sgemm returned status {status} for "
            f"({m} x {k}) @ ({k} x {n}), transposes {trans_a.decode()}{trans_b.decode()}, "
            f"leading dimensions {lda}, {ldb}, {ldc}"
        )
