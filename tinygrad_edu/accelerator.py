"""``torch.accelerator``: which accelerator (GPU) this process can use, device-neutral.

tinygrad_edu's only accelerator is an NVIDIA GPU through CuPy: ``is_available()`` is
True when CuPy imports and sees a device, and ``current_accelerator()`` is then the
``cuda`` device, else None (always None on a CPU-only machine).
"""
from . import backend


def is_available():
    return backend.cuda_available()


def device_count():
    """How many GPUs CuPy sees (0 without CuPy)."""
    if not backend.cuda_available():
        return 0
    return backend.namespace_for_device("cuda").cuda.runtime.getDeviceCount()


def current_accelerator(check_available=False):
    """``device('cuda')`` when a GPU is available, else None."""
    return backend.device("cuda") if backend.cuda_available() else None
