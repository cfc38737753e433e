"""``pad`` (``torch.nn.functional.pad``): add (or, with negative amounts, crop) elements
at both ends of the last dims.

``pad`` is a flat tuple read from the LAST dim backwards, two numbers per dim:
``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last two, and
so on. Constant padding works on any number of dims; a negative amount removes
elements from that end instead (PyTorch allows it, as long as the input keeps a
non-negative size).

The pad/crop pair: constant padding by (before, after) writes x into the middle of
a filled array; its adjoint reads that middle back out, which is padding by
(-before, -after) - a crop. So one helper, ``_pad_constant``, is both the forward
and (with the amounts negated and fill 0) the backward.

Modes: ``"constant"`` is here; ``"reflect"``, ``"replicate"`` and ``"circular"`` will
dispatch to the kernels in ``tinygrad_edu/kernels/pad.py`` (one more branch in ``pad``).
"""
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor


def _pad_constant(x, widths, value):
    """``x`` padded by ``widths`` = ((before, after) per dim, for every dim of x; negative
    amounts crop), new elements set to ``value``."""
    xp = get_array_module(x)
    out_shape = tuple(n + before + after for n, (before, after) in zip(x.shape, widths))
    out = xp.full(out_shape, value, dtype=x.dtype)
    # the part of x that survives the crops, and where it lands in the output
    src = tuple(slice(max(-before, 0), n - max(-after, 0)) for n, (before, after) in zip(x.shape, widths))
    dst = tuple(slice(max(before, 0), max(before, 0) + s.stop - s.start) for s, (before, _) in zip(src, widths))
    out[dst] = x[src]
    return out


class ConstantPad(Function):
    """z = x with ``widths[d] = (before, after)`` elements of ``value`` added at the two
    ends of each dim d (negative amounts crop).

    Backward: each surviving x element appears once in z, at its position shifted by
    ``before``; padded elements are constants. So dL/dx is g cropped back to x's
    region, and cropped-away x elements get 0:
        dL/dx = pad(g, (-before, -after) per dim, value 0)
    """

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return _pad_constant(x, widths, value)

    @staticmethod
    def backward(ctx, g):
        return _pad_constant(g, tuple((-before, -after) for before, after in ctx.widths), 0), None, None


def _widths(input, pad):
    """The flat ``pad`` tuple (last dim first) as (before, after) pairs for every dim,
    checked as PyTorch checks it."""
    if isinstance(pad, int) or not all(isinstance(p, int) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    pad = tuple(pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} ({pad})")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pad)} and input of dimension {input.ndim} (shape {input.shape})"
        )
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    for d, (n, (before, after)) in enumerate(zip(input.shape, widths)):
        if n + min(before, 0) + min(after, 0) < 0:
            raise RuntimeError(
                f"pad: padding ({before}, {after}) crops more than the {n} elements of dim {d} (input shape {input.shape})"
            )
    return tuple(widths)


def pad(input, pad, mode="constant", value=None):
    """Pad ``input`` by ``pad`` = (left, right, top, bottom, ...), last dim first.

    mode ``"constant"`` fills with ``value`` (default 0; cast to the input's dtype, so
    an integer tensor truncates 2.7 to 2 as PyTorch does).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    widths = _widths(input, pad)
    if mode == "constant":
        return ConstantPad.apply(input, widths, 0 if value is None else value)
    if value is not None:
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    if mode in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: mode={mode!r} comes with the convolution issue; only mode='constant' is available for now"
        )
    raise NotImplementedError(
        f"pad: unrecognised padding mode {mode!r} (expected 'constant', 'reflect', 'replicate' or 'circular')"
    )
