"""The in-place version clock: how the engine notices that a saved value changed.

Every in-place change of a tensor (``t.add_(1)``, ``t[i] = v``, ``t.copy_(src)``, ...) calls
``bump``: it adds one to the tensor's ``_version`` (PyTorch's
version counter), advances one global clock, and stamps both the tensor and its memory buffer
with the new tick. A graph node keeps the clock's value from when it saved its inputs
(``now()``); "changed since saved" is then one comparison of ticks,
and recording an op counts nothing. Views and detached tensors share a buffer, so a change
through any of them is seen by all (``buffer_tick``).
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

__all__ = ["bump", "now", "buffer_tick"]

#: The clock, a one-element list (read as ``_clock[0]`` on the hot path by node.py).
_clock = [0]
#: Last change of each memory buffer: id(base ndarray) -> (weakref to it, clock tick).
_buffer_ticks: dict = {}


def now() -> int:
    """The clock's current tick (what a node or a custom Function's ctx remembers)."""
    return _clock[0]


def _base(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def buffer_tick(a: np.ndarray) -> int:
    """The tick of the last in-place change to the memory behind ``a`` (0 if none)."""
    root = _base(a)
    entry = _buffer_ticks.get(id(root))
    return entry[1] if entry is not None and entry[0]() is root else 0


def _stamp_buffer(a: np.ndarray, tick: int) -> None:
    root = _base(a)
    key = id(root)
    entry = _buffer_ticks.get(key)
    if entry is not None and entry[0]() is root:
        _buffer_ticks[key] = (entry[0], tick)
        return
    try:
        ref = weakref.ref(root, lambda _, key=key: _buffer_ticks.pop(key, None))
    except TypeError:  # a buffer that cannot be weakly referenced: track the tensor only
        return
    _buffer_ticks[key] = (ref, tick)


def bump(t: Any) -> None:
    """Record one in-place change of Tensor ``t``: its version goes up by one, and it and its
    buffer get the clock's next tick (what nodes that saved it compare against)."""
    t._vcount += 1
    _clock[0] += 1
    t._stamp = _clock[0]
    _stamp_buffer(t._data, _clock[0])
