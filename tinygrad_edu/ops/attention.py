"""``scaled_dot_product_attention``: softmax(Q K^T * scale + mask) V, the core of a
transformer layer, written as the composition of matmul, softmax and dropout."""
import math

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor
from . import dropout as dropout_ops
from . import elementwise, matmul, softmax


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """Attention of each query over all keys (PyTorch's ``F.scaled_dot_product_attention``).

        A = softmax(Q K^T * scale + M)         (each row of A sums to 1)
        out = dropout(A, dropout_p) V

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> out (..., L, Ev);
    the leading dims broadcast. ``scale`` defaults to 1 / sqrt(E). ``attn_mask``: a bool
    mask (True = may attend; False becomes -inf in M) or a float mask added as M, of a
    shape that broadcasts to (..., L, S). ``is_causal=True``: query i attends to keys
    j <= i only (the upper-left triangle, as PyTorch; no attn_mask with it). A query
    that may attend to nothing gets NaN, as in PyTorch.

    Backward: no Function of its own. The chain rule through matmul (``ops/matmul.py``),
    softmax (``ops/softmax.py``: dL/ds = A * (g - sum(g * A))) and dropout gives the
    three gradients, e.g. dL/dV = A^T g.
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa=True is not supported")
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: {name} must be a Tensor of at least 2 dims (..., L, E), "
                               f"got {getattr(t, 'shape', type(t).__name__)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query {query.shape}, key {key.shape} and value {value.shape} "
                           "do not fit: expected (..., L, E), (..., S, E), (..., S, Ev)")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: _scaled_dot_product_attention: Explicit attn_mask should "
                           "not be set when is_causal=True")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = elementwise.mul(matmul.matmul(query, key.transpose(-2, -1)), scale)
    if is_causal:
        xp = get_array_module(query.array)
        attn_mask = Tensor._wrap(xp.tril(xp.ones((length, source), dtype=np.bool_)))
    if attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            scores = elementwise.masked_fill(scores, ~attn_mask, -math.inf)
        else:
            scores = elementwise.add(scores, attn_mask)
    weights = softmax.softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout_ops.dropout(weights, dropout_p, training=True)
    return matmul.matmul(weights, value)
