"""Every op of the op table runs on an array type that refuses conversion to NumPy.

The rule "op code gets ``xp = get_array_module(...)`` from its inputs and never calls
``np.`` on them" is what makes the same code run on CuPy. ``StrictArray``
(``tests/strict_array.py``) breaks, as CuPy would, at any ``np.`` call on it or any
mix with a host array; here each op's forward and backward run on StrictArray data and
must give StrictArray results equal to the NumPy run. A failure names the op and the
line of library code where the array left its namespace. With
``TINYGRAD_EDU_CHECK_DEVICE=cuda`` (benchmarks/gpu_check.sh) the op table runs on CuPy
arrays on the GPU instead (tests/device_under_test.py).
"""
import traceback

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, backend
from tinygrad_edu.autograd import Function, grad
from tinygrad_edu.testing import op_table
from tinygrad_edu.testing.op_table import OPS, OpSpec, make_arrays, random_pick

from tests.device_under_test import ON_GPU, array_type, host, skip_unless_usable, to_device_array
from tests.strict_array import MESSAGE, StrictArray, strict_xp


pytestmark = pytest.mark.usefixtures("strict_backend")  # tests/conftest.py registers StrictArray


# ------------------------------------------------------- the strict type is strict
def test_strict_array_refuses_numpy():
    s = StrictArray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match=MESSAGE):
        np.asarray(s)
    with pytest.raises(TypeError, match=MESSAGE):
        np.array([s, s])
    with pytest.raises(TypeError, match="numpy.exp"):
        np.exp(s)
    with pytest.raises(TypeError, match="numpy.sum"):
        np.sum(s)
    with pytest.raises(TypeError, match="numpy.concatenate"):
        np.concatenate([s, s])
    with pytest.raises(TypeError, match="host NumPy array"):
        s + np.ones(3)
    with pytest.raises(TypeError):
        np.ones(3) * s
    with pytest.raises(TypeError, match="host NumPy array"):
        strict_xp.where(np.ones(3, dtype=bool), s, 0.0)
    assert not isinstance(s, np.ndarray)


def test_strict_array_works_through_its_namespace():
    s = StrictArray(np.arange(6.0).reshape(2, 3))
    assert isinstance(strict_xp.exp(s), StrictArray)
    assert isinstance(s.sum(), StrictArray) and s.sum().item() == 15.0
    assert isinstance(s.T, StrictArray) and s.T.shape == (3, 2)
    assert isinstance(s[0, 1:], StrictArray) and isinstance(s > 2, StrictArray)
    assert isinstance(np.float64(2.0) * s, StrictArray)  # NumPy scalars mix, as with CuPy
    g = strict_xp.zeros(3)
    strict_xp.add.at(g, (strict_xp.asarray([0, 0, 2]),), strict_xp.ones(3))
    np.testing.assert_array_equal(g.to_numpy(), [2.0, 0.0, 1.0])
    view = strict_xp.lib.stride_tricks.as_strided(s, (2, 2), s.strides)
    assert isinstance(view, StrictArray)
    assert strict_xp.float32 is np.float32 and strict_xp.ndarray is StrictArray
    assert backend.get_array_module(s) is strict_xp
    t = Tensor(s)
    assert t.device == "strict" and isinstance((t * 2).array, StrictArray)
    np.testing.assert_array_equal(backend.to_numpy(s), np.arange(6.0).reshape(2, 3))


# ---------------------------------------------------------- every op, on StrictArrays
def _float_outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _run(spec, arrays, upstream, as_array):
    """Forward and backward of ``spec`` on ``as_array(a)`` data: (outputs, input gradients)."""
    inputs = [Tensor(as_array(a), requires_grad=g) for a, g in zip(arrays, spec.requires_grad())]
    out = spec.fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    floats = _float_outputs(out)
    diff = [t for t in inputs if t.requires_grad]
    grads = [None] * len(diff)
    with_grad = [(o, as_array(w)) for o, w in zip(floats, upstream) if o.requires_grad]
    if with_grad:
        grads = grad([o for o, _ in with_grad], diff, grad_outputs=[w for _, w in with_grad], allow_unused=True)
    return [o.array for o in outs], [None if g is None else g.array for g in grads]


def _where(exc):
    """The innermost line (file:line) of the traceback of ``exc`` outside the strict array
    machinery: the line that handed NumPy a StrictArray."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith("strict_array.py")]
    if not frames:
        return "(unknown)"
    f = frames[-1]
    path = f.filename.replace("\\", "/")
    for root in ("/tinygrad_edu/", "/tests/"):
        if root in path:
            path = root[1:] + path.rsplit(root, 1)[1]
    return f"{path}:{f.lineno} in {f.name}: {f.line}"


def check_on_strict_arrays(spec):
    """Run ``spec`` forward and backward on NumPy and on StrictArray data; fail, naming
    the op and the line, if the StrictArray run leaves its namespace or differs."""
    rng = np.random.default_rng(0)
    shapes = spec.shapes(random_pick(rng))
    arrays = make_arrays(spec, shapes, rng)
    tge.manual_seed(0)
    upstream = [rng.standard_normal(o.shape) for o in _float_outputs(spec.fn(*[Tensor(a) for a in arrays]))]
    tge.manual_seed(0)
    expected_out, expected_grads = _run(spec, arrays, upstream, lambda a: a)

    tge.manual_seed(0)
    kind = array_type()  # StrictArray, or cupy.ndarray with TINYGRAD_EDU_CHECK_DEVICE=cuda
    try:
        out, grads = _run(spec, arrays, upstream, to_device_array)
    except Exception as exc:  # noqa: BLE001 - turned into a failure that names the op and the line
        pytest.fail(
            f"{spec.name} (input shapes {shapes}) left its array namespace (a NumPy call or a host array on "
            f"{kind.__name__} data; on a GPU this breaks):\n  at {_where(exc)}\n  {type(exc).__name__}: {exc}",
            pytrace=False,
        )

    # StrictArray computes with NumPy in the same order; a GPU sums in other orders
    rtol, atol = (1e-8, 1e-10) if ON_GPU else (1e-12, 1e-14)
    for i, (o, e) in enumerate(zip(out, expected_out)):
        assert type(o) is kind, f"{spec.name}: output {i} is a {type(o).__name__}, not a {kind.__name__}"
        np.testing.assert_allclose(host(o), e, rtol=rtol, atol=atol, err_msg=f"{spec.name}: output {i}")
    for i, (g, e) in enumerate(zip(grads, expected_grads)):
        if e is None:
            assert g is None, f"{spec.name}: gradient {i} is None on NumPy but not on the device"
            continue
        assert type(g) is kind, f"{spec.name}: gradient {i} is a {type(g).__name__}, not a {kind.__name__}"
        np.testing.assert_allclose(host(g), e, rtol=rtol, atol=atol, err_msg=f"{spec.name}: gradient {i}")


@skip_unless_usable
@pytest.mark.parametrize("spec", OPS, ids=[spec.name for spec in OPS])
def test_op_stays_in_its_array_namespace(spec):
    check_on_strict_arrays(spec)


class _LeakyExp(Function):
    """exp written against the rule: ``np.exp`` instead of ``xp.exp``."""

    @staticmethod
    def forward(ctx, x):
        z = np.exp(x)  # the planted leak
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z


@pytest.mark.skipif(ON_GPU, reason="checks StrictArray's own message: runs in the default (strict) mode")
def test_a_leaking_op_is_reported_with_its_name_and_line():
    spec = OpSpec("leaky_exp", _LeakyExp.apply, np.exp, op_table.one, (op_table.REAL,))
    with pytest.raises(pytest.fail.Exception) as failure:
        check_on_strict_arrays(spec)
    message = str(failure.value)
    assert "leaky_exp" in message and "left its array namespace" in message
    assert "tests/test_strict_backend.py:" in message and "z = np.exp(x)" in message
    assert "numpy.exp was called on a StrictArray" in message
