"""NumPy references: the ops written plainly in NumPy (float64), to compare forwards with.

Used by the op table (``op_table.OPS``), the tests and exercise graders. Each is the
textbook formula, written for clarity, not speed (convolution and pooling loop over
the kernel taps or windows).
"""
import math

import numpy as np

from ..kernels import output_size
from ..kernels.unfold import col2im_reference, im2col_reference


def logsumexp(x, axis, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis):
    return x - logsumexp(x, axis, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _reduce(loss_values, reduction, weights=None):
    """PyTorch's reduction: 'none', 'sum', or 'mean' (weighted by ``weights`` if given)."""
    if reduction == "none":
        return loss_values
    if reduction == "sum":
        return loss_values.sum()
    return loss_values.sum() / (loss_values.size if weights is None else weights.sum())


def nll(logp, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """nll_loss / cross_entropy (given log-probabilities) with class dim 1, or 0 for an
    unbatched (C,) input; label smoothing mixes in the mean over all classes."""
    unbatched = logp.ndim == 1
    if unbatched:
        logp, target = logp[None], target[None]
    logp = np.moveaxis(logp, 1, -1)  # classes last
    n_classes = logp.shape[-1]
    w = np.ones(n_classes) if weight is None else weight
    kept = target != ignore_index
    t = np.where(kept, target, 0)
    w_t = w[t] * kept
    picked = -np.take_along_axis(logp, t[..., None], axis=-1)[..., 0] * w_t
    smooth = -(logp * w).sum(axis=-1) * kept
    values = (1 - label_smoothing) * picked + label_smoothing / n_classes * smooth
    if unbatched and reduction == "none":
        values = values[0]
    return _reduce(values, reduction, w_t)


def cross_entropy(x, target, weight=None, **kwargs):
    return nll(log_softmax(x, axis=0 if x.ndim == 1 else 1), target, weight, **kwargs)


def smooth_l1(x, t, beta=1.0, reduction="mean"):
    d = np.abs(x - t)
    return _reduce(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def bce(x, t, weight=None, reduction="mean"):
    values = -(t * np.log(x) + (1 - t) * np.log(1 - x))
    return _reduce(values if weight is None else values * weight, reduction)


def bce_with_logits(x, t, pos_weight=None, reduction="mean"):
    log_sigmoid, log_one_minus = -np.log1p(np.exp(-x)), -np.log1p(np.exp(x))
    pw = 1.0 if pos_weight is None else pos_weight
    return _reduce(-(pw * t * log_sigmoid + (1 - t) * log_one_minus), reduction)


def pad(x, amounts, mode="constant", value=0.0):
    """``F.pad`` with NumPy: ``amounts`` lists (left, right) pairs from the last dim backwards."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(amounts) // 2):
        widths[x.ndim - 1 - i] = (amounts[2 * i], amounts[2 * i + 1])
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    kwargs = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, widths, mode=np_mode, **kwargs)


def _as_pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct convolution (cross-correlation, as PyTorch), one output pixel at a time:
    out[n, o, i, j] = b[o] + sum over c, k, l of x_padded[n, c, i*s + k*d, j*s + l*d] * w[o, c, k, l],
    c running over the input channels of o's group. ``padding="same"`` pads d*(k-1) in
    total, the odd pixel at the bottom/right."""
    (sh, sw), (dh, dw) = _as_pair(stride), _as_pair(dilation)
    oc, cg, kh, kw = w.shape
    if padding == "same":
        total_h, total_w = dh * (kh - 1), dw * (kw - 1)
        widths = ((total_h // 2, total_h - total_h // 2), (total_w // 2, total_w - total_w // 2))
    else:
        widths = tuple((p, p) for p in _as_pair(padding))
    x = np.pad(x, ((0, 0), (0, 0)) + widths)
    oh, ow = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1, (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    og = oc // groups
    out = np.zeros((x.shape[0], oc, oh, ow))
    for g in range(groups):
        xg, wg = x[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og]
        for i in range(oh):
            for j in range(ow):
                patch = xg[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, g * og:(g + 1) * og, i, j] = np.einsum("nckl,ockl->no", patch, wg)
    return out if b is None else out + b[:, None, None]


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution by scattering: input pixel (i, j) adds x[n, c, i, j] * w[c, o]
    (a dilated kernel) at rows i*s, i*s + d, ... of a full output, which is then cropped by
    ``padding`` on both sides (``output_padding`` extra rows/cols stay at the bottom/right)."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(_as_pair, (stride, padding, output_padding, dilation))
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full = np.zeros((n, og * groups, (h - 1) * sh + dh * (kh - 1) + 1 + oph, (wd - 1) * sw + dw * (kw - 1) + 1 + opw))
    for g in range(groups):
        for i in range(h):
            for j in range(wd):
                contribution = np.einsum("nc,cokl->nokl", x[:, g * cg:(g + 1) * cg, i, j], w[g * cg:(g + 1) * cg])
                full[:, g * og:(g + 1) * og, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                     j * sw:j * sw + dw * (kw - 1) + 1:dw] += contribution
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b[:, None, None]


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d is conv2d on a one-pixel-high image."""
    return conv2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding), (1, dilation), groups)[:, :, 0]


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each window of x padded with -inf (more at the bottom/right for ceil_mode's
    last window); the index of a max is its flat position h * W + w in x."""
    (kh, kw), (ph, pw), (dh, dw) = _as_pair(kernel_size), _as_pair(padding), _as_pair(dilation)
    sh, sw = _as_pair(kernel_size if stride is None else stride)
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, ph, dh, ceil_mode), output_size(w, kw, sw, pw, dw, ceil_mode)
    widths = ((ph, ph + sh * kh), (pw, pw + sw * kw))
    padded = np.pad(x, ((0, 0), (0, 0)) + widths, constant_values=-np.inf)
    positions = np.pad(np.arange(h * w).reshape(h, w), widths, constant_values=-1)
    out, indices = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh), slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            window = padded[:, :, rows, cols].reshape(n, c, -1)
            out[:, :, i, j] = window.max(axis=-1)
            indices[:, :, i, j] = positions[rows, cols].reshape(-1)[window.argmax(axis=-1)]
    return (out, indices) if return_indices else out


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                    divisor_override=None):
    """Mean over each window. PyTorch's divisor: the window clipped to the padded input
    (count_include_pad=True) or to the input itself (False)."""
    (kh, kw), (ph, pw) = _as_pair(kernel_size), _as_pair(padding)
    sh, sw = _as_pair(kernel_size if stride is None else stride)
    h, w = x.shape[2:]
    oh, ow = output_size(h, kh, sh, ph, 1, ceil_mode), output_size(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            top, left = i * sh - ph, j * sw - pw
            bottom, right = min(top + kh, h + ph), min(left + kw, w + pw)
            in_padded = (bottom - top) * (right - left)
            top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, h), min(right, w)
            divisor = divisor_override or (in_padded if count_include_pad else (bottom - top) * (right - left))
            out[:, :, i, j] = x[:, :, top:bottom, left:right].sum(axis=(2, 3)) / divisor
    return out


def adaptive_pool2d(x, output_size, reduce):
    """Bin i of a dim of size n covers [floor(i*n/out), ceil((i+1)*n/out)); ``reduce`` each bin."""
    (oh, ow), (h, w) = _as_pair(output_size), x.shape[2:]
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, -(-(i + 1) * h // oh))
            cols = slice(j * w // ow, -(-(j + 1) * w // ow))
            out[:, :, i, j] = reduce(x[:, :, rows, cols], axis=(2, 3))
    return out


def max_unpool2d_after_pool(x):
    """max_unpool2d(max_pool2d(x, 2)) back to x's size: x where x is the maximum of its
    (complete) 2x2 window, 0 elsewhere."""
    h, w = (x.shape[2] // 2) * 2, (x.shape[3] // 2) * 2
    window_max = x[:, :, :h, :w].reshape(*x.shape[:2], h // 2, 2, w // 2, 2).max(axis=(3, 5))
    out = np.zeros_like(x)
    kept = x[:, :, :h, :w] == np.repeat(np.repeat(window_max, 2, axis=2), 2, axis=3)
    out[:, :, :h, :w] = np.where(kept, x[:, :, :h, :w], 0.0)
    return out


def _resize_matrix(n_in, n_out, mode, align_corners=False):
    """(n_out, n_in) matrix R with out = R @ in along one dim: row o holds the weights of the
    input pixels that output pixel o reads (a one-hot row for nearest, two for linear)."""
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if mode == "nearest":
            m[o, min(o * n_in // n_out, n_in - 1)] = 1.0
            continue
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(src), n_in - 1)
        i1, frac = min(i0 + 1, n_in - 1), src - i0
        m[o, i0] += 1 - frac
        m[o, i1] += frac
    return m


def interpolate(x, size, mode="nearest", align_corners=False):
    """Separable resizing: rows with one matrix, columns with another."""
    rows = _resize_matrix(x.shape[2], size[0], mode, align_corners)
    cols = _resize_matrix(x.shape[3], size[1], mode, align_corners)
    return np.einsum("ih,nchw,jw->ncij", rows, x, cols)


def normalize(x, axes, eps=1e-5):
    """(x - mean) / sqrt(biased var + eps) over ``axes``."""
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def per_channel(v, ndim):
    """A (C,) vector shaped to broadcast along dim 1 of an ndim-dim input."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(x, w=None, b=None):
    y = normalize(x, (0,) + tuple(range(2, x.ndim)))
    y = y if w is None else y * per_channel(w, x.ndim)
    return y if b is None else y + per_channel(b, x.ndim)


def batch_norm_eval(x, running_mean, running_var, w, b):
    y = (x - per_channel(running_mean, x.ndim)) / np.sqrt(per_channel(running_var, x.ndim) + 1e-5)
    return y * per_channel(w, x.ndim) + per_channel(b, x.ndim)


def group_norm(x, groups, w, b):
    y = normalize(x.reshape(x.shape[0], groups, -1), 2).reshape(x.shape)
    return y * per_channel(w, x.ndim) + per_channel(b, x.ndim)


def rms_norm(x, k, w):
    axes = tuple(range(x.ndim - k, x.ndim))
    return x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + np.finfo(np.float64).eps) * w


def dropout_mask(shape, p, seed):
    """The mask ``dropout(..., generator=Generator().manual_seed(seed))`` draws: the generator
    is NumPy's PCG64 seeded with ``seed``; an element is kept when its uniform draw is >= p."""
    return (np.random.default_rng(seed).random(shape) >= p) / (1 - p)


# ------------------------------------------------------------- parity ops (issue 12)
def sort(x, axis=-1, descending=False, k=None):
    order = np.argsort(-x if descending else x, axis=axis, kind="stable")
    if k is not None:
        order = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, order, axis=axis), order


def scatter(x, index, src, add=False):
    out = x.copy()
    rows, cols = index, np.arange(index.shape[1])[None, :].repeat(index.shape[0], 0)
    if add:
        np.add.at(out, (rows, cols), src[:, :index.shape[1]])
    else:
        out[rows, cols] = src[:, :index.shape[1]]
    return out


def tensor_unfold(x, dim, size, step):
    n = x.shape[dim]
    windows = [np.take(x, np.arange(i, i + size), axis=dim) for i in range(0, n - size + 1, step)]
    return np.moveaxis(np.stack(windows, axis=dim), dim + 1, -1)


def unfold_blocks(x, k, stride, padding, dilation):
    """F.unfold with the loop im2col of kernels/unfold.py, in PyTorch's (N, C*kh*kw, L) layout."""
    cols = im2col_reference(x, _as_pair(k), _as_pair(stride), _as_pair(padding), _as_pair(dilation))
    c, kh, kw, n, oh, ow = cols.shape
    return cols.reshape(c * kh * kw, n, oh * ow).transpose(1, 0, 2)


def fold(blocks, hw, k, stride, padding, dilation):
    n, ck, length = blocks.shape
    (kh, kw), image = _as_pair(k), (n, ck // (_as_pair(k)[0] * _as_pair(k)[1])) + hw
    oh = output_size(hw[0], kh, stride, padding, dilation)
    cols = blocks.transpose(1, 0, 2).reshape(image[1], kh, kw, n, oh, length // oh)
    return col2im_reference(cols, image, (kh, kw), _as_pair(stride), _as_pair(padding), _as_pair(dilation))


def scaled_dot_product_attention(q, k, v, causal=False):
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], dtype=bool)), scores, -np.inf)
    return softmax(scores, -1) @ v


def matrix_norm_1(x):
    return np.abs(x).sum(axis=0).max()
def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, gates i, f, g, o (PyTorch's order): returns (h', c')."""
    a = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih) + (0 if b_hh is None else b_hh)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    c_new = sigmoid(a_f) * c + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(c_new), c_new


def pixel_shuffle(x, r):
    """(*, C r^2, H, W) -> (*, C, H r, W r), written with an explicit loop over the r x r offsets."""
    *batch, c, h, w = x.shape
    out = np.empty((*batch, c // (r * r), h * r, w * r), dtype=x.dtype)
    for i in range(r):
        for j in range(r):
            out[..., i::r, j::r] = x[..., (i * r + j)::(r * r), :, :]
    return out

