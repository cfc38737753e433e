"""Anomaly detection: find the op whose backward first produced NaN or Inf.

Inside ``with detect_anomaly():`` every op records where it was created (the stack of
the forward pass), and the engine checks every gradient an op's backward returns. The
first NaN/Inf raises a ``RuntimeError`` naming the op and showing the forward line
that created it, so a student sees *which* ``log`` of a zero broke training.
"""
import functools
import os
import traceback

_enabled = False


def is_anomaly_enabled():
    return _enabled


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        global _enabled
        self._previous = _enabled
        _enabled = self.check_nan

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def forward_stack():
    """The forward-pass call site: the stack without the framework's own frames."""
    frames = [f for f in traceback.extract_stack() if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]
    return "".join(traceback.format_list(frames[-8:]))


def check_gradients(node, grads, xp):
    """Raise if any gradient returned by ``node``'s backward holds NaN or Inf."""
    for i, g in enumerate(grads):
        if g is None or not hasattr(g, "dtype") or g.dtype.kind not in "fc":
            continue  # (something that is not an array is refused right after, with its own error)
        if not bool(xp.isfinite(g).all()):
            kind = "nan" if bool(xp.isnan(g).any()) else "inf"
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {i}th output "
                f"(gradient for input {i}, shape {tuple(g.shape)}).\n"
                f"The forward call that created this op:\n{node._forward_stack or '  (not recorded)'}"
            )
