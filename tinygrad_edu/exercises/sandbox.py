"""Run one grading child: an isolated interpreter with resource limits and a timeout.

- ``python -I``: no PYTHONPATH, no user site-packages, the script's folder not on the path;
- a scrubbed environment: only what NumPy needs, one BLAS thread (threads count
  against the process limit);
- limits set in the child before it starts (``resource.setrlimit``): address space
  (a memory bomb gets MemoryError), CPU seconds, file size, and no new processes
  (a fork bomb gets an error). The kernel does not enforce the process limit for
  root: a grader running as root (Gradescope) should pass ``run_as`` an unprivileged
  user, which also keeps student code from reading files only root may read;
- its own process group, killed whole by the parent at the wall-clock timeout and
  after every run, so nothing it started outlives it;
- stdout/stderr to files (bounded by the file-size limit), never to a pipe.
"""
import os
import pwd
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    memory_mib: int = 3072  # address space; importing NumPy and Numba maps about 350 MiB
    cpu_s: int = 60
    wall_s: float = 60.0
    file_mib: int = 64
    processes: int = 0  # 0: the child may not fork or start threads beyond its own
    run_as: str = None  # a user to run the child as (needs root, e.g. on Gradescope)


@dataclass(frozen=True)
class ChildResult:
    returncode: int
    timed_out: bool
    seconds: float
    stderr_tail: str


def scrubbed_env(workdir):
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "NUMBA_CACHE_DIR": str(Path(workdir) / ".numba"),
        "MPLCONFIGDIR": str(Path(workdir) / ".matplotlib"),
        "MPLBACKEND": "Agg",
    }


def _apply_limits(limits):
    """Runs in the child between fork and exec."""
    def setup():
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mib * MiB, limits.memory_mib * MiB))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mib * MiB, limits.file_mib * MiB))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return setup


def run_child(args, workdir, limits):
    """Run ``python -I *args`` in ``workdir``; kill its process group at ``limits.wall_s``.
    A child that cannot even start is reported as a failed run (status -1), not raised."""
    workdir = Path(workdir)
    user = group = None
    if limits.run_as:
        entry = pwd.getpwnam(limits.run_as)
        user, group = entry.pw_uid, entry.pw_gid
    with open(workdir / "stdout.txt", "wb") as out, open(workdir / "stderr.txt", "wb") as err:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", *map(str, args)], cwd=workdir, env=scrubbed_env(workdir),
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
                preexec_fn=_apply_limits(limits), close_fds=True,
                user=user, group=group, extra_groups=[] if user is not None else None,
            )
        except OSError as e:
            return ChildResult(-1, False, 0.0, f"the grading process could not start: {e}")
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc.pid)
            proc.wait()
    seconds = time.monotonic() - start
    return ChildResult(proc.returncode, timed_out, seconds, _tail(workdir / "stderr.txt"))


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path, limit=2000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
