"""benchmarks/bench_gpu.py runs in its --quick mode: the CPU columns here (the GPU
columns too where CUDA works), a table, the reasons for missing columns, a bar chart."""
import os
import subprocess
import sys

import pytest

import tinygrad_edu as tge

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_gpu_quick_runs_and_explains_missing_columns(tmp_path):
    png = tmp_path / "bench.png"
    columns = ["numpy", "numba", "cupy", "torch-cpu"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "bench_gpu.py"), "--quick", "--only", "conv2d",
         "batch_norm", "small_cnn", "--columns", *columns, "--plot", str(png)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "machine:" in out and "command:" in out
    if not tge.cuda.is_available():
        assert "column cupy missing: tge.cuda.is_available() is False" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1] in (["conv2d"], ["batch_norm"], ["small_cnn"])}
    assert set(rows) == {"conv2d", "batch_norm", "small_cnn"}
    for name, cells in rows.items():
        times = [float(c) for c in cells if not c.endswith("x")]
        assert times and all(t > 0 for t in times), (name, cells)
    torch_present = "column torch-cpu missing" not in out
    if torch_present:
        assert "numpy/torch-cpu" in out and rows["conv2d"][-1].endswith("x")
    assert png.exists() and png.stat().st_size > 1000
