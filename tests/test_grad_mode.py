"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (thread-local, nestable,
usable as decorators)."""
import threading

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.grad_mode import _state


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A failing grad-mode test must not leave grad mode off for the tests after it."""
    yield
    _state.enabled = True
    _state.anomaly = False


def f64(x, requires_grad=True):
    return ag.tensor(x, dtype=np.float64, requires_grad=requires_grad)


def test_one_no_grad_instance_can_be_nested():
    # the value to restore used to live on the instance: the inner exit overwrote it and
    # grad mode stayed off after the outer block
    ng = ag.no_grad()
    with ng:
        with ng:
            pass
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_one_no_grad_instance_shared_by_threads():
    ng = ag.no_grad()
    inside, leave, seen = threading.Event(), threading.Event(), {}

    def worker():
        with ag.no_grad():  # this thread is already off when it enters the shared instance
            with ng:
                inside.set()
                leave.wait(5)
            seen["inner"] = ag.is_grad_enabled()
        seen["after"] = ag.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    assert inside.wait(5)
    with ng:  # main thread enters the same instance while the worker is inside it
        leave.set()
        th.join(5)
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert seen == {"inner": False, "after": True}


def test_no_grad_and_enable_grad_decorate_without_parentheses():
    @ag.no_grad
    def off():
        return ag.is_grad_enabled()

    @ag.enable_grad
    def on():
        return ag.is_grad_enabled()

    assert off() is False and ag.is_grad_enabled()
    assert off.__name__ == "off"
    with ag.no_grad():
        assert on() is True
        assert not ag.is_grad_enabled()


def test_set_grad_enabled_called_as_a_function():
    # PyTorch: torch.set_grad_enabled(False) switches the mode at once (it used to do nothing)
    try:
        ag.set_grad_enabled(False)
        assert not ag.is_grad_enabled()
        x = f64([1.0])
        assert (x * 2).grad_fn is None
        ag.set_grad_enabled(True)
        assert ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def f():
        return ag.is_grad_enabled()

    assert ag.is_grad_enabled()  # decorating does not switch the mode
    assert f() is False and ag.is_grad_enabled()
