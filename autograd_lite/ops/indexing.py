"""Indexing ops with PyTorch's semantics: gather scatter scatter_add index_select masked_fill,
and the structural ops flip roll repeat tile tril triu diag diagonal trace.

All are linear in their tensor inputs; each VJP is another op of this family (or
[`getitem`][autograd_lite.getitem]'s scatter-add), so they are differentiable to any order.
Index tensors hold integers (negative indices are refused, as PyTorch's gather/scatter); an
index out of range raises ``IndexError`` naming the op and the index. The index arrays are
saved as they are (no copy), so an in-place change of an index between forward and backward
is caught by the engine's version check.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autograd_lite.explain import Explain, formula
from autograd_lite.ops.shape import IndexAdd, Pad, reshape
from autograd_lite.primitive import Op, export, operand
from autograd_lite.tensor import DimensionError, Tensor

_wrap = Tensor._wrap


# ----------------------------------------------------------------------------- argument checks
def _dim(op: str, dim: Any, ndim: int) -> int:
    """``dim`` as a non-negative int for a tensor with ``ndim`` dims (a 0-d tensor takes 0 and
    -1, as PyTorch)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise DimensionError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
                             f"(expected in [{-n}, {n - 1}])")
    return int(dim) % n


def _dims(op: str, dims: Any, ndim: int) -> tuple:
    """A tuple of distinct non-negative dims (an int or a sequence of ints)."""
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        dims = (dims,)
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"{op}: dims must be an int or a tuple of ints, got {dims!r}")
    out = tuple(_dim(op, d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: a dim appears more than once in {tuple(dims)}")
    return out


def _index_array(op: str, index: Any) -> np.ndarray:
    """The integer ndarray behind ``index`` (a Tensor's own array: not copied, so that the
    engine sees in-place changes of it)."""
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        if a.size == 0 and a.dtype.kind == "f" and not isinstance(index, (Tensor, np.ndarray)):
            return a.astype(np.int64)  # an empty list
        raise TypeError(f"{op}: index must be an integer tensor (int64), got dtype {a.dtype}")
    return a


def _check_range(op: str, index: np.ndarray, dim: int, size: int) -> None:
    if index.size == 0:
        return
    lo, hi = int(index.min()), int(index.max())
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise IndexError(f"{op}: index {bad} is out of bounds for dim {dim} with size {size}")


def _along(index: np.ndarray, dim: int) -> tuple:
    """The full advanced index that reads ``x[..., index[i, j, k], ...]`` at position
    ``(i, j, k)``: ``index`` itself for ``dim`` and broadcast ranges for the other dims."""
    nd = index.ndim
    return tuple(index if k == dim else np.arange(n).reshape((n,) + (1,) * (nd - 1 - k))
                 for k, n in enumerate(index.shape))


def _at_least_1d(x: Tensor) -> Tensor:
    return reshape(x, 1) if x._data.ndim == 0 else x


# ----------------------------------------------------------------------------- the kernels
def _take(x: np.ndarray, index: tuple, dim: int) -> np.ndarray:
    return x[index]


def _take_vjp(g: Any, out: Any, x: Any, index: tuple, dim: int) -> Any:
    # repeated indices add up (np.add.at); the VJP of that is reading g[index] again
    return IndexAdd.in_rule(g, index=index, shape=x.shape, basic=False)


Gather = Op("Gather", _take, _take_vjp, reads=(),
            jvp="linear",
            explain=Explain(formula("{g} added back at the gathered positions along dim {dim} "
                                    "(repeated indices add up), 0 elsewhere")))
IndexSelect = Op("IndexSelect", _take, _take_vjp, reads=(),
                 jvp="linear",
                 explain=Explain(formula("{g} added back at the selected positions along dim "
                                         "{dim} (repeated indices add up), 0 elsewhere")))


def _src_part(src: np.ndarray, index: tuple) -> np.ndarray:
    """The leading part of ``src`` that the index covers (src may be larger)."""
    if src.ndim == 0:
        return src
    shape = np.broadcast_shapes(*[i.shape for i in index])
    if src.shape == shape:
        return src
    return src[tuple(slice(0, n) for n in shape)]


def _scatter_fwd(x: np.ndarray, src: np.ndarray, index: tuple, dim: int) -> np.ndarray:
    out = x.copy()
    out[index] = _src_part(src, index)
    return out


def _scatter_add_fwd(x: np.ndarray, src: np.ndarray, index: tuple, dim: int) -> np.ndarray:
    out = x.copy()
    np.add.at(out, index, _src_part(src, index))
    return out


def _unwritten(shape: tuple, index: tuple) -> np.ndarray:
    """True where a scatter with ``index`` leaves the input as it was."""
    keep = np.ones(shape, dtype=bool)
    keep[index] = False
    return keep


def _src_vjp(g: Any, out: Any, x: Any, src: Any, index: tuple, dim: int) -> Any:
    gi = g[index]  # (a 0-d src, a broadcast value: the engine sums this to its shape)
    if src.ndim and gi.shape != src.shape:  # src larger than the index: 0 where unread
        gi = Pad.in_rule(gi, pad_width=tuple((0, s - n) for s, n in zip(src.shape, gi.shape)),
                         value=0)
    return gi


Scatter = Op("Scatter", _scatter_fwd,
             lambda g, out, x, src, index, dim: g * _unwritten(x.shape, index), _src_vjp,
             reads=(),
             jvp="linear", explain=Explain(formula("{g} with 0 where src was written (dim {dim})"),
                             formula("{g} read at the positions src was written to "
                                     "(dim {dim})")))
ScatterAdd = Op("ScatterAdd", _scatter_add_fwd, lambda g, out, x, src, index, dim: g,
                _src_vjp, reads=(),
                jvp="linear", explain=Explain(formula("{g} (the input is added to unchanged)"),
                                formula("{g} read at the positions src was added to "
                                        "(dim {dim})")))


# ----------------------------------------------------------------------------- gather, scatter
@export(method=True)
def gather(x: Any, dim: int, index: Any) -> Tensor:
    """``torch.gather``: ``out[i][j][k] = x[index[i][j][k]][j][k]`` for ``dim=0`` (and so on).

    ``index`` is an integer tensor with as many dims as ``x`` and no larger than ``x`` in
    the other dims; the result has ``index``'s shape. Gradient: ``g`` added back at the
    gathered positions (repeated indices add up)."""
    x = operand(x)
    idx = _index_array("gather", index)
    xd = x._data
    if max(xd.ndim, 1) != max(idx.ndim, 1):
        raise ValueError(f"gather: index must have as many dims as the input ({xd.ndim}), "
                         f"got index of shape {idx.shape}")
    d = _dim("gather", dim, xd.ndim)
    if xd.ndim == 0 or idx.ndim == 0:
        out = gather(_at_least_1d(x), d, idx.reshape(-1) if idx.ndim == 0 else idx)
        return reshape(out, idx.shape) if idx.ndim == 0 else out
    for k, (n, m) in enumerate(zip(idx.shape, xd.shape)):
        if k != d and n > m:
            raise ValueError(f"gather: index of shape {idx.shape} must be no larger than the "
                             f"input's shape {xd.shape} apart from dim {d}")
    _check_range("gather", idx, d, xd.shape[d])
    return Gather.apply((x,), {"index": _along(idx, d), "dim": d})


def _scatter(op: str, x: Any, dim: Any, index: Any, src: Any) -> Tensor:
    x = operand(x)
    xd = x._data
    idx = _index_array(op, index)
    if isinstance(src, (Tensor, np.ndarray, list, tuple)):
        s = operand(np.asarray(src) if isinstance(src, (list, tuple)) else src)
        if s._data.dtype != xd.dtype:
            raise TypeError(f"{op}: src must have the input's dtype ({xd.dtype}), got "
                            f"{s.data.dtype} (as PyTorch; cast one of them)")
        if max(s._data.ndim, 1) != max(idx.ndim, 1):
            raise ValueError(f"{op}: index (shape {idx.shape}) and src (shape {s.shape}) "
                             "must have the same number of dims")
    else:
        s = _value("scatter" if op == "scatter" else op, src, xd.dtype)
    if max(xd.ndim, 1) != max(idx.ndim, 1):
        raise ValueError(f"{op}: index must have as many dims as the input ({xd.ndim}), got "
                         f"index of shape {idx.shape}")
    d = _dim(op, dim, xd.ndim)
    if xd.ndim == 0 or idx.ndim == 0:
        out = _scatter(op, _at_least_1d(x), d, idx.reshape(-1) if idx.ndim == 0 else idx,
                       _at_least_1d(s) if s._data.ndim == 0 and isinstance(src, (Tensor,
                                                                                np.ndarray))
                       else s)
        return reshape(out, xd.shape) if xd.ndim == 0 else out
    tensor_src = s._data.ndim > 0
    for k, n in enumerate(idx.shape):
        if (k != d and n > xd.shape[k]) or (tensor_src and n > s._data.shape[k]):
            raise ValueError(f"{op}: index of shape {idx.shape} must be no larger than the "
                             f"input's shape {xd.shape} apart from dim {d}, and no larger than "
                             f"src's shape {s.shape}")
    _check_range(op, idx, d, xd.shape[d])
    kernel = Scatter if op == "scatter" else ScatterAdd
    return kernel.apply((x, s), {"index": _along(idx, d), "dim": d})


def _value(op: str, value: Any, dtype: np.dtype) -> Tensor:
    """A Python number (or 0-d array) as a 0-d constant of ``dtype`` (PyTorch casts the value
    to the input's dtype; a value that does not fit is refused)."""
    v = np.asarray(value)
    if v.ndim or v.dtype.kind not in "biufc":
        raise TypeError(f"{op}: value must be a number, got {value!r}")
    if v.dtype.kind == "c" and dtype.kind != "c":
        raise TypeError(f"{op}: a complex value cannot be written into a {dtype} tensor")
    if not _fits(v, dtype):
        raise ValueError(f"{op}: value {value!r} cannot be converted to {dtype} without "
                         "overflow")
    with np.errstate(all="ignore"):
        return _wrap(v.astype(dtype))


def _fits(v: np.ndarray, dtype: np.dtype) -> bool:
    """PyTorch's check for a number written into a tensor of ``dtype``: finite floats within
    the dtype's range for floating dtypes, in range for integer ones (an unsigned dtype also
    takes the negative ints of its signed twin, which wrap around, as PyTorch)."""
    if v.dtype.kind in "bc" or dtype.kind in "bc":
        return True
    if dtype.kind == "f":
        return not np.isfinite(v) or abs(float(v)) <= float(np.finfo(dtype).max) or \
            v.dtype.kind != "f"
    if v.dtype.kind == "f" and not np.isfinite(v):
        return False
    info = np.iinfo(dtype)
    lo = -(int(info.max) + 1) // 2 if dtype.kind == "u" and v.dtype.kind in "iu" else info.min
    return lo <= v <= info.max


@export(method=True)
def scatter(x: Any, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """``torch.scatter`` (out of place): a copy of ``x`` with ``out[index[i][j]][j] =
    src[i][j]`` for ``dim=0`` (and so on); ``src`` is a tensor of ``x``'s dtype (at least as
    large as ``index``) or a number (``value=``), written at every indexed position.

    Where an index repeats, one of the written values wins (as PyTorch, unspecified which).
    Gradient: ``g`` with zeros at the written positions for ``x``; ``g`` read at the written
    positions for ``src`` (PyTorch's rule)."""
    if (src is None) == (value is None):
        raise TypeError("scatter: pass exactly one of src (a tensor) and value (a number)")
    return _scatter("scatter", x, dim, index, src if value is None else value)


@export(method=True)
def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Tensor:
    """``torch.scatter_add`` (out of place): a copy of ``x`` with ``src[i][j]`` added at
    ``out[index[i][j]][j]`` for ``dim=0`` (and so on); repeated indices add up. ``src`` is a
    tensor of ``x``'s dtype at least as large as ``index`` (or a number, added at every indexed
    position). Gradient: ``g`` for ``x``, ``g`` read at the indexed positions for ``src``."""
    return _scatter("scatter_add", x, dim, index, src)


@export(method=True)
def index_select(x: Any, dim: int, index: Any) -> Tensor:
    """``torch.index_select``: the entries of ``x`` at ``index`` (a 1-d integer tensor) along
    ``dim``; that dim of the result has ``len(index)`` entries. Gradient: ``g`` added back at
    the selected positions (repeated indices add up)."""
    x = operand(x)
    idx = _index_array("index_select", index)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-d (a vector), got shape {idx.shape}")
    xd = x._data
    d = _dim("index_select", dim, xd.ndim)
    if xd.ndim == 0:
        if idx.size != 1:
            raise ValueError(f"index_select: a 0-d input takes one index, got {idx.size}")
        _check_range("index_select", idx, 0, 1)
        return reshape(index_select(reshape(x, 1), 0, idx.reshape(1)), ())
    idx = idx.reshape(-1) if idx.ndim == 0 else idx
    _check_range("index_select", idx, d, xd.shape[d])
    return IndexSelect.apply((x,), {"index": (slice(None),) * d + (idx,), "dim": d})


# ----------------------------------------------------------------------------- masked_fill
MaskedFill = Op("MaskedFill",
                lambda x, v, mask: np.where(mask, v.astype(x.dtype, copy=False), x),
                lambda g, out, x, v, mask: g * ~mask,
                lambda g, out, x, v, mask: g * mask, reads=(),
                jvp="linear",
                explain=Explain(formula("{g} where the mask is false, 0 where it is true"),
                                formula("{g} summed over the masked positions")))


@export(method=True)
def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """``torch.masked_fill`` (out of place): ``value`` where the bool ``mask`` is true, else
    ``x`` (``mask`` and ``x`` broadcast together). ``value`` is a number (cast to ``x``'s
    dtype) or a 0-d tensor (differentiable: its gradient is ``g`` summed over the masked
    positions). Gradient for ``x``: ``g`` where the mask is false, 0 where it is true."""
    x = operand(x)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got a "
                             f"tensor of shape {value.shape}")
        if value._data.dtype.kind == "c" and x._data.dtype.kind != "c":
            raise TypeError(f"masked_fill: a complex value cannot be written into a "
                            f"{x.dtype} tensor")
        # (a value of another dtype that requires grad: cast in the graph, so its gradient
        # comes back in its own dtype)
        v = value if value._data.dtype == x._data.dtype or not value.requires_grad else \
            value.astype(x._data.dtype)
    else:
        v = _value("masked_fill", value, x._data.dtype)
    try:
        np.broadcast_shapes(x._data.shape, m.shape)
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast with the "
                         f"input's shape {x.shape}") from None
    return MaskedFill.apply((x, v), {"mask": m})


# ----------------------------------------------------------------------------- flip, roll
Flip = Op("Flip", lambda x, dims: np.flip(x, dims).copy(),
          lambda g, out, x, dims: Flip.in_rule(g, dims=dims), reads=(),
          jvp="linear", explain=Explain(formula("{g} flipped back along dims {dims}")))


def _dims_args(op: str, args: tuple, dims: Any, axis: Any) -> Any:
    """``f(x, 0)``, ``f(x, 0, 1)``, ``f(x, (0, 1))``, ``f(x, dims=...)`` or ``axis=``."""
    given = [a for a in ((args if len(args) != 1 else args[0]) if args else None, dims, axis)
             if a is not None]
    if len(given) != 1:
        raise TypeError(f"{op}: pass the dims once (positionally, dims= or axis=)")
    return given[0]


@export(method=True)
def flip(x: Any, *args: Any, dims: Any = None, axis: Any = None) -> Tensor:
    """``torch.flip``: reverse the order of the entries along ``dims`` (an int or a tuple;
    ``x.flip(0, 1)`` as PyTorch's method; ``axis=`` as NumPy). A copy; the gradient is ``g``
    flipped back."""
    x = operand(x)
    d = _dims("flip", _dims_args("flip", args, dims, axis), x._data.ndim)
    return Flip.apply((x,), {"dims": d if x._data.ndim else ()})


def _neg(shifts: Any) -> Any:
    return tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts


Roll = Op("Roll", lambda x, shifts, dims: np.roll(x, shifts, dims),
          lambda g, out, x, shifts, dims: Roll.in_rule(g, shifts=_neg(shifts), dims=dims),
          reads=(), jvp="linear",
          explain=Explain(formula("{g} rolled back by -{shifts} along {dims}")))


def _ints(op: str, what: str, v: Any) -> tuple:
    vs = (v,) if isinstance(v, (int, np.integer)) else v
    if not isinstance(vs, (tuple, list)) or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in vs):
        raise TypeError(f"{op}: {what} must be an int or a tuple of ints, got {v!r}")
    return tuple(int(s) for s in vs)


@export(method=True)
def roll(x: Any, shifts: Any, dims: Any = None, *, axis: Any = None) -> Tensor:
    """``torch.roll``: shift the entries by ``shifts`` along ``dims`` (ints or tuples of the
    same length), wrapping around; with no dims, the flattened tensor is rolled and the shape
    restored. The gradient is ``g`` rolled back."""
    x = operand(x)
    if axis is not None:
        if dims is not None:
            raise TypeError("roll: pass either dims= or axis=, not both")
        dims = axis
    s = _ints("roll", "shifts", shifts)
    if dims is None:
        if len(s) != 1:
            raise ValueError(f"roll: shifts {shifts!r} and dims must align (one shift when no "
                             "dims are given)")
        return Roll.apply((x,), {"shifts": s[0], "dims": None})
    d = _ints("roll", "dims", dims)
    if len(d) != len(s):
        raise ValueError(f"roll: shifts {shifts!r} and dims {dims!r} must have the same length")
    if x._data.ndim == 0:
        raise DimensionError(f"roll: dims {dims!r} given for a 0-d tensor (roll it with no "
                             "dims)")
    d = tuple(_dim("roll", a, x._data.ndim) for a in d)
    return Roll.apply((x,), {"shifts": s, "dims": d})


# ----------------------------------------------------------------------------- repeat, tile
def _repeat_vjp(g: Any, out: Any, x: Any, sizes: tuple) -> Any:
    # g has shape (r0 * p0, r1 * p1, ...) for x padded to p = (1, ..., 1) + x.shape: each
    # copy's gradient is summed back onto x
    p = (1,) * (len(sizes) - len(x.shape)) + tuple(x.shape)
    split = tuple(v for r, n in zip(sizes, p) for v in (r, n))
    return g.reshape(split).sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(x.shape)


Repeat = Op("Repeat", lambda x, sizes: np.tile(x, sizes), _repeat_vjp, reads=(),
            jvp="linear", explain=Explain(formula("{g} summed over the {sizes} copies of {x}")))


@export(method=True)
def repeat(x: Any, *sizes: Any) -> Tensor:
    """``torch.Tensor.repeat``: the tensor repeated ``sizes[i]`` times along dim i (NumPy's
    ``tile``); there must be at least as many sizes as dims (extra ones add leading dims). The
    gradient sums ``g`` over the copies."""
    x = operand(x)
    try:
        s = tuple(operator.index(v) for v in (sizes[0] if len(sizes) == 1 and isinstance(
            sizes[0], (tuple, list)) else sizes))
    except TypeError:
        raise TypeError(f"repeat: sizes must be ints, got {sizes!r}") from None
    if len(s) < x._data.ndim:
        raise ValueError(f"repeat: {len(s)} sizes for a tensor with {x.data.ndim} dims (need "
                         "at least one per dim)")
    if any(v < 0 for v in s):
        raise ValueError(f"repeat: sizes must be non-negative, got {s}")
    return Repeat.apply((x,), {"sizes": s})


@export(method=True)
def tile(x: Any, *dims: Any) -> Tensor:
    """``torch.tile``: [`repeat`][autograd_lite.repeat], where fewer sizes than dims are padded
    with leading 1s (``x.tile(2)`` repeats the last dim)."""
    x = operand(x)
    d = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    try:
        d = tuple(operator.index(v) for v in d)
    except TypeError:
        raise TypeError(f"tile: dims must be ints, got {dims!r}") from None
    if any(v < 0 for v in d):
        raise ValueError(f"tile: dims must be non-negative, got {d}")
    return Repeat.apply((x,), {"sizes": (1,) * (x._data.ndim - len(d)) + d})


# ----------------------------------------------------------------------------- triangles
Tril = Op("Tril", lambda x, diagonal: np.tril(x, diagonal),
          lambda g, out, x, diagonal: Tril.in_rule(g, diagonal=diagonal), reads=(),
          jvp="linear", explain=Explain(formula("{g} on and below diagonal {diagonal}, 0 above")))
Triu = Op("Triu", lambda x, diagonal: np.triu(x, diagonal),
          lambda g, out, x, diagonal: Triu.in_rule(g, diagonal=diagonal), reads=(),
          jvp="linear", explain=Explain(formula("{g} on and above diagonal {diagonal}, 0 below")))


def _triangle(op: str, kernel: Op, x: Any, diagonal: Any) -> Tensor:
    x = operand(x)
    if x._data.ndim < 2:
        raise ValueError(f"{op}: the input must have at least 2 dims (a matrix or a stack of "
                         f"them), got shape {x.shape}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {diagonal!r}")
    return kernel.apply((x,), {"diagonal": int(diagonal)})


@export(method=True)
def tril(x: Any, diagonal: int = 0) -> Tensor:
    """``torch.tril``: the lower triangle of the last two dims (entries ``j - i <= diagonal``),
    0 elsewhere; the gradient is the lower triangle of ``g``."""
    return _triangle("tril", Tril, x, diagonal)


@export(method=True)
def triu(x: Any, diagonal: int = 0) -> Tensor:
    """``torch.triu``: the upper triangle of the last two dims (entries ``j - i >= diagonal``),
    0 elsewhere; the gradient is the upper triangle of ``g``."""
    return _triangle("triu", Triu, x, diagonal)


# ----------------------------------------------------------------------------- diagonals
def _diag_index(n: int, offset: int) -> tuple:
    i = np.arange(n)
    return i + max(-offset, 0), i + max(offset, 0)


def _diagonal_fwd(x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    return np.diagonal(x, offset, dim1, dim2).copy()


def _embed_fwd(g: np.ndarray, offset: int, dim1: int, dim2: int, shape: tuple) -> np.ndarray:
    z = np.zeros(shape, dtype=g.dtype)
    rows, cols = _diag_index(g.shape[-1], offset)
    np.moveaxis(z, (dim1, dim2), (-2, -1))[..., rows, cols] = g
    return z


Diagonal = Op("Diagonal", _diagonal_fwd,
              lambda g, out, x, offset, dim1, dim2:
              DiagonalEmbed.in_rule(g, offset=offset, dim1=dim1, dim2=dim2, shape=x.shape),
              reads=(), jvp="linear",
              explain=Explain(formula("{g} written on diagonal {offset} of dims "
                                                "({dim1}, {dim2}), 0 elsewhere")))
DiagonalEmbed = Op("DiagonalEmbed", _embed_fwd,
                   lambda h, out, g, offset, dim1, dim2, shape:
                   Diagonal.in_rule(h, offset=offset, dim1=dim1, dim2=dim2), reads=(),
                   jvp="linear",
                   explain=Explain(formula("diagonal {offset} of {g} (dims {dim1}, {dim2})")))


def _offset(op: str, offset: Any) -> int:
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"{op}: the diagonal offset must be an int, got {offset!r}")
    return int(offset)


@export(method=True)
def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``torch.diagonal``: the entries ``x[..., i, i + offset]`` of dims ``dim1``, ``dim2`` (a
    negative offset goes below the diagonal), as the last dim of the result (the other dims
    keep their order). The gradient writes ``g`` back on that diagonal."""
    x = operand(x)
    nd = x._data.ndim
    if nd < 2:
        raise DimensionError(f"diagonal: the input needs at least 2 dims, got shape {x.shape}")
    a, b = _dim("diagonal", dim1, nd), _dim("diagonal", dim2, nd)
    if a == b:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return Diagonal.apply((x,), {"offset": _offset("diagonal", offset), "dim1": a, "dim2": b})


@export(method=True)
def diag(x: Any, diagonal: int = 0) -> Tensor:
    """``torch.diag``: a 1-d ``x`` becomes the square matrix with ``x`` on diagonal
    ``diagonal`` (0 elsewhere); a 2-d ``x`` gives that diagonal as a 1-d tensor."""
    x = operand(x)
    k = _offset("diag", diagonal)
    if x._data.ndim == 1:
        n = x._data.shape[0] + abs(k)
        return DiagonalEmbed.apply((x,), {"offset": k, "dim1": 0, "dim2": 1, "shape": (n, n)})
    if x._data.ndim == 2:
        return Diagonal.apply((x,), {"offset": k, "dim1": 0, "dim2": 1})
    raise ValueError(f"diag: the input must be 1-d or 2-d, got shape {x.shape}")


@export(method=True)
def trace(x: Any) -> Tensor:
    """``torch.trace``: the sum of the main diagonal of a 2-d tensor (integer inputs give
    int64, as sums do; bool is refused, as PyTorch). The gradient is ``g`` on the diagonal."""
    x = operand(x)
    if x._data.ndim != 2:
        raise ValueError(f"trace: expected a matrix (2-d), got shape {x.shape}")
    if x._data.dtype == np.bool_:
        raise TypeError("trace: not implemented for bool tensors (as PyTorch)")
    return Trace.unary(x)


def _trace_fwd(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "iu":  # as PyTorch's (and NumPy's) sums: int64
        return np.trace(x, dtype=np.int64)
    return np.trace(x)


def _trace_vjp(g: Any, out: Any, x: Any) -> Any:
    ones = np.ones(min(x.shape), dtype=bool)  # g copied along the diagonal
    return DiagonalEmbed.in_rule(g * ones, offset=0, dim1=0, dim2=1, shape=x.shape)


Trace = Op("Trace", _trace_fwd, _trace_vjp, reads=(),
           jvp="linear", explain=Explain(formula("{g} on the main diagonal of {x}, 0 elsewhere")))


# ----------------------------------------------------------------------------- transpose
@export(method=True)
def t(x: Any) -> Tensor:
    """``torch.t``: the transpose of a tensor with at most 2 dims (0-d and 1-d tensors are
    returned as they are)."""
    x = operand(x)
    if x._data.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dims, got shape {x.shape} (use "
                         "transpose(x, dim0, dim1) or permute)")
    from autograd_lite.ops.shape import transpose
    return transpose(x, 0, 1) if x._data.ndim == 2 else x
