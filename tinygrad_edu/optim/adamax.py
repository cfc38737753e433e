"""Adamax: Adam with the infinity norm in place of the root mean square."""
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class Adamax(Optimizer):
    r"""Adamax (Kingma and Ba, 2015, section 7.1), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t (lr = gamma, betas = (beta1,
    beta2); maximize and weight decay already applied by ``Optimizer.step``)::

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t            momentum, as in Adam
        u_t = max(beta2 * u_{t-1}, |g_t| + eps)              a decaying running max of |g|
        theta <- theta - gamma / (1 - beta1^t) * m_t / u_t

    Adam divides by sqrt(v_t), an L2 average of past gradients; letting the norm's
    order go to infinity turns that average into a maximum, which needs no bias
    correction and gives a step of at most gamma per weight (about).

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    ``foreach``, ``capturable`` and ``differentiable`` are accepted (kept in each group,
    as PyTorch does) and change nothing here.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["exp_avg"] = Tensor(xp.zeros_like(p.array))
        state["exp_inf"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """m_t = beta1 m + (1 - beta1) g;  u_t = max(beta2 u, |g| + eps);  theta <- theta - gamma / (1 - beta1^t) m_t / u_t."""
        xp = get_array_module(p.array)
        (beta1, beta2), eps = group["betas"], group["eps"]
        state["step"].array += 1
        t = state["step"].item()
        exp_avg, exp_inf = state["exp_avg"].array, state["exp_inf"].array
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(grad) + eps, out=exp_inf)
        p.array -= group["lr"] / (1 - beta1 ** t) * (exp_avg / exp_inf)
