"""``tinygrad-edu exercises release|grade`` from the command line."""
import json
import os
import subprocess
import sys

from tinygrad_edu.exercises.manifest import REPO_DIR

from .helpers import TEST_USER


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO_DIR))
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", "exercises", *args], cwd=REPO_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def test_grade_writes_results_and_prints_a_table(tmp_path):
    done = run("grade", str(REPO_DIR), "--out", str(tmp_path / "results.json"), "--task", "1.1", "--timeout", "30",
               *(["--run-as", TEST_USER] if TEST_USER else []))
    assert done.returncode == 0, done.stderr
    assert "Task 1.1 (public)" in done.stdout and "total" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 10 and [t["number"] for t in results["tests"]] == ["1.1.1", "1.1.2"]


def test_release_writes_one_assignment_and_refuses_a_used_folder(tmp_path):
    done = run("release", str(tmp_path / "a1"), "--assignment", "1")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a1" / "exercises" / "assignment1" / "README.md").exists()
    again = run("release", str(tmp_path / "a1"))
    assert again.returncode == 2 and "not empty" in again.stdout


def test_grade_refuses_a_user_switch_it_cannot_make(tmp_path):
    done = run("grade", str(REPO_DIR), "--out", str(tmp_path / "results.json"), "--task", "1.1",
               "--run-as", "no-such-user-tge")
    assert done.returncode == 2 and "'no-such-user-tge' is not a user" in done.stdout
    assert not (tmp_path / "results.json").exists()
