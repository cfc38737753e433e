"""The machine line every benchmark prints: CPU model, cores, vector ISA, L2 cache, OS,
Python and library versions, and the BLAS NumPy calls with the CPU kernel it picked.

Why the ISA, the cache and the BLAS: two lent machines that both call themselves "Intel(R)
Xeon(R) Processor, 2 cores" gave PyTorch / tinygrad_edu ratios 1.5x apart
(benchmarks/issue14_log.md, "Fourth session"); PyTorch's convolutions use the widest vector
unit directly, and OpenBLAS picks its kernel by CPU, so a ratio is only comparable with the
same line.

Why the environment: a machine can pin those choices. The fifteenth session's AMD EPYC
(AVX-512) had OPENBLAS_CORETYPE=Haswell set for every process, so OpenBLAS ran its AVX2
kernel at 0.5-0.75x the AVX-512 kernel's rate, and conv_transpose2d's step took 1.3-1.5x
as long as with the variable empty (benchmarks/issue14_log.md, "Fifteenth session"). The
line ends with every variable of ``KERNEL_ENV_VARS`` that is set.

Why oneDNN: where it is installed and the CPU has AVX-512, tinygrad_edu's convolutions
multiply with oneDNN's sgemm instead of NumPy's BLAS (tinygrad_edu/backends/mkldnn.py), at
1.6-2.0x the rate of the pinned OpenBLAS above (benchmarks/issue14_log.md, "Twenty-sixth
session"); without AVX-512 they keep NumPy's, the faster there ("Fifty-ninth session").
The line says which: "oneDNN: onednn-cpu-gomp 2023.2.0, used" or "..., not used".
"""
import os
import platform

# the widest vector extension first: what names the machine's SIMD width
_ISAS = ("avx512f", "avx2", "avx", "sse4_2", "asimd", "neon")

# variables that choose a library's CPU kernel or its threads (OpenBLAS, PyTorch's MKL and
# oneDNN, Numba, OpenMP). Not GOMP_SPINCOUNT: tinygrad_edu sets it itself at import
# (threads.py), so it would be on every line that imported tinygrad_edu first.
KERNEL_ENV_VARS = (
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
    "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "NUMBA_CPU_NAME", "NUMBA_THREADING_LAYER",
    "TINYGRAD_EDU_ONEDNN",
)
ONEDNN_PACKAGE = "onednn-cpu-gomp"  # as tinygrad_edu/backends/mkldnn.py: the convolutions' products


def _cpuinfo():
    """(model name, flags) from /proc/cpuinfo; ("", set()) where there is none."""
    model, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def _l2_cache():
    """The L2 cache of one core, as the kernel reports it ("2048K"), or None."""
    for index in range(8):
        base = f"/sys/devices/system/cpu/cpu0/cache/index{index}"
        try:
            with open(f"{base}/level") as f:
                level = f.read().strip()
            with open(f"{base}/size") as f:
                size = f.read().strip()
        except OSError:
            return None
        if level == "2":
            return size
    return None


def _blas():
    """NumPy's BLAS and the CPU kernel it chose ("openblas 0.3.31 SkylakeX"), or None."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    for pool in threadpoolctl.threadpool_info():
        if pool.get("user_api") == "blas":
            parts = [pool.get("internal_api"), pool.get("version"), pool.get("architecture")]
            return " ".join(str(p) for p in parts if p)
    return None


def _onednn(flags):
    """The oneDNN package whose sgemm tinygrad_edu's convolutions may use, and whether they
    do here ("onednn-cpu-gomp 2023.2.0, used"), or None where it is not installed. Found
    without importing tinygrad_edu, so by the rule of backends/mkldnn.py's
    ``default_enabled``, on the CPU's ``flags``: ``TINYGRAD_EDU_ONEDNN`` when set (and then
    on the line too), else AVX-512."""
    import importlib.metadata

    try:
        package = f"{ONEDNN_PACKAGE} {importlib.metadata.version(ONEDNN_PACKAGE)}"
    except importlib.metadata.PackageNotFoundError:
        return None
    setting = os.environ.get("TINYGRAD_EDU_ONEDNN", "").strip()
    used = setting != "0" if setting else "avx512f" in flags
    return f"{package}, {'used' if used else 'not used'}"


def _kernel_env():
    """The variables of KERNEL_ENV_VARS set in this process, as "NAME=value" (an empty value
    too: OpenBLAS then chooses by CPU), or []."""
    return [f"{name}={os.environ[name]}" for name in KERNEL_ENV_VARS if name in os.environ]


def machine():
    import numpy as np

    try:
        import numba

        numba_v = numba.__version__
    except ImportError:
        numba_v = "not installed"
    model, flags = _cpuinfo()
    cpu = model or platform.processor() or platform.machine()
    isa = next((name for name in _ISAS if name in flags), None)
    l2 = _l2_cache()
    blas = _blas()
    parts = [cpu, f"{os.cpu_count()} cores"]
    if isa:
        parts.append(isa)
    if l2:
        parts.append(f"L2 {l2} per core")
    parts += [f"{platform.system()} {platform.release()}", f"Python {platform.python_version()}",
              f"NumPy {np.__version__}" + (f" ({blas})" if blas else ""), f"Numba {numba_v}",
              f"oneDNN: {_onednn(flags) or 'not installed'}"]
    env = _kernel_env()
    if env:
        parts.append("set: " + " ".join(env))
    return ", ".join(parts)


if __name__ == "__main__":
    print(machine())
