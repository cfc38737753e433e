"""Loss functions with PyTorch's signatures and ``reduction`` semantics.

    mse_loss, l1_loss, smooth_l1_loss                    regression
    binary_cross_entropy, binary_cross_entropy_with_logits
    nll_loss, cross_entropy                              classification

Each loss first computes one loss l_i per element (or per sample), then reduces:
``reduction="none"`` returns the l_i, ``"sum"`` their sum, ``"mean"`` their mean
(``nll_loss`` and ``cross_entropy`` with class indices use a *weighted* mean, see
``NLLLoss``).

Every backward has the same two steps. First the upstream gradient g of the reduced
loss becomes the gradient of each l_i (``_per_element_grad``):

    none: dL/dl_i = g_i        sum: dL/dl_i = g        mean: dL/dl_i = g / n

then the chain rule multiplies it by the local derivative dl_i/dx_i.
"""
import math
import warnings

import numpy as np

from .. import kernels
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .activation import sigmoid_array
from ..shape_checks import broadcast_shape
from .softmax import log_softmax

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected 'none', 'mean' or 'sum'")


def _reduce(loss, reduction):
    """The per-element losses, their sum or their mean (NaN for no elements, as PyTorch)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / loss.size if loss.size else loss.sum() * math.nan


def _per_element_grad(g, shape, reduction):
    """dL/dl_i for every per-element loss l_i (shape ``shape``) from g = dL/d(reduced loss)."""
    if reduction == "none":
        return g
    xp = get_array_module(g)
    n = math.prod(shape)
    return xp.broadcast_to(g / n if reduction == "mean" and n else g, shape)


def _as_tensor(x):
    return x if isinstance(x, Tensor) or x is None else Tensor(x)


def _no_grad_for(op, name, t):
    """PyTorch refuses a ``weight`` (or ``pos_weight``) that requires grad in these losses."""
    if t is not None and t.requires_grad:
        raise RuntimeError(f"{op}: the loss is not differentiable with respect to argument '{name}' (as in PyTorch); "
                           f"this input cannot have requires_grad=True. Pass {name}.detach().")


# -------------------------------------------------------------- regression losses
def _regression_operands(op, input, target):
    """Input and target for mse/l1/smooth_l1: a floating input; an integer target is
    cast to the input's dtype (PyTorch's promotion); differing shapes broadcast with
    PyTorch's warning, or fail with both shapes named."""
    input, target = _as_tensor(input), _as_tensor(target)
    if input.array.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype} (shape {input.shape})")
    if target.array.dtype.kind in "biu":
        target = Tensor._wrap(target.array.astype(input.array.dtype))
    if target.shape != input.shape:
        broadcast_shape(op, input.shape, target.shape)  # raises, naming both shapes, if incompatible
        warnings.warn(
            f"{op}: using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
    return input, target


class MSELoss(Function):
    """l_i = (x_i - t_i)^2, then reduced.

    Backward: dL/dx_i = 2 (x_i - t_i) * dL/dl_i,   dL/dt_i = -dL/dx_i.
    """

    @staticmethod
    def forward(ctx, x, t, reduction):
        d = x - t
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        gx = 2 * d * _per_element_grad(g, d.shape, ctx.reduction)
        return gx if ctx.needs_input_grad[0] else None, -gx if ctx.needs_input_grad[1] else None


class L1Loss(Function):
    """l_i = |x_i - t_i|, then reduced.

    Backward: dL/dx_i = sign(x_i - t_i) * dL/dl_i  (0 where x_i == t_i, as PyTorch),
              dL/dt_i = -dL/dx_i.
    """

    @staticmethod
    def forward(ctx, x, t, reduction):
        d = x - t
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(get_array_module(d).abs(d), reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        gx = get_array_module(d).sign(d) * _per_element_grad(g, d.shape, ctx.reduction)
        return gx if ctx.needs_input_grad[0] else None, -gx if ctx.needs_input_grad[1] else None


class SmoothL1Loss(Function):
    """l_i = 0.5 d_i^2 / beta   if |d_i| < beta,   |d_i| - 0.5 beta   otherwise   (d = x - t, beta > 0).

    Quadratic near 0 (smooth minimum), linear far away (outliers pull with force 1 only);
    the two pieces meet with equal value and slope at |d| = beta.
    Backward: dL/dx_i = (d_i / beta if |d_i| < beta else sign(d_i)) * dL/dl_i,   dL/dt_i = -dL/dx_i.
    """

    @staticmethod
    def forward(ctx, x, t, reduction, beta):
        xp = get_array_module(x, t)
        d = x - t
        ctx.save_for_backward(d)
        ctx.reduction, ctx.beta = reduction, beta
        ad = xp.abs(d)
        return _reduce(kernels.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta), reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        xp = get_array_module(d)
        local = kernels.where(xp.abs(d) < ctx.beta, d / ctx.beta, xp.sign(d))
        gx = local * _per_element_grad(g, d.shape, ctx.reduction)
        return gx if ctx.needs_input_grad[0] else None, -gx if ctx.needs_input_grad[1] else None


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: ``reduce((input - target)^2)``.

        l_i = (x_i - t_i)^2;   loss = mean_i l_i ("mean"), sum_i l_i ("sum"), l ("none")

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (MSELoss): dL/dx_i = 2 (x_i - t_i) * dL/dl_i.
    """
    _check_reduction("mse_loss", reduction)
    input, target = _regression_operands("mse_loss", input, target)
    return MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error: ``reduce(|input - target|)``.

        l_i = |x_i - t_i|;   loss = mean_i l_i ("mean"), sum_i l_i ("sum"), l ("none")

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (L1Loss): dL/dx_i = sign(x_i - t_i) * dL/dl_i.
    """
    _check_reduction("l1_loss", reduction)
    input, target = _regression_operands("l1_loss", input, target)
    return L1Loss.apply(input, target, reduction=reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Huber-like loss: quadratic for |input - target| < beta, linear beyond; beta = 0 is l1_loss.

        l_i = 0.5 d_i^2 / beta  if |d_i| < beta,  |d_i| - 0.5 beta  otherwise   (d = x - t)

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (SmoothL1Loss; L1Loss when beta = 0).
    """
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be >= 0 (it does not support negative values), got {beta}")
    input, target = _regression_operands("smooth_l1_loss", input, target)
    if beta == 0:  # the quadratic piece vanishes (PyTorch does the same)
        return L1Loss.apply(input, target, reduction=reduction)
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=beta)


# ------------------------------------------------------------------ binary losses
def _binary_operands(op, input, target, weight):
    input, target, weight = _as_tensor(input), _as_tensor(target), _as_tensor(weight)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target size {target.shape} must be the same as input size {input.shape}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype} (shape {input.shape})")
    if target.array.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point target (probabilities in [0, 1]), got dtype {target.dtype} "
                        f"(target shape {target.shape}, input shape {input.shape}); convert it, e.g. target.float()")
    if weight is not None:
        broadcast_shape(op + " (weight vs target)", weight.shape, target.shape)
        _no_grad_for(op, "weight", weight)
    return input, target, weight


class BinaryCrossEntropy(Function):
    """l_i = -w_i [ t_i log(x_i) + (1 - t_i) log(1 - x_i) ],  x_i in [0, 1] a probability.

    Each log is clamped to >= -100 (as PyTorch), so x = 0 or 1 give a finite loss.
    Backward:
        dL/dx_i = w_i (x_i - t_i) / max(x_i (1 - x_i), 1e-12) * dL/dl_i
            (-t/x + (1-t)/(1-x) over a common denominator, guarded against 0 there as
             PyTorch does: away from 0 and 1 it is the exact derivative)
        dL/dt_i = -w_i (log(x_i) - log(1 - x_i)) * dL/dl_i = -w_i logit(x_i) * dL/dl_i
    """

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        xp = get_array_module(x, t)
        if not ((x >= 0) & (x <= 1)).all().item():
            raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                               "(pass probabilities, e.g. sigmoid(logits), or use binary_cross_entropy_with_logits)")
        if not ((t >= 0) & (t <= 1)).all().item():
            raise RuntimeError("binary_cross_entropy: all elements of target should be between 0 and 1")
        with np.errstate(divide="ignore"):  # log(0) = -inf is expected here, and clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)  # log1p: accurate log(1 - x) for small x
        loss = -(t * log_x + (1 - t) * log_1mx)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w)
        ctx.reduction, ctx.shape = reduction, loss.shape  # a weight may broadcast the loss beyond x's shape
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx.saved_tensors
        xp = get_array_module(g)
        dl = _per_element_grad(g, ctx.shape, ctx.reduction)
        if w is not None:
            dl = dl * w
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = (x - t) / xp.maximum(x * (1 - x), 1e-12) * dl
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):  # logit(0) = -inf, logit(1) = inf, as PyTorch
                gt = -(xp.log(x) - xp.log1p(-x)) * dl
        return gx, gt, None


class BinaryCrossEntropyWithLogits(Function):
    """l_i = -w_i [ p t_i log sigmoid(x_i) + (1 - t_i) log(1 - sigmoid(x_i)) ],  x_i a logit,
    p = pos_weight (1 when not given; it scales the positive term).

    With log sigmoid(x) = -softplus(-x) and log(1 - sigmoid(x)) = -x - softplus(-x):
        l_i = w_i [ (1 - t_i) x_i + (1 + (p - 1) t_i) softplus(-x_i) ],
        softplus(-x) = max(-x, 0) + log(1 + e^-|x|)        (never overflows)
    which for p = 1 is  max(x, 0) - x t + log(1 + e^-|x|):  finite at logits of +-800,
    where sigmoid(x) rounds to exactly 0 or 1 and the naive log would give -inf.
    Backward (softplus(-x)' = -sigmoid(-x)):
        dL/dx_i = w_i [ (1 + (p - 1) t_i) sigmoid(x_i) - p t_i ] * dL/dl_i     (p = 1: w (sigmoid(x) - t))
        dL/dt_i = w_i [ (p - 1) softplus(-x_i) - x_i ] * dL/dl_i               (p = 1: -w x)
    """

    @staticmethod
    def forward(ctx, x, t, w, pos_weight, reduction):
        xp = get_array_module(x, t)
        softplus_neg_x = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        positive = t if pos_weight is None else t * pos_weight  # p t
        loss = (1 - t) * x + (1 - t + positive) * softplus_neg_x
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w, pos_weight, softplus_neg_x)
        ctx.reduction, ctx.shape = reduction, loss.shape  # weights may broadcast the loss beyond x's shape
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w, pos_weight, softplus_neg_x = ctx.saved_tensors
        dl = _per_element_grad(g, ctx.shape, ctx.reduction)
        if w is not None:
            dl = dl * w
        positive = t if pos_weight is None else t * pos_weight
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = ((1 - t + positive) * sigmoid_array(x) - positive) * dl
        if ctx.needs_input_grad[1]:
            gt = -x * dl if pos_weight is None else ((pos_weight - 1) * softplus_neg_x - x) * dl
        return gx, gt, None, None


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-[t log(x) + (1 - t) log(1 - x)] for probabilities ``input`` (logs clamped to >= -100).

    ``weight`` rescales each element's loss and broadcasts against the target; it is
    not normalised away by ``"mean"`` (unlike ``nll_loss``'s class weights).

        l_i = -w_i [t_i log(x_i) + (1 - t_i) log(1 - x_i)];   then reduced

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (BinaryCrossEntropy).
    """
    _check_reduction("binary_cross_entropy", reduction)
    input, target, weight = _binary_operands("binary_cross_entropy", input, target, weight)
    if target.dtype != input.dtype:
        raise RuntimeError(f"binary_cross_entropy: target dtype {target.dtype} does not match input dtype {input.dtype} "
                           f"(shapes {target.shape} and {input.shape}); convert one, e.g. target.to(input.dtype)")
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed from the logits in one
    stable step; ``pos_weight`` (broadcast along the last dim, one per class) weighs the
    positive examples of each class.

        l_i = -w_i [p_c t_i log(sigmoid(x_i)) + (1 - t_i) log(1 - sigmoid(x_i))]   (p_c = pos_weight)

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (BinaryCrossEntropyWithLogits): dL/dx_i = w_i (sigmoid(x_i) - t_i) * dL/dl_i
    when pos_weight is None.
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction)
    input, target, weight = _binary_operands(op, input, target, weight)
    pos_weight = _as_tensor(pos_weight)
    if pos_weight is not None:
        broadcast_shape(op + " (pos_weight vs input)", pos_weight.shape, input.shape)
        _no_grad_for(op, "pos_weight", pos_weight)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction=reduction)


# ----------------------------------------------------------- classification losses
def _class_index_operands(op, input, target, weight, ignore_index):
    """Check class-index targets against ``input`` of shape (C,), (N, C) or (N, C, d1, ...):
    the target is (), (N,) or (N, d1, ...) (the class dim removed) of int64/uint8 class
    indices in [0, C) or equal to ``ignore_index``. Returns the tensors, target as int64."""
    input, target, weight = _as_tensor(input), _as_tensor(target), _as_tensor(weight)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input with 1 or more dimensions (C,), (N, C) or (N, C, d1, ...), got a 0-d input")
    if target.array.dtype not in (np.dtype(np.int64), np.dtype(np.uint8)):
        hint = (" (a floating target of the input's shape would be read as class probabilities)"
                if target.array.dtype.kind == "f" and op == "cross_entropy" else "")
        raise RuntimeError(f"{op}: expected target dtype to be int64 (Long) or uint8 (Byte) class indices, but got "
                           f"{target.dtype} (target shape {target.shape}, input shape {input.shape}){hint}")
    expected = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape {input.shape} (the class "
                         f"dim {0 if input.ndim == 1 else 1} removed), got target of shape {target.shape}")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    if weight is not None:
        if weight.shape != (n_classes,):
            raise RuntimeError(f"{op}: weight should be defined for all {n_classes} classes (shape ({n_classes},)) or "
                               f"not at all, but got weight of shape {weight.shape}")
        _no_grad_for(op, "weight", weight)
    t = target.array.astype(np.int64, copy=False)
    if t.size and (t.min() < 0 or t.max() >= n_classes):  # not all classes: is the rest ignore_index?
        valid = ((t >= 0) & (t < n_classes)) | (t == ignore_index)
        if not valid.all().item():
            bad = t[~valid].reshape(-1)[0].item()
            raise IndexError(f"{op}: target {bad} is out of bounds: class indices must be in [0, {n_classes - 1}] "
                             f"(C = {n_classes} classes, input shape {input.shape}) or equal "
                             f"ignore_index={ignore_index}")
    return input, Tensor._wrap(t), weight


class NLLLoss(Function):
    """Negative log-likelihood of class indices.

    x: log-probabilities, (N, C, d1, ...) (the class dim is 1); t: class indices, (N, d1, ...).
    For every position i (a sample, or a sample's pixel):
        l_i = -w[t_i] * x[i, t_i]          (l_i = 0 and w[t_i] := 0 where t_i == ignore_index)
    ``mean`` is the *weighted* mean  sum_i l_i / sum_i w[t_i]  over the positions not ignored
    (with no weight: the mean over them); ``sum`` and ``none`` as usual.

    Backward: l_i depends on x[i, t_i] only, with slope -w[t_i]:
        dL/dx[i, c] = -w[t_i] * dL/dl_i  if c == t_i,  else 0
        dL/dl_i = g_i (none), g (sum), g / sum_i w[t_i] (mean).
    The one-hot [c == t_i] is built by comparing t with arange(C): no scatter needed.
    The gradient is chosen where the one-hot holds, not multiplied by it, so that the
    other entries (and every entry of an ignored position) are exactly 0 even for an inf
    or NaN g, as PyTorch's scatter gives.
    """

    @staticmethod
    def forward(ctx, x, t, weight, ignore_index, reduction):
        xp = get_array_module(x, t)
        ctx.unbatched = x.ndim == 1
        if ctx.unbatched:  # (C,) and a 0-d target: a batch of one
            x, t = x[None], t[None]
        keep = t != ignore_index
        safe_t = xp.where(keep, t, 0)  # any valid index: ignored positions are masked below
        w = keep.astype(x.dtype) if weight is None else weight[safe_t] * keep
        picked = xp.take_along_axis(x, safe_t[:, None], axis=1)[:, 0]  # x[i, t_i]
        loss = xp.where(keep, -w * picked, xp.zeros((), dtype=x.dtype))  # where, not *: x[i, 0] may be -inf
        ctx.save_for_backward(xp.where(keep, t, -1), w)  # -1 at ignored positions: it matches no class
        ctx.reduction, ctx.n_classes = reduction, x.shape[1]
        if reduction == "none":
            return loss[0] if ctx.unbatched else loss
        if reduction == "sum":
            return loss.sum()
        ctx.total_weight = w.sum()
        return loss.sum() / ctx.total_weight  # NaN when every target is ignored, as PyTorch

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.3
        kept_t, w = ctx.saved_tensors
        xp = get_array_module(g)
        if ctx.reduction == "none":
            dl = g[None] if ctx.unbatched else g
        elif ctx.reduction == "sum":
            dl = g
        else:
            dl = g / ctx.total_weight
        classes = xp.arange(ctx.n_classes).reshape((1, -1) + (1,) * (kept_t.ndim - 1))  # along dim 1
        one_hot = classes == kept_t[:, None]  # all False at an ignored position (its target is -1)
        gx = xp.where(one_hot, (-w * dl)[:, None], xp.zeros((), dtype=w.dtype))  # exact zeros off the targets
        return (gx[0] if ctx.unbatched else gx), None, None
        # END SOLUTION


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-input[i, target[i]] for log-probabilities ``input`` (N, C, ...) and class indices
    ``target`` (N, ...); ``weight`` (C,) weighs the classes; positions whose target is
    ``ignore_index`` contribute nothing (not even to the mean's denominator).

        l_i = -w[t_i] * x[i, t_i];   "mean": sum_i l_i / sum_i w[t_i] (over non-ignored i)

    Shape:
        - Input: (N, C) or (C,), or (N, C, d1, ..., dK) for K-dimensional positions
        - Target: (N,) or (), or (N, d1, ..., dK), int64 class indices in [0, C)
        - Output: scalar; with ``reduction="none"`` the target's shape

    Backward: ops/loss.py (NLLLoss).
    """
    _check_reduction("nll_loss", reduction)
    input, target, weight = _class_index_operands("nll_loss", input, target, weight, ignore_index)
    return NLLLoss.apply(input, target, weight, ignore_index=ignore_index, reduction=reduction)


class SoftTargetNLLLoss(Function):
    """Negative log-likelihood against class *probabilities* (cross-entropy's soft targets).

    x: log-probabilities and t: target probabilities, both (N, C, d1, ...) (class dim 1;
    (C,) when unbatched); w: class weights (C,) or None (all 1).
        l_i = -sum_c w_c t[i, c] x[i, c]
    ``mean`` divides by the number of positions i (numel / C), *not* by the weights (PyTorch).

    Backward (l_i is linear in each of x, t, w):
        dL/dx[i, c] = -w_c t[i, c] * dL/dl_i
        dL/dt[i, c] = -w_c x[i, c] * dL/dl_i
        dL/dw_c     = -sum_i t[i, c] x[i, c] * dL/dl_i
    """

    @staticmethod
    def forward(ctx, x, t, w, class_dim, reduction):
        w_along = 1 if w is None else _along(w, class_dim, x.ndim)
        loss = -(x * t * w_along).sum(axis=class_dim)
        ctx.save_for_backward(x, t, w)
        ctx.class_dim, ctx.reduction, ctx.shape = class_dim, reduction, loss.shape
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx.saved_tensors
        xp = get_array_module(g)
        dl = xp.expand_dims(_per_element_grad(g, ctx.shape, ctx.reduction), ctx.class_dim)
        w_along = 1 if w is None else _along(w, ctx.class_dim, x.ndim)
        gx = -w_along * t * dl if ctx.needs_input_grad[0] else None
        gt = -w_along * x * dl if ctx.needs_input_grad[1] else None
        gw = None
        if ctx.needs_input_grad[2]:
            other_dims = tuple(d for d in range(x.ndim) if d != ctx.class_dim)
            gw = -(t * x * dl).sum(axis=other_dims)
        return gx, gt, gw


def _along(w, dim, ndim):
    """A (C,) vector shaped to broadcast along dimension ``dim`` of an ``ndim``-d array."""
    shape = [1] * ndim
    shape[dim] = w.shape[0]
    return w.reshape(shape)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between the softmax of the logits ``input`` and ``target``.

    By definition ``cross_entropy = nll_loss(log_softmax(input, class_dim), target)``, and
    that is how it is computed: two Functions with their own backwards (log_softmax's
    then nll_loss's), whose chain rule gives the familiar softmax(x) - onehot(t).

    ``input``: logits (C,), (N, C) or (N, C, d1, ...); the class dim is 1 (0 when unbatched).
    ``target``: class indices (the input's shape without the class dim), or class
    probabilities (the input's shape, floating; then differentiable too).

    ``label_smoothing`` = eps mixes the target with the uniform distribution over the C
    classes, as PyTorch does:
    - probability targets: t becomes (1 - eps) t + eps / C;
    - class indices: loss = (1 - eps) nll + (eps / C) * smooth, where smooth_i =
      -sum_c w_c log p[i, c] (0 at ignored positions), reduced like nll, so with
      ``mean`` both terms are divided by the same sum_i w[t_i].

        loss_i = -log softmax(x_i)[t_i] = -x[i, t_i] + log sum_c e^(x[i, c])

    Shape:
        - Input: (N, C) or (C,), or (N, C, d1, ..., dK)
        - Target: class indices (N,) or () or (N, d1, ..., dK); or probabilities of the
          input's shape
        - Output: scalar; with ``reduction="none"`` (N,) or () or (N, d1, ..., dK)

    Backward: composed: ops/softmax.py (LogSoftmax), then ops/loss.py (NLLLoss, or
    SoftTargetNLLLoss for probability targets).
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    input, target, weight = _as_tensor(input), _as_tensor(target), _as_tensor(weight)
    if input.ndim == 0:
        raise ValueError("cross_entropy: expected input with 1 or more dimensions (C,), (N, C) or (N, C, d1, ...), "
                         "got a 0-d input")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    if target.shape == input.shape:
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing, class_dim)

    input, target, weight = _class_index_operands("cross_entropy", input, target, weight, ignore_index)
    log_p = log_softmax(input, class_dim)
    # nll_loss's Function itself: its checks are the ones just made (targets against C)
    nll = NLLLoss.apply(log_p, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    # the uniform-target term, -sum_c w_c log p[i, c], from differentiable tensor ops
    xp = get_array_module(target.array)
    keep = xp.asarray(target.array != ignore_index)  # asarray: a 0-d comparison gives a NumPy scalar
    w_along = 1.0 if weight is None else Tensor._wrap(_along(weight.array, class_dim, input.ndim))
    smooth = -(log_p * w_along).sum(class_dim) * Tensor._wrap(keep.astype(log_p.array.dtype))
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":  # divided by nll's denominator, sum_i w[t_i] over the kept positions
        total = keep.sum() if weight is None else (weight.array[xp.where(keep, target.array, 0)] * keep).sum()
        smooth = smooth.sum() / Tensor._wrap(xp.asarray(total, dtype=log_p.array.dtype))
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing, class_dim):
    """cross_entropy with class-probability targets: soft-target NLL of log_softmax(input)."""
    if target.array.dtype.kind != "f":
        raise RuntimeError(f"cross_entropy: target has the input's shape {input.shape}, so it is read as class "
                           f"probabilities and must be floating point, but got dtype {target.dtype}; for class "
                           f"indices the target's shape is the input's without the class dim {class_dim}")
    if ignore_index >= 0:
        raise RuntimeError("cross_entropy: ignore_index is not supported for class-probability (floating point) targets")
    if weight is not None and weight.shape != (input.shape[class_dim],):
        raise RuntimeError(f"cross_entropy: weight should be defined for all {input.shape[class_dim]} classes, "
                           f"but got weight of shape {weight.shape}")
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / input.shape[class_dim]
    log_p = log_softmax(input, class_dim)
    return SoftTargetNLLLoss.apply(log_p, target, weight, class_dim=class_dim, reduction=reduction)
