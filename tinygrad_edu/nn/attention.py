"""``MultiheadAttention``: scaled dot-product attention over several heads, with PyTorch's
arguments and parameter names (``in_proj_weight``, ``in_proj_bias``, ``out_proj``), so a
``state_dict`` ports in both directions.

For queries Q (L, d), keys K (S, d) and values V (S, d_v), one head computes

    A = softmax(Q K^T / sqrt(d) + M)      (L, S): row i says how much query i reads each key
    out = A V                             (L, d_v)

where the mask M holds 0 where attending is allowed and -inf where it is not. With h heads,
the embedding E is projected three times (Q = x W_q^T + b_q, ...; the three weights are the
row blocks of ``in_proj_weight`` (3E, E)), split into h heads of size E / h, each head
attends on its own, and the heads' outputs are concatenated and mixed by ``out_proj``.

Everything is built from existing ops (linear, matmul, softmax, masked_fill), so the
backward is the engine's: the gradients of those ops are in ``ops/matmul.py`` and
``ops/softmax.py``. Attention itself has no positions: permuting the keys and values
together does not change the output, which is why a Transformer adds positional encodings.
"""
import math

from .. import creation
from ..ops.dropout import dropout
from ..ops.matmul import linear
from ..ops.softmax import softmax
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


def _scaled_dot_product_attention(q, k, v, mask=None, dropout_p=0.0, training=False):
    """softmax(q k^T / sqrt(d) + mask) v over the last two dims; returns (output, weights).

    ``q`` (..., L, d), ``k`` (..., S, d), ``v`` (..., S, d_v). ``mask`` broadcasts to
    (..., L, S): a boolean mask is True where attending is *not* allowed (PyTorch's
    MultiheadAttention convention), a floating mask is added to the scores. Private to
    this layer: the public ``F.scaled_dot_product_attention`` lives with the other
    functional ops.
    """
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf")) if mask.dtype.kind == "b" else scores + mask
    weights = softmax(scores, -1)
    if dropout_p > 0 and training:
        weights = dropout(weights, dropout_p, True)
    return weights @ v, weights


class MultiheadAttention(Module):
    """Multi-head attention (``torch.nn.MultiheadAttention``).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``.

    Shapes: query (L, N, E) and key/value (S, N, kdim/vdim), or N first with
    ``batch_first=True``, or unbatched (L, E). ``attn_mask`` (L, S) or (N * num_heads, L, S),
    ``key_padding_mask`` (N, S); both boolean (True = do not attend) or floating (added to
    the scores). ``attn_weights`` is (N, L, S) averaged over heads, or
    (N, num_heads, L, S) with ``average_attn_weights=False``, or None when
    ``need_weights=False``.

    Parameters: ``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E,) when kdim = vdim = E
    (else ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``), and ``out_proj``
    (a Linear E -> E). Initialisation as PyTorch: xavier-uniform projections, zero biases.
    Not supported (a clear error): ``add_bias_kv`` and ``add_zero_attn``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) and num_heads ({num_heads}) must be positive")
        if embed_dim % num_heads != 0:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported here")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        make = dict(device=device, dtype=dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **make))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, **make))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, **make))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, **make))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **make))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **make)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        """(W_q, W_k, W_v) and (b_q, b_k, b_v): row blocks of the packed parameters."""
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return weights, biases

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"MultiheadAttention: query, key and value must all be 3-D (batched) or all 2-D (unbatched), "
                f"got shapes {query.shape}, {key.shape}, {value.shape}"
            )
        if not batched:  # (L, E) -> (1, L, E)
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, E = query.shape
        S = key.shape[1]
        if E != self.embed_dim:
            raise ValueError(f"MultiheadAttention: query has embedding size {E}, expected embed_dim={self.embed_dim}")
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal=True needs attn_mask (a hint, as in PyTorch)")

        (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projections()
        h, d = self.num_heads, self.head_dim
        # (N, L, E) -> (N, h, L, d): each head sees its own d columns of the projection
        q = linear(query, w_q, b_q).reshape(N, L, h, d).transpose(1, 2)
        k = linear(key, w_k, b_k).reshape(N, S, h, d).transpose(1, 2)
        v = linear(value, w_v, b_v).reshape(N, S, h, d).transpose(1, 2)

        mask = self._merged_mask(attn_mask, key_padding_mask, N, L, S, q.dtype)
        out, weights = _scaled_dot_product_attention(q, k, v, mask, self.dropout, self.training)
        out = self.out_proj(out.transpose(1, 2).reshape(N, L, E))  # heads side by side, then mixed

        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))

    def _merged_mask(self, attn_mask, key_padding_mask, N, L, S, dtype):
        """One mask broadcastable to (N, h, L, S): boolean if both masks are boolean (True =
        blocked), else floating with -inf where a boolean mask blocks."""
        masks = []
        if attn_mask is not None:
            if attn_mask.ndim == 2:
                if tuple(attn_mask.shape) != (L, S):
                    raise RuntimeError(f"MultiheadAttention: the 2-D attn_mask should be of size {(L, S)}, got {tuple(attn_mask.shape)}")
                masks.append(attn_mask)
            elif attn_mask.ndim == 3:
                if tuple(attn_mask.shape) != (N * self.num_heads, L, S):
                    raise RuntimeError(
                        f"MultiheadAttention: the 3-D attn_mask should be of size {(N * self.num_heads, L, S)}, "
                        f"got {tuple(attn_mask.shape)}"
                    )
                masks.append(attn_mask.reshape(N, self.num_heads, L, S))
            else:
                raise RuntimeError(f"MultiheadAttention: attn_mask must be 2-D or 3-D, got {attn_mask.ndim}-D")
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (N, S):
                raise RuntimeError(f"MultiheadAttention: key_padding_mask should be of size {(N, S)}, got {tuple(key_padding_mask.shape)}")
            masks.append(key_padding_mask.reshape(N, 1, 1, S))
        if not masks:
            return None
        if all(m.dtype.kind == "b" for m in masks):
            return masks[0] if len(masks) == 1 else masks[0] | masks[1]
        total = None
        for m in masks:
            if m.dtype.kind == "b":
                m = creation.zeros(*m.shape, dtype=dtype, device=m.device).masked_fill(m, float("-inf"))
            total = m if total is None else total + m
        return total

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
