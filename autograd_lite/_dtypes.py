"""Dtype policy: default float dtype, conversion of user data, and dtype checks."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["set_default_dtype", "get_default_dtype", "promote_float", "promote_floats"]

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


# ----------------------------------------------------------------------------- float promotion
# Ops that produce floats (exp, sigmoid, erf, softmax, losses, ...) promote integer and bool
# inputs first, to the float type PyTorch gives: the default dtype. Computing on the raw
# integers is wrong twice over: ``-x`` and ``x - max(x)`` wrap around in unsigned and small
# integer types, and NumPy's float ufuncs answer uint8/int8/bool with float16 (exp(12) = inf).
def promote_float(x: Any, op: str = "?", complex_ok: bool = True) -> Any:
    """``x`` (an ndarray or a Tensor) ready for a float-producing op named ``op``.

    Floating ``x`` comes back as it is (float16 stays float16; one dtype check, no copy);
    integer, unsigned and bool ``x`` is cast to the default dtype (float32 unless changed), as
    PyTorch promotes them. Complex ``x`` passes when ``complex_ok`` (the op computes on it as
    NumPy does) and is refused otherwise; any other dtype is refused: ``TypeError`` naming
    ``op``.
    """
    k = x.dtype.kind
    if k == "f":
        return x
    if k in "biu":
        return x.astype(_default)
    if k == "c" and complex_ok:
        return x
    raise TypeError(f"{op}: not implemented for {x.dtype} tensors (it takes real floating, "
                    "integer or bool tensors; integers and bools compute in the default dtype)")


def promote_floats(a: Any, b: Any, op: str = "?", complex_ok: bool = True) -> tuple:
    """Two operands of a float-producing op (a loss, the two sides of ``linear``/``conv2d``)
    made floating: an integer or bool operand takes the other one's floating dtype, or the
    default dtype when neither is floating. Two floating operands come back as they are (the
    op then promotes them as NumPy does). Complex operands as in `promote_float`."""
    ka, kb = a.dtype.kind, b.dtype.kind
    if ka == "f" and kb == "f":
        return a, b
    if ka in "biu" and kb in "fc":  # cast straight to the other's dtype (int64 -> float64 exact)
        b = promote_float(b, op, complex_ok)
        return a.astype(b.dtype), b
    if kb in "biu" and ka in "fc":
        a = promote_float(a, op, complex_ok)
        return a, b.astype(a.dtype)
    return promote_float(a, op, complex_ok), promote_float(b, op, complex_ok)
