"""Grading as root drops student code to an unprivileged user (``nobody``).

Needs root, a user ``nobody`` and a Python that user can run (skipped otherwise,
with the reason): the reference scores full marks as ``nobody`` (it can read the
Python install, the package and its copy of the submission); a fork bomb is stopped
by the process limit, which the kernel enforces for ``nobody`` but not for root, and
leaves no process behind; a root-only (0600) file holding the answers cannot be read,
while the same attack run as root (``run_as="root"``, the explicit opt-out) can.
"""
import os
import pwd
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

from tinygrad_edu.exercises.manifest import PACKAGE_DIR
from tinygrad_edu.exercises.sandbox import Limits, choose_user

from .helpers import NO_UNPRIVILEGED_USER, grade_quiet, reference_submission, replace, scores_by_task

needs_nobody = pytest.mark.skipif(NO_UNPRIVILEGED_USER is not None, reason=f"cannot grade as nobody: {NO_UNPRIVILEGED_USER}")
NOBODY = Limits(memory_mib=1024, cpu_s=10, wall_s=20.0, run_as="nobody")
BEGIN = "    # BEGIN SOLUTION task 3.1\n"


def attack(folder, code):
    submission = reference_submission(folder)
    replace(submission, "tinygrad_edu/kernels/unfold.py", BEGIN, BEGIN + textwrap.indent(textwrap.dedent(code).strip(), "    ") + "\n")
    return submission


def processes_of(uid):
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def test_choose_user_never_picks_root_by_default():
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        with pytest.raises(ValueError, match="refusing to run student code as root"):
            choose_user(None, euid=0)
    else:
        assert choose_user(None, euid=0) == "nobody"
    assert choose_user("root", euid=0) is None  # the explicit opt-out: run as the grader
    assert choose_user(None, euid=1000) is None  # not root: nothing to drop
    with pytest.raises(ValueError, match="needs the grader to run as root"):
        choose_user("nobody", euid=1000)
    with pytest.raises(ValueError, match="is not a user"):
        choose_user("no-such-user-tge", euid=0)


@needs_nobody
def test_the_reference_scores_full_marks_as_nobody(tmp_path):
    submission = reference_submission(tmp_path / "submission")
    _, results = grade_quiet(submission, tmp_path / "results.json", task_ids={"1.1", "3.1"}, limits=NOBODY)
    assert set(scores_by_task(results)) == {"1.1", "3.1"} and results["score"] > 0
    assert all(t["status"] == "passed" for t in results["tests"]), results


@needs_nobody
def test_student_code_runs_as_nobody_by_default(tmp_path):
    submission = attack(tmp_path / "submission", 'import os\nraise RuntimeError(f"uid {os.getuid()} euid {os.geteuid()}")')
    _, results = grade_quiet(submission, tmp_path / "results.json", task_ids={"3.1"},
                             limits=Limits(memory_mib=1024, cpu_s=10, wall_s=20.0))  # run_as left to the default
    assert results["score"] == 0 and "uid 65534 euid 65534" in results["tests"][0]["output"]


@needs_nobody
def test_a_fork_bomb_is_stopped_by_the_process_limit_and_leaves_nothing(tmp_path):
    submission = attack(tmp_path / "submission", """
        import os, time
        forks = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                forks += 1
        except OSError as e:
            raise RuntimeError(f"forks {forks}: {e}")""")
    nobody = 65534
    assert processes_of(nobody) == [], "a process of nobody runs already: cannot check what is left"
    grading, results = grade_quiet(submission, tmp_path / "results.json", task_ids={"3.1"}, limits=NOBODY)
    assert results["score"] == 0 and grading.score == 0
    assert "forks 0: [Errno 11] Resource temporarily unavailable" in results["tests"][0]["output"]
    assert processes_of(nobody) == []


@needs_nobody
def test_a_root_only_file_cannot_be_read_as_nobody(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="tge-secret-"))  # a folder anyone may enter, a file only root may read
    try:
        os.chmod(folder, 0o755)
        secret = folder / "unfold_reference.py"
        shutil.copyfile(PACKAGE_DIR / "kernels" / "unfold.py", secret)  # the grader's solution
        os.chmod(secret, 0o600)
        submission = attack(tmp_path / "submission", f"""
            import runpy
            stolen = runpy.run_path({str(secret)!r})
            return stolen["im2col_reference"](x, kernel_size, stride, padding, dilation)""")
        as_root = Limits(memory_mib=1024, cpu_s=10, wall_s=20.0, run_as="root")
        _, results = grade_quiet(submission, tmp_path / "root.json", task_ids={"3.1"}, limits=as_root)
        assert all(t["status"] == "passed" for t in results["tests"]), "the attack should work as root"
        _, results = grade_quiet(submission, tmp_path / "nobody.json", task_ids={"3.1"}, limits=NOBODY)
        assert results["score"] == 0
        assert "PermissionError: [Errno 13] Permission denied" in results["tests"][0]["output"]
    finally:
        shutil.rmtree(folder)
