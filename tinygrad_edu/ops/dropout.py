"""Dropout: ``dropout`` (each element) and ``dropout2d`` (whole channels).

In training, each element (or each channel of each sample) is kept with probability
1 - p and zeroed otherwise. The kept values are scaled by 1 / (1 - p) ("inverted"
dropout), so that the expectation is unchanged, E[z] = (1 - p) * x / (1 - p) = x, and
evaluation needs no rescaling: there, dropout is the identity.

The mask is drawn from the framework's generator (``tge.manual_seed``) on the host
and moved to the input's device, so a seed gives the same mask on CPU and GPU.
"""
import warnings

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..random import numpy_generator
from ..tensor import Tensor
from . import inplace as _inplace


class Dropout(Function):
    """z = x * m, where m = keep / (1 - p) and keep ~ Bernoulli(1 - p) is drawn once per
    element, or once per (sample, channel) and broadcast over the spatial dims.

    The mask is a constant of the forward pass, so z is linear in x:
        dL/dx = g * m
    (the engine sums nothing here: m broadcasts against g, which has x's shape).
    """

    @staticmethod
    def forward(ctx, x, p, mask_shape, generator):
        # u >= p keeps with probability 1 - p; for p == 1 nothing is kept (and no 1/0)
        keep = numpy_generator(generator).random(mask_shape) >= p
        # BEGIN SOLUTION task 2.5
        scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        mask = backend.to_device(np.asarray(keep * scale, dtype=x.dtype), backend.device_of(x))
        ctx.save_for_backward(mask)
        return x * mask
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.5
        (mask,) = ctx.saved_tensors
        return g * mask, None, None, None
        # END SOLUTION


def _check(op, input, p):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if input.array.dtype.kind not in "fc":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype} (shape {input.shape})")


def _apply(op, input, p, mask_shape, inplace, generator):
    if inplace:
        # Dropout's backward needs only its mask, so the old values need no copy
        return _inplace.apply_inplace(op + "_", input, lambda s: Dropout.apply(s, p, mask_shape, generator), keep_old=False)
    return Dropout.apply(input, p, mask_shape, generator)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p)
    (training); the identity when ``training=False`` (``input`` itself is returned).

    ``generator`` (not in PyTorch's signature) draws the mask from a given
    ``tge.Generator`` instead of the default one."""
    _check("dropout", input, p)
    # BEGIN SOLUTION task 2.5
    if not training or p == 0.0:
        return input
    return _apply("dropout", input, float(p), input.shape, inplace, generator)
    # END SOLUTION


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Channel-wise dropout for (N, C, H, W) input: every channel of every sample is
    zeroed entirely with probability ``p`` (neighbouring pixels are correlated, so
    dropping single pixels would barely regularise a conv net). The kept channels are
    scaled by 1 / (1 - p).

    As in PyTorch, a 3-D input is read as (N, C, L) with a warning."""
    _check("dropout2d", input, p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
            "error in a future release. dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs)."
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim."
        )
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: expected an input with a batch and a channel dim (N, C, H, W), got shape {input.shape}")
    if not training or p == 0.0:
        return input
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _apply("dropout2d", input, float(p), mask_shape, inplace, generator)
