"""Thread control: set_num_threads / get_num_threads for BLAS, and Numba kernels that
start no thread pool of their own (kernels/_numba.py)."""
import os
import subprocess
import sys

import pytest

import tinygrad_edu as tge

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_set_num_threads_sets_blas_threads():
    before = tge.get_num_threads()
    try:
        tge.set_num_threads(1)
        assert tge.get_num_threads() == 1
        x = tge.randn(64, 64)
        assert (x @ x).shape == (64, 64)  # BLAS still runs with one thread
    finally:
        tge.set_num_threads(before)
    assert tge.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_refuses_non_positive_ints(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive int"):
        tge.set_num_threads(bad)


def test_numba_kernels_start_no_thread_pool():
    pytest.importorskip("numba")
    code = (
        "import numba, tinygrad_edu as tge\n"
        "F = tge.nn.functional\n"
        "tge.kernels.use('numba')\n"
        "x = tge.randn(2, 3, 8, 8, requires_grad=True)\n"
        "w = tge.randn(4, 3, 3, 3, requires_grad=True)\n"
        "F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()\n"
        "try:\n"
        "    print('layer', numba.threading_layer())\n"
        "except ValueError:\n"
        "    print('no threading layer')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "no threading layer"


def _threads_in_fresh_process(env_update):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(env_update, PYTHONPATH=ROOT)
    code = "import os, tinygrad_edu as tge; print(tge.get_num_threads(), len(os.sched_getaffinity(0)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return [int(v) for v in out.stdout.split()]


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs os.sched_getaffinity")
def test_default_leaves_one_core_and_the_users_setting_wins():
    threads, cpus = _threads_in_fresh_process({})
    assert threads == max(1, cpus - 1)
    threads, _ = _threads_in_fresh_process({"OPENBLAS_NUM_THREADS": "2"})
    assert threads == 2  # set before Python started: tinygrad_edu leaves it alone
