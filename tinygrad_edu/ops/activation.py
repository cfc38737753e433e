"""Activation functions, each a ``Function`` with its derivative next to its forward.

    relu, leaky_relu, elu, selu, gelu, silu, softplus, hardtanh, softsign, binary_step

(``sigmoid``, ``tanh`` and the slides' ArcTan, ``atan``, live in ``elementwise.py``.)

Every activation acts elementwise, so its Jacobian is diagonal and each backward is
``dL/dx = g * f'(x)`` with ``g = dL/dz`` the upstream gradient. Hyperparameters
(``negative_slope``, ``alpha``, ...) reach ``forward`` as keyword arguments, so each
backward returns one gradient: the one for ``x``.

``inplace=True`` (where PyTorch has it) overwrites the input through the in-place
machinery (``apply_inplace``, ``autograd/inplace.py``): the result is computed out of
place, copied into the input, the input's version counter is bumped and the input
itself is returned, as in PyTorch (``relu_``, ``elu_``, ... are the same calls). The
memory PyTorch saves with it (no second buffer) is not saved here: a temporary result
is still made.
"""
import math

from .. import kernels
from ..autograd.function import Function
from ..backend import default_float_dtype, get_array_module
from ..tensor import Tensor
from . import inplace as _inplace


def _floating(op, input):
    """Most activations are defined for floating-point tensors only (PyTorch refuses
    integer ones with 'not implemented for Long'); say so clearly."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.array.dtype.kind not in "fc":
        raise TypeError(f"{op}: expected a floating-point input tensor, got dtype {input.dtype} (shape {input.shape}); "
                        "convert it first, e.g. x.float()")
    return input


def _in_place(op, input, out_of_place):
    """Write ``out_of_place(input)`` into ``input`` and return ``input`` (PyTorch's ``inplace=True``)."""
    return _inplace.apply_inplace(op + "_", input, out_of_place)


# ------------------------------------------------------------------- ReLU family
class ReLU(Function):
    """z = max(x, 0).

    Backward: dL/dx = 0 where x <= 0, else g. At x = 0 the derivative is taken as 0,
    as PyTorch does (the slides' table says 1 there; any value in [0, 1] is a valid
    subgradient). The test on the saved output z is the same as on x. Written as a
    choice on "z <= 0" rather than "z > 0" so that a NaN passes g through, as PyTorch's
    ``threshold_backward`` does; and as a choice, not ``g * mask``, so that the masked
    entries are exactly +0.0 whatever g holds (inf * 0 is NaN, -2 * 0 is -0.0).
    """

    @staticmethod
    def forward(ctx, x):
        z = get_array_module(x).maximum(x, 0).astype(x.dtype, copy=False)  # maximum keeps NaN
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.1
        (z,) = ctx.saved_tensors
        return kernels.where(z <= 0, 0, g)
        # END SOLUTION


class Threshold(Function):
    """z = x where x > threshold, else value (PyTorch's ``threshold``); relu is
    threshold(x, 0, 0).

    Backward: dL/dx = g where x > threshold, else 0 (the value is a constant). Both ways
    test "x <= threshold" and take the other branch when it fails, so a NaN passes x
    forward and g backward, as PyTorch's ``threshold_backward`` does. Each is ONE pass of
    a compiled loop for large NumPy float arrays (kernels.threshold, ...): ``relu`` runs
    those through this op, since ReLU's NumPy backward makes three passes.

    With value <= threshold the output tells the same: z <= threshold exactly where
    x <= threshold. Then z is saved, as ReLU does, rather than x: in a network the next
    layer keeps z anyway, while x (a batch norm's output, say) could otherwise be freed.
    """

    @staticmethod
    def forward(ctx, x, threshold, value):
        z = kernels.threshold(x, threshold, value)
        ctx.save_for_backward(z if value <= threshold else x)
        ctx.threshold = threshold
        return z

    @staticmethod
    def backward(ctx, g):
        (x_or_z,) = ctx.saved_tensors  # either has x's "<= threshold" pattern
        return kernels.threshold_backward(g, x_or_z, ctx.threshold)


class LeakyReLU(Function):
    """z = x for x > 0, negative_slope * x otherwise (the slides' 'Leaky' ReLU / PReLU
    with a fixed alpha).

    Backward: dL/dx = g for x > 0, g * negative_slope for x <= 0 (PyTorch's choice at 0).
    """

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return kernels.where(x > 0, x, x * negative_slope)  # NumPy's where, without its branch per element

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.1
        (x,) = ctx.saved_tensors
        return kernels.where(x > 0, g, g * ctx.negative_slope)
        # END SOLUTION


class ELU(Function):
    """z = scale * x for x > 0,  scale * alpha * (e^x - 1) for x <= 0.

    ``scale`` is 1 for ELU; SELU is the same curve with fixed ``alpha`` and ``scale``.
    Backward:
        dL/dx = g * scale                     for x > 0
        dL/dx = g * scale * alpha * e^x       for x <= 0   (= g * (z + scale * alpha),
                                                             the slides' f(x) + alpha)
    At x = 0 the left branch is used, as in PyTorch: the derivative there is scale * alpha.
    A NaN takes the right branch (g * scale), as PyTorch's ``elu_backward`` does.
    """

    @staticmethod
    def forward(ctx, x, alpha, scale):
        xp = get_array_module(x)
        ctx.save_for_backward(x)
        ctx.alpha, ctx.scale = alpha, scale
        # expm1(x) = e^x - 1 without the cancellation of exp(x) - 1 near 0
        return kernels.where(x > 0, x * scale, xp.expm1(x) * (alpha * scale))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = get_array_module(g)
        return kernels.where(x <= 0, g * (ctx.alpha * ctx.scale) * xp.exp(xp.minimum(x, 0)), g * ctx.scale)


# SELU's constants (Klambauer et al., 2017), the values PyTorch uses: with them, layers
# keep activations near zero mean and unit variance.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Hardtanh(Function):
    """z = min(max(x, min_val), max_val).

    Backward: dL/dx = 0 where x <= min_val or x >= max_val, else g. Unlike ``clamp``, the
    gradient is 0 *at* the bounds too, and a NaN passes g through, as PyTorch's
    ``hardtanh_backward`` does (a choice, as ReLU's: +0.0 outside whatever g holds).
    """

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.save_for_backward(x)
        ctx.min_val, ctx.max_val = min_val, max_val
        return get_array_module(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return kernels.where((x <= ctx.min_val) | (x >= ctx.max_val), 0, g)


# ------------------------------------------------------------------ smooth ones
def erf_array(x):
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt, elementwise on
    an array (NumPy has no ``erf``; CuPy's lives in ``cupyx``).

    W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
    for the error function", Math. Comp. 23, 1969; the netlib SPECFUN routine CALERF),
    one per range of |x|:

        |x| <= 0.46875       erf(x)  = x * P1(x^2) / Q1(x^2)
        0.46875 < |x| <= 4   erfc(y) = e^(-y^2) * P2(y) / Q2(y)                      (y = |x|)
        |x| > 4              erfc(y) = e^(-y^2) / y * (1/sqrt(pi) - t * P3(t) / Q3(t))  (t = 1/y^2)

    and erf(x) = sign(x) * (1 - erfc(|x|)) outside the first range. The approximations
    themselves are accurate beyond double precision, so in float64 the error is
    rounding only: within 2e-16 of ``math.erf`` (``tests/ops/test_activation.py`` checks
    5e-16 on a dense grid). CALERF also splits y^2 to make e^(-y^2) exact to the last
    bit for erfc's relative accuracy; erf only needs absolute accuracy, so that step is
    left out. All three ranges are evaluated on the whole array (each on its inputs
    clipped into its range, so nothing overflows) and ``where`` picks the right one.
    """
    xp = get_array_module(x)
    y = xp.abs(x)

    x1 = xp.clip(x, -0.46875, 0.46875)
    t1 = x1 * x1
    erf_small = x1 * _horner(t1, _ERF_P1) / _horner(t1, _ERF_Q1)

    y2 = xp.clip(y, 0.46875, 4.0)
    erfc_middle = xp.exp(-y2 * y2) * _horner(y2, _ERF_P2) / _horner(y2, _ERF_Q2)

    y3 = xp.maximum(y, 4.0)
    t3 = 1 / (y3 * y3)
    erfc_large = xp.exp(-y3 * y3) / y3 * (_ONE_OVER_SQRT_PI - t3 * _horner(t3, _ERF_P3) / _horner(t3, _ERF_Q3))

    erfc = xp.where(y <= 4.0, erfc_middle, erfc_large)
    return xp.where(y <= 0.46875, erf_small, xp.sign(x) * (1 - erfc))


def _horner(t, coefficients):
    """The polynomial c0 t^n + c1 t^(n-1) + ... + cn (highest degree first) at t."""
    result = coefficients[0]
    for c in coefficients[1:]:
        result = result * t + c
    return result


# Cody's coefficients, highest degree first (CALERF's A/B, C/D and P/Q arrays reordered).
_ERF_P1 = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
           3.20937758913846947e03)
_ERF_Q1 = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERF_P2 = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
           1.23033935479799725e03)
_ERF_Q2 = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
           3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P3 = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4)
_ERF_Q3 = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
           2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 1 / math.sqrt(math.pi)


class GELU(Function):
    """z = x * Phi(x), Phi the standard normal CDF: Phi(x) = (1 + erf(x / sqrt(2))) / 2.

    Backward: dL/dx = g * (Phi(x) + x * phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi).
    """

    @staticmethod
    def forward(ctx, x):
        cdf = 0.5 * (1 + erf_array(x * (1 / math.sqrt(2))))
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        x, cdf = ctx.saved_tensors
        pdf = get_array_module(x).exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + x * pdf)


class GELUTanh(Function):
    """z = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) * (x + 0.044715 x^3)  (``approximate="tanh"``).

    Backward (product rule, tanh' = 1 - tanh^2):
        dL/dx = g * ( (1 + tanh u) / 2  +  x/2 * (1 - tanh^2 u) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2) )
    """

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        th = xp.tanh(_GELU_BETA * (x + _GELU_KAPPA * x * x * x))
        ctx.save_for_backward(x, th)
        return 0.5 * x * (1 + th)

    @staticmethod
    def backward(ctx, g):
        x, th = ctx.saved_tensors
        du_dx = _GELU_BETA * (1 + 3 * _GELU_KAPPA * x * x)
        return g * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du_dx)


_GELU_BETA = math.sqrt(2 / math.pi)
_GELU_KAPPA = 0.044715


def sigmoid_array(x):
    """1 / (1 + e^-x) on an array, without overflow: e^-|x| never overflows (the same
    stable form as ``elementwise.Sigmoid``). Shared with the losses."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return kernels.where(x >= 0, 1 / (1 + e), e / (1 + e))


class SiLU(Function):
    """z = x * sigmoid(x)  (a.k.a. swish).

    Backward: dL/dx = g * (s + x * s * (1 - s)) = g * s * (1 + x * (1 - s)),  s = sigmoid(x).
    """

    @staticmethod
    def forward(ctx, x):
        s = sigmoid_array(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


class Softplus(Function):
    """z = log(1 + e^(beta x)) / beta, and z = x where beta * x > threshold (PyTorch's
    linear region: there the two differ by less than e^-threshold / beta).

    Backward: dL/dx = g * sigmoid(beta x) (the slides' 1 / (1 + e^-x) for beta = 1),
    and g in the linear region.

    The log is computed in the overflow-free form
        log(1 + e^a) = max(a, 0) + log1p(e^-|a|),   a = beta x,
    which PyTorch does not need (its threshold keeps e^a small) but which keeps a large
    user-chosen threshold from overflowing to inf.
    """

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = get_array_module(x)
        a = x * beta
        ctx.save_for_backward(a)
        ctx.threshold = threshold
        smooth = (xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))) / beta
        return kernels.where(a > threshold, x, smooth)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return kernels.where(a > ctx.threshold, g, g * sigmoid_array(a))


class Softsign(Function):
    """z = x / (1 + |x|).   Backward: dL/dx = g / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        ctx.save_for_backward(x)
        return x / (1 + xp.abs(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = 1 + get_array_module(x).abs(x)
        return g / (d * d)


class BinaryStep(Function):
    """z = 1 for x >= 0, 0 for x < 0 (the slides' binary step; the Heaviside function).

    Backward: dL/dx = 0 everywhere. The true derivative is 0 for x != 0 and undefined
    at 0 (the slides' '?'); we use 0 there too. So no gradient signal ever passes:
    this is why gradient descent cannot train a network of step units.
    """

    @staticmethod
    def forward(ctx, x):
        return (x >= 0).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return get_array_module(g).zeros_like(g)


# -------------------------------------------------------- the functional interface
def relu(input, inplace=False):
    """max(x, 0) elementwise; integer tensors allowed (they stay integer).

        y = max(x, 0)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (ReLU): dL/dx = g * [x > 0]. Large NumPy float tensors
    (kernels.threshold_compiled) take ``Threshold`` with threshold = value = 0 instead:
    the same values and gradients, NaN included, in one compiled pass each way (DnCNN's
    ReLU backward 0.47 -> 0.28 ms; benchmarks/issue14_log.md, "Ninth session").
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    apply = _relu_as_threshold if kernels.threshold_compiled(input.array) else ReLU.apply
    if inplace:
        return _in_place("relu", input, apply)
    return apply(input)


def _relu_as_threshold(input):
    return Threshold.apply(input, threshold=0.0, value=0.0)


def _scalar(op, name, value):
    """A threshold's number (PyTorch takes a Scalar, not a tensor)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value`` (PyTorch's ``F.threshold``).

        y = x if x > threshold else value

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Threshold): dL/dx = g where x > threshold, else 0.
    """
    return _threshold(input, threshold, value, inplace)


def _threshold(input, threshold, value, inplace):
    if not isinstance(input, Tensor):
        input = Tensor(input)
    threshold, value = _scalar("threshold", "threshold", threshold), _scalar("threshold", "value", value)
    if inplace:
        return _in_place("threshold", input, lambda x: Threshold.apply(x, threshold=threshold, value=value))
    return Threshold.apply(input, threshold=threshold, value=value)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, ``negative_slope * x`` otherwise.

        y = x if x > 0 else negative_slope * x

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (LeakyReLU): dL/dx = g * (1 if x > 0 else negative_slope).
    """
    input = _floating("leaky_relu", input)
    if inplace:
        return _in_place("leaky_relu", input, lambda x: LeakyReLU.apply(x, negative_slope=negative_slope))
    return LeakyReLU.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, ``alpha * (e^x - 1)`` otherwise.

        y = x if x > 0 else alpha * (e^x - 1)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (ELU, with scale = 1).
    """
    input = _floating("elu", input)
    if inplace:
        return _in_place("elu", input, lambda x: ELU.apply(x, alpha=alpha, scale=1.0))
    return ELU.apply(input, alpha=alpha, scale=1.0)


def selu(input, inplace=False):
    """``SELU_SCALE * elu(x, SELU_ALPHA)``: ELU with PyTorch's fixed SELU constants.

        y = scale * (x if x > 0 else alpha * (e^x - 1)),  alpha ~ 1.6733, scale ~ 1.0507

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (ELU, with alpha = SELU_ALPHA, scale = SELU_SCALE).
    """
    input = _floating("selu", input)
    if inplace:
        return _in_place("selu", input, lambda x: ELU.apply(x, alpha=SELU_ALPHA, scale=SELU_SCALE))
    return ELU.apply(input, alpha=SELU_ALPHA, scale=SELU_SCALE)


def gelu(input, approximate="none"):
    """x * Phi(x) (exact, with erf) or its tanh approximation (``approximate="tanh"``).

        y = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt(2))) / 2
        y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))     (approximate="tanh")

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (GELU; GELUTanh for approximate="tanh").
    """
    input = _floating("gelu", input)
    if approximate == "none":
        return GELU.apply(input)
    if approximate == "tanh":
        return GELUTanh.apply(input)
    raise RuntimeError(f"gelu: approximate argument must be either 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace=False):
    """x * sigmoid(x).

        y = x * sigmoid(x) = x / (1 + e^-x)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (SiLU): dL/dx = g * s * (1 + x (1 - s)), s = sigmoid(x).
    """
    input = _floating("silu", input)
    if inplace:
        return _in_place("silu", input, SiLU.apply)
    return SiLU.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, reverting to x where beta * x > threshold.

        y = log(1 + e^(beta * x)) / beta     (y = x where beta * x > threshold)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Softplus): dL/dx = g * sigmoid(beta * x).
    """
    input = _floating("softplus", input)
    return Softplus.apply(input, beta=beta, threshold=threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]; integer tensors allowed (they stay integer).

        y = min(max(x, min_val), max_val)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Hardtanh): dL/dx = g where min_val < x < max_val, else 0.
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if inplace:
        return _in_place("hardtanh", input, lambda x: Hardtanh.apply(x, min_val=min_val, max_val=max_val))
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def softsign(input):
    """x / (1 + |x|); an integer input gives a float result, as in PyTorch.

        y = x / (1 + |x|)

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (Softsign): dL/dx = g / (1 + |x|)^2.
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.array.dtype.kind in "biu":
        input = Tensor._wrap(input.array.astype(default_float_dtype))
    return Softsign.apply(input)


def binary_step(input):
    """1 for x >= 0, 0 for x < 0, with a zero gradient (the slides' binary step).

        y = 1 if x >= 0 else 0

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Backward: ops/activation.py (BinaryStep): dL/dx = 0 everywhere.

    Not a PyTorch function (``torch.heaviside(x, tensor(1.))`` computes the same forward
    but has no gradient at all); kept for the course's activation table.
    """
    input = _floating("binary_step", input)
    return BinaryStep.apply(input)


# PyTorch's in-place spellings (torch.relu_, F.elu_, Tensor.relu_, ...)
def threshold_(input, threshold, value):
    """In-place ``threshold``: x <- (x if x > threshold else value), returns x.

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input tensor itself

    Backward: ops/activation.py (Threshold), recorded in place by ops/inplace.py.
    """
    return _threshold(input, threshold, value, True)


def relu_(input):
    """In-place ``relu``: x <- max(x, 0), returns x (PyTorch's ``F.relu_``).

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input tensor itself

    Backward: ops/activation.py (ReLU), recorded in place by ops/inplace.py.
    """
    return relu(input, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu``: x <- (x if x > 0 else negative_slope * x), returns x.

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input tensor itself

    Backward: ops/activation.py (LeakyReLU), recorded in place by ops/inplace.py.
    """
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input, alpha=1.0):
    """In-place ``elu``: x <- (x if x > 0 else alpha * (e^x - 1)), returns x.

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input tensor itself

    Backward: ops/activation.py (ELU), recorded in place by ops/inplace.py.
    """
    return elu(input, alpha, inplace=True)


def selu_(input):
    """In-place ``selu``: x <- scale * (x if x > 0 else alpha * (e^x - 1)), returns x.

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input tensor itself

    Backward: ops/activation.py (ELU), recorded in place by ops/inplace.py.
    """
    return selu(input, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``: x <- min(max(x, min_val), max_val), returns x.

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), the input tensor itself

    Backward: ops/activation.py (Hardtanh), recorded in place by ops/inplace.py.
    """
    return hardtanh(input, min_val, max_val, inplace=True)
