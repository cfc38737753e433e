"""A module for every activation function: each holds the function's hyperparameters
and calls the functional form in ``ops/`` (where the derivative lives). ``PReLU`` is
the one with a parameter: its learned negative slope."""
import warnings

from .. import creation
from ..ops import activation as A
from ..ops.elementwise import sigmoid, tanh
from ..ops.prelu import prelu
from ..ops.softmax import log_softmax, softmax
from . import init as nn_init
from .module import Module
from .parameter import Parameter


def _inplace_suffix(inplace, first=False):
    """PyTorch's repr mentions ``inplace=True`` only when it is set."""
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """max(0, x).

        y = max(x, 0)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (ReLU): dL/dx = g * [x > 0].
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, first=True)


class Threshold(Module):
    """x where x > threshold, else ``value``.

        y = x if x > threshold else value

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Threshold): dL/dx = g where x > threshold, else 0.
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return A.threshold(input, self.threshold, self.value, inplace=self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace_suffix(self.inplace, first=False)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise.

        y = x if x > 0 else negative_slope * x

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (LeakyReLU).
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return A.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + _inplace_suffix(self.inplace)


class PReLU(Module):
    """x for x > 0, a * x otherwise, with the slope a *learned*: one for all channels
    (``num_parameters=1``) or one per channel (``num_parameters=C``), initialised to
    ``init``. (Weight decay on a would push it to 0, i.e. towards ReLU.)

        y = x if x > 0 else a[c] * x      (c the channel, dim 1 of the input)

    Shape:
        - Input: (*), channels at dim 1 when there are 2 or more dims
        - Output: (*), same shape as the input
        - weight: (num_parameters,)

    Backward: ops/prelu.py (PReLU): dL/dx = g (x > 0) or g * a; dL/da = sum of g * x where x <= 0.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        nn_init.constant_(self.weight, self.init)

    def forward(self, input):
        return prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha * (e^x - 1) otherwise.

        y = x if x > 0 else alpha * (e^x - 1)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (ELU).
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return A.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_suffix(self.inplace)


class SELU(Module):
    """scale * ELU(x) with the self-normalising constants alpha ~ 1.6733, scale ~ 1.0507.

        y = scale * (x if x > 0 else alpha * (e^x - 1))

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (ELU, with SELU's alpha and scale).
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.selu(input, self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, first=True)


class GELU(Module):
    """x * Phi(x) (Phi the standard normal CDF); ``approximate='tanh'`` uses the tanh formula.

        y = x * (1 + erf(x / sqrt(2))) / 2;   tanh: y = x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (GELU; GELUTanh for approximate='tanh').
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return A.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (also called swish).

        y = x * sigmoid(x) = x / (1 + e^-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (SiLU).
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.silu(input, self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, first=True)


class Sigmoid(Module):
    """1 / (1 + e^-x).

        y = 1 / (1 + e^-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/elementwise.py (Sigmoid): dL/dx = g * y * (1 - y).
    """

    def forward(self, input):
        return sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent.

        y = tanh(x) = (e^x - e^-x) / (e^x + e^-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/elementwise.py (Tanh): dL/dx = g * (1 - y^2).
    """
    def forward(self, input):
        return tanh(input)


class Softplus(Module):
    """log(1 + e^(beta x)) / beta (linear above ``threshold``, for stability).

        y = log(1 + e^(beta * x)) / beta     (y = x where beta * x > threshold)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Softplus): dL/dx = g * sigmoid(beta * x).
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

        y = min(max(x, min_val), max_val)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Hardtanh).
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_suffix(self.inplace)


class Softsign(Module):
    """x / (1 + |x|).

        y = x / (1 + |x|)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Softsign): dL/dx = g / (1 + |x|)^2.
    """

    def forward(self, input):
        return A.softsign(input)


def _softmax_dim(name, ndim):
    """PyTorch's legacy choice when ``dim`` is left out (with its deprecation warning)."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^x_i / sum_j e^x_j along ``dim``.

        y_i = e^(x_i) / sum_j e^(x_j)   (along dim)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/softmax.py (Softmax): dL/dx = y * (g - sum(g * y)).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim("softmax", input.ndim)
        return softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably as x - logsumexp(x).

        y_i = x_i - log sum_j e^(x_j)   (along dim)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/softmax.py (LogSoftmax): dL/dx = g - softmax(x) * sum(g).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _softmax_dim("log_softmax", input.ndim)
        return log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"
