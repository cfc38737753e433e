"""``nn.parallel``: ``DataParallel`` and ``DistributedDataParallel``, wrappers that run the
module on its one device.

In PyTorch, ``DataParallel`` splits each batch across several GPUs and
``DistributedDataParallel`` averages gradients across processes. tinygrad_edu trains in
one process on one device, so each wrapper simply calls the module it wraps. They are
kept so that programs written for several GPUs run unchanged, including their
checkpoints: the wrapped model is ``.module``, so ``state_dict`` keys start with
``module.`` exactly as PyTorch's do.
"""
import contextlib

from .module import Module


class DataParallel(Module):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``: ``forward``
    calls ``module`` on the whole batch (one device: nothing to scatter or gather)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module, ...)``: runs ``module`` in this one process (world
    size 1, so there are no gradients to average). The process-group and bucketing
    arguments are accepted and have no effect; ``no_sync()`` is an empty context."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        yield
