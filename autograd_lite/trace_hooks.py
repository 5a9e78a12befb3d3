"""The one hook that library code below ``ag.compile`` needs: ``@kernel``.

``ag.compile`` (``autograd_lite/compiled.py``) records the NumPy kernels a function runs: every
op's forward, every VJP rule, gradient sums and ``.grad`` updates. A few library functions
compute an array outside any op, from Python values and the random generator (a dropout
mask). Marked with ``@kernel``, such a function becomes one kernel of the trace: a replay calls
it again (so a dropout mask is drawn afresh each step, from the same generator as eager).
Without a trace the decorator costs one global read per call.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

__all__ = ["kernel", "check", "active"]

#: The recorder of the trace being recorded in this process (``autograd_lite.trace``), or None.
_recorder: Any = None


def active() -> bool:
    """True while ``ag.compile`` records a trace."""
    return _recorder is not None


def kernel(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``fn`` (arrays and Python values in, one ndarray out; it may draw from the
    library's generator) as one kernel of a trace: ``ag.compile`` records the call and its
    replay calls ``fn`` again with the replay's arrays."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rec = _recorder
        if rec is None:
            return fn(*args, **kwargs)
        return rec.call_kernel(fn, args, kwargs)
    return wrapper


def check(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``fn`` as a validation of its tensor arguments' values (it raises or returns
    None): ``ag.compile`` records the call and its replay runs the check again, so a replay
    refuses the same bad values as eager."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rec = _recorder
        if rec is None:
            return fn(*args, **kwargs)
        return rec.call_check(fn, args, kwargs)
    return wrapper
