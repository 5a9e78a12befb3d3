"""Thread-local grad mode: ``no_grad``, ``enable_grad``, ``is_grad_enabled``, ``detect_anomaly``.

The engine reads ``_state.enabled`` on every op (one attribute lookup), so turning grad mode
off costs nothing else: no node objects, nothing saved.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "detect_anomaly",
           "is_anomaly_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    """Per-thread flags: grad recording and anomaly mode."""

    enabled: bool = True
    anomaly: bool = False


_state = _State()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _state.enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _state.anomaly


def _saved() -> list:
    """This thread's stack of flag values to restore (one entry per open ``with`` block)."""
    st = _state.__dict__.get("saved")
    if st is None:
        st = _state.saved = []
    return st


class _Mode:
    """A context manager that is also a decorator; subclasses set ``_flag`` and ``_value``.

    The value to restore is kept on a per-thread stack, not on the instance, so one instance
    may be entered again while open (nested) or from several threads at once."""

    _flag = "enabled"
    _value = True

    def __enter__(self) -> None:
        _saved().append(getattr(_state, self._flag))
        setattr(_state, self._flag, self._value)

    def __exit__(self, *exc: object) -> None:
        setattr(_state, self._flag, _saved().pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Mode):
    """Context manager / decorator: ops inside record no graph and save nothing.

    In-place operators on tensors that require grad are allowed only here. As in PyTorch it
    also decorates without parentheses (``@no_grad``).
    """

    _value = False

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare ``@no_grad``: the wrapped function


class enable_grad(_Mode):
    """Context manager / decorator: turn graph recording back on (e.g. inside ``no_grad``);
    also decorates without parentheses (``@enable_grad``)."""

    _value = True

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode``, as PyTorch: called as a function it sets the mode at once
    (``ag.set_grad_enabled(False)``); as ``with set_grad_enabled(mode):`` the previous mode
    comes back after the block; as a decorator, for each call of the function."""

    def __init__(self, mode: bool) -> None:
        self._value = bool(mode)
        self._prev = _state.enabled
        _state.enabled = self._value

    def __enter__(self) -> None:
        _state.enabled = self._value

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev

    def __call__(self, fn: F) -> F:
        _state.enabled = self._prev  # a decorator: the mode applies only inside calls
        value = self._value

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(value):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class detect_anomaly(_Mode):
    """Context manager / decorator for debugging NaN/Inf gradients.

    While on, every op records the stack frame that created it and checks its forward result
    for NaN/Inf; backward raises ``RuntimeError`` at the first op whose vector-Jacobian product
    gives NaN or Inf, naming the op, the input it was differentiating for, and where in the
    forward code the op was created. Off, it costs nothing.
    """

    _flag = "anomaly"
    _value = True

    def __init__(self, check_nan: bool = True) -> None:
        self._value = bool(check_nan)

    def __call__(self, fn: F) -> F:
        value = self._value

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(value):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
