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
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype, copy=True)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except ValueError as e:  # ragged nested lists
            raise ValueError(f"tensor: cannot build a tensor from this "
                             f"{type(data).__name__}: {e}") from None
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        if arr.dtype == np.float64:
            arr = arr.astype(_default, copy=False)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biufc":  # strings, objects, datetimes: not numbers
        raise TypeError(f"tensor: cannot build a tensor from {type(data).__name__} of dtype "
                        f"{arr.dtype} (non-numeric values); "
                        "use numbers, bools, lists of them or numeric arrays")
    return arr
