"""Reverse-mode automatic differentiation.

``Function``        base class of every op (forward + hand-written backward)
``engine``          the backward pass over the recorded graph
``views``           views and version counters (``mark_modified``)
``inplace``         recording in-place writes (``apply_inplace``)
``grad``            gradients of outputs w.r.t. chosen inputs
``no_grad`` ...     switching graph recording off and on
``detect_anomaly``  find the op whose backward produced NaN/Inf
``gradcheck`` ...   numerical gradient checking (central differences in float64)
``Variable``        the pre-0.4 PyTorch name: returns a Tensor
"""
from .anomaly import detect_anomaly, is_anomaly_enabled
from .function import Function
from .functional import grad
from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .gradcheck import (
    GradcheckError,
    analytical_jacobian,
    gradcheck,
    numerical_jacobian,
    rel_error,
)
from .variable import Variable

__all__ = [
    "Function", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "inference_mode", "is_inference_mode_enabled",
    "detect_anomaly", "is_anomaly_enabled", "gradcheck", "numerical_jacobian",
    "analytical_jacobian", "rel_error", "GradcheckError", "Variable",
]
