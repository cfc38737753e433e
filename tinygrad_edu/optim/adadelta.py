"""Adadelta: a step size that adapts per weight, from running averages of squared
gradients and of squared updates (no learning rate needed in the original)."""
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's update rule.

    For each parameter theta with gradient g_t (lr = gamma, rho = decay, weight_decay
    = lambda; ``Optimizer.step`` has already applied maximize and weight decay)::

        v_t = rho * v_{t-1} + (1 - rho) * g_t^2                  running mean of g^2
        d_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t        the update
        u_t = rho * u_{t-1} + (1 - rho) * d_t^2                  running mean of d^2
        theta <- theta - gamma * d_t

    Why the ratio: sqrt(u) / sqrt(v) has the units of theta / g, so d_t has the units
    of theta, as a Newton step would (Zeiler's argument); gamma (default 1) only scales it.

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    ``foreach``, ``capturable`` and ``differentiable`` are accepted (and kept in each
    group, as PyTorch does) but change nothing here: there is one implementation.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        xp = get_array_module(p.array)
        state["step"] = Tensor(0.0)
        state["square_avg"] = Tensor(xp.zeros_like(p.array))
        state["acc_delta"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """v_t = rho v + (1 - rho) g^2;  d = sqrt(u + eps) / sqrt(v_t + eps) g;  u_t = rho u + (1 - rho) d^2;
        theta <- theta - gamma d."""
        xp = get_array_module(p.array)
        rho, eps = group["rho"], group["eps"]
        state["step"].array += 1
        square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        p.array -= group["lr"] * delta
