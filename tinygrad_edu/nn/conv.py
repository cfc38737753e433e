"""Convolution layers: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d``.

Each holds a ``weight`` and an optional ``bias`` and calls the functional op in
``ops/conv.py`` (where im2col and the backward live). Shapes (PyTorch's):

    Conv2d           weight (out_channels, in_channels / groups, kh, kw)
    ConvTranspose2d  weight (in_channels, out_channels / groups, kh, kw)

Default initialisation (PyTorch's): weight ``kaiming_uniform_(a=sqrt(5))``, i.e.
U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where
fan_in = weight.shape[1] * kh * kw (for ConvTranspose2d that is out_channels/groups *
kh * kw, a quirk kept for compatibility with PyTorch).
"""
import math

from .. import creation
from ..ops.conv import conv1d, conv2d, conv_transpose2d
from ..ops.pad import pad
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        n = len(kernel_size)
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for padding modes other than zeros: (left, right, top, bottom)
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * n
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(n - 1, -1, -1)):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i] = total // 2
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in range(2)]
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(creation.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _padded(self, input):
        """The input padded by ``padding_mode`` (reflect, replicate, circular); the
        convolution itself then runs without padding."""
        return pad(input, tuple(self._reversed_padding_repeated_twice), mode=self.padding_mode)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) input (e.g. sequences, signals).

        out[n, o, l] = bias[o] + sum over c, a of weight[o, c, a] * x[n, c, l*stride + a*dilation - padding]

    Shape:
        - Input: (N, C_in, L_in) or (C_in, L_in)
        - Output: (N, C_out, L_out) or (C_out, L_out), where
          L_out = floor((L_in + 2*padding - dilation*(kernel_size - 1) - 1) / stride + 1)
        - weight: (C_out, C_in / groups, kernel_size);  bias: (C_out,)

    Backward: ops/conv.py (Conv2d, on a one-pixel-high image, with Reshape from
    ops/shape.py); padding_mode other than zeros adds ops/pad.py (ModePad).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, 1), _ntuple(stride, 1),
                         padding if isinstance(padding, str) else _ntuple(padding, 1), _ntuple(dilation, 1),
                         False, (0,), groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            return conv1d(self._padded(input), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) input: out[n, o] = bias[o] + sum over c and
    the kernel window of weight[o, c] * input[n, c] (a cross-correlation, as in PyTorch).

        out[n, o, i, j] = bias[o] + sum over c, a, b of
                          weight[o, c, a, b] * x[n, c, i*stride + a*dilation - padding, j*stride + b*dilation - padding]

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Output: (N, C_out, H_out, W_out) or (C_out, H_out, W_out), where
          H_out = floor((H_in + 2*padding[0] - dilation[0]*(kernel_size[0] - 1) - 1) / stride[0] + 1),
          W_out likewise with index 1
        - weight: (C_out, C_in / groups, kernel_size[0], kernel_size[1]);  bias: (C_out,)

    Backward: ops/conv.py (Conv2d): dL/dx = col2im(W^T @ g), dL/dW = g @ im2col(x)^T
    (kernels/unfold.py); padding_mode other than zeros adds ops/pad.py (ModePad).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, 2), _ntuple(stride, 2),
                         padding if isinstance(padding, str) else _ntuple(padding, 2), _ntuple(dilation, 2),
                         False, (0, 0), groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            return conv2d(self._padded(input), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the adjoint of Conv2d), used to upsample: the output
    is (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1 high.

    ``forward(input, output_size=None)``: several output sizes fit one input when
    stride > 1; ``output_size`` picks one (it sets output_padding).

        out = bias + sum over input pixels (c, i, j) of x[n, c, i, j] * weight[c, o, :, :]
              placed at output offset (i*stride - padding, j*stride - padding)

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Output: (N, C_out, H_out, W_out) or (C_out, H_out, W_out), where
          H_out = (H_in - 1)*stride[0] - 2*padding[0] + dilation[0]*(kernel_size[0] - 1)
                  + output_padding[0] + 1,  W_out likewise with index 1
        - weight: (C_in, C_out / groups, kernel_size[0], kernel_size[1]);  bias: (C_out,)

    Backward: ops/conv.py (ConvTranspose2d): dL/dx = conv2d(g, W).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, 2), _ntuple(stride, 2),
                         _ntuple(padding, 2), _ntuple(dilation, 2), True, _ntuple(output_padding, 2),
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        output_size = tuple(output_size)
        spatial = 2
        non_spatial = 2 if input.ndim == spatial + 2 else 1
        if len(output_size) == non_spatial + spatial:
            output_size = output_size[non_spatial:]
        if len(output_size) != spatial:
            raise ValueError(
                f"ConvTranspose2d: output_size must have {spatial} or {non_spatial + spatial} elements (got {len(output_size)})"
            )
        min_sizes, max_sizes = [], []
        for d in range(spatial):
            size = ((input.shape[d + non_spatial] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            min_sizes.append(size)
            max_sizes.append(size + self.stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {list(output_size)}, but valid sizes range from {min_sizes} to "
                    f"{max_sizes} (for an input of {list(input.shape[non_spatial:])})"
                )
        return tuple(output_size[d] - min_sizes[d] for d in range(spatial))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)
