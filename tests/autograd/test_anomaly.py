"""detect_anomaly names the op whose backward produced NaN/Inf and where it was created."""
import pytest

import tinygrad_edu as tge


def test_detect_anomaly_names_op_and_forward_line():
    x = tge.tensor([0.0, 1.0], requires_grad=True)
    with tge.autograd.detect_anomaly():
        y = x.sqrt()  # the culprit: d sqrt/dx = inf at 0
        loss = (y * 0).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "SqrtBackward" in msg and "nan" in msg
    assert "y = x.sqrt()" in msg  # the forward line that created the op
    assert "test_anomaly.py" in msg


def test_detect_anomaly_inf():
    x = tge.tensor([0.0, 1.0], requires_grad=True)
    with tge.autograd.detect_anomaly():
        loss = x.log().sum()
        with pytest.raises(RuntimeError, match="LogBackward' returned inf"):
            loss.backward()


def test_without_anomaly_mode_nan_passes_silently():
    x = tge.tensor([0.0, 1.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()
    assert tge.isnan(x.grad).any().item()
    assert not tge.autograd.is_anomaly_enabled()


def test_anomaly_decorator_and_clean_graph():
    @tge.autograd.detect_anomaly()
    def run():
        x = tge.tensor([1.0, 4.0], requires_grad=True)
        x.sqrt().sum().backward()
        return x.grad

    assert run().shape == (2,)
