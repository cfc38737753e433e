"""Matrix products: ``matmul`` (NumPy's rules), ``mm``, ``bmm`` and ``linear``.

The products are ``kernels.matmul``: NumPy's ``matmul`` (CuPy's on a GPU), but with the
large float32 ones on oneDNN where it is installed and enabled (by default on CPUs with
AVX-512) and the outer products as a broadcast multiply, both faster on the CPU
(kernels/gemm.py). ``xp.matmul`` in their place gives
the same values to float32 rounding.
"""
from .. import kernels
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ..shape_checks import broadcast_shape


class MatMul(Function):
    """z = x @ y with NumPy's rules: 1-D, 2-D, batched and broadcast batch dims.

    For matrices, z_ij = sum_k x_ik y_kj, so (the matmul Jacobian convention)
        dL/dx = g @ y^T        dL/dy = x^T @ g
    where ^T swaps the last two dims. A 1-D x is treated as a row (1, k) and a 1-D y
    as a column (k, 1); the size-1 dim is removed from the result, so backward puts it
    back into g and takes it out of the input gradients. Batch dims that were
    broadcast are summed by the engine. Each input is saved only if the other one
    needs its gradient (dL/dx needs y, dL/dy needs x).
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y if ctx.needs_input_grad[0] else None)
        ctx.ndims = (x.ndim, y.ndim)
        return kernels.matmul(x, y)

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 1.5
        x, y = ctx.saved_tensors
        x_ndim, y_ndim = ctx.ndims
        xp = get_array_module(g)
        gx = gy = None
        if x_ndim == 1 and y_ndim == 1:  # dot product: g is a scalar
            if ctx.needs_input_grad[0]:
                gx = g * y
            if ctx.needs_input_grad[1]:
                gy = g * x
            return gx, gy
        g2 = g
        if x_ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if y_ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if ctx.needs_input_grad[0]:
            y2 = y[:, None] if y_ndim == 1 else y
            gx = kernels.matmul(g2, xp.swapaxes(y2, -1, -2))
            if x_ndim == 1:
                gx = gx[..., 0, :]
        if ctx.needs_input_grad[1]:
            x2 = x[None, :] if x_ndim == 1 else x
            gy = kernels.matmul(xp.swapaxes(x2, -1, -2), g2)
            if y_ndim == 1:
                gy = gy[..., 0]
        return gx, gy
        # END SOLUTION


class Linear(Function):
    """z = x @ W^T + b  for x of shape (..., in), W (out, in), b (out,).

    Backward, with g of shape (..., out) flattened to rows (n, out) and x to (n, in):
        dL/dx = g @ W            dL/dW = g^T @ x            dL/db = sum over rows of g
    (x is saved only if W needs its gradient, W only if x does.)
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        # BEGIN SOLUTION task 2.4
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, weight if ctx.needs_input_grad[0] else None)
        z = kernels.matmul(x, weight.T)
        return z if bias is None else z + bias
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION task 2.4
        x, weight = ctx.saved_tensors
        g_rows = g.reshape(-1, g.shape[-1])
        gx = kernels.matmul(g, weight) if ctx.needs_input_grad[0] else None
        gw = kernels.matmul(g_rows.T, x.reshape(-1, x.shape[-1])) if ctx.needs_input_grad[1] else None
        gb = g_rows.sum(axis=0) if ctx.needs_input_grad[2] else None
        return gx, gw, gb
        # END SOLUTION


_TORCH_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
                      "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def check_same_dtype(op, a, b):
    """Matrix products refuse to mix dtypes, as PyTorch does (elementwise ops promote
    instead): a float32 input against float64 weights is almost always a bug, and a
    silent promotion would hide it and double the memory."""
    if a.dtype != b.dtype:
        names = [_TORCH_DTYPE_NAMES.get(d.name, d.name) for d in (a.dtype, b.dtype)]
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: {names[0]} != {names[1]} "
            f"(shapes {a.shape} {a.dtype} and {b.shape} {b.dtype}); convert one, e.g. b.to(a.dtype)"
        )


def _check_matmul(op, a, b):
    check_same_dtype(op, a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"{op}: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        rows_a = "x".join(map(str, a.shape[-2:])) if a.ndim > 1 else f"1x{k_a}"
        rows_b = "x".join(map(str, b.shape[-2:])) if b.ndim > 1 else f"{k_b}x1"
        raise RuntimeError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be multiplied ({rows_a} and {rows_b}): "
            f"inner dimensions {k_a} and {k_b} must match"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_shape(f"{op} (batch dims)", a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())


def matmul(input, other):
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if not isinstance(other, Tensor):
        other = Tensor(other)
    _check_matmul("matmul", input, other)
    return MatMul.apply(input, other)


def mm(input, mat2):
    """Matrix product of two 2-D tensors (no broadcasting)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {input.shape} and {mat2.shape}")
    check_same_dtype("mm", input, mat2)
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with the same batch size, got shapes {input.shape} and {mat2.shape}")
    check_same_dtype("bmm", input, mat2)
    return matmul(input, mat2)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (the fully connected layer).

        y = x W^T + b

    Shape:
        - Input: (*, in_features), * any number of leading dims (including none)
        - Weight: (out_features, in_features);  bias: (out_features,)
        - Output: (*, out_features)

    Backward: ops/matmul.py (Linear): dL/dx = g W,  dL/dW = g^T x,  dL/db = sum of g over rows.
    """
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {input.shape} does not fit weight of shape {weight.shape}: "
            f"expected input (..., {weight.shape[-1] if weight.ndim else '?'}) and a 2-D weight (out_features, in_features)"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise RuntimeError(f"linear: bias of shape {bias.shape} does not match out_features {weight.shape[0]}")
    check_same_dtype("linear", input, weight)
    if bias is not None:
        check_same_dtype("linear", input, bias)
    return Linear.apply(input, weight, bias)
