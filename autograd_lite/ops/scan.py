"""Products, cumulative ops, norms and sorting: prod cumsum cumprod cummax cummin norm sort
argsort topk kthvalue.

PyTorch's names, argument order and defaults (``dim``, ``keepdim``; NumPy's ``axis``/``keepdims``
are accepted too). Ops that return positions (``cummax``, ``sort``, ``topk``, ...) return a named
tuple ``(values, indices)`` as ``torch.return_types``: the values are gathered from the input at
the int64 indices (so the gradient goes back to those positions), the indices record no graph.
Gradients follow PyTorch where the math has a choice: zeros in ``prod``/``cumprod`` (exact, no
division by 0), the zero subgradient of a norm at 0, ties of the inf-norm shared evenly.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import Any

import numpy as np

from autograd_lite import dtypes as _dtypes
from autograd_lite.array_module import arange, as_data, ascontiguousarray, ones, zeros
from autograd_lite.explain import Explain, formula
from autograd_lite.ops.reduction import _expand, normalize_axis
from autograd_lite.ops.shape import Stack
from autograd_lite.primitive import Op, arr, export, operand
from autograd_lite.tensor import Tensor
from autograd_lite.trace_hooks import kernel

_wrap = Tensor._wrap


def _dim1(op: str, x: Tensor, dim: Any, axis: Any = None, required: bool = True) -> int | None:
    """The one dim of a scan/sort: an int in range (None for a 0-d tensor, whose only dims are
    0 and -1, as PyTorch)."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: pass either dim= or axis=, not both")
        dim = axis
    if dim is None:
        if required:
            raise TypeError(f"{op}: missing the dim argument (an int)")
        dim = -1
    if isinstance(dim, Tensor) and dim._data.size == 1 and dim._data.dtype.kind in "iu":
        dim = dim.item()
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, (bool, np.bool_)):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}")
    axes = normalize_axis(op, int(dim), x._data.ndim)
    return None if axes is None else axes[0]


def _float_or_int64(x: Tensor) -> Tensor:
    """PyTorch's accumulation dtype of sum/prod/cumsum/cumprod: bool and integers -> int64."""
    if x._data.dtype.kind in "biu" and x._data.dtype != np.int64:
        return _wrap(x._data.astype(np.int64))
    return x


# ------------------------------------------------------------------- gather / scatter-add
def _fancy(index: np.ndarray, axis: int) -> tuple:
    """The advanced index that reads ``x[..., index, ...]`` along ``axis`` elementwise."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[axis] = index
    return tuple(idx)


def _take_fwd(x: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    return np.take_along_axis(x, index, axis)


def _scatter_add_fwd(g: np.ndarray, index: np.ndarray, axis: int, shape: tuple) -> np.ndarray:
    out = zeros(shape, g.dtype, g)
    np.add.at(out, _fancy(index, axis), g)  # repeated indices (cummax) accumulate
    return out


ScatterAddAlong = Op("ScatterAddAlong", _scatter_add_fwd,
                     lambda h, out, g, index, axis, shape:
                     TakeAlong.in_rule(h, index=index, axis=axis), reads=(),
                     jvp="linear",
                     explain=Explain(formula("{g} read at the scattered indices (axis {axis})")))
TakeAlong = Op("TakeAlong", _take_fwd,
               lambda g, out, x, index, axis:
               ScatterAddAlong.in_rule(g, index=index, axis=axis, shape=x.shape), reads=(),
               jvp="linear",
               explain=Explain(formula("{g} added back at the taken indices along axis {axis}, "
                                       "0 elsewhere")))


def _taken(x: Tensor, index: np.ndarray, axis: int) -> Tensor:
    return TakeAlong.apply((x,), {"index": index, "axis": axis})


# ----------------------------------------------------------------------------- cumsum
def _acc(dt: np.dtype) -> np.dtype:
    """PyTorch's accumulation dtype of cumsum/cumprod on the CPU: double for float16/32 (each
    result rounded once to the input's dtype)."""
    if dt.kind == "f" and dt.itemsize < 8:
        return np.dtype(np.float64)
    if dt == np.complex64:
        return np.dtype(np.complex128)
    return dt


def _cumsum_fwd(x: np.ndarray, axis: int, reverse: bool = False) -> np.ndarray:
    acc = _acc(x.dtype)
    if reverse:
        out = np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=acc), axis)
    else:
        out = np.cumsum(x, axis=axis, dtype=acc)
    return out if acc == x.dtype else out.astype(x.dtype)


Cumsum = Op("Cumsum", _cumsum_fwd,
            lambda g, out, x, axis, reverse=False:
            Cumsum.in_rule(g, axis=axis, reverse=not reverse), reads=(),
            jvp="linear",
            explain=Explain(formula("{g} summed from the end along axis {axis} (the reversed "
                                    "cumulative sum)")))


# ----------------------------------------------------------------------------- cumprod, prod
def _cumprod_fwd(x: np.ndarray, axis: int) -> np.ndarray:
    acc = _acc(x.dtype)
    out = np.cumprod(x, axis=axis, dtype=acc)
    return out if acc == x.dtype else out.astype(x.dtype)


def _cumprod_vjp(g: Any, out: Any, x: Any, axis: int) -> Any:
    """d/dx_m of sum_j g_j out_j = sum_{j>=m} g_j prod_{i<=j, i!=m} x_i, without dividing by 0.

    Along each slice, with z the position of the first zero (PyTorch's case analysis):
    before z the usual reversed-cumsum(g out) / x; at z, sum_{j>=z} g_j * cumprod(x with x_z
    set to 1)_j; after z the value is 0 but written as x_z * (...) so that its derivative in
    x_z is right; likewise at the second zero (later zeros leave two zero factors), so second
    derivatives are exact for any number of zeros."""
    xa = arr(x)
    dt = xa.dtype
    zero = xa == 0
    cz = np.cumsum(zero, axis=axis)
    before = (cz == 0).astype(dt)
    at = (zero & (cz == 1)).astype(dt)
    after = ((cz >= 1) & (at == 0)).astype(dt)
    part1 = Cumsum.in_rule(g * out, axis=axis, reverse=True) / (x * before + (1 - before)) \
        * before
    if not zero.any():
        return part1
    x1 = x * (1 - at) + at  # the first zero of each slice replaced by (a constant) 1
    c1 = Cumprod.in_rule(x1, axis=axis)
    from_z = 1 - before
    part2 = (g * c1 * from_z).sum(axis, keepdims=True) * at
    ok = after * (arr(x1) != 0)
    xz = (x * at).sum(axis, keepdims=True)
    part3 = xz * Cumsum.in_rule(g * c1, axis=axis, reverse=True) / (x1 * ok + (1 - ok)) * ok
    at2 = (zero & (cz == 2)).astype(dt)
    if not at2.any():
        return part1 + part2 + part3
    # at the second zero: x_z * sum_{j>=z2} g_j prod_(i<=j, i not z, z2) x_i (value 0, the
    # derivative in x_z right); later zeros keep two zero factors: all derivatives 0
    c2 = Cumprod.in_rule(x1 * (1 - at2) + at2, axis=axis)
    part4 = xz * (g * c2 * (cz >= 2).astype(dt)).sum(axis, keepdims=True) * at2
    return part1 + part2 + part3 + part4


def _cumprod_jvp(t: Any, out: Any, x: Any, axis: int) -> Any:
    # forward mode, without dividing by x (exact at zeros): the dual-number recurrence
    # d out_j = x_j d out_(j-1) + out_(j-1) t_j along the axis, one step per position
    axis = axis % x.ndim
    n = x.shape[axis]
    if n == 0:
        return t
    pre = (slice(None),) * axis
    d = t[pre + (0,)]
    parts = [d]
    for j in range(1, n):
        d = x[pre + (j,)] * d + out[pre + (j - 1,)] * t[pre + (j,)]
        parts.append(d)
    return Stack.in_rule(*parts, axis=axis)


Cumprod = Op("Cumprod", _cumprod_fwd, _cumprod_vjp, save_out=True, jvp=(_cumprod_jvp,),
             explain=Explain(formula("sum over j >= i of {g}_j * prod_(k <= j, k != i) {x}_k "
                                     "along axis {axis} (exact at zeros)")))


def _prod_fwd(x: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _prod_vjp(g: Any, out: Any, x: Any, axis: int, keepdims: bool) -> Any:
    # prod = the last element of cumprod: its VJP with the gradient at the last position only
    n = x.shape[axis]
    last = (arange(n, arr(x)) == n - 1).reshape([n if i == axis else 1
                                                 for i in range(len(x.shape))])
    gl = _expand(g, x, (axis,), keepdims) * last.astype(arr(x).dtype)
    return _cumprod_vjp(gl, Cumprod.in_rule(x, axis=axis), x, axis)


def _jvp_by_vjp(vjp: Any) -> Any:
    """Forward mode of a reduction from its VJP: each input element goes into one output, so
    the VJP of a gradient of ones is d out / d x elementwise, and the JVP sums it times the
    tangent over the reduced axes (exact where the VJP is: zeros, ties)."""
    def rule(t: Any, out: Any, x: Any, **kw: Any) -> Any:
        ones_ = ones(np.shape(arr(out)), arr(out).dtype, arr(out))
        return (vjp(ones_, out, x, **kw) * t).sum(kw["axis"], keepdims=kw["keepdims"])
    return rule


Prod = Op("Prod", _prod_fwd, _prod_vjp,
          jvp=(_jvp_by_vjp(_prod_vjp),),
          explain=Explain(formula("{g} * the product of the other elements of {x} along axis "
                                  "{axis} (exact at zeros)")))


@export(method=True)
def prod(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Product of the elements over ``dim`` (an int, a tuple of ints, or None for all; PyTorch
    takes one int), keeping size-1 dims with ``keepdim``. Bool and integer inputs give int64 (as
    PyTorch). The gradient is the product of the other elements, exact when the input holds
    zeros (one zero: only that position gets a gradient; two or more: all zero), and twice
    differentiable."""
    x = _float_or_int64(operand(x))
    if axis is not None:
        if dim is not None:
            raise TypeError("prod: pass either dim= or axis=, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    keepdim = bool(keepdim)
    axes = normalize_axis("prod", dim, x._data.ndim)
    nd = x._data.ndim
    if axes is None:  # all elements (a 0-d tensor: itself)
        out = Prod.apply((x.reshape(-1),), {"axis": 0, "keepdims": False})
        return out.reshape((1,) * nd) if keepdim else out
    if len(axes) == 1:
        return Prod.apply((x,), {"axis": axes[0], "keepdims": keepdim})
    # several dims: moved to the end and flattened into one (one product, in NumPy's order)
    rest = [i for i in range(nd) if i not in axes]
    xs = x.permute(*rest, *axes)
    flat = xs.reshape(tuple(xs.shape[:len(rest)]) + (math.prod(xs.shape[len(rest):]),))
    out = Prod.apply((flat,), {"axis": len(rest), "keepdims": False})
    if keepdim:
        out = out.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return out


def _scan(op: str, cls: Op, x: Any, dim: Any, axis: Any) -> Tensor:
    x = _float_or_int64(operand(x))
    a = _dim1(op, x, dim, axis)
    if a is None:
        return cls.apply((x.reshape(1),), {"axis": 0}).reshape(())
    return cls.apply((x,), {"axis": a})


@export(method=True)
def cumsum(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Cumulative sum along ``dim`` (required, as PyTorch): ``out[i] = x[0] + ... + x[i]``,
    same shape as ``x``. Bool and integer inputs give int64. The gradient is the reversed
    cumulative sum of the upstream gradient."""
    return _scan("cumsum", Cumsum, x, dim, axis)


@export(method=True)
def cumprod(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Cumulative product along ``dim`` (required): ``out[i] = x[0] * ... * x[i]``, same shape
    as ``x``. Bool and integer inputs give int64. The gradient is exact at zeros (as
    PyTorch's) and twice differentiable, zeros included."""
    return _scan("cumprod", Cumprod, x, dim, axis)


# ----------------------------------------------------------------------------- cummax, cummin
#: What ``cummax``/``cummin`` return, as ``torch.return_types.cummax``: the running extreme
#: (differentiable, gathered from the input) and the int64 index along the dim where it was
#: reached.
cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


@kernel
def _cum_index(x: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """PyTorch's cummax/cummin indices: a later equal value takes over (``>=``), a NaN takes
    over and then stays the running value."""
    xm = np.moveaxis(x, axis, -1)
    n = xm.shape[-1]
    idx = np.zeros(xm.shape, dtype=np.int64)
    if n == 0:
        return np.moveaxis(idx, -1, axis)
    cur = xm[..., 0].copy()
    best = np.zeros(xm.shape[:-1], dtype=np.int64)
    with np.errstate(invalid="ignore"):
        for j in range(1, n):
            v = xm[..., j]
            take = (v >= cur) if largest else (v <= cur)
            if xm.dtype.kind in "fc":
                take = take | np.isnan(v)
            best = np.where(take, j, best)
            cur = np.where(take, v, cur)
            idx[..., j] = best
    return np.moveaxis(idx, -1, axis)


def _cumext(op: str, x: Any, dim: Any, axis: Any) -> Any:
    x = operand(x)
    res = cummax_result if op == "cummax" else cummin_result
    a = _dim1(op, x, dim, axis)
    if a is not None and x._data.dtype.kind == "c" and x._data.size:
        raise TypeError(f"{op}: complex inputs have no order")
    if a is None:  # 0-d: itself, at index 0 (any dtype, as PyTorch)
        return res(_taken(x.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
                   _wrap(np.zeros((), np.int64)))
    index = _cum_index(x._data, a, op == "cummax")
    return res(_taken(x, index, a), _wrap(index))


@export(method=True)
def cummax(x: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """Running maximum along ``dim``: a named tuple ``(values, indices)`` as PyTorch's
    ``cummax`` (indices int64: where each running maximum was reached, a later equal value
    taking over; NaN propagates). The gradient flows to the input at those indices."""
    return _cumext("cummax", x, dim, axis)


@export(method=True)
def cummin(x: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """Running minimum along ``dim``: ``(values, indices)`` as PyTorch's ``cummin`` (see
    [`cummax`][autograd_lite.cummax])."""
    return _cumext("cummin", x, dim, axis)


# ----------------------------------------------------------------------------- norm
def _norm_fwd(x: np.ndarray, p: float, axis: Any, keepdims: bool) -> np.ndarray:
    a = np.abs(x.astype(np.float32) if x.dtype == np.float16 else x)
    if p == math.inf or p == -math.inf:
        if a.size == 0 and (axis is None or builtins.any(a.shape[i] == 0 for i in axis)):
            raise ValueError(f"norm: the {'' if p > 0 else '-'}inf norm of a zero-size tensor "
                             f"of shape {x.shape} is undefined")
        out = (np.max if p > 0 else np.min)(a, axis=axis, keepdims=keepdims)
    elif p == 0:
        out = np.sum(a != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
    elif p == 1:
        out = np.sum(a, axis=axis, keepdims=keepdims)
    elif p == 2:
        out = np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    else:
        out = np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)
    return as_data(out).astype(x.dtype, copy=False)


def _norm_vjp(g: Any, out: Any, x: Any, p: float, axis: Any, keepdims: bool) -> Any:
    sign = np.sign(arr(x))
    if p == 0:
        return _expand(g, x, axis, keepdims) * np.zeros_like(sign)
    if p == 1:
        return _expand(g, x, axis, keepdims) * sign
    o = arr(out)
    if p == math.inf or p == -math.inf:  # to the extreme |x|, shared evenly at ties
        ok = o if keepdims else o.reshape([1 if axis is None or i in axis else n
                                           for i, n in enumerate(x.shape)])
        hit = np.abs(arr(x)) == ok
        mask = hit / np.maximum(hit.sum(axis=axis, keepdims=True), 1)
        return _expand(g, x, axis, keepdims) * np.where(hit, sign * mask, 0).astype(sign.dtype)
    # 0 where the norm is 0 (PyTorch's zero subgradient); masks are constants
    zero = o == 0
    if p == 2:
        return _expand(g * ~zero / (out + zero), x, axis, keepdims) * x
    h = g * ~zero / (out + zero) ** (p - 1)
    return _expand(h, x, axis, keepdims) * (abs(x) ** (p - 1) * sign)


Norm = Op("Norm", _norm_fwd, _norm_vjp, save_out=True,
          jvp=(_jvp_by_vjp(_norm_vjp),),
          explain=Explain(formula("{g} * sign({x}) |{x}|^(p-1) / {out}^(p-1) for p = {p} "
                                  "(0 where the norm is 0; p = inf: at the largest |{x}|)")))


def _norm_p(p: Any) -> float:
    if isinstance(p, str):
        if p == "fro":
            return 2.0
        raise ValueError(f"norm: p={p!r} is not supported (vector norms only: 'fro' or a "
                         "number, inf, -inf)")
    if isinstance(p, Tensor) and p._data.size == 1:
        p = p.item()
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer,
                                                             np.floating)):
        raise TypeError(f"norm: p must be 'fro' or a number, got {p!r}")
    p = float(p)
    if math.isnan(p):
        raise ValueError("norm: p is NaN")
    return p


@export(method=True)
def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Vector norm over ``dim`` (an int, a tuple, or None for all elements), as ``torch.norm``
    / ``torch.linalg.vector_norm``: ``p="fro"`` (the default) and ``p=2`` give
    sqrt(sum |x|^2), a number p gives (sum |x|^p)^(1/p), ``p=0`` the count of nonzeros,
    ``inf``/``-inf`` the largest/smallest |x|. Integer inputs compute in the default dtype;
    complex inputs are refused. The gradient at a zero norm is 0 (PyTorch's subgradient, no
    NaN); for ``inf`` it goes to the largest |x| (shared evenly at ties). For PyTorch's
    ``p.data.norm()`` habit write ``p.norm()`` (under ``no_grad``) or ``p.detach().norm()``:
    ``p.data`` is the NumPy array (``np.linalg.norm(p.data)`` is the same number)."""
    x = operand(x)
    if x._data.dtype.kind == "c":
        raise TypeError("norm: complex inputs are not supported")
    x = x if x._data.dtype.kind == "f" else _dtypes.promote_float(x, "norm")
    q = _norm_p(p)
    if axis is not None:
        if dim is not None:
            raise TypeError("norm: pass either dim= or axis=, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    axes = normalize_axis("norm", dim, x._data.ndim)
    return Norm.apply((x,), {"p": q, "axis": axes, "keepdims": bool(keepdim)})


# ----------------------------------------------------------------------------- sort, topk
#: What ``sort``/``topk``/``kthvalue`` return, as ``torch.return_types``: the values
#: (differentiable, gathered from the input: the gradient goes back to the original positions)
#: and their int64 indices along the dim.
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])


def _order(op: str, x: Tensor, dim: Any) -> int | None:
    if x._data.dtype.kind == "c":
        raise TypeError(f"{op}: complex inputs have no order")
    return _dim1(op, x, dim)


def _sort_index(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable order along ``axis``; NaN is the largest value (last ascending, first
    descending), as PyTorch. Descending keeps equal values in their original order."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64)
    n = x.shape[axis]
    rev = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(rev, axis)).astype(np.int64)


def _sorted(op: str, x: Tensor, dim: Any, descending: bool) -> tuple:
    """(x as at least 1-d, axis, sort index); a 0-d x is taken as its one-element vector."""
    a = _order(op, x, dim)
    if a is None:
        x, a = x.reshape(1), 0
    return x, a, _sort_index(x._data, a, bool(descending))


@export(method=True)
def sort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """Sort along ``dim``: a named tuple ``(values, indices)`` as PyTorch's ``sort``
    (``values = x.gather(dim, indices)``; int64 indices, no graph). The sort is always stable
    (``stable`` is accepted for PyTorch's signature); NaN sorts as the largest value. The
    gradient of the values scatters back to the original positions."""
    x = operand(x)
    nd = x._data.ndim
    xs, a, index = _sorted("sort", x, dim, descending)
    v = _taken(xs, index, a)
    if nd == 0:
        return sort_result(v.reshape(()), _wrap(index.reshape(())))
    return sort_result(v, _wrap(index))


@export(method=True)
def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The int64 indices that sort ``x`` along ``dim`` (the ``indices`` of
    [`sort`][autograd_lite.sort]; stable, NaN last ascending); not differentiable."""
    x = operand(x)
    _, _, index = _sorted("argsort", x, dim, descending)
    return _wrap(index.reshape(()) if x._data.ndim == 0 else index)


def _k(op: str, k: Any, n: int, low: int) -> int:
    if isinstance(k, Tensor) and k._data.size == 1 and k._data.dtype.kind in "iu":
        k = k.item()
    if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)):
        raise TypeError(f"{op}: k must be an int, got {k!r}")
    if not low <= k <= n:
        raise ValueError(f"{op}: k = {k} is out of range for a dim of size {n} (expected "
                         f"{low} <= k <= {n})")
    return int(k)


def _no_bool(op: str, x: Tensor) -> Tensor:
    if x._data.dtype == np.bool_:
        raise TypeError(f"{op}: bool inputs are not supported (as PyTorch); cast them first")
    return x


def _sl(axis: int, ndim: int, s: slice) -> tuple:
    return tuple(s if i == axis else slice(None) for i in range(ndim))


@export(method=True)
def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (``largest=False``: smallest) values along ``dim``, as PyTorch's
    ``topk``: a named tuple ``(values, indices)``, values in sorted order (also with
    ``sorted=False``), NaN counted as the largest value. The gradient goes back to the
    original positions."""
    x = _no_bool("topk", operand(x))
    if x._data.dtype.kind == "c":
        raise TypeError("topk: complex inputs have no order")
    if x._data.ndim == 0:  # itself, at index 0, for k = 0 or 1 (as PyTorch)
        _dim1("topk", x, dim)
        _k("topk", k, 1, 0)
        return topk_result(_taken(x.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
                           _wrap(np.zeros((), np.int64)))
    nd = x._data.ndim
    xs, a, index = _sorted("topk", x, dim, largest)
    k = _k("topk", k, xs._data.shape[a], 0)
    index = ascontiguousarray(index[_sl(a, index.ndim, slice(0, k))])
    v = _taken(xs, index, a)
    if nd == 0:
        return topk_result(v.reshape(()), _wrap(index.reshape(())))
    return topk_result(v, _wrap(index))


@export(method=True)
def kthvalue(x: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest value (``k`` from 1) along ``dim``, as PyTorch's ``kthvalue``: a
    named tuple ``(values, indices)``, the dim removed unless ``keepdim``. The gradient goes
    to the element at the returned index."""
    x = operand(x)
    if x._data.ndim == 0:  # itself, at index 0 (any dtype, as PyTorch)
        _dim1("kthvalue", x, dim)
        _k("kthvalue", k, 1, 1)
        return kthvalue_result(_taken(x.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
                               _wrap(np.zeros((), np.int64)))
    x = _no_bool("kthvalue", x)
    nd = x._data.ndim
    xs, a, index = _sorted("kthvalue", x, dim, False)
    k = _k("kthvalue", k, xs._data.shape[a], 1)
    index = ascontiguousarray(index[_sl(a, index.ndim, slice(k - 1, k))])
    v = _taken(xs, index, a)
    if nd == 0:
        return kthvalue_result(v.reshape(()), _wrap(index.reshape(())))
    if not keepdim:
        return kthvalue_result(v.squeeze(a), _wrap(index.squeeze(a)))
    return kthvalue_result(v, _wrap(index))
