"""``Flatten`` and ``Unflatten``: reshape between (N, C, H, W) feature maps and
(N, C*H*W) vectors, e.g. between the conv part of a CNN and its classifier."""
from .module import Module


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` into one (by default all but the batch dim).

        y = x.reshape(S_0, ..., S_(start-1), S_start * ... * S_end, S_(end+1), ...)

    Shape:
        - Input: (*, S_start, ..., S_end, *)
        - Output: (*, S_start * ... * S_end, *), e.g. (N, C, H, W) -> (N, C*H*W) by default

    Backward: ops/shape.py (Reshape): dL/dx = g reshaped back to x's shape.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (the inverse of ``Flatten``).

        y = x.reshape(S_0, ..., U_0, U_1, ..., S_(dim+1), ...),   prod(U) = S_dim

    Shape:
        - Input: (*, S_dim, *), S_dim = product of unflattened_size
        - Output: (*, U_0, U_1, ..., *), U = unflattened_size

    Backward: ops/shape.py (Reshape): dL/dx = g reshaped back to x's shape.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"Unflatten: invalid argument type for dim parameter: {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
