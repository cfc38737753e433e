"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``.

While grad mode is off, ops compute their results but record no graph: nothing is
saved for backward and results do not require grad (evaluation, optimizer steps).
Each works as a context manager and as a function decorator.
"""
import functools

_enabled = True


def is_grad_enabled():
    return _enabled


def _set(mode):
    global _enabled
    _enabled = mode


class _GradMode:
    """Set grad mode to ``self.mode`` inside a ``with`` block or a decorated function."""

    mode = True

    def __enter__(self):
        self._previous = _enabled
        _set(self.mode)

    def __exit__(self, *exc):
        _set(self._previous)
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            previous = _enabled
            _set(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _set(previous)

        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator that disables graph recording."""

    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator that enables graph recording (inside ``no_grad``)."""

    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(mode)``: switch grad mode on or off.

    As in PyTorch it takes effect as soon as it is called, so ``set_grad_enabled(False)``
    on its own line switches recording off; used with ``with`` (or as a decorator) the
    previous mode comes back at the end.
    """

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = _enabled
        _set(self.mode)

    def __enter__(self):
        pass  # already switched in __init__

    def __call__(self, fn):
        _set(self._previous)  # used as a decorator: only switch while fn runs
        return super().__call__(fn)


class inference_mode(_GradMode):
    """``inference_mode(mode=True)``: context manager / decorator for pure inference.

    Deliberate difference from PyTorch: here it is ``no_grad`` (``mode=False`` is
    ``enable_grad``). PyTorch also marks the tensors made inside as "inference tensors"
    that may never enter a recorded graph later, which saves its version-counter
    bookkeeping; this framework has no such cost to save, so it does not mark them.
    """

    def __init__(self, mode=True):
        self.mode = not mode
        self._inference = bool(mode)

    def __enter__(self):
        global _inference
        self._previous_inference = _inference
        _inference = self._inference
        super().__enter__()

    def __exit__(self, *exc):
        global _inference
        _inference = self._previous_inference
        return super().__exit__(*exc)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(self._inference):
                return fn(*args, **kwargs)

        return wrapper


_inference = False


def is_inference_mode_enabled():
    return _inference
