"""``F.unfold`` (im2col) and ``F.fold`` (col2im): the convolution kernels as public ops,
each the other's adjoint, so each one's backward is the other's forward."""
from .. import kernels
from ..autograd.function import Function
from ..kernels.unfold import conv_output_hw
from ..tensor import Tensor
from ..shape_checks import pair


def _window(op, kernel_size, dilation, padding, stride):
    return (pair(op, "kernel_size", kernel_size, 1), pair(op, "dilation", dilation, 1),
            pair(op, "padding", padding, 0), pair(op, "stride", stride, 1))


def _blocks(x, kernel_size, stride, padding, dilation):
    """im2col's columns (C, kh, kw, N, OH, OW) in PyTorch's unfold layout (N, C*kh*kw, OH*OW)."""
    cols = kernels.im2col(x, kernel_size, stride, padding, dilation)
    c, kh, kw, n, oh, ow = cols.shape
    return cols.reshape(c * kh * kw, n, oh * ow).transpose(1, 0, 2).copy()


def _image(blocks, image_shape, kernel_size, stride, padding, dilation):
    """The adjoint of ``_blocks``: (N, C*kh*kw, L) back to an image (N, C, H, W), adding
    every entry into the pixel it was read from (col2im)."""
    n, c, h, w = image_shape
    (kh, kw) = kernel_size
    oh, ow = conv_output_hw((h, w), kernel_size, stride, padding, dilation)
    cols = blocks.transpose(1, 0, 2).reshape(c, kh, kw, n, oh, ow)
    return kernels.col2im(cols, image_shape, kernel_size, stride, padding, dilation).copy()


class Unfold(Function):
    """z[n, (c, i, j), l] = xpad[n, c, oy*s_h + i*d_h, ox*s_w + j*d_w] for block l = (oy, ox):
    every sliding block of x, flattened into a column (im2col).

    Backward: z copies elements of x (a padding zero is no element), so each x pixel
    receives the sum of g over every column entry it was copied into:
        dL/dx = col2im(g) = fold(g)
    """

    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        ctx.shape, ctx.window = x.shape, (kernel_size, stride, padding, dilation)
        return _blocks(x, kernel_size, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        return _image(g, ctx.shape, *ctx.window), None, None, None, None


class Fold(Function):
    """z = col2im(x): each column entry x[n, (c, i, j), l] is added into the output pixel
    [n, c, oy*s_h - p_h + i*d_h, ox*s_w - p_w + j*d_w] (overlapping blocks add up;
    entries that fall in the padding are dropped).

    Backward: fold is linear and its adjoint is unfold: output pixel z[p] is the sum of
    the entries sent to p, so each entry's gradient is the g of the pixel it went to:
        dL/dx = im2col(g) = unfold(g)
    """

    @staticmethod
    def forward(ctx, x, image_shape, kernel_size, dilation, padding, stride):
        ctx.window = (kernel_size, stride, padding, dilation)
        return _image(x, image_shape, kernel_size, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        return _blocks(g, *ctx.window), None, None, None, None, None


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks (im2col). Shapes: input (N, C, H, W) or (C, H, W);
    output (N, C*kh*kw, L) or (C*kh*kw, L) with L = OH*OW, the number of block positions
    (the convolution's output size). ``conv2d(x, w)`` equals
    ``(w.view(OC, -1) @ unfold(x, k)).view(N, OC, OH, OW)``. Backward: ``Unfold`` in
    ``tinygrad_edu/ops/fold.py`` (it is fold, on the kernels of ``kernels/unfold.py``)."""
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-D (unbatched) or 4-D (batched) input, got shape {getattr(input, 'shape', None)}")
    kernel_size, dilation, padding, stride = _window("unfold", kernel_size, dilation, padding, stride)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    try:
        conv_output_hw(x.shape[2:], kernel_size, stride, padding, dilation)
    except ValueError as e:
        raise RuntimeError(f"unfold: input of shape {input.shape} is too small: {e}") from None
    out = Unfold.apply(x, kernel_size, dilation, padding, stride)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding blocks into an image (col2im), adding where blocks overlap: the
    adjoint of ``unfold``. Shapes: input (N, C*kh*kw, L) or (C*kh*kw, L); output
    (N, C, H, W) or (C, H, W) with (H, W) = ``output_size``; L must be the number of
    block positions in (H, W). Backward: ``Fold`` in ``tinygrad_edu/ops/fold.py``."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D (unbatched) or 3-D (batched) input, got shape {getattr(input, 'shape', None)}")
    output_size = pair("fold", "output_size", output_size, 1)
    kernel_size, dilation, padding, stride = _window("fold", kernel_size, dilation, padding, stride)
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    k = kernel_size[0] * kernel_size[1]
    n, ck, length = x.shape
    if ck % k:
        raise RuntimeError(f"fold: expected size of input's dimension 1 ({ck}) to be divisible by the product of "
                           f"kernel_size ({k}), input shape {input.shape}")
    oh, ow = conv_output_hw(output_size, kernel_size, stride, padding, dilation)
    if length != oh * ow:
        raise RuntimeError(f"fold: given output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got {length} "
                           f"(input shape {input.shape})")
    out = Fold.apply(x, (n, ck // k) + output_size, kernel_size, dilation, padding, stride)
    return out.squeeze(0) if unbatched else out
