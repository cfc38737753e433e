"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``,
``AdaptiveMaxPool2d`` and ``MaxUnpool2d``. They hold the window settings and call the
functional ops in ``ops/pool.py``; none has parameters."""
from ..ops.pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d
from .module import Module


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class MaxPool2d(Module):
    """The maximum over each kernel_size window (stride defaults to kernel_size).
    ``return_indices=True`` also returns where each maximum was (for ``MaxUnpool2d``).

        out[n, c, i, j] = max over (a, b) < kernel_size of
                          x[n, c, i*stride + a*dilation - padding, j*stride + b*dilation - padding]

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where
          H_out = floor((H_in + 2*padding - dilation*(kernel_size - 1) - 1) / stride + 1)
          (ceil with ``ceil_mode=True``), W_out likewise

    Backward: ops/pool.py (MaxPool2d): g scatter-added to each window's argmax
    (kernels/max_pool.py).
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean over each kernel_size window (stride defaults to kernel_size).

        out[n, c, i, j] = (1 / divisor) * sum over (a, b) < kernel_size of
                          x[n, c, i*stride + a - padding, j*stride + b - padding]

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where
          H_out = floor((H_in + 2*padding - kernel_size) / stride + 1)
          (ceil with ``ceil_mode=True``), W_out likewise

    Backward: ops/pool.py (AvgPool2d): g / divisor to every element of each window
    (kernels/avg_pool.py).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size;
    ``AdaptiveAvgPool2d(1)`` is global average pooling.

        out[n, c, i, j] = mean of x[n, c, h0:h1, w0:w1],
        h0 = floor(i * H_in / H_out),  h1 = ceil((i + 1) * H_in / H_out)  (w0, w1 likewise)

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), (H_out, W_out) = output_size
          (``None`` keeps that input size)

    Backward: ops/pool.py (AdaptiveAvgPool2d): g / (bin size) to each element of each bin
    (kernels/adaptive_pool.py).
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed ``output_size`` whatever the input size.

        out[n, c, i, j] = max of x[n, c, h0:h1, w0:w1],
        h0 = floor(i * H_in / H_out),  h1 = ceil((i + 1) * H_in / H_out)  (w0, w1 likewise)

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), (H_out, W_out) = output_size

    Backward: ops/pool.py (AdaptiveMaxPool2d): g scatter-added to each bin's argmax
    (kernels/adaptive_pool.py).
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """The partial inverse of ``MaxPool2d``: puts each value back where its maximum
    came from (``indices`` from ``MaxPool2d(return_indices=True)``), zeros elsewhere.

        out = zeros(N, C, H_out, W_out);  out[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j]

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in); indices the same shape
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where
          H_out = (H_in - 1)*stride[0] - 2*padding[0] + kernel_size[0] (or ``output_size``),
          W_out likewise with index 1

    Backward: ops/pool.py (MaxUnpool2d): dL/dx = g gathered at ``indices``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride if stride is not None else kernel_size)
        self.padding = _pair(padding)

    def forward(self, input, indices, output_size=None):
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
