"""Hypothesis strategies shared by the tests and exercise graders: shapes (with size-1 dims and broadcasting)
and float64 arrays that keep away from an op's kinks."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import backend
from ..creation import tensor

# small shapes keep gradcheck (one backward per output element) fast
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3):
    """Tuples of shapes that broadcast together (size-1 dims and missing leading dims)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4
    ).map(lambda r: r.input_shapes)


@st.composite
def arrays(draw, shape, low=-3.0, high=3.0, avoid=(), margin=0.05):
    """A float64 array of ``shape`` with values in [low, high], at least ``margin`` away
    from each point in ``avoid`` (kinks like relu's 0, where the derivative jumps)."""
    seed = draw(st.integers(0, 2**32 - 1))
    a = np.random.default_rng(seed).uniform(low, high, size=shape)
    for p in avoid:
        close = np.abs(a - p) < margin
        a = np.where(close, p + np.where(a >= p, margin, -margin) * 2, a)
    return a


def leaf(array, requires_grad=True):
    """A float64 leaf tensor holding ``array``."""
    return tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def noncontiguous(array):
    """The same values as a non-contiguous (transposed-back) view, to test strided inputs
    (of a NumPy or a device array: the view stays on the array's device)."""
    xp = backend.get_array_module(array)
    if array.ndim < 2:
        return array[::-1].copy()[::-1] if array.ndim == 1 else array
    return xp.ascontiguousarray(xp.swapaxes(array, 0, -1)).swapaxes(0, -1)
