"""The script a grading child runs: ``python -I runner.py TREE CHECKS TASK INPUTS ANSWERS``.

This is the only place student code runs. It puts the submission's tree (TREE) first
on the path, loads the grader's own ``checks.py`` by file path (CHECKS), runs the
task's probe on every case of INPUTS (.npz) and saves what comes back to ANSWERS
(.npz): arrays only. A case whose probe raises (anything, ``SystemExit`` and
``pytest.skip`` included) or returns something that is not an array gets an error
text instead, stored as bytes. No verdict is formed here: the grader compares the
answers with its own references, in its own process.
"""
import importlib.util
import sys
import traceback

import numpy as np


def load_checks(path):
    spec = importlib.util.spec_from_file_location("grader_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cases_of(inputs):
    """{"c0.x": ..., "c1.x": ...} -> [{"x": ...}, {"x": ...}]"""
    cases = {}
    for key in inputs.files:
        index, name = key.split(".", 1)
        cases.setdefault(int(index[1:]), {})[name] = inputs[key]
    return [cases[i] for i in sorted(cases)]


def error_text(exc):
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()[-600:]


def main(tree, checks_path, task_id, inputs_path, answers_path):
    sys.path.insert(0, tree)
    checks = load_checks(checks_path)
    with np.load(inputs_path, allow_pickle=False) as inputs:
        cases = cases_of(inputs)
    answers = {}
    for i, case in enumerate(cases):
        try:
            got = checks.CHECKS[task_id].probe(case)
            for name, value in got.items():
                if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufc":
                    raise TypeError(f"{name!r} is {type(value).__name__} (dtype {getattr(value, 'dtype', None)}), "
                                    "expected a numeric NumPy array")
            answers.update({f"c{i}.{name}": np.asarray(value).view(np.ndarray) for name, value in got.items()})
        except BaseException as exc:  # noqa: B902 - a skip or an exit is a failed case, not the end of grading
            answers[f"c{i}.__error__"] = np.frombuffer(error_text(exc).encode("utf-8", "replace"), dtype=np.uint8)
    np.savez(answers_path, **answers)


if __name__ == "__main__":
    main(*sys.argv[1:6])
