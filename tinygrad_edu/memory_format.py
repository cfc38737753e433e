"""Memory formats (``torch.contiguous_format``, ``torch.channels_last``, ...), accepted
by ``Tensor.to``, ``Tensor.contiguous`` and ``Module.to`` so that PyTorch programs run.

In PyTorch, ``channels_last`` stores an (N, C, H, W) tensor in N, H, W, C order, which
some GPU kernels run faster on; the shape and every value stay the same. tinygrad_edu
keeps C-contiguous (row-major) arrays, so asking for a memory format changes no layout:
a documented no-op.
"""


class memory_format:
    """A named memory format; only its name differs between the instances."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def check(op, value):
    """Accept a memory format (no effect here); refuse anything else, naming it."""
    if not isinstance(value, memory_format):
        raise TypeError(f"{op}: memory_format must be a memory format such as torch.channels_last, got {value!r}")
