"""``softmax`` and ``log_softmax`` along one dim, stable for large logits.

Both subtract the maximum along ``dim`` first: softmax(x) = softmax(x - c) for any
constant c, and with c = max(x) every exponent is <= 0, so e^(x - c) never overflows
(logits of +-1000 work) and the largest term is exactly 1 (the sum never underflows
to 0).
"""
from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..random import numpy_generator
from ..tensor import Tensor
from ..shape_checks import normalize_dim, numpy_aliases


class Softmax(Function):
    """s_i = e^(x_i) / sum_j e^(x_j)  along ``dim``.

    Jacobian: ds_i/dx_k = s_i * ([i == k] - s_k). Its vector-Jacobian product with
    g = dL/ds needs no n x n matrix:
        dL/dx_k = sum_i g_i s_i ([i == k] - s_k) = s_k * (g_k - sum_i g_i s_i)
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        s = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(s)
        ctx.dim = dim
        return s

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return s * (g - (g * s).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Function):
    """z_i = x_i - log sum_j e^(x_j)  along ``dim``  (= log softmax(x)_i).

    Computed as (x_i - m) - log sum_j e^(x_j - m), m = max_j x_j: no overflow, and no
    log(0) where softmax itself would underflow to 0.
    Jacobian: dz_i/dx_k = [i == k] - softmax_k, so
        dL/dx_k = g_k - softmax_k * sum_i g_i,   softmax = e^z (from the saved output)
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x)
        shifted = x - x.max(axis=dim, keepdims=True)
        z = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(z)
        ctx.dim = dim
        return z

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.3
        (z,) = ctx.saved_tensors
        xp = get_array_module(g)
        return g - xp.exp(z) * g.sum(axis=ctx.dim, keepdims=True)
        # END SOLUTION


def _prepare(op, input, dim, dtype):
    """Checks shared by both: ``dim`` given and valid, a floating input (cast to
    ``dtype`` first when given, as PyTorch does). Returns (input, axis for the arrays)."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if dim is None:
        raise TypeError(
            f"{op}: dim is required (PyTorch's implicit dim choice is deprecated and not supported); "
            f"pass the dim that holds the classes, e.g. {op}(x, dim=-1) for input of shape {input.shape}"
        )
    axis = normalize_dim(op, dim, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    if input.array.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype} (shape {input.shape}); "
                        f"convert it first, e.g. x.float(), or pass dtype=")
    # A 0-d tensor accepts dim 0 / -1 but its array has no axis 0: reduce over all (one element).
    return input, (axis if input.ndim else None)


def softmax(input, dim=None, dtype=None, *, axis=None):
    """e^x / sum(e^x) along ``dim``: each slice along ``dim`` becomes a probability vector."""
    dim, _ = numpy_aliases("softmax", dim, False, axis)
    input, axis = _prepare("softmax", input, dim, dtype)
    if input.numel() == 0:  # nothing to normalise; max over an empty axis would fail
        return input.clone()
    return Softmax.apply(input, dim=axis)


def log_softmax(input, dim=None, dtype=None, *, axis=None):
    """log(softmax(x)) along ``dim``, computed without forming softmax (stable)."""
    dim, _ = numpy_aliases("log_softmax", dim, False, axis)
    input, axis = _prepare("log_softmax", input, dim, dtype)
    if input.numel() == 0:
        return input.clone()
    return LogSoftmax.apply(input, dim=axis)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1, generator=None):
    """A differentiable sample from the categorical distribution softmax(logits):
        y = softmax((logits + G) / tau),  G = -log(E), E ~ Exponential(1) per element
    (G is Gumbel noise). ``hard=True`` returns the one-hot of argmax(y) in the forward
    pass with y's gradient (the straight-through trick: y_hard - y.detach() + y).
    Shape: as logits. Backward: ``Softmax`` in ``ops/softmax.py`` (the noise is a constant). ``generator`` (not in PyTorch's signature)
    draws the noise from a given ``tge.Generator``."""
    sample = numpy_generator(generator).exponential(size=logits.shape).astype(logits.dtype)
    gumbels = Tensor._wrap(-get_array_module(logits.array).log(backend.to_device(sample, logits.device)))
    y = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    xp = get_array_module(y.array)
    dim = normalize_dim("gumbel_softmax", dim, y.ndim)
    winner = xp.expand_dims(y.array.argmax(axis=dim), -1) == xp.arange(y.shape[dim])  # one-hot, classes last
    y_hard = Tensor._wrap(xp.moveaxis(winner, -1, dim).astype(y.dtype))
    return y_hard - y.detach() + y
