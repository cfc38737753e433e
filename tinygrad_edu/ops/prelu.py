"""``prelu``: the leaky ReLU whose negative slope is learned (He et al., 2015).

One slope for all channels (``weight`` of shape (1,)) or one per channel (shape (C,),
C = input.shape[1], broadcast over dim 1 and the dims after it).
"""
from .. import kernels
from ..autograd.function import Function
from ..tensor import Tensor


class PReLU(Function):
    """z = x for x > 0,  a * x otherwise,  with the slope a = weight[c] of x's channel.

    Backward (a is the slope broadcast to x's shape):
        dL/dx = g            where x > 0,    g * a   elsewhere (a NaN too, as in PyTorch)
        dL/da = sum of g * x over the elements not > 0 that use slope a
    The sum runs over every dim but the channel dim (over all dims for a single
    slope), so this backward returns dL/dweight already in weight's shape.
    """

    @staticmethod
    def forward(ctx, x, weight):
        if weight.size == 1:
            slope_shape = ()
        else:  # (C,) -> (1, C, 1, ...): broadcast over dim 1
            slope_shape = (1, weight.size) + (1,) * (x.ndim - 2)
        a = weight.reshape(slope_shape).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, a)
        ctx.weight_shape = weight.shape
        return kernels.where(x > 0, x, a * x)

    @staticmethod
    def backward(ctx, g):
        x, a = ctx.saved_tensors
        negative = ~(x > 0)  # a NaN counts here too, as in PyTorch's prelu backward
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = kernels.where(negative, g * a, g)
        if ctx.needs_input_grad[1]:
            contribution = g * x * negative
            if a.ndim == 0:
                gw = contribution.sum().reshape(ctx.weight_shape)
            else:
                axes = (0,) + tuple(range(2, x.ndim))
                gw = contribution.sum(axis=axes)
        return gx, gw


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with ``weight`` of shape (1,) or (C,) for
    input (N, C, *) (a 0-d or 1-d input has no channel dim: one slope only).

        y = x if x > 0 else weight[c] * x     (c the channel of x, dim 1)

    Shape:
        - Input: (*), channels at dim 1 when there are 2 or more dims
        - Weight: (1,) or (C,)
        - Output: (*), same shape as the input

    Backward: ops/prelu.py (PReLU).
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.array.dtype.kind not in "fc":
        raise TypeError(f"prelu: expected a floating-point input, got dtype {input.dtype} (shape {input.shape})")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: weight must be 0-D or 1-D (one slope, or one per channel), got shape {weight.shape}")
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(
            f"prelu: mismatch in parameter count between weight (shape {weight.shape}, {n} slopes) and the input's "
            f"channel size {channels} (input shape {input.shape}, channels are dim 1): expected 1 or {channels} slopes"
        )
    return PReLU.apply(input, weight)
