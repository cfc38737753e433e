"""benchmarks/bench_alternation.py --quick runs end to end and prints the machine, the command
and, per workload, a row per framework with a positive time and positive ratios, each the
median of its rounds inside its interquartile range (no speed is asserted); its helpers on
known inputs."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_alternation.py")


def test_quick_run_prints_machine_command_and_rows():
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "mlp"], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "machine:" in run.stdout and "command: python benchmarks/bench_alternation.py --quick --only mlp" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith("| mlp |")]
    assert [row.split("|")[2].strip() for row in rows] == ["tge", "torch"]
    for row in rows:
        alone, *ratios = row.strip("|").split("|")[2:]
        assert float(alone) > 0
        assert len(ratios) == 4  # the other framework, sweep, sleep, other / sweep
        for cell in ratios:
            median, q1, q3 = map(float, re.fullmatch(r"\s*(\S+) \((\S+)-(\S+)\)\s*", cell).groups())
            assert 0 < q1 <= median <= q3


def test_ratio_cell_and_rotated(monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(ROOT, "benchmarks"))
    import bench_alternation

    assert bench_alternation.ratio_cell([3.0], [1.5]) == "2.00 (2.00-2.00)"
    # round by round: 2/1, 6/2, 3/3, 8/2, 5/5 -> ratios 2, 3, 1, 4, 1
    assert bench_alternation.ratio_cell([2, 6, 3, 8, 5], [1, 2, 3, 2, 5]) == "2.00 (1.00-3.00)"
    # the ratios of the same rounds, not of the sorted lists: 1/4, 4/1 -> 0.25, 4
    assert bench_alternation.ratio_cell([1, 4], [4, 1]) == "2.12 (0.25-4.00)"
    modes = ["alone", "other", "sweep", "sleep"]
    orders = [bench_alternation.rotated(modes, k) for k in range(4)]
    assert orders[1] == ["other", "sweep", "sleep", "alone"] and bench_alternation.rotated(modes, 5) == orders[1]
    # over four rounds every mode takes every place once
    assert all(sorted(order[place] for order in orders) == sorted(modes) for place in range(4))
