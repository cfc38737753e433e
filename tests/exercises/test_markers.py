"""The generator refuses malformed regions; the manifest, the checks and setup.cfg agree."""
import ast
import configparser

import pytest

from tinygrad_edu.exercises import checks
from tinygrad_edu.exercises.manifest import REPO_DIR
from tinygrad_edu.exercises.markers import MarkerError, find_regions, strip_regions
from tinygrad_edu.exercises.release import check_markers

from .helpers import MANIFEST

TASKS = {t.id: t for t in MANIFEST.tasks}

GOOD = '''def f(x):
    """doc"""
    y = 1
    # BEGIN SOLUTION task 2.1
    z = x + y
    return z
    # END SOLUTION
'''


def test_a_region_becomes_one_raise_at_its_indentation_and_the_docstring_stays():
    text, removed = strip_regions(GOOD, TASKS, {"2.1"})
    assert [line.strip() for line in removed] == ["z = x + y", "return z"]
    lines = text.splitlines()
    assert lines[:3] == ['def f(x):', '    """doc"""', '    y = 1']
    assert lines[3].startswith('    raise NotImplementedError("Task 2.1: ' + TASKS["2.1"].title + ". ")
    assert "BEGIN" not in text and "END" not in text
    ast.parse(text)


def test_a_kept_region_loses_only_its_markers():
    text, removed = strip_regions(GOOD, TASKS, set())
    assert removed == [] and "z = x + y" in text and "SOLUTION" not in text


@pytest.mark.parametrize("source, message", [
    ("# BEGIN SOLUTION task 2.1\n# BEGIN SOLUTION task 2.2\n# END SOLUTION\n# END SOLUTION\n", "may not nest"),
    ("def f():\n    # BEGIN SOLUTION task 2.1\n    return 1\n", "never closed"),
    ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION task 9.9\n# END SOLUTION\n", "unknown task '9.9'"),
    ("#BEGIN SOLUTION 2.1\n", "malformed marker"),
])
def test_malformed_regions_are_refused_with_file_and_line(source, message):
    with pytest.raises(MarkerError, match=message) as info:
        find_regions(source, "pkg/mod.py", set(TASKS))
    assert "pkg/mod.py:" in str(info.value)


def test_a_region_that_is_not_whole_statements_is_refused():
    source = "def f(x):\n    return (x +\n    # BEGIN SOLUTION task 2.1\n        1)\n    # END SOLUTION\n"
    with pytest.raises(MarkerError, match="does not parse"):
        strip_regions(source, TASKS, {"2.1"})


def test_the_reference_markers_match_the_manifest():
    marked = check_markers(REPO_DIR, MANIFEST)  # raises on any disagreement
    assert {r.task_id for regions in marked.values() for r in regions} == set(TASKS)


def test_a_region_in_a_file_its_task_does_not_list_is_refused(tmp_path):
    (tmp_path / "tinygrad_edu").mkdir()
    (tmp_path / "tinygrad_edu" / "stray.py").write_text("# BEGIN SOLUTION task 2.1\nx = 1\n# END SOLUTION\n")
    with pytest.raises(MarkerError, match="does not list"):
        check_markers(tmp_path, MANIFEST)


def test_every_task_has_a_check_and_about_25_tasks_in_5_assignments():
    assert set(checks.CHECKS) == set(TASKS)
    assert len(MANIFEST.assignments) == 5 and all(a.tasks for a in MANIFEST.assignments)


def test_setup_cfg_registers_one_pytest_mark_per_task():
    config = configparser.ConfigParser()
    config.read(REPO_DIR / "setup.cfg")
    registered = {line.split(":")[0].strip() for line in config["tool:pytest"]["markers"].splitlines() if line.strip()}
    assert {t.marker for t in MANIFEST.tasks} <= registered


def test_the_public_tests_the_manifest_names_exist():
    for task in MANIFEST.tasks:
        for node in task.tests:
            path, name = node.split("::")
            tree = ast.parse((REPO_DIR / path).read_text())
            assert name in {f.name for f in tree.body if isinstance(f, ast.FunctionDef)}, f"task {task.id}: {node}"


def same(cases_a, cases_b):
    return all(sorted(p) == sorted(q) and all(p[k].shape == q[k].shape and p[k].tobytes() == q[k].tobytes() for k in p)
               for p, q in zip(cases_a, cases_b))


def test_public_and_hidden_cases_differ_and_hidden_ones_follow_the_seed():
    for task_id in checks.CHECKS:
        a, b = checks.hidden_cases(task_id, 1), checks.hidden_cases(task_id, 1)
        c = checks.hidden_cases(task_id, 2)
        assert same(a, b) and not same(a, c), task_id
