"""The backward engine: topological order, accumulation, retain_graph, hooks, grad(),
the 20,000-op chain, and its errors."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.backend import get_array_module
from tinygrad_edu.autograd import engine
from tinygrad_edu.autograd.engine import unbroadcast


def test_diamond_sums_both_paths():
    # y = a*b + a*c with b = c = 2x: dy/dx must count the two paths through x
    x = tge.tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = x * 2
    c = x * 2
    y = (b * c + b).sum()  # 4x^2 + 2x
    y.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 8 * x.detach().cpu().numpy() + 2)


def test_shared_subexpression_used_many_times():
    x = tge.tensor([0.5, 1.5], requires_grad=True)
    s = x.sin()
    y = (s * s * s).sum()  # sin^3 x
    y.backward()
    xs = x.detach().cpu().numpy()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 3 * np.sin(xs) ** 2 * np.cos(xs), rtol=1e-6)


def test_gradients_accumulate_across_two_backwards():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 3 + 2 * np.array([1.0, 2.0]))


def test_leaf_used_directly_as_root():
    x = tge.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_second_backward_without_retain_graph_raises():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward_and_frees_afterwards():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * 2 * np.array([1.0, 2.0]))
    assert y.grad_fn.next_functions[0][0]._freed  # MulBackward freed its saved arrays


def test_a_node_lets_go_of_its_arrays_after_its_backward_while_the_graph_lives_on():
    """Max pooling saves its int64 indices and marks them non-differentiable: both
    references go once its backward has run, though its node lives as long as the graph
    (here held by the loss), so the rest of the backward pass runs without them."""
    import gc
    import weakref

    x = tge.randn(2, 3, 4, 4, requires_grad=True)
    out = tge.nn.functional.max_pool2d(x, 2)
    loss = (out * 2).sum()
    node = out.grad_fn
    indices = weakref.ref(node._to_save[0])
    loss.backward()
    gc.collect()
    assert out.grad_fn is node and loss.grad_fn is not None  # the graph is still there
    assert indices() is None


def test_backward_of_non_scalar_needs_gradient():
    x = tge.randn(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(2, 3\)"):
        y.backward()
    g = tge.randn(2, 3)
    y.backward(g)
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * g.cpu().numpy())


def test_backward_gradient_shape_must_match():
    y = tge.randn(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape \(2, 3\)"):
        y.backward(tge.ones(3))


def test_backward_from_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tge.randn(3) * 2).sum().backward()


def test_leaf_grad_is_not_aliased_to_the_upstream_gradient():
    x = tge.randn(3, requires_grad=True)
    g = tge.ones(3)
    (x + 0).backward(g)
    x.grad.zero_()
    assert g.cpu().numpy().tolist() == [1.0, 1.0, 1.0]


def test_chain_of_20000_ops_does_not_recurse():
    x = tge.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0001**20000], rtol=1e-3)


def test_broadcast_gradients_are_summed_to_input_shape():
    a = tge.randn(3, 1, requires_grad=True)
    b = tge.randn(4, requires_grad=True)
    w = tge.randn(3, 4)
    ((a + b) * w).sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), w.cpu().numpy().sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(b.grad.cpu().numpy(), w.cpu().numpy().sum(0), rtol=1e-6)


@pytest.mark.parametrize(
    "grad_shape, shape, axes",
    [((2, 3), (2, 3), None), ((4, 2, 3), (2, 3), (0,)), ((2, 3), (1, 3), (0,)), ((5, 2, 3), (2, 1), (0, 2)), ((2, 3), (), (0, 1))],
)
def test_unbroadcast(grad_shape, shape, axes, rng):
    g = rng.standard_normal(grad_shape)
    out = unbroadcast(g, shape)
    assert out.shape == shape
    expected = g if axes is None else g.sum(axis=axes).reshape(shape)
    np.testing.assert_allclose(out, expected)


def test_gradient_dtype_follows_input_dtype():
    a = tge.randn(3, requires_grad=True)  # float32
    b = tge.randn(3, dtype=tge.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == tge.float32 and b.grad.dtype == tge.float64


def test_only_inputs_requiring_grad_get_gradients():
    a = tge.randn(3, requires_grad=True)
    b = tge.randn(3)
    (a * b).sum().backward()
    assert b.grad is None and a.grad is not None


def test_branch_that_receives_no_gradient_does_not_block_others():
    class Blocked(tge.autograd.Function):
        """Passes values through but sends no gradient back (returns None)."""

        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, g):
            return None

    x = tge.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2  # reached only through Blocked: this node gets no gradient at all
    loss = (Blocked.apply(h) + x * 5).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [5.0, 5.0])


# ------------------------------------------------------------------ hooks
def test_hook_on_leaf_can_replace_gradient_and_be_removed():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [3.0, 3.0])


def test_hook_on_intermediate_sees_total_gradient_once():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    m = x * 3
    seen = []
    m.register_hook(lambda g: seen.append(g.cpu().numpy().copy()))
    (m * m + m).sum().backward()  # dL/dm = 2m + 1
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 2 * np.array([3.0, 6.0]) + 1)


def test_hook_on_leaf_used_twice_runs_once_with_total():
    x = tge.tensor([1.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.item()))
    (x * 2 + x * 5).sum().backward()
    assert seen == [7.0]


def test_retain_grad_keeps_intermediate_gradient():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    m = x * 3
    m.retain_grad()
    (m * m).sum().backward()
    np.testing.assert_allclose(m.grad.cpu().numpy(), [6.0, 12.0])
    assert m.retains_grad and not m.is_leaf


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tge.randn(2).register_hook(lambda g: g)


# ------------------------------------------------------------- autograd.grad
def test_grad_returns_gradients_without_touching_dot_grad():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    w = tge.tensor([3.0, 4.0], requires_grad=True)
    y = (x * x * w).sum()
    gx, gw = tge.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.cpu().numpy(), 2 * np.array([1.0, 2.0]) * [3.0, 4.0])
    np.testing.assert_allclose(gw.cpu().numpy(), [1.0, 4.0])
    assert x.grad is None and w.grad is None


def test_grad_with_respect_to_an_intermediate_and_grad_outputs():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h
    (gh,) = tge.autograd.grad(y, h, grad_outputs=tge.tensor([1.0, 10.0]))
    np.testing.assert_allclose(gh.cpu().numpy(), 2 * np.array([2.0, 4.0]) * [1.0, 10.0])


def test_grad_unused_input():
    x = tge.randn(2, requires_grad=True)
    z = tge.randn(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not used in the graph.*allow_unused=True"):
        tge.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = tge.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx.shape == (2,)


def test_grad_input_must_require_grad():
    x = tge.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tge.autograd.grad((x * 2).sum(), tge.randn(2))


def test_grad_of_two_outputs_sums_their_contributions():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    a = (x * 2).sum()
    b = (x * x).sum()
    (g,) = tge.autograd.grad([a, b], x)
    np.testing.assert_allclose(g.cpu().numpy(), 2 + 2 * np.array([1.0, 2.0]))


def test_backward_inputs_argument_limits_accumulation():
    x = tge.randn(2, requires_grad=True)
    w = tge.randn(2, requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert w.grad is None
    np.testing.assert_allclose(x.grad.cpu().numpy(), w.detach().cpu().numpy())


def test_create_graph_is_refused_clearly():
    x = tge.randn(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        (x * x).sum().backward(create_graph=True)


# ------------------------------------------------------- regressions (review)
def test_gradient_of_a_0d_leaf_is_a_0d_tensor():
    b = tge.tensor(1.0, requires_grad=True)
    (tge.ones(3) * b).sum().backward()
    assert b.grad.shape == () and b.grad.item() == 3.0
    assert "tensor(3.)" == repr(b.grad.cpu())


def test_gradient_of_a_0d_leaf_used_twice_is_a_0d_tensor():
    # the two paths' 0-d gradients add up to a NumPy scalar unless the engine keeps an array
    a, b, c = (tge.tensor(v, requires_grad=True) for v in (0.5, -2.0, 1.5))
    ((a * b + c) * a).sum().backward()  # d/da = 2ab + c
    assert isinstance(a.grad.array, get_array_module(a.grad.array).ndarray) and a.grad.shape == ()
    assert a.grad.item() == pytest.approx(2 * 0.5 * -2.0 + 1.5)
    (a * a).backward()  # accumulated into the existing .grad: still a 0-d array
    assert isinstance(a.grad.array, get_array_module(a.grad.array).ndarray) and a.grad.item() == pytest.approx(-0.5 + 1.0)
    assert repr(a.grad.cpu()) == "tensor(0.5)"  # printable: the bug made .grad a NumPy scalar


class _ScalarGradient(tge.autograd.Function):
    """Identity whose backward returns ``dtype(2 * g)``: a NumPy scalar, not an array."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = dtype
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return ctx.dtype(2 * g), None


class _Recorder(tge.autograd.Function):
    """Identity that keeps the gradient its backward receives in ``seen``."""

    seen = []

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        _Recorder.seen.append(g)
        return g


@pytest.mark.parametrize("scalar_type", [np.float32, np.float64, np.float16])
def test_a_numpy_scalar_gradient_is_sent_on_as_a_0d_array_of_the_input_dtype(scalar_type):
    # np.float32 for a float32 input is what 0-d arithmetic gives; the other two must
    # also be cast to the input's dtype before the next backward sees them
    x = tge.tensor(1.5, requires_grad=True)  # float32
    _Recorder.seen.clear()
    _ScalarGradient.apply(_Recorder.apply(x), scalar_type).backward()
    (g,) = _Recorder.seen
    assert type(g) is np.ndarray and g.shape == () and g.dtype == np.float32 and g == 2.0
    assert type(x.grad.array) is np.ndarray and x.grad.dtype == tge.float32 and x.grad.item() == 2.0


def test_grad_of_intermediate_runs_only_the_needed_part_of_the_graph():
    w = tge.ones(3, requires_grad=True)
    x = w.exp()
    (gx,) = tge.autograd.grad((x * x).sum(), x)  # must not run (and free) ExpBackward
    np.testing.assert_allclose(gx.cpu().numpy(), 2 * np.e * np.ones(3), rtol=1e-6)
    x.sum().backward()  # ExpBackward still has its saved output
    np.testing.assert_allclose(w.grad.cpu().numpy(), np.e * np.ones(3), rtol=1e-6)


def test_grad_after_backward_freed_other_branches():
    w = tge.ones(3, requires_grad=True)
    x = w.exp()
    x.sum().backward()  # frees ExpBackward
    (g,) = tge.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.cpu().numpy(), 2 * np.e * np.ones(3), rtol=1e-6)


def test_gradients_accumulate_in_place_into_the_same_array_as_pytorch():
    """A second backward adds into ``.grad``'s array (PyTorch: ``x.grad += g``), so a
    reference to it sees the sum and accumulation allocates nothing new."""
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    grad, array = x.grad, x.grad.array
    (x * x).sum().backward()
    assert x.grad is grad and x.grad.array is array
    np.testing.assert_allclose(array, [5.0, 7.0])
    s = tge.tensor(1.5, requires_grad=True)  # a 0-d leaf: its grad stays a 0-d array, not a NumPy scalar
    (s * 2).backward()
    array = s.grad.array
    (s * s).backward()
    assert isinstance(s.grad.array, np.ndarray) and s.grad.shape == () and s.grad.item() == 5.0
    assert s.grad.array is array  # one value is added by another route (engine.add_to_grad): the same array
    v = tge.tensor([1.5], requires_grad=True)  # one value of shape (1,): the same
    (v * 2).sum().backward()
    array = v.grad.array
    (v * v).sum().backward()
    assert v.grad.array is array and array.shape == (1,) and array[0] == 5.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128])
def test_one_value_accumulation_is_numpys_sum_exactly(dtype):
    """``engine.add_to_grad`` adds one value as Python numbers (``.item()``): the stored
    sum must be the very number NumPy's ``grad + g`` gives, for every dtype a gradient can
    have, across magnitudes (rounding, subnormals, overflow to inf) and special values."""
    rng = np.random.default_rng(14)
    info = np.finfo(dtype)
    n = 3000
    real = info.dtype  # float32 for complex64

    def magnitudes():  # |v| < 2**(maxexp - 1): finite, down to subnormal; two of them may sum to inf
        exponents = rng.integers(info.minexp - 3, info.maxexp - 1, size=(2, n)).astype(real)
        return rng.uniform(-1, 1, size=(2, n)).astype(real) * np.exp2(exponents)

    values = magnitudes() if np.dtype(dtype).kind == "f" else magnitudes() + 1j * magnitudes()
    values = values.astype(dtype)
    if dtype is np.longdouble:  # values float64 cannot hold: a longdouble must not pass through a Python float
        values[:, :100] = np.longdouble(1) / 3 + np.longdouble(2.0) ** -60 * np.arange(100)
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, info.max, -info.max, info.tiny, info.smallest_subnormal])
    special = special.astype(dtype)
    pairs = list(zip(values[0], values[1])) + [(x, y) for x in special for y in special]
    leaf = tge.Tensor(np.zeros((), dtype))  # add_to_grad's target: any tensor with a .grad
    with np.errstate(all="ignore"):
        for x, y in pairs:
            leaf._grad = tge.Tensor(np.asarray(x, dtype))
            engine.add_to_grad(leaf, np.asarray(y, dtype))
            got, want = leaf.grad.array, np.asarray(np.asarray(x, dtype) + np.asarray(y, dtype))
            assert got.dtype == want.dtype
            assert _same_value(got, want), f"{np.dtype(dtype)}: {x!r} + {y!r} stored as {got!r}, NumPy gives {want!r}"


def _same_value(a, b):
    """The same number, the sign of a zero included (nan matches nan); compared by value,
    not by bytes: a longdouble's 16 bytes hold 10 of number and 6 of padding."""
    if a.dtype.kind == "c":
        return _same_value(a.real, b.real) and _same_value(a.imag, b.imag)
    return bool((a == b and np.signbit(a) == np.signbit(b)) or (np.isnan(a) and np.isnan(b)))


def test_assigned_grad_is_checked_where_it_is_assigned_as_pytorch():
    """``t.grad = g`` refuses what backward could not add into, naming both sides
    (PyTorch refuses the same: type, shape, dtype); an accepted one is added into."""
    x = tge.tensor([1.0, 2.0, 3.0], requires_grad=True)  # float32
    with pytest.raises(TypeError, match=r"grad: assigned grad expected to be a Tensor or None but got grad of type ndarray"):
        x.grad = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError, match=r"grad: attempting to assign a gradient of shape \(2,\) to a tensor of shape \(3,\)"):
        x.grad = tge.zeros(2)
    with pytest.raises(RuntimeError, match=r"gradient of dtype float64 to a tensor of dtype float32"):
        x.grad = tge.zeros(3, dtype=tge.float64)
    with pytest.raises(RuntimeError, match=r"grad: the assigned gradient \(shape \(3,\)\) is read-only.*g.clone\(\)"):
        x.grad = tge.Tensor(np.broadcast_to(np.float32(0), (3,)))  # a broadcast view: one element, read-only
    assert x.grad is None  # nothing refused was kept
    g = tge.ones(3)
    x.grad = g
    (x * 2).sum().backward()
    assert x.grad is g
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0, 3.0])
    x.grad = None
    assert x.grad is None


def test_assigned_grad_on_another_device_is_refused(strict_backend):
    # "strict" stands in for a GPU (tests/strict_array.py): its arrays are another device's
    x = tge.zeros(3, requires_grad=True)
    elsewhere = tge.Tensor(strict_backend.asarray(np.zeros(3, np.float32)))
    with pytest.raises(RuntimeError, match=r"grad: attempting to assign a gradient on strict(:0)? to a tensor on cpu; the gradient must be on the tensor.s device"):
        x.grad = elsewhere
    assert x.grad is None


def test_assigned_grad_refusals_match_pytorchs():
    torch = pytest.importorskip("torch")
    cases = [  # (the value to assign, made with tge or torch; the error both raise)
        (lambda lib: np.zeros(3, np.float32), TypeError),
        (lambda lib: lib.zeros(2), RuntimeError),
        (lambda lib: lib.zeros(3, dtype=lib.float64), RuntimeError),
    ]
    for make, error in cases:
        for lib in (tge, torch):
            t = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
            with pytest.raises(error):
                t.grad = make(lib)


def test_hooks_and_backwards_run_with_grad_mode_off_and_it_comes_back_after():
    """As in PyTorch (without create_graph): nothing computed during backward is recorded,
    hooks included; the caller's grad mode is back afterwards, also after a failure."""
    seen = []
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: seen.append(("intermediate", tge.is_grad_enabled(), (g * 2).requires_grad)))
    x.register_hook(lambda g: seen.append(("leaf", tge.is_grad_enabled(), (g * 2).requires_grad)))
    y.sum().backward()
    assert seen == [("intermediate", False, False), ("leaf", False, False)]
    assert tge.is_grad_enabled()

    def broken(g):
        raise ValueError("a planted failure")

    z = x * 3
    z.register_hook(broken)
    with pytest.raises(ValueError, match="planted"):
        z.sum().backward()
    assert tge.is_grad_enabled()
    w = x * 4  # a graph is still recorded after the failed pass
    assert w.grad_fn is not None


class _Returns(tge.autograd.Function):
    """A Function whose backward returns what its test makes of the upstream gradient (``ctx.make(g)``)."""

    @staticmethod
    def forward(ctx, x, make):
        ctx.make = make
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return ctx.make(g), None


@pytest.mark.parametrize("make,expected", [
    (lambda g: np.float32(g.sum()), 1.0),  # a 0-d input's gradient as a NumPy scalar: made a 0-d array
    (lambda g: g.astype(np.float64), 1.0),  # another dtype: cast to the input's
])
def test_a_0d_gradient_that_is_a_scalar_or_another_dtype_fits_its_input(make, expected):
    x = tge.tensor(2.0, requires_grad=True)
    _Returns.apply(x, make).backward()
    assert isinstance(x.grad.array, np.ndarray) and x.grad.dtype == np.float32 and x.grad.item() == expected


def test_a_broadcast_gradient_is_summed_back_and_cast_to_its_input():
    x = tge.tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1)
    _Returns.apply(x, lambda g: np.ones((3, 2, 4), dtype=np.float64)).sum().backward()
    assert x.grad.shape == (2, 1) and x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.array, [[12.0], [12.0]])


def test_anomaly_mode_leaves_a_gradient_of_the_wrong_type_to_the_engine_s_error():
    x = tge.tensor([1.0, 2.0], requires_grad=True)
    with tge.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="returned a list as the gradient of input 0"):
        _Returns.apply(x, lambda g: [1.0, 1.0]).sum().backward()
