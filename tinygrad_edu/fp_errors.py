"""Floating-point warnings off while ops compute, as in PyTorch.

``log(0)`` is ``-inf`` and ``0/0`` is ``nan`` in PyTorch, silently; NumPy would warn.
So every forward and every backward pass runs with NumPy's error state at "ignore"
(anomaly mode is the tool that finds where a nan came from). The user's own NumPy code
keeps whatever state the user chose: it is set around each op and given back after::

    token = ignore()
    try:
        ...  # the op's arithmetic
    finally:
        restore(token)

That is what ``with np.errstate(all="ignore"):`` does, and that is how it reads best.
But ops are called millions of times on tiny arrays (the scalar-autograd lectures, one
small graph per time step of a recurrent layer), and ``np.errstate`` rebuilds NumPy's
state object on every entry: a call under it cost 0.39 us, 0.21 us this way, where a whole
0-d ``a * b`` took about 5 us. NumPy 2 keeps that state in a context variable (so it is
per thread and per task), and ``ignore`` sets that variable to a state object made once,
at import.
"""
import functools

import numpy as np

try:  # NumPy >= 2.0: the error state is a context variable (private names: guarded)
    from numpy._core._multiarray_umath import _extobj_contextvar, _make_extobj

    ignore = functools.partial(_extobj_contextvar.set, _make_extobj(all="ignore"))
    ignore.__doc__ = "Set NumPy's floating-point error state to 'ignore'; returns a token for ``restore``."
    restore = _extobj_contextvar.reset
except ImportError:  # a NumPy without them: the public context manager, entered by hand

    def ignore():
        """Set NumPy's floating-point error state to 'ignore'; returns a token for ``restore``."""
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore(state):
        """Give back the error state ``ignore`` replaced."""
        state.__exit__(None, None, None)
