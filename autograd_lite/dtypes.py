"""Dtype policy: the default float dtype, conversion of user data, float promotion of integer
inputs, and PyTorch's type promotion between operands (``promote_types``, ``result_type``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.array_module import is_array

__all__ = ["set_default_dtype", "get_default_dtype", "promote_float", "promote_floats",
           "promote_types", "result_type", "scalar_dtype"]

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
    elif is_array(data):  # another module's array (CuPy): a copy there, in its dtype or dtype
        arr = data.astype(data.dtype if dtype is None else dtype, copy=True)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except ValueError as e:  # ragged nested lists
            raise ValueError(f"tensor: cannot build a tensor from this "
                             f"{type(data).__name__}: {e}") from None
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)) and not is_array(data):
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


# ----------------------------------------------------------------------------- type promotion
# PyTorch's rules (torch.result_type), where NumPy's would silently give other numbers:
# operands are ranked dimensioned tensors > 0-d tensors > Python/NumPy scalars, and a lower rank
# only decides the dtype when its category (bool < integer < float < complex) is higher. So a
# float32 tensor stays float32 next to an int tensor, a 0-d float64 tensor or np.float64(2);
# an int tensor next to a float scalar gives the default dtype. ndarrays count as tensors.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_COMPLEX_OF = {np.dtype(np.float16): np.dtype(np.complex64),  # (NumPy has no complex32)
               np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128),
               np.dtype(np.longdouble): np.dtype(np.clongdouble)}


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """``torch.promote_types``: within a category and between float and complex as NumPy;
    otherwise the higher category's dtype (int64 with float32 is float32, not float64)."""
    ka, kb = _CATEGORY.get(a.kind), _CATEGORY.get(b.kind)
    if ka is None or kb is None or ka == kb or ka + kb == 5:
        return np.promote_types(a, b)
    return a if ka > kb else b


def _combine(higher: np.dtype, lower: np.dtype) -> np.dtype:
    """The dtype of an operand group of higher rank (dimensioned tensors) next to one of lower
    rank (0-d tensors or scalars): PyTorch's ``combine_categories``."""
    kh, kl = _CATEGORY.get(higher.kind), _CATEGORY.get(lower.kind)
    if kh is None or kl is None:
        return np.promote_types(higher, lower)
    if kh == 3:
        return higher
    if kl == 3:  # a complex lower rank keeps a float higher rank's precision
        return _COMPLEX_OF.get(higher, lower) if kh == 2 else lower
    if kh == 2:
        return higher
    if kh == 0 or kl == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*arrays: np.ndarray) -> np.dtype:
    """``torch.result_type`` of ndarrays (0-d ones rank as 0-d tensors)."""
    dim = zero = None
    for a in arrays:
        d = a.dtype
        if a.ndim:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    if dim is None or zero is None:
        return dim if zero is None else zero
    return _combine(dim, zero)


def scalar_dtype(x: Any, like: np.dtype) -> np.dtype | None:
    """The dtype a Python or NumPy scalar takes next to an operand of dtype ``like`` (PyTorch's
    "wrapped number" rule), or None if ``x`` is not a scalar."""
    k = like.kind
    if isinstance(x, (bool, np.bool_)):
        return like  # the lowest category: never changes the other operand's dtype
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64) if k == "b" else like
    if isinstance(x, (float, np.floating)):
        return like if k in "fc" else _default
    if isinstance(x, (complex, np.complexfloating)):
        if k == "c":
            return like
        return _COMPLEX_OF.get(like, np.dtype(np.complex128)) if k == "f" else \
            _COMPLEX_OF[_default]
    return None
