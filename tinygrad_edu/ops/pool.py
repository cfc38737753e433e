"""Pooling: ``max_pool2d``, ``max_unpool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``,
``adaptive_max_pool2d`` (NCHW, PyTorch's arguments and output-size arithmetic).

The window loops live in ``tinygrad_edu/kernels`` (reference, vectorised and Numba
forms); the Functions here say what the gradient is.
"""
from .. import kernels
from ..autograd.function import Function
from ..shape_checks import as_batched, pair


class MaxPool2d(Function):
    """out[n, c, y, x] = max of x over window (y, x); also returns where that max was.

    Backward: only the winning element of each window affected the output, so it
    receives the gradient: dL/dx = scatter-add of g to the argmax positions
    (windows that overlap can share a winner, whose gradients then add up).
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode):
        out, indices = kernels.max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        ctx.input_shape = x.shape
        ctx.window = (kernel_size, stride, padding, dilation)  # lets the GPU kernel gather
        return out, indices

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        return kernels.max_pool2d_backward(g, indices, ctx.input_shape, ctx.window), None, None, None, None, None


class MaxUnpool2d(Function):
    """out = zeros with out.flat[indices] = x, per (n, c) plane (the partial inverse of max pooling).

    Backward: each output position holds one input value, so dL/dx = g gathered at ``indices``.
    """

    @staticmethod
    def forward(ctx, x, indices, out_hw):
        ctx.save_for_backward(indices)
        return kernels.max_unpool2d(x, indices, out_hw)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        return kernels.max_unpool2d_backward(g, indices), None, None


class AvgPool2d(Function):
    """out[n, c, y, x] = (sum of x over window (y, x)) / divisor.

    Backward: every element of a window contributed with weight 1/divisor, so
    dL/dx = sum over the windows containing the element of g / divisor (the adjoint
    of the forward, ``kernels.avg_pool2d_backward``).
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        ctx.conf = (x.shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        return kernels.avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)

    @staticmethod
    def backward(ctx, g):
        return (kernels.avg_pool2d_backward(g, *ctx.conf),) + (None,) * 6


class AdaptiveAvgPool2d(Function):
    """out[n, c, i, j] = mean of x over bin (i, j), bins start = floor(i*H/OH),
    end = ceil((i+1)*H/OH) (PyTorch's rule). Global average pooling is output size 1.

    Backward: dL/dx = for each bin containing the element, g / (bin size), summed.
    """

    @staticmethod
    def forward(ctx, x, out_hw):
        ctx.input_shape = x.shape
        return kernels.adaptive_avg_pool2d_forward(x, out_hw)

    @staticmethod
    def backward(ctx, g):
        return kernels.adaptive_avg_pool2d_backward(g, ctx.input_shape), None


class AdaptiveMaxPool2d(Function):
    """out[n, c, i, j] = max of x over bin (i, j) (bins as in adaptive average pooling).

    Backward: dL/dx = scatter-add of g to each bin's argmax.
    """

    @staticmethod
    def forward(ctx, x, out_hw):
        out, indices = kernels.adaptive_max_pool2d_forward(x, out_hw)
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        ctx.input_shape = x.shape
        return out, indices

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        return kernels.adaptive_max_pool2d_backward(g, indices, ctx.input_shape), None


# ------------------------------------------------------------------ argument handling
def _window_sizes(op, input, kernel_size, stride, padding, dilation, ceil_mode, max_padding_of):
    kernel_size = pair(op, "kernel_size", kernel_size, 1)
    stride = kernel_size if stride is None or stride == [] or stride == () else pair(op, "stride", stride, 1)
    padding = pair(op, "padding", padding, 0)
    dilation = pair(op, "dilation", dilation, 1)
    for p, k, d in zip(padding, kernel_size, dilation):
        if p > max_padding_of(k, d):
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and dilation={d}"
            )
    h, w = input.shape[-2:]
    try:
        out_hw = tuple(kernels.output_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in zip((h, w), kernel_size, stride, padding, dilation))
    except ValueError:
        out_hw = (0, 0)
    if min(out_hw) <= 0:
        raise RuntimeError(
            f"{op}: given input size {tuple(input.shape[-3:])}, the calculated output size {(input.shape[-3],) + out_hw} "
            f"is too small (kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation})"
        )
    return kernel_size, stride, padding, dilation


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each kernel_size window (stride defaults to kernel_size, padding with -inf).
    With ``return_indices=True`` also returns the flat H*W index of each max (for
    ``max_unpool2d``)."""
    x, unbatched = as_batched("max_pool2d", input)
    k, s, p, d = _window_sizes("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode, lambda k, d: (d * (k - 1) + 1) // 2)
    out, indices = MaxPool2d.apply(x, k, s, p, d, ceil_mode)
    if unbatched:
        out, indices = out.reshape(out.shape[1:]), indices.reshape(indices.shape[1:])
    return (out, indices) if return_indices else out


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back at its ``indices`` position in a zero image (the inverse of
    ``max_pool2d`` on the maxima). Default output size: (H - 1)*stride - 2*padding + kernel_size."""
    x, unbatched = as_batched("max_unpool2d", input)
    kernel_size = pair("max_unpool2d", "kernel_size", kernel_size, 1)
    stride = kernel_size if stride is None else pair("max_unpool2d", "stride", stride, 1)
    padding = pair("max_unpool2d", "padding", padding, 0)
    if output_size is None:
        out_hw = tuple((h - 1) * s - 2 * p + k for h, s, p, k in zip(x.shape[2:], stride, padding, kernel_size))
    else:
        out_hw = tuple(output_size)[-2:]
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"max_unpool2d: expected indices of the input's shape {input.shape}, got {indices.shape}")
    idx = indices.reshape(x.shape).array if unbatched else indices.array
    out = MaxUnpool2d.apply(x, idx, out_hw)
    return out.reshape(out.shape[1:]) if unbatched else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Mean over each window. ``count_include_pad`` counts zero padding in the divisor;
    ``divisor_override`` replaces the divisor."""
    x, unbatched = as_batched("avg_pool2d", input)
    k, s, p, _ = _window_sizes("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode, lambda k, d: k // 2)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    out = AvgPool2d.apply(x, k, s, p, ceil_mode, count_include_pad, divisor_override)
    return out.reshape(out.shape[1:]) if unbatched else out


def _adaptive_size(op, x, output_size):
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(size) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    size = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(size))
    if min(size) <= 0 or min(x.shape[2:]) <= 0:
        raise RuntimeError(f"{op}: output size {size} and input size {x.shape[2:]} must be positive")
    return size


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (``None`` keeps that input dim);
    ``output_size=1`` is global average pooling."""
    x, unbatched = as_batched("adaptive_avg_pool2d", input)
    out = AdaptiveAvgPool2d.apply(x, _adaptive_size("adaptive_avg_pool2d", x, output_size))
    return out.reshape(out.shape[1:]) if unbatched else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size."""
    x, unbatched = as_batched("adaptive_max_pool2d", input)
    out, indices = AdaptiveMaxPool2d.apply(x, _adaptive_size("adaptive_max_pool2d", x, output_size))
    if unbatched:
        out, indices = out.reshape(out.shape[1:]), indices.reshape(indices.shape[1:])
    return (out, indices) if return_indices else out
