"""Batch normalisation in two fused passes per channel: ``batch_norm_forward`` and
``batch_norm_backward`` (the math is ``BatchNorm``'s, ops/norm.py).

Batch norm does a few operations per element it reads, so its time is the time to move
the activation through memory. Written as NumPy expressions (``BatchNorm`` in
ops/norm.py, which reads best and runs on CuPy too) each line is a pass over the whole
activation with a temporary as large: about 8 passes forward and 10 backward. Fused,
channel by channel:

    forward:   sum x -> mean;  sum (x - mean)^2 -> var;  y = (x - mean) * w*rstd + b
               (3 passes: x read three times, y written once; batch statistics only
               in training, else the running ones are given)
    backward:  sum g and sum g * (x - mean)  -> dbias, dweight;
               dx = w*rstd * (g - sum(g)/M - (x - mean)*rstd * dweight/M)
               (2 passes; evaluation: dx = w*rstd * g)

with x viewed as (N, C, L), L the spatial size, M = N*L per channel, rstd =
1/sqrt(var + eps). No activation-sized temporaries; the backward recomputes xhat =
(x - mean)*rstd from x instead of saving it (the same memory: x instead of xhat).

Two forms, proven equal (with ``BatchNorm``) by tests/kernels/test_batch_norm.py:
``*_reference`` (plain loops, for reading) and ``*_numba`` (the same loops compiled,
NumPy only; ops/norm.py's ``FusedBatchNorm`` calls them through ``kernels``). The
numba form splits the channels into tasks that run on ``tge.get_num_threads()``
threads (threads.run_ranges); every channel is summed by one thread, in one order, so
the result is the same on any thread count.
"""
import numpy as np

from tinygrad_edu.kernels._numba import njit_sums, require_numpy
from tinygrad_edu.threads import run_ranges


def _as_ncl(a):
    """(N, C, *spatial) -> (N, C, L), a view of a C-contiguous array."""
    return a.reshape(a.shape[0], a.shape[1], -1)


def _vector(v, channels, fill, dtype):
    """The per-channel weight or bias as a float array, ``fill`` where it is None."""
    return np.full(channels, fill, dtype=dtype) if v is None else np.asarray(v, dtype=dtype)


# ----------------------------------------------------------------------------- reference


def batch_norm_forward_reference(x, weight, bias, eps, running=None):
    """y, mean, var (biased), rstd for x (N, C, *): loops over every element.

    ``running`` = (running_mean, running_var) normalises with those (evaluation);
    None normalises with the batch's own mean and biased variance (training)."""
    n, c = x.shape[:2]
    x3 = _as_ncl(x).astype(np.float64)  # float64 values: a float32 element would keep
    m = x3.shape[0] * x3.shape[2]        # sums in float32 (NumPy's scalar promotion rules)
    y = np.empty(x3.shape, dtype=x.dtype)
    mean, var, rstd = np.empty(c), np.empty(c), np.empty(c)
    for ch in range(c):
        if running is None:
            total = 0.0
            for i in range(n):
                for j in range(x3.shape[2]):
                    total += x3[i, ch, j]
            mean[ch] = total / m
            squares = 0.0
            for i in range(n):
                for j in range(x3.shape[2]):
                    squares += (x3[i, ch, j] - mean[ch]) ** 2
            var[ch] = squares / m
        else:
            mean[ch], var[ch] = running[0][ch], running[1][ch]
        rstd[ch] = 1.0 / np.sqrt(var[ch] + eps)
        w = 1.0 if weight is None else weight[ch]
        b = 0.0 if bias is None else bias[ch]
        for i in range(n):
            for j in range(x3.shape[2]):
                y[i, ch, j] = (x3[i, ch, j] - mean[ch]) * rstd[ch] * w + b
    return y.reshape(x.shape), mean, var, rstd


def batch_norm_backward_reference(g, x, weight, mean, rstd, training):
    """dx, dweight, dbias of ``batch_norm_forward`` for the output gradient g."""
    n, c = x.shape[:2]
    x3, g3 = _as_ncl(x).astype(np.float64), _as_ncl(g).astype(np.float64)  # float64 sums, as above
    m = x3.shape[0] * x3.shape[2]
    dx = np.empty(x3.shape, dtype=x.dtype)
    dweight, dbias = np.empty(c), np.empty(c)
    for ch in range(c):
        sum_g = sum_gxhat = 0.0
        for i in range(n):
            for j in range(x3.shape[2]):
                sum_g += g3[i, ch, j]
                sum_gxhat += g3[i, ch, j] * (x3[i, ch, j] - mean[ch]) * rstd[ch]
        dweight[ch], dbias[ch] = sum_gxhat, sum_g
        scale = (1.0 if weight is None else weight[ch]) * rstd[ch]  # dy/dxhat * dxhat/dx
        for i in range(n):
            for j in range(x3.shape[2]):
                if training:  # mean and var move with x: the two sums of BatchNorm's formula
                    xhat = (x3[i, ch, j] - mean[ch]) * rstd[ch]
                    dx[i, ch, j] = scale * (g3[i, ch, j] - sum_g / m - xhat * sum_gxhat / m)
                else:
                    dx[i, ch, j] = scale * g3[i, ch, j]
    return dx.reshape(x.shape), dweight, dbias


# ----------------------------------------------------------------------------- numba
# The channel loops write only their own channel, so channel ranges [first, last) are
# independent tasks. Sums are accumulated in float64 whatever the data's dtype; the
# per-element formula that writes y or dx runs in the data's dtype (its channel constants
# go through the small array ``c`` of that dtype first). In float64 a float32 pass used
# half the SIMD lanes and converted every element: DnCNN's (16, 32, 40, 40) float32
# backward took 679 us on one thread, 487 on two; 399 and 328 with its dx pass in float32
# (forward: 318 -> 307 and 298 -> 271; a float32 rounding apart, 1e-7 of the largest
# value; benchmarks/issue14_log.md, "Ninth session").


@njit_sums
def _forward_loops(x, weight, bias, mean, var, rstd, y, first, last, batch_stats, eps):
    n, _, l = x.shape
    m = n * l
    c = np.empty(3, dtype=x.dtype)  # a channel's constants in the data's dtype
    for ch in range(first, last):
        if batch_stats:
            total = 0.0
            for i in range(n):
                for j in range(l):
                    total += x[i, ch, j]
            mu = total / m
            squares = 0.0
            for i in range(n):
                for j in range(l):
                    d = x[i, ch, j] - mu
                    squares += d * d
            mean[ch], var[ch] = mu, squares / m
        rstd[ch] = 1.0 / np.sqrt(var[ch] + eps)
        c[0], c[1], c[2] = mean[ch], weight[ch] * rstd[ch], bias[ch]
        mu, scale, shift = c[0], c[1], c[2]  # in the data's dtype
        for i in range(n):
            for j in range(l):
                y[i, ch, j] = (x[i, ch, j] - mu) * scale + shift


@njit_sums
def _backward_loops(g, x, weight, mean, rstd, dx, dweight, dbias, first, last, training):
    n, _, l = x.shape
    m = n * l
    c = np.empty(4, dtype=x.dtype)  # a channel's constants in the data's dtype
    for ch in range(first, last):
        mu, r = mean[ch], rstd[ch]
        sum_g = 0.0
        sum_gxc = 0.0  # sum g * (x - mean) = sum g * xhat / rstd
        for i in range(n):
            for j in range(l):
                gv = g[i, ch, j]
                sum_g += gv
                sum_gxc += gv * (x[i, ch, j] - mu)
        dweight[ch], dbias[ch] = sum_gxc * r, sum_g
        c[0] = weight[ch] * r
        scale = c[0]  # in the data's dtype, as the constants below
        if training:
            c[1], c[2], c[3] = sum_g / m, sum_gxc * r * r / m, mu  # xhat * mean(g * xhat) = (x - mean) * k
            mean_g, k, mu_t = c[1], c[2], c[3]
            for i in range(n):
                for j in range(l):
                    dx[i, ch, j] = scale * (g[i, ch, j] - mean_g - (x[i, ch, j] - mu_t) * k)
        else:
            for i in range(n):
                for j in range(l):
                    dx[i, ch, j] = scale * g[i, ch, j]


def batch_norm_forward_numba(x, weight, bias, eps, running=None):
    """:func:`batch_norm_forward_reference` compiled, its channels split into tasks."""
    require_numpy("batch_norm_forward_numba", x)
    c = x.shape[1]
    x3 = _as_ncl(np.ascontiguousarray(x))
    y = np.empty_like(x3)
    weight, bias = _vector(weight, c, 1.0, x.dtype), _vector(bias, c, 0.0, x.dtype)
    if running is None:
        mean, var = np.empty(c), np.empty(c)
    else:
        mean, var = np.asarray(running[0], dtype=np.float64), np.asarray(running[1], dtype=np.float64)
    rstd = np.empty(c)
    run_ranges(lambda first, last: _forward_loops(x3, weight, bias, mean, var, rstd, y, first, last, running is None, eps),
               c, x3.size)
    return y.reshape(x.shape), mean, var, rstd


def batch_norm_backward_numba(g, x, weight, mean, rstd, training):
    """:func:`batch_norm_backward_reference` compiled, its channels split into tasks."""
    require_numpy("batch_norm_backward_numba", g, x)
    c = x.shape[1]
    x3, g3 = _as_ncl(np.ascontiguousarray(x)), _as_ncl(np.ascontiguousarray(g, dtype=x.dtype))
    dx = np.empty_like(x3)
    dweight, dbias = np.empty(c), np.empty(c)
    weight = _vector(weight, c, 1.0, x.dtype)
    run_ranges(lambda first, last: _backward_loops(g3, x3, weight, mean, rstd, dx, dweight, dbias, first, last, training),
               c, x3.size)
    return dx.reshape(x.shape), dweight, dbias
