"""The benchmarks' machine line names what makes ratios comparable across machines: the
widest vector ISA, the L2 cache, the BLAS kernel and the variables that pin such choices,
besides model, cores and versions."""
import io
import os
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

CPUINFO = """processor\t: 0
model name\t: Test CPU 9000
flags\t\t: fpu sse4_2 avx avx2 avx512f avx512dq
processor\t: 1
model name\t: Test CPU 9000
flags\t\t: fpu sse4_2 avx avx2
"""


@pytest.fixture
def machine_info(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import machine_info

    return machine_info


def test_the_line_names_model_cores_isa_and_numpy_with_its_blas(machine_info, monkeypatch):
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == "/proc/cpuinfo":
            return io.StringIO(CPUINFO)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    assert machine_info._cpuinfo() == ("Test CPU 9000", {"fpu", "sse4_2", "avx", "avx2", "avx512f", "avx512dq"})
    line = machine_info.machine()
    assert line.startswith("Test CPU 9000, ") and " cores, avx512f, " in line
    assert f"NumPy {np.__version__}" in line
    assert f"oneDNN: {machine_info._onednn(machine_info._cpuinfo()[1]) or 'not installed'}" in line  # who multiplies
    blas = machine_info._blas()
    if blas is not None:  # threadpoolctl found NumPy's BLAS: its name and kernel are on the line
        assert f"NumPy {np.__version__} ({blas})" in line


def test_a_machine_without_cpuinfo_still_gets_a_line(machine_info, monkeypatch):
    real_open = open

    def no_files(path, *args, **kwargs):
        if path == "/proc/cpuinfo" or str(path).startswith("/sys/devices/system/cpu"):
            raise OSError(f"no {path} here")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_files)
    for name in machine_info.KERNEL_ENV_VARS:  # "OPENBLAS_L2_SIZE=..." would put "L2" on the line
        monkeypatch.delenv(name, raising=False)
    assert machine_info._cpuinfo() == ("", set())
    assert machine_info._l2_cache() is None
    line = machine_info.machine()
    assert " cores, " in line and "avx" not in line and "L2" not in line


def test_the_line_ends_with_the_kernel_variables_that_are_set(machine_info, monkeypatch):
    for name in machine_info.KERNEL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert machine_info._kernel_env() == []
    assert "set:" not in machine_info.machine()
    # a machine that pins OpenBLAS's kernel (the fifteenth session's did), and an empty value
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("NUMBA_THREADING_LAYER", "")
    monkeypatch.setenv("SOME_OTHER_VARIABLE", "1")
    assert machine_info._kernel_env() == ["OPENBLAS_CORETYPE=Haswell", "NUMBA_THREADING_LAYER="]
    assert machine_info.machine().endswith(", set: OPENBLAS_CORETYPE=Haswell NUMBA_THREADING_LAYER=")


def test_the_onednn_word_follows_tinygrad_edus_own_rule(machine_info, monkeypatch, tmp_path):
    """"used" / "not used" on the line, worked out without importing tinygrad_edu, is what
    backends/mkldnn.py's default_enabled decides for the same CPU flags and setting."""
    from tinygrad_edu.backends import mkldnn

    if machine_info._onednn(set()) is None:
        pytest.skip("oneDNN is not installed: the line says so, and nothing else")
    for setting in (None, "0", "1", ""):
        if setting is None:
            monkeypatch.delenv(mkldnn.ENV_VAR, raising=False)
        else:
            monkeypatch.setenv(mkldnn.ENV_VAR, setting)
        for flags in ({"avx", "avx2"}, {"avx", "avx2", "avx512f"}):
            cpuinfo = tmp_path / "cpuinfo"
            cpuinfo.write_text("flags\t\t: " + " ".join(sorted(flags)) + "\n")
            used = mkldnn.default_enabled(os.environ, str(cpuinfo))
            assert machine_info._onednn(flags).endswith(", used" if used else ", not used"), (setting, flags)
