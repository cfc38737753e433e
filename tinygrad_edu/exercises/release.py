"""Write the student tree of an assignment: the package with the marked solutions of
that assignment (and of every later one) replaced by stubs, earlier assignments'
solutions kept, the public tests, and a README per assignment.

Before anything is written, every marker in the package is checked (no nesting, no
unclosed region, no unknown task, each region in a file its task lists). After, every
released Python file must parse, and no line that existed only inside a stubbed region
may appear anywhere in the release.
"""
import ast
import shutil
from pathlib import Path

import numpy as np

from . import checks
from .manifest import DEFAULT_MANIFEST, load_manifest
from .markers import MarkerError, find_regions, strip_regions

COPIED = ("tinygrad_edu", "tests", "setup.cfg", "pyproject.toml", "README.md", "exercises/tasks.toml")
NOT_RELEASED = ("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
PRIVATE_TESTS = "tests/exercises"  # the grader's proofs and corpora of wrong answers


def _package_sources(repo):
    """The package's Python files, except this tool's own (its docstrings show markers)."""
    tool = repo / "tinygrad_edu" / "exercises"
    return [p for p in sorted((repo / "tinygrad_edu").rglob("*.py")) if tool not in p.parents]


def check_markers(repo, manifest):
    """{file: regions} for every file of the package holding a region; raises MarkerError."""
    known = {t.id: t for t in manifest.tasks}
    found = {}
    for path in _package_sources(repo):
        rel = path.relative_to(repo).as_posix()
        regions = find_regions(path.read_text(), rel, set(known))
        for r in regions:
            if rel not in known[r.task_id].files:
                raise MarkerError(f"{rel}:{r.begin + 1}: a region of task {r.task_id}, but tasks.toml does not list "
                                  f"{rel} among that task's files")
        if regions:
            found[rel] = regions
    for task in manifest.tasks:
        for rel in task.files:
            if not any(r.task_id == task.id for r in found.get(rel, ())):
                raise MarkerError(f"tasks.toml: task {task.id} lists {rel}, which holds no region of it")
    return found


def release(out, assignment=None, manifest_path=DEFAULT_MANIFEST, echo=print):
    """Write the release of ``assignment`` (every assignment when None) into ``out``."""
    manifest = load_manifest(manifest_path)
    repo = Path(manifest.path).resolve().parent.parent
    numbers = [a.number for a in manifest.assignments]
    if assignment is not None and assignment not in numbers:
        raise ValueError(f"release: no assignment {assignment}; tasks.toml has {numbers}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"release: {out} exists and is not empty; choose a new folder")
    marked = check_markers(repo, manifest)
    tasks_by_id = {t.id: t for t in manifest.tasks}
    stub_ids = {t.id for t in manifest.tasks if assignment is None or t.assignment >= assignment}
    released = [a for a in manifest.assignments if assignment is None or a.number == assignment]

    _copy(repo, out)
    for rel in marked:
        text, _ = strip_regions((repo / rel).read_text(), tasks_by_id, stub_ids, rel)
        (out / rel).write_text(text)
    _check_release(repo, out, marked, stub_ids)
    _write_public_tests(out, [t for a in released for t in a.tasks])
    for a in released:
        _write_readme(out, a)
    if echo:
        echo(f"released assignment{'s' if assignment is None else ''} "
             f"{', '.join(str(a.number) for a in released)} into {out}: "
             f"{len(stub_ids)} tasks stubbed in {len(marked)} files")
    return out


def _copy(repo, out):
    out.mkdir(parents=True, exist_ok=True)
    for rel in COPIED:
        src, dst = repo / rel, out / rel
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*NOT_RELEASED))
        elif src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    shutil.rmtree(out / PRIVATE_TESTS, ignore_errors=True)


def _check_release(repo, out, marked, stub_ids):
    """Every released .py parses; no line found only inside stubbed regions survives."""
    released_lines = set()
    for path in out.rglob("*.py"):
        text = path.read_text()
        try:
            ast.parse(text, filename=str(path))
        except SyntaxError as e:
            raise MarkerError(f"release: {path.relative_to(out)} does not parse ({e.msg}, line {e.lineno})") from None
        released_lines.update(line.strip() for line in text.splitlines())
    inside, outside = set(), set()  # stripped reference lines, in and out of stubbed regions
    for path in [*(repo / "tinygrad_edu").rglob("*.py"), *(repo / "tests").rglob("*.py")]:
        rel = path.relative_to(repo).as_posix()
        stubbed = {i for r in marked.get(rel, ()) if r.task_id in stub_ids for i in range(r.begin + 1, r.end)}
        for i, line in enumerate(path.read_text().splitlines()):
            (inside if i in stubbed else outside).add(line.strip())
    leaked = sorted((inside - outside - {""}) & released_lines)
    if leaked:
        raise MarkerError(f"release: solution text survives in the release, e.g. {leaked[:3]}")


def _write_public_tests(out, tasks):
    """tests/test_exercises_public.py and the reference answers of its public cases."""
    arrays = {}
    for task in tasks:
        check = checks.CHECKS[task.id]
        for i, case in enumerate(checks.public_cases(task.id)):
            expected = check.probe({k: np.array(v) for k, v in case.items()})
            arrays.update({f"{task.id}/c{i}/in/{k}": np.asarray(v) for k, v in case.items()})
            arrays.update({f"{task.id}/c{i}/out/{k}": v for k, v in expected.items()})
    np.savez(out / "tests" / "exercises_public.npz", **arrays)
    shutil.copyfile(Path(__file__).with_name("public_tests.py"), out / "tests" / "test_exercises_public.py")


def _write_readme(out, assignment):
    folder = out / "exercises" / f"assignment{assignment.number}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Assignment {assignment.number}: {assignment.title}",
        "",
        "Each task below is a function whose body was replaced by",
        '`raise NotImplementedError("Task A.B: ...")`. Its signature and docstring (with the',
        "math) are still there: replace the `raise` line with your implementation. Do not",
        "change signatures or other files; only the files listed are taken from your submission.",
        "",
        "| task | what | file(s) | points | check locally |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in assignment.tasks:
        files = ", ".join(f"`{f}`" for f in t.files)
        lines.append(f"| {t.id} | {t.title} | {files} | {t.points:g} | `pytest -m {t.marker}` |")
    lines += ["", "## Tasks", ""]
    for t in assignment.tasks:
        lines += [f"### Task {t.id}: {t.title}", "", f"Lecture: {t.lecture}.", "",
                  f"Files: {', '.join(t.files)}.", "", f"Hint: {t.hint}", "",
                  f"Check: `PYTHONPATH=. python -m pytest -m {t.marker}` (from the folder holding `tinygrad_edu/`).", ""]
    lines += [
        "## Checking and submitting",
        "",
        "- `pytest -m task2_3` runs the public tests of one task: the grader's public cases",
        "  (`tests/test_exercises_public.py`) and the course tests that exercise it.",
        "- The autograder runs the same public cases and hidden ones like them (other shapes,",
        "  broadcasting, edge values such as exact zeros, ties and large logits), each task in",
        "  its own sandboxed process. Hidden results appear after the due date.",
        "- Submit the `tinygrad_edu/` folder (zip it with the folder at the top level).",
        "",
    ]
    (folder / "README.md").write_text("\n".join(lines))
