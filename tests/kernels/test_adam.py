"""Adam's fused update (kernels/adam.py): the loop reference, the compiled loop and
``Adam._update``'s NumPy lines give the same bits, step after step, for both float dtypes,
amsgrad, eps = 0 and gradients with zeros, NaN and inf; ``Adam`` takes the compiled form
exactly when ``adam_compiled_applies`` says so, and its trajectories do not depend on the
kernel set."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu import kernels, optim
from tinygrad_edu.kernels import adam as K
from tinygrad_edu.kernels._numba import HAVE_NUMBA

from .strategies import kernel_settings

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="the fused update is compiled by Numba")


@st.composite
def cases(draw):
    """A parameter shape (0-d and size-1 dims included), dtype, options and 3 gradients,
    some with zeros, NaN or inf in them."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=0, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    grads = [np.asarray(rng.standard_normal(shape) * scale, dtype=dtype) for _ in range(3)]
    if draw(st.booleans()) and grads[0].size:
        special = draw(st.sampled_from([0.0, np.nan, np.inf, -np.inf]))
        grads[draw(st.integers(0, 2))].reshape(-1)[draw(st.integers(0, grads[0].size - 1))] = special
    options = dict(lr=draw(st.sampled_from([1e-3, 0.1])), betas=(draw(st.sampled_from([0.9, 0.5])),
                   draw(st.sampled_from([0.999, 0.9]))), eps=draw(st.sampled_from([1e-8, 1e-3, 0.0])),
                   amsgrad=draw(st.booleans()))
    return np.asarray(rng.standard_normal(shape), dtype=dtype), grads, options


def _run_forms(param, grads, options, form):
    """The parameter and moments after each step of ``form`` (an adam_update_* function)."""
    p, m, v = param.copy(), np.zeros_like(param), np.zeros_like(param)
    v_max = np.zeros_like(param) if options["amsgrad"] else None
    (beta1, beta2), history = options["betas"], []
    for t, g in enumerate(grads, start=1):
        form(p, g, m, v, v_max, beta1, beta2, options["lr"] / (1 - beta1**t), (1 - beta2**t) ** 0.5, options["eps"])
        history.append([a.copy() for a in (p, m, v) + ((v_max,) if v_max is not None else ())])
    return history


def _run_adam(param, grads, options, kernel_set):
    """The same steps through ``optim.Adam`` with the given kernel set."""
    p = tge.tensor(param.copy(), requires_grad=True)
    opt = optim.Adam([p], **options)
    history = []
    with kernels.using(kernel_set):
        for g in grads:
            p.grad = tge.tensor(g)
            opt.step()
            state = opt.state[p]
            names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if options["amsgrad"] else [])
            history.append([p.array.copy()] + [state[n].array.copy() for n in names])
    return history


def _assert_same_bits(a, b, who):
    for step, (xs, ys) in enumerate(zip(a, b), start=1):
        for x, y in zip(xs, ys):
            assert x.dtype == y.dtype and x.shape == y.shape, who
            assert np.array_equal(x.reshape(-1).view(np.uint8), y.reshape(-1).view(np.uint8)), f"{who}: step {step}: {x} != {y}"


@needs_numba
@kernel_settings
@given(cases())
def test_reference_compiled_and_numpy_lines_give_the_same_bits(case):
    param, grads, options = case
    with np.errstate(all="ignore"):  # eps = 0 with a zero gradient: 0 / 0 = NaN, as in PyTorch
        reference = _run_forms(param, grads, options, K.adam_update_reference)
        compiled = _run_forms(param, grads, options, K.adam_update_numba)
        numpy_lines = _run_adam(param, grads, options, "numpy")
        numba_set = _run_adam(param, grads, options, "numba")
    _assert_same_bits(compiled, reference, "compiled vs reference")
    _assert_same_bits(numpy_lines, reference, "Adam._update's NumPy lines vs reference")
    _assert_same_bits(numba_set, reference, "Adam under the Numba set vs reference")


@needs_numba
@pytest.mark.parametrize("cls, options", [
    (optim.Adam, dict(lr=0.05, weight_decay=0.1, maximize=True)),
    (optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.3)),
])
def test_adam_and_adamw_trajectories_do_not_depend_on_the_kernel_set(cls, options):
    rng = np.random.default_rng(7)
    shapes = [(4, 3, 3, 3), (4,), ()]
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(5)]
    results = {}
    for kernel_set in ("numpy", "numba"):
        params = [tge.tensor(a.copy(), requires_grad=True) for a in init]
        opt = cls(params, **options)
        with kernels.using(kernel_set):
            for step_grads in grads:
                for p, g in zip(params, step_grads):
                    p.grad = tge.tensor(g)
                opt.step()
        results[kernel_set] = [p.array for p in params]
    for a, b in zip(results["numpy"], results["numba"]):
        assert np.array_equal(a, b)


@needs_numba
def test_adam_takes_the_compiled_update_only_where_it_applies(monkeypatch):
    calls = []
    compiled = kernels.adam_update
    monkeypatch.setattr(kernels, "adam_update", lambda *args: calls.append(args[0].shape) or compiled(*args))
    contiguous, strided, frozen = (tge.tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
                                   for _ in range(3))
    opt = optim.Adam([contiguous, strided, frozen], lr=0.1)
    grad = np.arange(12, dtype=np.float32).reshape(4, 3)
    contiguous.grad = tge.tensor(grad.T.copy())
    strided.grad = tge.tensor(grad).t()  # a transposed view: copied into order, then compiled
    assert not strided.grad.array.flags.c_contiguous
    frozen.grad = tge.tensor(grad.T.copy())
    with kernels.using("numba"):
        opt.step()
        assert calls == [(3, 4), (3, 4), (3, 4)]
        np.testing.assert_array_equal(contiguous.array, strided.array)
        calls.clear()
        frozen.array.flags.writeable = False  # a read-only parameter takes the NumPy lines, which refuse it
        with pytest.raises(ValueError, match="read-only"):
            opt.step()
    assert calls == [(3, 4), (3, 4)]
    frozen.array.flags.writeable = True
    calls.clear()
    with kernels.using("numpy"):
        opt.step()
    assert calls == []


@needs_numba
def test_compiled_update_refuses_arrays_that_do_not_match():
    p = np.zeros((2, 3), dtype=np.float32)
    state = [np.zeros_like(p), np.zeros_like(p)]
    with pytest.raises(ValueError, match=r"adam_update_numba: .*shape \(2, 3\).*float32.*got shape \(3, 2\)"):
        K.adam_update_numba(p, np.zeros((3, 2), dtype=np.float32), *state, None, 0.9, 0.999, 0.1, 1.0, 1e-8)
    with pytest.raises(ValueError, match="float64"):
        K.adam_update_numba(p, np.zeros((2, 3)), *state, None, 0.9, 0.999, 0.1, 1.0, 1e-8)
    with pytest.raises(ValueError, match="C-contiguous=False"):
        K.adam_update_numba(p, p, np.zeros((3, 2), dtype=np.float32).T, state[1], None, 0.9, 0.999, 0.1, 1.0, 1e-8)
    with pytest.raises(TypeError, match="NumPy arrays only, got builtins.list"):
        K.adam_update_numba(p, [[0.0] * 3] * 2, *state, None, 0.9, 0.999, 0.1, 1.0, 1e-8)
