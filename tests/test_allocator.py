"""allocator.py: glibc keeps freed memory between steps (no page faults to get it back)."""
import json
import os
import subprocess
import sys

import pytest

from tinygrad_edu import allocator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A "step" that allocates 20 arrays of 256 KiB, then frees them all, ten times over; the
# child prints whether the thresholds were set at import and the page faults per step.
STEPS = """
import json, resource, numpy as np
import tinygrad_edu
def step():
    arrays = [np.ones(2**16, dtype=np.float32) for _ in range(20)]
    del arrays
step(); step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
print(json.dumps({"kept": tinygrad_edu.allocator.kept_at_import, "faults": faults}))
"""

needs_glibc = pytest.mark.skipif(allocator._glibc() is None, reason="the C library is not glibc: nothing is set")


def run_steps(**env):
    clean = {k: v for k, v in os.environ.items() if k not in allocator.GLIBC_ENV_VARS + (allocator.ENV_VAR,)}
    done = subprocess.run([sys.executable, "-c", STEPS], env=dict(clean, PYTHONPATH=ROOT, **env),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_glibc
def test_freed_memory_is_reused_without_page_faults():
    kept = run_steps()
    default = run_steps(TINYGRAD_EDU_KEEP_FREED_MEMORY="0")
    assert kept["kept"] is True and default["kept"] is False
    # 5 MiB a step is 1280 pages: glibc's defaults give them back and fault them in again
    assert default["faults"] > 500, default  # the case is real here
    assert kept["faults"] < 50, kept


@needs_glibc
@pytest.mark.parametrize("env", [{"MALLOC_TRIM_THRESHOLD_": "131072"}, {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"},
                                 {"TINYGRAD_EDU_KEEP_FREED_MEMORY": "0"}])
def test_a_users_malloc_setting_wins(env):
    assert run_steps(**env)["kept"] is False


def test_nothing_is_set_without_glibc(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    assert allocator.keep_freed_memory() is False
