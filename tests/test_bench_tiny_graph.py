"""benchmarks/bench_tiny_graph.py --quick runs end to end and prints the machine, the command
and one row per framework with positive times (no speed is asserted)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_tiny_graph.py")


def test_quick_run_prints_machine_command_and_rows():
    run = subprocess.run([sys.executable, SCRIPT, "--quick"], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "machine:" in run.stdout and "command: python benchmarks/bench_tiny_graph.py --quick" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith("| tinygrad_edu ") or line.startswith("| PyTorch ")]
    assert rows and rows[0].startswith("| tinygrad_edu ")
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        low_graph, low_node, mid_graph, mid_node = (float(c) for c in cells[1:])
        assert 0 < low_graph <= mid_graph
        assert abs(low_node - low_graph / 4) < 0.06 and abs(mid_node - mid_graph / 4) < 0.06  # 4 nodes per graph
