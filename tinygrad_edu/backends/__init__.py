"""``tinygrad_edu.backends``: PyTorch's switches for its vendor libraries, so that
programs which set them run unchanged.

``backends.cudnn``   benchmark, deterministic, enabled, allow_tf32; is_available(): False.
                     No cuDNN here (CuPy on a GPU): the flags are stored, with no effect.
``backends.mps``     is_available() / is_built(): always False
``backends.mkldnn``  enabled, is_available(), flags(): oneDNN, optional, for the large
                     float32 matrix products of the CPU convolutions (backends/mkldnn.py;
                     enabled by default where the CPU has AVX-512)
"""
from . import cudnn, mkldnn, mps

__all__ = ["cudnn", "mkldnn", "mps"]
