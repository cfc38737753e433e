"""Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov)."""
from ..tensor import Tensor
from .optimizer import Optimizer, _check_foreach_fused


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t (lr = gamma, momentum = mu,
    dampening = tau, weight_decay = lambda)::

        g_t <- -g_t                              if maximize
        g_t <- g_t + lambda * theta              if weight_decay != 0   (L2 penalty)
        if mu != 0:
            b_1 = g_1                            (first step: the gradient itself)
            b_t = mu * b_{t-1} + (1 - tau) * g_t (later steps)
            g_t <- g_t + mu * b_t                if nesterov
            g_t <- b_t                           otherwise
        theta <- theta - gamma * g_t

    Momentum makes the step a running sum of past gradients, so directions that the
    gradients agree on build up speed while directions where they flip sign cancel.
    With ``dampening = momentum`` the buffer is an exponential moving average of the
    gradients, b_t = mu * b_{t-1} + (1 - mu) * g_t: the "weighted mix of the current
    gradient and the previous direction" form of momentum seen in lectures (with the
    current gradient's weight 1 - mu). PyTorch's default (dampening 0) sums instead of
    averaging, which scales the effective step by about 1 / (1 - mu).

    Nesterov momentum looks one step ahead: it uses the gradient plus the momentum
    that will be applied, and requires ``momentum > 0`` and ``dampening == 0``.

    State per parameter: ``momentum_buffer`` (b_t), only when ``momentum != 0``.
    ``foreach``, ``differentiable`` and ``fused`` are accepted (kept in each group, as
    PyTorch does) and change nothing here (see ``optimizer.py``).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_foreach_fused("SGD", foreach, fused)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        """b_t = mu b_{t-1} + (1 - tau) g_t (b_1 = g_1);  theta <- theta - gamma (g_t + mu b_t  or  b_t)."""
        # BEGIN SOLUTION task 2.6
        momentum = group["momentum"]
        if momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = Tensor(grad.copy())  # b_1 = g_1
                buf = state["momentum_buffer"].array
            else:
                buf = state["momentum_buffer"].array
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.array -= group["lr"] * grad  # in place: p stays the same object (and array)
        # END SOLUTION
