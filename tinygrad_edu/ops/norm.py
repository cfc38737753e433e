"""Normalisation: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm``,
``rms_norm`` (PyTorch's ``torch.nn.functional`` signatures).

Each one normalises x over a set of elements, xhat = (x - mean) / sqrt(var + eps),
then applies an optional affine map y = weight * xhat + bias. They differ only in
which elements share one mean and variance, for x of shape (N, C, *spatial):

    batch_norm     per channel: over N and the spatial dims (dims 0, 2, 3, ...)
    instance_norm  per (sample, channel): over the spatial dims
    group_norm     per (sample, group of C/G channels): over those channels and space
    layer_norm     per sample: over the last len(normalized_shape) dims
    rms_norm       as layer_norm, but divides by the root mean square (no centring)

All variances used to normalise are *biased* (divide by M, the number of elements
averaged), as in PyTorch. Every backward is a hand-written closed form.

``batch_norm`` has its own ``Function`` (its training backward is an exercise body and
it also keeps the running statistics). ``layer_norm``, ``group_norm`` and
``instance_norm`` share ``Normalize``: each views x as R rows of M elements, normalises
every row on its own and applies weight/bias along the axes they live on.
"""
import numpy as np

from .. import kernels
from ..backend import get_array_module
from ..autograd.function import Function


def _update_running(running, stat, momentum):
    """running <- (1 - momentum) * running + momentum * stat, written into the array
    itself (the buffer's ``.array``): the running statistics are state, not part of the
    graph. As in PyTorch, no version counter is bumped. Two in-place steps give the bits
    of the one-line form (the product is rounded to running's dtype first either way)
    with one temporary fewer."""
    running *= 1 - momentum
    running += momentum * stat


# --------------------------------------------------------------------------- batch norm
class BatchNorm(Function):
    """y = weight * xhat + bias,  xhat = (x - mu) * rstd,  rstd = 1 / sqrt(var + eps),
    for x of shape (N, C, *): one mu and var per channel c, over the M = N * prod(*)
    elements of that channel.

    Training (``training=True``): mu and var are the batch's own mean and *biased*
    variance, var = (1/M) sum (x - mu)^2, so mu and var depend on x. Writing
    dxhat = g * weight (g = dL/dy) and summing over the M elements of a channel:

        dxhat_j/dx_i = rstd * ([i == j] - 1/M - xhat_i * xhat_j / M)

    (the -1/M from mu; the last term from var: d rstd/dx_i = -rstd^3 (x_i - mu) / M,
    where the mu-part of d var/dx_i vanishes because sum (x_j - mu) = 0). Hence

        dL/dx      = rstd / M * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
        dL/dweight = sum(g * xhat)          dL/dbias = sum(g)

    Evaluation (``training=False``): mu and var are the running statistics, constants
    here, so y is an affine function of x and dL/dx = dxhat * rstd (same dweight, dbias).

    Running statistics (training with buffers given) are updated in place with the
    *unbiased* batch variance, var_u = sum (x - mu)^2 / (M - 1):
        running_mean <- (1 - momentum) * running_mean + momentum * mu
        running_var  <- (1 - momentum) * running_var  + momentum * var_u
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        # BEGIN SOLUTION task 4.1
        xp = get_array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))  # every dim but the channel dim 1
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # per-channel values, broadcastable to x
        m = x.size // x.shape[1]
        if training:
            mu = x.mean(axis=axes, keepdims=True)
            xc = x - mu
            squares = (xc * xc).sum(axis=axes, keepdims=True)
            var = squares / m  # biased: normalises the batch
            if running_mean is not None:
                _update_running(running_mean, mu.reshape(-1), momentum)
                _update_running(running_var, (squares / (m - 1)).reshape(-1), momentum)  # unbiased
        else:
            xc = x - running_mean.reshape(shape).astype(x.dtype, copy=False)
            var = running_var.reshape(shape).astype(x.dtype, copy=False)
        rstd = 1 / xp.sqrt(var + eps)
        # xc is this op's own temporary, so it becomes xhat in place, and bias is added in
        # place: each activation-sized temporary is as large as the input (memory, not math)
        xhat = xc
        xhat *= rstd
        y = xhat
        if weight is not None:
            weight = weight.astype(x.dtype, copy=False)
            y = y * weight.reshape(shape)
        if bias is not None:
            bias = bias.astype(x.dtype, copy=False).reshape(shape)
            if y is xhat:
                y = y + bias  # a new array: xhat is saved for the backward
            else:
                y += bias  # y is the new array weight * xhat
        ctx.save_for_backward(xhat, rstd, weight)
        ctx.axes, ctx.shape, ctx.m, ctx.training = axes, shape, m, training
        return y
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 4.2
        xhat, rstd, weight = ctx.saved_tensors
        axes, m = ctx.axes, ctx.m
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            dxhat = g if weight is None else g * weight.reshape(ctx.shape)
            if ctx.training:
                # rstd / M * (M dxhat - sum(dxhat) - xhat sum(dxhat xhat)), written as
                # rstd * (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) into one array:
                # each activation-sized temporary costs as much memory as the input
                mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
                mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
                if dxhat is g:
                    gx = g - mean_dxhat  # g belongs to the engine: a new array
                else:
                    gx = dxhat  # g * weight, made above: reused
                    gx -= mean_dxhat
                gx -= xhat * mean_dxhat_xhat
                gx *= rstd
            else:
                gx = dxhat * rstd
        if ctx.needs_input_grad[1]:
            gw = (g * xhat).sum(axis=axes)
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=axes)
        return gx, gw, gb, None, None, None, None, None
        # END SOLUTION


class FusedBatchNorm(Function):
    """``BatchNorm`` with the same math in two fused kernels (kernels/batch_norm.py):
    the forward reads x three times and writes y once, the backward reads g and x twice
    and writes dx once, where ``BatchNorm``'s NumPy lines make a pass (and a temporary)
    each. It saves x, not xhat, and recomputes xhat = (x - mean) * rstd in the backward.
    ``batch_norm`` uses it for NumPy float data with the Numba kernel set (the default),
    ``BatchNorm`` otherwise (the NumPy set, CuPy). The formulas are in ``BatchNorm``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        running = None if training else (running_mean, running_var)
        y, mean, var, rstd = kernels.batch_norm_forward(x, weight, bias, eps, running)
        if training and running_mean is not None:
            m = x.size // x.shape[1]
            _update_running(running_mean, mean, momentum)
            _update_running(running_var, var * (m / (m - 1)), momentum)  # unbiased
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.rstd, ctx.training = mean, rstd, training
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        dx, dweight, dbias = kernels.batch_norm_backward(g, x, weight, ctx.mean, ctx.rstd, ctx.training)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return (dx if need_x else None, dweight.astype(x.dtype) if need_w else None,
                dbias.astype(x.dtype) if need_b else None, None, None, None, None, None)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation of ``input`` (N, C), (N, C, L), (N, C, H, W), ...: statistics
    per channel (dim 1) over all other dims. See ``BatchNorm`` for the math.

    ``training=True`` normalises with the batch mean and biased variance and, when
    ``running_mean``/``running_var`` are given, updates them in place with the batch
    mean and *unbiased* variance: running = (1 - momentum) * running + momentum * stat.
    ``training=False`` normalises with the running statistics (they are required).

    The lecture writes the update as mu <- alpha * mu + (1 - alpha) * mu_B with alpha
    about 0.99: that is ``momentum = 1 - alpha`` (about 0.01; PyTorch's default 0.1 is
    alpha = 0.9). It also normalises with the unbiased variance 1/(K - 1); PyTorch and
    this function use the biased one for normalising and keep the unbiased one only in
    ``running_var``.

    ``momentum`` must be a float here, as in PyTorch's functional. The module's
    ``momentum=None`` (cumulative moving average) is the module's job: at its k-th
    training step it passes ``momentum = 1 / num_batches_tracked`` (= 1/k), which makes
    the running statistics the plain mean of the k batch statistics.

        y = weight * (x - mean) / sqrt(var + eps) + bias     (mean, var per channel c)

    Shape:
        - Input: (N, C) or (N, C, *), e.g. (N, C, L) or (N, C, H, W)
        - running_mean, running_var, weight, bias: (C,)
        - Output: same shape as the input

    Backward: ops/norm.py (BatchNorm; FusedBatchNorm, the same math in the fused
    kernels of kernels/batch_norm.py, for NumPy data with the Numba kernel set).
    """
    _check_float("batch_norm", input)
    _check_channels_first("batch_norm", input)
    channels = input.shape[1]
    if momentum is None:
        raise TypeError(
            "batch_norm: momentum must be a float, not None. momentum=None (cumulative average) is handled by the "
            "module, which passes momentum=1/num_batches_tracked"
        )
    if training:
        if input.numel() // channels == 1:
            raise ValueError(
                f"batch_norm: Expected more than 1 value per channel when training, got input size {input.shape}"
            )
        if eps <= 0.0:
            raise ValueError(f"batch_norm: eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm: eps must be non-negative, but got {eps}")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must either both be None or neither be None")
    if running_mean is None and not training:
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be defined in evaluation mode (training=False)"
        )
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.requires_grad:
            raise RuntimeError(f"batch_norm: {name} is a statistics buffer and cannot require grad")
    _check_vectors("batch_norm", channels, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    fn = FusedBatchNorm if kernels.batch_norm_fused_applies(input.array) else BatchNorm
    return fn.apply(input, weight, bias, running_mean, running_var, bool(training), float(momentum), float(eps))


# ------------------------------------------------------ layer, group and instance norm
class Normalize(Function):
    """Row-wise normalisation with an affine map, shared by layer, group and instance norm.

    x is viewed as ``rows`` rows of M elements (its row-major reshape to (rows, M));
    each row r gets its own mean mu_r and biased variance var_r:
        xhat = (x - mu_r) * rstd_r,   rstd_r = 1 / sqrt(var_r + eps)
        y    = weight * xhat + bias   (weight/bias broadcast along all dims except
                                       ``param_axes``, the dims they are summed over)
    How each op maps onto it, for x of shape (N, C, *spatial):
        layer_norm:    rows = prod(leading dims), M = prod(normalized_shape);
                       param_axes = the leading dims (weight has shape normalized_shape)
        group_norm:    rows = N * G, M = (C / G) * prod(spatial)  (channels of a group
                       are consecutive); param_axes = (0, 2, 3, ...) (weight has shape (C,))
        instance_norm: group_norm with G = C.

    Backward: the same closed form as batch norm's training one, per row
    (see ``BatchNorm``), with dxhat = g * weight:
        dL/dx      = rstd / M * (M * dxhat - sum_row(dxhat) - xhat * sum_row(dxhat * xhat))
        dL/dweight = sum over param_axes of g * xhat,   dL/dbias = sum over param_axes of g
    """

    @staticmethod
    def forward(ctx, x, weight, bias, rows, param_axes, eps):
        # BEGIN SOLUTION task 4.3
        xp = get_array_module(x)
        x2 = x.reshape(rows, -1)
        mu = x2.mean(axis=1, keepdims=True)
        xc = x2 - mu
        rstd = 1 / xp.sqrt((xc * xc).mean(axis=1, keepdims=True) + eps)
        xhat = (xc * rstd).reshape(x.shape)
        param_shape = tuple(1 if d in param_axes else n for d, n in enumerate(x.shape))
        y = xhat
        if weight is not None:
            weight = weight.astype(x.dtype, copy=False)
            y = y * weight.reshape(param_shape)
        if bias is not None:
            y = y + bias.astype(x.dtype, copy=False).reshape(param_shape)
        ctx.save_for_backward(xhat, rstd, weight)
        ctx.rows, ctx.param_axes, ctx.param_shape = rows, param_axes, param_shape
        return y
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 4.3
        xhat, rstd, weight = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            dxhat = (g if weight is None else g * weight.reshape(ctx.param_shape)).reshape(ctx.rows, -1)
            xh = xhat.reshape(ctx.rows, -1)
            m = xh.shape[1]
            gx = rstd / m * (
                m * dxhat - dxhat.sum(axis=1, keepdims=True) - xh * (dxhat * xh).sum(axis=1, keepdims=True)
            )
            gx = gx.reshape(xhat.shape)
        if ctx.needs_input_grad[1]:
            gw = (g * xhat).sum(axis=ctx.param_axes)
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=ctx.param_axes)
        return gx, gw, gb, None, None, None
        # END SOLUTION


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, one mean and variance per
    leading index; ``weight`` and ``bias`` have shape ``normalized_shape`` (elementwise
    affine). Maps onto ``Normalize`` with one row per leading index.

        y = weight * (x - mean) / sqrt(var + eps) + bias     (mean, var over the last D dims)

    Shape:
        - Input: (*, normalized_shape[0], ..., normalized_shape[-1])
        - weight, bias: normalized_shape
        - Output: same shape as the input

    Backward: ops/norm.py (Normalize).
    """
    _check_float("layer_norm", input)
    normalized_shape = _normalized_shape("layer_norm", input, normalized_shape)
    _check_params("layer_norm", normalized_shape, weight=weight, bias=bias)
    lead = input.ndim - len(normalized_shape)
    rows = _prod(input.shape[:lead])
    return Normalize.apply(input, weight, bias, rows, tuple(range(lead)), float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise ``input`` (N, C, *) per sample over groups of C / num_groups consecutive
    channels (and all spatial positions); ``weight`` and ``bias`` have shape (C,).
    Maps onto ``Normalize`` with N * num_groups rows.

        y = weight[c] * (x - mean_g) / sqrt(var_g + eps) + bias[c]   (per sample n, group g)

    Shape:
        - Input: (N, C, *), C divisible by num_groups
        - weight, bias: (C,)
        - Output: same shape as the input

    Backward: ops/norm.py (Normalize).
    """
    _check_float("group_norm", input)
    _check_channels_first("group_norm", input)
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(
            f"group_norm: expected the number of channels in input to be divisible by num_groups, but got input of "
            f"shape {input.shape} and num_groups={num_groups}"
        )
    # PyTorch's check, kept as is: it fails only when there is one sample, one channel
    # per group and one spatial position (every group then holds a single value).
    if n * (c // num_groups) * _prod(input.shape[2:]) == 1:
        raise ValueError(
            f"group_norm: Expected more than 1 value per group when training, got input size {input.shape}"
        )
    _check_vectors("group_norm", c, weight=weight, bias=bias)
    return Normalize.apply(input, weight, bias, n * num_groups, _channel_param_axes(input), float(eps))


def instance_norm(
    input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5
):
    """Normalise ``input`` (N, C, *) per sample and channel over the spatial dims
    (``group_norm`` with one channel per group); ``weight``, ``bias`` have shape (C,).

    ``use_input_stats=True`` uses each instance's own statistics and, when running
    buffers are given, updates them in place with the statistics averaged over the
    batch (as PyTorch): running = (1 - momentum) * running + momentum * mean_n(stat_n),
    with the unbiased per-instance variance for ``running_var``.
    ``use_input_stats=False`` normalises every instance with the running statistics:
    exactly ``batch_norm`` in evaluation mode, which is what it calls.

        y = weight[c] * (x - mean_nc) / sqrt(var_nc + eps) + bias[c]   (per sample n, channel c)

    Shape:
        - Input: (N, C, *), e.g. (N, C, L) or (N, C, H, W)
        - running_mean, running_var, weight, bias: (C,)
        - Output: same shape as the input

    Backward: ops/norm.py (Normalize; BatchNorm when use_input_stats=False).
    """
    _check_float("instance_norm", input)
    _check_channels_first("instance_norm", input)
    n, c = input.shape[:2]
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("instance_norm: running_mean and running_var must either both be None or neither be None")
    _check_vectors("instance_norm", c, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if not use_input_stats:
        if running_mean is None:
            raise RuntimeError(
                "instance_norm: Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, training=False, momentum=momentum, eps=eps)
    if _prod(input.shape[2:]) == 1:
        raise ValueError(
            f"instance_norm: Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    if running_mean is not None and momentum is None:
        raise TypeError("instance_norm: momentum must be a float, not None, when running statistics are given")
    out = Normalize.apply(input, weight, bias, n * c, _channel_param_axes(input), float(eps))
    if running_mean is not None:
        x = input.array.reshape(n, c, -1)  # statistics buffers only: no graph
        mu = x.mean(axis=2, keepdims=True)
        var_unbiased = ((x - mu) ** 2).sum(axis=2) / (x.shape[2] - 1)
        _update_running(running_mean.array, mu[..., 0].mean(axis=0), momentum)
        _update_running(running_var.array, var_unbiased.mean(axis=0), momentum)
    return out


# ------------------------------------------------------------------------------ rms norm
class RMSNorm(Function):
    """y = x * r * weight,  r = 1 / sqrt(mean(x^2) + eps), the mean over the M elements
    of the last ``len(normalized_shape)`` dims (no centring, no bias).

    With xhat = x * r and dxhat = g * weight: d r/dx_j = -r^3 x_j / M, so
        dL/dx_j    = r * dxhat_j - x_j r^3 / M * sum_i dxhat_i x_i
                   = r * (dxhat_j - xhat_j * mean(dxhat * xhat))
        dL/dweight = sum over the leading dims of g * xhat
    """

    @staticmethod
    def forward(ctx, x, weight, rows, eps):
        # BEGIN SOLUTION task 4.4
        xp = get_array_module(x)
        x2 = x.reshape(rows, -1)
        r = 1 / xp.sqrt((x2 * x2).mean(axis=1, keepdims=True) + eps)
        xhat = (x2 * r).reshape(x.shape)
        y = xhat
        if weight is not None:
            weight = weight.astype(x.dtype, copy=False)
            y = y * weight
        ctx.save_for_backward(xhat, r, weight)
        ctx.rows = rows
        return y
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 4.4
        xhat, r, weight = ctx.saved_tensors
        lead = tuple(range(xhat.ndim - (weight.ndim if weight is not None else 0)))
        gx = gw = None
        if ctx.needs_input_grad[0]:
            dxhat = (g if weight is None else g * weight).reshape(ctx.rows, -1)
            xh = xhat.reshape(ctx.rows, -1)
            gx = (r * (dxhat - xh * (dxhat * xh).mean(axis=1, keepdims=True))).reshape(xhat.shape)
        if ctx.needs_input_grad[1]:
            gw = (g * xhat).sum(axis=lead)
        return gx, gw, None, None
        # END SOLUTION


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the last ``len(normalized_shape)`` dims
    (PyTorch >= 2.4): y = x / sqrt(mean(x^2) + eps) * weight, ``weight`` of shape
    ``normalized_shape``; ``eps=None`` means the machine epsilon of the input's dtype
    (``torch.finfo(dtype).eps``).

    Shape:
        - Input: (*, normalized_shape[0], ..., normalized_shape[-1])
        - weight: normalized_shape
        - Output: same shape as the input

    Backward: ops/norm.py (RMSNorm).
    """
    _check_float("rms_norm", input)
    normalized_shape = _normalized_shape("rms_norm", input, normalized_shape)
    _check_params("rms_norm", normalized_shape, weight=weight)
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    rows = _prod(input.shape[: input.ndim - len(normalized_shape)])
    return RMSNorm.apply(input, weight, rows, float(eps))


# ------------------------------------------------------------------------------ checks
def _prod(sizes):
    p = 1
    for s in sizes:
        p *= s
    return p


def _channel_param_axes(input):
    """The dims a per-channel weight is summed over: all but the channel dim 1."""
    return (0,) + tuple(range(2, input.ndim))


def _check_float(op, input):
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating-point input, got {input.dtype} (convert it first, e.g. x.float())"
        )


def _check_channels_first(op, input):
    if input.ndim < 2:
        raise RuntimeError(
            f"{op}: expected input of shape (N, C, *) with at least 2 dims, got shape {input.shape}"
        )


def _check_vectors(op, channels, **tensors):
    """Per-channel tensors (weight, bias, running statistics) must hold C elements."""
    for name, t in tensors.items():
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{op}: {name} should contain {channels} elements (one per channel), not {t.numel()}")


def _normalized_shape(op, input, normalized_shape):
    """``normalized_shape`` as a tuple (an int is accepted, as the modules do), checked
    against the input's trailing dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0:
        raise RuntimeError(
            f"{op}: expected normalized_shape to contain at least one element, but got normalized_shape = ()"
        )
    if input.shape[input.ndim - len(shape):] != shape or len(shape) > input.ndim:
        raise RuntimeError(
            f"{op}: given normalized_shape={shape}, expected input with shape (*, {', '.join(map(str, shape))}), "
            f"but got input of shape {input.shape}"
        )
    return shape


def _check_params(op, normalized_shape, **tensors):
    for name, t in tensors.items():
        if t is not None and t.shape != normalized_shape:
            raise RuntimeError(
                f"{op}: expected {name} to be of same shape as normalized_shape, but got {name} of shape {t.shape} "
                f"and normalized_shape = {normalized_shape}"
            )
