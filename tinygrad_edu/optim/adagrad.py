"""Adagrad: divide each weight's gradient by the root of the sum of all its squared gradients."""
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _check_foreach_fused


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan and Singer, 2011), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t = 1, 2, ... (lr = gamma,
    weight_decay = lambda, initial_accumulator_value = s_0)::

        g_t <- -g_t                                 if maximize
        g_t <- g_t + lambda * theta                 if weight_decay != 0
        gamma_t = gamma / (1 + (t - 1) * lr_decay)
        s_t = s_{t-1} + g_t^2                       sum of all squared gradients so far
        theta <- theta - gamma_t * g_t / (sqrt(s_t) + eps)

    Weights with rarely large gradients (e.g. embeddings of rare words) keep a
    large step size; often-updated ones slow down. Because s only grows, the step
    size shrinks for ever, which is what RMSprop and Adam fix with running averages.

    ``foreach``, ``differentiable`` and ``fused`` are accepted (kept in each group, as
    PyTorch does) and change nothing here (see ``optimizer.py``).

    State per parameter: ``step`` (t) and ``sum`` (s). As in PyTorch, the state is
    created at construction (so ``state_dict()`` is complete before the first step),
    and every accumulator starts at the constructor's ``initial_accumulator_value``,
    even for a parameter group that sets its own.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_foreach_fused("Adagrad", foreach, fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, state, group):
        # the constructor's value, even for a group that sets its own (as PyTorch)
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["sum"] = Tensor(xp.full_like(p.array, self.defaults["initial_accumulator_value"]))

    def _update(self, p, grad, state, group):
        """s_t = s_{t-1} + g_t^2;  theta <- theta - gamma / (1 + (t - 1) lr_decay) * g_t / (sqrt(s_t) + eps)."""
        xp = get_array_module(p.array)
        state["step"].array += 1
        t = state["step"].item()
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        state_sum = state["sum"].array
        state_sum += grad * grad
        p.array -= clr * (grad / (xp.sqrt(state_sum) + group["eps"]))
