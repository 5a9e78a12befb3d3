"""Reductions and normalisers: sum mean max min var std logsumexp softmax log_softmax argmax argmin.

Every reduction takes NumPy's ``axis``/``keepdims`` (PyTorch's ``dim``/``keepdim`` are accepted
aliases). VJPs re-expand the gradient with ``broadcast_to`` (whose own VJP sums), so they are
differentiable again.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from autograd_lite.node import Op, arr, as_tensor, dual
from autograd_lite.ops.elementwise import Exp
from autograd_lite.tensor import Tensor

__all__ = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax",
           "argmax", "argmin", "normalize_axis"]

_wrap = Tensor._wrap


def normalize_axis(op: str, axis: Any, ndim: int) -> tuple | None:
    """``None`` or a sorted tuple of non-negative axes (``ValueError`` naming ``op`` if out of
    range)."""
    if axis is None:
        return None
    if type(axis) is int and 0 < ndim and -ndim <= axis < ndim:  # the common case, fast
        return (axis % ndim,)
    if isinstance(axis, Tensor):
        axis = axis.data.tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dims")
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    if ndim == 0:
        return None  # a 0-d tensor reduces over "all" of its (no) axes, as PyTorch's dim=0
    return tuple(sorted(out))


def _args(op: str, x: Any, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> tuple:
    x = as_tensor(x)
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: pass either axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return x, normalize_axis(op, axis, x.data.ndim), bool(keepdims)


def _keep_shape(shape: tuple, axis: tuple | None) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


_exp = dual(np.exp, Exp)


def _expand(g: Any, x: Any, axis: tuple | None, keepdims: bool) -> Any:
    """Bring a reduced gradient back to ``x``'s shape (reshape to keepdims form, broadcast);
    on Tensors or ndarrays (rule vocabulary)."""
    if not keepdims:
        g = g.reshape(_keep_shape(x.shape, axis))
    if not isinstance(g, Tensor):
        if math.prod(x.shape) > 16384:  # big: a read-only view, no memory traffic
            return np.broadcast_to(g, x.shape)
        # small: materialise (np.broadcast_to's Python wrapper costs more than the copy)
        out = np.empty(x.shape, dtype=np.result_type(g))
        out[...] = g
        return out
    return g.broadcast_to(x.shape)


def _count(shape: tuple, axis: tuple | None) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod([shape[a] for a in axis])


# ----------------------------------------------------------------------------- sum, mean
def _sum_fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if x.dtype.kind == "f":  # the ufunc reduce directly: np.sum's Python wrapper costs more
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


Sum = Op("Sum", _sum_fwd,
         lambda g, out, x, axis, keepdims: _expand(g, x, axis, keepdims), reads=())


def _mean_fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if x.size == 0 and _count(x.shape, axis) == 0:
        raise ValueError(f"mean: cannot average over an empty axis of a tensor of shape "
                         f"{x.shape}")
    if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        return np.true_divide(np.add.reduce(x, axis=axis, keepdims=keepdims),
                              _count(x.shape, axis), dtype=x.dtype)
    return np.mean(x, axis=axis, keepdims=keepdims)


Mean = Op("Mean", _mean_fwd,
          lambda g, out, x, axis, keepdims:
          _expand(g, x, axis, keepdims) * (1.0 / _count(x.shape, axis)), reads=())


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (an int, a tuple, or None for all); ``keepdims`` keeps size-1 axes."""
    x, axis, keepdims = _args("sum", x, axis, keepdims, dim, keepdim)
    return Sum.apply((x,), {"axis": axis, "keepdims": keepdims})


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Arithmetic mean over ``axis`` (all elements by default)."""
    x, axis, keepdims = _args("mean", x, axis, keepdims, dim, keepdim)
    return Mean.apply((x,), {"axis": axis, "keepdims": keepdims})


# ----------------------------------------------------------------------------- max, min
def _extreme_vjp(g: Tensor, out: Tensor, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    # NOTE: ties share the gradient evenly (as PyTorch's amax/amin), so it sums to g.
    o = arr(out) if keepdims else arr(out).reshape(_keep_shape(x.shape, axis))
    mask = (arr(x) == o).astype(arr(g).dtype)
    mask /= mask.sum(axis=axis, keepdims=True)
    return _expand(g, x, axis, keepdims) * mask


def _extreme_fwd(fn: Any, name: str):
    def fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        if x.size == 0:
            raise ValueError(f"{name}: cannot reduce a zero-size tensor of shape {x.shape}")
        return fn(x, axis=axis, keepdims=keepdims)
    return fwd


Max = Op("Max", _extreme_fwd(np.max, "max"), _extreme_vjp, save_out=True)
Min = Op("Min", _extreme_fwd(np.min, "min"), _extreme_vjp, save_out=True)


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Largest value over ``axis`` (values only, as NumPy; ties share the gradient)."""
    x, axis, keepdims = _args("max", x, axis, keepdims, dim, keepdim)
    return Max.apply((x,), {"axis": axis, "keepdims": keepdims})


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Smallest value over ``axis`` (values only, as NumPy; ties share the gradient)."""
    x, axis, keepdims = _args("min", x, axis, keepdims, dim, keepdim)
    return Min.apply((x,), {"axis": axis, "keepdims": keepdims})


# ----------------------------------------------------------------------------- var, std (composed)
def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
        keepdim: bool | None = None, correction: int | None = None) -> Tensor:
    """Variance over ``axis``: sum((x - mean)^2) / (N - ddof). ``correction`` aliases ``ddof``."""
    x, axis, keepdims = _args("var", x, axis, keepdims, dim, keepdim)
    if correction is not None:
        ddof = correction
    n = _count(x.data.shape, axis)
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} elements "
                         f"(shape {x.shape}, axis {axis})")
    d = x - mean(x, axis, keepdims=True)
    return sum(d * d, axis, keepdims) * (1.0 / (n - ddof))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
        keepdim: bool | None = None, correction: int | None = None) -> Tensor:
    """Standard deviation: sqrt(var(x, axis, keepdims, ddof))."""
    return var(x, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction).sqrt()


# ------------------------------------------------------------------- logsumexp, softmax (fused)
def _lse_fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if x.size == 0:
        raise ValueError(f"logsumexp: cannot reduce a zero-size tensor of shape {x.shape}")
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    return out.reshape(() if axis is None else
                       tuple(n for i, n in enumerate(x.shape) if i not in axis))


def _lse_vjp(g: Tensor, out: Tensor, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    o = out if keepdims else out.reshape(_keep_shape(x.shape, axis))
    return _expand(g, x, axis, keepdims) * _exp(x - o)


LogSumExp = Op("LogSumExp", _lse_fwd, _lse_vjp, save_out=True)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed stably (shifted by the max)."""
    x, axis, keepdims = _args("logsumexp", x, axis, keepdims, dim, keepdim)
    return LogSumExp.apply((x,), {"axis": axis, "keepdims": keepdims})


def _softmax_fwd(x: np.ndarray, axis: int) -> np.ndarray:
    if x.size == 0:  # nothing to normalise (as PyTorch): an empty result of the float dtype
        return np.exp(x)
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    e /= np.add.reduce(e, axis=axis, keepdims=True)
    return e


def _log_softmax_fwd(x: np.ndarray, axis: int) -> np.ndarray:
    if x.size == 0:
        return np.exp(x)
    s = x - np.maximum.reduce(x, axis=axis, keepdims=True)
    return s - np.log(np.add.reduce(np.exp(s), axis=axis, keepdims=True))


Softmax = Op("Softmax", _softmax_fwd,
             lambda g, out, x, axis: out * (g - (g * out).sum(axis, keepdims=True)),
             save_out=True, reads=())
LogSoftmax = Op("LogSoftmax", _log_softmax_fwd,
                lambda g, out, x, axis: g - _exp(out) * g.sum(axis, keepdims=True),
                save_out=True, reads=())


def _axis1(op: str, x: Tensor, axis: Any, dim: Any) -> int | None:
    """The one axis to normalise along; None for a 0-d tensor (its only "axis", 0 or -1)."""
    if dim is not None:
        axis = dim
    axes = normalize_axis(op, int(axis), x.data.ndim)
    return None if axes is None else axes[0]


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (stable for logits of any magnitude)."""
    x = as_tensor(x)
    a = _axis1("softmax", x, axis, dim)
    if a is None:  # a 0-d tensor is its own, one-element, axis (as PyTorch: softmax = 1)
        return Softmax.apply((x.reshape(1),), {"axis": 0}).reshape(())
    return Softmax.apply((x,), {"axis": a})


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis``, computed stably."""
    x = as_tensor(x)
    a = _axis1("log_softmax", x, axis, dim)
    if a is None:  # 0-d: log_softmax = 0
        return LogSoftmax.apply((x.reshape(1),), {"axis": 0}).reshape(())
    return LogSoftmax.apply((x,), {"axis": a})


# ----------------------------------------------------------------------------- argmax, argmin
def _arg(op: str, fn: Any, x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: Any) -> Tensor:
    x = as_tensor(x)
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    if x.data.size == 0:
        raise ValueError(f"{op}: cannot take the {op} of a zero-size tensor of shape {x.shape}")
    if axis is not None:
        axes = normalize_axis(op, int(axis), x.data.ndim)
        axis = None if axes is None else axes[0]  # None: a 0-d tensor (dim 0 or -1 is all)
    return _wrap(np.asarray(fn(x.data, axis=axis, keepdims=keepdims), dtype=np.int64))


def argmax(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the largest value (flat index when ``axis`` is None); not differentiable."""
    return _arg("argmax", np.argmax, x, axis, keepdims, dim, keepdim)


def argmin(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the smallest value (flat index when ``axis`` is None); not differentiable."""
    return _arg("argmin", np.argmin, x, axis, keepdims, dim, keepdim)
