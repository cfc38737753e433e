"""The machine line every benchmark prints: CPU model, cores, OS, Python and library versions."""
import os
import platform


def machine():
    import numpy as np

    try:
        import numba

        numba_v = numba.__version__
    except ImportError:
        numba_v = "not installed"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, Numba {numba_v}")
