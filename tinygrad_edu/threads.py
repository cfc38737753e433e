"""How many CPU threads the compute uses: ``set_num_threads`` / ``get_num_threads``
(PyTorch's names: ``torch.set_num_threads``), and ``run_tasks``, the one place where
tinygrad_edu runs work on more than one thread.

On the CPU the heavy ops split their work into independent *tasks*: a convolution
(ops/conv.py) cuts its batch into slices, each slice an im2col, a GEMM and a copy; a
memory-bound kernel (batch norm, pooling, upsampling, padding) cuts its channels or image
planes into ranges (``run_ranges``).
``run_tasks`` hands those tasks to ``get_num_threads()`` threads (the calling thread and
a small pool; or the team of PyTorch's OpenMP runtime, when PyTorch was imported first),
each taking the next task as soon as it is free. Inside a task everything runs on one
thread: the Numba kernels are compiled ``nogil`` and serial, and BLAS (NumPy's matrix
products) is held at one thread, so the threads that compute are exactly the ones that
take tasks and never more than the cores.

Why tasks and not BLAS's own threads (the default up to issue 14's second round):
a multi-threaded BLAS call splits one product evenly and is only as fast as its slowest
thread. When another program holds a core (a browser, a second notebook, PyTorch in
the same process) that thread waits for it, on every call; measured on 2 shared cores
a small-CNN training step took 348 ms with 2 BLAS threads against 43 ms with one
(benchmarks/issue14_log.md, "Thread pools: what was measured and chosen"). Tasks taken one
at a time balance themselves instead: a thread that shares its core with a hog simply
takes fewer of them, and the two threads never wait for each other inside a task.
On an idle machine both cores work (benchmarks/issue14_log.md, "Tasks on two threads").
BLAS's threads were tried once more for the small convolutions that run on one thread
here. They made the small CNN's step 0.78-0.82x as long on an idle machine, but were
ruled out for three reasons (benchmarks/issue14_log.md, "Seventeenth session"):
- OpenBLAS's idle workers spin for about 100 ms after each call, so the process holds
  both cores throughout training. With that spin cut short (``OPENBLAS_THREAD_TIMEOUT``)
  the gain went too: two threads took 0.94-1.30x the time of one. A sleeping thread
  takes 30-230 us to start work here (our helper, measured), close to the 300-400 us of
  one of these products ("Eighteenth session").
- PyTorch's steps in the same process then took about twice as long.
- Two threads add the products' terms in another order than one. A choice made by load
  would change a run's bits, and today they are the same on any thread count.

The defaults:
- ``get_num_threads()`` = the CPUs this process may run on (as PyTorch), or
  ``OMP_NUM_THREADS`` when it is set (PyTorch reads it too);
- BLAS: one thread, set at import with threadpoolctl (BLAS libraries only: an OpenMP
  runtime in the same process, PyTorch's, keeps its own setting), unless
  ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` is set (a
  user's setting wins). NumPy alone would give BLAS every core; a plain large ``matmul``
  outside a convolution therefore runs on one core here (a deliberate difference);
- oneDNN (optional; backends/mkldnn.py), where the convolutions' large products go when
  it is installed and enabled (by default on CPUs with AVX-512): each call runs on the
  thread that makes it (its OpenMP thread count set to 1 for the call, then put back),
  so it starts no thread pool of its own;
- GNU OpenMP's idle spin (PyTorch's threads, on Linux): ``GOMP_SPINCOUNT=10000`` in the
  environment, when tinygrad_edu is imported before any OpenMP runtime is loaded and the
  user set neither it nor ``OMP_WAIT_POLICY``, so that PyTorch's idle workers leave the
  cores to ours soon after a PyTorch step (``OPENMP_SPIN_COUNT`` below says why);
- when PyTorch was imported first (too late to set that spin), the tasks run on its
  OpenMP runtime's threads instead of our pool (``SHARE_OPENMP_TEAM`` below says why).
"""
import contextvars
import ctypes
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu_count():
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_num_threads():
    """``OMP_NUM_THREADS`` when it is a positive int, else the CPUs this process may run on."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else _cpu_count()


_num_threads = default_num_threads()


def set_num_threads(num_threads):
    """Run tinygrad_edu's CPU tasks (the slices of a convolution, ...) on ``num_threads``
    threads from now on; 1 runs everything on the calling thread."""
    global _num_threads
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {num_threads!r}")
    _num_threads = num_threads


def get_num_threads():
    """The number of threads tinygrad_edu's CPU tasks run on."""
    return _num_threads


def set_blas_threads(num_threads):
    """Let BLAS (NumPy's matrix products) use ``num_threads`` threads per call.

    One (the default) is right while tasks run in parallel; more only pays for a few
    big products on an idle machine, with ``set_num_threads(1)`` beside it so that the
    two kinds of threads do not share the cores."""
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"set_blas_threads: expected a positive int, got {num_threads!r}")
    ThreadpoolController().select(user_api="blas").limit(limits=num_threads)


def get_blas_threads():
    """The threads BLAS uses per call (the largest, if several BLAS libraries are loaded)."""
    counts = [lib.num_threads for lib in ThreadpoolController().select(user_api="blas").lib_controllers]
    return max(counts) if counts else 1


# --------------------------------------------------------------------------- run_tasks
def even_ranges(n, parts):
    """``[(start, stop), ...]``: 0..n cut into ``parts`` consecutive ranges whose sizes
    differ by at most one (how the ops cut their work into slices and tasks)."""
    bounds = [n * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


_pool = None  # (the process id it was made in, its size, the ThreadPoolExecutor)
_pool_lock = threading.Lock()
_in_pool = threading.local()  # .active on the pool's own threads


def _helpers(count):
    """A pool of ``count`` helper threads, made on first use, again after a fork (a
    child process inherits the pool object but not its threads) or a new thread count."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1] != count:
            _pool = (os.getpid(), count, ThreadPoolExecutor(count, "tinygrad_edu", _mark_pool_thread))
        return _pool[2]


def _mark_pool_thread():
    _in_pool.active = True


def run_tasks(work, tasks):
    """``[work(task) for task in tasks]``, on up to ``get_num_threads()`` threads.

    The tasks must be independent (each writes its own part of the output). Every
    thread, the caller's included, takes the next task left as soon as it is free, so
    a thread slowed by another program takes fewer tasks and nobody waits for it
    inside one. The results come back in the order of ``tasks``, so whatever adds them
    up afterwards adds them in the same order on any thread count (same bits). The
    first error raised by a task is raised here, after every started task has ended.
    Called from one of the pool's own threads (a task that runs tasks), it runs them
    on that thread.
    """
    count = min(_num_threads, len(tasks))
    if count <= 1 or getattr(_in_pool, "active", False):
        return [work(task) for task in tasks]
    results = [None] * len(tasks)
    todo = iter(range(len(tasks)))  # next() on it is atomic under the GIL
    errors = []

    def take_tasks():
        for i in todo:
            if errors:  # another task failed: leave the rest
                return
            try:
                results[i] = work(tasks[i])
            except BaseException as error:  # raised on the caller's thread below
                errors.append(error)
                return

    team = _openmp_team() if SHARE_OPENMP_TEAM else None
    if team is not None:  # PyTorch's OpenMP runtime came first: its threads take our tasks
        _run_on_team(team, take_tasks, count)
    else:
        helpers = _helpers(_num_threads - 1)
        # each helper runs in a copy of the caller's context: np.errstate and the like hold
        started = [helpers.submit(contextvars.copy_context().run, take_tasks) for _ in range(count - 1)]
        take_tasks()
        for future in started:
            if not future.cancel():  # not started yet (the helpers were busy): no need to wait
                future.result()
    if errors:
        raise errors[0]
    return results


# The memory-bound compiled kernels (batch norm, pooling, upsampling, padding; relu and
# ``where`` over their flat arrays) cut their independent channels, planes or values into
# at most RANGE_TASKS ranges: enough for run_tasks to balance two threads when one is
# slowed, and a fixed number, so that nothing depends on the thread count. Arrays of
# fewer than PARALLEL_ELEMENTS values run on the calling thread, in one call over all the
# planes: waking a second thread costs more than their loops (benchmarks/issue14_log.md,
# "Tasks on two threads"), and each call into a compiled loop costs a few microseconds of
# its own (batch norm's forward + backward on (32, 32, 8, 8), eight calls each way: 144
# us, one: 125; "Tenth session"). Larger ones gain on two threads even while PyTorch's
# OpenMP worker holds a core in the same process: a max_pool2d step on (32, 64, 32, 32)
# took 4.1 ms there, 5.7 serial ("Eighth session"). The planes are independent, so how
# they are cut changes no bit of the result.
#
# relu's passes and ``where`` do one comparison a value, the least of these kernels, and
# take SELECT_PARALLEL_ELEMENTS instead. With a helper that has slept for a while, two
# threads took 1.1-2.3x their serial time at 2^18 and 2^19 values (forward and backward;
# the helper starts after 30-60 us, and later when its first tasks are short and the
# interpreter lock passes between the threads), 0.96-1.16x at 2^19.6 and 0.85-1.12x at
# 2^20. Between batch norms that ran on both threads (DnCNN's step, 2^19.6 values) two
# threads paid more: the data lie in both cores' caches. The coordinate MLP's epoch on
# two threads (2^19 values between products on one thread) took 0.90-0.93x its time with
# these at PARALLEL_ELEMENTS, 0.95x beside a busy core (Zen 4 machine type;
# benchmarks/issue14_log.md, "Fifty-seventh session").
RANGE_TASKS = 8
PARALLEL_ELEMENTS = 2**18
SELECT_PARALLEL_ELEMENTS = 3 * 2**18  # 2^19.58


def run_ranges(loops, count, elements, min_elements=None):
    """``loops(first, last)`` over ``range(count)``: cut into at most RANGE_TASKS even
    ranges, as tasks on the threads (``run_tasks``), when the kernel touches at least
    ``min_elements`` ``elements`` (PARALLEL_ELEMENTS by default; SELECT_PARALLEL_ELEMENTS
    for relu and ``where``: the comment above says why); else ``loops(0, count)``, once,
    on this thread. The ranges must be independent (each writes only its own channels,
    planes or values)."""
    if count == 0:  # an empty batch: nothing to do
        return
    if elements >= (PARALLEL_ELEMENTS if min_elements is None else min_elements):
        run_tasks(lambda r: loops(*r), even_ranges(count, min(RANGE_TASKS, count)))
    else:
        loops(0, count)


def _limit_blas_at_import():
    if not any(name in os.environ for name in THREAD_ENV_VARS):
        set_blas_threads(1)


# ----------------------------------------------------------- PyTorch's OpenMP threads
# PyTorch's CPU ops run on GNU OpenMP (libgomp) on Linux, whose idle workers spin after
# each parallel region before they sleep: GOMP_SPINCOUNT turns, 300,000 by default. In a
# process that also runs PyTorch (an oracle test, weights being converted, a side-by-side
# comparison) a spinning worker holds a core that our tasks want. A turn is one `pause`,
# whose length depends on the CPU: 100,000 turns spun about 1 ms on an Intel Xeon but
# 3.4 ms on an AMD EPYC (Zen 4), where PyTorch's default spun 8 ms. With 10,000 turns
# (0.5 ms there) our two-thread steps (conv_transpose2d, max_pool2d, batch_norm) right
# after PyTorch's took 1.02-1.05x their time after as much NumPy work (1.18-1.40x with
# 100,000), and PyTorch's own steps ran as fast as with its default (0.99-1.04x back to
# back; benchmarks/issue14_log.md, "Twenty-ninth session", which also says why an
# earlier session had chosen 100,000).
# OMP_WAIT_POLICY=PASSIVE (no spin at all) cost PyTorch 14-18% ("Third session").
# libgomp reads the variable once, when it is loaded, so it counts only when
# tinygrad_edu is imported before PyTorch (or set in the shell); a user's own
# GOMP_SPINCOUNT or OMP_WAIT_POLICY always wins. A deliberate difference from a plain
# `import torch` process, said in the README.
OPENMP_SPIN_COUNT = 10_000
OPENMP_ENV_VARS = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")


def _openmp_runtimes():
    """The files of the GNU OpenMP runtimes mapped into this process (Linux:
    /proc/self/maps; PyTorch's wheel brings its own libgomp), in the order mapped; None
    where unknown."""
    try:
        with open("/proc/self/maps") as maps:
            files = [line.split()[-1] for line in maps if "libgomp" in line]
    except OSError:
        return None
    return list(dict.fromkeys(files))


def _openmp_loaded():
    """Is a GNU OpenMP runtime already mapped into this process? None where unknown."""
    files = _openmp_runtimes()
    return None if files is None else bool(files)


def _shorten_openmp_spin_at_import():
    """Set GOMP_SPINCOUNT to OPENMP_SPIN_COUNT in this process's environment, when it
    can still count: Linux, no OpenMP runtime loaded yet, nothing set by the user.
    Returns whether it set it. (Child processes inherit it, as any variable.)"""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in OPENMP_ENV_VARS):
        return False
    if _openmp_loaded() is not False:
        return False
    os.environ["GOMP_SPINCOUNT"] = str(OPENMP_SPIN_COUNT)
    return True


# ------------------------------------------- PyTorch's OpenMP threads take our tasks
# When PyTorch (its libgomp) was loaded before tinygrad_edu, the spin above cannot be
# set: its idle workers spin for milliseconds after each of its ops (8 ms on the AMD
# EPYC), on the core that our own helper wants. run_tasks then runs its tasks on that
# runtime's threads instead: one OpenMP parallel region (GOMP_parallel, libgomp's entry
# for `#pragma omp parallel`), whose threads are the caller and the team's workers, each
# running take_tasks as our helpers do; a worker still spinning takes a task at once.
# The process then has one pool of threads, not two fighting for the cores: our steps
# taking turns with PyTorch's took 0.89-1.13x their time beside a one-thread PyTorch,
# against 0.88-1.59x on our own pool (conv_transpose2d, max_pool2d, batch_norm 1.23-1.59;
# benchmarks/issue14_log.md, "Fortieth session"). The cost: the team's workers spin
# after our regions too, as after PyTorch's, so with PyTorch imported but idle and
# another program busy on one core, max_pool2d and batch_norm slowed 2.2-2.5x, as much
# as PyTorch's own (1.9-2.3x), where our pool slowed 1.3-1.6x; set this to False there.
# The results are the same bits: the tasks and the order their results are added in do
# not change. A forked child uses our own pool (libgomp's threads do not survive a
# fork). Read at each call: False always uses our own pool.
# Without PyTorch, a team of our own was tried too (libgomp, whose workers spin 10,000
# turns after a region, where the pool's helper sleeps and starts 63 us after a call,
# median): the conv_transpose2d step took 0.95-0.96x its time alone, the others 0.95-1.02x;
# but beside a one-core hog 1.09-1.17x the pool's time (conv_transpose2d, batch_norm,
# max_pool2d), likely because a region ends only when every worker has, the one that
# shares its core with the hog too, where our caller takes back a task the helper has not
# started. So the pool stays (benchmarks/issue14_log.md, "Forty-fourth session").
SHARE_OPENMP_TEAM = True
_REGION = ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # void fn(void *data), an OpenMP region
_team_runtime = None  # (the process id, the file) of the OpenMP runtime loaded before us
_team = None  # [its GOMP_parallel], once bound


def _openmp_team():
    """GOMP_parallel of the OpenMP runtime loaded before tinygrad_edu, or None: none was,
    or this is a forked child (libgomp's threads do not survive a fork, and the parent
    may have run regions on them before it, ours or PyTorch's)."""
    global _team
    if _team_runtime is None or _team_runtime[0] != os.getpid():
        return None
    if _team is None:
        try:  # RTLD_NOLOAD: only the runtime already in the process, never another copy
            parallel = ctypes.CDLL(_team_runtime[1], mode=os.RTLD_NOLOAD).GOMP_parallel
        except (OSError, AttributeError):
            parallel = None
        else:
            parallel.argtypes = [_REGION, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
            parallel.restype = None
        _team = [parallel]
    return _team[0]


def _run_on_team(parallel, take_tasks, count):
    """``take_tasks()`` on ``count`` threads of the OpenMP team, the caller as its first."""
    caller = threading.get_ident()
    context = contextvars.copy_context()

    def region(_):
        if threading.get_ident() == caller:
            take_tasks()
        else:  # a worker: the caller's context (np.errstate and the like), nested calls serial
            _in_pool.active = True
            context.copy().run(take_tasks)

    _in_pool.active = True  # a task on the caller that runs tasks runs them serially too
    try:
        parallel(_REGION(region), None, count, 0)
    finally:
        _in_pool.active = False


def _share_openmp_team_at_import():
    """Remember the GNU OpenMP runtime already loaded (Linux), whose team run_tasks will
    use in this process. Returns its file, or None when there is none (or no way to know)."""
    global _team_runtime
    files = _openmp_runtimes() if sys.platform.startswith("linux") else None
    _team_runtime = (os.getpid(), files[0]) if files else None
    return files[0] if files else None


_limit_blas_at_import()
_share_openmp_team_at_import()
_shorten_openmp_spin_at_import()
