"""The convolutions' scratch: ``aligned``, a flat buffer that starts on a cache line, and
``part``, an array's worth of it (the columns of ops/conv.py, the task buffers of
ops/winograd.py); ``TaskScratch``, the buffers shared by the tasks of one call that run on
the same thread (Winograd's).

A convolution cuts its batch into tasks (threads.run_tasks), and each task works in
scratch arrays: Winograd's transformed tiles and their products. Made afresh
for every task, they come from memory this core has not touched lately; handed to the
next task that runs on the same thread, they are still in its cache. Medians of 7
alternating rounds, fresh arrays against shared ones: DnCNN's training step (16 images
of 40x40, 8 tasks a convolution) 58.1 -> 54.4 ms on 2 threads, 81.0 -> 78.4 on one; the
conv2d step (32 images, 64 channels, 32x32) 21.6 -> 20.9 ms (benchmarks/issue14_log.md,
"Ninth session"). They live as long as the call (``TaskScratch``) and the call frees
them when it returns: a first form kept them for each thread from call to call (61.4 ->
57.2 ms for DnCNN, no more than this), which would hold a set per thread and layer shape
between calls. Fewer, larger tasks did as much (DnCNN 58.6 -> 54.2 ms with 2 tasks
instead of 8, in another run) but would leave a thread that another program slows with
half of the work.
"""
import threading

# Where the scratch starts matters to BLAS: OpenBLAS's W @ cols ran 13% faster with the
# columns on a 64-byte (cache-line) boundary than 16, 32 or 48 bytes past one (the 32
# one-image slices of conv2d N=32, 64->64, 32x32, 3x3, one thread: 27.0 vs 29.6-31.3 ms;
# the weight-gradient product did not care). NumPy only promises malloc's 16 bytes, so
# which case a step got was luck: aligning by hand made that conv2d fwd+bwd step about
# 5% faster (median of 12 fresh-process pairs, one thread; 7.5-8.8% against scratch
# always 16-48 bytes past a line). Winograd's planes need the lines too (ops/winograd.py).
ALIGN = 64


def aligned(xp, size, dtype):
    """One flat buffer of ``size`` elements starting on an ALIGN-byte boundary, for a
    task to refill piece after piece (the largest piece sets the size). A new multi-MiB
    array per piece would come fresh from the OS each time, and its page faults cost as
    much as filling it (measured: im2col of 11 slices 7.7 ms vs 4.6 ms reused)."""
    if xp.__name__ != "numpy":  # CuPy's memory pool already hands out 256-byte aligned blocks
        return xp.empty(size, dtype=dtype)
    raw = xp.empty(size + ALIGN // dtype.itemsize, dtype=dtype)
    start = (-raw.ctypes.data % ALIGN) // dtype.itemsize  # elements to the next boundary
    return raw[start : start + size]


def part(buffer, shape):
    """The first prod(shape) elements of a flat scratch buffer, as a C-contiguous array."""
    size = 1
    for d in shape:
        size *= d
    return buffer[:size].reshape(shape)


class TaskScratch:
    """The scratch arrays of one call's tasks, one set per thread.

    ``get(slot, key, make)`` gives the calling thread's array for ``slot`` made with
    ``key`` (the arguments that fix its shape and contents), making it with ``make()``
    the first time. Two buffers that a task uses at once need different slots; nothing
    that leaves the op (an output, a gradient, a share of dW) may come from here."""

    def __init__(self):
        self._arrays = {}  # (thread, slot, key) -> array; each thread touches only its own keys

    def get(self, slot, key, make):
        index = (threading.get_ident(), slot, key)
        array = self._arrays.get(index)
        if array is None:
            array = self._arrays[index] = make()
        return array
