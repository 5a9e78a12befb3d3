"""Tensor factories. Floating results use the default dtype unless ``dtype=`` is given;
random ones draw from the library generator (``ag.manual_seed``)."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite.compat import check_device
from autograd_lite.random import resolve
from autograd_lite.tensor import Tensor
from autograd_lite.trace_hooks import kernel

__all__ = ["as_tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "eye",
           "arange", "linspace", "rand", "randn", "randint", "empty", "empty_like", "rand_like",
           "randn_like", "randint_like", "randperm", "normal", "multinomial"]


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


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a Tensor without copying when it can (``torch.as_tensor``): a Tensor comes
    back as it is, an ndarray is wrapped and shares its memory (both cast, as a copy, if
    ``dtype`` differs; the cast of a Tensor is differentiable); anything else (numbers,
    lists) is converted as by [`tensor`][autograd_lite.tensor]."""
    check_device(device, "as_tensor")
    d = None if dtype is None else _dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if d is None or d == data._data.dtype else data.astype(d)
    if isinstance(data, np.ndarray):
        return Tensor._wrap(data if d is None or d == data.dtype else data.astype(d))
    return Tensor(data, dtype=d)


def _make(data: np.ndarray, requires_grad: bool, device: Any = None, op: str = "tensor"
          ) -> Tensor:
    check_device(device, op)
    t = Tensor._wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


# Every factory takes ``device=`` (only "cpu": autograd_lite.compat.check_device); the random
# ones take ``generator=`` (an ag.Generator; the library's global generator when None).
def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    """A tensor of zeros with ``shape`` (tuple or varargs)."""
    return _make(np.zeros(_shape("zeros", shape), dtype=_dtype(dtype, "zeros")), requires_grad,
                 device, "zeros")


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor of ones with ``shape`` (tuple or varargs)."""
    return _make(np.ones(_shape("ones", shape), dtype=_dtype(dtype, "ones")), requires_grad,
                 device, "ones")


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    """``torch.empty``: a tensor of ``shape`` to be filled in; here its values are zeros
    (PyTorch leaves them uninitialised, so no correct program reads them)."""
    return _make(np.zeros(_shape("empty", shape), dtype=_dtype(dtype, "empty")), requires_grad,
                 device, "empty")


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``. Without ``dtype``, the dtype follows
    the fill value as in PyTorch: bool for a bool, int64 for an integer, the default dtype
    for a float, its complex counterpart for a complex number."""
    seq = isinstance(shape, (tuple, list, np.ndarray))
    shape = _shape("full", tuple(shape) if seq else (shape,))
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.data
    if dtype is None:
        kind = np.asarray(fill_value).dtype.kind
        default = _dtypes.get_default_dtype()
        dtype = {"b": np.bool_, "i": np.int64, "u": np.int64,
                 "c": np.result_type(default, np.complex64)}.get(kind, default)
    return _make(np.full(shape, fill_value, dtype=_dtype(dtype, "full")), requires_grad,
                 device, "full")


def _like(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _like_dtype(dtype: Any, op: str) -> Any:
    return None if dtype is None else _dtype(dtype, op)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    return _make(np.zeros_like(_like(x), dtype=_like_dtype(dtype, "zeros_like")), requires_grad,
                 device, "zeros_like")


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``x``."""
    return _make(np.ones_like(_like(x), dtype=_like_dtype(dtype, "ones_like")), requires_grad,
                 device, "ones_like")


def empty_like(x: Any, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """``torch.empty_like``: the shape (and dtype, unless given) of ``x``; values are zeros
    here (uninitialised in PyTorch)."""
    return _make(np.zeros_like(_like(x), dtype=_like_dtype(dtype, "empty_like")), requires_grad,
                 device, "empty_like")


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """``fill_value`` with the shape (and dtype, unless given) of ``x``."""
    d = _like_dtype(dtype, "full_like")
    return _make(np.full_like(_like(x), fill_value, dtype=d), requires_grad, device, "full_like")


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The n x m identity matrix (m defaults to n)."""
    n = _count("eye", "n", n)
    m = None if m is None else _count("eye", "m", m)
    if n < 0 or (m is not None and m < 0):
        raise ValueError(f"eye: sizes must be non-negative, got n={n}, m={m}")
    return _make(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad, device, "eye")


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop) (int64 for int arguments, else default float)."""
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step) if v is not None)
        dtype = np.int64 if ints else _dtypes.get_default_dtype()
    return _make(np.arange(start, stop, step, dtype=dtype), requires_grad, device, "arange")


def linspace(start: float, stop: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from start to stop inclusive (as torch.linspace)."""
    steps = _count("linspace", "steps", steps)
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _make(np.linspace(start, stop, steps, dtype=_dtype(dtype, "linspace")), requires_grad,
                 device, "linspace")


@kernel
def _sample(generator: Any, who: str, method: str, shape: tuple, dtype: Any) -> np.ndarray:
    """``shape`` samples of the generator's ``method`` in ``dtype`` (a ``@kernel``: a compiled
    function draws them again at every replay, from the same generator)."""
    return getattr(resolve(generator, who), method)(shape).astype(dtype, copy=False)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
         generator: Any = None) -> Tensor:
    """Uniform samples on [0, 1) with ``shape`` (from ``generator``, else the library's)."""
    d = _float_dtype("rand", dtype)
    return _make(_sample(generator, "rand", "random", _shape("rand", shape), d), requires_grad,
                 device, "rand")


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          generator: Any = None) -> Tensor:
    """Standard normal samples with ``shape`` (from ``generator``, else the library's)."""
    d = _float_dtype("randn", dtype)
    return _make(_sample(generator, "randn", "standard_normal", _shape("randn", shape), d),
                 requires_grad, device, "randn")


def randint(low: int, high: Any = None, size: Any = None, *, dtype: Any = np.int64,
            device: Any = None, generator: Any = None, requires_grad: bool = False) -> Tensor:
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
    rng = resolve(generator, "randint")
    try:
        return _make(rng.integers(low, high, size=size, dtype=d), requires_grad, device,
                     "randint")
    except ValueError as e:  # bounds outside what the dtype can hold
        raise ValueError(f"randint: [{low}, {high}) does not fit dtype {d}: {e}") from None


def _like_float(x: Any, dtype: Any, op: str) -> np.dtype:
    d = _like(x).dtype if dtype is None else _dtype(dtype, op)
    if d.kind != "f":
        raise TypeError(f"{op}: samples need a floating dtype, got {d}")
    return d


def rand_like(x: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
              generator: Any = None) -> Tensor:
    """``rand`` with the shape (and dtype, unless given) of ``x``."""
    d = _like_float(x, dtype, "rand_like")
    return _make(_sample(generator, "rand_like", "random", _like(x).shape, d), requires_grad,
                 device, "rand_like")


def randn_like(x: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
               generator: Any = None) -> Tensor:
    """``randn`` with the shape (and dtype, unless given) of ``x``."""
    d = _like_float(x, dtype, "randn_like")
    return _make(_sample(generator, "randn_like", "standard_normal", _like(x).shape, d),
                 requires_grad, device, "randn_like")


def randint_like(x: Any, low: int, high: Any = None, *, dtype: Any = None,
                 requires_grad: bool = False, device: Any = None, generator: Any = None
                 ) -> Tensor:
    """``randint(low, high)`` with the shape (and dtype, unless given) of ``x``;
    ``randint_like(x, high)`` means low = 0."""
    if high is None:
        low, high = 0, low
    d = _like(x).dtype if dtype is None else _dtype(dtype, "randint_like")
    rng = resolve(generator, "randint_like")
    vals = rng.integers(_count("randint_like", "low", low), _count("randint_like", "high", high),
                        size=_like(x).shape)
    return _make(vals.astype(d), requires_grad, device, "randint_like")


def randperm(n: int, *, dtype: Any = np.int64, requires_grad: bool = False, device: Any = None,
             generator: Any = None) -> Tensor:
    """A random permutation of ``0..n-1`` (int64 unless ``dtype``)."""
    n = _count("randperm", "n", n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    rng = resolve(generator, "randperm")
    return _make(rng.permutation(n).astype(_dtype(dtype, "randperm")), requires_grad, device,
                 "randperm")


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Normal samples ``mean + std * N(0, 1)`` (``torch.normal``): ``mean`` and ``std`` are
    numbers (then ``size`` is required) or tensors, broadcast together (then the result has
    their broadcast shape, and ``size`` must be None). Not differentiable in ``mean``/``std``
    (as PyTorch). The dtype is that of the tensor arguments, else the default dtype."""
    m, s = _like(mean), _like(std)
    tensors = [a for a in (mean, std) if isinstance(a, (Tensor, np.ndarray))]
    if tensors:
        if size is not None:
            raise TypeError("normal: give size only when mean and std are numbers")
        shape = np.broadcast_shapes(m.shape, s.shape)
        d = _dtypes.result_type(*[_like(a) for a in tensors]) if dtype is None else \
            _dtype(dtype, "normal")
    else:
        if size is None:
            raise TypeError("normal: size is required when mean and std are numbers")
        seq = isinstance(size, (tuple, list))
        shape = _shape("normal", tuple(size) if seq else (size,))
        d = _dtype(dtype, "normal")
    if d.kind != "f":
        raise TypeError(f"normal: samples need a floating dtype, got {d}")
    if np.any(s < 0):
        raise ValueError("normal: std must be >= 0")
    rng = resolve(generator, "normal")
    z = rng.standard_normal(shape)
    return _make((m + s * z).astype(d), requires_grad, device, "normal")


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None) -> Tensor:
    """``torch.multinomial``: ``num_samples`` category indices (int64) drawn from the
    non-negative weights ``input`` (1-d, or 2-d: one row of draws per row of weights),
    without replacement unless ``replacement``."""
    w = np.asarray(_like(input), dtype=np.float64)
    num_samples = _count("multinomial", "num_samples", num_samples)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-d or 2-d, got shape {w.shape}")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("multinomial: weights must be finite and non-negative")
    rows = w.reshape(1, -1) if w.ndim == 1 else w
    rng = resolve(generator, "multinomial")
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise ValueError("multinomial: a row of weights sums to zero")
        if not replacement and num_samples > np.count_nonzero(row):
            raise ValueError(f"multinomial: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(row)} non-zero weights")
        out[r] = rng.choice(row.size, size=num_samples, replace=replacement, p=row / total)
    return Tensor._wrap(out[0] if w.ndim == 1 else out)
