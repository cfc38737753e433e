"""Public checks of the exercises (copied into a release as tests/test_exercises_public.py).

For each released task, the grader's public cases run on YOUR code, in this process,
and are compared with the reference answers stored next to this file
(``exercises_public.npz``, written by ``tinygrad-edu exercises release``). The grader
runs the same cases, and hidden ones like them. Select one task with
``pytest -m task2_3``.
"""
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.exercises import checks

DATA = Path(__file__).with_name("exercises_public.npz")


def _stored():
    """{task id: [(inputs, expected answers), ...]} from the .npz (keys "2.3/c0/in/x")."""
    tasks = {}
    if DATA.exists():
        with np.load(DATA, allow_pickle=False) as data:
            for key in data.files:
                task_id, case, kind, name = key.split("/")
                cases = tasks.setdefault(task_id, {})
                cases.setdefault(int(case[1:]), ({}, {}))[kind == "out"][name] = data[key]
    return {t: [cases[i] for i in sorted(cases)] for t, cases in tasks.items()}


STORED = _stored()


@pytest.mark.parametrize("task_id", [
    pytest.param(t, marks=getattr(pytest.mark, "task" + t.replace(".", "_"))) for t in sorted(STORED)
])
def test_public_cases(task_id):
    check = checks.CHECKS[task_id]
    for i, (inputs, expected) in enumerate(STORED[task_id]):
        got = check.probe({k: np.array(v) for k, v in inputs.items()})
        ok, message = checks.compare(expected, {k: np.asarray(v) for k, v in got.items()}, check.rtol, check.atol)
        assert ok, f"Task {task_id}, public case {i + 1}: {message}"
