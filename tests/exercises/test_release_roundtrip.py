"""Release and round trip: every task passes on the reference and fails on its stub.

- the reference checkout itself grades to full marks;
- the untouched release (every assignment stubbed) grades to zero;
- each assignment's release, with the reference bodies filled back in, grades to full
  marks (its earlier assignments' solutions were kept by the release);
- the public pytest tests of a release fail on the stubs and pass once filled.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tinygrad_edu.exercises.manifest import REPO_DIR
from tinygrad_edu.exercises.markers import MarkerError
from tinygrad_edu.exercises.release import _check_release, check_markers, release

from .helpers import MANIFEST, fill_stubs, grade_quiet, scores_by_task

TASK_IDS = [t.id for t in MANIFEST.tasks]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return release(tmp_path_factory.mktemp("release") / "all", echo=None)


def test_every_region_is_a_stub_with_its_task_and_no_marker_survives(released):
    for task in MANIFEST.tasks:
        for rel in task.files:
            assert f'raise NotImplementedError("Task {task.id}: {task.title}. ' in (released / rel).read_text(), rel
    for path in released.rglob("*.py"):
        if "exercises" not in path.parts:
            assert "SOLUTION" not in path.read_text(), path
    assert not (released / "tests" / "exercises").exists()  # the corpora of wrong answers stay private


def test_a_readme_per_assignment_names_files_and_the_local_check(released):
    for assignment in MANIFEST.assignments:
        text = (released / "exercises" / f"assignment{assignment.number}" / "README.md").read_text()
        for task in assignment.tasks:
            assert f"pytest -m {task.marker}" in text and task.files[0] in text and task.title in text


def test_an_assignment_release_keeps_earlier_solutions_and_stubs_the_rest(tmp_path):
    out = release(tmp_path / "a3", assignment=3, echo=None)
    assert "return kernels.where(z <= 0, 0, g)" in (out / "tinygrad_edu/ops/activation.py").read_text()  # task 2.1 kept
    assert 'raise NotImplementedError("Task 3.1: ' in (out / "tinygrad_edu/kernels/unfold.py").read_text()
    assert 'raise NotImplementedError("Task 4.1: ' in (out / "tinygrad_edu/ops/norm.py").read_text()  # later: stubbed
    assert (out / "exercises" / "assignment3" / "README.md").exists()
    assert not (out / "exercises" / "assignment2").exists()


def test_release_refuses_a_folder_in_use_and_an_unknown_assignment(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    with pytest.raises(FileExistsError):
        release(tmp_path / "used", echo=None)
    with pytest.raises(ValueError, match="no assignment 9"):
        release(tmp_path / "new", assignment=9, echo=None)


def test_the_leak_check_finds_solution_text_left_in_a_release(released, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    with open(copy / "tinygrad_edu/ops/elementwise.py", "a") as f:
        f.write("\n# leftover: gy = -g * x / (y * y) if ctx.needs_input_grad[1] else None\n"
                "gy = -g * x / (y * y) if ctx.needs_input_grad[1] else None\n")
    marked = check_markers(REPO_DIR, MANIFEST)
    with pytest.raises(MarkerError, match="solution text survives"):
        _check_release(REPO_DIR, copy, marked, set(TASK_IDS))


def test_the_reference_checkout_gets_full_marks(tmp_path):
    grading, results = grade_quiet(REPO_DIR, tmp_path / "results.json")
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["status"] != "passed"]
    assert not failed
    assert results["score"] == pytest.approx(sum(t.points for t in MANIFEST.tasks))
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_due_date"}


def test_the_untouched_release_gets_zero(released, tmp_path):
    _, results = grade_quiet(released, tmp_path / "results.json")
    assert results["score"] == 0
    assert set(scores_by_task(results)) == set(TASK_IDS)
    assert all("NotImplementedError: Task" in t["output"] for t in results["tests"])


@pytest.mark.parametrize("number", [a.number for a in MANIFEST.assignments])
def test_each_assignment_round_trips_to_full_marks(number, tmp_path):
    out = release(tmp_path / f"a{number}", assignment=number, echo=None)
    fill_stubs(out)
    _, results = grade_quiet(out, tmp_path / "results.json", assignment=number)
    assert all(t["status"] == "passed" for t in results["tests"]), [t["output"] for t in results["tests"] if t["status"] != "passed"]
    assert len(results["tests"]) == 2 * len(MANIFEST.assignment(number).tasks)


def _pytest(folder, *args):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(folder), HYPOTHESIS_PROFILE="ci")
    junit = folder / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *args],
                   cwd=folder, env=env, capture_output=True, timeout=600)
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        name = case.get("name")
        outcomes[name] = outcomes.get(name, False) or failed
    return outcomes


def test_public_tests_fail_on_the_stubs_and_pass_once_filled(released, tmp_path):
    import shutil

    stub_outcomes = _pytest(released, "tests/test_exercises_public.py")
    assert len(stub_outcomes) == len(TASK_IDS) and all(stub_outcomes.values())
    filled = tmp_path / "filled"
    shutil.copytree(released, filled)
    fill_stubs(filled)
    filled_outcomes = _pytest(filled, "tests/test_exercises_public.py")
    assert len(filled_outcomes) == len(TASK_IDS) and not any(filled_outcomes.values())
