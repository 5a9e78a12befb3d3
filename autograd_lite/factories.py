"""Tensor factories. Floating results use the default dtype unless ``dtype=`` is given;
random ones draw from the library generator (``ag.manual_seed``)."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite.random import get_generator
from autograd_lite.tensor import Tensor

__all__ = ["as_tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "eye",
           "arange", "linspace", "rand", "randn", "randint"]


def _shape(op: str, shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:  # operator.index: 2.5 is refused, not truncated to 2
        shape = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{op}: shape must be ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{op}: negative dimension in shape {shape}")
    return shape


def _dtype(dtype: Any, op: str = "tensor") -> np.dtype:
    if dtype is None:
        return _dtypes.get_default_dtype()
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (e.g. np.float32, 'float64', "
                        "np.int64)") from None


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    """A floating dtype for samples of a continuous distribution (ints would truncate them)."""
    d = _dtype(dtype, op)
    if d.kind != "f":
        raise TypeError(f"{op}: samples need a floating dtype, got {d} (use randint for "
                        "integers)")
    return d


def _count(op: str, name: str, n: Any) -> int:
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int, got {n!r}") from None


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """``data`` as a Tensor without copying when it can (``torch.as_tensor``): a Tensor comes
    back as it is, an ndarray is wrapped and shares its memory (both cast, as a copy, if
    ``dtype`` differs; the cast of a Tensor is differentiable); anything else (numbers,
    lists) is converted as by [`tensor`][autograd_lite.tensor]."""
    d = None if dtype is None else _dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if d is None or d == data.data.dtype else data.astype(d)
    if isinstance(data, np.ndarray):
        return Tensor._wrap(data if d is None or d == data.dtype else data.astype(d))
    return Tensor(data, dtype=d)


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with ``shape`` (tuple or varargs)."""
    return _make(np.zeros(_shape("zeros", shape), dtype=_dtype(dtype, "zeros")), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with ``shape`` (tuple or varargs)."""
    return _make(np.ones(_shape("ones", shape), dtype=_dtype(dtype, "ones")), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    seq = isinstance(shape, (tuple, list, np.ndarray))
    shape = _shape("full", tuple(shape) if seq else (shape,))
    return _make(np.full(shape, fill_value, dtype=_dtype(dtype, "full")), requires_grad)


def _like(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _like_dtype(dtype: Any, op: str) -> Any:
    return None if dtype is None else _dtype(dtype, op)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    return _make(np.zeros_like(_like(x), dtype=_like_dtype(dtype, "zeros_like")), requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``x``."""
    return _make(np.ones_like(_like(x), dtype=_like_dtype(dtype, "ones_like")), requires_grad)


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape (and dtype, unless given) of ``x``."""
    d = _like_dtype(dtype, "full_like")
    return _make(np.full_like(_like(x), fill_value, dtype=d), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m defaults to n)."""
    n = _count("eye", "n", n)
    m = None if m is None else _count("eye", "m", m)
    if n < 0 or (m is not None and m < 0):
        raise ValueError(f"eye: sizes must be non-negative, got n={n}, m={m}")
    return _make(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop) (int64 for int arguments, else default float)."""
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step) if v is not None)
        dtype = np.int64 if ints else _dtypes.get_default_dtype()
    return _make(np.arange(start, stop, step, dtype=dtype), requires_grad)


def linspace(start: float, stop: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to stop inclusive (as torch.linspace)."""
    steps = _count("linspace", "steps", steps)
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _make(np.linspace(start, stop, steps, dtype=_dtype(dtype, "linspace")), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) with ``shape`` (library generator)."""
    d = _float_dtype("rand", dtype)
    return _make(get_generator().random(_shape("rand", shape)).astype(d, copy=False),
                 requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with ``shape`` (library generator)."""
    d = _float_dtype("randn", dtype)
    return _make(get_generator().standard_normal(_shape("randn", shape)).astype(d, copy=False),
                 requires_grad)


def randint(low: int, high: Any = None, size: Any = None, *, dtype: Any = np.int64) -> Tensor:
    """Integers uniform on [low, high) with shape ``size`` (``randint(high, size)`` means
    low = 0, as PyTorch). ``dtype`` is keyword-only, as in PyTorch."""
    if size is None:
        if high is None:
            raise TypeError("randint: missing size: call randint(low, high, size) or "
                            "randint(high, size)")
        low, high, size = 0, low, high
    seq = isinstance(size, (tuple, list, np.ndarray))
    size = _shape("randint", tuple(size) if seq else (size,))
    low, high = _count("randint", "low", low), _count("randint", "high", high)
    d = _dtype(dtype, "randint")
    if d.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer type, got {d}")
    if low >= high and int(np.prod(size)) > 0:
        raise ValueError(f"randint: low ({low}) must be less than high ({high})")
    try:
        return _make(get_generator().integers(low, high, size=size, dtype=d), False)
    except ValueError as e:  # bounds outside what the dtype can hold
        raise ValueError(f"randint: [{low}, {high}) does not fit dtype {d}: {e}") from None
