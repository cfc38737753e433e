"""NAdam: Adam with Nesterov momentum (the momentum step is taken with the next step's weight)."""
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t (lr = gamma, betas = (beta1,
    beta2), momentum_decay = psi; maximize and weight decay, L2 or decoupled, already
    applied by ``Optimizer.step``)::

        mu_t = beta1 * (1 - 0.5 * 0.96^(t psi))          momentum schedule (warms up)
        mu_{t+1} = beta1 * (1 - 0.5 * 0.96^((t + 1) psi))
        P_t = mu_1 * mu_2 * ... * mu_t                   product of the schedule so far
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        d_t = sqrt(v_t / (1 - beta2^t)) + eps
        theta <- theta - gamma (1 - mu_t) / (1 - P_t) * g_t / d_t
                       - gamma mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / d_t

    The Nesterov idea: the first term is the current gradient's share, the second the
    momentum already decided for the *next* step, so the update looks ahead.

    State per parameter: ``step``, ``mu_product`` (P_t, a 0-d float32 tensor as in
    PyTorch, which therefore rounds it to float32), ``exp_avg`` (m), ``exp_avg_sq`` (v).
    ``foreach``, ``capturable`` and ``differentiable`` are accepted (kept in each group,
    as PyTorch does) and change nothing here.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["mu_product"] = Tensor(1.0)
        state["exp_avg"] = Tensor(xp.zeros_like(p.array))
        state["exp_avg_sq"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """theta <- theta - gamma (1 - mu_t) / (1 - P_t) g / d - gamma mu_{t+1} / (1 - P_t mu_{t+1}) m_t / d."""
        xp = get_array_module(p.array)
        lr, (beta1, beta2), eps, psi = group["lr"], group["betas"], group["eps"], group["momentum_decay"]
        state["step"].array += 1
        t = state["step"].item()
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"].array *= mu
        mu_product = state["mu_product"].item()

        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** t)) + eps
        p.array -= lr * (1.0 - mu) / (1.0 - mu_product) * (grad / denom)
        p.array -= lr * mu_next / (1.0 - mu_product * mu_next) * (exp_avg / denom)
