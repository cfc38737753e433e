"""``tinygrad_edu.backends``: PyTorch's switches for its vendor libraries, kept so that
programs which set them run unchanged. There are no vendor libraries here (NumPy/Numba
on the CPU, CuPy on a GPU), so the flags are stored and have no effect.

``backends.cudnn``  benchmark, deterministic, enabled, allow_tf32; is_available()
``backends.mps``    is_available() / is_built(): always False
"""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
