"""The array module of the data: NumPy today, CuPy (or another NumPy-compatible module) instead.

The engine and the ops call NumPy functions (``np.exp(x)``, ``np.sum(x)``, ``np.einsum``), and
NumPy hands such a call to the array type of its arguments when that type implements
``__array_ufunc__`` / ``__array_function__`` (NEP 13 / NEP 18), as ``cupy.ndarray`` does. What
does not dispatch is a call with no array argument (``np.zeros(shape)``, ``np.arange(n)``,
``np.array(2.0)``), a conversion of the data to NumPy (``np.asarray(x)``: CuPy forbids the
implicit copy from the device) and a test ``isinstance(x, np.ndarray)``. The engine makes those
through the helpers here, with the data's module. ``type(x) is np.ndarray`` comes first in each
helper, so the NumPy path pays one comparison. See docs/guides/gpu.md.
"""
from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["array_module", "is_array", "is_foreign", "as_data", "asarray", "zeros", "ones",
           "full", "arange", "eye", "ascontiguousarray", "to_numpy"]

_ndarray = np.ndarray
#: The module of each array type met so far (``numpy.ndarray`` -> numpy, ``cupy.ndarray`` -> cupy).
_MODULES: dict = {_ndarray: np}


def _module_of_type(tp: type) -> ModuleType | None:
    """The root package of ``tp``'s module when that package's ``ndarray`` is ``tp`` or a base
    of it (``cupy.ndarray`` -> ``cupy``), else None."""
    root = sys.modules.get(tp.__module__.partition(".")[0])
    base = getattr(root, "ndarray", None)
    if isinstance(base, type) and issubclass(tp, base) and hasattr(root, "asarray"):
        return root
    return None


def array_module(x: Any) -> ModuleType:
    """The array module of ``x``: ``numpy`` for ndarrays, NumPy scalars, Python numbers and
    lists; for another array type (``cupy.ndarray``, a stand-in), its module."""
    tp = type(x)
    if tp is _ndarray:
        return np
    mod = _MODULES.get(tp)
    if mod is not None:
        return mod
    if isinstance(x, (np.ndarray, np.generic)):  # (subclasses of ndarray included)
        mod = np
    else:
        mod = _module_of_type(tp)
    if mod is None:  # the Python array API standard's way to ask (a NumPy-compatible type)
        ns = getattr(x, "__array_namespace__", None)
        mod = ns() if ns is not None and hasattr(tp, "__array_ufunc__") else np
    _MODULES[tp] = mod  # (types met are few: numbers, lists, Tensors, an array type or two)
    return mod


def is_array(x: Any) -> bool:
    """Whether ``x`` is an array the engine keeps as it is: an ndarray, or an array of another
    NumPy-compatible module (one with ``__array_ufunc__`` and an array module, as CuPy's).
    NumPy scalars, numbers, lists and Tensors are not."""
    tp = type(x)
    if tp is _ndarray or isinstance(x, _ndarray):
        return True
    return array_module(x) is not np


def is_foreign(x: Any) -> bool:
    """Whether ``x`` is an array of a module other than NumPy (a CuPy array)."""
    return type(x) is not _ndarray and array_module(x) is not np


def as_data(x: Any) -> Any:
    """``x`` as the data of a Tensor: an array (of any module) as it is; a NumPy scalar (what
    NumPy reductions return) or a Python value as a NumPy array (``np.asarray``)."""
    if isinstance(x, (_ndarray, np.generic)) or array_module(x) is np:
        return np.asarray(x)
    return x


def asarray(x: Any, like: Any, dtype: Any = None) -> Any:
    """``x`` (numbers, lists, NumPy arrays) as an array of ``like``'s module (``np.asarray`` for
    ndarrays; ``cupy.asarray`` copies to the device)."""
    if type(like) is _ndarray:
        return np.asarray(x, dtype=dtype)
    return array_module(like).asarray(x, dtype=dtype)


def zeros(shape: Any, dtype: Any, like: Any) -> Any:
    """``np.zeros(shape, dtype)`` in ``like``'s module."""
    if type(like) is _ndarray:
        return np.zeros(shape, dtype=dtype)
    return array_module(like).zeros(shape, dtype=dtype)


def ones(shape: Any, dtype: Any, like: Any) -> Any:
    """``np.ones(shape, dtype)`` in ``like``'s module."""
    if type(like) is _ndarray:
        return np.ones(shape, dtype=dtype)
    return array_module(like).ones(shape, dtype=dtype)


def full(shape: Any, value: Any, dtype: Any, like: Any) -> Any:
    """``np.full(shape, value, dtype)`` in ``like``'s module."""
    if type(like) is _ndarray:
        return np.full(shape, value, dtype=dtype)
    return array_module(like).full(shape, value, dtype=dtype)


def arange(n: int, like: Any) -> Any:
    """``np.arange(n)`` (int64) in ``like``'s module."""
    if type(like) is _ndarray:
        return np.arange(n)
    return array_module(like).arange(n, dtype=np.int64)


def eye(n: int, dtype: Any, like: Any) -> Any:
    """``np.eye(n, dtype)`` in ``like``'s module."""
    if type(like) is _ndarray:
        return np.eye(n, dtype=dtype)
    return array_module(like).eye(n, dtype=dtype)


def ascontiguousarray(x: Any) -> Any:
    """``np.ascontiguousarray(x)`` in ``x``'s module (NumPy's does not dispatch)."""
    if type(x) is _ndarray:
        return np.ascontiguousarray(x)
    return array_module(x).ascontiguousarray(x)


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array on the host: ndarrays as they are, CuPy arrays copied
    (``.get()``), others through their module's ``asnumpy`` or ``np.asarray``."""
    if type(x) is _ndarray:
        return x
    if is_array(x) and not isinstance(x, _ndarray):
        get = getattr(x, "get", None)
        if get is not None:
            return get()
        xp = array_module(x)
        if hasattr(xp, "asnumpy"):
            return xp.asnumpy(x)
    return np.asarray(x)
