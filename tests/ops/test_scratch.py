"""ops/scratch.TaskScratch: a thread gets back the array it made for the same slot and
key, never another thread's or another slot's."""
import threading

import numpy as np

from tinygrad_edu.ops.scratch import TaskScratch


def _make(n):
    return lambda: np.zeros(n, dtype=np.uint8)


def test_the_same_slot_and_key_get_the_same_array_others_a_new_one():
    kept = TaskScratch()
    a = kept.get("v", (4, "f"), _make(100))
    assert kept.get("v", (4, "f"), _make(100)) is a
    assert kept.get("m", (4, "f"), _make(100)) is not a  # two buffers of one task
    assert kept.get("v", (5, "f"), _make(100)) is not a  # another shape
    assert kept.get("v", (4, "f"), _make(100)) is a
    assert TaskScratch().get("v", (4, "f"), _make(100)) is not a  # another call


def test_each_thread_gets_its_own():
    kept = TaskScratch()
    mine = kept.get("v", 1, _make(10))
    theirs = []
    thread = threading.Thread(target=lambda: theirs.extend([kept.get("v", 1, _make(10)), kept.get("v", 1, _make(10))]))
    thread.start()
    thread.join()
    assert theirs[0] is theirs[1] and theirs[0] is not mine
    assert kept.get("v", 1, _make(10)) is mine
