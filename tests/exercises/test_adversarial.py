"""Student code that attacks the grader scores 0, and a valid results.json is written.

Each adversary replaces the body of task 3.1 (im2col) with an attack that answers
wrongly and tries to turn that into points anyway: by ending the grading process
early, skipping, patching NumPy's comparisons, lying through ``__eq__``, writing a
results.json of its own (atexit, forked processes), reading the grader's files for
the answers, or taking the machine down (endless loop, memory bomb, fork bomb).
The grader compares in its own process, so none of them can help.
"""
import json
import os
import textwrap
import time
from dataclasses import replace as replace_limits

import pytest

from tinygrad_edu.exercises.sandbox import Limits

from .helpers import NO_UNPRIVILEGED_USER, TEST_USER, grade_quiet, reference_submission, replace

BEGIN = "    # BEGIN SOLUTION task 3.1\n"
WRONG = "np.zeros((1,), dtype=x.dtype)"  # a wrong answer (shape and values)
HARSH = Limits(memory_mib=1024, cpu_s=4, wall_s=8.0, file_mib=8, run_as=TEST_USER)

ADVERSARIES = {
    "os._exit(0)": "import os\nos._exit(0)",
    "pytest.skip()": "import pytest\npytest.skip('nothing to see')",
    "sys.exit(0)": "import sys\nsys.exit(0)",
    "patched comparisons": f"""
        import numpy, numpy.testing
        numpy.allclose = lambda *a, **k: True
        numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)
        numpy.array_equal = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        numpy.testing.assert_array_equal = lambda *a, **k: None
        return {WRONG}""",
    "ndarray whose == is always True": f"""
        class Liar(np.ndarray):
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
        return {WRONG}.view(Liar)""",
    "not an array": "return [[0.0]]",
    "object array": "return np.array([object()], dtype=object)",
    "atexit writes results.json": """
        import atexit, json, os
        def forge():
            fake = {"score": 1000, "tests": [{"name": "x", "score": 1000, "max_score": 1, "status": "passed"}]}
            for path in (OUT, "results.json", "../results.json", "answers.npz"):
                try:
                    with open(path, "w") as f:
                        json.dump(fake, f)
                except OSError:
                    pass
        atexit.register(forge)
        return WRONG""",
    "reads the grader's files": """
        import glob, os
        found = []
        for folder in (".", "..", "../.."):  # its work folder, the grading run's, above
            for path in glob.glob(os.path.join(folder, "**", "*.npz"), recursive=True):
                with np.load(path) as data:
                    found += [data[k] for k in data.files if k.endswith(".cols")]  # an answer key, if any existed
        for name in ("environ", "cmdline"):
            try:
                open(f"/proc/{os.getppid()}/{name}", "rb").read()
            except OSError:
                pass
        if found:
            return found[0]
        return WRONG""",
    "endless loop": "while True:\n    pass",
    "sleeps past the deadline": "import time\ntime.sleep(60)",
    "memory bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 26))",
    "fork bomb (bounded)": """
        import os, time, json
        for _ in range(16):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:  # a child that outlives the answer and forges results later
                time.sleep(3)
                with open(OUT, "w") as f:
                    json.dump({"score": 1000, "tests": []}, f)
                os._exit(0)
        return WRONG""",
}


@pytest.mark.parametrize("name", list(ADVERSARIES))
def test_an_attack_scores_zero_and_results_json_stays_valid(name, tmp_path):
    out = tmp_path / "results" / "results.json"  # where a forger would aim (Gradescope's path is fixed)
    code = textwrap.dedent(ADVERSARIES[name]).strip().replace("OUT", repr(str(out))).replace("WRONG", WRONG)
    submission = reference_submission(tmp_path / "submission")
    replace(submission, "tinygrad_edu/kernels/unfold.py", BEGIN, BEGIN + textwrap.indent(code, "    ") + "\n")
    start = time.monotonic()
    grading, results = grade_quiet(submission, out, task_ids={"3.1"}, limits=HARSH, seed=7)
    assert time.monotonic() - start < 60
    assert results["score"] == 0 and grading.score == 0
    assert [t["status"] for t in results["tests"]] == ["failed", "failed"]
    assert all(t["output"].strip() for t in results["tests"])  # a message says why
    time.sleep(4 if "fork" in name else 0)  # nothing outlives the grading to forge the file afterwards
    assert json.loads(out.read_text())["score"] == 0


def test_a_missing_or_linked_exercise_file_scores_zero_with_a_message(tmp_path):
    submission = reference_submission(tmp_path / "submission")
    (submission / "tinygrad_edu/autograd/by_hand.py").unlink()
    (submission / "tinygrad_edu/kernels/unfold.py").unlink()
    (submission / "tinygrad_edu/kernels/unfold.py").symlink_to(
        __import__("tinygrad_edu.kernels.unfold", fromlist=["x"]).__file__)  # the grader's own solution
    _, results = grade_quiet(submission, tmp_path / "results.json", task_ids={"1.1", "3.1"})
    assert results["score"] == 0
    outputs = " ".join(t["output"] for t in results["tests"])
    assert "missing from the submission" in outputs and "is a link" in outputs


def test_the_messages_name_what_went_wrong(tmp_path):
    submission = reference_submission(tmp_path / "submission")
    replace(submission, "tinygrad_edu/kernels/unfold.py", BEGIN, BEGIN + "    return np.zeros((1,), dtype=np.float32)\n")
    _, results = grade_quiet(submission, tmp_path / "results.json", task_ids={"3.1"})
    assert "has dtype float32, expected float64" in results["tests"][0]["output"]


# Each limit the sandbox sets, shown biting: the attack, the limits it runs under (one
# limit tight, the wall clock generous so that it is not what stops the attack), and
# the words of the message the student sees.
LIMIT_ATTACKS = {
    "memory (address space)": ("blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 26))",
                               Limits(memory_mib=1024, cpu_s=20, wall_s=30.0), "MemoryError"),
    "CPU time": ("while True:\n    pass", Limits(memory_mib=1024, cpu_s=2, wall_s=60.0), "killed after 2 s of CPU time"),
    "wall clock": ("import time\ntime.sleep(60)", Limits(memory_mib=1024, cpu_s=20, wall_s=3.0),
                   "timed out: no answers within the 3 s wall-clock limit"),
    "file size": ("with open('big.bin', 'wb') as f:\n    f.write(bytes(16 << 20))",
                  Limits(memory_mib=1024, cpu_s=20, wall_s=30.0, file_mib=8), "OSError: [Errno 27] File too large"),
    "processes": ("import os\nos.fork()", Limits(memory_mib=1024, cpu_s=20, wall_s=30.0),
                  "BlockingIOError: [Errno 11] Resource temporarily unavailable"),
}


@pytest.mark.parametrize("limit", list(LIMIT_ATTACKS))
def test_each_resource_limit_bites_with_a_message_naming_it(limit, tmp_path):
    code, limits, message = LIMIT_ATTACKS[limit]
    if limit == "processes":  # the kernel does not enforce the process limit for root
        if os.geteuid() == 0 and NO_UNPRIVILEGED_USER:
            pytest.skip(f"the process limit binds only an unprivileged child: {NO_UNPRIVILEGED_USER}")
    submission = reference_submission(tmp_path / "submission")
    replace(submission, "tinygrad_edu/kernels/unfold.py", BEGIN, BEGIN + textwrap.indent(code, "    ") + "\n")
    _, results = grade_quiet(submission, tmp_path / "results.json", task_ids={"3.1"},
                             limits=replace_limits(limits, run_as=TEST_USER), seed=7)
    assert results["score"] == 0
    assert message in results["tests"][0]["output"], results["tests"][0]["output"]
