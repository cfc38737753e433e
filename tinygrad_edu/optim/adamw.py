"""AdamW: Adam with decoupled weight decay."""
from .adam import Adam


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019): Adam whose weight decay shrinks the weights
    directly instead of being added to the gradient.

    With lr = gamma and weight_decay = lambda, each step first does::

        theta <- theta * (1 - gamma * lambda)

    and then the plain Adam update (see :class:`Adam`) with the raw gradient g_t.

    Why it differs from ``Adam(weight_decay=...)``: there the penalty lambda * theta
    is added to g_t and then divided by sqrt(v_t) like the rest of the gradient, so
    weights with large gradients are barely decayed. Decoupled decay shrinks every
    weight by the same factor, which is what "weight decay" was meant to do; hence
    the non-zero default (1e-2).

    The update is :meth:`Adam._update` after the shared step (see :meth:`Optimizer.step`) with ``decoupled_weight_decay=True`` (as in
    PyTorch, where AdamW is this same subclass). State: as Adam's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
