"""benchmarks/bench_columns_order.py: each column order really forced and the rule put
back, the rule's pick as ops/conv.py's, and --quick end to end (no speed is asserted)."""
import json
import os
import subprocess
import sys

import numpy as np

from tinygrad_edu.ops import conv

from .benchmark_scripts import load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_columns_order.py")


def test_each_order_is_forced_in_turn_and_the_rule_put_back(monkeypatch):
    bench = load("bench_columns_order")
    built = []
    for name in ("im2col", "im2col_images_last"):
        real = getattr(conv.kernels, name)
        monkeypatch.setattr(conv.kernels, name, lambda *a, real=real, name=name, **k: built.append(name) or real(*a, **k))
    rule = conv._images_last
    times = bench.time_layer(4, 1, 8, 4, False, 2, np.random.default_rng(0))
    assert set(times) == {"last", "first"} and all(t > 0 for t in times.values())
    assert "im2col" in built and "im2col_images_last" in built
    assert conv._images_last is rule


def test_the_rule_pick_is_ops_conv_s():
    bench = load("bench_columns_order")
    assert bench.rule_pick(32, 1, 32, 8) == "first"  # the small CNN's first layer: K = 9 against 32 channels
    assert bench.rule_pick(32, 32, 64, 4) == "last"  # its 4x4 layer: K = 288
    assert bench.rule_pick(8, 32, 64, 4) == "first"  # 8 images: not more than twice a row of 4


def test_quick_run_writes_every_layer(tmp_path):
    out = tmp_path / "order.json"
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--json", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "machine:" in run.stdout and "command: python benchmarks/bench_columns_order.py --quick" in run.stdout
    result = json.loads(out.read_text())
    bench = load("bench_columns_order")
    assert result["schema"] == bench.SCHEMA
    assert [(r["n"], r["c"], r["oc"], r["hw"], r["x_grad"]) for r in result["layers"]] == bench.QUICK_LAYERS
    for r in result["layers"]:
        assert r["rule"] == bench.rule_pick(r["n"], r["c"], r["oc"], r["hw"])
        assert r["faster"] == ("last" if r["last_us"] < r["first_us"] else "first")
        assert abs(r["ratio"] - r["last_us"] / r["first_us"]) < 1e-12
