"""Benchmarks never overwrite tracked files by default: every default output path is
outside git's tracked files (bench_conv's plot goes to the ignored runs/ folder,
bench_train's runs to a temporary folder)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


@pytest.fixture
def bench_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the scripts import machine_info from beside them
    import bench_conv
    import bench_train

    return bench_conv, bench_train


def _tracked(path):
    result = subprocess.run(["git", "ls-files", "--error-unmatch", str(path)], cwd=ROOT, capture_output=True)
    return result.returncode == 0


def _ignored(path):
    return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT).returncode == 0


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_default_outputs_are_not_tracked_files(bench_modules):
    bench_conv, bench_train = bench_modules
    plot = bench_conv.build_parser().parse_args([]).plot
    assert not _tracked(plot) and _ignored(plot), plot
    assert not _tracked(BENCHMARKS / "conv_times.png") or os.path.abspath(plot) != str(BENCHMARKS / "conv_times.png")
    assert bench_train.build_parser().parse_args([]).out is None  # None: a temporary folder


def test_descriptions_are_whole_sentences(bench_modules):
    for module in bench_modules:
        text = module.build_parser().format_help()
        description = text.split("\n\n")[1]
        assert description.rstrip().endswith("."), description
