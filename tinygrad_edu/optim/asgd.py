"""ASGD: SGD that also keeps a running average of the weights (Polyak-Ruppert averaging)."""
from .. import backend
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak and Juditsky, 1992), PyTorch's update rule.

    For each parameter theta with gradient g_t at step t (lr = gamma, lambd = lambda,
    alpha, t0; maximize and weight decay already applied by ``Optimizer.step``)::

        theta <- theta * (1 - lambda * eta_{t-1}) - eta_{t-1} * g_t     (eta_0 = gamma)
        ax_t = ax_{t-1} + mu_{t-1} * (theta - ax_{t-1})                  (ax_t = theta while mu = 1)
        eta_t = gamma / (1 + lambda * gamma * t)^alpha                   decaying step size
        mu_t = 1 / max(1, t - t0)                                        averaging starts after t0 steps

    The model trains on theta; ``ax`` (the average of the iterates since t0) is what
    the method returns in theory: copy it into the model to evaluate the average.

    State per parameter: ``step``, ``eta``, ``mu`` (0-d float32 tensors, as in PyTorch,
    which rounds them to float32), ``ax``. ``foreach``, ``capturable`` and
    ``differentiable`` are accepted (kept in each group, as PyTorch does) and change
    nothing here.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = Tensor(0.0)  # a CPU scalar, as every optimizer's step counter here
        # eta and mu on the parameter's device (as in PyTorch): _update writes device values into them
        xp, dtype = get_array_module(p.array), backend.default_float_dtype
        state["eta"] = Tensor(xp.asarray(float(group["lr"]), dtype=dtype))
        state["mu"] = Tensor(xp.ones((), dtype=dtype))
        state["ax"] = Tensor(xp.zeros_like(p.array))

    def _update(self, p, grad, state, group):
        """theta <- theta (1 - lambda eta) - eta g;  ax += mu (theta - ax);  then the new eta and mu."""
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        state["step"].array += 1
        t = state["step"].item()
        eta = state["eta"].item()
        p.array *= 1 - lambd * eta
        p.array -= eta * grad
        ax, mu = state["ax"].array, state["mu"].array
        if mu.item() != 1:
            ax += (p.array - ax) * mu
        else:
            ax[...] = p.array
        # PyTorch makes each new value a tensor of the default float dtype first (as_tensor), so
        # it is rounded to float32 even when the state was loaded as float64: do the same
        xp, dtype = get_array_module(p.array), backend.default_float_dtype
        state["eta"].array[...] = xp.asarray(lr / ((1 + lambd * lr * t) ** alpha), dtype=dtype)
        state["mu"].array[...] = xp.asarray(1 / max(1, t - t0), dtype=dtype)
