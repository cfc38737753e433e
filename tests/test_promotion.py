"""Type promotion follows PyTorch (categories: arrays with dims > 0-d arrays > Python
numbers), and integer/bool reductions sum as int64."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.backend import result_dtype

F32, F64, I64, I32, B = (np.dtype(t) for t in (np.float32, np.float64, np.int64, np.int32, np.bool_))


@pytest.mark.parametrize(
    "operands, expected",
    [
        ((np.ones(2, F32), np.ones(2, I64)), F32),  # NumPy: float64
        ((np.ones(2, F32), np.array(2.0)), F32),  # a 0-d float64 does not upcast an array
        ((np.ones(2, I64), 1.5), F32),  # int array with a Python float: default float
        ((np.ones(2, I32), np.array(3)), I32),  # a 0-d int64 does not upcast an int32 array
        ((np.ones(2, I64), np.array(2.0)), F64),  # higher kind in the 0-d category wins
        ((np.ones(2, F32), np.ones(2, F64)), F64),
        ((np.ones(2, B), 1), I64),
        ((np.ones(2, B), True), B),
        ((2, 3), I64),
        ((2, 3.0), F32),
    ],
)
def test_result_dtype_follows_pytorch(operands, expected):
    assert result_dtype(*operands) == expected


def test_numpy_scalars_act_as_python_numbers():
    x = tge.ones(3)
    assert (x / np.sqrt(4.0)).dtype == tge.float32
    assert (x * np.float64(2)).dtype == tge.float32


def test_mixed_float_categories_keep_the_array_dtype_and_the_gradient():
    x = tge.ones(3, requires_grad=True)
    s = tge.tensor(2.0, dtype=tge.float64, requires_grad=True)
    y = x * s
    assert y.dtype == tge.float32
    y.sum().backward()
    assert s.grad.dtype == tge.float64 and s.grad.item() == 3.0


def test_sum_of_bools_and_small_ints_is_int64():
    a = tge.tensor([1, 2, 3])
    assert (a == a).sum().item() == 3 and (a == a).sum().dtype == tge.int64
    assert tge.tensor([1, 2], dtype=tge.int32).sum().dtype == tge.int64
    assert tge.tensor([200, 100], dtype=tge.uint8).sum().item() == 300


def test_promotion_matches_pytorch_when_available():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda m: m.ones(3) * m.arange(3)),
        (lambda m: m.ones(3).sum() / m.tensor(3)),
        (lambda m: m.tensor([1, 2], dtype=m.int32) * m.tensor(3)),
        (lambda m: m.tensor([1, 2]) * 1.5),
        (lambda m: m.maximum(m.arange(3), m.ones(3))),
    ]
    for case in cases:
        assert str(case(tge).dtype) == str(case(torch).dtype).replace("torch.", "")
