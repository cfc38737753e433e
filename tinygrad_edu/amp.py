"""``torch.amp`` (automatic mixed precision): ``autocast`` and ``GradScaler``, as
documented no-ops.

In PyTorch, ``autocast`` runs selected ops in float16/bfloat16 on a GPU and
``GradScaler`` multiplies the loss by a large factor so that float16 gradients do not
underflow, then divides the gradients back before the optimizer step. tinygrad_edu
computes every op in the dtype of its inputs (no mixed precision), so there is nothing
to cast and nothing to scale. Both are kept so that training loops written for PyTorch
run unchanged:

    scaler = GradScaler(enabled=False)   # or torch.cuda.amp.GradScaler()
    with autocast("cuda"):
        loss = loss_fn(model(x), y)
    scaler.scale(loss).backward()        # scale(loss) returns loss itself
    scaler.step(optimizer)               # calls optimizer.step()
    scaler.update()                      # does nothing

A scaler created with ``enabled=True`` warns once and runs disabled, as PyTorch's does
on a machine without CUDA.
"""
import functools
import warnings


class autocast:
    """Context manager and decorator; runs its body unchanged (no dtype casting here)."""

    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected device_type of type str, got {type(device_type).__name__}")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class GradScaler:
    """Loss scaling for float16 training, disabled here (see the module docstring):
    ``scale`` returns its argument, ``unscale_`` and ``update`` do nothing, ``step``
    calls ``optimizer.step()``, ``get_scale()`` is 1.0."""

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        if enabled:
            warnings.warn(
                "GradScaler is enabled, but tinygrad_edu has no mixed precision (every op runs in its inputs' dtype), "
                "so loss scaling is not needed. Disabling.",
                stacklevel=2,
            )
        self._device = device
        self._enabled = False

    def is_enabled(self):
        return self._enabled

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        pass

    def get_scale(self):
        return 1.0

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass  # a disabled scaler keeps no state (PyTorch ignores the dict too)
