"""``Dropout`` and ``Dropout2d``: random zeroing in training mode, identity in
evaluation mode (``model.eval()``). See ``ops/dropout.py`` for the inverted scaling."""
from ..ops.dropout import dropout, dropout2d
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` and scale the others by 1 / (1 - p).

        y = x * m / (1 - p),  m_i ~ Bernoulli(1 - p)   (training);   y = x   (eval)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/dropout.py (Dropout): dL/dx = g * m / (1 - p).
    """

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels (N, C, H, W -> each (n, c) plane) with probability ``p``.

        y[n, c] = x[n, c] * m[n, c] / (1 - p),  m[n, c] ~ Bernoulli(1 - p)   (training)

    Shape:
        - Input: (N, C, H, W) or (N, C, L)
        - Output: same shape as the input

    Backward: ops/dropout.py (Dropout, with a mask of shape (N, C, 1, 1)).
    """

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)
