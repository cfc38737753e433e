"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``RMSNorm``,
``GroupNorm`` and ``InstanceNorm2d``. The math and the backward passes live in
``ops/norm.py``; the modules hold the learned affine parameters (``weight`` = gamma,
ones; ``bias`` = beta, zeros) and, for batch norm, the running statistics.
"""
import numbers
import warnings

from .. import creation
from ..autograd.views import mark_modified
from ..ops.norm import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from . import init
from .module import Module
from .parameter import Parameter


def _register_affine(module, shape, affine, bias, device, dtype):
    """The learned scale (``weight``, starts at 1) and shift (``bias``, starts at 0) of a
    normalisation layer, or ``None`` entries when the layer has no affine part."""
    module.register_parameter("weight", Parameter(creation.ones(*shape, device=device, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(creation.zeros(*shape, device=device, dtype=dtype)) if affine and bias else None)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Per-channel affine parameters and running-statistics buffers, shared by batch
    and instance norm: buffers ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` (a 0-d int64 counter), all saved in ``state_dict``."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, (num_features,), affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype="int64", device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalisation (Ioffe & Szegedy, 2015): per channel,
    y = weight * (x - mean) / sqrt(var + eps) + bias.

    Training mode normalises with the batch's mean and *biased* variance and updates
    the running statistics with the batch mean and the *unbiased* variance:

        running_mean <- (1 - momentum) * running_mean + momentum * batch_mean

    The lecture writes this as mu <- alpha * mu + (1 - alpha) * mu_B with alpha about
    0.99: that is ``momentum = 1 - alpha`` (alpha = 0.99 is momentum = 0.01; the default
    momentum = 0.1 is alpha = 0.9). ``momentum=None`` gives the cumulative average
    instead: the k-th training batch uses momentum 1/k (k = ``num_batches_tracked``),
    so after k batches running_mean is the plain mean of the k batch means.

    Evaluation mode (``model.eval()``) normalises with the running statistics, so an
    output no longer depends on the other samples of the batch. With
    ``track_running_stats=False`` there are no running statistics and batch statistics
    are used in both modes.
    """

    def forward(self, input):
        self._check_input_dim(input)
        _check_channels(self, input, 1, self.num_features)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            # a counter, not part of any graph: written in place as an optimizer writes a
            # weight (the version bump is all autograd needs), not through add_'s Function
            self.num_batches_tracked.array += 1
            mark_modified(self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # batch statistics in training, and in eval mode when there are no running ones
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # the buffers are passed when they are to be updated (training) or used (eval)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input: statistics per channel C.

        y = weight[c] * (x - mean_c) / sqrt(var_c + eps) + bias[c]   (mean_c, var_c over N and L)

    Shape:
        - Input: (N, C) or (N, C, L), C = num_features
        - Output: same shape as the input

    Backward: ops/norm.py (BatchNorm). The math of modes and running statistics: see
    ``_BatchNorm`` in nn/normalization.py and ``F.batch_norm``.
    """

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"{_layer(self)}: expected 2D or 3D input (got {input.ndim}D input): input shape "
                             f"{input.shape}, expected (N, C) or (N, C, L)")


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input: statistics per channel over N, H and W.

        y = weight[c] * (x - mean_c) / sqrt(var_c + eps) + bias[c]   (mean_c, var_c over N, H, W)

    Shape:
        - Input: (N, C, H, W), C = num_features
        - Output: (N, C, H, W), same shape as the input

    Backward: ops/norm.py (BatchNorm). The math of modes and running statistics: see
    ``_BatchNorm`` in nn/normalization.py and ``F.batch_norm``.
    """

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"{_layer(self)}: expected 4D input (got {input.ndim}D input): input shape {input.shape}, "
                             "expected (N, C, H, W)")


class InstanceNorm2d(_NormBase):
    """Instance normalisation over (N, C, H, W) or unbatched (C, H, W) input: each
    (sample, channel) plane is normalised over its own H * W values (style transfer).
    Defaults differ from batch norm: ``affine=False``, ``track_running_stats=False``.

        y = weight[c] * (x - mean_nc) / sqrt(var_nc + eps) + bias[c]   (mean_nc, var_nc over H, W)

    Shape:
        - Input: (N, C, H, W) or (C, H, W), C = num_features
        - Output: same shape as the input

    Backward: ops/norm.py (Normalize; BatchNorm in evaluation with tracked running statistics).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _check_input_dim(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"{_layer(self)}: expected 3D or 4D input (got {input.ndim}D input): input shape "
                             f"{input.shape}, expected (C, H, W) or (N, C, H, W)")

    def _apply_instance_norm(self, input):
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.ndim - 3
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{_layer(self)}: expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]} (input shape {input.shape}).")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False")
        if input.ndim == 3:  # unbatched: add the batch dim and take it away again
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


def _layer(module):
    """How errors name a layer: its class and arguments, ``BatchNorm2d(16, eps=1e-05, ...)``."""
    return f"{type(module).__name__}({module.extra_repr()})"


def _check_channels(module, input, dim, expected):
    if input.shape[dim] != expected:
        raise RuntimeError(
            f"{_layer(module)}: expected input with {expected} channels at dim {dim}, but got input of shape "
            f"{input.shape} ({input.shape[dim]} channels)"
        )


def _check_last_dims(module, input):
    k = len(module.normalized_shape)
    if input.shape[input.ndim - k:] != module.normalized_shape or input.ndim < k:
        raise RuntimeError(
            f"{_layer(module)}: given normalized_shape={list(module.normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, module.normalized_shape))}], but got input of size {list(input.shape)}"
        )


def _shape_tuple(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalise each sample over its last ``len(normalized_shape)`` dims (transformers),
    with elementwise ``weight`` and ``bias`` of shape ``normalized_shape``. The same in
    training and evaluation: no running statistics.

        y = weight * (x - mean) / sqrt(var + eps) + bias   (mean, var over the last D dims,
                                                             D = len(normalized_shape))

    Shape:
        - Input: (*, normalized_shape[0], ..., normalized_shape[-1])
        - Output: same shape as the input

    Backward: ops/norm.py (Normalize).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        _check_last_dims(self, input)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2) + eps) * weight over the last dims: layer norm without
    centring and without bias. ``eps=None`` uses the machine epsilon of the input's dtype.

    Shape:
        - Input: (*, normalized_shape[0], ..., normalized_shape[-1])
        - Output: same shape as the input

    Backward: ops/norm.py (RMSNorm): dL/dx = r * (dxhat - xhat * mean(dxhat * xhat)),
    r = 1 / sqrt(mean(x^2) + eps), xhat = x * r, dxhat = g * weight.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.empty(*self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input):
        _check_last_dims(self, input)
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Split the C channels into ``num_groups`` groups and normalise each sample's
    group over its channels and positions (independent of the batch size), then a
    per-channel affine map.

        y = weight[c] * (x - mean_ng) / sqrt(var_ng + eps) + bias[c]
        (mean_ng, var_ng over the C / num_groups channels of group g and all positions of sample n)

    Shape:
        - Input: (N, C, *), C = num_channels
        - Output: (N, C, *), same shape as the input

    Backward: ops/norm.py (Normalize).
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, (num_channels,), affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        if input.ndim < 2:
            raise ValueError(f"{_layer(self)}: expected input of at least 2 dims (N, C, *), got shape {input.shape}")
        _check_channels(self, input, 1, self.num_channels)
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"
