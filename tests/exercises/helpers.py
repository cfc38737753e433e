"""Shared by the exercise proofs: submissions built from the reference, quiet grading."""
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tinygrad_edu.exercises.grade import grade
from tinygrad_edu.exercises.manifest import PACKAGE_DIR, REPO_DIR, load_manifest
from tinygrad_edu.exercises.markers import find_regions
from tinygrad_edu.exercises.sandbox import DEFAULT_USER, Limits


def unprivileged_user_reason():
    """None if the tests can grade as ``nobody`` (root, the user exists and can run
    this Python with NumPy), else why not."""
    if os.geteuid() != 0:
        return f"the tests run as uid {os.geteuid()}, not root: only root can switch to another user"
    try:
        entry = pwd.getpwnam(DEFAULT_USER)
    except KeyError:
        return f"no user {DEFAULT_USER!r} on this machine"
    try:
        done = subprocess.run([sys.executable, "-I", "-c", "import numpy"], cwd="/", capture_output=True,
                              user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], timeout=120)
        ok = done.returncode == 0
    except OSError:
        ok = False
    return None if ok else f"{DEFAULT_USER!r} cannot run {sys.executable} with NumPy (a Python under /root?)"


NO_UNPRIVILEGED_USER = unprivileged_user_reason()
# As root the grader refuses to run student code as root unless told to: the tests
# grade as nobody where they can, and opt out explicitly where nobody cannot run Python.
TEST_USER = "root" if os.geteuid() == 0 and NO_UNPRIVILEGED_USER else None
MANIFEST = load_manifest()
FAST = Limits(memory_mib=2048, cpu_s=20, wall_s=30.0, run_as=TEST_USER)
STUB = re.compile(r'^(?P<indent>[ \t]*)raise NotImplementedError\("Task (?P<id>\d+\.\d+): ')


def reference_submission(folder):
    """A submission folder holding a copy of the reference package."""
    folder = Path(folder)
    shutil.copytree(PACKAGE_DIR, folder / "tinygrad_edu", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return folder


def replace(folder, rel, old, new):
    """Replace the one occurrence of ``old`` in a submission file."""
    path = Path(folder) / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{rel}: expected one {old!r}, found {text.count(old)}"
    path.write_text(text.replace(old, new))


def fill_stubs(folder):
    """Put the reference bodies back in place of every stub of a release (what a
    student who solved everything would hand in), matching stubs and regions in order."""
    for rel in MANIFEST.files:
        reference = (REPO_DIR / rel).read_text().splitlines(keepends=True)
        bodies = {}
        for r in find_regions("".join(reference), rel):
            bodies.setdefault(r.task_id, []).append(reference[r.begin + 1:r.end])
        path = Path(folder) / rel
        out = []
        for line in path.read_text().splitlines(keepends=True):
            stub = STUB.match(line)
            out += bodies[stub["id"]].pop(0) if stub else [line]
        path.write_text("".join(out))


def grade_quiet(submission, out, **kwargs):
    kwargs.setdefault("limits", FAST)
    kwargs.setdefault("jobs", 2)  # CI has 2 cores; grade() never runs more children than CPUs
    grading = grade(submission, out, echo=None, **kwargs)
    results = json.loads(Path(out).read_text())  # valid JSON, always
    assert set(results) >= {"score", "execution_time", "tests"}
    for test in results["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "visibility", "output"}
    return grading, results


def scores_by_task(results):
    """{task id: (score, max score)} summed over its public and hidden tests."""
    totals = {}
    for test in results["tests"]:
        task_id = test["number"].rsplit(".", 1)[0]
        score, top = totals.get(task_id, (0.0, 0.0))
        totals[task_id] = (score + test["score"], top + test["max_score"])
    return totals
