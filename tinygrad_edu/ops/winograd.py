"""3x3 stride-1 convolution by Winograd's F(m x m, 3x3), m = BLOCK (4; or 2): conv2d's
forward and backward with 4x (2.25x for m = 2) fewer multiplications than im2col
(kernels/winograd.py explains the algorithm and the tile layout, a = m + 2).

With U = G w G^T (a^2, OC, C), one per weight, and for each slice of the batch:

    forward    V  = tiles(pad(x))               (a^2, C, P): B^T d B of every a x a input tile
               M[k] = U[k] @ V[k]               a^2 GEMMs, k = the position in the tile
               out = untile(M)                  A^T M A: each tile's m x m output block

and the backward is the adjoint of each step, in reverse order (g = dL/dout):

    dM  = untile_adjoint(g)                     (a^2, OC, P): A gt A^T of each m x m block of g
    dV[k] = U[k]^T @ dM[k]                      dL/dx = tiles_adjoint(dV), the padding cut off
    dU[k] = sum over slices of dM[k] @ V[k]^T   (V built again from x: cheaper than keeping it)
    dL/dW[o, c] = G^T dU[:, o, c] G

The forward is linear in x and in w, so these are its exact gradients; they equal the
im2col ones up to float rounding (tests/ops/test_winograd.py checks both, and the
gradient checker).

Why: the GEMMs are the cost of a convolution. F(4x4, 3x3) needs 36 multiply-adds per
channel pair and 4x4 output block where im2col needs 144, and its transforms are a few
operations per element on arrays 2.25x the input (im2col's columns are 9x). conv2d
N=32, 64->64, 32x32, forward + backward on one thread: 76 ms with im2col, 60 ms with
F(2x2, 3x3), 43 ms with F(4x4, 3x3), PyTorch 48 ms (benchmarks/issue14_log.md, "Seventh
session"). The price is float32 rounding: about 1e-5 of the output's scale at 64
channels, against 4e-7 for F(2x2, 3x3) and 1e-6 for im2col.

When (``applies``): 3x3 kernels, stride 1, dilation 1, no groups, at least MIN_CHANNELS
input and output channels, float32/float64 NumPy arrays, and outputs large enough in
both directions: at least MIN_SIZE pixels, or at least MIN_EXACT_SIZE pixels that m x m
blocks cover exactly, or (F(4x4), a call of at least MANY_IMAGES images) any size from
one block up whose rows of tiles the kernels take images innermost (at most 12 pixels:
kernels/winograd.py). With fewer channels the GEMMs are too thin to pay for the
transforms (the course's first layers have one). A small output that the blocks do not
cover exactly wastes part of its edge tiles, and the smallest give the GEMMs too few
columns, unless the batch is wide. Measured on the AMD EPYC (Zen 4) of the
thirty-seventh session, conv2d fwd+bwd, N=32, C=OC in 16/32/64, one thread, Winograd's
time over im2col's, with the tile transforms image by image (benchmarks/issue14_log.md,
"Thirty-seventh session"):

    F(4x4, 3x3)   8x8 0.61-0.83    12x12 0.61-0.84    16x16 to 24x24 0.48-0.78
                  6x6 0.89-1.59    10x10 0.78-1.16    4x4 1.05-1.35
    F(2x2, 3x3)   8x8 to 14x14 0.66-0.91              6x6 0.66-1.15    4x4 1.05-1.31

(the seventh and ninth sessions, on other machines, had found the same pattern, 12x12
then a tie). With the images-innermost loops of the thirty-eighth session
(kernels/winograd_loops.py), F(4x4) on 32 images: 4x4 0.74-0.97, 6x6 0.68-1.00, 8x8
0.48-0.58, 10x10 0.67-0.73, 12x12 0.44-0.54; on 8 images 4x4 and 6x6 still lose
(0.97-1.46), and 16 images are mixed at 4x4 (0.86-1.44). The course's small CNN (32
images of 8x8 at 32 channels, then 4x4 at 64) takes it for all three of its 32- and
64-channel layers: the 8x8 layer's forward + backward 0.74x im2col's time with the
transforms image by image (the step about 8% faster), 0.49x images innermost; the 4x4
layers' 0.73x and 0.78x; the step 0.82x as long as the thirty-seventh session's (paired
fresh processes; benchmarks/issue14_log.md, "Thirty-eighth session"). The 8x8 layer's
scratch once raised the step's peak memory from 2.8 to 4.3 MiB, 2.1x PyTorch's (one
array per transform, a whole small batch at once; traced): with the two task buffers
below it peaks at 3.0 MiB. At the 4x4 layers U (and dU), a^2 OC C, four times the weight,
is larger than the tiles: made whole, the 64-channel layer's backward set the step's peak
at 3.32 MiB (3.14 with im2col for the 4x4 layers). With the batch in one slice, U and dU
are made a block of channels at a time (``_channel_blocks``): that layer's forward and
backward then peak at 2.60 and 2.92 MiB, the 8x8 layer's backward at 2.91. The blocks
cost about 2% of the step; with the weight's taps copied into rows for each transform
(``transformed_weight``) the step took 0.96x its time before both (paired fresh
processes; benchmarks/issue14_log.md, "Thirty-ninth session").
Everything else, and any convolution with ``ENABLED = False``, takes im2col (ops/conv.py).
The environment variable ``TINYGRAD_EDU_WINOGRAD`` (``off``, ``2`` or ``4``), read once at
import, sets ENABLED or BLOCK for a whole run, e.g. to compare with im2col.
The code is written with the array namespace of its inputs, but CuPy arrays take im2col:
Winograd has not been measured on a GPU.
"""
import functools
import os

import numpy as np

from .. import kernels
from ..backend import get_array_module
from ..kernels.winograd import BAND_TILES, matrices, tile_grid
from ..threads import even_ranges, run_tasks
from . import scratch

MIN_CHANNELS = 16
MIN_SIZE = 16
MIN_EXACT_SIZE = 8
MANY_IMAGES = 32  # F(4x4) on smaller outputs: from this many images a call (the docstring's rule)
ENV_VAR = "TINYGRAD_EDU_WINOGRAD"


def settings_from_env(value):
    """(ENABLED, BLOCK) for a value of TINYGRAD_EDU_WINOGRAD: "" (the defaults), "off", "2" or "4"."""
    value = value.strip()
    if value == "":
        return True, 4
    if value == "off":
        return False, 4
    if value in ("2", "4"):
        return True, int(value)
    raise ValueError(f"{ENV_VAR}={value!r}: expected 'off', '2' or '4' (F(2x2, 3x3) or F(4x4, 3x3))")


# ENABLED: Conv2d takes this path where ``applies``; BLOCK: m of F(m x m, 3x3), 4, or 2 for
# about 25x less float32 rounding at 1.3-1.4x the time
ENABLED, BLOCK = settings_from_env(os.environ.get(ENV_VAR, ""))

# The slices of the batch are as in ops/conv.py: at most TILE_BYTES of transformed tiles
# (at least one image), grouped into at most TASKS tasks that threads.run_tasks spreads
# over the threads, each task with its own scratch and share of dU, added in task order
# (the same sum on any thread count). Under PARALLEL_BYTES of tiles in all, one thread.
TILE_BYTES = 1 * 2**20
TASKS = 8
PARALLEL_BYTES = 1 * 2**20


def applies(x, weight, stride, padding, dilation, groups):
    """Does this conv2d take the Winograd path (the module docstring's rule)?"""
    return (
        ENABLED
        and tuple(weight.shape[2:]) == (3, 3)
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and groups == 1
        and min(x.shape[1], weight.shape[0]) >= MIN_CHANNELS
        and _output_size_pays(x.shape[2] + 2 * padding[0] - 2, x.shape[0])
        and _output_size_pays(x.shape[3] + 2 * padding[1] - 2, x.shape[0])
        and isinstance(x, np.ndarray)
        and x.dtype in (np.float32, np.float64)
    )


def _output_size_pays(size, images):
    """An output this many pixels high (or wide), in a call of ``images`` images, is large
    enough for Winograd: at least MIN_SIZE, or at least MIN_EXACT_SIZE and covered exactly
    by m x m blocks, or (F(4x4)) with at least MANY_IMAGES images any size from one block
    up whose rows of tiles the kernels take images innermost (fewer than BAND_TILES)."""
    if size >= MIN_SIZE or (size >= MIN_EXACT_SIZE and size % BLOCK == 0):
        return True
    return BLOCK == 4 and images >= MANY_IMAGES and size >= BLOCK and -(-size // BLOCK) < BAND_TILES


def transformed_weight(weight, m, out=None):
    """U = G w G^T for every (output, input) channel pair: (a^2, OC, C), position i*a + j
    (into ``out``, a contiguous array of that shape, when given). ``weight`` may be a
    strided view (a block of input channels).

    All pairs in ONE product: U[i*a + j, (o, c)] = sum over k, l of G[i, k] G[j, l]
    w[o, c, k, l], that is (G kron G) @ w with w viewed as (9, OC*C). One thread, float32:
    13 us for 32 x 32 channels and 116 for 64 x 64, against 52 and 188 as two tensordots
    and a transpose (benchmarks/issue14_log.md, "Thirty-seventh session"). The taps are
    copied into (9, OC*C) rows first: NumPy's BLAS took 2x as long reading them strided
    (27 against 13 us for 16 x 64 channels, a block of the small CNN's 64 -> 64 layer;
    "Thirty-ninth session"); the copy takes 9 / a^2 of U's room (a quarter for F(4x4))."""
    xp = get_array_module(weight)
    oc, c = weight.shape[:2]
    kron = xp.asarray(_kron_g(m, weight.dtype))  # (a^2, 9)
    taps = xp.ascontiguousarray(weight.transpose(2, 3, 0, 1)).reshape(9, oc * c)  # one copy from any strides
    if out is None:
        return (kron @ taps).reshape(kron.shape[0], oc, c)
    if out.shape != (kron.shape[0], oc, c) or not out.flags.c_contiguous:
        raise ValueError(f"transformed_weight: out must be a contiguous array of shape {(kron.shape[0], oc, c)}, "
                         f"got {out.shape} (contiguous: {out.flags.c_contiguous})")
    xp.matmul(kron, taps, out=out.reshape(kron.shape[0], oc * c))
    return out


def weight_gradient(du, m, out=None):
    """dL/dW (OC, C, 3, 3) from dL/dU (a^2, OC, C), the adjoint of ``transformed_weight``
    (into ``out``, a contiguous array of that shape, when given):
    dW[o, c, k, l] = sum over i, j of G[i, k] G[j, l] dU[i*a + j, o, c], i.e.
    (G kron G)^T @ dU, one product, written as dU^T (G kron G): (OC*C, 9) comes out in
    dW's own order, with no transposed copy (15 and 83 us against 75 and 253, as above;
    19 and 117 with the copy, "Thirty-eighth session")."""
    xp = get_array_module(du)
    count, oc, c = du.shape
    kron = xp.asarray(_kron_g(m, du.dtype))
    if out is None:
        return (du.reshape(count, oc * c).T @ kron).reshape(oc, c, 3, 3)
    if out.shape != (oc, c, 3, 3) or not out.flags.c_contiguous:
        raise ValueError(f"weight_gradient: out must be a contiguous array of shape {(oc, c, 3, 3)}, "
                         f"got {out.shape} (contiguous: {out.flags.c_contiguous})")
    xp.matmul(du.reshape(count, oc * c).T, kron, out=out.reshape(oc * c, 9))
    return out


@functools.lru_cache(maxsize=None)
def _kron_g(m, dtype):
    """G kron G, (a^2, 9): row i*a + j, column k*3 + l holds G[i, k] G[j, l]; made once
    per (m, dtype) and read-only."""
    g = matrices(m, dtype)[1]
    kron = np.kron(g, g)
    kron.setflags(write=False)
    return kron


def _plane_stride(rows, cols, dtype):
    """Elements from one (rows, cols) plane of a task buffer to the next: the plane's own
    size rounded up to an odd number of 64-byte cache lines. Why: the transforms write
    (or read) one element in each of the planes per tile, and the L1 cache puts a line
    in one of 64 sets by the line's address modulo 64 lines (4 KiB), each set holding
    8-12 lines. Planes a multiple of 4 KiB apart all land in one set: F(2x2, 3x3)'s tile
    transform of 64 channels of 32x32 took 47 ns per tile with the planes 64 KiB apart,
    5.8 ns with one line more (one thread). Half of that, 2 KiB, puts 36 planes in two
    sets: DnCNN's layer (16 images of 32 channels, 40x40) took 13.8 ms fwd+bwd with 4
    images a slice against 10.2 ms with the planes an odd number of lines apart, which
    spreads any 64 planes over all 64 sets (benchmarks/issue14_log.md, "Ninth session")."""
    line = scratch.ALIGN // dtype.itemsize  # elements in a cache line (the buffers start on one)
    lines = -(-rows * cols // line)  # cache lines from one plane to the next: an odd number
    return (lines + 1 - lines % 2) * line


def _planes(buffer, count, rows, cols):
    """``count`` (rows, cols) planes in ``buffer``, ``_plane_stride`` apart: a
    (count, rows, cols) view."""
    stride = _plane_stride(rows, cols, buffer.dtype)
    return buffer[: count * stride].reshape(count, stride)[:, : rows * cols].reshape(count, rows, cols)


# Each task works in TWO flat buffers, each holding one array after another as the
# steps of a slice use them up:
#   forward:   A: M                  B: V
#   backward:  A: dM                 B: V, then dV
# The tile kernels pad the input themselves (kernels/winograd.py), so no padded copy of
# the images takes room here. On small images the scratch, not the activations, sets the
# peak memory of a training step: the course's small CNN (32 images of 8x8, 32 channels)
# took 4.7 MiB at its traced peak with one buffer per array, 3.3 with two, and 3.0 at that
# layer once max pooling's indices were let go after its backward (autograd/function.py,
# ``Context._free``) and the weight transform became one product: the step's peak is then
# 3.1 MiB, at its 64-channel layer, as with im2col; 2.9 MiB with its 4x4 layers on Winograd
# too, U made by blocks of channels (``_channel_blocks``). DnCNN's step 47.4 MiB against
# 49.6 (benchmarks/issue14_log.md, "Thirty-seventh session").
def _task_buffer(kept, xp, slot, size, dtype):
    """A task's flat buffer for ``slot``: for NumPy the one an earlier task of this call
    made on this thread (``kept``, an ops/scratch.TaskScratch: still in the core's
    cache)."""
    if xp.__name__ != "numpy":  # CuPy's memory pool already reuses its blocks
        return scratch.aligned(xp, size, dtype)
    return kept.get(slot, (size, dtype), lambda: scratch.aligned(xp, size, dtype))


def _slices(n, channels, tiles, m, dtype):
    """Even slices (start, stop) of the batch with at most TILE_BYTES of transformed tiles
    (a^2 * channels * tiles per image), at least one image each."""
    per_image = (m + 2) ** 2 * channels * tiles[0] * tiles[1] * dtype.itemsize
    images = max(1, TILE_BYTES // per_image)
    return even_ranges(n, max(1, -(-n // images)))


def _channel_blocks(c, oc, slices, tiles, m):
    """The blocks of channels that U and dU are made by when the batch is one slice:
    ((output channel blocks), (input channel blocks)); None for more slices, where U is
    made once and kept (made again for each slice it would add about a quarter to a
    slice's products at 64 channels) and dU is summed over the slices before it becomes
    dL/dW.

    One block unless U, a^2 OC C, is larger than a tile buffer, a^2 max(C, OC) P, that is
    unless the layer has more channels, in and out, than the slice has tiles (the small
    CNN's 64 -> 64 layer at 4x4: 32 tiles); then ceil(a^2 / 9) blocks of each, whose rows
    of U take no more room than the weight. Either way dU, a block at a time, becomes
    its rows of dL/dW before U takes its place, so the two are never held at once."""
    (start, stop), parts = slices[0], -(-(m + 2) ** 2 // 9)
    if len(slices) > 1:
        return None
    if min(c, oc) <= (stop - start) * tiles[0] * tiles[1]:
        parts = 1
    return even_ranges(oc, min(oc, parts)), even_ranges(c, min(c, parts))


def _block_scratch(xp, blocks, c, oc, m, dtype):
    """One flat array for the largest block of U or dU: a^2 x (output block x C, or
    OC x input block) elements."""
    by_output = max(stop - start for start, stop in blocks[0]) * c  # (a^2, block, C)
    by_input = oc * max(stop - start for start, stop in blocks[1])  # (a^2, OC, block)
    return xp.empty((m + 2) ** 2 * max(by_output, by_input), dtype=dtype)


def _run(xp, work, slices, tile_bytes):
    """``[work(task) for task in tasks]``, the slices grouped into at most TASKS tasks, on
    several threads when there are at least PARALLEL_BYTES of tiles (NumPy only)."""
    tasks = [slices[a:b] for a, b in even_ranges(len(slices), min(TASKS, len(slices)))]
    if xp.__name__ == "numpy" and tile_bytes >= PARALLEL_BYTES:
        return run_tasks(work, tasks)
    return [work(task) for task in tasks]


def conv2d_forward(x, weight, padding):
    """out (N, OC, OH, OW) = conv2d(x, weight, padding=padding), stride 1, by Winograd
    F(m x m, 3x3), m = BLOCK."""
    xp = get_array_module(x, weight)
    m = BLOCK
    n, c, h, w = x.shape
    oc = weight.shape[0]
    ph, pw = padding
    tiles = tile_grid((h + 2 * ph - 2, w + 2 * pw - 2), m)
    out = xp.empty((n, oc, h + 2 * ph - 2, w + 2 * pw - 2), dtype=x.dtype)
    slices = _slices(n, max(c, oc), tiles, m, x.dtype)
    count = (m + 2) ** 2
    blocks = _channel_blocks(c, oc, slices, tiles, m)  # one slice: U by blocks, in s_buf
    u = transformed_weight(weight, m) if blocks is None else None
    s_buf = None if blocks is None else _block_scratch(xp, blocks, c, oc, m, x.dtype)
    kept = scratch.TaskScratch()

    def work(task):  # one task: its slices in turn, in its thread's two buffers
        most = max(b - a for a, b in task) * tiles[0] * tiles[1]
        a_buf = _task_buffer(kept, xp, "a", count * _plane_stride(oc, most, x.dtype), x.dtype)
        b_buf = _task_buffer(kept, xp, "b", count * _plane_stride(c, most, x.dtype), x.dtype)
        for a, b in task:
            p = (b - a) * tiles[0] * tiles[1]
            v = kernels.winograd_tiles(x, _planes(b_buf, count, c, most)[:, :, :p], (a, b), m, padding)
            mt = _planes(a_buf, count, oc, most)[:, :, :p]
            if blocks is None:
                kernels.matmul(u, v, out=mt)
            else:  # one slice: U a block of output channels at a time (``_channel_blocks``)
                for o0, o1 in blocks[0]:
                    ub = transformed_weight(weight[o0:o1], m, out=scratch.part(s_buf, (count, o1 - o0, c)))
                    kernels.matmul(ub, v, out=mt[:, o0:o1])
            kernels.winograd_untile(mt, out, (a, b), m)

    _run(xp, work, slices, count * max(c, oc) * n * tiles[0] * tiles[1] * x.dtype.itemsize)
    return out


def conv2d_backward(x, weight, g, padding, need_x, need_w):
    """(dL/dx, dL/dW) of ``conv2d_forward`` (None for the one not needed), from one
    transform of g per slice (the module docstring's formulas)."""
    if not (need_x or need_w):  # only the bias needs a gradient
        return None, None
    xp = get_array_module(x, weight, g)
    m = BLOCK
    n, c = x.shape[:2]
    oc = weight.shape[0]
    tiles = tile_grid(g.shape[2:], m)
    count = (m + 2) ** 2
    gx = xp.empty(x.shape, dtype=x.dtype) if need_x else None
    slices = _slices(n, max(c, oc), tiles, m, x.dtype)
    blocks = _channel_blocks(c, oc, slices, tiles, m)
    # more slices: U^T (a^2, C, OC; BLAS reads it transposed) made once, dU summed at the
    # end; one slice: U and dU by blocks in s_buf, dL/dW written a block at a time
    u_t = xp.swapaxes(transformed_weight(weight, m), 1, 2) if need_x and blocks is None else None
    s_buf = None if blocks is None else _block_scratch(xp, blocks, c, oc, m, x.dtype)
    gw = xp.empty(weight.shape, dtype=weight.dtype) if need_w and blocks is not None else None
    kept = scratch.TaskScratch()

    def work(task):  # one task: its slices in turn, in its thread's two buffers; returns its share of dU
        most = max(b - a for a, b in task) * tiles[0] * tiles[1]
        a_buf = _task_buffer(kept, xp, "a", count * _plane_stride(oc, most, x.dtype), x.dtype)
        b_buf = _task_buffer(kept, xp, "b", count * _plane_stride(c, most, x.dtype), x.dtype)
        du = None  # this task's share of dU (returned: a new array, never kept scratch)
        for a, b in task:
            p = (b - a) * tiles[0] * tiles[1]
            if need_w:  # V again, from x
                v = kernels.winograd_tiles(x, _planes(b_buf, count, c, most)[:, :, :p], (a, b), m, padding)
            dm = kernels.winograd_untile_adjoint(g, _planes(a_buf, count, oc, most)[:, :, :p], (a, b), m)
            dv = _planes(b_buf, count, c, most)[:, :, :p]  # written over V, once V is used
            if blocks is None:
                if need_w:
                    part = kernels.matmul(dm, xp.swapaxes(v, 1, 2))
                    du = part if du is None else xp.add(du, part, out=du)
                if need_x:
                    kernels.matmul(u_t, dm, out=dv)
            else:  # the one slice: a block of output channels' dU becomes their rows of dL/dW
                if need_w:
                    for o0, o1 in blocks[0]:
                        dub = scratch.part(s_buf, (count, o1 - o0, c))
                        kernels.matmul(dm[:, o0:o1], xp.swapaxes(v, 1, 2), out=dub)
                        weight_gradient(dub, m, out=gw[o0:o1])
                if need_x:  # then U a block of input channels at a time
                    for c0, c1 in blocks[1]:
                        ub = transformed_weight(weight[:, c0:c1], m, out=scratch.part(s_buf, (count, oc, c1 - c0)))
                        kernels.matmul(xp.swapaxes(ub, 1, 2), dm, out=dv[:, c0:c1])
            if need_x:
                kernels.winograd_tiles_adjoint(dv, gx, (a, b), m, padding)  # dL/dx of images a..b-1
        return du

    shares = _run(xp, work, slices, count * max(c, oc) * n * tiles[0] * tiles[1] * x.dtype.itemsize)
    if need_w and blocks is None:
        du = shares[0]
        for share in shares[1:]:  # in task order: the same sum on any number of threads
            du += share
        gw = weight_gradient(du, m)
    return gx, gw
