"""Gradient clipping and flattening parameters into one vector (``torch.nn.utils``)."""
import math

from ..autograd import grad_mode
from ..autograd.views import mark_modified
from ..backend import get_array_module
from ..ops.shape import cat
from ..tensor import Tensor


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(array, norm_type):
    """||a||_p = (sum |a_i|^p)^(1/p); p = inf is max |a_i|, p = -inf min |a_i|, p = 0
    the number of non-zeros. Computed in the array's dtype, as PyTorch does."""
    xp = get_array_module(array)
    a = xp.abs(array)
    if norm_type == math.inf:
        return a.max() if a.size else xp.zeros((), dtype=a.dtype)
    if norm_type == -math.inf:
        return a.min()
    if norm_type == 0:
        return (a != 0).sum().astype(a.dtype)
    if norm_type == 1:
        return a.sum()
    if norm_type == 2:
        return xp.sqrt((a * a).sum())
    return (a**norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the norm of the vector of all gradient entries (for p = 2, the
    square root of the sum of squares over every parameter). Each gradient is then
    multiplied by min(1, max_norm / (total + 1e-6)): the direction of the update is
    kept, only its length is capped. Returns the total norm (before clipping) as a
    0-d tensor. ``foreach`` is accepted for compatibility and ignored.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor(0.0)
    xp = get_array_module(grads[0].array)
    norms = xp.stack([_vector_norm(g.array, norm_type) for g in grads])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)  # stays in the gradients' dtype
    with grad_mode.no_grad():
        for g in grads:
            g.array *= coef.astype(g.array.dtype, copy=False)
            mark_modified(g)
    return Tensor._wrap(xp.asarray(total))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with grad_mode.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                xp = get_array_module(p.grad.array)
                xp.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)
                mark_modified(p.grad)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec, parameters):
    """The inverse: slice ``vec`` into consecutive pieces and make each parameter's data
    that piece, reshaped (the parameters share ``vec``'s memory afterwards, as in PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {total} elements, got shape {vec.shape}")
    pointer = 0
    for p in params:
        n = p.numel()
        p.array = vec.array[pointer:pointer + n].reshape(p.shape)
        pointer += n
