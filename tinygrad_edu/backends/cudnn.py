"""``torch.backends.cudnn``'s flags, accepted and stored; they change nothing here.

PyTorch uses them to pick cuDNN convolution algorithms: ``benchmark`` times several and
keeps the fastest, ``deterministic`` restricts to reproducible ones. tinygrad_edu's
convolution is im2col plus one matrix product (``ops/conv.py``), or Winograd's F(4x4, 3x3)
for 3x3 stride-1 layers on the CPU (``ops/winograd.py``), chosen by a fixed rule, not by
timing, and deterministic on the CPU, so there is nothing to choose.
"""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    """False: tinygrad_edu does not use cuDNN (its GPU path is CuPy)."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None
