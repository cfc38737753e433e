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

Modes ``"reflect"`` (mirror without repeating the edge), ``"replicate"`` (repeat the
edge) and ``"circular"`` (wrap around) copy input elements into the border, so their
backward folds each border gradient back onto the element it copied. They pad the last
1, 2 or 3 dims of a (batched or unbatched) signal, image or volume, as PyTorch does:

    pad length 2 (W)        2-D (C, W)       or 3-D (N, C, W) input
    pad length 4 (H, W)     3-D (C, H, W)    or 4-D (N, C, H, W) input
    pad length 6 (D, H, W)  4-D (C, D, H, W) or 5-D (N, C, D, H, W) input

Reflect and replicate run on the kernels ``kernels.pad_reflect`` / ``pad_replicate``
(which pad the last one or two dims; a depth dim is moved last and padded as a row).
Circular padding is two slice copies per dim, written here. A negative amount crops
after padding: every output element reads the input at its position measured from
the ORIGINAL edges, so ``reflect`` with (-1, 2) of [a, b, c] is [b, c, b, a].
"""
from .. import kernels
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


def _circular_pad_dim(xp, x, axis, before, after):
    """Wrap-around padding of one dim (0 <= before, after <= its size): the last
    ``before`` elements are copied in front, the first ``after`` behind."""
    n = x.shape[axis]
    head = xp.take(x, xp.arange(n - before, n), axis=axis)
    tail = xp.take(x, xp.arange(0, after), axis=axis)
    return xp.concatenate([head, x, tail], axis=axis)


def _circular_fold_dim(xp, g, axis, before, after):
    """Adjoint of :func:`_circular_pad_dim`: the front border's gradient is added to the
    last ``before`` elements, the back border's to the first ``after``."""
    g = xp.moveaxis(g, axis, -1)
    n = g.shape[-1] - before - after
    grad = g[..., before : before + n].copy()
    grad[..., n - before :] += g[..., :before]
    grad[..., :after] += g[..., before + n :]
    return xp.moveaxis(grad, -1, axis)


def _pad_mode(x, mode, amounts):
    """``x`` padded by the non-negative flat ``amounts`` (last dim first) in ``mode``."""
    xp = get_array_module(x)
    if mode == "circular":
        for k in range(len(amounts) // 2):
            x = _circular_pad_dim(xp, x, x.ndim - 1 - k, amounts[2 * k], amounts[2 * k + 1])
        return x
    kernel = kernels.pad_reflect if mode == "reflect" else kernels.pad_replicate
    out = kernel(x, amounts[:4])  # the last one or two dims
    if len(amounts) == 6:  # the depth dim: moved last, padded as a row, moved back
        out = xp.moveaxis(kernel(xp.moveaxis(out, -3, -1), amounts[4:]), -1, -3)
    return out


def _fold_mode(g, mode, amounts):
    """The adjoint of :func:`_pad_mode`: ``g`` (the padded shape) folded back onto x."""
    xp = get_array_module(g)
    if mode == "circular":
        for k in range(len(amounts) // 2):
            g = _circular_fold_dim(xp, g, g.ndim - 1 - k, amounts[2 * k], amounts[2 * k + 1])
        return g
    backward = kernels.pad_reflect_backward if mode == "reflect" else kernels.pad_replicate_backward
    if len(amounts) == 6:  # undo in reverse order: the depth dim first
        g = xp.moveaxis(backward(xp.moveaxis(g, -3, -1), amounts[4:]), -1, -3)
    return backward(g, amounts[:4])


class ModePad(Function):
    """z = pad(x, amounts, mode) for mode reflect / replicate / circular: every element
    of z is a copy of one element of x, z[j] = x[src(j)]. Per padded dim, with left
    amount l and size n: reflect src(j) = j - l mirrored at 0 and n-1, replicate
    clamp(j - l, 0, n-1), circular (j - l) mod n. Negative amounts crop (PyTorch's
    order: reflect and replicate pad first and crop after, so positions are measured
    from the original edges; circular crops first and wraps the cropped array).

    Backward (vector-Jacobian product with g = dL/dz): the adjoint of a copy is an add,
        dL/dx[i] = sum of g[j] over all j with src(j) = i
    i.e. every border gradient is folded onto the element it copied (the
    ``pad_*_backward`` kernels), and the adjoint of a crop is padding with zeros.
    """

    @staticmethod
    def forward(ctx, x, mode, amounts):
        grow = tuple(max(a, 0) for a in amounts)  # the padding part, last dim first
        crop = tuple((0, 0) for _ in range(x.ndim - len(amounts) // 2)) + tuple(
            (min(amounts[2 * k], 0), min(amounts[2 * k + 1], 0)) for k in reversed(range(len(amounts) // 2))
        )  # the cropping part, as (before, after) <= 0 for every dim
        ctx.conf = (mode, grow, crop)
        if mode == "circular":
            return _pad_mode(_pad_constant(x, crop, 0), mode, grow)
        return _pad_constant(_pad_mode(x, mode, grow), crop, 0)

    @staticmethod
    def backward(ctx, g):
        mode, grow, crop = ctx.conf
        uncrop = tuple((-before, -after) for before, after in crop)
        if mode == "circular":
            return _pad_constant(_fold_mode(g, mode, grow), uncrop, 0), None, None
        return _fold_mode(_pad_constant(g, uncrop, 0), mode, grow), None, None


def _check_mode_pad(input, pad, mode):
    """PyTorch's rules for the non-constant modes (``pad`` already checked by ``_widths``)."""
    dims = len(pad) // 2
    ranks = {1: "2-D (C, W) or 3-D (N, C, W)", 2: "3-D (C, H, W) or 4-D (N, C, H, W)", 3: "4-D (C, D, H, W) or 5-D (N, C, D, H, W)"}
    if dims not in ranks or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: mode={mode!r} pads the last 1, 2 or 3 dims of a batched or unbatched input: padding of length 2 "
            f"needs a 2-D or 3-D input, 4 a 3-D or 4-D input, 6 a 4-D or 5-D input; got padding {pad} "
            f"(length {len(pad)}) for an input of shape {input.shape}"
            + (f" (expected a {ranks[dims]} input)" if dims in ranks else "")
        )
    if mode != "circular" and input.dtype.name == "bool":
        raise NotImplementedError(f"pad: mode={mode!r} is not implemented for bool tensors (input shape {input.shape})")
    # reflect / replicate copy from the edges, so every dim but a batch dim must be non-empty
    first = 1 if input.ndim == dims + 2 else 0
    if mode != "circular" and 0 in input.shape[first:]:
        raise RuntimeError(
            f"pad: mode={mode!r} needs non-empty channel and padded dims (only a batch dim may be 0), "
            f"got input of shape {input.shape}"
        )
    sizes = []
    for k in range(dims):
        d = input.ndim - 1 - k
        n, before, after = input.shape[d], pad[2 * k], pad[2 * k + 1]
        sizes.append(n + before + after)
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(
                f"pad: reflect padding must be smaller than the dim it pads (the mirror image would run past the "
                f"far edge), got padding ({before}, {after}) for dim {d} of size {n} (input shape {input.shape})"
            )
        kept = n + min(before, 0) + min(after, 0)  # circular crops first, then wraps what is left
        if mode == "circular" and kept < 0:
            raise RuntimeError(
                f"pad: padding ({before}, {after}) crops more than the {n} elements of dim {d} (input shape {input.shape})"
            )
        if mode == "circular" and (before > kept or after > kept):
            raise RuntimeError(
                f"pad: circular padding may wrap around at most once, so it must be at most the size of the dim "
                f"it pads (after any cropping: {kept}), got padding ({before}, {after}) for dim {d} of size {n} "
                f"(input shape {input.shape})"
            )
    # PyTorch: no padded dim may become negative, and reflect/replicate must keep some output
    if min(sizes) < 0 or (mode != "circular" and max(sizes) < 1):
        raise RuntimeError(
            f"pad: padding {pad} of an input of shape {input.shape} is too small: it leaves the padded dims "
            f"(last first) with sizes {tuple(sizes)}"
        )


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
    return tuple(widths)


def _check_crops(input, widths):
    """Constant padding: a negative amount may crop at most the whole dim."""
    for d, (n, (before, after)) in enumerate(zip(input.shape, widths)):
        if n + min(before, 0) + min(after, 0) < 0:
            raise RuntimeError(
                f"pad: padding ({before}, {after}) crops more than the {n} elements of dim {d} (input shape {input.shape})"
            )


def pad(input, pad, mode="constant", value=None):
    """Pad ``input`` by ``pad`` = (left, right, top, bottom, ...), last dim first.

    mode ``"constant"`` fills with ``value`` (default 0; cast to the input's dtype, so
    an integer tensor truncates 2.7 to 2 as PyTorch does); ``"reflect"``,
    ``"replicate"`` and ``"circular"`` copy input elements into the border and pad the
    last 1, 2 or 3 dims (pad of length 2, 4 or 6) of a batched or unbatched input.

        constant:  y = x placed at offset (left, top, ...) in a tensor filled with ``value``
        reflect:   y[-k] = x[k];   replicate: y[-k] = x[0];   circular: y[-k] = x[L - k]
                   (y indexed from x[0], per padded dim of length L)

    Shape:
        - Input: (*), for reflect/replicate/circular (N, C, *) or (C, *) with 1 to 3 padded dims
        - Output: (*), each padded dim grows by its before + after widths
          (e.g. W_out = W_in + left + right, H_out = H_in + top + bottom)

    Backward: ops/pad.py (ConstantPad: dL/dx = g cropped back to x's place; ModePad: the
    border gradients are added onto the input elements they were copied from).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    widths = _widths(input, pad)
    if mode == "constant":
        _check_crops(input, widths)
        return ConstantPad.apply(input, widths, 0 if value is None else value)
    if value is not None:
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    if mode in ("reflect", "replicate", "circular"):
        pad = tuple(pad)
        _check_mode_pad(input, pad, mode)
        return ModePad.apply(input, mode, pad)
    raise NotImplementedError(
        f"pad: unrecognised padding mode {mode!r} (expected 'constant', 'reflect', 'replicate' or 'circular')"
    )
