"""Padding layers (``ReflectionPad2d``, ``ReplicationPad2d``, ``ZeroPad2d``,
``ConstantPad2d``, ``CircularPad2d`` and their 1-d and 3-d forms): each holds its padding
and calls ``F.pad`` (``ops/pad.py``, where the pad/crop pair and the border-folding
backward live).

``padding`` is one int (the same on every side) or a tuple in ``F.pad``'s order, last
dim first: (left, right) for 1-d, (left, right, top, bottom) for 2-d, and
(left, right, top, bottom, front, back) for 3-d. Inputs: 1-d (C, W) or (N, C, W),
2-d (C, H, W) or (N, C, H, W), 3-d (C, D, H, W) or (N, C, D, H, W).
"""
from ..ops.pad import pad
from .module import Module


class _PadNd(Module):
    mode = "constant"
    dims = 2

    def __init__(self, padding, value=None):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        padding = tuple(padding)
        if len(padding) != 2 * self.dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a {2 * self.dims}-tuple, got {padding}")
        self.padding = padding
        self.value = value

    def forward(self, input):
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {self.dims + 1}-D or {self.dims + 2}-D input, "
                f"got shape {input.shape}"
            )
        if self.mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


class ReflectionPad1d(_PadNd):
    """Mirror at the edges, without repeating the edge: [a b c] by 2 -> [c b a b c b a]."""

    mode, dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror at the edges, without repeating the edge: [a b c] by 2 -> [c b a b c b a]."""

    mode, dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Mirror at the edges, without repeating the edge: [a b c] by 2 -> [c b a b c b a]."""

    mode, dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge values: [a b c] by 2 -> [a a a b c c c]."""

    mode, dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values: [a b c] by 2 -> [a a a b c c c]."""

    mode, dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Repeat the edge values: [a b c] by 2 -> [a a a b c c c]."""

    mode, dims = "replicate", 3


class CircularPad1d(_PadNd):
    """Wrap around: [a b c] by 1 -> [c a b c a]."""

    mode, dims = "circular", 1


class CircularPad2d(_PadNd):
    """Wrap around: [a b c] by 1 -> [c a b c a]."""

    mode, dims = "circular", 2


class ConstantPad1d(_PadNd):
    """Fill the border with ``value``."""

    dims = 1

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad1d(_PadNd):
    """Fill the border with zeros."""

    dims = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad2d(_PadNd):
    """Fill the border with ``value``."""

    dims = 2

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad2d(_PadNd):
    """Fill the border with zeros."""

    dims = 2

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad3d(_PadNd):
    """Fill the border with ``value``."""

    dims = 3

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad3d(_PadNd):
    """Fill the border with zeros."""

    dims = 3

    def __init__(self, padding):
        super().__init__(padding, 0.0)
