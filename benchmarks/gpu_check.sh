#!/usr/bin/env bash
# The GPU proof in one run, for a machine with a CUDA GPU and no package registry:
# NumPy, Numba, CuPy, pytest, hypothesis and PyTorch (with CUDA) preinstalled; the
# project run from source. A few minutes in all:
#   1. what the machine is (nvidia-smi, versions, tge.cuda's answer);
#   2. the device proof on the GPU: every op of the op table (forward and backward), every
#      layer, loss and optimizer, and one training step of every course model, on CuPy
#      arrays, against the CPU run (TINYGRAD_EDU_CHECK_DEVICE=cuda: the tests that CI runs
#      on the strict array, tests/device_under_test.py);
#   3. the gpu-marked tests (CuPy kernels against their references, on the GPU);
#   4. benchmarks/bench_gpu.py (every column, bar chart in runs/bench_gpu.png);
#   5. the whole suite with the GPU as the default device (TINYGRAD_EDU_DEVICE=cuda): the
#      tests are device-generic (tge.tensor, .cpu().numpy()); those whose subject is the host
#      are marked cpu_only and skip, saying why. On the strict device: 3069 passed, 0 failed,
#      417 skipped (2026-12-03; not yet measured on a GPU).
# Usage, from anywhere:  bash benchmarks/gpu_check.sh [python]   (default: python3)
# Every step runs even if an earlier one fails; the exit status says whether all passed.
set -u
cd "$(dirname "$0")/.."
PY="${1:-python3}"
export PYTHONPATH=.
export HYPOTHESIS_PROFILE=ci
status=0

step() {  # step NAME COMMAND...: print the command, run it, remember a failure
    local name="$1"; shift
    echo; echo "=== $name: $*"
    local start=$SECONDS
    "$@" || { echo "=== $name FAILED (exit $?)"; status=1; }
    echo "=== $name took $((SECONDS - start)) s"
}

step machine bash -c "nvidia-smi || echo 'nvidia-smi not found'; \
  $PY -c 'import sys, numpy, numba; print(sys.version); print(\"NumPy\", numpy.__version__, \"Numba\", numba.__version__)'; \
  $PY -c 'import cupy; print(\"CuPy\", cupy.__version__); cupy.show_config()' || true; \
  $PY -c 'import torch; print(\"PyTorch\", torch.__version__, \"CUDA\", torch.version.cuda, torch.cuda.is_available())' || true; \
  $PY -c 'import tinygrad_edu as tge; print(\"tge.cuda.is_available():\", tge.cuda.is_available(), tge.cuda.unavailable_reason()); print(\"devices:\", tge.cuda.device_count())'"
step "device proof on cuda" env TINYGRAD_EDU_CHECK_DEVICE=cuda timeout 600 "$PY" -m pytest -q -rs -p no:cacheprovider \
  tests/test_strict_backend.py tests/test_strict_device.py
step "gpu tests" timeout 300 "$PY" -m pytest -q -m gpu -rs -p no:cacheprovider tests
step "benchmark" timeout 900 "$PY" benchmarks/bench_gpu.py --repeats 5

step "whole suite on cuda" env TINYGRAD_EDU_DEVICE=cuda timeout 900 "$PY" -m pytest -q --tb=line -p no:cacheprovider tests

echo; if [ $status -eq 0 ]; then echo "gpu_check: all steps passed"; else echo "gpu_check: some step FAILED (see above)"; fi
exit $status
