"""Scratch arrays kept per thread and handed to that thread's next task: the task buffers
of the convolutions (ops/conv.py, ops/winograd.py).

A convolution cuts its batch into tasks (threads.run_tasks), and each task works in
scratch arrays of its own: the columns of im2col, Winograd's transformed tiles, a padded
copy of its images. Made afresh for every task, they come from memory this core has not
touched lately; kept for the thread, the next task it runs finds them still in its
cache. Winograd's scratch kept, medians of 7 alternating rounds: DnCNN's training step
(16 images of 40x40) 61.4 -> 57.2 ms on 2 threads, 83.5 -> 81.0 on one; the conv2d step
(32 images, 64 channels, 32x32) 21.9 -> 21.2 ms (benchmarks/README.md, "Ninth session").
Fewer, larger tasks did as much (DnCNN 58.6 -> 54.2 ms with 2 tasks instead of 8, in
another run) but would leave a thread that another program slows with half of the work.

The rules that make this safe:
- an array goes back only to the thread that made it, for the same ``slot`` and ``key``:
  two buffers a task uses at the same time have different slots;
- nothing that leaves an op (an output, a gradient, a share of dW) comes from here;
- each thread keeps at most KEEP_BYTES, the least recently used going first, and an
  array larger than that is not kept at all.
"""
import threading
from collections import OrderedDict

KEEP_BYTES = 16 * 2**20
_local = threading.local()


def kept(slot, key, make):
    """This thread's array for ``slot`` made with ``key`` (the arguments that fix its
    shape and contents), or ``make()``'s new one, kept for the next call."""
    arrays = getattr(_local, "arrays", None)
    if arrays is None:
        arrays = _local.arrays = OrderedDict()
    array = arrays.pop((slot, key), None)
    if array is None:
        array = make()
        if array.nbytes > KEEP_BYTES:
            return array
    arrays[(slot, key)] = array  # now the most recently used
    total = sum(a.nbytes for a in arrays.values())
    while total > KEEP_BYTES:
        _, oldest = arrays.popitem(last=False)
        total -= oldest.nbytes
    return array


def clear():
    """Forget this thread's kept arrays (their memory goes back once nothing else holds them)."""
    _local.arrays = OrderedDict()
