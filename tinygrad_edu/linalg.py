"""``tge.linalg`` (``torch.linalg``): vector and matrix norms. The ops live in
``tinygrad_edu/ops/linalg.py`` (their backward: ``Norm`` in ``ops/reduce.py``)."""
from .ops.linalg import norm, vector_norm
from .ops.matmul import matmul

__all__ = ["norm", "vector_norm", "matmul"]
