"""Thread control (tinygrad_edu/threads.py): set_num_threads / get_num_threads for the
CPU tasks, BLAS held at one thread, run_tasks, and Numba kernels that start no thread
pool of their own (kernels/_numba.py)."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import threads
from tinygrad_edu.ops import conv as conv_ops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F = tge.nn.functional


def _python(code, env=None, timeout=120):
    """Run ``code`` in a fresh Python with this checkout on the path; its stdout."""
    env = dict(os.environ if env is None else env, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture
def num_threads():
    """Restores the thread count a test changes."""
    before = tge.get_num_threads()
    yield
    tge.set_num_threads(before)


def test_set_num_threads_sets_the_task_threads(num_threads):
    tge.set_num_threads(3)
    assert tge.get_num_threads() == 3
    tge.set_num_threads(1)
    assert tge.get_num_threads() == 1
    x = tge.randn(64, 64)
    assert (x @ x).shape == (64, 64)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_refuses_non_positive_ints(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive int"):
        tge.set_num_threads(bad)
    with pytest.raises(ValueError, match="set_blas_threads: expected a positive int"):
        threads.set_blas_threads(bad)


def test_set_blas_threads():
    before = threads.get_blas_threads()
    try:
        threads.set_blas_threads(2)
        assert threads.get_blas_threads() == 2
        threads.set_blas_threads(1)
        assert threads.get_blas_threads() == 1
    finally:
        threads.set_blas_threads(before)


# ------------------------------------------------------------------------ run_tasks
def test_run_tasks_returns_results_in_task_order(num_threads):
    for count in (1, 2, 4):
        tge.set_num_threads(count)
        assert threads.run_tasks(lambda t: t * t, list(range(20))) == [t * t for t in range(20)]
        assert threads.run_tasks(lambda t: t, []) == []


def test_run_tasks_runs_two_tasks_at_once(num_threads):
    tge.set_num_threads(2)
    both = threading.Barrier(2, timeout=30)  # passes only when two threads wait at once

    def work(task):
        both.wait()
        return threading.get_ident()

    idents = threads.run_tasks(work, [0, 1])
    assert len(set(idents)) == 2 and threading.get_ident() in idents  # the caller works too


def test_run_tasks_on_one_thread_stays_on_the_caller(num_threads):
    tge.set_num_threads(1)
    assert set(threads.run_tasks(lambda t: threading.get_ident(), range(8))) == {threading.get_ident()}


@pytest.mark.parametrize("count", [0, 1, 5, 8, 21])
def test_run_ranges_covers_every_index_once_in_at_most_eight_ranges(count, num_threads):
    for elements, on_threads in ((threads.PARALLEL_ELEMENTS - 1, False), (threads.PARALLEL_ELEMENTS, True)):
        tge.set_num_threads(2)
        seen = []  # (first, last, thread)
        threads.run_ranges(lambda first, last: seen.append((first, last, threading.get_ident())), count, elements)
        firsts = sorted(seen)
        assert [i for first, last, _ in firsts for i in range(first, last)] == list(range(count))
        if on_threads:
            assert len(seen) == min(threads.RANGE_TASKS, count)
        else:  # a small kernel: one call over every plane, on the calling thread
            assert seen == ([(0, count, threading.get_ident())] if count else [])


def test_run_ranges_takes_the_line_it_is_given(num_threads):
    tge.set_num_threads(2)
    line = 4 * threads.PARALLEL_ELEMENTS  # a kernel that does little per value (threads.py)
    for elements, on_threads in ((line - 1, False), (line, True), (threads.PARALLEL_ELEMENTS, False)):
        seen = []
        threads.run_ranges(lambda first, last: seen.append((first, last)), 8, elements, min_elements=line)
        assert len(seen) == (threads.RANGE_TASKS if on_threads else 1), (elements, seen)


def test_run_ranges_runs_large_kernels_on_two_threads(num_threads):
    tge.set_num_threads(2)
    both = threading.Barrier(2, timeout=30)  # passes only when two threads wait at once
    idents = set()

    def loops(first, last):
        if first < 2:  # the first two of the eight ranges meet at the barrier
            both.wait()
        idents.add(threading.get_ident())

    threads.run_ranges(loops, 8, threads.PARALLEL_ELEMENTS)
    assert len(idents) == 2


def test_run_tasks_raises_a_tasks_error_after_the_others_end(num_threads):
    tge.set_num_threads(2)
    both = threading.Barrier(2, timeout=30)  # tasks 0 and 1 start together, one per thread
    ended = []

    def work(task):
        if task < 2:
            both.wait()
        if task == 0:
            raise ValueError("task 0 failed")
        time.sleep(0.2)  # still running when task 0 fails
        ended.append(task)
        return task

    with pytest.raises(ValueError, match="task 0 failed"):
        threads.run_tasks(work, list(range(6)))
    # run_tasks waited for the task already started (1) before raising, and no task
    # started after the failure (2-5 were left)
    assert ended == [1]
    # the pool still works afterwards
    assert threads.run_tasks(lambda t: t + 1, [1, 2, 3]) == [2, 3, 4]


def test_run_tasks_inside_a_task_runs_on_that_thread(num_threads):
    tge.set_num_threads(2)
    both = threading.Barrier(2, timeout=30)  # the two outer tasks run at once: one on a pool thread

    def outer(task):
        both.wait()
        inner = threads.run_tasks(lambda t: threading.get_ident(), range(4))
        return threading.get_ident(), inner

    results = threads.run_tasks(outer, range(2))
    on_pool = [(ident, inner) for ident, inner in results if ident != threading.get_ident()]
    assert len(on_pool) == 1
    ident, inner = on_pool[0]
    assert set(inner) == {ident}  # a task's own tasks stayed on its thread (no waiting on a busy pool)


def test_run_tasks_keeps_the_callers_errstate(num_threads):
    tge.set_num_threads(2)
    both = threading.Barrier(2, timeout=30)

    def work(task):
        both.wait()  # one task on each thread
        return np.geterr()["invalid"]

    with np.errstate(invalid="ignore"):
        assert threads.run_tasks(work, [0, 1]) == ["ignore", "ignore"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_run_tasks_after_fork(num_threads):
    """A forked child (a DataLoader worker) inherits the pool object but not its threads."""
    tge.set_num_threads(2)
    threads.run_tasks(lambda t: t, [0, 1, 2])  # the parent's pool exists
    code = (
        "import os, tinygrad_edu as tge\n"
        "from tinygrad_edu import threads\n"
        "tge.set_num_threads(2)\n"
        "threads.run_tasks(lambda t: t, [0, 1, 2])\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    ok = threads.run_tasks(lambda t: t * 2, list(range(10))) == [t * 2 for t in range(10)]\n"
        "    os._exit(0 if ok else 1)\n"
        "print('child', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    )
    assert _python(code, timeout=60).strip() == "child 0"


# ------------------------------------------------------------- convolutions on threads
@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
def test_convolutions_give_the_same_bits_on_any_thread_count(num_threads, kernel_set, monkeypatch):
    """The tasks' shares of dW are added in task order, so 1, 2 or 3 threads agree exactly;
    small column slices make many tasks."""
    if kernel_set == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(conv_ops, "COLUMN_BYTES", 4096)
    monkeypatch.setattr(conv_ops, "PARALLEL_BYTES", 1)  # on threads even at these sizes
    rng = np.random.default_rng(0)
    x = rng.standard_normal((11, 6, 9, 9)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    wt = rng.standard_normal((6, 4, 4, 4)).astype(np.float32)
    results = []
    with tge.kernels.using(kernel_set):
        for count in (1, 2, 3):
            tge.set_num_threads(count)
            xt, w1, w2 = (tge.tensor(a, requires_grad=True) for a in (x, w, wt))
            y1 = F.conv2d(xt, w1, padding=1, groups=2)  # stride 1: the one-im2col backward
            y2 = F.conv2d(xt, w1, stride=2, groups=2)  # strided: col2im
            y3 = F.conv_transpose2d(xt, w2, stride=2, padding=1, groups=2)
            (y1.square().sum() + y2.sum() + (y3 * y3).mean()).backward()
            results.append([t.detach().numpy() for t in (y1, y2, y3, xt.grad, w1.grad, w2.grad)])
    assert len(conv_ops._tasks(conv_ops._batch_slices(11, 54, (9, 9), np.dtype(np.float32)))) == conv_ops.TASKS
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


def test_a_failing_convolution_task_raises(num_threads, monkeypatch):
    tge.set_num_threads(2)
    monkeypatch.setattr(conv_ops, "COLUMN_BYTES", 1)
    monkeypatch.setattr(conv_ops, "PARALLEL_BYTES", 1)

    def broken_im2col(x, *args, **kwargs):
        if x.shape[0] and x[0, 0, 0, 0] > 100:
            raise RuntimeError("planted im2col failure")
        return original(x, *args, **kwargs)

    original = tge.kernels.im2col
    monkeypatch.setattr(tge.kernels, "im2col", broken_im2col)
    x = np.zeros((6, 1, 4, 4), dtype=np.float32)
    x[4, 0, 0, 0] = 1000.0  # the fifth image's task fails
    with pytest.raises(RuntimeError, match="planted im2col failure"):
        F.conv2d(tge.tensor(x), tge.ones(2, 1, 3, 3))


# ------------------------------------------------------------------------- defaults
def test_numba_kernels_start_no_thread_pool():
    pytest.importorskip("numba")
    code = (
        "import numba, tinygrad_edu as tge\n"
        "F = tge.nn.functional\n"
        "tge.kernels.use('numba')\n"
        "x = tge.randn(8, 16, 16, 16, requires_grad=True)\n"
        "w = tge.randn(16, 16, 3, 3, requires_grad=True)\n"
        "F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()\n"
        "try:\n"
        "    print('layer', numba.threading_layer())\n"
        "except ValueError:\n"
        "    print('no threading layer')\n"
    )
    assert _python(code, timeout=300).strip().splitlines()[-1] == "no threading layer"


def _threads_in_fresh_process(env_update):
    env = {k: v for k, v in os.environ.items() if k not in threads.THREAD_ENV_VARS}
    env.update(env_update)
    code = ("import os, tinygrad_edu as tge\n"
            "print(tge.get_num_threads(), tge.threads.get_blas_threads(), len(os.sched_getaffinity(0)))")
    return [int(v) for v in _python(code, env).split()]


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs os.sched_getaffinity")
def test_defaults_and_the_users_setting_wins():
    tasks, blas, cpus = _threads_in_fresh_process({})
    assert (tasks, blas) == (cpus, 1)  # every core for tasks, one BLAS thread inside each
    tasks, blas, _ = _threads_in_fresh_process({"OPENBLAS_NUM_THREADS": "2"})
    assert (tasks, blas) == (cpus, 2)  # set before Python started: tinygrad_edu leaves BLAS alone
    tasks, _, _ = _threads_in_fresh_process({"OMP_NUM_THREADS": "1"})
    assert tasks == 1  # as PyTorch reads it


def _spin_count_in_fresh_process(env_update, first=""):
    """GOMP_SPINCOUNT as a fresh process sees it after ``first`` and importing tinygrad_edu."""
    env = {k: v for k, v in os.environ.items() if k not in threads.OPENMP_ENV_VARS}
    env.update(env_update)
    code = f"{first}\nimport os, tinygrad_edu\nprint(os.environ.get('GOMP_SPINCOUNT'))"
    return _python(code, env).strip().splitlines()[-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="GNU OpenMP's variable: Linux only")
def test_openmp_spin_is_shortened_at_import_unless_too_late_or_the_user_chose():
    assert _spin_count_in_fresh_process({}) == str(threads.OPENMP_SPIN_COUNT)
    assert _spin_count_in_fresh_process({"GOMP_SPINCOUNT": "7"}) == "7"  # the user's value wins
    assert _spin_count_in_fresh_process({"OMP_WAIT_POLICY": "passive"}) == "None"  # and the user's policy
    # an OpenMP runtime already loaded has read its environment: setting it then would only mislead
    if _have_libgomp():
        load = "import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library('gomp'))"
        assert _spin_count_in_fresh_process({}, first=load) == "None"


def _have_libgomp():
    import ctypes.util

    return ctypes.util.find_library("gomp") is not None


def test_openmp_spin_is_left_alone_where_it_cannot_count(monkeypatch):
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(threads, "_openmp_loaded", lambda: True)  # e.g. PyTorch imported first
    assert not threads._shorten_openmp_spin_at_import() and "GOMP_SPINCOUNT" not in os.environ
    monkeypatch.setattr(threads, "_openmp_loaded", lambda: None)  # no /proc/self/maps: unknown
    assert not threads._shorten_openmp_spin_at_import() and "GOMP_SPINCOUNT" not in os.environ
    monkeypatch.setattr(threads, "_openmp_loaded", lambda: False)
    monkeypatch.setattr(sys, "platform", "darwin")  # PyTorch's OpenMP there is LLVM's, another variable
    assert not threads._shorten_openmp_spin_at_import() and "GOMP_SPINCOUNT" not in os.environ
    monkeypatch.setattr(sys, "platform", "linux")
    assert threads._shorten_openmp_spin_at_import() and os.environ["GOMP_SPINCOUNT"] == str(threads.OPENMP_SPIN_COUNT)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_openmp_loaded_sees_pytorchs_runtime():
    pytest.importorskip("torch")
    env = {k: v for k, v in os.environ.items() if k not in threads.OPENMP_ENV_VARS}
    code = "import tinygrad_edu.threads as t\nprint(t._openmp_loaded())\nimport torch\nprint(t._openmp_loaded())"
    assert _python(code, env).split() == ["False", "True"]
    assert _spin_count_in_fresh_process({}, first="import torch") == "None"  # PyTorch first: too late


# ---------------------------------------- an OpenMP runtime loaded first takes our tasks
_LOAD_GOMP_FIRST = "import ctypes, ctypes.util\nctypes.CDLL(ctypes.util.find_library('gomp'))\n"
needs_libgomp = pytest.mark.skipif(not sys.platform.startswith("linux") or not _have_libgomp(),
                                   reason="needs GNU OpenMP (libgomp) on Linux")


def _in_fresh_process_with_openmp_first(body, env_update=None):
    """Run ``body`` in a fresh Python that loads libgomp (as ``import torch`` does) and then
    imports tinygrad_edu; its stdout's lines."""
    env = {k: v for k, v in os.environ.items() if k not in threads.OPENMP_ENV_VARS}
    env.update(env_update or {})
    code = _LOAD_GOMP_FIRST + "import threading, time\nimport numpy as np\nimport tinygrad_edu as tge\nfrom tinygrad_edu import threads\n" + body
    return _python(code, env).strip().splitlines()


@needs_libgomp
def test_tasks_run_on_the_team_of_an_openmp_runtime_loaded_first():
    out = _in_fresh_process_with_openmp_first(
        "tge.set_num_threads(2)\n"
        "print(threads._team_runtime is not None)\n"
        # every task sleeps, so both of the team's threads take some; results keep their order
        "res = threads.run_tasks(lambda i: (time.sleep(0.01), i * i, threading.get_ident())[1:], list(range(8)))\n"
        "print([r[0] for r in res] == [i * i for i in range(8)], len({r[1] for r in res}))\n"
        "print(threads._pool is None)\n"  # our own pool never made
        # the caller's context on the team's worker (np.errstate), the first error raised here
        "caller = threading.get_ident()\n"
        "def divide(i):\n"
        "    time.sleep(0.01)\n"
        "    return 1 if threading.get_ident() == caller else np.float32(1) / np.float32(0)\n"
        "with np.errstate(divide='raise'):\n"
        "    try:\n"
        "        threads.run_tasks(divide, list(range(4)))\n"
        "    except FloatingPointError:\n"
        "        print('raised')\n"
        # a task that runs tasks runs them on its own thread, on the caller as on a worker
        "def nested(i):\n"
        "    me = threading.get_ident()\n"
        "    time.sleep(0.01)\n"
        "    return {t for t in threads.run_tasks(lambda j: threading.get_ident(), [0, 1, 2])} == {me}\n"
        "print(all(threads.run_tasks(nested, list(range(4)))))\n",
        {"OMP_MAX_ACTIVE_LEVELS": "2"})  # nested OpenMP regions allowed: only our rule keeps them serial
    assert out == ["True", "True 2", "True", "raised", "True"]


@needs_libgomp
def test_the_openmp_team_gives_the_same_bits_as_our_pool():
    out = _in_fresh_process_with_openmp_first(
        "tge.set_num_threads(2)\n"
        "from tinygrad_edu.ops import conv\n"
        "conv.PARALLEL_BYTES = threads.PARALLEL_ELEMENTS = threads.SELECT_PARALLEL_ELEMENTS = 0  # all as tasks\n"
        "x = tge.randn(8, 16, 12, 12, requires_grad=True)\n"
        "w = tge.randn(24, 16, 3, 3, requires_grad=True)\n"
        "def run():\n"
        "    x.grad = w.grad = None\n"
        "    y = tge.nn.functional.conv2d(x, w, stride=2, padding=1)\n"
        "    y = tge.nn.functional.max_pool2d(tge.nn.functional.batch_norm(y, None, None, training=True), 2)\n"
        "    (y * y).sum().backward()\n"
        "    return [t.detach().numpy().copy() for t in (y, x.grad, w.grad)]\n"
        "team = run()\n"
        "threads.SHARE_OPENMP_TEAM = False\n"
        "pool = run()\n"
        "print(threads._pool is not None, all(np.array_equal(a, b) for a, b in zip(team, pool)))\n")
    assert out == ["True True"]


@needs_libgomp
def test_a_forked_child_runs_its_tasks_on_our_own_pool():
    # libgomp's threads do not survive a fork: a child that waited for them would hang
    out = _in_fresh_process_with_openmp_first(
        "tge.set_num_threads(2)\n"
        "import os\n"
        "def child_ok():\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        ok = threads._openmp_team() is None and threads.run_tasks(lambda i: i + 1, list(range(6))) == list(range(1, 7))\n"
        "        os._exit(0 if ok else 1)\n"
        "    return os.waitpid(pid, 0)[1] == 0\n"
        "print(child_ok())\n"  # forked before the parent bound the team (PyTorch may have used it)
        "threads.run_tasks(lambda i: time.sleep(0.01), list(range(4)))  # the parent's team exists\n"
        "print(child_ok(), threads._openmp_team() is not None)\n")
    assert out == ["True", "True True"]


@needs_libgomp
def test_no_team_when_tinygrad_edu_came_first():
    env = {k: v for k, v in os.environ.items() if k not in threads.OPENMP_ENV_VARS}
    code = ("import threading, tinygrad_edu as tge\n" + _LOAD_GOMP_FIRST +
            "tge.set_num_threads(2)\n"
            "tge.threads.run_tasks(lambda i: threading.get_ident(), [0, 1])\n"
            "print(tge.threads._team_runtime, tge.threads._openmp_team(), tge.threads._pool is not None)")
    # the runtime loaded later reads our spin count: our own pool takes the tasks
    assert _python(code, env).split() == ["None", "None", "True"]


def test_the_team_is_remembered_only_where_it_applies(monkeypatch):
    monkeypatch.setattr(threads, "_team_runtime", None)
    monkeypatch.setattr(threads, "_openmp_runtimes", lambda: ["/x/libgomp.so.1", "/y/libgomp.so.1"])
    monkeypatch.setattr(sys, "platform", "linux")
    assert threads._share_openmp_team_at_import() == "/x/libgomp.so.1"  # the first one mapped
    assert threads._team_runtime == (os.getpid(), "/x/libgomp.so.1")  # for this process only
    monkeypatch.setattr(threads, "_team_runtime", None)
    monkeypatch.setattr(threads, "_openmp_runtimes", lambda: [])
    assert threads._share_openmp_team_at_import() is None  # none loaded
    monkeypatch.setattr(threads, "_openmp_runtimes", lambda: None)
    assert threads._share_openmp_team_at_import() is None  # unknown
    monkeypatch.setattr(threads, "_openmp_runtimes", lambda: ["/x/libgomp.so.1"])
    monkeypatch.setattr(sys, "platform", "darwin")  # LLVM's OpenMP there: another entry point
    assert threads._share_openmp_team_at_import() is None


def test_a_runtime_without_gomp_parallel_leaves_the_tasks_to_our_pool(monkeypatch, num_threads):
    # a runtime that cannot be opened again (or lacks the entry point): our own pool, no error
    monkeypatch.setattr(threads, "_team_runtime", (os.getpid(), "/nonexistent/libgomp.so.1"))
    monkeypatch.setattr(threads, "_team", None)
    monkeypatch.setattr(threads, "SHARE_OPENMP_TEAM", True)
    monkeypatch.setattr(threads, "_run_on_team", lambda *args: pytest.fail("no team to run on"))
    assert threads._openmp_team() is None
    assert threads._team == [None]  # remembered: not tried again at every call
    tge.set_num_threads(2)
    assert threads.run_tasks(lambda i: i * 3, list(range(5))) == [0, 3, 6, 9, 12]  # on our own pool
