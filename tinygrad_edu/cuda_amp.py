"""``torch.cuda.amp``: the CUDA-specific spellings of ``amp.GradScaler`` and
``amp.autocast`` (their arguments start without a device). Same documented no-ops as
``tinygrad_edu/amp.py``. Reached as ``tge.cuda.amp`` (``cuda.py`` imports it as ``amp``)."""
from . import amp as _amp


class GradScaler(_amp.GradScaler):
    """``torch.cuda.amp.GradScaler(init_scale, growth_factor, backoff_factor, growth_interval, enabled)``."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


class autocast(_amp.autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
