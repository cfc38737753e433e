"""Scratch arrays shared by the tasks of one call that run on the same thread: the task
buffers of Winograd's convolution (ops/winograd.py).

A convolution cuts its batch into tasks (threads.run_tasks), and each task works in
scratch arrays: Winograd's transformed tiles, a padded copy of its images. Made afresh
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
