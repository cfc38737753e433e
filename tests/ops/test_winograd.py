"""conv2d by Winograd F(2x2, 3x3) and F(4x4, 3x3) (ops/winograd.py): forward against the
loop definition, gradients by the gradient checker and against im2col's, a planted wrong
backward caught, the same bits on any thread count, float32 against PyTorch, and the rule
that picks it."""
import contextlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_edu as tge
from tinygrad_edu import kernels
from tinygrad_edu.autograd import GradcheckError, gradcheck
from tinygrad_edu.kernels import winograd as winograd_kernels
from tinygrad_edu.ops import scratch, winograd
from tinygrad_edu.ops.conv import conv2d

from .test_conv import conv2d_loops

pytestmark = pytest.mark.cpu_only  # Winograd runs on NumPy arrays only (ops/winograd.py)


@contextlib.contextmanager
def _replaced(module, values):
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def settings(**values):
    """Run with ops/winograd.py's module settings replaced (MIN_CHANNELS=1, ...)."""
    return _replaced(winograd, values)


def kernel_settings(**values):
    """Run with kernels/winograd.py's module settings replaced (IMAGES_INNER_MIN=1)."""
    return _replaced(winograd_kernels, values)


# any size: the tests below reach the Winograd path with a channel or two
EVERY_SIZE = dict(MIN_CHANNELS=1, MIN_SIZE=1)


@st.composite
def configs(draw):
    """3x3, stride 1: odd and even sizes down to one output pixel, padding 0-3, a bias or
    not, and the block size m."""
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    h = draw(st.integers(max(1, 3 - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, 3 - 2 * padding[1]), 9))
    return dict(n=draw(st.integers(1, 3)), c=draw(st.integers(1, 3)), oc=draw(st.integers(1, 3)), hw=(h, w),
                padding=padding, bias=draw(st.booleans()), m=draw(st.sampled_from([2, 4])))


def _tensors(cfg, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = tge.tensor(rng.standard_normal((cfg["n"], cfg["c"], *cfg["hw"])).astype(dtype), requires_grad=True)
    w = tge.tensor(rng.standard_normal((cfg["oc"], cfg["c"], 3, 3)).astype(dtype), requires_grad=True)
    b = tge.tensor(rng.standard_normal(cfg["oc"]).astype(dtype), requires_grad=True) if cfg["bias"] else None
    return x, w, b


def _forward_backward(x, w, b, padding, g):
    """out, dL/dx, dL/dW of conv2d, for fresh leaves equal to x and w."""
    x, w = x.detach().requires_grad_(), w.detach().requires_grad_()
    out = conv2d(x, w, b, padding=padding)
    out.backward(g)
    return out.detach().numpy(), x.grad.numpy(), w.grad.numpy()


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@given(cfg=configs(), seed=st.integers(0, 100), sliced=st.booleans(), images_inner=st.booleans())
def test_winograd_conv2d_matches_loops_im2col_and_gradcheck(kernel_set, cfg, seed, sliced, images_inner):
    if kernel_set == "numba" and not kernels.HAVE_NUMBA:
        pytest.skip("Numba is not installed")
    # one image per slice (TILE_BYTES=1), or the default; F(4x4)'s tiles numbered images
    # innermost from one image up (kernels/winograd.py), or from IMAGES_INNER_MIN as usual
    inner_min = 1 if images_inner else winograd_kernels.IMAGES_INNER_MIN
    with kernels.using(kernel_set), settings(**EVERY_SIZE, BLOCK=cfg["m"], TILE_BYTES=1 if sliced else winograd.TILE_BYTES), \
            kernel_settings(IMAGES_INNER_MIN=inner_min):
        x, w, b = _tensors(cfg, seed)
        assert winograd.applies(x.array, w.array, (1, 1), cfg["padding"], (1, 1), 1)
        out = conv2d(x, w, b, padding=cfg["padding"])
        expected = conv2d_loops(x.detach().numpy(), w.detach().numpy(), None if b is None else b.detach().numpy(),
                                (1, 1), cfg["padding"], (1, 1), 1)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-10)
        up = tge.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape))
        inputs = (x, w) + ((b,) if b is not None else ())
        assert gradcheck(lambda *t: conv2d(t[0], t[1], t[2] if len(t) > 2 else None, padding=cfg["padding"]) * up,
                         inputs, fast_mode=True)
        ours = _forward_backward(x, w, b, cfg["padding"], up)
    with settings(ENABLED=False):  # the same gradients as im2col's, to float64 rounding
        for got, want in zip(ours, _forward_backward(x, w, b, cfg["padding"], up)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@st.composite
def few_tile_configs(draw):
    """A batch in one slice with fewer tiles than channels, in and out, so that U and dU
    are made by blocks of channels (``_channel_blocks``): 1-2 images of one row of 1-2
    tiles, more channels than tiles up to 9 (blocks of one to three channels, even or
    not), padding 0-2."""
    m = draw(st.sampled_from([2, 4]))
    n, oh, ow = draw(st.integers(1, 2)), draw(st.integers(1, m)), draw(st.integers(1, 2 * m))  # 1 row, 1-2 tiles
    padding = tuple(draw(st.integers(0, min(2, (size + 1) // 2))) for size in (oh, ow))  # inputs of 1+ pixels
    tiles = n * -(-ow // m)
    return dict(n=n, c=draw(st.integers(tiles + 1, 9)), oc=draw(st.integers(tiles + 1, 9)),
                hw=(oh + 2 - 2 * padding[0], ow + 2 - 2 * padding[1]), padding=padding, bias=False, m=m)


@pytest.mark.parametrize("kernel_set", ["numpy", "numba"])
@given(cfg=few_tile_configs(), seed=st.integers(0, 100))
def test_u_and_du_by_blocks_of_channels_match_loops_im2col_and_gradcheck(kernel_set, cfg, seed):
    """The one-slice path with U and dU a block of channels at a time: forward against the
    loops, gradcheck, gradients against im2col's (float64), and dL/dx or dL/dW alone the
    same bits as both together."""
    if kernel_set == "numba" and not kernels.HAVE_NUMBA:
        pytest.skip("Numba is not installed")
    tiles = tuple(-(-(size + 2 * p - 2) // cfg["m"]) for size, p in zip(cfg["hw"], cfg["padding"]))
    with kernels.using(kernel_set), settings(**EVERY_SIZE, BLOCK=cfg["m"]):
        slices = winograd._slices(cfg["n"], max(cfg["c"], cfg["oc"]), tiles, cfg["m"], np.dtype(np.float64))
        blocks = winograd._channel_blocks(cfg["c"], cfg["oc"], slices, tiles, cfg["m"])
        assert blocks is not None and len(blocks[0]) > 1 and len(blocks[1]) > 1
        x, w, _ = _tensors(cfg, seed)
        out = conv2d(x, w, padding=cfg["padding"])
        expected = conv2d_loops(x.detach().numpy(), w.detach().numpy(), None, (1, 1), cfg["padding"], (1, 1), 1)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-10)
        up = tge.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape))
        assert gradcheck(lambda a, b: conv2d(a, b, padding=cfg["padding"]) * up, (x, w), fast_mode=True)
        ours = _forward_backward(x, w, None, cfg["padding"], up)
        arrays = x.detach().numpy(), w.detach().numpy(), up.numpy(), cfg["padding"]
        assert winograd.conv2d_backward(*arrays, True, False)[1] is None
        np.testing.assert_array_equal(winograd.conv2d_backward(*arrays, True, False)[0], ours[1])
        np.testing.assert_array_equal(winograd.conv2d_backward(*arrays, False, True)[1], ours[2])
    with settings(ENABLED=False):
        for got, want in zip(ours, _forward_backward(x, w, None, cfg["padding"], up)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("plant", ["untile_adjoint", "tiles_adjoint"])
def test_the_gradient_checker_catches_a_planted_wrong_winograd_backward(plant, m, monkeypatch):
    """Each backward transform, made wrong in one place, fails gradcheck."""
    if plant == "untile_adjoint":  # the last row of dM lost: wrong dx and dW
        right = kernels.winograd_untile_adjoint

        def wrong(g, out, images, m):
            right(g, out, images, m)
            out[-1] = 0
            return out

        monkeypatch.setattr(kernels, "winograd_untile_adjoint", wrong)
    else:  # the input gradient of the last tile of each slice lost
        right = kernels.winograd_tiles_adjoint

        def wrong(dv, out, images, m, padding):
            dv = dv.copy()
            dv[:, :, -1] = 0
            return right(dv, out, images, m, padding)

        monkeypatch.setattr(kernels, "winograd_tiles_adjoint", wrong)
    cfg = dict(n=2, c=2, oc=2, hw=(5, 4), padding=(1, 1), bias=False)
    with settings(**EVERY_SIZE, BLOCK=m):
        x, w, _ = _tensors(cfg, 3)
        with pytest.raises(GradcheckError, match="gradcheck failed"):
            gradcheck(lambda a, b: conv2d(a, b, padding=1), (x, w))


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("plant", ["input_blocks", "weight_gradient_block"])
def test_the_gradient_checker_catches_a_planted_wrong_backward_by_blocks(plant, m, monkeypatch):
    """The one-slice backward by blocks of channels, made wrong in one place (the forward
    left right), fails gradcheck: the last block of input channels skipped (its rows of
    dV keep V: a wrong dL/dx), or each block's dL/dW made without its first position."""
    if plant == "input_blocks":
        right = winograd._channel_blocks

        def wrong(c, oc, slices, tiles, m):
            out_blocks, in_blocks = right(c, oc, slices, tiles, m)
            return out_blocks, in_blocks[:-1]

        monkeypatch.setattr(winograd, "_channel_blocks", wrong)
    else:
        right = winograd.weight_gradient

        def wrong(du, m, out=None):
            if out is not None:  # only the blocks write into a given array
                du = du.copy()
                du[0] = 0
            return right(du, m, out)

        monkeypatch.setattr(winograd, "weight_gradient", wrong)
    cfg = dict(n=1, c=5, oc=6, hw=(3, 3), padding=(1, 1), bias=False)  # 1 or 4 tiles: 2-4 blocks
    with settings(**EVERY_SIZE, BLOCK=m):
        x, w, _ = _tensors(cfg, 3)
        with pytest.raises(GradcheckError, match="gradcheck failed"):
            gradcheck(lambda a, b: conv2d(a, b, padding=1), (x, w))


@pytest.mark.parametrize("m", [2, 4])
def test_winograd_conv2d_gives_the_same_bits_on_one_or_two_threads(m):
    """The tasks' shares of dU are added in task order, and each task writes only its own
    images: the results cannot depend on which thread ran what."""
    rng = np.random.default_rng(0)
    x = tge.tensor(rng.standard_normal((6, 16, 16, 17)).astype(np.float32))  # a 16x17 output: Winograd's
    w = tge.tensor(rng.standard_normal((16, 16, 3, 3)).astype(np.float32))
    g = tge.tensor(rng.standard_normal((6, 16, 16, 17)).astype(np.float32))
    assert winograd.applies(x.array, w.array, (1, 1), (1, 1), (1, 1), 1)
    results = []
    previous = tge.get_num_threads()
    try:
        for threads in (1, 2):
            tge.set_num_threads(threads)
            with settings(BLOCK=m, TILE_BYTES=1, PARALLEL_BYTES=0):  # six one-image slices, in tasks on the threads
                results.append(_forward_backward(x, w, None, (1, 1), g))
    finally:
        tge.set_num_threads(previous)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_scratch_shared_by_a_threads_tasks_gives_the_bits_of_fresh_scratch(monkeypatch):
    """The tasks of a call that run on one thread share their scratch (ops/scratch.py):
    over calls with new data, other paddings and other shapes (other borders of the
    padded copy, other tile counts), forward and backward give the bits of scratch made
    afresh for every task."""
    rng = np.random.default_rng(5)
    w = tge.tensor(rng.standard_normal((16, 16, 3, 3)).astype(np.float32))
    calls = [((5, 16, 16, 16), (1, 1)), ((5, 16, 18, 18), (0, 0)), ((3, 16, 20, 17), (1, 1)), ((5, 16, 16, 16), (1, 1))]
    shared = scratch.TaskScratch.get
    previous = tge.get_num_threads()
    tge.set_num_threads(2)
    try:
        for shape, padding in calls:
            x = tge.tensor(rng.standard_normal(shape).astype(np.float32))
            oh, ow = shape[2] + 2 * padding[0] - 2, shape[3] + 2 * padding[1] - 2
            g = tge.tensor(rng.standard_normal((shape[0], 16, oh, ow)).astype(np.float32))
            results = []
            for get in (lambda self, slot, key, make: make(), shared):  # fresh, then shared
                monkeypatch.setattr(scratch.TaskScratch, "get", get)
                with settings(TILE_BYTES=1, PARALLEL_BYTES=0):  # one-image slices, in tasks on the threads
                    results.append(_forward_backward(x, w, None, padding, g))
            for fresh, shared_result in zip(*results):
                np.testing.assert_array_equal(shared_result, fresh)
    finally:
        tge.set_num_threads(previous)


@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("padding", [(1, 1), (0, 2)])
def test_slices_one_after_another_in_a_tasks_two_buffers_give_the_bits_of_fresh_buffers(needs, padding, monkeypatch):
    """A task's slices take turns in its two buffers, one holding M or dM, the other V,
    then dV: no slice may read what an earlier one left. Five slices in one task against
    each slice in fresh buffers of its own (its own task, nothing shared): the same bits,
    forward and backward (dU is added in slice order either way)."""
    need_x, need_w = needs
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 16, 9, 10)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    oh, ow = 9 + 2 * padding[0] - 2, 10 + 2 * padding[1] - 2
    g = rng.standard_normal((5, 16, oh, ow)).astype(np.float32)
    results = []
    for tasks, get in ((1, scratch.TaskScratch.get), (8, lambda self, slot, key, make: make())):
        monkeypatch.setattr(scratch.TaskScratch, "get", get)
        with settings(**EVERY_SIZE, TILE_BYTES=1, TASKS=tasks):  # one-image slices
            out = winograd.conv2d_forward(x, w, padding)
            results.append((out,) + winograd.conv2d_backward(x, w, g, padding, need_x, need_w))
    for shared, fresh in zip(*results):
        if fresh is None:
            assert shared is None
        else:
            np.testing.assert_array_equal(shared, fresh)


def test_a_task_works_in_two_buffers(monkeypatch):
    """Forward and backward each make two flat buffers per task, whatever they hold in
    turn (V, M, dM, dV)."""
    made = []
    real = scratch.aligned
    monkeypatch.setattr(scratch, "aligned", lambda *a: made.append(a[1]) or real(*a))
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 16, 8, 8)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    with settings(PARALLEL_BYTES=2**40):  # one thread: its tasks share the buffers
        winograd.conv2d_forward(x, w, (1, 1))
        assert len(made) == 2
        winograd.conv2d_backward(x, w, np.ones((4, 16, 8, 8), np.float32), (1, 1), True, True)
        assert len(made) == 4


@pytest.mark.parametrize("c, size, blocks", [(64, 4, 4), (32, 8, 1)])
def test_one_slice_holds_one_block_of_u_or_du_at_a_time(c, size, blocks):
    """The small CNN's 64 -> 64 layer at 4x4 (32 images, one slice of 32 tiles: four
    blocks of channels) and its 32 -> 32 layer at 8x8 (128 tiles: one block). The traced
    peak of the forward is its output, the two task buffers and one block of U; of the
    backward, its outputs, the two buffers and one block of U or dU; each with a little
    room for the copy of a block's taps and NumPy's own. Holding U whole, the 64-channel layer would take 432 KiB more;
    holding U and dU, the 32-channel one 144 KiB more. And the same results as with U
    made once (more slices)."""
    import tracemalloc

    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((32, c, size, size)).astype(np.float32), rng.standard_normal((c, c, 3, 3)).astype(np.float32)
    g = rng.standard_normal((32, c, size, size)).astype(np.float32)
    tiles = (size // 4, size // 4)
    slices = winograd._slices(32, c, tiles, 4, x.dtype)
    assert [len(b) for b in winograd._channel_blocks(c, c, slices, tiles, 4)] == [blocks, blocks]
    buffers = 2 * 36 * winograd._plane_stride(c, 32 * tiles[0] * tiles[1], x.dtype) * 4
    block = 36 * c * c // blocks * 4  # of U or dU

    def traced(run):  # run's arrays and the traced peak of running it
        run()  # compiled and cached before tracing
        tracemalloc.start()
        try:
            return run(), tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    (out,), forward_peak = traced(lambda: (winograd.conv2d_forward(x, w, (1, 1)),))
    (gx, gw), backward_peak = traced(lambda: winograd.conv2d_backward(x, w, g, (1, 1), True, True))
    numpy_room = 64 * 2**10
    assert forward_peak <= out.nbytes + buffers + block + numpy_room, forward_peak
    assert backward_peak <= gx.nbytes + gw.nbytes + buffers + block + numpy_room, backward_peak
    with settings(TILE_BYTES=1):  # more slices: U made once and kept
        want = (winograd.conv2d_forward(x, w, (1, 1)),) + winograd.conv2d_backward(x, w, g, (1, 1), True, True)
        assert winograd._channel_blocks(c, c, winograd._slices(32, c, tiles, 4, x.dtype), tiles, 4) is None
    for got, expected in zip((out, gx, gw), want):
        np.testing.assert_allclose(got, expected, rtol=0, atol=FLOAT32_TOLERANCE[4] * np.abs(expected).max())


def test_u_is_made_by_blocks_for_one_slice_with_fewer_tiles_than_channels():
    """``_channel_blocks``: None for more than one slice; one block when the slice has as
    many tiles as the layer has channels (in or out) or more; else ceil(a^2 / 9) even
    blocks of each (4 for F(4x4), 2 for F(2x2)), or one per channel where there are fewer,
    each block's rows of U no larger than the weight."""
    assert winograd._channel_blocks(64, 64, [(0, 16), (16, 32)], (1, 1), 4) is None
    assert winograd._channel_blocks(32, 64, [(0, 32)], (1, 1), 4) == ([(0, 64)], [(0, 32)])  # 32 tiles, 32 channels
    assert winograd._channel_blocks(32, 32, [(0, 32)], (2, 2), 4) == ([(0, 32)], [(0, 32)])
    quarters = [(0, 16), (16, 32), (32, 48), (48, 64)]
    assert winograd._channel_blocks(64, 64, [(0, 32)], (1, 1), 4) == (quarters, quarters)
    assert winograd._channel_blocks(64, 48, [(0, 8)], (1, 2), 2) == ([(0, 24), (24, 48)], [(0, 32), (32, 64)])
    assert winograd._channel_blocks(3, 5, [(0, 1)], (1, 2), 4) == ([(0, 1), (1, 2), (2, 3), (3, 5)], [(0, 1), (1, 2), (2, 3)])
    for m, (c, oc) in ((4, (64, 64)), (2, (64, 48)), (4, (9, 13))):
        out_blocks, in_blocks = winograd._channel_blocks(c, oc, [(0, 1)], (1, 1), m)
        for rows in [(b - a) * c for a, b in out_blocks] + [oc * (b - a) for a, b in in_blocks]:
            assert (m + 2) ** 2 * rows <= 9 * oc * c + (m + 2) ** 2 * max(c, oc)  # the weight, up to uneven blocks


@pytest.mark.parametrize("m", [2, 4])
def test_the_weight_transform_as_one_product_and_its_adjoint(m):
    """U = G w G^T for each channel pair (the definition, written out with einsum; also into
    a given array), and ``weight_gradient`` its adjoint: <U(w), dU> = <w, weight_gradient(dU)>."""
    rng = np.random.default_rng(13)
    w = rng.standard_normal((5, 3, 3, 3))
    g = winograd.matrices(m)[1]
    u = winograd.transformed_weight(w, m)
    want = np.einsum("ik,ockl,jl->ijoc", g, w, g).reshape((m + 2) ** 2, 5, 3)
    np.testing.assert_allclose(u, want, rtol=1e-12, atol=1e-12)
    out = np.full_like(u, np.nan)
    assert winograd.transformed_weight(w, m, out=out) is out  # written into a given array
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    block = np.empty(((m + 2) ** 2, 5, 2))  # a block of input channels: a strided view of w
    winograd.transformed_weight(w[:, 1:3], m, out=block)
    np.testing.assert_allclose(block, want.reshape(-1, 5, 3)[:, :, 1:3], rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"transformed_weight: out must be a contiguous array of shape"):
        winograd.transformed_weight(w, m, out=np.empty(((m + 2) ** 2, 5, 6))[:, :, ::2])  # strided
    du = rng.standard_normal(u.shape)
    dw = winograd.weight_gradient(du, m)
    assert dw.shape == w.shape and dw.flags.c_contiguous
    np.testing.assert_allclose(np.vdot(u, du), np.vdot(w, dw), rtol=1e-12)
    out = np.full_like(w, np.nan)
    assert winograd.weight_gradient(du, m, out=out) is out
    np.testing.assert_array_equal(out, dw)
    with pytest.raises(ValueError, match=r"weight_gradient: out must be a contiguous array of shape"):
        winograd.weight_gradient(du, m, out=np.empty((5, 6, 3, 3))[:, ::2])  # strided
    assert winograd.transformed_weight(w.astype(np.float32), m).dtype == np.float32


# float32 rounding of the Winograd results, as a fraction of the result's largest value:
# F(4x4, 3x3)'s transforms multiply by up to 8 and round more than F(2x2, 3x3) (measured
# in the two tests below: up to 3.7e-6 and 4.8e-7; on 64 channels 1e-5, kernels/winograd.py).
FLOAT32_TOLERANCE = {2: 2e-6, 4: 3e-5}


def test_the_winograd_path_serves_a_16_channel_layer_and_agrees_with_im2col_in_float32(monkeypatch):
    """At the default settings: the layer's forward and backward go through Winograd
    (counted), with a broadcast gradient (from .sum()) and no gradient for x, and agree
    with im2col to float32 rounding."""
    calls = []
    for name in ("conv2d_forward", "conv2d_backward"):
        real = getattr(winograd, name)
        monkeypatch.setattr(winograd, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    rng = np.random.default_rng(1)
    layer = tge.nn.Conv2d(16, 24, 3, padding=1)
    x = tge.tensor(rng.standard_normal((3, 16, 16, 19)).astype(np.float32))
    layer(x).sum().backward()  # x needs no gradient: dW and db only
    assert calls == ["conv2d_forward", "conv2d_backward"]
    got = (layer(x).detach().numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())
    layer.zero_grad()
    with settings(ENABLED=False):
        out = layer(x)
        out.sum().backward()
    want = (out.detach().numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32_TOLERANCE[winograd.BLOCK] * np.abs(b).max())


def test_the_course_cnns_8x8_layer_takes_its_tiles_images_innermost_and_agrees_with_im2col(monkeypatch):
    """The small CNN's 8x8 layer (32 images, 32 -> 32 channels) at the default settings:
    every tile transform of it numbers the tiles images innermost (kernels/winograd.py),
    and forward, dL/dx and dL/dW agree with im2col to float32 rounding."""
    answers = []
    real = winograd_kernels.images_inner
    monkeypatch.setattr(winograd_kernels, "images_inner", lambda *a: answers.append(real(*a)) or answers[-1])
    rng = np.random.default_rng(3)
    x = tge.tensor(rng.standard_normal((32, 32, 8, 8)).astype(np.float32))
    w = tge.tensor((rng.standard_normal((32, 32, 3, 3)) / 17).astype(np.float32))
    g = tge.tensor(rng.standard_normal((32, 32, 8, 8)).astype(np.float32))
    assert winograd.applies(x.array, w.array, (1, 1), (1, 1), (1, 1), 1) and winograd.BLOCK == 4
    got = _forward_backward(x, w, None, (1, 1), g)
    assert len(answers) >= 5 and all(answers)  # two tile transforms, untile and the two adjoints
    with settings(ENABLED=False):
        want = _forward_backward(x, w, None, (1, 1), g)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32_TOLERANCE[4] * np.abs(b).max())


@pytest.mark.parametrize("m", [2, 4])
def test_winograd_conv2d_agrees_with_pytorch_in_float32(m):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 16, 18, 21)).astype(np.float32), (rng.standard_normal((32, 16, 3, 3)) / 12).astype(np.float32)
    g = rng.standard_normal((2, 32, 16, 19)).astype(np.float32)
    assert winograd.applies(x, w, (1, 1), (0, 0), (1, 1), 1)
    with settings(BLOCK=m):
        ours = _forward_backward(tge.tensor(x), tge.tensor(w), None, 0, tge.tensor(g))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tout = torch.nn.functional.conv2d(tx, tw)
    tout.backward(torch.tensor(g))
    for a, b in zip(ours, (tout.detach().numpy(), tx.grad.numpy(), tw.grad.numpy())):
        np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32_TOLERANCE[m] * np.abs(b).max())


def _applies(**change):
    args = dict(x=np.zeros((2, 16, 16, 16), np.float32), weight=np.zeros((16, 16, 3, 3), np.float32), stride=(1, 1),
                padding=(1, 1), dilation=(1, 1), groups=1)
    args.update(change)
    return winograd.applies(**args)


def test_the_rule_that_picks_winograd():
    assert _applies()
    assert _applies(x=np.zeros((2, 16, 16, 16)), weight=np.zeros((16, 16, 3, 3)))  # float64
    assert _applies(x=np.zeros((1, 16, 18, 40), np.float32), padding=(0, 0))  # a 16x38 output: MIN_SIZE
    assert not _applies(x=np.zeros((1, 16, 17, 40), np.float32), padding=(0, 0))  # 15 rows
    assert not _applies(x=np.zeros((1, 16, 40, 15), np.float32))  # 15 columns
    # smaller outputs: from MIN_EXACT_SIZE when m x m blocks cover them exactly (m = 4 here)
    assert _applies(x=np.zeros((2, 16, 8, 8), np.float32))  # 8x8: two blocks each way
    assert _applies(x=np.zeros((2, 16, 12, 8), np.float32))
    assert _applies(x=np.zeros((2, 16, 8, 20), np.float32))  # 8 exactly, 20 >= MIN_SIZE
    assert not _applies(x=np.zeros((2, 16, 10, 8), np.float32))  # 10 rows: part-empty edge tiles
    assert not _applies(x=np.zeros((2, 16, 6, 6), np.float32))
    assert not _applies(x=np.zeros((2, 16, 4, 4), np.float32))  # 4x4: one block, below MIN_EXACT_SIZE
    # with MANY_IMAGES images (F(4x4)), every size from one block up that goes images innermost
    many = winograd.MANY_IMAGES
    assert _applies(x=np.zeros((many, 16, 4, 4), np.float32))  # the small CNN's 4x4 layers
    assert _applies(x=np.zeros((many, 16, 6, 10), np.float32))
    assert _applies(x=np.zeros((many, 16, 12, 4), np.float32))
    assert not _applies(x=np.zeros((many - 1, 16, 4, 4), np.float32))
    assert not _applies(x=np.zeros((many, 16, 3, 4), np.float32))  # 3 rows: less than a block
    assert not _applies(x=np.zeros((many, 16, 4, 13), np.float32))  # 13 columns: 4 blocks a row, bands
    with settings(BLOCK=2):  # F(2x2, 3x3): every even size from 8, whatever the batch
        assert _applies(x=np.zeros((2, 16, 10, 14), np.float32))
        assert not _applies(x=np.zeros((2, 16, 9, 10), np.float32))
        assert not _applies(x=np.zeros((2, 16, 6, 6), np.float32))
        assert not _applies(x=np.zeros((many, 16, 4, 4), np.float32))
    assert not _applies(weight=np.zeros((16, 16, 5, 5), np.float32))
    assert not _applies(weight=np.zeros((16, 16, 3, 1), np.float32))
    assert not _applies(stride=(2, 2))
    assert not _applies(stride=(1, 2))
    assert not _applies(dilation=(2, 1))
    assert not _applies(x=np.zeros((2, 32, 16, 16), np.float32), weight=np.zeros((16, 16, 3, 3), np.float32), groups=2)
    assert not _applies(x=np.zeros((2, 8, 16, 16), np.float32), weight=np.zeros((16, 8, 3, 3), np.float32))  # few input channels
    assert not _applies(weight=np.zeros((8, 16, 3, 3), np.float32))  # few output channels
    assert not _applies(x=np.zeros((2, 16, 16, 16), np.float16), weight=np.zeros((16, 16, 3, 3), np.float16))
    with settings(ENABLED=False):
        assert not _applies()


def test_arrays_that_are_not_numpy_take_im2col():
    from tests.strict_array import StrictArray

    x = StrictArray(np.zeros((2, 16, 16, 16), np.float32))
    assert not _applies(x=x)


def test_the_planes_of_the_scratch_are_an_odd_number_of_cache_lines_apart():
    # 64x256 float32: 1024 lines (4 KiB multiple); 32x400: 800 lines (2 KiB multiple)
    for rows, cols, dtype in [(64, 256, np.float32), (32, 400, np.float32), (64, 64, np.float64), (3, 5, np.float32)]:
        dtype = np.dtype(dtype)
        buffer = scratch.aligned(np, 36 * winograd._plane_stride(rows, cols, dtype), dtype)
        planes = winograd._planes(buffer, 36, rows, cols)
        assert planes.shape == (36, rows, cols)
        assert planes.ctypes.data % 64 == 0
        assert planes.strides[0] % 64 == 0 and (planes.strides[0] // 64) % 2 == 1
        assert planes.strides[1:] == (cols * planes.itemsize, planes.itemsize)


def test_the_environment_variable_sets_the_algorithm():
    assert winograd.settings_from_env("") == (True, 4)
    assert winograd.settings_from_env("off") == (False, 4)
    assert winograd.settings_from_env(" 2 ") == (True, 2)
    assert winograd.settings_from_env("4") == (True, 4)
    with pytest.raises(ValueError, match=r"TINYGRAD_EDU_WINOGRAD='3': expected 'off', '2' or '4'"):
        winograd.settings_from_env("3")


def test_the_environment_variable_is_read_at_import():
    import os
    import subprocess
    import sys

    code = "from tinygrad_edu.ops import winograd; print(winograd.ENABLED, winograd.BLOCK)"
    for value, expected in (("off", "False 4"), ("2", "True 2")):
        env = dict(os.environ, TINYGRAD_EDU_WINOGRAD=value)
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert done.stdout.split() == expected.split()


@pytest.mark.parametrize("needs", ["x", "w", "bias"])
def test_the_winograd_backward_computes_only_the_gradients_asked_for(needs, monkeypatch):
    """x only, the weight only, or the bias only: the others stay None, the asked-for one
    equals im2col's, and a bias alone runs no tile transform at all."""
    transforms = []
    real = kernels.winograd_untile_adjoint
    monkeypatch.setattr(kernels, "winograd_untile_adjoint", lambda *a: transforms.append(1) or real(*a))
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 6, 5), (4, 3, 3, 3), (4,), (2, 4, 6, 5))]

    def run():
        x, w, b = (tge.tensor(a, requires_grad=(name == needs)) for a, name in zip(arrays[:3], ("x", "w", "bias")))
        conv2d(x, w, b, padding=1).backward(tge.tensor(arrays[3]))
        return [None if t.grad is None else t.grad.numpy() for t in (x, w, b)]

    with settings(**EVERY_SIZE):
        got = run()
    with settings(ENABLED=False):
        want = run()
    assert [g is None for g in got] == [name != needs for name in ("x", "w", "bias")]
    for a, b in zip(got, want):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert (len(transforms) == 0) == (needs == "bias")
