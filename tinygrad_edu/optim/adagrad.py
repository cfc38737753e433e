"""Adagrad: divide each weight's gradient by the root of the sum of all its squared gradients."""
from ..autograd import enable_grad, no_grad
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


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

    State per parameter: ``step`` (t) and ``sum`` (s). As in PyTorch, the state is
    created at construction (so ``state_dict()`` is complete before the first step),
    and every accumulator starts at the constructor's ``initial_accumulator_value``,
    even for a parameter group that sets its own.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        xp = get_array_module(p.array)
        state = self.state[p]
        state["step"] = Tensor(0.0)
        state["sum"] = Tensor(xp.full_like(p.array, self.defaults["initial_accumulator_value"]))

    @no_grad()
    def step(self, closure=None):
        """One Adagrad update of every parameter that has a gradient; returns the closure's loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()

        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp = get_array_module(p.array)
                grad = -p.grad.array if maximize else p.grad.array

                state = self.state[p]
                if len(state) == 0:  # a parameter added later with add_param_group
                    self._init_state(p)
                state["step"].array += 1
                t = state["step"].item()

                if weight_decay != 0:
                    grad = grad + weight_decay * p.array

                clr = lr / (1 + (t - 1) * lr_decay)
                state_sum = state["sum"].array
                state_sum += grad * grad
                std = xp.sqrt(state_sum) + eps
                p.array -= clr * (grad / std)
                p._version.value += 1  # an in-place write, so autograd can spot stale saved values
        return loss
