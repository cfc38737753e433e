"""The exercise manifest, ``exercises/tasks.toml``: which tasks exist and where they live.

A task is one idea a student implements (a backward, a kernel, a forward pass). Its
solution may span several marked regions in several files; all regions carrying its id
are stubbed together.
"""
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI (setup.cfg requires it there)
    import tomli as tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../tinygrad_edu
REPO_DIR = PACKAGE_DIR.parent
DEFAULT_MANIFEST = REPO_DIR / "exercises" / "tasks.toml"


@dataclass(frozen=True)
class Task:
    id: str  # "2.3"
    title: str
    lecture: str
    files: tuple  # paths relative to the repository root, e.g. "tinygrad_edu/ops/softmax.py"
    points: float
    tests: tuple  # public pytest node ids of the reference suite
    hint: str

    @property
    def assignment(self):
        return int(self.id.split(".")[0])

    @property
    def marker(self):
        """The pytest mark of the task: ``task2_3``."""
        return "task" + self.id.replace(".", "_")


@dataclass(frozen=True)
class Assignment:
    number: int
    title: str
    tasks: tuple


@dataclass(frozen=True)
class Manifest:
    assignments: tuple
    path: Path

    @property
    def tasks(self):
        return tuple(t for a in self.assignments for t in a.tasks)

    def task(self, task_id):
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(f"tasks.toml: no task {task_id!r}; known: {', '.join(t.id for t in self.tasks)}")

    def assignment(self, number):
        for a in self.assignments:
            if a.number == number:
                return a
        raise KeyError(f"tasks.toml: no assignment {number}; known: {', '.join(str(a.number) for a in self.assignments)}")

    @property
    def files(self):
        """Every file that holds a region, in manifest order, without repeats."""
        return tuple(dict.fromkeys(f for t in self.tasks for f in t.files))


REQUIRED = ("id", "title", "lecture", "files", "points", "tests", "hint")


def load_manifest(path=DEFAULT_MANIFEST):
    """Read and check ``tasks.toml``: every field present, ids "A.B" unique and in a
    declared assignment, every listed file present next to the manifest's repository."""
    path = Path(path)
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    titles = {a["number"]: a["title"] for a in raw.get("assignment", [])}
    tasks, seen = {}, set()
    for entry in raw.get("task", []):
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise ValueError(f"{path}: task {entry.get('id', '?')} lacks {', '.join(missing)}")
        task_id = entry["id"]
        parts = task_id.split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"{path}: task id {task_id!r} is not of the form A.B (assignment.task)")
        if task_id in seen:
            raise ValueError(f"{path}: task {task_id} is listed twice")
        seen.add(task_id)
        task = Task(task_id, entry["title"], entry["lecture"], tuple(entry["files"]), float(entry["points"]),
                    tuple(entry["tests"]), entry["hint"])
        if task.assignment not in titles:
            raise ValueError(f"{path}: task {task_id} belongs to assignment {task.assignment}, which has no [[assignment]] entry")
        if '"' in task.title + task.hint or "\\" in task.title + task.hint:
            raise ValueError(f"{path}: task {task_id}: title and hint may not contain quotes or backslashes (they go into a string literal)")
        tasks.setdefault(task.assignment, []).append(task)
    assignments = tuple(Assignment(n, titles[n], tuple(tasks.get(n, ()))) for n in sorted(titles))
    return Manifest(assignments, path)


def test_marks(manifest):
    """{pytest node id without parameters: [task marks]} for tasks.toml's public tests."""
    marks = {}
    for task in manifest.tasks:
        for node in task.tests:
            marks.setdefault(node, []).append(task.marker)
    return marks
