"""``Identity`` and ``Linear`` (the fully connected layer)."""
import math

from .. import creation
from ..ops.matmul import linear
from . import init
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer); accepts and
    ignores any constructor arguments, as PyTorch's does.

        y = x

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input (the same tensor)

    Backward: nothing recorded: forward (nn/linear.py) returns the input tensor itself,
    so dL/dx = g.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ W^T + b, with ``weight`` W of shape (out_features, in_features) and
    ``bias`` b of shape (out_features,); x has shape (*, in_features).

    Default initialisation (PyTorch's): W ~ U(-1/sqrt(in), 1/sqrt(in)) (written as
    ``kaiming_uniform_(a=sqrt(5))``) and b ~ U(-1/sqrt(in), 1/sqrt(in)).

    Shape:
        - Input: (*, in_features), * any number of leading dims (including none)
        - Output: (*, out_features)

    Backward: ops/matmul.py (Linear): dL/dx = g W,  dL/dW = g^T x,  dL/db = sum of g over rows.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
