"""Reductions and normalisers: sum mean max min amax amin var std logsumexp softmax log_softmax
argmax argmin.

Every reduction takes NumPy's ``axis``/``keepdims`` (PyTorch's ``dim``/``keepdim`` are accepted
aliases). Where PyTorch and NumPy differ, PyTorch's meaning wins: ``max``/``min`` over one dim
return ``(values, indices)``, ``var``/``std`` are unbiased by default with the positional order
``(dim, unbiased, keepdim)``. VJPs re-expand the gradient with ``broadcast_to`` (whose own VJP
sums), so they are differentiable again.
"""
from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite.array_module import as_data, is_foreign, zeros
from autograd_lite.explain import Explain, formula
from autograd_lite.ops.elementwise import Exp, maximum, minimum
from autograd_lite.primitive import Op, arr, export, operand
from autograd_lite.tensor import DimensionError, Tensor

_wrap = Tensor._wrap


def normalize_axis(op: str, axis: Any, ndim: int) -> tuple | None:
    """``None`` or a sorted tuple of non-negative axes (``ValueError`` naming ``op`` if out of
    range)."""
    if axis is None:
        return None
    if type(axis) is int and 0 < ndim and -ndim <= axis < ndim:  # the common case, fast
        return (axis % ndim,)
    if isinstance(axis, Tensor):
        axis = axis._data.tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise DimensionError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                                 f"dims (expected in [{-builtins.max(ndim, 1)}, "
                                 f"{builtins.max(ndim, 1) - 1}])")
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    if ndim == 0:
        return None  # a 0-d tensor reduces over "all" of its (no) axes, as PyTorch's dim=0
    return tuple(sorted(out))


def _args(op: str, x: Any, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> tuple:
    x = operand(x)
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: pass either axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return x, normalize_axis(op, axis, x._data.ndim), bool(keepdims)


def _keep_shape(shape: tuple, axis: tuple | None) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _spread_fwd(g: np.ndarray, shape: tuple) -> np.ndarray:
    if math.prod(shape) > 16384 or type(g) is not np.ndarray and is_foreign(g):
        # big (or another module's array): a read-only view, no memory traffic
        return np.broadcast_to(g, shape)
    # small: materialise (np.broadcast_to's Python wrapper costs more than the copy)
    out = np.empty(shape, dtype=np.result_type(g))
    out[...] = g
    return out


def _batched_spread(t: Any, x: Any, shape: tuple) -> tuple:  # (forward mode, batched)
    t = t.reshape((t.shape[0],) + (1,) * (len(shape) - x.ndim) + tuple(x.shape))
    return t, {"shape": (t.shape[0],) + tuple(shape)}


def _batched_reduce(t: Any, x: Any, axis: Any, keepdims: bool) -> tuple:
    return t, {"axis": tuple(range(1, t.ndim)) if axis is None else tuple(a + 1 for a in axis),
               "keepdims": keepdims}


# A reduced gradient copied back over the reduced axes (the engine sums it back in its VJP).
Spread = Op("BroadcastTo", _spread_fwd, lambda g, out, x, shape: g, reads=(),
            jvp="linear", jvp_batched=_batched_spread,
            explain=Explain(formula("{g} summed back to the shape of {x}", unbroadcast=True)))


def _expand(g: Any, x: Any, axis: tuple | None, keepdims: bool) -> Any:
    """Bring a reduced gradient back to ``x``'s shape (reshape to keepdims form, broadcast)."""
    if not keepdims:
        g = g.reshape(_keep_shape(x.shape, axis))
    return Spread.in_rule(g, shape=x.shape)


def _count(shape: tuple, axis: tuple | None) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod([shape[a] for a in axis])


# ----------------------------------------------------------------------------- sum, mean
def _sum_fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if x.dtype.kind == "f":  # the ufunc reduce directly: np.sum's Python wrapper costs more
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    if x.dtype.kind in "bu":  # as PyTorch: sums of bool and unsigned integers are int64
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
    return np.sum(x, axis=axis, keepdims=keepdims)


Sum = Op("Sum", _sum_fwd,
         lambda g, out, x, axis, keepdims: _expand(g, x, axis, keepdims), reads=(),
         jvp="linear", jvp_batched=_batched_reduce,
         explain=Explain(formula("{g} copied back over the summed axes (axis={axis}) of {x}"),
                         note=lambda out, x, axis, keepdims:
                         "each element of the input gets the gradient of the sum it went into"))


def _mean_fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if x.size == 0 and _count(x.shape, axis) == 0:
        raise ValueError(f"mean: cannot average over an empty axis of a tensor of shape "
                         f"{x.shape}")
    if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        return np.true_divide(np.add.reduce(x, axis=axis, keepdims=keepdims),
                              _count(x.shape, axis), dtype=x.dtype)
    if x.dtype.kind in "biu":  # as PyTorch's float promotion: the mean is in the default dtype
        return np.mean(x, axis=axis, keepdims=keepdims).astype(_dtypes.get_default_dtype())
    return np.mean(x, axis=axis, keepdims=keepdims)


Mean = Op("Mean", _mean_fwd,
          lambda g, out, x, axis, keepdims:
          _expand(g, x, axis, keepdims) * (1.0 / _count(x.shape, axis)), reads=(),
          jvp="linear", jvp_batched=_batched_reduce,
          explain=Explain(formula("{g} / n copied back over the averaged axes (axis={axis}) "
                                  "of {x}"),
                          note=lambda out, x, axis, keepdims:
                          f"n = {_count(x.shape, axis)}: each element counts 1/n in the mean"))


@export(method=True)
def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (an int, a tuple, or None for all); ``keepdims`` keeps size-1 axes."""
    x, axis, keepdims = _args("sum", x, axis, keepdims, dim, keepdim)
    return Sum.apply((x,), {"axis": axis, "keepdims": keepdims})


@export(method=True)
def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Arithmetic mean over ``axis`` (all elements by default)."""
    x, axis, keepdims = _args("mean", x, axis, keepdims, dim, keepdim)
    return Mean.apply((x,), {"axis": axis, "keepdims": keepdims})


# ----------------------------------------------------------------------------- max, min
def _extreme_vjp(g: Tensor, out: Tensor, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    # NOTE: ties share the gradient evenly (as PyTorch's amax/amin and max()/min() without a
    # dim), so it sums to g.
    o = arr(out) if keepdims else arr(out).reshape(_keep_shape(x.shape, axis))
    mask = (arr(x) == o).astype(arr(g).dtype)
    mask /= mask.sum(axis=axis, keepdims=True)
    return _expand(g, x, axis, keepdims) * mask


def _extreme_fwd(fn: Any, name: str):
    def fwd(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
        if x.size == 0 and _count(x.shape, axis) == 0:
            raise ValueError(f"{name}: cannot reduce a zero-size tensor of shape {x.shape}"
                             + ("" if axis is None else f" over the empty axis {axis}"))
        return fn(x, axis=axis, keepdims=keepdims)
    return fwd


def _extreme_jvp(ts: list, out: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    # forward mode: the tangent at the extreme entries (averaged over ties, as the VJP)
    o = arr(out) if keepdims else arr(out).reshape(_keep_shape(x.shape, axis))
    mask = (arr(x) == o).astype(arr(ts[0]).dtype)
    mask /= mask.sum(axis=axis, keepdims=True)
    return (ts[0] * mask).sum(axis, keepdims=keepdims)


_EXTREME = Explain(formula("{g} where {x} == {out} (shared evenly at ties), 0 elsewhere"))
Max = Op("Max", _extreme_fwd(np.max, "max"), _extreme_vjp, save_out=True, jvp=_extreme_jvp,
         explain=_EXTREME)
Min = Op("Min", _extreme_fwd(np.min, "min"), _extreme_vjp, save_out=True, jvp=_extreme_jvp,
         explain=_EXTREME)
Amax = Op("Amax", _extreme_fwd(np.max, "amax"), _extreme_vjp, save_out=True, jvp=_extreme_jvp,
          explain=_EXTREME)
Amin = Op("Amin", _extreme_fwd(np.min, "amin"), _extreme_vjp, save_out=True, jvp=_extreme_jvp,
          explain=_EXTREME)


# max/min along one dim: the values are gathered at the indices (so the gradient goes to the
# element whose index is returned, as PyTorch's max(dim)); gather and scatter are each
# other's VJP, so this is differentiable to any order.
def _gather_fwd(x: np.ndarray, index: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    v = np.take_along_axis(x, index, axis)
    return v if keepdims else v.squeeze(axis)


def _scatter_fwd(g: np.ndarray, index: np.ndarray, axis: int, keepdims: bool,
                 shape: tuple) -> np.ndarray:
    out = zeros(shape, g.dtype, g)
    np.put_along_axis(out, index, g if keepdims else np.expand_dims(g, axis), axis)
    return out


def _gather_vjp(g: Any, out: Any, x: Any, index: np.ndarray, axis: int, keepdims: bool) -> Any:
    return ScatterAlong.in_rule(g, index=index, axis=axis, keepdims=keepdims, shape=x.shape)


ScatterAlong = Op("ScatterAlong", _scatter_fwd,
                  lambda h, out, g, index, axis, keepdims, shape:
                  GatherAlong.in_rule(h, index=index, axis=axis, keepdims=keepdims), reads=(),
                  jvp="linear",
                  explain=Explain(formula("{g} read at the scattered indices (axis {axis})")))
_GATHERED = Explain(formula("{g} put back at the gathered indices along axis {axis}, "
                            "0 elsewhere"))
GatherAlong = Op("GatherAlong", _gather_fwd, _gather_vjp, reads=(), jvp="linear", explain=_GATHERED)
MaxDim = Op("Max", _gather_fwd, _gather_vjp, reads=(), jvp="linear", explain=_GATHERED)
MinDim = Op("Min", _gather_fwd, _gather_vjp, reads=(), jvp="linear", explain=_GATHERED)

#: What ``max``/``min`` over one dim return, as ``torch.return_types.max``: a named tuple of
#: the values (differentiable) and their int64 indices along the dim.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _one_dim(axis: Any) -> bool:
    return isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_))


def _extreme(op: str, x: Any, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> Any:
    if isinstance(axis, (Tensor, np.ndarray)) and dim is None:
        # max(a, b) with a tensor b: the elementwise maximum, as torch.max(input, other)
        if keepdims is not False or keepdim is not None:
            raise TypeError(f"{op}: keepdim makes no sense with a tensor `other` (the "
                            f"elementwise {op}imum)")
        return (maximum if op == "max" else minimum)(x, axis)
    x, axes, keepdims = _args(op, x, axis, keepdims, dim, keepdim)
    d = dim if dim is not None else axis
    if not _one_dim(d):  # no dim, or a tuple of them: the values only (as amax/amin)
        return (Max if op == "max" else Min).apply((x,), {"axis": axes, "keepdims": keepdims})
    if axes is None:  # a 0-d tensor along dim 0 or -1: itself, at index 0
        v = (MaxDim if op == "max" else MinDim).apply(
            (x.reshape(1),), {"index": zeros(1, np.int64, x._data), "axis": 0,
                              "keepdims": False})
        return (max_result if op == "max" else min_result)(v, _wrap(zeros((), np.int64, x._data)))
    a = axes[0]
    xd = x._data
    if xd.shape[a] == 0:
        raise ValueError(f"{op}: cannot reduce over the empty dim {a} of a tensor of shape "
                         f"{xd.shape}")
    index = (np.argmax if op == "max" else np.argmin)(xd, axis=a, keepdims=True).astype(
        np.int64, copy=False)
    v = (MaxDim if op == "max" else MinDim).apply(
        (x,), {"index": index, "axis": a, "keepdims": keepdims})
    return (max_result if op == "max" else min_result)(
        v, _wrap(index if keepdims else index.squeeze(a)))


@export(method=True)
def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Any:
    """Largest value, as PyTorch's ``max``: over one int ``axis``/``dim``, a named tuple
    ``(values, indices)`` (int64 indices; the gradient goes to the element at the returned
    index); with no dim or a tuple of dims, the values only (ties share the gradient, as
    [`amax`][autograd_lite.amax]). With a tensor as second argument, the elementwise
    [`maximum`][autograd_lite.maximum]."""
    return _extreme("max", x, axis, keepdims, dim, keepdim)


@export(method=True)
def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Any:
    """Smallest value, as PyTorch's ``min`` (see [`max`][autograd_lite.max]): ``(values, indices)``
    over one int dim, the values only otherwise."""
    return _extreme("min", x, axis, keepdims, dim, keepdim)


@export(method=True)
def amax(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Largest value over ``axis`` (an int, a tuple, or None for all), values only; ties share
    the gradient evenly (as ``torch.amax``)."""
    x, axis, keepdims = _args("amax", x, axis, keepdims, dim, keepdim)
    return Amax.apply((x,), {"axis": axis, "keepdims": keepdims})


@export(method=True)
def amin(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Smallest value over ``axis``, values only; ties share the gradient evenly."""
    x, axis, keepdims = _args("amin", x, axis, keepdims, dim, keepdim)
    return Amin.apply((x,), {"axis": axis, "keepdims": keepdims})


# ----------------------------------------------------------------------------- var, std (fused)
# PyTorch's defaults: the unbiased estimate (correction=1), positional order (dim, unbiased,
# keepdim). The data are shifted by their first element along the reduced axes before the
# mean is taken (the variance does not change): a constant input then gives exactly 0, whose
# std gradient is 0 as PyTorch's, and large offsets lose no precision.
def _first(x: Any, axis: tuple | None) -> Any:
    """The first element along the reduced axes (a constant ndarray), shaped to broadcast."""
    a = arr(x)
    if a.size == 0:
        return None
    if axis is None:
        return a.reshape(-1)[:1].reshape((1,) * a.ndim)
    return a[tuple(slice(0, 1) if i in axis else slice(None) for i in range(a.ndim))]


def _centered(x: Any, axis: tuple | None) -> Any:
    """x - mean(x) over ``axis`` (keepdims), shifted first; on Tensors or ndarrays."""
    k = _first(x, axis)
    xs = x if k is None else x - k
    return xs - xs.mean(axis, keepdims=True)


def _dof(shape: tuple, axis: tuple | None, correction: Any) -> Any:
    return builtins.max(0, _count(shape, axis) - correction)


def _moment(x: np.ndarray, axis: tuple | None, keepdims: bool, correction: Any,
            root: bool) -> np.ndarray:
    """The variance (or, with ``root``, the std) of ``x`` in x's (real) dtype."""
    dof = _dof(x.shape, axis, correction)
    with np.errstate(all="ignore"):  # n - correction <= 0: NaN/inf, as PyTorch
        d = _centered(x, axis)
        sq = d.real * d.real + d.imag * d.imag if d.dtype.kind == "c" else d * d
        s = np.add.reduce(sq, axis=axis, keepdims=keepdims)
        v = np.true_divide(s, dof, dtype=s.dtype)
        if s.dtype.itemsize < 8 and dof > 0 and not np.isfinite(v).all() \
                and np.isfinite(x).all():
            # the squares of finite data overflowed float32/16 (|x| ~ 1e19): accumulate in
            # float64, as PyTorch does, and round once at the end
            w = _moment(x.astype(np.promote_types(x.dtype, np.float64)), axis, keepdims,
                        correction, root)
            return w.astype(s.dtype)
        return np.sqrt(v) if root else v


def _var_fwd(x: np.ndarray, axis: tuple | None, keepdims: bool, correction: Any) -> np.ndarray:
    return _moment(x, axis, keepdims, correction, False)


def _var_vjp(g: Any, out: Any, x: Any, axis: tuple | None, keepdims: bool,
             correction: Any) -> Any:
    dof = _dof(x.shape, axis, correction)
    return _expand(g, x, axis, keepdims) * _centered(x, axis) * (2.0 / dof if dof else math.inf)


def _std_fwd(x: np.ndarray, axis: tuple | None, keepdims: bool, correction: Any) -> np.ndarray:
    return _moment(x, axis, keepdims, correction, True)


def _std_vjp(g: Any, out: Any, x: Any, axis: tuple | None, keepdims: bool,
             correction: Any) -> Any:
    # d std = d var / (2 std); where std == 0 (a constant input) the gradient is 0, as
    # PyTorch's (the subgradient at the kink of sqrt). Masks are constants, so the rule is
    # differentiable again wherever std > 0.
    zero = arr(out) == 0
    h = g * ~zero / (out + zero)
    dof = _dof(x.shape, axis, correction)
    return _expand(h, x, axis, keepdims) * _centered(x, axis) * (1.0 / dof if dof else math.inf)


def _var_jvp(t: Any, out: Any, x: Any, axis: tuple | None, keepdims: bool,
             correction: Any) -> Any:
    dof = _dof(x.shape, axis, correction)
    return (_centered(x, axis) * t).sum(axis, keepdims=keepdims) * (2.0 / dof if dof else math.inf)


def _std_jvp(t: Any, out: Any, x: Any, axis: tuple | None, keepdims: bool,
             correction: Any) -> Any:
    zero = arr(out) == 0  # 0 where std == 0, as the VJP
    return _var_jvp(t, out, x, axis, keepdims, correction) * ~zero / (2 * out + zero)


Var = Op("Var", _var_fwd, _var_vjp,
         jvp=(_var_jvp,), explain=Explain(formula("{g} * 2 ({x} - mean {x}) / (n - {correction})")))
Std = Op("Std", _std_fwd, _std_vjp, save_out=True,
         jvp=(_std_jvp,),
         explain=Explain(formula("{g} * ({x} - mean {x}) / ((n - {correction}) {out})")))

def _var_args(op: str, x: Any, dim: Any, unbiased: Any, keepdim: Any, correction: Any,
              ddof: Any, axis: Any, keepdims: Any) -> tuple:
    """Resolve PyTorch's and NumPy's spellings into (x, axes, keepdims, correction)."""
    if isinstance(dim, (bool, np.bool_)):  # var(True): PyTorch's var(unbiased) overload
        if unbiased is not None:
            raise TypeError(f"{op}: got unbiased twice ({dim!r} positionally, {unbiased!r})")
        dim, unbiased = None, dim
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: pass either dim= or axis=, not both")
        dim = axis
    if keepdims is not None:
        if keepdim is not None:
            raise TypeError(f"{op}: pass either keepdim= or keepdims=, not both")
        keepdim = keepdims
    given = [(k, v) for k, v in (("unbiased", unbiased), ("correction", correction),
                                 ("ddof", ddof)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: pass only one of unbiased=, correction= and ddof= (got "
                        f"{', '.join(k for k, _ in given)})")
    c: Any = 1
    if unbiased is not None:
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{op}: unbiased must be a bool (the second positional argument, as "
                            f"PyTorch's {op}(dim, unbiased, keepdim)), got {unbiased!r}; pass "
                            "correction= (or ddof=) for a number")
        c = int(bool(unbiased))
    elif given:
        c = given[0][1]
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, float, np.integer,
                                                                  np.floating)):
            raise TypeError(f"{op}: {given[0][0]} must be a number, got {c!r}")
    x = operand(x)
    k = x._data.dtype.kind
    if k in "biu":  # integers and bools in the default float dtype (PyTorch refuses them)
        x = _wrap(x._data.astype(_dtypes.get_default_dtype()))
    elif k == "c" and x.requires_grad:
        raise TypeError(f"{op}: gradients of complex inputs are not supported")
    axes = normalize_axis(op, dim, x._data.ndim)
    n = _count(x._data.shape, axes)
    if n - c <= 0:
        warnings.warn(f"{op}: degrees of freedom <= 0 ({n} elements per reduction, correction "
                      f"{c}): the result is NaN or inf, as PyTorch", RuntimeWarning, stacklevel=3)
    return x, axes, bool(keepdim), c


@export(method=True)
def var(x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
        correction: Any = None, ddof: Any = None, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Variance over ``dim`` (an int, a tuple, or None for all): sum(|x - mean|^2) / (N -
    correction), PyTorch's ``var``. The default is the unbiased estimate (``correction=1``);
    ``unbiased=False``, ``correction=0`` or NumPy's ``ddof=0`` give the biased one. Positional
    order as PyTorch: ``var(x, dim, unbiased, keepdim)``; ``axis=``/``keepdims=`` also work.
    Where N - correction <= 0 the result is NaN or inf (with a warning), as PyTorch. Complex
    inputs give a real variance; integer inputs compute in the default dtype."""
    x, axes, keepdims, c = _var_args("var", x, dim, unbiased, keepdim, correction, ddof, axis,
                                     keepdims)
    return Var.apply((x,), {"axis": axes, "keepdims": keepdims, "correction": c})


@export(method=True)
def std(x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
        correction: Any = None, ddof: Any = None, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Standard deviation, sqrt([`var`][autograd_lite.var]) with the same arguments and defaults
    (unbiased). The gradient is 0 where the std is 0 (a constant input), as PyTorch's."""
    x, axes, keepdims, c = _var_args("std", x, dim, unbiased, keepdim, correction, ddof, axis,
                                     keepdims)
    return Std.apply((x,), {"axis": axes, "keepdims": keepdims, "correction": c})


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
    return _expand(g, x, axis, keepdims) * Exp.in_rule(x - o)


def _lse_jvp(t: Any, out: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    o = out if keepdims else out.reshape(_keep_shape(x.shape, axis))
    return (t * Exp.in_rule(x - o)).sum(axis, keepdims=keepdims)


LogSumExp = Op("LogSumExp", _lse_fwd, _lse_vjp, save_out=True,
               jvp=(_lse_jvp,),
               explain=Explain(formula("{g} * exp({x} - {out}) (= {g} * softmax {x})")))


@export(method=True)
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed stably (shifted by the max)."""
    x, axis, keepdims = _args("logsumexp", x, axis, keepdims, dim, keepdim)
    x = _dtypes.promote_float(x, "logsumexp")
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


def _log_softmax_jvp(t: Any, out: Any, x: Any, axis: int) -> Any:
    return t - (Exp.in_rule(out) * t).sum(axis, keepdims=True)


# (softmax's Jacobian is symmetric: its VJP rule is its JVP rule, jvp="vjp")
Softmax = Op("Softmax", _softmax_fwd,
             lambda g, out, x, axis: out * (g - (g * out).sum(axis, keepdims=True)),
             save_out=True, reads=(),
             jvp="vjp", explain=Explain(formula("{out} ({g} - sum({g} {out}) along axis {axis})")))
LogSoftmax = Op("LogSoftmax", _log_softmax_fwd,
                lambda g, out, x, axis: g - Exp.in_rule(out) * g.sum(axis, keepdims=True),
                save_out=True, reads=(),
                jvp=(_log_softmax_jvp,),
                explain=Explain(formula("{g} - exp({out}) sum({g}) along axis {axis}")))


def _one_axis(op: str, axis: Any) -> int:
    """``axis`` as one int (TypeError naming ``op`` for a tuple, a float, a bool, ...)."""
    if isinstance(axis, Tensor) and axis._data.size == 1 and axis._data.dtype.kind in "iu":
        axis = axis.item()
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"{op}: axis (dim) must be one int here, got {axis!r}")
    return int(axis)


def _axis1(op: str, x: Tensor, axis: Any, dim: Any) -> int | None:
    """The one axis to normalise along; None for a 0-d tensor (its only "axis", 0 or -1)."""
    if dim is not None:
        axis = dim
    axes = normalize_axis(op, _one_axis(op, axis), x._data.ndim)
    return None if axes is None else axes[0]


@export(method=True)
def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (stable for logits of any magnitude)."""
    x = _dtypes.promote_float(operand(x), "softmax")
    a = _axis1("softmax", x, axis, dim)
    if a is None:  # a 0-d tensor is its own, one-element, axis (as PyTorch: softmax = 1)
        return Softmax.apply((x.reshape(1),), {"axis": 0}).reshape(())
    return Softmax.apply((x,), {"axis": a})


@export(method=True)
def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis``, computed stably."""
    x = _dtypes.promote_float(operand(x), "log_softmax")
    a = _axis1("log_softmax", x, axis, dim)
    if a is None:  # 0-d: log_softmax = 0
        return LogSoftmax.apply((x.reshape(1),), {"axis": 0}).reshape(())
    return LogSoftmax.apply((x,), {"axis": a})


# ----------------------------------------------------------------------------- argmax, argmin
def _arg(op: str, fn: Any, x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: Any) -> Tensor:
    x = operand(x)
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    if x._data.size == 0:
        raise ValueError(f"{op}: cannot take the {op} of a zero-size tensor of shape {x.shape}")
    if axis is not None:
        axes = normalize_axis(op, _one_axis(op, axis), x._data.ndim)
        axis = None if axes is None else axes[0]  # None: a 0-d tensor (dim 0 or -1 is all)
    return _wrap(as_data(fn(x._data, axis=axis, keepdims=keepdims)).astype(np.int64, copy=False))


@export(method=True)
def argmax(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the largest value (flat index when ``axis`` is None); not differentiable."""
    return _arg("argmax", np.argmax, x, axis, keepdims, dim, keepdim)


@export(method=True)
def argmin(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the smallest value (flat index when ``axis`` is None); not differentiable."""
    return _arg("argmin", np.argmin, x, axis, keepdims, dim, keepdim)
