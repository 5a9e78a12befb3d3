"""Dtype policy: default float dtype, conversion of user data, and dtype checks."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["set_default_dtype", "get_default_dtype"]

_default = np.dtype(np.float32)
_ALLOWED = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of Python floats, float lists, factories and layer parameters."""
    global _default
    try:
        d = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"set_default_dtype: not a dtype: {dtype!r}") from e
    if d not in _ALLOWED:
        raise TypeError(f"set_default_dtype: only floating dtypes (float16/32/64), got {d}")
    _default = d


def get_default_dtype() -> np.dtype:
    """The current default floating dtype (float32 unless changed)."""
    return _default


def to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert user data to an ndarray following the library's dtype policy (copies).

    NumPy arrays keep their dtype; Python floats (and lists containing floats) get the default
    dtype; Python ints give int64 and bools give bool.
    """
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ndarray):
        return np.array(data, dtype=dtype, copy=True)
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype)
    arr = np.array(data, dtype=dtype)
    if dtype is None:
        if arr.dtype == np.float64:
            arr = arr.astype(_default, copy=False)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
        elif arr.dtype == object:
            raise TypeError(f"tensor: cannot build a tensor from {type(data).__name__} "
                            "(ragged nested lists or non-numeric objects)")
    return arr


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype.kind == "c"
