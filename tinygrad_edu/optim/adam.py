"""Adam: momentum plus a per-weight step size from a running average of squared gradients."""
from .. import kernels
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _check_foreach_fused


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t = 1, 2, ... (lr = gamma,
    betas = (beta1, beta2), weight_decay = lambda)::

        g_t <- -g_t                                   if maximize
        theta <- theta * (1 - gamma * lambda)         if decoupled_weight_decay (AdamW)
        g_t <- g_t + lambda * theta                   otherwise, if weight_decay != 0
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t     first moment: momentum
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2   second moment: gradient scale
        v_max_t = max(v_max_{t-1}, v_t)               if amsgrad (and v_t <- v_max_t below)
        theta <- theta - gamma / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    m and v start at zero, so early on they underestimate the true averages; dividing
    by (1 - beta^t) (bias correction) removes that bias. Each weight's step is
    scaled by 1 / sqrt(v): weights with large or noisy gradients take smaller steps.
    This is PyTorch's arrangement of the formula: eps is added to
    sqrt(v_t) / sqrt(1 - beta2^t), i.e. to the bias-corrected root, not to sqrt(v_t).

    amsgrad (Reddi et al., 2018) divides by the largest v seen so far, so the step
    size of a weight never grows back.

    ``foreach``, ``capturable``, ``differentiable`` and ``fused`` are accepted (kept in
    each group, as PyTorch does) and change nothing here (see ``optimizer.py``). The
    kernel set does: under Numba (the default) a NumPy parameter's update runs as one
    compiled pass (kernels/adam.py), the same arithmetic as ``_update``'s NumPy lines.

    State per parameter: ``step`` (t, a 0-d float tensor as in PyTorch), ``exp_avg``
    (m), ``exp_avg_sq`` (v) and, with amsgrad, ``max_exp_avg_sq`` (v_max).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_foreach_fused("Adam", foreach, fused)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["exp_avg"] = Tensor(xp.zeros_like(p.array))
        state["exp_avg_sq"] = Tensor(xp.zeros_like(p.array))
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """m_t, v_t: moving averages of g and g^2;
        theta <- theta - gamma / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps).

        These NumPy lines make a pass over the parameter per operation. Under the Numba
        kernel set a NumPy parameter takes ``_update_compiled`` instead: the same
        operations in one compiled pass, bit for bit the same results (kernels/adam.py)."""
        if kernels.adam_compiled_applies(p.array, grad, *self._moments(state)):
            return self._update_compiled(p, grad, state, group)
        # BEGIN SOLUTION task 2.7
        xp = get_array_module(p.array)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        state["step"].array += 1
        t = state["step"].item()

        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad

        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"].array
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = xp.sqrt(max_exp_avg_sq) / bias_correction2 ** 0.5 + eps
        else:
            denom = xp.sqrt(exp_avg_sq) / bias_correction2 ** 0.5 + eps
        p.array -= step_size * (exp_avg / denom)
        # END SOLUTION

    @staticmethod
    def _moments(state):
        """The moving averages kept in ``state``: exp_avg, exp_avg_sq (and max_exp_avg_sq)."""
        return [state[name].array for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if name in state]

    def _update_compiled(self, p, grad, state, group):
        """``_update`` as one compiled pass (kernels/adam.py): the step's scalars here, the
        per-element arithmetic there."""
        beta1, beta2 = group["betas"]
        state["step"].array += 1
        t = state["step"].item()
        max_exp_avg_sq = state["max_exp_avg_sq"].array if group["amsgrad"] else None
        kernels.adam_update(p.array, grad, state["exp_avg"].array, state["exp_avg_sq"].array, max_exp_avg_sq,
                            beta1, beta2, group["lr"] / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5, group["eps"])
