"""Keep freed memory for the next step: glibc's malloc thresholds, set once at import.

A training step allocates and frees the same arrays every time: activations, gradients,
im2col columns. With glibc's defaults that memory goes back to the operating system at
the end of a step (the top of the heap is trimmed once more than a few MiB are free, and
blocks above the mmap threshold are unmapped), and the next step asks for it again:
every 4 KiB page is then faulted in and zeroed by the kernel, a system call and a page
clear per page. Measured on the course's models (benchmarks/issue14_log.md, "Keeping freed
memory"): the small CNN's step grew and trimmed its heap by 2 MiB every step (515 page
faults), DnCNN's by 12 MiB (3,137), and keeping that memory made the steps 18% and 13%
faster. (NumPy arrays have no caching allocator of their own, unlike PyTorch's tensors
on a GPU; this is the CPU counterpart, done by the C library.)

``keep_freed_memory`` asks glibc (``mallopt``) to serve blocks of up to MMAP_THRESHOLD
from its heap and to keep up to TRIM_THRESHOLD of free memory at the top of it. The
process's resident memory then stays near its peak instead of falling back between
steps: that is the price, and why it is bounded.

It is done at import unless the user said otherwise: ``TINYGRAD_EDU_KEEP_FREED_MEMORY=0``,
or glibc's own ``MALLOC_TRIM_THRESHOLD_`` / ``MALLOC_MMAP_THRESHOLD_`` / ``GLIBC_TUNABLES``
(a user's setting wins, as with the thread variables of threads.py). On a C library other
than glibc (macOS, musl, Windows) it does nothing.
"""
import ctypes
import ctypes.util
import os

ENV_VAR = "TINYGRAD_EDU_KEEP_FREED_MEMORY"
GLIBC_ENV_VARS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")
TRIM_THRESHOLD = 256 * 2**20  # free memory kept at the top of the heap
MMAP_THRESHOLD = 32 * 2**20  # glibc's own largest dynamic value on 64-bit systems

# mallopt's parameter numbers, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(trim_bytes=TRIM_THRESHOLD, mmap_bytes=MMAP_THRESHOLD):
    """Ask glibc to keep freed memory for reuse; returns True if it took both settings,
    False where there is no glibc (nothing is changed then)."""
    libc = _glibc()
    if libc is None:
        return False
    # setting one threshold stops glibc adjusting the other by itself: set both
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_bytes))) and bool(libc.mallopt(_M_TRIM_THRESHOLD, int(trim_bytes)))


def _glibc():
    """The C library if it is glibc (it has ``gnu_get_libc_version``), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018 (an AttributeError means: not glibc)
    except (OSError, AttributeError):
        return None
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return libc


def _keep_at_import():
    if os.environ.get(ENV_VAR, "1").strip() == "0" or any(name in os.environ for name in GLIBC_ENV_VARS):
        return False
    return keep_freed_memory()


kept_at_import = _keep_at_import()
