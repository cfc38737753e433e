"""tinygrad_edu: a from-scratch deep-learning framework for teaching.

The API mirrors PyTorch's::

    import tinygrad_edu as tge
    x = tge.randn(3, 4, requires_grad=True)
    y = (x @ x.T).relu().sum()
    y.backward()
    x.grad
"""
import numpy as _np

from . import allocator  # noqa: F401 (at import: glibc keeps freed memory for the next step)
from . import backend
from . import cuda
from .backend import device, get_default_device, set_default_device
from .tensor import Tensor
from .creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, normal,
    ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
    tensor, zeros, zeros_like,
)
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .autograd import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from . import autograd
from .ops.elementwise import (
    abs, add, arctan, atan, clamp, clip, cos, div, exp, log, maximum, minimum, mul, neg, pow,
    rsqrt, sigmoid, sin, sqrt, sub, tanh, where,
)
from .ops.compare import bitwise_and, bitwise_not, bitwise_or, bitwise_xor
from .ops.compare import (
    ceil, eq, floor, floor_divide, ge, gt, isfinite, isnan, le, logical_and, logical_not,
    logical_or, lt, ne, remainder, round, sign,
)
from .ops.compare import all, any
from .ops.reduce import amax, amin, argmax, argmin, logsumexp, max, mean, min, norm, std, sum, var
from .ops.matmul import bmm, matmul, mm
from .ops.shape import (
    broadcast_to, cat, chunk, flatten, permute, repeat, reshape, split, squeeze, stack, transpose,
    unflatten, unsqueeze,
)
from .ops.softmax import log_softmax, softmax
from .ops.activation import relu, relu_, selu, selu_, threshold, threshold_
from .ops.loss import binary_cross_entropy_with_logits
from .ops.convert import clone
from .ops.compare import allclose, equal, isclose
from .ops.einsum import einsum
from .ops.sort import argsort, sort, topk
from .ops.scan import cumprod, cumsum, prod
from .ops.gather import gather, index_select, scatter, scatter_add, take_along_dim
from .ops.linalg import baddbmm, diag, outer, tril, triu
from . import linalg
from . import nn
from . import optim
from . import data
from . import utils
from . import cuda
from .serialization import load, load_safetensors, save, save_safetensors
from .threads import get_num_threads, set_num_threads
from . import kernels, models
from .train import History, evaluate, fit
# names real PyTorch programs use; each module says what it does (mostly: nothing) here
from . import accelerator, amp, backends
from .amp import autocast
from .memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from . import viz

# dtypes: NumPy dtypes under PyTorch's names (t.dtype == tge.float32)
float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int8 = _np.dtype(_np.int8)
uint8 = _np.dtype(_np.uint8)
int16 = short = _np.dtype(_np.int16)
int32 = int = _np.dtype(_np.int32)
int64 = long = _np.dtype(_np.int64)
bool = _np.dtype(_np.bool_)

concat = concatenate = cat


def get_default_dtype():
    return backend.default_float_dtype


def set_default_dtype(dtype):
    """Set the dtype of new floating tensors (float32 or float64)."""
    dtype = _np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {dtype}")
    backend.default_float_dtype = dtype


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


__version__ = "0.1.0"
