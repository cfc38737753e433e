"""``Optimizer``: the base class of every optimizer (parameter groups, state, state_dict).

An optimizer updates tensors ("parameters") from their ``.grad``. It keeps

- ``param_groups``: a list of dicts, each with a ``"params"`` list and that group's
  options (``lr``, ``momentum``, ...). Options a group does not set come from
  ``defaults``, so one optimizer can train different layers with different learning
  rates::

      SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)

- ``state``: one dict per parameter (momentum buffers, moment estimates, step counts),
  keyed by the parameter itself and filled in lazily by the first ``step`` that sees
  a gradient for it.

``state_dict()`` replaces the parameters by their position (0, 1, 2, ... across the
groups), as PyTorch does, so a saved optimizer can be loaded into a new one built over
the same parameters in the same order.

``step`` is a template: it owns what every optimizer shares (the closure, the loop over
groups and parameters, ``maximize``, weight decay, telling autograd about the in-place
write), and a subclass writes only its update rule, ``_update``, with the formula in its
docstring. A subclass passes its options to ``__init__`` as ``defaults``; the options
with a known valid range (``lr``, ``eps``, ``betas``, ...) are checked here, with
PyTorch's messages. As in PyTorch, ``lr`` may be a 1-element Tensor: the update rules
read its value at every step, and the schedulers (lr_scheduler.py) fill it in place.

PyTorch's implementation switches ``foreach`` (one kernel over all parameters),
``fused`` (one fused kernel per step), ``capturable`` (CUDA graphs) and
``differentiable`` (autograd through the step) are accepted by every optimizer that has
them in PyTorch, and kept in each parameter group as PyTorch keeps them (so state_dicts
correspond), but have no effect here: each optimizer has one update rule, run by the
plain loop over parameters that ``step`` runs. (Adam's rule, and so AdamW's, runs as one
compiled pass per parameter under the Numba kernel set, with the same results bit for
bit: ``Adam._update``. The flags do not choose that; the kernel set does.) As in
PyTorch, ``foreach=True`` with ``fused=True`` is refused.
"""
import copy
import warnings
from collections import defaultdict

from .. import backend
from ..autograd import enable_grad, no_grad
from ..autograd.views import mark_modified
from ..tensor import Tensor

# option -> how PyTorch names it in "Invalid ...: value" (each must be >= 0)
_NONNEGATIVE_OPTIONS = {
    "lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
    "weight_decay": "weight_decay value", "alpha": "alpha value", "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value value",
}


class Optimizer:
    """Base class: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs (as from
    ``model.named_parameters()``), or of dicts (parameter groups with their own
    options). ``defaults`` maps each option name to its default value.
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got a single Tensor of shape {params.shape}; wrap it in a list: [t]"
            )
        _check_options(defaults)
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``"params"`` and optional options),
        e.g. to train layers that were frozen so far."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"param_group must have a 'params' entry, got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)

        # (name, tensor) pairs from named_parameters(): keep the names beside the tensors
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        if names:
            param_group["param_names"] = names
        param_group["params"] = params

        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but params[{i}] is a {type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (params[{i}], shape {p.shape}, grad_fn="
                    f"{p.grad_fn.name()}); optimize the leaf it was computed from, or use t.detach().requires_grad_()"
                )

        for name, default in self.defaults.items():
            param_group.setdefault(name, default)

        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                "an error", stacklevel=3,
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ----------------------------------------------------------------- training
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: ``.grad = None`` (the default), or
        fill the existing ``.grad`` with zeros when ``set_to_none=False``.

        The difference matters: ``step`` skips a parameter whose ``.grad`` is None but
        updates one whose gradient is zero (weight decay and momentum still act).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:  # a grad built with create_graph=True
                        p.grad = p.grad.detach()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.array[...] = 0

    @no_grad()
    def step(self, closure=None):
        """Update every parameter that has a ``.grad`` (one optimization step).

        ``closure``, if given, re-evaluates the model and returns the loss (it runs
        with gradients enabled); ``step`` returns that loss. For each parameter theta
        with gradient g (lr = gamma, weight_decay = lambda)::

            g <- -g                              if maximize
            theta <- theta * (1 - gamma*lambda)  if decoupled_weight_decay (AdamW)
            g <- g + lambda * theta              otherwise, if weight_decay != 0 (L2 penalty)
            the subclass's rule: self._update(p, g, state, group)

        and autograd is told that theta was written in place (``mark_modified``).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            options = _float_lr(group)
            maximize, weight_decay = group.get("maximize", False), group.get("weight_decay", 0)
            decoupled = group.get("decoupled_weight_decay", False)
            for p in group["params"]:
                if p.grad is None:
                    continue
                # the raw arrays; never write into p.grad (the caller may still read it)
                grad = -p.grad.array if maximize else p.grad.array
                if weight_decay != 0:
                    if decoupled:
                        p.array *= 1 - options["lr"] * weight_decay
                    else:
                        grad = grad + weight_decay * p.array
                state = self.state.get(p, {})
                if not state:
                    self._init_state(p, state, options)
                self._update(p, grad, state, options)
                if state:  # an optimizer with nothing to keep (plain SGD) gets no entry, as in PyTorch
                    self.state[p] = state
                mark_modified(p)
        return loss

    def _init_state(self, p, state, group):
        """Fill a parameter's empty ``state`` dict (moment buffers, step counter) before
        its first update. Default: nothing (state is created by the rule when needed)."""

    def _update(self, p, grad, state, group):
        """The update rule: write the new value of ``p.array`` in place, from ``grad``
        (an array, already negated for maximize and with L2 weight decay added: do not
        write into it) and the parameter's ``state``. ``group`` holds the options."""
        raise NotImplementedError(f"{type(self).__name__}._update: every optimizer writes its own update rule")

    # --------------------------------------------------------------- state_dict
    def state_dict(self):
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their index over all groups in order, in
        ``state`` keys and in each group's ``"params"``. As in PyTorch, the state
        tensors are the optimizer's own (not copies): save or clone them before
        training on if you want a snapshot.
        """
        index_of = {}
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {index_of[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Load a state from ``state_dict()`` (of this or an identically built optimizer).

        The groups must match in number and sizes. Group options (``lr``, ...) are
        taken from the state dict; state tensors are copied and cast to their
        parameter's dtype and device (the ``step`` counters keep theirs).
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(
                f"load_state_dict: expected a dict with keys 'state' and 'param_groups' (as returned by "
                f"Optimizer.state_dict()), got {got}"
            )
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"load_state_dict: loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} in the state dict, {len(groups)} in the optimizer"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"load_state_dict: loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} parameters in the state dict, "
                    f"{len(group['params'])} in the optimizer"
                )

        param_of = {}
        for group, saved in zip(groups, saved_groups):
            param_of.update(zip(saved["params"], group["params"]))

        state = defaultdict(dict)
        for index, param_state in state_dict["state"].items():
            if index not in param_of:
                raise ValueError(
                    f"load_state_dict: the state dict has state for parameter {index!r}, which none of its "
                    f"param_groups lists (they list {sorted(param_of)})"
                )
            p = param_of[index]
            state[p] = {key: _load_state_value(p, index, key, value) for key, value in param_state.items()}

        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups


def _float_lr(group):
    """The group's options as the update rules read them. PyTorch accepts a 1-element
    Tensor as ``lr`` (a scheduler then fills it in place): the rules get its value as a
    Python float, read once per step, and the group keeps the Tensor."""
    lr = group.get("lr")
    return {**group, "lr": lr.item()} if isinstance(lr, Tensor) else group


def _check_foreach_fused(name, foreach, fused):
    """PyTorch refuses to be asked for both of its fast implementations at once."""
    if foreach and fused:
        raise RuntimeError(f"{name}: `fused` and `foreach` cannot be `True` together.")


def _check_options(defaults):
    """PyTorch's argument checks, shared by every optimizer (lr may be a 1-element Tensor)."""
    for name, what in _NONNEGATIVE_OPTIONS.items():
        if name not in defaults:
            continue
        value = defaults[name]
        if isinstance(value, Tensor):  # PyTorch takes a Tensor for lr alone
            if name != "lr":
                raise ValueError(f"Invalid {what}: expected a number, got a Tensor of shape {value.shape}")
            if value.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
            value = value.item()
        if not 0.0 <= value:
            raise ValueError(f"Invalid {what}: {value}")
    for i, beta in enumerate(defaults.get("betas", ())):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _load_state_value(p, index, key, value):
    """A private copy of one loaded state value, on ``p``'s device and in its dtype."""
    if isinstance(value, Tensor) or backend.is_array(value):
        array = value.array if isinstance(value, Tensor) else value
        if key == "step":  # step counters stay where and what they are (CPU scalars)
            return Tensor(array.copy())
        # per-parameter scalars (NAdam's mu_product, ASGD's eta and mu) are 0-d; the rest has p's shape
        if array.ndim != 0 and array.shape != p.array.shape:
            raise ValueError(
                f"load_state_dict: state {key!r} of parameter {index} has shape {tuple(array.shape)}, "
                f"but the parameter has shape {p.shape}"
            )
        array = backend.to_device(array, p.device)
        if p.dtype.kind == "f":
            array = array.astype(p.dtype)  # astype copies, so the loaded dict is never aliased
        else:
            array = array.copy()
        return Tensor(array)
    if key == "step" and isinstance(value, (int, float)):  # old PyTorch saved a Python number
        return Tensor(float(value))
    return copy.deepcopy(value)
