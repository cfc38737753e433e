"""Expected IEEE results (log(0) = -inf, 1/0 = inf, 0/0 = nan, overflow to inf) come back
without NumPy's RuntimeWarnings, forward and backward, as in PyTorch: for example log(0)
in the branch that ``where`` masks out."""
import math
import warnings

import numpy as np
import pytest

import tinygrad_edu as tge

F = tge.nn.functional


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def test_log_of_zero_in_a_masked_branch():
    x = tge.tensor([0.0, 2.0], requires_grad=True)
    y = tge.where(x > 0, tge.log(x), tge.zeros(2))
    np.testing.assert_allclose(y.detach().cpu().numpy(), [0.0, math.log(2.0)])
    y.sum().backward()
    # d/dx log(x) = 1/x is inf at 0, times the masked 0 gradient: nan, as PyTorch gives
    assert math.isnan(x.grad.cpu().numpy()[0]) and x.grad.cpu().numpy()[1] == 0.5


@pytest.mark.parametrize("fn,expected", [
    (lambda: tge.log(tge.zeros(1)), -math.inf),
    (lambda: tge.ones(1) / tge.zeros(1), math.inf),
    (lambda: tge.zeros(1) / tge.zeros(1), math.nan),
    (lambda: tge.sqrt(-tge.ones(1)), math.nan),
    (lambda: tge.exp(tge.tensor([1000.0])), math.inf),
    (lambda: tge.zeros(1) ** -1.0, math.inf),
    (lambda: tge.ones(1) * 1e39, math.inf),  # float32 overflow
    (lambda: F.softmax(tge.tensor([[-math.inf, -math.inf]]), 1)[0, :1], math.nan),
])
def test_ieee_results_without_warnings(fn, expected):
    value = fn().detach().cpu().numpy().item()
    assert (math.isnan(value) and math.isnan(expected)) or value == expected


def test_backward_without_warnings():
    x = tge.zeros(2, requires_grad=True)
    tge.sqrt(x).sum().backward()
    assert np.isinf(x.grad.cpu().numpy()).all()


def test_the_error_state_is_the_callers_again_after_backward():
    """The backward pass ignores floating-point warnings while it runs (one errstate for the
    whole pass) and gives the caller its own setting back, also when a backward fails."""
    before = np.geterr()
    x = tge.tensor([0.0, 1.0], requires_grad=True)
    tge.log(x).sum().backward()
    assert np.geterr() == before

    class Broken(tge.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("a planted failure")

    with pytest.raises(ValueError, match="planted"):
        Broken.apply(x).sum().backward()
    assert np.geterr() == before


def test_ops_ignore_the_callers_raise_setting_and_give_it_back_also_after_a_failed_forward():
    with np.errstate(all="raise"):
        y = tge.log(tge.zeros(1))  # would raise FloatingPointError under the caller's setting
        assert y.item() == -math.inf
        assert np.geterr()["divide"] == "raise"

        class Broken(tge.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                assert np.geterr() == {"divide": "ignore", "over": "ignore", "under": "ignore", "invalid": "ignore"}
                raise ValueError("a planted failure")

        with pytest.raises(ValueError, match="planted"):
            Broken.apply(tge.ones(1))
        assert np.geterr()["divide"] == "raise"
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(1))  # the caller's own NumPy code still raises


def test_fp_errors_falls_back_to_np_errstate_without_numpys_private_names(monkeypatch):
    """``fp_errors`` sets NumPy's error-state context variable directly; on a NumPy without
    those private names it enters ``np.errstate`` by hand, with the same effect."""
    import functools
    import importlib

    from numpy._core import _multiarray_umath

    from tinygrad_edu import fp_errors

    direct = hasattr(_multiarray_umath, "_extobj_contextvar")  # False: a NumPy already on the fallback
    assert isinstance(fp_errors.ignore, functools.partial) == direct
    before = np.geterr()
    monkeypatch.delattr(_multiarray_umath, "_extobj_contextvar", raising=False)
    try:
        fallback = importlib.reload(fp_errors)
        assert not isinstance(fallback.ignore, functools.partial)
        with np.errstate(all="raise"):
            token = fallback.ignore()
            assert np.geterr()["divide"] == "ignore"
            fallback.restore(token)
            assert np.geterr()["divide"] == "raise"
            assert tge.log(tge.zeros(1)).item() == -math.inf  # ops call it through the module
    finally:
        monkeypatch.undo()
        importlib.reload(fp_errors)
    assert isinstance(fp_errors.ignore, functools.partial) == direct and np.geterr() == before
