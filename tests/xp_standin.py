"""A NumPy-compatible stand-in for CuPy, on the CPU: the check of the array-module discipline.

``DuckArray`` wraps an ndarray and behaves as ``cupy.ndarray`` does where it matters to the
engine: NumPy calls on it dispatch (``__array_ufunc__``, ``__array_function__``) and give
``DuckArray`` back, reductions give 0-d arrays (not NumPy scalars), and it refuses to become or
mix with a NumPy array implicitly (``np.asarray(d)`` and ``d + ndarray`` raise TypeError, as on
a GPU). ``xp`` is its module (``xp.zeros``, ``xp.asarray`` from host data, ``xp.asnumpy``).
It is not an ndarray subclass, so every ``isinstance(x, np.ndarray)`` in the engine is tested.
"""
from __future__ import annotations

import types
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["DuckArray", "xp", "wrap", "unwrap"]


class MixedArrayError(TypeError):
    """A NumPy array met a DuckArray (CuPy: ``TypeError: Unsupported type numpy.ndarray``)."""


def _strict(x: Any) -> Any:
    """Arguments of a call on DuckArrays: DuckArrays unwrapped, NumPy arrays refused."""
    tx = type(x)
    if tx is DuckArray:
        return x.a
    if isinstance(x, np.ndarray):
        raise MixedArrayError(f"DuckArray: a NumPy array of shape {x.shape} passed where a "
                              "device array is needed (implicit host-to-device transfer)")
    if tx is tuple or tx is list:
        return tx(_strict(v) for v in x)
    if tx is dict:
        return {k: _strict(v) for k, v in x.items()}
    return x


def unwrap(x: Any) -> Any:
    """Like ``_strict`` but NumPy arrays allowed (explicit transfers, indices)."""
    tx = type(x)
    if tx is DuckArray:
        return x.a
    if tx is tuple or tx is list:
        return tx(unwrap(v) for v in x)
    if tx is dict:
        return {k: unwrap(v) for k, v in x.items()}
    return x


def wrap(x: Any) -> Any:
    """Results as DuckArrays: ndarrays and NumPy scalars (a 0-d array, as CuPy's reductions)."""
    if isinstance(x, np.ndarray):
        return DuckArray(x)
    if isinstance(x, np.generic):
        return DuckArray(np.asarray(x))
    if type(x) is tuple or type(x) is list:
        return type(x)(wrap(v) for v in x)
    return x


class DuckArray(NDArrayOperatorsMixin):
    """An ndarray on a pretend device (see the module docstring)."""

    __slots__ = ("a",)

    def __init__(self, a: np.ndarray) -> None:
        if not isinstance(a, np.ndarray):
            raise TypeError(f"DuckArray wraps an ndarray, got {type(a).__name__}")
        self.a = a

    # -- refusing implicit conversion, as CuPy -----------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("DuckArray: implicit conversion to a NumPy array is not allowed "
                        "(as CuPy); use .get() or xp.asnumpy()")

    def __iter__(self) -> Any:
        raise TypeError("DuckArray: iteration is not supported in the stand-in (slow on a "
                        "device); index instead")

    def get(self) -> np.ndarray:
        """A host copy (CuPy's ``ndarray.get``)."""
        return self.a.copy()

    def __array_namespace__(self, api_version: Any = None) -> Any:
        return xp

    # -- dispatch -------------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        kw = _strict(kwargs)
        if method == "at":  # ufunc.at(a, indices, b): the indices may be host arrays
            args = (_strict(inputs[0]), unwrap(inputs[1])) + tuple(_strict(inputs[2:]))
        else:
            args = _strict(inputs)
        res = getattr(ufunc, method)(*args, **kw)
        if method == "at":
            return None
        if out is not None:
            return out[0] if len(out) == 1 else out
        return wrap(res)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        for t in types_:
            if not issubclass(t, DuckArray):
                return NotImplemented
        return wrap(func(*_strict(args), **_strict(kwargs)))

    # -- attributes -----------------------------------------------------------------------------
    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)
    nbytes = property(lambda self: self.a.nbytes)
    itemsize = property(lambda self: self.a.itemsize)
    strides = property(lambda self: self.a.strides)
    T = property(lambda self: DuckArray(self.a.T))
    base = property(lambda self: None if self.a.base is None else DuckArray(self.a.base))
    flags = property(lambda self: self.a.flags)

    def __getattr__(self, name: str) -> Any:  # the ndarray methods (reshape, sum, astype, ...)
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self.a, name)
        if not callable(attr):
            return wrap(attr)

        def method(*args: Any, **kwargs: Any) -> Any:
            return wrap(attr(*_strict(args), **_strict(kwargs)))
        method.__name__ = name
        return method

    def item(self) -> Any:
        return self.a.item()

    def tolist(self) -> Any:
        return self.a.tolist()

    def __len__(self) -> int:
        return len(self.a)

    def __bool__(self) -> bool:
        return bool(self.a)

    def __float__(self) -> float:
        return float(self.a)

    def __int__(self) -> int:
        return int(self.a)

    def __index__(self) -> int:
        return self.a.__index__()

    def __getitem__(self, index: Any) -> Any:
        return wrap(self.a[unwrap(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        self.a[unwrap(index)] = _strict(value)

    def __repr__(self) -> str:
        return f"DuckArray({self.a!r})"


class _Module(types.ModuleType):
    """The stand-in's array module: NumPy's functions on DuckArrays (creation functions give
    DuckArrays; ``asarray``/``array`` also take host data, as ``cupy.asarray``)."""

    ndarray = DuckArray

    def __getattr__(self, name: str) -> Any:
        f = getattr(np, name)
        if isinstance(f, (type, np.dtype)) or not callable(f):
            if isinstance(f, types.ModuleType):
                raise AttributeError(f"the stand-in module has no submodule {name!r}")
            return f
        conv = unwrap if name in ("asarray", "array", "ascontiguousarray") else _strict

        def fn(*args: Any, **kwargs: Any) -> Any:
            return wrap(f(*conv(args), **conv(kwargs)))
        fn.__name__ = name
        return fn

    @staticmethod
    def asnumpy(x: Any) -> np.ndarray:
        return x.a.copy() if type(x) is DuckArray else np.asarray(x)


xp = _Module("duck_xp", "The stand-in array module (DuckArray).")
