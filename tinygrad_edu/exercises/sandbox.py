"""Run one grading child: an isolated interpreter with resource limits and a timeout.

- ``python -I``: no PYTHONPATH, no user site-packages, the script's folder not on the path;
- a scrubbed environment: only what NumPy needs, one BLAS thread (threads count
  against the process limit);
- limits set in the child before it starts (``resource.setrlimit``): address space
  (a memory bomb gets MemoryError), CPU seconds, file size, and no new processes
  (a fork bomb gets an error);
- never root: the kernel does not enforce the process limit for root, and root reads
  every file. A grader running as root (Gradescope) drops the child to ``run_as``
  between fork and exec; ``choose_user`` makes ``nobody`` the default there, and
  running student code as root takes an explicit ``run_as="root"``;
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
    run_as: str = None  # a user to run the child as (needs root); see choose_user


DEFAULT_USER = "nobody"


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


def choose_user(run_as, euid=None):
    """The user the children run as, or None for the grader's own user.

    Not root: ``run_as`` must be None or the grader's own user (only root can switch).
    Root: ``run_as`` if named; ``"root"`` is the explicit opt-out (student code runs as
    root: no process limit, every file readable); unnamed, ``nobody``, and an error if
    that user does not exist. PyTorch has nothing like this; any serious autograder
    refuses to run untrusted code as root by default.
    """
    euid = os.geteuid() if euid is None else euid
    if run_as is not None:
        try:
            uid = pwd.getpwnam(run_as).pw_uid
        except KeyError:
            raise ValueError(f"grade: run_as={run_as!r} is not a user on this machine") from None
        if uid == euid:
            return None
        if euid != 0:
            raise ValueError(f"grade: run_as={run_as!r} needs the grader to run as root (it runs as uid {euid})")
        return None if uid == 0 else run_as
    if euid != 0:
        return None
    try:
        pwd.getpwnam(DEFAULT_USER)
    except KeyError:
        raise ValueError(f"grade: refusing to run student code as root, and there is no user {DEFAULT_USER!r} to run "
                         "it as: create an unprivileged user (useradd --no-create-home student-code) and pass "
                         "--run-as student-code, or pass --run-as root to accept the risk") from None
    return DEFAULT_USER


def check_user_can_run(user, workdir):
    """Fail early, with the reason, if ``user`` cannot start this Python with NumPy
    (a Python installed under /root, say); otherwise every task would score 0."""
    entry = pwd.getpwnam(user)
    try:
        done = subprocess.run([sys.executable, "-I", "-c", "import numpy"], cwd=workdir, env=scrubbed_env(workdir),
                              stdin=subprocess.DEVNULL, capture_output=True, user=entry.pw_uid, group=entry.pw_gid,
                              extra_groups=[], timeout=120)
        status, why = done.returncode, (done.stderr or b"").decode("utf-8", "replace").strip()[-300:]
    except OSError as e:  # the interpreter itself is out of the user's reach
        status, why = -1, str(e)
    if status != 0:
        raise RuntimeError(f"grade: user {user!r} cannot run {sys.executable} with NumPy (status {status}: "
                           f"{why}); install Python where that user can read it, or pass another --run-as")


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
