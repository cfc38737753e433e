"""``Module``: the base class of every layer and model (``torch.nn.Module``).

A module keeps three ordered dictionaries, filled by plain attribute assignment::

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)                      # -> self._modules["fc"]
            self.scale = nn.Parameter(tge.ones(1))          # -> self._parameters["scale"]
            self.register_buffer("count", tge.zeros(1))     # -> self._buffers["count"]

        def forward(self, x):
            return self.fc(x) * self.scale

Everything else follows from walking those dictionaries depth-first in registration
order: ``parameters()``, ``named_modules()``, ``state_dict()`` keys such as
``"fc.weight"``, ``train()``/``eval()``, ``to(dtype)``, the ``repr`` tree. Parameters are
what the optimizer updates; buffers are state that is saved but not trained (BatchNorm's
running statistics); plain tensors assigned as attributes are neither.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from .. import memory_format as memory_formats
from ..autograd import grad_mode
from ..autograd.views import mark_modified
from ..tensor import Tensor
from .parameter import Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and did not expect."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook (also
    usable as ``with module.register_forward_hook(f): ...``)."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks_dict = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _addindent(text, spaces):
    """Indent every line but the first (how a child's repr nests in its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class for all neural-network modules: subclass it, create the submodules
    and parameters in ``__init__`` (after ``super().__init__()``) and write ``forward``.
    Call the module (``model(x)``), not ``forward``, so that hooks run."""

    training: bool

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dictionaries to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False):
        """``hook(module, args)`` runs before ``forward``; returning a value (a tuple, or
        a single value that is wrapped into one) replaces the positional arguments."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook, *, prepend=False):
        """``hook(module, args, output)`` runs after ``forward``; returning a value
        replaces the output."""
        return self._add_hook(self._forward_hooks, hook, prepend)

    @staticmethod
    def _add_hook(hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------- registration
    def _check_initialised(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call (call super().__init__() first)")

    def register_parameter(self, name, param):
        """Add ``param`` (a ``Parameter``, or ``None`` for an absent one such as
        ``bias=False``) under ``name``."""
        self._check_initialised("parameter")
        self._check_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' (nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: state that is not trained but moves with ``to()`` and, when
        ``persistent``, is saved in ``state_dict`` (BatchNorm's running statistics)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call (call super().__init__() first)")
        self._check_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (``None`` is allowed, as in PyTorch)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name or name == "":
            raise KeyError(f'module name can\'t contain ".", got: {name}' if name else 'module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, kind, name, own):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in own:
            raise KeyError(f"attribute '{name}' already exists")

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialised("parameters")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._check_initialised("module")
            self._forget(name, keep="_modules")
            self._modules[name] = value
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' (nn.Module or None expected)")
            self._modules[name] = value
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)  # plain attributes, plain tensors included

    def _forget(self, name, keep):
        """Remove ``name`` from the other places it may be, before registering it in
        ``keep`` (where a replaced entry keeps its position, hence its state_dict order)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the three registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self)) + list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    # ---------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(name, module)`` for this module and every descendant, depth-first in
        registration order (this module first, with name ``prefix``)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            child_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        """``(qualified name, tensor)`` from one registry of every (sub)module; a tensor
        shared by two modules is reported once (the optimizer must not step it twice)."""
        seen = set()
        owners = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in owners:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and value in seen):
                    continue
                if remove_duplicate:
                    seen.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``""`` is this module)."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = module._modules[item]
        return module

    # ------------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode, recursively. Layers
        such as Dropout and BatchNorm behave differently in the two modes."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient recording for every parameter (``False`` freezes the
        module, e.g. a pretrained feature extractor in transfer learning)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients: to ``None`` (the default), or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on ``self``;
        the usual way to apply a custom initialisation."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------- dtype and device
    def _apply(self, fn):
        """Convert every parameter, gradient and buffer with ``fn`` (tensor -> tensor).

        Parameters keep their identity: the converted array replaces ``p.array`` of
        the same ``Parameter`` object, so an optimizer built before ``model.to(...)``
        still holds the model's parameters (PyTorch's ``_apply``)."""
        for module in self.children():
            module._apply(fn)
        with grad_mode.no_grad():
            for p in self._parameters.values():
                if p is None:
                    continue
                p.array = fn(p).array
                if p.grad is not None:
                    p.grad = Tensor._wrap(fn(p.grad).array)
            for name, b in self._buffers.items():
                if b is not None:
                    self._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)``.

        A dtype applies to floating-point parameters and buffers only (an integer
        buffer such as ``num_batches_tracked`` keeps its dtype); a device to all.
        ``memory_format`` (e.g. ``channels_last``) is accepted and changes no layout."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        memory_formats.check("Module.to", kwargs.pop("memory_format", memory_formats.preserve_format))
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (str, backend.device)):
                device = a
            elif a is not None:
                dtype = a
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")

        def convert(t):
            return t.to(device=device, dtype=dtype if dtype is not None and t.is_floating_point() else None)

        return self._apply(convert)

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def half(self):
        return self.to(np.float16)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    # -------------------------------------------------------------- state_dict
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An ordered dict ``name -> tensor`` of every parameter and persistent
        buffer: per module its parameters, then its buffers, then its children's
        entries, depth-first (PyTorch's key order). Values are detached tensors that
        share memory with the module's (``keep_vars=True`` gives the tensors themselves)."""
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy the values of ``state_dict`` (tensors or arrays, e.g. a PyTorch
        state_dict converted with ``.numpy()``) into this module's parameters and
        buffers, in place.

        Returns ``(missing_keys, unexpected_keys)``. With ``strict=True`` a missing or
        unexpected key is an error; a shape mismatch always is. All problems are
        reported together, in one ``RuntimeError``, as PyTorch does. ``assign=True``
        makes each parameter hold the loaded array (converted to its dtype and device)
        instead of copying into its existing array.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, errors = [], []
        # every path to a module, a shared one included (its keys appear under each path)
        for prefix, module in self.named_modules(remove_duplicate=False):
            module._load_from_state_dict(state_dict, prefix + "." if prefix else "", missing, errors, assign)
        # a key is unexpected when no module claims it
        expected = set(self.state_dict(keep_vars=True))
        unexpected = [k for k in state_dict if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(self._get_name(), "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def _load_from_state_dict(self, state_dict, prefix, missing_keys, error_msgs, assign):
        """Load this module's own parameters and persistent buffers (not its children's)."""
        local = [(n, p) for n, p in self._parameters.items() if p is not None]
        local += [(n, b) for n, b in self._buffers.items() if b is not None and n not in self._non_persistent_buffers_set]
        for name, tensor in local:
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            array = value.array if isinstance(value, Tensor) else _as_array(value)
            if array is None:
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected Tensor or array-like object from checkpoint '
                    f"but received {type(value)}"
                )
                continue
            if tuple(array.shape) != tensor.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} from checkpoint, "
                    f"the shape in current model is {tensor.shape}."
                )
                continue
            array = backend.to_device(array, tensor.device).astype(tensor.dtype, copy=assign)
            if assign:
                tensor.array = array
            else:
                tensor.array[...] = array
            mark_modified(tensor)

    # ------------------------------------------------------------------ printing
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (layers override it)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2) for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _as_array(value):
    """A checkpoint value as an array: NumPy arrays and NumPy/Python scalars are
    accepted (``tge.load`` gives arrays); anything else gives None."""
    if backend.is_array(value):
        return value
    if isinstance(value, (np.generic, int, float, bool)):
        return np.asarray(value)
    if hasattr(value, "__array__") and hasattr(value, "shape"):  # e.g. a torch CPU tensor
        return np.asarray(value)
    return None
