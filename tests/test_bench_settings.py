"""benchmarks/bench_settings.py: arms parsed and checked (benchmarks/module_settings.py),
settings restored, paired ratios computed from the rounds; --quick runs end to end (no
speed is asserted)."""
import json
import os
import subprocess
import sys

import pytest

from .benchmark_scripts import load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_settings.py")


def _module():
    return load("bench_settings")


def test_an_arm_is_module_attributes_of_the_package():
    from tinygrad_edu import threads
    from tinygrad_edu.ops import conv

    for text in ("ops.conv.PARALLEL_BYTES=1048576, threads._num_threads=1", "ops.conv.PARALLEL_BYTES=1048576;threads._num_threads=1"):
        arm = load("module_settings").parse_arm(text)
        assert arm == [(conv, "PARALLEL_BYTES", 1048576), (threads, "_num_threads", 1)]


@pytest.mark.parametrize("text, message", [
    ("ops.conv.NO_SUCH=1", "tinygrad_edu.ops.conv has no attribute 'NO_SUCH'"),
    ("ops.conv.PARALLEL_BYTES", "must be MODULE.ATTR=VALUE"),
    ("PARALLEL_BYTES=1", "must be MODULE.ATTR=VALUE"),
    ("ops.conv.PARALLEL_BYTES=2**20", "must be a Python literal"),
])
def test_a_bad_arm_is_refused_with_what_was_wrong(text, message):
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        load("module_settings").parse_arm(text)


def test_arms_take_turns_and_the_defaults_come_back(monkeypatch):
    """Each round times every arm once, with its own settings in force (and only those);
    the defaults are in force again afterwards, also when a step fails."""
    from tinygrad_edu.ops import conv

    bench = _module()
    monkeypatch.setattr(conv, "PARALLEL_BYTES", 123)
    monkeypatch.setattr(conv, "COLUMN_BYTES", 456)
    arms = {"default": [], "a": [(conv, "PARALLEL_BYTES", 1)], "b": [(conv, "COLUMN_BYTES", 2)]}
    defaults = {(conv, "PARALLEL_BYTES"): 123, (conv, "COLUMN_BYTES"): 456}
    seen = []
    step = lambda: seen.append((conv.PARALLEL_BYTES, conv.COLUMN_BYTES))  # noqa: E731
    times = bench.run_workload(step, arms, defaults, rounds=2, chunk_seconds=0.0)
    assert {name: len(ts) for name, ts in times.items()} == {"default": 2, "a": 2, "b": 2}
    # one step to size the chunks, then per arm one untimed and k timed steps (k = 1 here)
    states = seen[1:]
    assert states[0::2] == states[1::2]  # the untimed step saw the arm's settings too
    assert states[0::2] == [(123, 456), (1, 456), (123, 2), (123, 2), (1, 456), (123, 456)]  # order reversed in round 2
    assert (conv.PARALLEL_BYTES, conv.COLUMN_BYTES) == (123, 456)

    def failing():  # fails while arm a's setting is in force
        if conv.PARALLEL_BYTES == 1:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        bench.run_workload(failing, {"default": [], "a": arms["a"]}, defaults, rounds=1, chunk_seconds=0.0)
    assert conv.PARALLEL_BYTES == 123


def test_summary_ratios_are_paired_by_round():
    rows = _module().summary({"default": [1.0, 2.0, 4.0], "a": [0.5, 2.0, 2.0]})
    assert rows["default"]["ratio_median"] == 1.0
    # per round: 0.5, 1.0, 0.5 -> median 0.5, 10th percentile 0.5; the median time is 2.0
    assert (rows["a"]["ratio_median"], rows["a"]["ratio_p10"], rows["a"]["median_s"], rows["a"]["min_s"]) == (0.5, 0.5, 2.0, 0.5)


def test_quick_run_prints_machine_command_rows_and_json(tmp_path):
    out = tmp_path / "settings.json"
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "mlp", "--arm", "t1", "threads._num_threads=1",
                          "--json", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "machine:" in run.stdout and "command: python benchmarks/bench_settings.py --quick --only mlp" in run.stdout
    rows = [line.split("|")[1:-1] for line in run.stdout.splitlines() if line.startswith("| default |") or line.startswith("| t1 |")]
    assert [r[0].strip() for r in rows] == ["default", "t1"]
    assert all(float(cell) > 0 for r in rows for cell in r[1:])
    result = json.loads(out.read_text())
    assert result["schema"] == "tinygrad_edu.bench_settings/1" and result["arms"] == {"t1": "threads._num_threads=1"}
    assert len(result["workloads"]["mlp"]["times_s"]["t1"]) == 3  # --quick: 3 rounds
    summary = result["workloads"]["mlp"]["summary"]
    assert summary["default"]["peak_mib"] > 0 and summary["t1"]["memory_ratio"] > 0


def test_an_arm_named_default_or_no_arm_is_refused():
    for argv in (["--arm", "default", "threads._num_threads=1"], []):
        run = subprocess.run([sys.executable, SCRIPT, "--quick", *argv], capture_output=True, text=True,
                             timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
        assert run.returncode == 2 and ("'default' is the arm" in run.stderr or "at least one --arm" in run.stderr)


def test_before_runs_ahead_of_every_arms_chunk():
    """--after-torch: the PyTorch twin's chunk (``before``) runs before each arm's chunk."""
    events = []
    times = _module().run_workload(lambda: events.append("step"), {"default": [], "a": []}, {}, rounds=2,
                                   chunk_seconds=0.0, before=lambda: events.append("before"))
    assert len(times["a"]) == 2
    # one sizing step, then per arm: before, one untimed step and one timed step (k = 1)
    assert events == ["step"] + ["before", "step", "step"] * 4


def test_quick_run_after_torch():
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "mlp", "--after-torch", "--arm", "t1",
                          "threads._num_threads=1"], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "--after-torch" in run.stdout and "| t1 |" in run.stdout


def test_arm_peaks_see_an_arms_memory_and_restore_the_defaults(monkeypatch):
    """With a column budget of one image a convolution holds one image's columns at a
    time instead of the batch's, and its traced peak is smaller by the other seven
    images' columns; the defaults are in force afterwards."""
    import numpy as np

    import tinygrad_edu as tge
    from tinygrad_edu.ops import conv

    bench = _module()
    monkeypatch.setattr(conv, "COLUMN_BYTES", 4 * 2**20)
    x = np.random.default_rng(0).standard_normal((8, 8, 16, 16)).astype(np.float32)  # 200 KiB of columns an image
    w = np.random.default_rng(1).standard_normal((8, 8, 5, 5)).astype(np.float32)  # 5x5: no Winograd

    def build_step():
        xt, wt = tge.tensor(x), tge.tensor(w)
        return lambda: tge.nn.functional.conv2d(xt, wt, padding=2)

    arms = {"default": [], "small": [(conv, "COLUMN_BYTES", 1)]}  # one image per slice
    peaks = bench.arm_peaks(build_step, arms, {(conv, "COLUMN_BYTES"): 4 * 2**20})
    assert conv.COLUMN_BYTES == 4 * 2**20
    saved = 7 * (8 * 25 * 16 * 16 * 4) / 2**20  # 7 images' columns: 8 channels x 25 taps x 256 pixels
    assert peaks["default"] - peaks["small"] == pytest.approx(saved, rel=0.2)
    rows = bench.summary({"default": [1.0], "small": [2.0]}, peaks)
    assert rows["small"]["memory_ratio"] == pytest.approx(peaks["small"] / peaks["default"])
    assert rows["default"]["memory_ratio"] == 1.0 and rows["small"]["peak_mib"] == peaks["small"]
