"""benchmarks/bench_train_torch.py --quick runs end to end: both columns (or a clear reason
why the PyTorch one is missing), sane values in its JSON and its printed table; the twin's
augmentation is tinygrad_edu's warp. Timings are not checked against each other (a test
asserts no speed).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # ~30 s on 2 cores: four training workers start (deselect with -m "not slow")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_train_torch.py")
PARAMETERS = {"mlp": 17226, "cnn": 65834}  # the docstrings of tge.models.MLP and SmallCNN


def have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run_quick(tmp_path, *extra, pythonpath=ROOT):
    out = tmp_path / "quick.json"
    cmd = [sys.executable, SCRIPT, "--quick", "--json", str(out), *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=pythonpath))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "machine:" in run.stdout and "command:" in run.stdout and "load average before" in run.stdout
    return run.stdout, json.loads(out.read_text())


def check_tge_column(result, stdout):
    assert result["schema"] == "tinygrad_edu.bench_train_torch/1" and result["quick"] is True
    assert result["threads"] == 1 and len(result["load_before"]) == 3 and len(result["load_after"]) == 3
    for model, entry in result["summary"].items():
        e = entry["tge"]
        assert e["parameters"] == PARAMETERS[model]
        assert e["epochs"] == [1]
        assert 0 < e["wall_s_per_epoch"] < e["process_wall_s"]
        assert 0 < e["cpu_s_per_epoch"] < e["process_cpu_s"]
        assert all(0.0 <= a <= 1.0 for a in e["test_accuracy"]["0"])
    tge_runs = [r for r in result["runs"] if r["side"] == "tge"]
    for r in tge_runs:
        assert r["command"] in stdout and "--worker tge" in r["command"]
        assert r["wall_s_per_epoch"] == pytest.approx(r["fit_wall_s"] / r["epochs"])


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    extra = () if have_torch() else ("--no-torch",)
    return run_quick(tmp_path_factory.mktemp("bench"), "--rounds", "2", *extra)


def test_tge_column(quick_result):
    stdout, result = quick_result
    assert set(result["summary"]) == {"mlp", "cnn"} and result["rounds"] == 2
    check_tge_column(result, stdout)


def test_torch_column_and_alternation(quick_result):
    if not have_torch():
        pytest.skip("PyTorch is not installed: no torch column")
    stdout, result = quick_result
    assert result["sides"] == ["tge", "torch"] and result["torch_missing"] is None
    assert "torch 2." in result["machine"]
    # rounds alternate which side runs first
    firsts = [[r["side"] for r in result["runs"] if r["round"] == k][0] for k in (0, 1)]
    assert firsts == ["tge", "torch"]
    for model, entry in result["summary"].items():
        t, q = entry["torch"], entry["ratios"]
        assert t["parameters"] == PARAMETERS[model] and t["epochs"] == [1]
        assert 0 < t["wall_s_per_epoch"] < t["process_wall_s"] and 0 < t["cpu_s_per_epoch"] < t["process_cpu_s"]
        assert all(0.0 <= a <= 1.0 for a in t["test_accuracy"]["0"])
        for key in ("wall_s_per_epoch", "cpu_s_per_epoch", "process_wall_s", "process_cpu_s"):
            assert q[key] > 0
        pairs = [(r, s) for r in result["runs"] for s in result["runs"]
                 if r["model"] == s["model"] == model and r["round"] == s["round"] and r["side"] == "tge"
                 and s["side"] == "torch"]
        assert len(pairs) == 2
        assert q["cpu_s_per_epoch"] == pytest.approx(np.median([r["cpu_s_per_epoch"] / s["cpu_s_per_epoch"]
                                                                for r, s in pairs]))
    assert "--worker torch mlp" in stdout and "--label-smoothing=0.1" in stdout
    assert "random streams differ" in stdout


def test_without_torch_the_column_is_missing_with_a_reason(tmp_path):
    """A torch package that fails to import, first on the path: the script measures the
    tinygrad_edu column and says why the PyTorch one is missing."""
    fake = tmp_path / "fake" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("no torch in this test")\n')
    stdout, result = run_quick(tmp_path, "--models", "mlp", pythonpath=os.pathsep.join([str(fake.parent), ROOT]))
    assert result["sides"] == ["tge"] and "not importable" in result["torch_missing"]
    assert "column torch missing: PyTorch is not importable here" in stdout
    assert "torch" not in result["summary"]["mlp"] and "ratios" not in result["summary"]["mlp"]
    check_tge_column(result, stdout)


def test_twin_augmentation_is_tinygrads_warp():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        from bench_train_torch import torch_warp
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmarks"))
    from tinygrad_edu.data.transforms import affine_matrices, warp_affine

    rng = np.random.default_rng(0)
    for shape in ((6, 1, 8, 8), (3, 2, 5, 9)):
        n = shape[0]
        x = rng.random(shape).astype(np.float32)
        angle = rng.uniform(-30, 30, n)
        angle[0] = 0.0
        shift = rng.integers(-2, 3, (n, 2)).astype(np.float64)
        expected = warp_affine(x, affine_matrices(angle, shift, np.ones(n), np.zeros((n, 2))))
        got = torch_warp(torch.from_numpy(x), torch.from_numpy(angle), torch.from_numpy(shift)).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)
