"""RMSprop: divide each weight's gradient by a running root-mean-square of its gradients."""
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, lecture 6e of "Neural Networks for Machine Learning"), PyTorch's rule.

    For each parameter theta with gradient g_t (lr = gamma, alpha = smoothing constant,
    momentum = mu, weight_decay = lambda)::

        g_t <- -g_t                                    if maximize
        g_t <- g_t + lambda * theta                    if weight_decay != 0
        v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2    running mean of squared gradients
        if centered:
            a_t = alpha * a_{t-1} + (1 - alpha) * g_t  running mean of gradients
            r_t = sqrt(v_t - a_t^2) + eps              running standard deviation
        else:
            r_t = sqrt(v_t) + eps                      running root mean square
        if mu > 0:
            b_t = mu * b_{t-1} + g_t / r_t             (b_0 = 0)
            theta <- theta - gamma * b_t
        else:
            theta <- theta - gamma * g_t / r_t

    The division by r_t gives every weight its own step size: about gamma in units of
    that weight's typical gradient. Unlike Adam there is no bias correction, so v
    starts at zero and the first step is large: gamma * g / (sqrt(1 - alpha) |g|),
    that is 10 gamma sign(g) for alpha = 0.99. ``centered`` divides by the gradient's variance instead of its
    raw second moment.

    ``capturable``, ``foreach`` and ``differentiable`` are accepted (kept in each group,
    as PyTorch does) and change nothing here (see ``optimizer.py``).

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b) when
    ``momentum > 0``, ``grad_avg`` (a) when ``centered``.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["square_avg"] = Tensor(xp.zeros_like(p.array))
        if group["momentum"] > 0:
            state["momentum_buffer"] = Tensor(xp.zeros_like(p.array))
        if group["centered"]:
            state["grad_avg"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """v_t = alpha v_{t-1} + (1 - alpha) g_t^2;  theta <- theta - gamma g_t / (sqrt(v_t) + eps)
        (centered: sqrt(v_t - a_t^2); with momentum through b_t = mu b_{t-1} + g_t / r_t)."""
        xp = get_array_module(p.array)
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        state["step"].array += 1  # counted as in PyTorch, though the rule does not use it

        square_avg = state["square_avg"].array
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].array
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = xp.sqrt(square_avg) + eps

        if momentum > 0:
            buf = state["momentum_buffer"].array
            buf *= momentum
            buf += grad / avg
            p.array -= lr * buf
        else:
            p.array -= lr * (grad / avg)
