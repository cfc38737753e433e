"""ops/scratch.py: a thread gets back its own kept array for the same slot and key, never
another thread's or another slot's, and keeps at most KEEP_BYTES (least recently used
first; larger arrays are not kept)."""
import threading

import numpy as np
import pytest

from tinygrad_edu.ops import scratch


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(scratch, "KEEP_BYTES", 1000)
    scratch.clear()
    yield
    scratch.clear()


def _make(n):
    return lambda: np.zeros(n, dtype=np.uint8)


def test_the_same_slot_and_key_get_the_same_array_others_a_new_one():
    a = scratch.kept("v", (4, "f"), _make(100))
    assert scratch.kept("v", (4, "f"), _make(100)) is a
    assert scratch.kept("m", (4, "f"), _make(100)) is not a  # two buffers of one task
    assert scratch.kept("v", (5, "f"), _make(100)) is not a  # another shape
    assert scratch.kept("v", (4, "f"), _make(100)) is a


def test_each_thread_keeps_its_own():
    mine = scratch.kept("v", 1, _make(10))
    theirs = []
    thread = threading.Thread(target=lambda: theirs.extend([scratch.kept("v", 1, _make(10)), scratch.kept("v", 1, _make(10))]))
    thread.start()
    thread.join()
    assert theirs[0] is theirs[1] and theirs[0] is not mine
    assert scratch.kept("v", 1, _make(10)) is mine


def test_at_most_keep_bytes_least_recently_used_first():
    first = scratch.kept("a", 0, _make(400))
    second = scratch.kept("b", 0, _make(400))
    assert scratch.kept("a", 0, _make(400)) is first  # now "b" is the least recently used
    scratch.kept("c", 0, _make(400))  # 1200 bytes: "b" goes
    assert scratch.kept("a", 0, _make(400)) is first
    assert scratch.kept("b", 0, _make(400)) is not second
    big = scratch.kept("d", 0, _make(1001))  # larger than KEEP_BYTES: handed out, not kept
    assert scratch.kept("d", 0, _make(1001)) is not big


def test_clear_forgets():
    a = scratch.kept("v", 0, _make(10))
    scratch.clear()
    assert scratch.kept("v", 0, _make(10)) is not a
