"""Loss modules: thin wrappers that hold a loss's options (``reduction``, class
``weight``, ...) and call the functional loss in ``ops/loss.py``.

``weight`` and ``pos_weight`` are registered as buffers, as in PyTorch: they move
with ``.to()`` and appear in ``state_dict`` when given.
The signatures are PyTorch's, including the deprecated ``size_average`` and ``reduce``
(translated to ``reduction`` with a warning, as PyTorch does).
"""
import warnings

from ..ops import loss as L
from .module import Module


def _legacy_reduction(size_average, reduce):
    """PyTorch's translation of the deprecated flags: reduce=False -> 'none',
    else size_average (default True) -> 'mean', otherwise 'sum'."""
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='mean' | 'sum' | 'none' instead.")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """mean((input - target)^2).

        l_i = (x_i - t_i)^2;   loss = mean_i l_i ("mean"), sum_i l_i ("sum"), l ("none")

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (MSELoss): dL/dx_i = 2 (x_i - t_i) * dL/dl_i.
    """

    def forward(self, input, target):
        return L.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """mean(|input - target|).

        l_i = |x_i - t_i|;   loss = mean_i l_i ("mean"), sum_i l_i ("sum"), l ("none")

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (L1Loss): dL/dx_i = sign(x_i - t_i) * dL/dl_i.
    """

    def forward(self, input, target):
        return L.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for |input - target| < beta, linear beyond (Huber-like).

        l_i = 0.5 d_i^2 / beta  if |d_i| < beta,  |d_i| - 0.5 beta  otherwise   (d = x - t)

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (SmoothL1Loss; L1Loss when beta = 0).
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return L.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of the target class, for log-probabilities (N, C, ...).

        l_i = -w[t_i] * x[i, t_i];   "mean": sum_i l_i / sum_i w[t_i] (over non-ignored i)

    Shape:
        - Input: (N, C) or (C,), or (N, C, d1, ..., dK) for K-dimensional positions
        - Target: (N,) or (), or (N, d1, ..., dK): int64 class indices in [0, C)
        - Output: scalar; with ``reduction="none"`` the target's shape

    Backward: ops/loss.py (NLLLoss).
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return L.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """log_softmax followed by nll_loss, for raw scores (logits) of shape (N, C, ...);
    the target holds class indices or class probabilities.

        l_i = -w[t_i] * log softmax(x_i)[t_i] = -w[t_i] * (x[i, t_i] - log sum_c e^(x[i, c]))

    Shape:
        - Input: (N, C) or (C,), or (N, C, d1, ..., dK) for K-dimensional positions
        - Target: (N,) or (), or (N, d1, ..., dK): int64 class indices in [0, C), or class probabilities
          of the input's shape
        - Output: scalar; with ``reduction="none"`` (N,) or () or (N, d1, ..., dK)

    Backward: composed: ops/softmax.py (LogSoftmax), then ops/loss.py (NLLLoss, or
    SoftTargetNLLLoss for probability targets).
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return L.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy for probabilities in [0, 1] (after a sigmoid).

        l_i = -w_i [t_i log(x_i) + (1 - t_i) log(1 - x_i)]   (each log clamped to >= -100)

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (BinaryCrossEntropy): dL/dx_i = w_i (x_i - t_i) / (x_i (1 - x_i)) * dL/dl_i.
    """

    def forward(self, input, target):
        return L.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one numerically stable step.

        l_i = -w_i [p t_i log(sigmoid(x_i)) + (1 - t_i) log(1 - sigmoid(x_i))]   (p = pos_weight)

    Shape:
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; (*), the input's shape, with ``reduction="none"``

    Backward: ops/loss.py (BinaryCrossEntropyWithLogits): dL/dx_i = w_i (sigmoid(x_i) - t_i) * dL/dl_i
    when pos_weight is None.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return L.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
