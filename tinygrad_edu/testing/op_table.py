"""The op table: every differentiable op, with a NumPy reference and inputs to test it on.

One ``OpSpec`` record per op, or per variant worth checking on its own (``"sum:dim"``,
``"cross_entropy:weight"``). The table drives three things:

- ``tinygrad-edu gradcheck`` (``tinygrad_edu/cli.py``) checks every backward against
  central differences and prints a table of relative errors;
- ``tests/test_op_table.py`` compares each forward with its NumPy reference and
  gradchecks it on hypothesis-drawn shapes, contiguous and not (MyGrad's test factory);
- ``tests/test_strict_backend.py`` runs each op on an array type that refuses to become
  a NumPy array, to prove the op stays in its array namespace (CuPy-ready).

Adding an op is adding one record to ``OPS``::

    OpSpec("softsign", lambda x: activation.softsign(x), lambda x: x / (1 + np.abs(x)), one, (REAL,)),

``shapes`` is a function of ``pick``, where ``pick(low, high)`` is an integer in
[low, high]: the CLI passes a seeded NumPy generator's draw, the tests a hypothesis
draw (so hypothesis can shrink a failing shape). It returns one shape per input.
``domains`` says where each input's values come from, keeping them away from the
kinks and poles where a finite difference is meaningless (see ``draw_array``).
"""
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import creation
from ..kernels import output_size
from ..nn import functional as F
from ..ops import activation, einsum, elementwise, gather, linalg, loss, matmul, reduce, scan, softmax, sort
from ..ops import attention, fold, similarity
from ..ops import shape as shape_ops
from ..ops.pad import pad
from ..ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from ..ops.rnn import gru_cell, lstm_cell, rnn_cell
from ..random import Generator
from ..tensor import Tensor
from . import references as ref

# ------------------------------------------------------------------ value domains
REAL = "real"                             # uniform in [-2, 2]
POSITIVE = "positive"                     # uniform in [0.5, 2] (log, sqrt, bases of powers)
AWAY_FROM_0 = "away_from_0"               # [-2, 2] with |x| >= 0.2 (relu, abs, denominators)
AWAY_FROM_INTEGERS = "away_from_integers"  # [-3, 3], >= 0.1 from every integer (hardtanh, clamp)
WHOLE = "whole"                           # integers in [-3, 3] as floats: >= 0.1 from an away_from_integers
                                          # input (the kink at x == y of l1_loss, maximum, minimum)
UNIT_INTERVAL = "unit_interval"           # uniform in [0.05, 0.95] (probabilities)
BOOL = "bool"                             # a random boolean mask
CLASS_INDICES = "class_indices"           # int64 in [0, C), C = the class dim of input 0
CLASS_INDICES_SOME_IGNORED = "class_indices_some_ignored"  # as above, about 1/3 set to IGNORE_INDEX
DISTINCT = "distinct"                     # [-2, 2], no two values closer than 4/size (max pooling: no ties)
ROW_INDICES = "row_indices"               # int64 in [0, R), R = dim 0 of input 0 (embedding), with a repeat
DISTINCT_ROW_INDICES = "distinct_row_indices"  # (k, m) int64: each column k distinct rows of [0, R) (scatter)

FLOAT_DOMAINS = (REAL, POSITIVE, AWAY_FROM_0, AWAY_FROM_INTEGERS, WHOLE, UNIT_INTERVAL, DISTINCT)
IGNORE_INDEX = -1  # the ignore_index the table's loss entries pass (PyTorch's default is -100)


@dataclass(frozen=True)
class OpSpec:
    """One op to check. ``fn`` takes tensors (in the order of ``domains``) and returns a
    tensor or a tuple of tensors; ``reference`` takes NumPy arrays and returns the same
    values (``None`` where a NumPy reference would be awkward)."""

    name: str
    fn: Callable
    reference: Optional[Callable]
    shapes: Callable  # shapes(pick) -> one shape per input
    domains: tuple
    differentiable: Optional[tuple] = None  # per input; None: every floating-point input

    def requires_grad(self):
        if self.differentiable is not None:
            return tuple(self.differentiable)
        return tuple(d in FLOAT_DOMAINS for d in self.domains)


# ------------------------------------------------------------------ shape makers
def shape(pick, min_dims=0, max_dims=3, min_side=1, max_side=4):
    """A shape with ``min_dims``..``max_dims`` dims of ``min_side``..``max_side`` each."""
    return tuple(pick(min_side, max_side) for _ in range(pick(min_dims, max_dims)))


def broadcastable(pick, n, min_dims=0, max_dims=3):
    """``n`` shapes that broadcast together: each takes a common shape, turns about a
    third of its sizes into 1 and may drop leading dims."""
    common = shape(pick, min_dims, max_dims)
    shapes = []
    for _ in range(n):
        sizes = [1 if pick(0, 2) == 0 else s for s in common]
        shapes.append(tuple(sizes[pick(0, len(sizes)):]))
    return tuple(shapes)


def one(pick):
    return (shape(pick),)


def nonscalar(pick):
    return (shape(pick, min_dims=1),)


def matrix_or_more(pick):
    return (shape(pick, min_dims=2),)


def pair(pick):
    return broadcastable(pick, 2)


def same_pair(pick):
    s = shape(pick)
    return (s, s)


def with_dim(pick, dim, size_at_dim, ndim_low=2, ndim_high=3):
    """A shape of ``ndim_low``..``ndim_high`` dims whose size at ``dim`` is ``size_at_dim``."""
    s = list(shape(pick, ndim_low, ndim_high))
    s[dim] = size_at_dim
    return tuple(s)


def classification(pick, extra_dims=0):
    """Logits (N, C, d1, ...) and class targets (N, d1, ...); C >= 2 (one class makes a zero loss)."""
    n, c = pick(1, 4), pick(2, 4)
    spatial = tuple(pick(1, 3) for _ in range(extra_dims))
    return ((n, c) + spatial, (n,) + spatial)


def classification_weighted(pick):
    """Logits (N, C), targets (N,) and per-class weights (C,)."""
    (n, c), t = classification(pick)
    return ((n, c), t, (c,))


def matrix_product(a_ndim, b_ndim):
    """Shapes for ``a @ b`` with a 1-D (k,) or 2-D (n, k) and b 1-D (k,) or 2-D (k, p)."""

    def shapes(pick):
        n, k, p = pick(1, 4), pick(1, 4), pick(1, 4)
        return ((n, k)[2 - a_ndim:], (k, p)[:b_ndim])

    return shapes


def matmul_batched(pick):
    """(..., n, k) @ (..., k, p) with batch dims that broadcast."""
    n, k, p = pick(1, 3), pick(1, 3), pick(1, 3)
    batch_a, batch_b = broadcastable(pick, 2, min_dims=1, max_dims=2)
    return (batch_a + (n, k), batch_b + (k, p))


def linear_shapes(pick, bias=True):
    """Input (..., in), weight (out, in), bias (out,)."""
    batch, n_in, n_out = shape(pick, 0, 2), pick(1, 4), pick(1, 4)
    shapes = (batch + (n_in,), (n_out, n_in))
    return shapes + ((n_out,),) if bias else shapes


def batched_matrix_vector(pick):
    """(b, n, k) @ (k,)."""
    k = pick(1, 3)
    return ((pick(1, 3), pick(1, 3), k), (k,))


def rows_and_mask(pick):
    """A matrix (n, m) and a boolean mask (n,) selecting rows."""
    n, m = pick(1, 4), pick(1, 4)
    return ((n, m), (n,))


def with_weight(pick):
    """Input and target of one shape, and a weight that broadcasts to it."""
    s = shape(pick)
    weight = tuple(1 if pick(0, 2) == 0 else n for n in s)
    return (s, s, weight[pick(0, len(s)):])


def with_class_weight(pick):
    """Logits and targets (N, C) and a per-class weight (C,) (``pos_weight``)."""
    n, c = pick(1, 4), pick(1, 4)
    return ((n, c), (n, c), (c,))


def cat_shapes(pick, dim=1, n=2):
    """``n`` shapes of 2-3 dims equal except at ``dim``."""
    base = list(shape(pick, 2, 3))
    return tuple(tuple(base[:dim] + [pick(1, 3)] + base[dim + 1:]) for _ in range(n))


def image(pick, min_hw=2, max_hw=4, max_channels=2):
    """One (N, C, H, W) batch, kept small: gradcheck costs two forward passes per element."""
    return ((pick(1, 2), pick(1, max_channels), pick(min_hw, max_hw), pick(min_hw, max_hw)),)


def recurrent_cell(pick, gates, c=False, bias=True):
    """x (N, I), h (N, H) [, c (N, H)], W_ih (G H, I), W_hh (G H, H) [, b_ih, b_hh (G H,)]."""
    n, i, h = pick(1, 3), pick(1, 3), pick(1, 3)
    shapes = ((n, i), (n, h)) + (((n, h),) if c else ()) + ((gates * h, i), (gates * h, h))
    return shapes + (((gates * h,), (gates * h,)) if bias else ())


def channels_first(pick, min_n=1, min_spatial=1):
    """An input shape (N, C, *spatial) with 0-2 spatial dims (a per-channel op sees (N, C),
    (N, C, L) and (N, C, H, W)), and the shape (C,) of a per-channel vector."""
    spatial = tuple(pick(min_spatial, 3) for _ in range(pick(0, 2)))
    n, c = pick(min_n, 3), pick(1, 3)
    return (n, c) + spatial, (c,)


def with_channel_vectors(k, min_n=1, min_spatial=1):
    """Input (N, C, *spatial) and ``k`` vectors of shape (C,)."""

    def shapes(pick):
        x, c = channels_first(pick, min_n, min_spatial)
        return (x,) + (c,) * k

    return shapes


def last_dims_and_params(k, n_params):
    """Input of 1-3 dims, and ``n_params`` parameters shaped like its last ``k`` dims
    (``normalized_shape`` of layer_norm / rms_norm)."""

    def shapes(pick):
        x = shape(pick, k, 3)
        return (x,) + (x[len(x) - k:],) * n_params

    return shapes


GROUPS = 2  # the group_norm entries' num_groups


def groups_shapes(pick):
    """(N, C, *spatial) with C = groups * channels_per_group, every group holding more than one
    value, and (C,) weight and bias; the groups count is ``GROUPS``."""
    spatial = (pick(2, 3),) + tuple(pick(1, 2) for _ in range(pick(0, 1)))
    c = GROUPS * pick(1, 2)
    return ((pick(1, 2), c) + spatial, (c,), (c,))


def instance_shapes(pick):
    """(N, C, *spatial) with more than one spatial element, and (C,) weight and bias."""
    c = pick(1, 3)
    return ((pick(1, 2), c, pick(2, 3)) + shape(pick, 0, 1, max_side=2), (c,), (c,))


def conv2d_shapes(groups=1, min_hw=1, max_hw=4, max_k=3, bias=True):
    """Input (N, C, H, W), weight (OC, C/groups, kh, kw) and bias (OC,): kernel sizes 1..max_k,
    H, W at least the kernel (or ``min_hw``)."""

    def shapes(pick):
        kh, kw = pick(1, max_k), pick(1, max_k)
        cg, og = pick(1, 2), pick(1, 2)
        x = (pick(1, 2), groups * cg, pick(max(kh, min_hw), max_hw), pick(max(kw, min_hw), max_hw))
        w = (groups * og, cg, kh, kw)
        return (x, w, (groups * og,)) if bias else (x, w)

    return shapes


def conv_transpose2d_shapes(groups=1):
    """Input (N, C, H, W), weight (C, OC/groups, kh, kw) and bias (OC,)."""

    def shapes(pick):
        cg, og = pick(1, 2), pick(1, 2)
        x = (pick(1, 2), groups * cg, pick(2, 3), pick(2, 3))
        return (x, (groups * cg, og, pick(1, 3), pick(1, 3)), (groups * og,))

    return shapes


def conv1d_shapes(pick):
    """Input (N, C, L), weight (OC, C, k), bias (OC,)."""
    c, k = pick(1, 2), pick(1, 3)
    oc = pick(1, 3)
    return ((pick(1, 2), c, pick(k, 5)), (oc, c, k), (oc,))


def embedding_shapes(pick):
    """Weight (V, D) and indices of 0-2 dims (values drawn by ``ROW_INDICES``)."""
    return ((pick(1, 4), pick(1, 3)), shape(pick, 0, 2))


def prelu_shapes(single_slope):
    """Input (N, C, *) and the slopes: (1,), or one per channel (C,)."""

    def shapes(pick):
        x = (pick(1, 3), pick(1, 3)) + shape(pick, 0, 2)
        return (x, (1,) if single_slope else (x[1],))

    return shapes


def gather_shapes(pick):
    """Input (n, m) and an index (k, m') with m' <= m (values by ``ROW_INDICES``)."""
    n, m = pick(1, 4), pick(1, 4)
    return ((n, m), (pick(1, 4), pick(1, m)))


def take_along_dim_shapes(pick):
    """Input (n, m) and indices (k, m) or (k, 1) (broadcast against the input)."""
    n, m = pick(1, 4), pick(1, 4)
    return ((n, m), (pick(1, 4), m if pick(0, 1) else 1))


def scatter_shapes(pick):
    """Input (n, m), an index (k, m') with k <= n and m' <= m, and src (k, m'') with m'' >= m'."""
    n, m = pick(1, 4), pick(1, 4)
    k, mi = pick(1, n), pick(1, m)
    return ((n, m), (k, mi), (k, mi + pick(0, 1)))


def einsum_shapes(*terms):
    """One shape per einsum operand: a size per letter, drawn once, so letters agree."""

    def shapes(pick):
        sizes = {c: pick(1, 3) for c in sorted(set("".join(terms)))}
        return tuple(tuple(sizes[c] for c in term) for term in terms)

    return shapes


def baddbmm_shapes(pick):
    """input (n, p) (broadcast over the batch), batch1 (b, n, m), batch2 (b, m, p)."""
    b, n, m, p = pick(1, 2), pick(1, 3), pick(1, 3), pick(1, 3)
    return ((n, p), (b, n, m), (b, m, p))


def attention_shapes(pick):
    """query (b, L, E), key (b, S, E), value (b, S, Ev)."""
    b, length, source, e, ev = pick(1, 2), pick(1, 3), pick(1, 3), pick(1, 3), pick(1, 3)
    return ((b, length, e), (b, source, e), (b, source, ev))


# --------------------------------------------------------------------- the table
# fmt: off
OPS = [
    # ---- elementwise arithmetic (binary ops broadcast) ----
    OpSpec("add", lambda x, y: elementwise.add(x, y), np.add, pair, (REAL, REAL)),
    OpSpec("add:scalar", lambda x: elementwise.add(x, 2.5), lambda x: x + 2.5, one, (REAL,)),
    OpSpec("sub", lambda x, y: elementwise.sub(x, y), np.subtract, pair, (REAL, REAL)),
    OpSpec("sub:rscalar", lambda x: elementwise.sub(1.5, x), lambda x: 1.5 - x, one, (REAL,)),
    OpSpec("mul", lambda x, y: elementwise.mul(x, y), np.multiply, pair, (REAL, REAL)),
    OpSpec("mul:scalar", lambda x: elementwise.mul(x, -3.0), lambda x: x * -3.0, one, (REAL,)),
    OpSpec("div", lambda x, y: elementwise.div(x, y), np.divide, pair, (REAL, AWAY_FROM_0)),
    OpSpec("div:rscalar", lambda x: elementwise.div(2.0, x), lambda x: 2.0 / x, one, (AWAY_FROM_0,)),
    OpSpec("pow:scalar", lambda x: elementwise.pow(x, 3), lambda x: x**3, one, (REAL,)),
    OpSpec("pow:negative", lambda x: elementwise.pow(x, -2.0), lambda x: x**-2.0, one, (AWAY_FROM_0,)),
    OpSpec("pow:fractional", lambda x: elementwise.pow(x, 0.5), np.sqrt, one, (POSITIVE,)),
    OpSpec("pow:tensor", lambda x, y: elementwise.pow(x, y), np.power, pair, (POSITIVE, REAL)),
    OpSpec("pow:rscalar", lambda x: elementwise.pow(2.0, x), lambda x: 2.0**x, one, (REAL,)),
    OpSpec("remainder", lambda x: elementwise.remainder(x, 1.0), lambda x: np.remainder(x, 1.0), one, (AWAY_FROM_INTEGERS,)),
    OpSpec("neg", lambda x: elementwise.neg(x), np.negative, one, (REAL,)),
    # ---- elementwise math ----
    OpSpec("exp", lambda x: elementwise.exp(x), np.exp, one, (REAL,)),
    OpSpec("log", lambda x: elementwise.log(x), np.log, one, (POSITIVE,)),
    OpSpec("sqrt", lambda x: elementwise.sqrt(x), np.sqrt, one, (POSITIVE,)),
    OpSpec("rsqrt", lambda x: elementwise.rsqrt(x), lambda x: 1 / np.sqrt(x), one, (POSITIVE,)),
    OpSpec("abs", lambda x: elementwise.abs(x), np.abs, one, (AWAY_FROM_0,)),
    OpSpec("sin", lambda x: elementwise.sin(x), np.sin, one, (REAL,)),
    OpSpec("cos", lambda x: elementwise.cos(x), np.cos, one, (REAL,)),
    OpSpec("tanh", lambda x: elementwise.tanh(x), np.tanh, one, (REAL,)),
    OpSpec("sigmoid", lambda x: elementwise.sigmoid(x), ref.sigmoid, one, (REAL,)),
    OpSpec("atan", lambda x: elementwise.atan(x), np.arctan, one, (REAL,)),
    OpSpec("clamp", lambda x: elementwise.clamp(x, -1.0, 1.0),
           lambda x: np.clip(x, -1.0, 1.0), one, (AWAY_FROM_INTEGERS,)),
    OpSpec("clamp:min", lambda x: elementwise.clamp(x, min=0.0),
           lambda x: np.maximum(x, 0.0), one, (AWAY_FROM_INTEGERS,)),
    OpSpec("clamp:tensor_bounds", lambda x, lo, hi: elementwise.clamp(x, lo, hi),
           lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
           lambda pick: broadcastable(pick, 3), (REAL, REAL, REAL)),
    OpSpec("maximum", lambda x, y: elementwise.maximum(x, y), np.maximum, pair, (AWAY_FROM_INTEGERS, WHOLE)),
    OpSpec("minimum", lambda x, y: elementwise.minimum(x, y), np.minimum, pair, (AWAY_FROM_INTEGERS, WHOLE)),
    OpSpec("where", lambda c, x, y: elementwise.where(c, x, y),
           np.where, lambda pick: broadcastable(pick, 3), (BOOL, REAL, REAL)),
    # ---- activations ----
    OpSpec("relu", lambda x: activation.relu(x), lambda x: np.maximum(x, 0), one, (AWAY_FROM_0,)),
    OpSpec("leaky_relu", lambda x: activation.leaky_relu(x, 0.2),
           lambda x: np.where(x > 0, x, 0.2 * x), one, (AWAY_FROM_0,)),
    OpSpec("elu", lambda x: activation.elu(x), lambda x: np.where(x > 0, x, np.expm1(x)), one, (AWAY_FROM_0,)),
    OpSpec("elu:alpha", lambda x: activation.elu(x, alpha=0.5),
           lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), one, (AWAY_FROM_0,)),
    OpSpec("selu", lambda x: activation.selu(x),
           lambda x: ref.SELU_SCALE * np.where(x > 0, x, ref.SELU_ALPHA * np.expm1(x)), one, (AWAY_FROM_0,)),
    OpSpec("gelu", lambda x: activation.gelu(x), lambda x: 0.5 * x * (1 + ref.erf(x / math.sqrt(2))), one, (REAL,)),
    OpSpec("gelu:tanh", lambda x: activation.gelu(x, approximate="tanh"), ref.gelu_tanh, one, (REAL,)),
    OpSpec("silu", lambda x: activation.silu(x), lambda x: x * ref.sigmoid(x), one, (REAL,)),
    OpSpec("softplus", lambda x: activation.softplus(x), ref.softplus, one, (REAL,)),
    # beta * x > threshold switches to the identity at x = 1: an integer, so the domain avoids it
    OpSpec("softplus:beta_threshold", lambda x: activation.softplus(x, beta=2.0, threshold=2.0),
           lambda x: ref.softplus(x, 2.0, 2.0), one, (AWAY_FROM_INTEGERS,)),
    OpSpec("hardtanh", lambda x: activation.hardtanh(x), lambda x: np.clip(x, -1.0, 1.0), one, (AWAY_FROM_INTEGERS,)),
    OpSpec("hardtanh:bounds", lambda x: activation.hardtanh(x, -2.0, 1.0),
           lambda x: np.clip(x, -2.0, 1.0), one, (AWAY_FROM_INTEGERS,)),
    OpSpec("softsign", lambda x: activation.softsign(x), lambda x: x / (1 + np.abs(x)), one, (REAL,)),
    OpSpec("binary_step", lambda x: activation.binary_step(x),
           lambda x: np.where(x >= 0, 1.0, 0.0), one, (AWAY_FROM_0,)),
    OpSpec("threshold", lambda x: activation.threshold(x, 1.0, -0.5),
           lambda x: np.where(x > 1.0, x, -0.5), one, (AWAY_FROM_INTEGERS,)),
    # ---- reductions ----
    OpSpec("sum", lambda x: reduce.sum(x), np.sum, one, (REAL,)),
    OpSpec("sum:dim", lambda x: reduce.sum(x, 1), lambda x: x.sum(axis=1), matrix_or_more, (REAL,)),
    OpSpec("sum:dims_keepdim", lambda x: reduce.sum(x, (0, -1), keepdim=True),
           lambda x: x.sum(axis=(0, -1), keepdims=True), matrix_or_more, (REAL,)),
    OpSpec("mean", lambda x: reduce.mean(x), np.mean, one, (REAL,)),
    OpSpec("mean:dim", lambda x: reduce.mean(x, -1), lambda x: x.mean(axis=-1), nonscalar, (REAL,)),
    OpSpec("mean:dims_keepdim", lambda x: reduce.mean(x, (0, 1), keepdim=True),
           lambda x: x.mean(axis=(0, 1), keepdims=True), matrix_or_more, (REAL,)),
    OpSpec("var", lambda x: reduce.var(x),
           lambda x: x.var(ddof=1), lambda pick: (shape(pick, 1, 3, min_side=2),), (REAL,)),
    OpSpec("var:dim_keepdim", lambda x: reduce.var(x, dim=1, keepdim=True),
           lambda x: x.var(axis=1, ddof=1, keepdims=True), lambda pick: (with_dim(pick, 1, pick(2, 4)),), (REAL,)),
    OpSpec("var:biased", lambda x: reduce.var(x, dim=0, unbiased=False), lambda x: x.var(axis=0), nonscalar, (REAL,)),
    OpSpec("var:correction", lambda x: reduce.var(x, dim=-1, correction=0),
           lambda x: x.var(axis=-1), nonscalar, (REAL,)),
    OpSpec("std", lambda x: reduce.std(x),
           lambda x: x.std(ddof=1), lambda pick: (shape(pick, 1, 3, min_side=2),), (REAL,)),
    OpSpec("std:dim_keepdim", lambda x: reduce.std(x, dim=0, keepdim=True),
           lambda x: x.std(axis=0, ddof=1, keepdims=True), lambda pick: (with_dim(pick, 0, pick(2, 4)),), (REAL,)),
    OpSpec("std:correction", lambda x: reduce.std(x, dim=-1, correction=2),
           lambda x: x.std(axis=-1, ddof=2), lambda pick: (with_dim(pick, -1, pick(3, 4), 1, 3),), (REAL,)),
    OpSpec("var:dims", lambda x: reduce.var(x, dim=(0, -1)),
           lambda x: x.var(axis=(0, -1), ddof=1), lambda pick: (with_dim(pick, 0, pick(2, 4)),), (REAL,)),
    OpSpec("std:biased", lambda x: reduce.std(x, dim=1, unbiased=False),
           lambda x: x.std(axis=1), matrix_or_more, (REAL,)),
    OpSpec("std:dims_keepdim", lambda x: reduce.std(x, dim=(1, 2), keepdim=True),
           lambda x: x.std(axis=(1, 2), ddof=1, keepdims=True),
           lambda pick: ((pick(1, 3), pick(2, 3), pick(1, 3)),), (REAL,)),
    # ---- vector norms (p = 1 has a kink at 0; p = 2 and 3 are smooth away from x = 0) ----
    OpSpec("norm", lambda x: reduce.norm(x), lambda x: np.sqrt((x * x).sum()), nonscalar, (REAL,)),
    OpSpec("norm:p1_dim", lambda x: reduce.norm(x, p=1, dim=1),
           lambda x: np.abs(x).sum(axis=1), matrix_or_more, (AWAY_FROM_0,)),
    OpSpec("norm:p2_dim_keepdim", lambda x: reduce.norm(x, dim=-1, keepdim=True),
           lambda x: np.sqrt((x * x).sum(axis=-1, keepdims=True)), nonscalar, (REAL,)),
    OpSpec("norm:p3_dims", lambda x: reduce.norm(x, p=3, dim=(0, 1)),
           lambda x: (np.abs(x) ** 3).sum(axis=(0, 1)) ** (1 / 3), matrix_or_more, (REAL,)),
    OpSpec("norm:inf_dim", lambda x: reduce.norm(x, p=math.inf, dim=0),
           lambda x: np.abs(x).max(axis=0), nonscalar, (AWAY_FROM_0,)),
    OpSpec("max", lambda x: reduce.max(x), np.max, one, (REAL,)),
    OpSpec("max:dim", lambda x: reduce.max(x, 1), lambda x: (x.max(axis=1), x.argmax(axis=1)), matrix_or_more, (REAL,)),
    OpSpec("max:dim_keepdim", lambda x: reduce.max(x, -1, keepdim=True),
           lambda x: (x.max(axis=-1, keepdims=True), x.argmax(axis=-1, keepdims=True)), nonscalar, (REAL,)),
    OpSpec("min", lambda x: reduce.min(x), np.min, one, (REAL,)),
    OpSpec("min:dim", lambda x: reduce.min(x, 0), lambda x: (x.min(axis=0), x.argmin(axis=0)), nonscalar, (REAL,)),
    OpSpec("amax", lambda x: reduce.amax(x, -1), lambda x: x.max(axis=-1), nonscalar, (REAL,)),
    OpSpec("amax:dims_keepdim", lambda x: reduce.amax(x, (0, -1), keepdim=True),
           lambda x: x.max(axis=(0, -1), keepdims=True), matrix_or_more, (REAL,)),
    OpSpec("amin", lambda x: reduce.amin(x, 0), lambda x: x.min(axis=0), nonscalar, (REAL,)),
    OpSpec("logsumexp", lambda x: reduce.logsumexp(x, 1), lambda x: ref.logsumexp(x, 1), matrix_or_more, (REAL,)),
    OpSpec("logsumexp:dims_keepdim", lambda x: reduce.logsumexp(x, (0, 1), keepdim=True),
           lambda x: ref.logsumexp(x, (0, 1), keepdims=True), matrix_or_more, (REAL,)),
    # ---- matrix products ----
    OpSpec("matmul", lambda a, b: matmul.matmul(a, b), np.matmul, matrix_product(2, 2), (REAL, REAL)),
    OpSpec("matmul:dot", lambda a, b: matmul.matmul(a, b), np.matmul, matrix_product(1, 1), (REAL, REAL)),
    OpSpec("matmul:vec_mat", lambda a, b: matmul.matmul(a, b), np.matmul, matrix_product(1, 2), (REAL, REAL)),
    OpSpec("matmul:mat_vec", lambda a, b: matmul.matmul(a, b), np.matmul, matrix_product(2, 1), (REAL, REAL)),
    OpSpec("matmul:batched_broadcast", lambda a, b: matmul.matmul(a, b), np.matmul, matmul_batched, (REAL, REAL)),
    OpSpec("matmul:batched_vec", lambda a, b: matmul.matmul(a, b), np.matmul, batched_matrix_vector, (REAL, REAL)),
    OpSpec("linear", lambda x, w, b: matmul.linear(x, w, b),
           lambda x, w, b: x @ w.T + b, linear_shapes, (REAL, REAL, REAL)),
    OpSpec("linear:no_bias", lambda x, w: matmul.linear(x, w),
           lambda x, w: x @ w.T, lambda pick: linear_shapes(pick, bias=False), (REAL, REAL)),
    # ---- shape ops ----
    OpSpec("reshape", lambda x: shape_ops.reshape(x, x.shape[::-1]), lambda x: x.reshape(x.shape[::-1]), one, (REAL,)),
    OpSpec("reshape:infer", lambda x: shape_ops.reshape(x, (x.shape[0], -1)),
           lambda x: x.reshape(x.shape[0], -1), nonscalar, (REAL,)),
    # view merges dims only where the strides allow (the tests also draw transposed layouts), so
    # the merging entry views a contiguous copy; inserting size-1 dims is a view of any layout
    OpSpec("view", lambda x: shape_ops.view(x.contiguous(), (-1,) + x.shape[:0:-1]),
           lambda x: x.reshape((-1,) + x.shape[:0:-1]), nonscalar, (REAL,)),
    OpSpec("view:size_one_dims", lambda x: shape_ops.view(x, (1,) + x.shape + (1,)),
           lambda x: x.reshape((1,) + x.shape + (1,)), one, (REAL,)),
    OpSpec("flatten", lambda x: shape_ops.flatten(x), lambda x: x.reshape(-1), one, (REAL,)),
    OpSpec("flatten:start_dim", lambda x: shape_ops.flatten(x, 1),
           lambda x: x.reshape(x.shape[0], -1), matrix_or_more, (REAL,)),
    OpSpec("unflatten", lambda x: shape_ops.unflatten(x, 1, (2, -1)),
           lambda x: x.reshape(x.shape[:1] + (2, -1) + x.shape[2:]),
           lambda pick: (with_dim(pick, 1, 2 * pick(1, 2)),), (REAL,)),
    OpSpec("unflatten:last", lambda x: shape_ops.unflatten(x, -1, (1, x.shape[-1], 1)),
           lambda x: x.reshape(x.shape[:-1] + (1, x.shape[-1], 1)), nonscalar, (REAL,)),
    OpSpec("squeeze", lambda x: shape_ops.squeeze(x), np.squeeze, lambda pick: (shape(pick, max_side=2),), (REAL,)),
    OpSpec("squeeze:dim", lambda x: shape_ops.squeeze(x, 1),
           lambda x: x.squeeze(axis=1), lambda pick: (with_dim(pick, 1, 1),), (REAL,)),
    OpSpec("unsqueeze", lambda x: shape_ops.unsqueeze(x, 0), lambda x: x[None], one, (REAL,)),
    OpSpec("unsqueeze:last", lambda x: shape_ops.unsqueeze(x, -1), lambda x: x[..., None], one, (REAL,)),
    OpSpec("transpose", lambda x: shape_ops.transpose(x, 0, -1),
           lambda x: np.swapaxes(x, 0, -1), matrix_or_more, (REAL,)),
    OpSpec("permute", lambda x: shape_ops.permute(x, (1, 2, 0)),
           lambda x: x.transpose(1, 2, 0), lambda pick: (shape(pick, 3, 3),), (REAL,)),
    OpSpec("expand", lambda x: shape_ops.expand(x, (2, -1, 3)),
           lambda x: np.broadcast_to(x, (2, x.shape[0], 3)), lambda pick: ((pick(1, 4), 1),), (REAL,)),
    OpSpec("broadcast_to", lambda x: shape_ops.broadcast_to(x, (2,) + tuple(3 if n == 1 else n for n in x.shape)),
           lambda x: np.broadcast_to(x, (2,) + tuple(3 if n == 1 else n for n in x.shape)),
           lambda pick: (shape(pick, max_side=2),), (REAL,)),
    OpSpec("repeat", lambda x: shape_ops.repeat(x, (2, 1, 3)),
           lambda x: np.tile(x, (2, 1, 3)), lambda pick: (shape(pick, 3, 3, max_side=3),), (REAL,)),
    OpSpec("repeat:new_dims", lambda x: shape_ops.repeat(x, (2,) * (x.ndim + 1)),
           lambda x: np.tile(x, (2,) * (x.ndim + 1)), lambda pick: (shape(pick, 0, 2, max_side=3),), (REAL,)),
    OpSpec("getitem:int", lambda x: x[-1], lambda x: x[-1], nonscalar, (REAL,)),
    OpSpec("getitem:slices", lambda x: x[1:, ::2], lambda x: x[1:, ::2], matrix_or_more, (REAL,)),
    OpSpec("getitem:ellipsis_none", lambda x: x[..., None, 0], lambda x: x[..., None, 0], nonscalar, (REAL,)),
    OpSpec("getitem:int_array_repeats", lambda x: x[[0, -1, 0]], lambda x: x[[0, -1, 0]], nonscalar, (REAL,)),
    OpSpec("getitem:int_array_dim1", lambda x: x[:, [1, 1, 0]],
           lambda x: x[:, [1, 1, 0]], lambda pick: (with_dim(pick, 1, pick(2, 4)),), (REAL,)),
    OpSpec("getitem:bool_mask", lambda x, m: x[m], lambda x, m: x[m], same_pair, (REAL, BOOL)),
    OpSpec("getitem:bool_mask_rows", lambda x, m: x[m], lambda x, m: x[m], rows_and_mask, (REAL, BOOL)),
    OpSpec("cat", lambda x, y: shape_ops.cat([x, y], dim=1),
           lambda x, y: np.concatenate([x, y], axis=1), cat_shapes, (REAL, REAL)),
    OpSpec("cat:three_dim0", lambda x, y, z: shape_ops.cat([x, y, z]),
           lambda x, y, z: np.concatenate([x, y, z]), lambda pick: cat_shapes(pick, dim=0, n=3), (REAL, REAL, REAL)),
    OpSpec("stack", lambda x, y: shape_ops.stack([x, y]), lambda x, y: np.stack([x, y]), same_pair, (REAL, REAL)),
    OpSpec("stack:last", lambda x, y: shape_ops.stack([x, y], dim=-1),
           lambda x, y: np.stack([x, y], axis=-1), same_pair, (REAL, REAL)),
    OpSpec("split", lambda x: shape_ops.split(x, 2),
           lambda x: np.split(x, range(2, x.shape[0], 2)), nonscalar, (REAL,)),
    OpSpec("split:sections", lambda x: shape_ops.split(x, [1, 2], dim=-1),
           lambda x: np.split(x, [1], axis=-1), lambda pick: (with_dim(pick, -1, 3, 1, 3),), (REAL,)),
    OpSpec("chunk", lambda x: shape_ops.chunk(x, 2, dim=1),
           lambda x: np.array_split(x, min(2, x.shape[1]), axis=1),
           lambda pick: (with_dim(pick, 1, pick(2, 4)),), (REAL,)),
    OpSpec("pad", lambda x: pad(x, (1, 2)), lambda x: ref.pad(x, (1, 2)), nonscalar, (REAL,)),
    OpSpec("pad:2d_value", lambda x: pad(x, (1, 0, 2, 1), value=0.5),
           lambda x: ref.pad(x, (1, 0, 2, 1), value=0.5), matrix_or_more, (REAL,)),
    OpSpec("pad:negative", lambda x: pad(x, (-1, 1)),
           lambda x: ref.pad(x[..., 1:], (0, 1)), lambda pick: (with_dim(pick, -1, pick(2, 4), 1, 3),), (REAL,)),
    # (reflect / replicate / circular padding: at the end of the table)
    # ---- softmax ----
    OpSpec("softmax", lambda x: softmax.softmax(x, -1), lambda x: ref.softmax(x, -1), nonscalar, (REAL,)),
    OpSpec("softmax:dim0", lambda x: softmax.softmax(x, 0), lambda x: ref.softmax(x, 0), nonscalar, (REAL,)),
    OpSpec("log_softmax", lambda x: softmax.log_softmax(x, -1), lambda x: ref.log_softmax(x, -1), nonscalar, (REAL,)),
    OpSpec("log_softmax:dim1", lambda x: softmax.log_softmax(x, 1),
           lambda x: ref.log_softmax(x, 1), matrix_or_more, (REAL,)),
    # ---- losses ----
    OpSpec("mse_loss", lambda x, t: loss.mse_loss(x, t), lambda x, t: np.mean((x - t) ** 2), same_pair, (REAL, REAL)),
    OpSpec("mse_loss:sum", lambda x, t: loss.mse_loss(x, t, reduction="sum"),
           lambda x, t: np.sum((x - t) ** 2), same_pair, (REAL, REAL)),
    OpSpec("mse_loss:none", lambda x, t: loss.mse_loss(x, t, reduction="none"),
           lambda x, t: (x - t) ** 2, same_pair, (REAL, REAL)),
    OpSpec("l1_loss", lambda x, t: loss.l1_loss(x, t), lambda x, t: np.mean(np.abs(x - t)), same_pair,
           (AWAY_FROM_INTEGERS, WHOLE)),
    OpSpec("l1_loss:none", lambda x, t: loss.l1_loss(x, t, reduction="none"),
           lambda x, t: np.abs(x - t), same_pair, (AWAY_FROM_INTEGERS, WHOLE)),
    OpSpec("smooth_l1_loss", lambda x, t: loss.smooth_l1_loss(x, t), ref.smooth_l1, same_pair, (REAL, REAL)),
    OpSpec("smooth_l1_loss:beta_sum", lambda x, t: loss.smooth_l1_loss(x, t, reduction="sum", beta=0.5),
           lambda x, t: ref.smooth_l1(x, t, beta=0.5, reduction="sum"), same_pair, (REAL, REAL)),
    OpSpec("cross_entropy", lambda x, t: loss.cross_entropy(x, t),
           ref.cross_entropy, classification, (REAL, CLASS_INDICES)),
    OpSpec("cross_entropy:weight", lambda x, t, w: loss.cross_entropy(x, t, weight=w),
           ref.cross_entropy, classification_weighted, (REAL, CLASS_INDICES, POSITIVE), (True, False, False)),
    OpSpec("cross_entropy:ignore_index", lambda x, t: loss.cross_entropy(x, t, ignore_index=IGNORE_INDEX),
           lambda x, t: ref.cross_entropy(x, t, ignore_index=IGNORE_INDEX),
           classification, (REAL, CLASS_INDICES_SOME_IGNORED)),
    OpSpec("cross_entropy:label_smoothing", lambda x, t: loss.cross_entropy(x, t, label_smoothing=0.2),
           lambda x, t: ref.cross_entropy(x, t, label_smoothing=0.2), classification, (REAL, CLASS_INDICES)),
    OpSpec("cross_entropy:all_options",
           lambda x, t, w: loss.cross_entropy(x, t, weight=w, ignore_index=IGNORE_INDEX, label_smoothing=0.1),
           lambda x, t, w: ref.cross_entropy(x, t, w, ignore_index=IGNORE_INDEX, label_smoothing=0.1),
           classification_weighted, (REAL, CLASS_INDICES_SOME_IGNORED, POSITIVE), (True, False, False)),
    OpSpec("cross_entropy:spatial", lambda x, t: loss.cross_entropy(x, t),
           ref.cross_entropy, lambda pick: classification(pick, extra_dims=2), (REAL, CLASS_INDICES)),
    OpSpec("cross_entropy:spatial_none", lambda x, t: loss.cross_entropy(x, t, reduction="none"),
           lambda x, t: ref.cross_entropy(x, t, reduction="none"),
           lambda pick: classification(pick, extra_dims=1), (REAL, CLASS_INDICES)),
    OpSpec("cross_entropy:sum", lambda x, t: loss.cross_entropy(x, t, reduction="sum"),
           lambda x, t: ref.cross_entropy(x, t, reduction="sum"), classification, (REAL, CLASS_INDICES)),
    OpSpec("cross_entropy:unbatched", lambda x, t: loss.cross_entropy(x, t),
           ref.cross_entropy, lambda pick: ((pick(2, 4),), ()), (REAL, CLASS_INDICES)),
    OpSpec("nll_loss", lambda x, t: loss.nll_loss(x, t), ref.nll, classification, (REAL, CLASS_INDICES)),
    OpSpec("nll_loss:weight_ignore", lambda x, t, w: loss.nll_loss(x, t, weight=w, ignore_index=IGNORE_INDEX),
           lambda x, t, w: ref.nll(x, t, w, ignore_index=IGNORE_INDEX),
           classification_weighted, (REAL, CLASS_INDICES_SOME_IGNORED, POSITIVE), (True, False, False)),
    OpSpec("nll_loss:spatial_none", lambda x, t: loss.nll_loss(x, t, reduction="none"),
           lambda x, t: ref.nll(x, t, reduction="none"),
           lambda pick: classification(pick, extra_dims=2), (REAL, CLASS_INDICES)),
    OpSpec("binary_cross_entropy", lambda x, t: loss.binary_cross_entropy(x, t),
           ref.bce, same_pair, (UNIT_INTERVAL, UNIT_INTERVAL)),
    OpSpec("binary_cross_entropy:weight_sum",
           lambda x, t, w: loss.binary_cross_entropy(x, t, weight=w, reduction="sum"),
           lambda x, t, w: ref.bce(x, t, w, reduction="sum"),
           with_weight, (UNIT_INTERVAL, UNIT_INTERVAL, POSITIVE), (True, True, False)),
    OpSpec("binary_cross_entropy_with_logits", lambda x, t: loss.binary_cross_entropy_with_logits(x, t),
           ref.bce_with_logits, same_pair, (REAL, UNIT_INTERVAL)),
    OpSpec("binary_cross_entropy_with_logits:pos_weight",
           lambda x, t, pw: loss.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
           ref.bce_with_logits, with_class_weight, (REAL, UNIT_INTERVAL, POSITIVE), (True, True, False)),
    # ---- normalisation (training batch_norm: the running statistics are fresh buffers, updated
    #      in place on the input's device; the output does not depend on them) ----
    OpSpec("batch_norm:train", lambda x, w, b: F.batch_norm(
               x, creation.zeros(x.shape[1], dtype=x.dtype, device=x.device),
               creation.ones(x.shape[1], dtype=x.dtype, device=x.device), w, b, training=True),
           ref.batch_norm, with_channel_vectors(2, min_n=2), (REAL, REAL, REAL)),
    OpSpec("batch_norm:train_no_affine", lambda x: F.batch_norm(x, None, None, training=True),
           ref.batch_norm, with_channel_vectors(0, min_n=2), (REAL,)),
    OpSpec("batch_norm:eval", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b),
           ref.batch_norm_eval, with_channel_vectors(4), (REAL, REAL, POSITIVE, REAL, REAL),
           (True, False, False, True, True)),
    OpSpec("layer_norm", lambda x, w, b: F.layer_norm(x, w.shape, w, b),
           lambda x, w, b: ref.normalize(x, -1) * w + b, last_dims_and_params(1, 2), (REAL, REAL, REAL)),
    OpSpec("layer_norm:two_dims_no_affine", lambda x: F.layer_norm(x, x.shape[-2:]),
           lambda x: ref.normalize(x, (-2, -1)), last_dims_and_params(2, 0), (REAL,)),
    OpSpec("rms_norm", lambda x, w: F.rms_norm(x, w.shape, w),
           lambda x, w: ref.rms_norm(x, w.ndim, w), last_dims_and_params(1, 1), (REAL, REAL)),
    OpSpec("rms_norm:two_dims", lambda x, w: F.rms_norm(x, w.shape, w),
           lambda x, w: ref.rms_norm(x, w.ndim, w), last_dims_and_params(2, 1), (REAL, REAL)),
    OpSpec("group_norm", lambda x, w, b: F.group_norm(x, GROUPS, w, b),
           lambda x, w, b: ref.group_norm(x, GROUPS, w, b), groups_shapes, (REAL, REAL, REAL)),
    OpSpec("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
           lambda x, w, b: ref.group_norm(x, x.shape[1], w, b),
           instance_shapes, (REAL, REAL, REAL)),
    OpSpec("instance_norm:running_stats", lambda x: F.instance_norm(
               x, creation.zeros(x.shape[1], dtype=x.dtype, device=x.device),
               creation.ones(x.shape[1], dtype=x.dtype, device=x.device)),
           lambda x: ref.normalize(x, tuple(range(2, x.ndim))), lambda pick: instance_shapes(pick)[:1], (REAL,)),
    # ---- dropout (a fresh generator with a fixed seed: the same mask at every call) ----
    OpSpec("dropout", lambda x: F.dropout(x, 0.4, generator=Generator().manual_seed(7)),
           lambda x: x * ref.dropout_mask(x.shape, 0.4, 7), one, (REAL,)),
    OpSpec("dropout2d", lambda x: F.dropout2d(x, 0.5, generator=Generator().manual_seed(7)),
           lambda x: x * ref.dropout_mask(x.shape[:2] + (1, 1), 0.5, 7), image, (REAL,)),
    # ---- embedding, prelu ----
    OpSpec("embedding", lambda w, i: F.embedding(i, w), lambda w, i: w[i], embedding_shapes, (REAL, ROW_INDICES)),
    OpSpec("prelu", lambda x, w: F.prelu(x, w),
           lambda x, w: np.where(x > 0, x, ref.per_channel(w, x.ndim) * x), prelu_shapes(False), (AWAY_FROM_0, REAL)),
    OpSpec("prelu:single_slope", lambda x, w: F.prelu(x, w),
           lambda x, w: np.where(x > 0, x, w * x), prelu_shapes(True), (AWAY_FROM_0, REAL)),
    # ---- convolution ----
    OpSpec("conv2d", lambda x, w, b: F.conv2d(x, w, b), ref.conv2d, conv2d_shapes(), (REAL, REAL, REAL)),
    OpSpec("conv2d:stride_padding_dilation", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=(2, 1)),
           lambda x, w, b: ref.conv2d(x, w, b, 2, 1, (2, 1)), conv2d_shapes(min_hw=3), (REAL, REAL, REAL)),
    OpSpec("conv2d:groups", lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), groups=2),
           lambda x, w, b: ref.conv2d(x, w, b, (1, 2), groups=2), conv2d_shapes(groups=2), (REAL, REAL, REAL)),
    OpSpec("conv2d:same", lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2)),
           lambda x, w: ref.conv2d(x, w, None, 1, "same", (1, 2)), conv2d_shapes(max_k=2, bias=False), (REAL, REAL)),
    OpSpec("conv_transpose2d:stride2_output_padding",
           lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
           lambda x, w, b: ref.conv_transpose2d(x, w, b, 2, 1, 1), conv_transpose2d_shapes(), (REAL, REAL, REAL)),
    OpSpec("conv_transpose2d:groups", lambda x, w, b: F.conv_transpose2d(x, w, b, groups=2, dilation=(2, 1)),
           lambda x, w, b: ref.conv_transpose2d(x, w, b, groups=2, dilation=(2, 1)),
           conv_transpose2d_shapes(groups=2), (REAL, REAL, REAL)),
    OpSpec("conv1d", lambda x, w, b: F.conv1d(x, w, b, padding=1), lambda x, w, b: ref.conv1d(x, w, b, padding=1),
           conv1d_shapes, (REAL, REAL, REAL)),
    OpSpec("conv1d:stride_dilation", lambda x, w, b: F.conv1d(x, w, b, stride=2, dilation=2, padding=2),
           lambda x, w, b: ref.conv1d(x, w, b, 2, 2, 2), conv1d_shapes, (REAL, REAL, REAL)),
    # ---- pooling (max pooling on distinct values: a tie has no derivative) ----
    OpSpec("max_pool2d", lambda x: F.max_pool2d(x, 2), lambda x: ref.max_pool2d(x, 2), image, (DISTINCT,)),
    OpSpec("max_pool2d:overlap_padding_ceil", lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
           lambda x: ref.max_pool2d(x, 3, 2, 1, ceil_mode=True), image, (DISTINCT,)),
    OpSpec("max_pool2d:dilation_indices", lambda x: F.max_pool2d(x, 2, stride=1, dilation=2, return_indices=True),
           lambda x: ref.max_pool2d(x, 2, 1, dilation=2, return_indices=True),
           lambda pick: image(pick, min_hw=3), (DISTINCT,)),
    OpSpec("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: ref.avg_pool2d(x, 2), image, (REAL,)),
    OpSpec("avg_pool2d:ceil_mode", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
           lambda x: ref.avg_pool2d(x, 3, 2, 1, ceil_mode=True), image, (REAL,)),
    OpSpec("avg_pool2d:ceil_no_pad_count",
           lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
           lambda x: ref.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), image, (REAL,)),
    OpSpec("avg_pool2d:divisor_override", lambda x: F.avg_pool2d(x, (2, 1), divisor_override=3),
           lambda x: ref.avg_pool2d(x, (2, 1), divisor_override=3), image, (REAL,)),
    OpSpec("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
           lambda x: ref.adaptive_pool2d(x, (2, 3), np.mean), lambda pick: image(pick, min_hw=1, max_hw=5), (REAL,)),
    OpSpec("adaptive_avg_pool2d:global", lambda x: F.adaptive_avg_pool2d(x, 1),
           lambda x: x.mean(axis=(2, 3), keepdims=True), image, (REAL,)),
    OpSpec("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (3, 2)),
           lambda x: ref.adaptive_pool2d(x, (3, 2), np.max),
           lambda pick: image(pick, min_hw=1, max_hw=5), (DISTINCT,)),
    # max_unpool2d after max_pool2d (how SegNet uses it): the maxima go back where they came from
    OpSpec("max_unpool2d", lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                    output_size=x.shape[-2:]),
           ref.max_unpool2d_after_pool, image, (DISTINCT,)),
    # ---- resizing ----
    OpSpec("interpolate:nearest", lambda x: F.interpolate(x, size=(3, 5)),
           lambda x: ref.interpolate(x, (3, 5)), lambda pick: image(pick, min_hw=1), (REAL,)),
    OpSpec("interpolate:nearest_scale", lambda x: F.interpolate(x, scale_factor=2),
           lambda x: ref.interpolate(x, (2 * x.shape[2], 2 * x.shape[3])), lambda pick: image(pick, 1, 3), (REAL,)),
    OpSpec("interpolate:bilinear", lambda x: F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=False),
           lambda x: ref.interpolate(x, (3, 5), "bilinear"), lambda pick: image(pick, min_hw=1), (REAL,)),
    OpSpec("interpolate:bilinear_align_corners",
           lambda x: F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=True),
           lambda x: ref.interpolate(x, (3, 5), "bilinear", align_corners=True),
           lambda pick: image(pick, min_hw=1), (REAL,)),
    # ---- reflect / replicate / circular padding (of the last 1 or 2 dims of a batch) ----
    OpSpec("pad:reflect", lambda x: pad(x, (2, 1), mode="reflect"), lambda x: ref.pad(x, (2, 1), "reflect"),
           lambda pick: ((pick(1, 2), pick(1, 2), pick(3, 4)),), (REAL,)),
    OpSpec("pad:reflect_2d", lambda x: pad(x, (1, 2, 2, 0), mode="reflect"),
           lambda x: ref.pad(x, (1, 2, 2, 0), "reflect"), lambda pick: image(pick, min_hw=3), (REAL,)),
    OpSpec("pad:replicate", lambda x: pad(x, (3, 1), mode="replicate"), lambda x: ref.pad(x, (3, 1), "replicate"),
           lambda pick: ((pick(1, 2), pick(1, 2), pick(1, 4)),), (REAL,)),
    OpSpec("pad:replicate_2d", lambda x: pad(x, (2, 1, 0, 2), mode="replicate"),
           lambda x: ref.pad(x, (2, 1, 0, 2), "replicate"), lambda pick: image(pick, min_hw=1), (REAL,)),
    OpSpec("pad:circular_2d", lambda x: pad(x, (1, 2, 2, 1), mode="circular"),
           lambda x: ref.pad(x, (1, 2, 2, 1), "circular"), lambda pick: image(pick, min_hw=2), (REAL,)),
    # ---- einsum (parity ops, issue 12) ----
    OpSpec("einsum", lambda a, b: einsum.einsum("ij,jk->ik", a, b), lambda a, b: np.einsum("ij,jk->ik", a, b),
           einsum_shapes("ij", "jk"), (REAL, REAL)),
    OpSpec("einsum:diagonal_and_sum_out", lambda a, b: einsum.einsum("iij,k->i", a, b),
           lambda a, b: np.einsum("iij,k->i", a, b), einsum_shapes("iij", "k"), (REAL, REAL)),
    OpSpec("einsum:ellipsis_broadcast", lambda a, b: einsum.einsum("...ij,...jk", a, b),
           lambda a, b: np.einsum("...ij,...jk", a, b), matmul_batched, (REAL, REAL)),
    OpSpec("einsum:trace", lambda a: einsum.einsum("ii", a), lambda a: np.einsum("ii", a),
           einsum_shapes("ii"), (REAL,)),
    # ---- ordering ----
    OpSpec("sort", lambda x: sort.sort(x), ref.sort, nonscalar, (DISTINCT,)),
    OpSpec("sort:descending_dim0", lambda x: sort.sort(x, 0, descending=True),
           lambda x: ref.sort(x, 0, True), nonscalar, (DISTINCT,)),
    OpSpec("topk", lambda x: sort.topk(x, 2), lambda x: ref.sort(x, -1, True, 2),
           lambda pick: (with_dim(pick, -1, pick(2, 4), 1, 3),), (DISTINCT,)),
    OpSpec("topk:smallest_dim0", lambda x: sort.topk(x, 1, dim=0, largest=False),
           lambda x: ref.sort(x, 0, False, 1), nonscalar, (DISTINCT,)),
    # ---- scans and products ----
    OpSpec("cumsum", lambda x: scan.cumsum(x, -1), lambda x: np.cumsum(x, axis=-1), nonscalar, (REAL,)),
    OpSpec("cumprod", lambda x: scan.cumprod(x, 0), lambda x: np.cumprod(x, axis=0), nonscalar, (REAL,)),
    OpSpec("prod", lambda x: scan.prod(x), lambda x: np.asarray(np.prod(x)), one, (REAL,)),
    OpSpec("prod:dim_keepdim", lambda x: scan.prod(x, 1, keepdim=True), lambda x: np.prod(x, axis=1, keepdims=True),
           matrix_or_more, (REAL,)),
    # ---- matrices ----
    OpSpec("tril", lambda x: linalg.tril(x), np.tril, matrix_or_more, (REAL,)),
    OpSpec("triu:offset", lambda x: linalg.triu(x, 1), lambda x: np.triu(x, 1), matrix_or_more, (REAL,)),
    OpSpec("diag:vector", lambda x: linalg.diag(x, -1), lambda x: np.diag(x, -1), lambda pick: ((pick(1, 4),),), (REAL,)),
    OpSpec("diag:matrix", lambda x: linalg.diag(x, 1), lambda x: np.diag(x, 1).copy(),
           lambda pick: ((pick(1, 4), pick(2, 4)),), (REAL,)),
    OpSpec("outer", lambda x, y: linalg.outer(x, y), np.outer, lambda pick: ((pick(1, 4),), (pick(1, 4),)), (REAL, REAL)),
    OpSpec("bmm", lambda x, y: matmul.bmm(x, y), np.matmul, lambda pick: einsum_shapes("bij", "bjk")(pick), (REAL, REAL)),
    OpSpec("baddbmm", lambda x, a, b: linalg.baddbmm(x, a, b, beta=0.5, alpha=2.0),
           lambda x, a, b: 0.5 * x + 2.0 * (a @ b), baddbmm_shapes, (REAL, REAL, REAL)),
    OpSpec("vector_norm", lambda x: linalg.vector_norm(x, 3, dim=(0, -1)),
           lambda x: (np.abs(x) ** 3).sum(axis=(0, -1)) ** (1 / 3), matrix_or_more, (AWAY_FROM_0,)),
    OpSpec("linalg_norm:matrix_ord1", lambda x: linalg.norm(x, ord=1), ref.matrix_norm_1,
           lambda pick: ((pick(1, 4), pick(1, 4)),), (AWAY_FROM_0,)),
    # ---- reading and writing at indices ----
    OpSpec("gather", lambda x, i: gather.gather(x, 0, i),
           lambda x, i: np.take_along_axis(x[:, :i.shape[1]], i, axis=0), gather_shapes, (REAL, ROW_INDICES)),
    OpSpec("scatter", lambda x, i, src: gather.scatter(x, 0, i, src), ref.scatter,
           scatter_shapes, (REAL, DISTINCT_ROW_INDICES, REAL)),
    OpSpec("scatter_add", lambda x, i, src: gather.scatter_add(x, 0, i, src),
           lambda x, i, src: ref.scatter(x, i, src, add=True), scatter_shapes, (REAL, ROW_INDICES, REAL)),
    OpSpec("index_select", lambda x, i: gather.index_select(x, 0, i), lambda x, i: np.take(x, i, axis=0),
           lambda pick: (shape(pick, 1, 3), (pick(1, 4),)), (REAL, ROW_INDICES)),
    OpSpec("take_along_dim", lambda x, i: gather.take_along_dim(x, i, 0),
           lambda x, i: np.take_along_axis(x, i, axis=0), take_along_dim_shapes, (REAL, ROW_INDICES)),
    OpSpec("unfold", lambda x: gather.unfold(x, -1, 2, 1), lambda x: ref.tensor_unfold(x, x.ndim - 1, 2, 1),
           lambda pick: (with_dim(pick, -1, pick(2, 4), 1, 3),), (REAL,)),
    OpSpec("unfold:step", lambda x: gather.unfold(x, 0, 1, 2), lambda x: ref.tensor_unfold(x, 0, 1, 2), nonscalar, (REAL,)),
    # ---- functional parity ops: im2col / col2im, similarities, attention ----
    OpSpec("unfold_im2col", lambda x: fold.unfold(x, 2, dilation=(1, 2), padding=1, stride=(2, 1)),
           lambda x: ref.unfold_blocks(x, 2, (2, 1), 1, (1, 2)), lambda pick: image(pick, min_hw=2), (REAL,)),
    OpSpec("fold_col2im", lambda x: fold.fold(x, (3, 4), 2, padding=1, stride=2),
           lambda x: ref.fold(x, (3, 4), 2, 2, 1, 1), lambda pick: ((pick(1, 2), 4 * pick(1, 2), 6),), (REAL,)),
    OpSpec("normalize", lambda x: similarity.normalize(x, dim=-1),
           lambda x: x / np.sqrt((x * x).sum(axis=-1, keepdims=True)), nonscalar, (AWAY_FROM_0,)),
    OpSpec("cosine_similarity", lambda x, y: similarity.cosine_similarity(x, y, dim=-1),
           lambda x, y: (x * y).sum(-1) / np.sqrt((x * x).sum(-1) * (y * y).sum(-1)),
           lambda pick: broadcastable(pick, 2, min_dims=1), (AWAY_FROM_0, AWAY_FROM_0)),
    OpSpec("pairwise_distance", lambda x, y: similarity.pairwise_distance(x, y),
           lambda x, y: np.sqrt(((x - y + 1e-6) ** 2).sum(-1)), lambda pick: (shape(pick, 2, 2),) * 2, (REAL, REAL)),
    OpSpec("scaled_dot_product_attention", lambda q, k, v: attention.scaled_dot_product_attention(q, k, v),
           ref.scaled_dot_product_attention, attention_shapes, (REAL, REAL, REAL)),
    OpSpec("scaled_dot_product_attention:causal",
           lambda q, k, v: attention.scaled_dot_product_attention(q, k, v, is_causal=True),
           lambda q, k, v: ref.scaled_dot_product_attention(q, k, v, causal=True),
           lambda pick: tuple(s[:1] + (3,) + s[2:] for s in attention_shapes(pick)), (REAL, REAL, REAL)),
    # ---- recurrent cells (x, h, c, W_ih, W_hh, b_ih, b_hh) and pixel shuffle ----
    OpSpec("lstm_cell", lambda *a: lstm_cell(*a), ref.lstm_cell, lambda pick: recurrent_cell(pick, 4, c=True),
           (REAL,) * 7),
    OpSpec("lstm_cell:no_bias", lambda *a: lstm_cell(*a), ref.lstm_cell,
           lambda pick: recurrent_cell(pick, 4, c=True, bias=False), (REAL,) * 5),
    OpSpec("gru_cell", lambda *a: gru_cell(*a), None, lambda pick: recurrent_cell(pick, 3), (REAL,) * 6),
    OpSpec("rnn_cell", lambda *a: rnn_cell(*a), lambda x, h, w, u, b, d: np.tanh(x @ w.T + b + h @ u.T + d),
           lambda pick: recurrent_cell(pick, 1), (REAL,) * 6),
    OpSpec("pixel_shuffle", lambda x: pixel_shuffle(x, 2), lambda x: ref.pixel_shuffle(x, 2),
           lambda pick: ((pick(1, 2), 4 * pick(1, 2), pick(1, 3), pick(1, 3)),), (REAL,)),
    OpSpec("pixel_unshuffle", lambda x: pixel_unshuffle(x, 2), None,
           lambda pick: ((pick(1, 2), pick(1, 2), 2 * pick(1, 2), 2 * pick(1, 2)),), (REAL,)),
]
# fmt: on

OPS_BY_NAME = {spec.name: spec for spec in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op table: two entries share a name"


# --------------------------------------------------------------------- inputs
def random_pick(rng):
    """``pick(low, high)`` drawing from a NumPy Generator (what the CLI uses)."""
    return lambda low, high: int(rng.integers(low, high + 1))


def draw_array(domain, shape, rng, shapes):
    """A NumPy array of ``shape`` with values from ``domain`` (``shapes``: all the
    entry's input shapes, for the class count of class-index targets)."""
    if domain in FLOAT_DOMAINS:
        # np.asarray: for shape () NumPy's generators return a scalar, and ops expect a 0-d array
        return np.asarray(_draw_float(domain, shape, rng), dtype=np.float64)
    if domain == BOOL:
        return np.asarray(rng.uniform(size=shape) < 0.5)
    if domain in (CLASS_INDICES, CLASS_INDICES_SOME_IGNORED):
        logits_shape = shapes[0]
        n_classes = logits_shape[1] if len(logits_shape) > 1 else logits_shape[0]
        target = np.asarray(rng.integers(0, n_classes, shape), dtype=np.int64)
        if domain == CLASS_INDICES_SOME_IGNORED:
            target[rng.uniform(size=shape) < 1 / 3] = IGNORE_INDEX
            target.reshape(-1)[:1] = rng.integers(0, n_classes)  # keep one, so a mean is defined
        return target
    if domain == DISTINCT_ROW_INDICES:
        return np.stack([rng.permutation(shapes[0][0])[:shape[0]] for _ in range(shape[1])], axis=1).astype(np.int64)
    if domain == ROW_INDICES:
        rows = np.asarray(rng.integers(0, shapes[0][0], shape), dtype=np.int64)
        flat = rows.reshape(-1)
        flat[-1:] = flat[:1]  # a repeated row, whose gradients must add up
        return rows
    raise ValueError(f"op table: unknown value domain {domain!r}")


def _draw_float(domain, shape, rng):
    if domain == REAL:
        return rng.uniform(-2, 2, shape)
    if domain == POSITIVE:
        return rng.uniform(0.5, 2, shape)
    if domain == AWAY_FROM_0:
        return rng.uniform(0.2, 2, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == DISTINCT:
        size = math.prod(shape)
        return (rng.permutation(size) * (4 / max(size - 1, 1)) - 2).reshape(shape)
    if domain == AWAY_FROM_INTEGERS:
        return rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.9, shape)  # k + frac, frac in [0.1, 0.9]
    if domain == WHOLE:
        return rng.integers(-3, 4, shape).astype(np.float64)
    assert domain == UNIT_INTERVAL
    return rng.uniform(0.05, 0.95, shape)


def make_arrays(spec, shapes, rng):
    """NumPy arrays (float64, bool or int64) for the inputs of ``spec``."""
    return [draw_array(domain, s, rng, shapes) for domain, s in zip(spec.domains, shapes)]


def make_inputs(spec, shapes, rng):
    """Tensors for the inputs of ``spec``: float64, with ``requires_grad`` on the
    differentiable ones."""
    arrays = make_arrays(spec, shapes, rng)
    return [Tensor(a, requires_grad=g) for a, g in zip(arrays, spec.requires_grad())]


def sample(spec, rng):
    """Random shapes and input tensors for ``spec``: ``(shapes, inputs)``."""
    shapes = spec.shapes(random_pick(rng))
    return shapes, make_inputs(spec, shapes, rng)
