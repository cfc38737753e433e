"""Matrix-shaped ops: ``tril``, ``triu``, ``diag``, ``outer``, ``baddbmm`` and the
``tge.linalg`` norms (``vector_norm``, ``norm``)."""
import math

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import elementwise, matmul, reduce


class Triangle(Function):
    """z = x with the elements above (``tril``) or below (``triu``) diagonal ``k`` of the
    last two dims set to 0.

    Backward: z = x * M for a fixed 0/1 mask M, so dL/dx = g * M.
    """

    @staticmethod
    def forward(ctx, x, k, lower):
        xp = get_array_module(x)
        ctx.k, ctx.lower = k, lower
        return xp.tril(x, k) if lower else xp.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        return (xp.tril(g, ctx.k) if ctx.lower else xp.triu(g, ctx.k)), None, None


def _matrix(op, input):
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape {input.shape}")


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements j <= i + diagonal), zeros above.
    Shape: as input (at least 2-D). Backward: ``Triangle`` (``tinygrad_edu/ops/linalg.py``)."""
    _matrix("tril", input)
    return Triangle.apply(input, int(diagonal), True)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements j >= i + diagonal), zeros below.
    Shape: as input (at least 2-D). Backward: ``Triangle`` (``tinygrad_edu/ops/linalg.py``)."""
    _matrix("triu", input)
    return Triangle.apply(input, int(diagonal), False)


class Diag(Function):
    """1-D x (n,): z is the square matrix with x on diagonal k (size n + |k|).
    2-D x: z is the 1-D diagonal k of x.

    Backward: the two forms are each other's adjoint:
        x 1-D:  dL/dx = diagonal k of g          x 2-D:  dL/dx = zeros with g on diagonal k
    """

    @staticmethod
    def forward(ctx, x, k):
        xp = get_array_module(x)
        ctx.k, ctx.shape = k, x.shape
        return xp.diag(x, k) if x.ndim == 1 else xp.diagonal(x, k).copy()

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        if len(ctx.shape) == 1:
            return xp.diagonal(g, ctx.k).copy(), None
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        rows = xp.arange(g.shape[0]) + max(-ctx.k, 0)
        gx[rows, rows + ctx.k] = g
        return gx, None


def diag(input, diagonal=0):
    """Shapes: a 1-D (n,) input becomes a matrix (n+|k|, n+|k|) with z[i, i+k] = x[i] (zeros
    elsewhere); a 2-D input gives its diagonal k, z[i] = x[i, i+k], as a 1-D tensor.
    Backward: ``Diag`` (``tinygrad_edu/ops/linalg.py``)."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {input.shape}")
    return Diag.apply(input, int(diagonal))


def outer(input, vec2):
    """z_ij = x_i * y_j. Shapes: x (n,), y (m,), z (n, m). It is the broadcast product
    x[:, None] * y[None, :]. Backward: ``Mul``'s (``ops/elementwise.py``, summed
    back by the engine): dL/dx = g @ y, dL/dy = g^T @ x."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got shapes {input.shape} and {vec2.shape}")
    return elementwise.mul(input.reshape(-1, 1), vec2.reshape(1, -1))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2). Shapes: batch1 (b, n, m), batch2 (b, m, p),
    input broadcastable to (b, n, p); output (b, n, p). Backward: a composition of
    ``MatMul`` (``ops/matmul.py``), ``Mul`` and ``Add`` (``ops/elementwise.py``), so
    theirs (``beta=0`` ignores input, NaN included, as in PyTorch)."""
    product = matmul.bmm(batch1, batch2)
    if alpha != 1:
        product = elementwise.mul(product, alpha)
    if beta == 0:
        return product
    return elementwise.add(product, input if beta == 1 else elementwise.mul(input, beta))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.vector_norm``: (sum |x_i|^ord)^(1/ord) over ``dim`` (default: all
    elements, whatever the shape); ``ord`` a number >= 0 or +-inf. Shape: x's without
    ``dim`` (kept as size 1 with ``keepdim``). Backward: ``Norm`` in
    ``tinygrad_edu/ops/reduce.py`` (inf: ``amax(abs(x))``)."""
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return reduce.norm(x, ord, dim, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: with ``ord=None`` the 2-norm of the vector (``dim`` an int or
    None with 1-D input) or the Frobenius norm (2-D input or two dims); a number ``ord``
    with one dim (or 1-D input) is ``vector_norm``; matrix norms ``'fro'``, 1, -1, inf,
    -inf over two dims (1: max over columns of sum_i |A_ij|; inf: max over rows of
    sum_j |A_ij|). ``'nuc'`` and ``ord=+-2`` on matrices need an SVD: not supported.
    Shape: A's without the normed dims. Backward: ``Norm`` (``ops/reduce.py``), or the
    ``Sum``/``Amax``/``Abs`` it is composed of for the matrix 1/inf norms."""
    if dtype is not None:
        A = A.to(dtype)
    two_dims = (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)
    if ord is None:
        if dim is None and A.ndim > 2:
            raise RuntimeError(f"linalg.norm: input must be 1-D or 2-D when dim is None and ord is not None; "
                               f"got shape {A.shape} (use vector_norm for all elements)")
        return reduce.norm(A, 2, dim, keepdim)
    if not two_dims:
        if dim is None and A.ndim != 1:
            raise RuntimeError(f"linalg.norm: a vector ord={ord} needs a 1-D input or an int dim, got shape {A.shape}")
        return reduce.norm(A, ord, dim, keepdim)
    rows, cols = (A.ndim - 2, A.ndim - 1) if dim is None else tuple(d % A.ndim for d in dim)
    if ord == "fro":
        return reduce.norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        # 1: largest column sum of |A| (sum over rows); inf: largest row sum
        summed_dim, extreme_dim = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = reduce.sum(elementwise.abs(A), summed_dim, keepdim=True)
        pick = reduce.amax if ord > 0 else reduce.amin
        out = pick(sums, extreme_dim, keepdim=True)
        if keepdim:
            return out
        return out.reshape(tuple(n for d, n in enumerate(out.shape) if d not in (rows, cols)))
    raise NotImplementedError(f"linalg.norm: matrix ord={ord!r} needs a singular value decomposition: not supported")
