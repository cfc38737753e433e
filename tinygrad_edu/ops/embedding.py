"""``embedding``: look up rows of a weight matrix by integer index (word embeddings,
learned positional encodings).

An embedding is the same as multiplying a one-hot matrix by the weight,
onehot(idx) @ W, but a gather costs O(number of indices * D) instead of
O(number of indices * V * D).
"""
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor


class Embedding(Function):
    """z[..., :] = W[idx[...], :]  for W of shape (V, D) and integer idx of any shape.

    Backward: row v of W was copied to every position where idx == v, so its gradient
    is the sum of the upstream gradients at those positions (a scatter-add):
        dL/dW[v] = sum over positions i with idx[i] == v of g[i]
    Rows that were never selected get 0; the row ``padding_idx`` gets 0 too (it stays a
    fixed "pad" vector). The indices themselves get no gradient.

    The scatter-add is one ``bincount``: position i, column d adds g[i, d] to bin
    idx[i] * D + d, so all rows and columns are summed in a single pass without
    ``add.at`` and with any array namespace.
    """

    @staticmethod
    def forward(ctx, indices, weight, padding_idx):
        xp = get_array_module(weight)
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        xp = get_array_module(g)
        num_embeddings, dim = ctx.weight_shape
        bins = (indices.reshape(-1, 1) * dim + xp.arange(dim)).reshape(-1)
        gw = xp.bincount(bins, weights=g.reshape(-1), minlength=num_embeddings * dim)
        gw = gw.reshape(num_embeddings, dim).astype(g.dtype, copy=False)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return None, gw, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (V, D) selected by the integer tensor ``input``: the result has
    shape ``input.shape + (D,)``. The row ``padding_idx`` (negative counts from the
    end) receives no gradient.

        y[..., :] = weight[input[...], :]

    Shape:
        - Input: (*), integer indices in [0, num_embeddings)
        - Weight: (num_embeddings, embedding_dim)
        - Output: (*, embedding_dim)

    Backward: ops/embedding.py (Embedding): dL/dW[v] = sum of g over positions with input == v.
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.array.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding: expected indices of an integer dtype (Long or Int), got {input.dtype} (shape {input.shape})"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    num_embeddings = weight.shape[0]
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings ({num_embeddings})")
        padding_idx %= num_embeddings
    idx = input.array
    if idx.size and bool(((idx < 0) | (idx >= num_embeddings)).any()):
        bad = int(idx[(idx < 0) | (idx >= num_embeddings)].ravel()[0])
        raise IndexError(f"embedding: index {bad} is out of range for an embedding with {num_embeddings} rows (0..{num_embeddings - 1})")
    return Embedding.apply(input, weight, padding_idx)
