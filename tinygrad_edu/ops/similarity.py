"""Vector similarities along a dim: ``normalize``, ``cosine_similarity``,
``pairwise_distance``. Each is a short composition of differentiable ops (norm,
division, sum), so its backward is theirs; the formula is in each docstring."""
from ..tensor import Tensor
from . import elementwise, reduce


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """v / max(||v||_p, eps) for each vector v along ``dim``. Shape: as input.
    Backward: through ``Norm`` (``ops/reduce.py``), ``Clamp`` and ``Div``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    denominator = elementwise.clamp(reduce.norm(input, p, dim, keepdim=True), min=eps)
    return elementwise.div(input, denominator)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (x1, x2 broadcast).
    Shape: the broadcast shape without ``dim``. Each input is normalized first, as
    PyTorch does, which keeps large inputs from overflowing. Backward: through ``Norm``
    (``ops/reduce.py``), ``Div`` and ``Mul`` (``ops/elementwise.py``) and ``Sum``."""
    x1 = x1 if isinstance(x1, Tensor) else Tensor(x1)
    x2 = x2 if isinstance(x2, Tensor) else Tensor(x2)
    n1 = elementwise.clamp(reduce.norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = elementwise.clamp(reduce.norm(x2, 2, dim, keepdim=True), min=eps)
    return reduce.sum(elementwise.mul(elementwise.div(x1, n1), elementwise.div(x2, n2)), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim (eps keeps the norm differentiable when
    x1 = x2). Shapes: x1, x2 (N, D) or (D,), broadcast; output (N,) (or (N, 1) with
    keepdim). Backward: through ``Norm`` (``ops/reduce.py``)."""
    difference = elementwise.add(elementwise.sub(x1, x2), eps)
    return reduce.norm(difference, p, -1, keepdim)
