"""no_grad / enable_grad / set_grad_enabled as context managers and decorators."""
import tinygrad_edu as tge


def test_no_grad_context_records_nothing():
    x = tge.randn(3, requires_grad=True)
    with tge.no_grad():
        y = x * 2
        assert not tge.is_grad_enabled()
    assert tge.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_decorator_and_nested_enable_grad():
    x = tge.randn(3, requires_grad=True)

    @tge.no_grad()
    def f():
        with tge.enable_grad():
            inner = x * 2
        return x * 2, inner

    outer, inner = f()
    assert not outer.requires_grad and inner.requires_grad
    assert tge.is_grad_enabled()


def test_no_grad_restores_mode_after_exception():
    try:
        with tge.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert tge.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator():
    x = tge.randn(2, requires_grad=True)
    with tge.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tge.is_grad_enabled()
    tge.set_grad_enabled(False)
    try:
        assert not tge.is_grad_enabled()
    finally:
        tge.set_grad_enabled(True)

    @tge.set_grad_enabled(False)
    def g():
        return x * 2

    assert tge.is_grad_enabled()  # decorating did not switch the mode
    assert not g().requires_grad
    assert tge.is_grad_enabled()
