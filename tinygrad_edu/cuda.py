"""``tge.cuda``: what PyTorch scripts ask about the GPU (``torch.cuda.is_available()``,
``torch.cuda.manual_seed(0)``, ``torch.cuda.device_count()``).

The GPU here is CuPy. Whether it works is probed once, the first time it is asked:
CuPy must import and report at least one CUDA device. A CuPy that is installed but
broken (no driver, no device, a mismatched CUDA toolkit) counts as "no GPU", never an
error, so ``device = "cuda" if tge.cuda.is_available() else "cpu"`` always runs.

Random numbers for every device are drawn on the host from the framework's one
generator (see ``random.py``), so seeding "the CUDA generators" is seeding that one.
"""
from . import cuda_amp as amp  # tge.cuda.amp.GradScaler / autocast: no-ops on CPU (see cuda_amp.py)
from . import random as _random

_device_count = None  # probed once, on first use


def _probe():
    """The number of CUDA devices CuPy can use, 0 when it cannot be used at all."""
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # ImportError, CUDARuntimeError (no driver / device), a broken install
        return 0


def device_count():
    """How many CUDA devices are usable (0 without a working CuPy)."""
    global _device_count
    if _device_count is None:
        _device_count = _probe()
    return _device_count


def is_available():
    """True when at least one CUDA device is usable through CuPy."""
    return device_count() > 0


def manual_seed(seed):
    """Seed the generator that draws the numbers for CUDA tensors: the framework's one
    generator (the same as ``tge.manual_seed``; PyTorch keeps a separate one per device).
    Like PyTorch, it is silently accepted without a GPU."""
    _random.manual_seed(seed)


def manual_seed_all(seed):
    """Seed the generators of all CUDA devices: here the one generator (see ``manual_seed``)."""
    _random.manual_seed(seed)
