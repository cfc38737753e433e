"""Changing a tensor's dtype or device, and copying it, inside the graph."""
import numpy as np

from .. import backend
from ..autograd.function import Function


class To(Function):
    """z = x converted to another dtype and/or device.

    Backward: the identity, converted back: dL/dx = g cast to x's dtype and moved to
    x's device (the engine casts; the move is done here).
    """

    @staticmethod
    def forward(ctx, x, device, dtype):
        ctx.source_device = backend.device_of(x)
        out = x if device is None else backend.to_device(x, device)
        return out if dtype is None else out.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return backend.to_device(g, ctx.source_device), None, None


class Clone(Function):
    """z = a copy of x.   Backward: dL/dx = g."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def to(input, device=None, dtype=None):
    """``input`` on ``device`` with ``dtype`` (either may be None); returns ``input``
    itself when nothing changes, as PyTorch does."""
    dtype = None if dtype is None else np.dtype(dtype)
    if dtype is not None and dtype == input.array.dtype:
        dtype = None
    if device is not None and backend.device(device) == input.device:
        device = None
    if device is None and dtype is None:
        return input
    if input.requires_grad and dtype is not None and dtype.kind not in "fc":
        with_grad = False  # converting to an integer type leaves the graph, as in PyTorch
    else:
        with_grad = True
    out = To.apply(input, device, dtype)
    if not with_grad:
        out = out.detach()
    return out


def clone(input):
    return Clone.apply(input)
