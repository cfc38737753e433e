"""Array-level kernels: arrays in, arrays out; no Tensor, no autograd.

The few ops whose inner loops NumPy cannot express as one array expression live here:
im2col/col2im (convolution), Winograd's tile transforms (3x3 convolution), pooling,
upsampling, reflect/replicate padding, data augmentation's affine warp (compiled for
its small images, where the vectorised form is many small calls), batch norm fused into
two passes per channel, Adam's update fused into one pass per parameter, the sum of
every element of a large float32 array (NumPy's sum waits on its own adds; kernels/sums.py),
and the per-element choices ``where`` (NumPy's branches on every element) and
``threshold`` (relu's, one pass each way where NumPy makes several; kernels/select.py).
Each kernel file holds three forms of every kernel, proven equal by tests/kernels
(sums.py's to rounding: they add in different orders; batch_norm.py two: its vectorised
form is the ``BatchNorm`` Function of ops/norm.py; adam.py two: its vectorised form is
``Adam._update`` of optim/adam.py):

* ``name_reference``: plain Python loops, for reading (slow);
* ``name``: vectorised with the array namespace of its inputs (NumPy or CuPy);
* ``name_numba``: the loops compiled by Numba, over the N*C planes, one thread (NumPy only;
  ``_numba.py`` says why not in parallel).

A few kernels have a fourth form, ``name_cupy`` in ``*_cupy.py``: CUDA C compiled by
CuPy, where the vectorised form is a poor fit on a GPU (col2im, max pooling, the
upsampling backwards; see ``_cupy.py``).

The ops call only the public kernels below (``kernels.im2col``, ...), never a kernel
file. Each is made by one dispatcher, ``_dispatcher``: CuPy arrays take the CUDA form
where there is one, else the vectorised form; Numba is chosen only for NumPy arrays. On
the CPU a *kernel set* picks the form, ``"numba"`` (compiled loops) or ``"numpy"``
(vectorised). Choose the set with ``kernels.use("numpy")``, for a block with
``with kernels.using("numpy"):``, or with the environment variable
``TINYGRAD_EDU_KERNELS=numpy``, read once at import.

One kernel is no loop: ``matmul`` (kernels/gemm.py), the matrix products of the
convolutions, ``Linear`` and ``matmul``: NumPy's (or CuPy's) ``matmul`` but for the large
float32 products on the CPU, which go to oneDNN where it is installed and enabled
(backends/mkldnn.py: by default on CPUs with AVX-512), and the outer products, a
broadcast multiply.
"""
import contextlib
import functools
import os

import numpy as np

from . import adam, adaptive_pool, avg_pool, batch_norm, max_pool, pad, unfold, upsample, warp, winograd
from . import max_pool_cupy, unfold_cupy, upsample_cupy
from . import select, sums
from ._cupy import is_cupy_array
from ._numba import HAVE_NUMBA
from .gemm import matmul, onednn_takes
from .sizes import output_size
from .unfold import conv_output_hw, read_in_place

KERNEL_SETS = ("numpy", "numba")
ENV_VAR = "TINYGRAD_EDU_KERNELS"
# Numba is the default because it measured faster on the CPU (benchmarks/README.md has
# the timings). Without Numba installed the NumPy set is the only one.
DEFAULT_KERNEL_SET = "numba" if HAVE_NUMBA else "numpy"

_NUMBA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_kernel_set = DEFAULT_KERNEL_SET


def use(name):
    """Choose the CPU kernel set: ``"numpy"`` (vectorised) or ``"numba"`` (compiled loops)."""
    global _kernel_set
    if name not in KERNEL_SETS:
        raise ValueError(f"kernels.use: unknown kernel set {name!r}; the valid sets are 'numpy' and 'numba'")
    if name == "numba" and not HAVE_NUMBA:
        raise ImportError(
            "kernels.use('numba'): Numba is not installed (pip install numba); the 'numpy' set works without it"
        )
    _kernel_set = name


@contextlib.contextmanager
def using(name):
    """``with kernels.using("numpy"): ...`` runs the block with that kernel set, then
    restores the previous one (even if the block raises)."""
    global _kernel_set
    previous = _kernel_set
    use(name)
    try:
        yield
    finally:
        _kernel_set = previous


def current():
    """The CPU kernel set in use: ``"numpy"`` or ``"numba"``."""
    return _kernel_set


def _kernel_set_from_env():
    name = os.environ.get(ENV_VAR, "").strip()
    if not name:
        return DEFAULT_KERNEL_SET
    if name not in KERNEL_SETS:
        raise ValueError(f"{ENV_VAR}={name!r} names no kernel set; the valid sets are 'numpy' and 'numba'")
    return name


use(_kernel_set_from_env())


def _numba_applies(x, *more):
    """True when the Numba set is on and the arrays are NumPy's, with float32/float64 data
    ``x`` (what the compiled loops are built for). CuPy arrays never take this path."""
    if _kernel_set != "numba" or not isinstance(x, np.ndarray) or x.dtype not in _NUMBA_DTYPES:
        return False
    for a in more:  # a loop, not all(generator): this runs before every kernel call
        if not isinstance(a, np.ndarray):
            return False
    return True


def _cuda_applies(x, *more):
    """True when the arrays are CuPy's, with float32/float64 data ``x``: what the CUDA
    kernels (``*_cupy.py``) are built for. NumPy arrays never take this path."""
    return is_cupy_array(x, *more) and x.dtype in _NUMBA_DTYPES


def _dispatcher(module, name, n_arrays=1, cuda_module=None):
    """The public kernel ``name``: each call runs

    * ``cuda_module.<name>_cupy`` (a CUDA kernel) when there is one and its first
      ``n_arrays`` (positional) arguments are CuPy arrays;
    * ``module.<name>_numba`` when the Numba set applies to them (NumPy arrays only);
    * else the vectorised ``module.<name>`` (NumPy, or CuPy without a CUDA kernel).

    The form is looked up at call time, so a test can replace it."""

    def kernel(*args, **kwargs):
        arrays = args[:n_arrays]
        if cuda_module is not None and _cuda_applies(*arrays):
            return getattr(cuda_module, name + "_cupy")(*args, **kwargs)
        form = name + "_numba" if _numba_applies(*arrays) else name
        return getattr(module, form)(*args, **kwargs)

    return functools.update_wrapper(kernel, getattr(module, name))  # its name, docstring, signature


# convolution: x (N, C, H, W) <-> columns (C, kh, kw, N, OH, OW); kernels/unfold.py
im2col = _dispatcher(unfold, "im2col")
im2col_images_last = _dispatcher(unfold, "im2col_images_last")  # (C, kh, kw, OH, OW, N): small images
col2im = _dispatcher(unfold, "col2im", cuda_module=unfold_cupy)  # CUDA: a gather, no atomics
col2im_images_last = _dispatcher(unfold, "col2im_images_last")  # (C, kh, kw, OH, OW, N) -> image
# Winograd F(m x m, 3x3) convolution: (m+2)x(m+2) tiles of the padded input <-> ((m+2)^2, C,
# tiles); kernels/winograd.py, its compiled loops in kernels/winograd_loops.py
winograd_tiles = _dispatcher(winograd, "winograd_tiles", n_arrays=2)  # (x, out), padded in the kernel
winograd_untile = _dispatcher(winograd, "winograd_untile", n_arrays=2)  # (mt, out)
winograd_untile_adjoint = _dispatcher(winograd, "winograd_untile_adjoint", n_arrays=2)  # (g, out)
winograd_tiles_adjoint = _dispatcher(winograd, "winograd_tiles_adjoint", n_arrays=2)  # (dv, out): dL/dx unpadded
# max pooling and unpooling; kernels/max_pool.py
max_pool2d_forward = _dispatcher(max_pool, "max_pool2d_forward", cuda_module=max_pool_cupy)
_max_pool2d_backward = _dispatcher(max_pool, "max_pool2d_backward", n_arrays=2)  # (grad_out, indices)
max_unpool2d = _dispatcher(max_pool, "max_unpool2d", n_arrays=2)  # (x, indices)
max_unpool2d_backward = _dispatcher(max_pool, "max_unpool2d_backward", n_arrays=2)
# average pooling; kernels/avg_pool.py
avg_pool2d_forward = _dispatcher(avg_pool, "avg_pool2d_forward")
avg_pool2d_backward = _dispatcher(avg_pool, "avg_pool2d_backward")
# adaptive pooling; kernels/adaptive_pool.py
adaptive_avg_pool2d_forward = _dispatcher(adaptive_pool, "adaptive_avg_pool2d_forward")
adaptive_avg_pool2d_backward = _dispatcher(adaptive_pool, "adaptive_avg_pool2d_backward")
adaptive_max_pool2d_forward = _dispatcher(adaptive_pool, "adaptive_max_pool2d_forward")
adaptive_max_pool2d_backward = _dispatcher(adaptive_pool, "adaptive_max_pool2d_backward", n_arrays=2)
# upsampling; kernels/upsample.py
upsample_bilinear2d_forward = _dispatcher(upsample, "upsample_bilinear2d_forward")
upsample_bilinear2d_backward = _dispatcher(upsample, "upsample_bilinear2d_backward", cuda_module=upsample_cupy)
upsample_nearest2d_forward = _dispatcher(upsample, "upsample_nearest2d_forward")
upsample_nearest2d_backward = _dispatcher(upsample, "upsample_nearest2d_backward", cuda_module=upsample_cupy)
# reflect / replicate padding of the last one or two dims; kernels/pad.py
pad_reflect = _dispatcher(pad, "pad_reflect")
pad_reflect_backward = _dispatcher(pad, "pad_reflect_backward")
pad_replicate = _dispatcher(pad, "pad_replicate")
pad_replicate_backward = _dispatcher(pad, "pad_replicate_backward")
# data augmentation's affine warp, bilinear or nearest, of float images; kernels/warp.py
warp_affine = _dispatcher(warp, "warp_affine")


# choosing between two branches on every element; kernels/select.py. The compiled loop for
# NumPy float data of WHERE_ELEMENTS values or more: reaching it costs about 12 us
# (flattening, broadcasting numbers, the call into Numba), and NumPy's where on a random
# condition took 6.4 us for 4096 float32 values, 22 us for 8192 (the loop: 13.8 us).
WHERE_ELEMENTS = 8192


def where(cond, a, b):
    """``a`` where ``cond`` holds, else ``b``, elementwise with broadcasting (kernels/select.py):
    the compiled form for NumPy float data of WHERE_ELEMENTS values or more under the Numba
    set, else the namespace's own ``where`` (NumPy's, CuPy's)."""
    if _kernel_set == "numba" and all(isinstance(v, (np.ndarray, np.generic, int, float)) for v in (cond, a, b)):
        if np.result_type(a, b) in _NUMBA_DTYPES and max(np.size(cond), np.size(a), np.size(b)) >= WHERE_ELEMENTS:
            return select.where_numba(cond, a, b)
    return select.where(cond, a, b)


def threshold_compiled(x):
    """Do ``threshold``/``threshold_backward`` take the compiled pass for ``x``: the Numba
    set, a NumPy float array of WHERE_ELEMENTS values or more (the same cost of reaching
    the loop as ``where``'s)?"""
    return _numba_applies(x) and x.size >= WHERE_ELEMENTS


def threshold(x, threshold, value):
    """``value`` where x <= threshold, x elsewhere (PyTorch's ``threshold``; kernels/select.py)."""
    if threshold_compiled(x):
        return select.threshold_numba(x, threshold, value)
    return select.threshold(x, threshold, value)


def threshold_backward(g, x, threshold):
    """g where not x <= threshold (a NaN passes g), else 0 (kernels/select.py)."""
    if threshold_compiled(x) and isinstance(g, np.ndarray) and g.shape == x.shape:
        return select.threshold_backward_numba(g, x, threshold)
    return select.threshold_backward(g, x, threshold)


# the sum of every element; kernels/sums.py. The compiled loop for NumPy float32 data of
# SUM_ELEMENTS values or more in one block of memory (C or Fortran order); a smaller or
# strided array, other dtypes and CuPy's keep the namespace's own sum, and its bits. One
# thread, NumPy / the compiled loop with the call into Numba: 4096 float32 values 1.6 /
# 0.9 us, 8192 2.2 / 1.1, 32768 6.0 / 2.3 (benchmarks/issue14_log.md, "Fifty-first
# session"): below the line the saving is under a microsecond, and small arrays (most
# tests, the lectures) keep NumPy's sums bit for bit.
SUM_ELEMENTS = 8192


def sum_all_compiled(x):
    """Does ``sum_all`` take the compiled loop for ``x``: the Numba set, a NumPy float32
    array of SUM_ELEMENTS values or more, C- or Fortran-contiguous?"""
    if not (_numba_applies(x) and x.dtype == np.float32 and x.size >= SUM_ELEMENTS):
        return False
    return x.flags.c_contiguous or x.flags.f_contiguous


def sum_all(x):
    """The sum of every element of ``x`` as a 0-d array of its dtype (kernels/sums.py)."""
    if sum_all_compiled(x):
        return sums.sum_all_numba(x)
    return sums.sum_all(x)


# batch norm in two fused passes per channel; kernels/batch_norm.py. Compiled loops only:
# the vectorised form is ops/norm.py's BatchNorm (NumPy and CuPy), so the op picks one of
# two Functions with ``batch_norm_fused_applies`` (the Numba set, NumPy float data).
batch_norm_forward = batch_norm.batch_norm_forward_numba
batch_norm_backward = batch_norm.batch_norm_backward_numba


def batch_norm_fused_applies(x):
    """True when ``batch_norm_forward``/``_backward`` take ``x``: the Numba set is on, x is
    a non-empty NumPy float32/float64 array."""
    return _numba_applies(x) and x.size > 0


# Adam's update in one pass per parameter; kernels/adam.py. Compiled loop only: the
# vectorised form is optim/adam.py's ``Adam._update`` (NumPy and CuPy), which asks
# ``adam_compiled_applies`` first.
adam_update = adam.adam_update_numba


def adam_compiled_applies(param, grad, *state):
    """True when ``adam_update`` takes ``param``, ``grad`` and the ``state`` arrays: the
    Numba set is on, and all are NumPy arrays of param's float32/float64 dtype and shape,
    param and state C-contiguous (they are written in place) and param writeable. Anything
    else takes Adam's NumPy lines, which cope or say what is wrong."""
    if not (_numba_applies(param, grad, *state) and param.flags.writeable and param.flags.c_contiguous):
        return False
    for a in (grad, *state):
        if a.dtype != param.dtype or a.shape != param.shape or not (a is grad or a.flags.c_contiguous):
            return False
    return True


def max_pool2d_backward(grad_out, indices, input_shape, window=None):
    """Add each output gradient into the input pixel its index points at (kernels/max_pool.py).

    ``window`` = ``(kernel_size, stride, padding, dilation)`` of the forward, when given,
    lets CuPy arrays take the CUDA gather (kernels/max_pool_cupy.py): one thread per input
    pixel finds the windows that contain it, which needs their geometry; it is
    deterministic where a scatter-add on the GPU is not. The CPU forms do not need it."""
    if window is not None and _cuda_applies(grad_out, indices):
        return max_pool_cupy.max_pool2d_backward_cupy(grad_out, indices, input_shape, *window)
    return _max_pool2d_backward(grad_out, indices, input_shape)
