"""benchmarks/bench_alternation.py --quick runs end to end and prints the machine, the command
and, per workload, a row per framework with a positive time and positive ratios (no speed is
asserted)."""
import os
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
        numbers = [float(cell) for cell in row.strip("|").split("|")[2:]]
        assert len(numbers) == 4 and all(v > 0 for v in numbers)
