"""benchmarks/bench_side_by_side.py --quick runs end to end and writes the JSON it promises.

Timings are not checked (a test asserts no speed); the schema, the arms, the ratios and
the peak-memory fields are. Without PyTorch the torch columns are skipped.
"""
import json
import os
import subprocess
import sys

import pytest

from .benchmark_scripts import load

pytestmark = pytest.mark.slow  # ~30 s on 2 cores: eight worker processes start (deselect with -m "not slow")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bench_side_by_side.py")


def have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    cmd = [sys.executable, SCRIPT, "--quick", "--only", "tiny", "conv2d", "--json", str(out), "--plot", ""]
    if not have_torch():
        cmd.append("--no-torch")
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "machine:" in run.stdout and "command:" in run.stdout and "load average" in run.stdout
    assert "host steadiness: the probe took min / median / max" in run.stdout
    return json.loads(out.read_text())


def test_schema_and_tge_columns(quick_result):
    r = quick_result
    assert r["schema"] == "tinygrad_edu.bench_side_by_side/1"
    assert r["quick"] is True and r["cpu_count"] >= 1
    assert len(r["load_before"]) == 3 and len(r["load_after"]) == 3
    assert set(r["workloads"]) == {"tiny", "conv2d"}
    assert r["rounds"] and all(len(rec["load"]) == 3 for rec in r["rounds"])
    # the steadiness probe: one timing before every arm, summed up at the end (an arm of a
    # "same" or "same1" worker times two labels, its "torch same..." one the second)
    for rec in r["rounds"]:
        arms = [label for label in rec["arms"] if not label.startswith("torch same")]
        assert len(rec["probe_s"]) == len(arms) and min(rec["probe_s"]) > 0
    every = [t for rec in r["rounds"] for t in rec["probe_s"]]
    st = r["steadiness"]
    assert (st["min_s"], st["max_s"]) == (min(every), max(every)) and st["spread"] == pytest.approx(max(every) / min(every))
    for name, e in r["workloads"].items():
        assert e["time_s"]["tge alone"] > 0
        assert e["samples"]["tge alone"] >= 1
        assert e["peak_mib"]["tge"] >= 0
        assert e["tracemalloc_peak_mib"] > 0  # the step allocates arrays: NumPy reports them
    tiny = r["workloads"]["tiny"]
    assert tiny["us_per_node"]["tge alone"] == pytest.approx(tiny["time_s"]["tge alone"] * 1e6 / 4)
    conv = r["workloads"]["conv2d"]
    assert conv["bound_kind"] == "gemm" and conv["bound_s"] > 0
    assert conv["ratios"]["tge/bound"] == pytest.approx(conv["time_s"]["tge alone"] / conv["bound_s"])
    assert conv["bound_one_thread_s"] > 0  # the same GEMMs with BLAS on one thread
    assert conv["ratios"]["tge/bound one thread"] == pytest.approx(conv["time_s"]["tge alone"] / conv["bound_one_thread_s"])
    assert "bound_one_thread_s" not in tiny and all("bound" not in k for k in tiny["ratios"])  # no GEMMs there
    from tinygrad_edu.backends import mkldnn

    if mkldnn.active():  # the same GEMMs through kernels.matmul: oneDNN's, one thread
        assert conv["bound_onednn_one_thread_s"] > 0
        ratio = conv["time_s"]["tge alone"] / conv["bound_onednn_one_thread_s"]
        assert conv["ratios"]["tge/onednn bound one thread"] == pytest.approx(ratio)
    else:
        assert "bound_onednn_one_thread_s" not in conv
    # the fast-episode ratios: the same ratios of each arm's 10th-percentile chunk time
    for e in r["workloads"].values():
        assert set(e["time_p10_s"]) == set(e["time_s"])
        assert all(0 < e["time_p10_s"][k] <= e["time_s"][k] for k in e["time_s"])
        assert set(e["ratios_p10"]) == {k for k in e["ratios"] if "memory" not in k}
    assert conv["ratios_p10"]["tge/bound"] == pytest.approx(conv["time_p10_s"]["tge alone"] / conv["bound_s"])


def test_torch_columns(quick_result):
    if not have_torch():
        pytest.skip("PyTorch is not installed: no torch columns")
    for e in quick_result["workloads"].values():
        for label in ("torch alone", "tge same", "torch same", "tge same1", "torch same1"):
            assert e["time_s"][label] > 0
        assert e["peak_mib"]["torch"] >= 0
        t = e["time_s"]
        assert e["ratios"]["tge/torch alone"] == pytest.approx(t["tge alone"] / t["torch alone"])
        assert e["ratios"]["tge same/alone"] == pytest.approx(t["tge same"] / t["tge alone"])
        assert e["ratios"]["tge same1/alone"] == pytest.approx(t["tge same1"] / t["tge alone"])
        assert e["ratios"]["tge same/same1"] == pytest.approx(t["tge same"] / t["tge same1"])
    assert quick_result["workers"]["both1"]["kind"] == "both1"


def test_the_same1_worker_holds_pytorch_at_one_thread():
    """The "same1" arm's worker imports both frameworks and leaves PyTorch one thread (no
    OpenMP pool), the "same" arm's keeps PyTorch's default (no subprocess: the function itself)."""
    if not have_torch():
        pytest.skip("PyTorch is not installed")
    import torch

    bench = _bench_module()
    before = torch.get_num_threads()
    try:
        _, fws = bench._frameworks("both1")
        assert set(fws) == {"tge", "torch"} and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    _, fws = bench._frameworks("both")
    assert set(fws) == {"tge", "torch"} and torch.get_num_threads() == before


def test_variant_variables_set_module_settings(monkeypatch):
    """BENCH_COLUMN_MIB sets ops/conv.py's COLUMN_BYTES, BENCH_SETTINGS any settings
    (bench_settings.py's arms, semicolons for commas) in a tinygrad_edu worker (the
    function itself, no subprocess)."""
    from tinygrad_edu import threads
    from tinygrad_edu.ops import conv

    monkeypatch.setattr(conv, "COLUMN_BYTES", conv.COLUMN_BYTES)  # restored after the test
    monkeypatch.setattr(conv, "PARALLEL_BYTES", conv.PARALLEL_BYTES)
    monkeypatch.setattr(threads, "RANGE_TASKS", threads.RANGE_TASKS)
    monkeypatch.setenv("BENCH_COLUMN_MIB", "0.5")
    monkeypatch.setenv("BENCH_SETTINGS", "ops.conv.PARALLEL_BYTES=1048576;threads.RANGE_TASKS=3")
    monkeypatch.syspath_prepend(os.path.dirname(SCRIPT))  # a worker runs with benchmarks/ on its path
    _, fws = _bench_module()._frameworks("tge")
    assert set(fws) == {"tge"}
    assert (conv.COLUMN_BYTES, conv.PARALLEL_BYTES, threads.RANGE_TASKS) == (2**19, 2**20, 3)


def _bench_module():
    return load("bench_side_by_side")


def test_ratios_pair_each_arm_with_its_twin():
    """``ratios`` divides the arms of one round set as documented: a variant's alone by the
    default worker's alone, same by alone, hog by alone (no subprocess: the function itself)."""
    bench = _bench_module()
    entry = {"time_s": {"tge alone": 2.0, "tge same": 2.5, "tge hog": 3.0, "torch alone": 4.0, "torch same": 5.0,
                        "tge same1": 2.4, "torch same1": 8.0,
                        "torch hog": 6.0, "tge[imported] alone": 2.2, "tge[imported] hog": 4.4,
                        "tge[first] alone": 1.0, "tge[first] same": 1.5, "torch same[first]": 4.8},
             "bound_s": 0.5, "bound_one_thread_s": 0.8, "bound_onednn_one_thread_s": 0.4,
             "peak_mib": {"tge": 3.0, "torch": 2.0}}
    r = bench.ratios(entry, {"default": {}, "imported": {}, "first": {}}, have_torch=True)
    assert r["tge/bound one thread"] == pytest.approx(2.5) and r["torch/bound one thread"] == pytest.approx(5.0)
    assert r["tge[first]/bound one thread"] == pytest.approx(1.25)
    assert r["tge/onednn bound one thread"] == pytest.approx(5.0) and r["torch/onednn bound one thread"] == pytest.approx(10.0)
    assert r["tge[imported]/tge alone"] == pytest.approx(1.1)
    assert r["tge[first]/tge alone"] == pytest.approx(0.5)
    assert "tge/tge alone" not in r  # the default worker is not paired with itself
    assert r["tge[imported] hog/alone"] == pytest.approx(2.0)
    assert r["tge[first] same/alone"] == pytest.approx(1.5)
    assert r["torch same[first]/alone"] == pytest.approx(1.2)
    assert r["tge same/alone"] == pytest.approx(1.25) and r["tge hog/alone"] == pytest.approx(1.5)
    assert r["torch hog/alone"] == pytest.approx(1.5) and r["torch same/alone"] == pytest.approx(1.25)
    assert r["tge/torch alone"] == pytest.approx(0.5) and r["tge/bound"] == pytest.approx(4.0)
    assert r["tge/torch memory"] == pytest.approx(1.5)
    assert r["tge same1/alone"] == pytest.approx(1.2) and r["tge same/same1"] == pytest.approx(2.5 / 2.4)
    assert "tge[first] same/same1" not in r and "torch same1/alone" not in r  # PyTorch on one thread: no twin
    assert not any("[" in k and "memory" in k for k in r)  # no variant was given a memory worker here


def test_gemm_shapes_of_the_training_steps():
    """The small CNN's and DnCNN's GEMM bounds count each convolution of build()'s models:
    the forward products' (m, k) are the weights (SmallCNN: 64,800, models/cnn.py), their n
    the batch's pixels, and the three products of a convolution do the same multiplications
    (the input's gradient left out for the first, whose input is the images)."""
    bench = _bench_module()

    def convs(name):  # the shapes in threes (twos for the first convolution)
        shapes = bench.gemm_shapes(name, bench.WORKLOADS[name][1])
        return [shapes[:2]] + [shapes[i:i + 3] for i in range(2, len(shapes), 3)]

    small = convs("small_cnn")
    assert [fwd[0] * fwd[1] for fwd, *_ in small] == [1 * 32 * 9, 32 * 32 * 9, 32 * 64 * 9, 64 * 64 * 9]
    assert [fwd[2] for fwd, *_ in small] == [32 * 8 * 8, 32 * 8 * 8, 32 * 4 * 4, 32 * 4 * 4]  # pooled after two
    dn = convs("dncnn")
    assert [fwd[0] * fwd[1] for fwd, *_ in dn] == [32 * 9] + [32 * 32 * 9] * 6 + [32 * 9]
    assert all(fwd[2] == 16 * 40 * 40 for fwd, *_ in dn)
    for conv in small + dn:
        assert len({m * k * n for m, k, n in conv}) == 1, conv
    assert bench.gemm_shapes("max_pool2d", bench.WORKLOADS["max_pool2d"][1]) == []


def test_ratios_give_each_variant_its_memory():
    """A variant with a peak of its own (its own memory worker) is set against PyTorch's
    and the default worker's; a variant without one gets no memory ratio."""
    entry = {"time_s": {"tge alone": 2.0, "torch alone": 4.0, "tge[small] alone": 2.2, "tge[other] alone": 2.0},
             "peak_mib": {"tge": 3.0, "tge[small]": 1.5, "torch": 2.0}}
    r = _bench_module().ratios(entry, {"default": {}, "small": {}, "other": {}}, have_torch=True)
    assert r["tge/torch memory"] == pytest.approx(1.5)
    assert r["tge[small]/torch memory"] == pytest.approx(0.75) and r["tge[small]/tge memory"] == pytest.approx(0.5)
    assert not any(k.startswith("tge[other]") and "memory" in k for k in r)


def test_a_variant_gets_its_own_memory_worker(tmp_path):
    """--variant: the run measures the variant's peak in a fresh worker with its variables
    and prints and writes it beside the default's (tinygrad_edu only, one quick workload)."""
    out = tmp_path / "variant.json"
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "conv2d", "--no-torch", "--modes", "alone",
                          "--variant", "nowino", "TINYGRAD_EDU_WINOGRAD=off", "--json", str(out), "--plot", ""],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "peak memory conv2d: tge " in run.stdout and ", tge[nowino] " in run.stdout
    e = json.loads(out.read_text())["workloads"]["conv2d"]
    # (the quick step is too small to move resident memory: the ratios are checked above)
    assert set(e["peak_mib"]) == {"tge", "tge[nowino]"} and min(e["peak_mib"].values()) >= 0


_STEPS = r"""
import resource, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import bench_side_by_side as bench
def step():  # 12 MiB of large blocks, touched and freed, as a training step's arrays are
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(3 * 2**20 // 4, np.float32) for _ in range(4)]
    del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
if sys.argv[2] == "warm":
    bench._warm_allocator(np)
print([step() for _ in range(6)][-1])  # the sixth step: after any first-time growth
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page-fault counts as Linux reports them")
def test_a_warm_worker_keeps_its_freed_blocks():
    """``_warm_allocator`` makes glibc keep freed large blocks: a fresh process (without
    tinygrad_edu, which sets glibc's thresholds itself) faults every page of a step's
    arrays in again on every step; after the warm-up, later steps fault none."""
    def faults(mode):
        run = subprocess.run([sys.executable, "-c", _STEPS, os.path.dirname(SCRIPT), mode],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        return int(run.stdout.strip())

    cold = faults("cold")
    if cold < 1000:
        pytest.skip(f"this C library keeps freed blocks by itself ({cold} page faults a step)")
    assert faults("warm") < cold / 10


def test_the_steadiness_summary_is_the_spread_of_the_probes():
    bench = _bench_module()
    assert bench.steadiness_probe() > 0
    st = bench.probe_summary([0.002, 0.0038, 0.0021, 0.002])
    assert st["min_s"] == 0.002 and st["max_s"] == 0.0038 and st["median_s"] == pytest.approx(0.00205)
    assert st["spread"] == pytest.approx(1.9)  # a host that ran the same loop 1.9x slower at times
    # nearest rank: one of the values, the lowest for a small q
    xs = [5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 8.0, 7.0, 6.0, 10.0]
    assert [bench.percentile(xs, q) for q in (0, 10, 15, 50, 90, 100)] == [1.0, 1.0, 2.0, 5.0, 9.0, 10.0]
    assert bench.percentile([4.2], 10) == 4.2


def test_chunks_of_chunk_s_alternate():
    """``_timed_steps`` runs each function in chunks that last ``chunk_s`` (whole steps,
    at least one), the two functions chunk by chunk, and reports one per-step time per
    chunk. A slow first step does not shorten the chunks (it did when a step count was
    worked out from it).

    Each step records when it started and ended, and the checks compare the reported
    times with those clocks only in ways that hold however late the machine runs a sleep
    (a busy machine can stretch a 1 ms sleep to several). A chunk's steps times its
    per-step time is at least the span from its first step's start to its last step's
    end, and at most the gap between the calls on either side; it reaches ``chunk_s``;
    and every step but its last ended before ``chunk_s`` had passed (the chunk stops at
    the first step that crosses it)."""
    import itertools
    import time

    bench = _bench_module()
    calls = []  # (function, start, end) of each step

    def step_a():  # 10 ms the first time (it runs first: nothing recorded yet), then about 1 ms
        t0 = time.perf_counter()
        time.sleep(0.01 if not calls else 0.001)
        calls.append(("a", t0, time.perf_counter()))

    def step_b():  # about 5 ms: one step a chunk at 2 ms, several at 20
        t0 = time.perf_counter()
        time.sleep(0.005)
        calls.append(("b", t0, time.perf_counter()))

    for chunk_s in (0.002, 0.02):
        calls.clear()
        before = time.perf_counter()
        ta, tb = bench._timed_steps([step_a, step_b], 0.15, chunk_s=chunk_s)
        after = time.perf_counter()
        chunks = [(name, list(run)) for name, run in itertools.groupby(calls, key=lambda call: call[0])]
        assert [name for name, _ in chunks] == ["a", "b"] * len(ta) and len(ta) == len(tb) >= 1
        assert min(ta + tb) > 0.0009
        reported = [t for pair in zip(ta, tb) for t in pair]  # per-step time of each chunk, in order
        for i, ((_, steps), t) in enumerate(zip(chunks, reported)):
            elapsed = len(steps) * t  # the chunk's time as _timed_steps measured it
            prev_end = chunks[i - 1][1][-1][2] if i else before
            next_start = chunks[i + 1][1][0][1] if i + 1 < len(chunks) else after
            # (1e-6: the clock's rounding in elapsed / n * n)
            assert steps[-1][2] - steps[0][1] - 1e-6 <= elapsed <= next_start - prev_end + 1e-6
            assert elapsed >= chunk_s * 0.999  # the chunk lasted chunk_s ...
            assert all(end - steps[0][1] < chunk_s for _, _, end in steps[:-1])  # ... and stopped then
        kb = [len(steps) for name, steps in chunks if name == "b"]
        # a sleep never ends early: a 5 ms step fills a 2 ms chunk, and four fill 20 ms
        if chunk_s == 0.002:
            assert max(kb) == 1
        else:
            assert max(kb) <= 4


def test_chunk_ms_is_checked_and_recorded():
    bench = _bench_module()
    assert bench.parse_args([]).chunk_ms == 2.0
    assert bench.parse_args(["--chunk-ms", "20"]).chunk_ms == 20.0
    for bad in ("0", "-1", "nan"):
        with pytest.raises(SystemExit):
            bench.parse_args(["--chunk-ms", bad])


def test_the_workers_take_the_chunk_length(quick_result, tmp_path):
    """``--chunk-ms 20`` reaches the workers: a 50 ms arm then holds at most 4 chunks of the
    tiny graph a framework (2-3 expected), against about 12 at the default 2 ms (the quick run)."""
    if not have_torch():
        pytest.skip("PyTorch is not installed: no 'same' arm")
    assert quick_result["chunk_s"] == 0.002
    assert quick_result["workloads"]["tiny"]["samples"]["tge same"] >= 6
    out = tmp_path / "chunks.json"
    run = subprocess.run([sys.executable, SCRIPT, "--quick", "--only", "tiny", "--modes", "alone", "same",
                          "--no-memory", "--chunk-ms", "20", "--json", str(out), "--plot", ""],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r["chunk_s"] == 0.02
    assert 1 <= r["workloads"]["tiny"]["samples"]["tge same"] <= 4
