"""Hypothesis strategies for the kernel tests: random but valid configurations.

Sizes stay tiny so the ``*_reference`` loops run in milliseconds. Configurations are
*constructed* valid (input sizes drawn after the kernel, padding <= kernel // 2 for
pooling as PyTorch requires) rather than filtered, so hypothesis wastes few examples.

``kernel_settings`` is the project's hypothesis profile (tests/conftest.py) without a
deadline; ``HYPOTHESIS_PROFILE=ci`` or ``dev`` sets the number of examples.
"""
import math
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from tinygrad_edu.kernels.sizes import output_size

# The number of examples comes from the project's profile (tests/conftest.py: "dev"
# locally, "ci" in CI, chosen by HYPOTHESIS_PROFILE); kernel tests add only "no
# deadline", since the first call of a Numba kernel in a process loads it from disk.
kernel_settings = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

FLOAT_DTYPES = (np.float32, np.float64)


@st.composite
def images(draw, shape, dtype=None):
    """An array of ``shape``: normal values, or small integers (to create ties for max
    pooling's first-max rule), in float32 or float64 unless ``dtype`` is given."""
    dtype = draw(st.sampled_from(FLOAT_DTYPES)) if dtype is None else dtype
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-2, 3, size=shape).astype(dtype)


def _size_for(draw, span, padding, extra=5):
    """An input size whose padded length holds at least one window of ``span`` pixels."""
    return draw(st.integers(max(1, span - 2 * padding), max(1, span - 2 * padding) + extra))


@dataclass
class ConvConfig:
    x: np.ndarray
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple

    @property
    def args(self):
        return self.kernel_size, self.stride, self.padding, self.dilation


@st.composite
def conv_configs(draw, dtype=None, channels=None):
    """im2col / col2im: kernel 1-5, stride 1-3, padding 0-2, dilation 1-2, odd sizes."""
    kernel, stride, padding, dilation, hw = [], [], [], [], []
    for _ in range(2):
        k, s, p, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(1, 2))
        kernel.append(k), stride.append(s), padding.append(p), dilation.append(d)
        hw.append(_size_for(draw, d * (k - 1) + 1, p))
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 3)) if channels is None else channels
    x = draw(images((n, c, *hw), dtype))
    return ConvConfig(x, tuple(kernel), tuple(stride), tuple(padding), tuple(dilation))


def window_overlaps_input(size, out, k, s, p, d):
    """True when every one of the ``out`` windows has a tap inside the input."""
    return all(any(0 <= o * s - p + i * d < size for i in range(k)) for o in range(out))


@dataclass
class PoolConfig:
    x: np.ndarray
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    ceil_mode: bool


@st.composite
def max_pool_configs(draw, dtype=None):
    """Max pooling: kernel 1-5, stride 1-3, padding <= kernel // 2, dilation 1-2, ceil_mode."""
    ceil_mode = draw(st.booleans())
    kernel, stride, padding, dilation, hw = [], [], [], [], []
    for _ in range(2):
        k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = draw(st.integers(0, k // 2))
        size = _size_for(draw, d * (k - 1) + 1, p)
        # PyTorch's rule keeps windows on the input for dilation 1; with dilation a
        # window of a tiny input can fall between pixels, which no kernel defines.
        assume(window_overlaps_input(size, output_size(size, k, s, p, d, ceil_mode), k, s, p, d))
        kernel.append(k), stride.append(s), padding.append(p), dilation.append(d), hw.append(size)
    x = draw(images((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *hw), dtype))
    return PoolConfig(x, tuple(kernel), tuple(stride), tuple(padding), tuple(dilation), ceil_mode)


@st.composite
def unpool_cases(draw, dtype=None):
    """(x, indices, output_size) for max_unpool2d, with distinct indices in each plane
    (with repeats, which value lands is unspecified)."""
    n, c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    oh, ow = draw(st.integers(h, h + 3)), draw(st.integers(w, w + 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    indices = np.stack([rng.permutation(oh * ow)[: h * w] for _ in range(n * c)]).reshape(n, c, h, w)
    return draw(images((n, c, h, w), dtype)), indices, (oh, ow)


@dataclass
class AvgPoolConfig:
    x: np.ndarray
    kernel_size: tuple
    stride: tuple
    padding: tuple
    ceil_mode: bool
    count_include_pad: bool
    divisor_override: object

    @property
    def args(self):
        return self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad, self.divisor_override


@st.composite
def avg_pool_configs(draw, dtype=None, allow_override=True):
    """Average pooling: kernel 1-5, stride 1-3, padding <= kernel // 2, ceil_mode,
    count_include_pad, sometimes a divisor_override."""
    kernel, stride, padding, hw = [], [], [], []
    for _ in range(2):
        k, s = draw(st.integers(1, 5)), draw(st.integers(1, 3))
        p = draw(st.integers(0, k // 2))
        kernel.append(k), stride.append(s), padding.append(p), hw.append(_size_for(draw, k, p))
    override = draw(st.one_of(st.none(), st.integers(1, 5))) if allow_override else None
    x = draw(images((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *hw), dtype))
    ceil_mode, count_include_pad = draw(st.booleans()), draw(st.booleans())
    return AvgPoolConfig(x, tuple(kernel), tuple(stride), tuple(padding), ceil_mode, count_include_pad, override)


@st.composite
def adaptive_configs(draw, dtype=None):
    """Adaptive pooling: (x, output_size), output smaller, equal or larger than the input."""
    hw = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    out = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    x = draw(images((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *hw), dtype))
    return x, out


@dataclass
class UpsampleConfig:
    x: np.ndarray
    output_size: tuple
    align_corners: bool
    scale_factor: object  # None, or the (h, w) factors the output size was computed from


SCALES = (0.5, 0.6, 0.75, 1.0, 1.1, 1.3, 1.5, 1.7, 2.0, 2.5, 3.0)


@st.composite
def upsample_configs(draw, dtype=None):
    """Resizing to a drawn output size, or by a drawn scale factor (output = floor(in * scale))."""
    hw = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    if draw(st.booleans()):
        scale = (draw(st.sampled_from(SCALES)), draw(st.sampled_from(SCALES)))
        out = tuple(int(math.floor(size * f)) for size, f in zip(hw, scale))
        assume(min(out) >= 1)
    else:
        scale = None
        out = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    x = draw(images((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *hw), dtype))
    return UpsampleConfig(x, out, draw(st.booleans()), scale)


@st.composite
def pad_configs(draw, reflect, dtype=None):
    """(x, padding): 1-D padding (left, right) of an (N, C, W) array or 2-D padding
    (left, right, top, bottom) of an (N, C, H, W) array; reflect needs padding < size."""
    two_d = draw(st.booleans())
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    shape = (n, c, draw(st.integers(1, 6)), draw(st.integers(1, 6))) if two_d else (n, c, draw(st.integers(1, 6)))
    amounts = []
    for size in (shape[-1], shape[-2]) if two_d else (shape[-1],):
        top = size - 1 if reflect else 3
        amounts += [draw(st.integers(0, top)), draw(st.integers(0, top))]
    return draw(images(shape, dtype)), tuple(amounts)
