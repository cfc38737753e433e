"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is reliable."""
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class RAdam(Optimizer):
    r"""RAdam, rectified Adam (Liu et al., 2020), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t (lr = gamma, betas = (beta1,
    beta2); maximize and weight decay, L2 or decoupled, already applied by
    ``Optimizer.step``)::

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t,   m_hat = m_t / (1 - beta1^t)
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)     length of the "effective" average of g^2
        if rho_t > 5:                                     enough samples: adaptive step, rectified
            r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            theta <- theta - gamma * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
        else:                                             too few: plain momentum SGD
            theta <- theta - gamma * m_hat

    Why: in the first steps v_t averages only a few squared gradients, so 1 / sqrt(v_t)
    has a huge variance (the reason Adam needs a learning-rate warm-up); r_t scales the
    adaptive step down by exactly the factor that makes its variance constant.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).
    ``foreach``, ``capturable`` and ``differentiable`` are accepted (kept in each group,
    as PyTorch does) and change nothing here.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["exp_avg"] = Tensor(xp.zeros_like(p.array))
        state["exp_avg_sq"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """theta <- theta - gamma m_hat (r_t sqrt(1 - beta2^t) / (sqrt(v_t) + eps) if rho_t > 5, else 1)."""
        xp = get_array_module(p.array)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        state["step"].array += 1
        t = state["step"].item()
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad

        bias_correction2 = 1 - beta2 ** t
        m_hat = exp_avg / (1 - beta1 ** t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias_correction2 ** 0.5 / (xp.sqrt(exp_avg_sq) + eps)
            p.array -= m_hat * lr * adaptive * rect
        else:
            p.array -= m_hat * lr
