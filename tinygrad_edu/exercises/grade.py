"""Grade a submission: each task in a sandboxed child, judged here against references
computed by this process's own (trusted) ``tinygrad_edu``.

For every task:
1. draw its cases: the public ones (fixed) and the hidden ones (from a seed drawn per
   grading run, never shown to the student);
2. write them to ``inputs.npz`` in a fresh work folder holding a copy of the trusted
   package with the submission's versions of the exercise files laid over it (only
   the files named in tasks.toml come from the submission);
3. run ``runner.py`` there in a child (``sandbox.run_child``) and read its
   ``answers.npz`` back with ``allow_pickle=False``;
4. run the same probe here, on the trusted package, and compare (``checks.compare``).

Each task gives two Gradescope tests, public (visible) and hidden (visible after the
due date), each worth a share of the task's points in proportion to the cases it
passes. Whatever the child does (crash, exit, skip, hang, exhaust memory), a valid
``results.json`` is written, atomically, after every child has been killed.
"""
import json
import os
import secrets
import shutil
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import checks
from .manifest import PACKAGE_DIR, load_manifest, DEFAULT_MANIFEST
from .sandbox import Limits, check_user_can_run, choose_user, run_child

HERE = Path(__file__).resolve().parent
PUBLIC_SHARE = 0.4  # of a task's points; the hidden cases carry the rest
MAX_ANSWER_BYTES = 256 << 20  # uncompressed size of answers.npz the grader will read


@dataclass
class TestResult:
    name: str
    number: str
    score: float
    max_score: float
    visibility: str
    output: str

    @property
    def status(self):
        return "passed" if self.score >= self.max_score - 1e-9 else "failed"

    def as_gradescope(self):
        return {"name": self.name, "number": self.number, "score": round(self.score, 4),
                "max_score": self.max_score, "status": self.status, "visibility": self.visibility,
                "output": self.output}


@dataclass
class Grading:
    tests: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self):
        return sum(t.score for t in self.tests)

    @property
    def max_score(self):
        return sum(t.max_score for t in self.tests)

    def as_gradescope(self):
        return {"score": round(self.score, 4), "execution_time": round(self.seconds, 2),
                "output": f"{self.score:.2f} / {self.max_score:.2f} points (hidden tests count after the due date).",
                "visibility": "visible", "stdout_visibility": "hidden",
                "tests": [t.as_gradescope() for t in self.tests]}


def grade(submission, out=None, manifest_path=DEFAULT_MANIFEST, assignment=None, task_ids=None, seed=None,
          limits=Limits(), jobs=1, echo=print):
    """Grade ``submission`` (a folder holding ``tinygrad_edu/...``); write ``out``
    (results.json) if given; return the ``Grading``.

    Student code never runs as root: as root, children run as ``limits.run_as`` or
    else ``nobody`` (``sandbox.choose_user``; ``run_as="root"`` is the explicit opt-out).
    ``jobs`` children run at a time (at most the number of CPUs: never oversubscribe);
    the references are computed one task after another in this process, since the
    framework's random generator is global state.
    """
    start = time.monotonic()
    submission = Path(submission).resolve()
    _refuse_untrusted_reference(submission)
    manifest = load_manifest(manifest_path)
    tasks = [t for t in manifest.tasks if (assignment is None or t.assignment == assignment)
             and (task_ids is None or t.id in task_ids)]
    seed = secrets.randbits(63) if seed is None else seed
    jobs = max(1, min(jobs, os.cpu_count() or 1))
    limits = replace(limits, run_as=choose_user(limits.run_as))
    if os.geteuid() == 0 and not limits.run_as and echo:
        echo("warning: student code runs as root (--run-as root): the kernel does not enforce the process limit "
             "for root, and student code can read every file")
    grading = Grading()
    workroot = Path(tempfile.mkdtemp(prefix="tge-grade-"))
    try:
        if limits.run_as:  # the user may pass through to its own folders, not list or read the rest
            os.chmod(workroot, 0o711)
            check_user_can_run(limits.run_as, workroot)
        pristine, problems = _overlay_tree(workroot / "pristine", submission, manifest.files)
        os.chmod(pristine, 0o700)  # and so each task's copy of it, until handed to the user
        prepared = [_prepare(task, pristine, workroot, seed, limits) for task in tasks]
        with ThreadPoolExecutor(max_workers=jobs) as pool:  # threads only wait on their child
            children = list(pool.map(lambda p: run_child(p.args, p.workdir, limits), prepared))
        for p, child in zip(prepared, children):
            grading.tests += _judge(p, child, problems, limits)
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    grading.seconds = time.monotonic() - start
    if out is not None:
        write_results(grading, out)
    if echo:  # the seed goes to the terminal only (Gradescope hides stdout from students)
        echo(table(grading) + f"\nhidden cases drawn from seed {seed} (reproduce with --seed {seed})")
    return grading


def _refuse_untrusted_reference(submission):
    """The references must come from the grader's own package, never the submission's.

    A path check can only catch a grader package nested inside the submission; run
    the grader from its own checkout (``cd /autograder/source``), never with the
    submission as the current folder, where ``python -m`` would import the student's
    package as the reference."""
    if PACKAGE_DIR == submission or submission in PACKAGE_DIR.parents:
        if (submission / "tinygrad_edu") != PACKAGE_DIR:
            raise RuntimeError(f"grade: the grader's tinygrad_edu ({PACKAGE_DIR}) lies inside the submission "
                               f"{submission}; run the grader from a trusted checkout")


def _overlay_tree(tree, submission, files):
    """A copy of the trusted package with the submission's exercise files over it.
    Returns (tree, {file: problem}) for files missing or not regular files."""
    shutil.copytree(PACKAGE_DIR, tree / "tinygrad_edu", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    problems = {}
    for rel in files:
        src, dst = submission / rel, tree / rel
        if src.is_symlink() or not src.is_file():
            problems[rel] = ("is a link (refused: submit the file itself)" if src.is_symlink()
                             else "is missing from the submission")
            dst.unlink(missing_ok=True)  # never grade the trusted solution in its place
            continue
        shutil.copyfile(src, dst)
    return tree, problems


@dataclass
class Prepared:
    task: object
    workdir: Path
    public: list
    hidden: list
    args: list


def _prepare(task, pristine, workroot, seed, limits):
    """The task's cases and its work folder: a fresh copy of the overlaid tree, the
    grader's own runner.py and checks.py beside it, and inputs.npz."""
    public, hidden = checks.public_cases(task.id), checks.hidden_cases(task.id, seed)
    workdir = workroot / ("task" + task.id.replace(".", "_"))
    shutil.copytree(pristine, workdir)
    for name in ("runner.py", "checks.py"):
        shutil.copyfile(HERE / name, workdir / name)
    cases = public + hidden
    np.savez(workdir / "inputs.npz", **{f"c{i}.{k}": np.asarray(v) for i, case in enumerate(cases) for k, v in case.items()})
    if limits.run_as:
        _give_to(workdir, limits.run_as)
    args = ["runner.py", workdir, "checks.py", task.id, "inputs.npz", "answers.npz"]
    return Prepared(task, workdir, public, hidden, args)


def _judge(prepared, child, problems, limits):
    """Compare the child's answers with the references computed here: two tests."""
    task = prepared.task
    check = checks.CHECKS[task.id]
    cases = prepared.public + prepared.hidden
    answers, failure = _read_answers(prepared.workdir / "answers.npz", child, limits)
    missing = [f"{rel} {problems[rel]}" for rel in task.files if rel in problems]
    verdicts = []
    for i, case in enumerate(cases):
        expected = check.probe({k: np.array(v) for k, v in case.items()})
        if missing:
            verdicts.append((False, "; ".join(missing)))
        elif failure is not None:
            verdicts.append((False, failure))
        elif f"c{i}.__error__" in answers:
            verdicts.append((False, "raised " + bytes(answers[f"c{i}.__error__"]).decode("utf-8", "replace")))
        else:
            got = {k.split(".", 1)[1]: v for k, v in answers.items() if k.startswith(f"c{i}.")}
            verdicts.append(checks.compare(expected, got, check.rtol, check.atol))
    n = len(prepared.public)
    public_points = task.points * PUBLIC_SHARE
    return [
        _test(task, "public", 1, verdicts[:n], public_points, "visible"),
        _test(task, "hidden", 2, verdicts[n:], task.points - public_points, "after_due_date"),
    ]


def _test(task, kind, number, verdicts, points, visibility):
    passed = sum(ok for ok, _ in verdicts)
    lines = [f"{kind} case {i + 1}: {'ok' if ok else 'FAILED: ' + message}" for i, (ok, message) in enumerate(verdicts)]
    if kind == "public":
        lines.append(f"Run locally: pytest -m {task.marker}")
    return TestResult(f"Task {task.id} ({kind}): {task.title}", f"{task.id}.{number}",
                      points * passed / len(verdicts), points, visibility, "\n".join(lines))


def _read_answers(path, child, limits):
    """``(answers, None)`` or ``({}, why every case failed)``."""
    if child.timed_out:
        return {}, f"timed out: no answers within the {limits.wall_s:g} s wall-clock limit (an endless loop?)"
    if child.returncode in (-24, -9) and not path.exists():  # SIGXCPU, then SIGKILL at the hard limit
        return {}, f"killed after {limits.cpu_s} s of CPU time (an endless loop, or a fight with the memory limit?)"
    if not path.exists():
        return {}, (f"the grading process ended (status {child.returncode}) before writing its answers; did the "
                    f"code exit, crash or exhaust memory? Its last words: {child.stderr_tail[-400:].strip()!r}")
    try:
        with zipfile.ZipFile(path) as z:
            if sum(info.file_size for info in z.infolist()) > MAX_ANSWER_BYTES:
                return {}, "the answers file is larger than the grader reads"
        answers = {}
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                answers[key] = data[key]
        return answers, None
    except Exception as exc:  # a file the student's code wrote or damaged
        return {}, f"the answers could not be read as plain arrays ({type(exc).__name__}: {exc})"[:400]


def _give_to(folder, user):
    for root, dirs, files in os.walk(folder):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            shutil.chown(name, user=user)


def write_results(grading, out):
    """Write Gradescope's results.json atomically (a temporary file, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=out.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(grading.as_gradescope(), f, indent=2)
    os.replace(tmp, out)


def table(grading):
    rows = [f"{'test':<60} {'score':>11}  status"]
    for t in grading.tests:
        first = next((line for line in t.output.splitlines() if "FAILED" in line), "")
        rows.append(f"{t.name[:60]:<60} {t.score:5.2f}/{t.max_score:<5.2f}  {t.status}" + (f"  ({first[:90]})" if first else ""))
    rows.append(f"{'total':<60} {grading.score:5.2f}/{grading.max_score:<5.2f}  ({grading.seconds:.1f} s)")
    return "\n".join(rows)
