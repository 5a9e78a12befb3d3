"""Shape and indexing ops: reshape view flatten squeeze unsqueeze transpose permute expand
broadcast_to getitem concatenate stack pad.

All are linear, so their VJPs are shape ops again (differentiable to any order).
"""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from autograd_lite.array_module import zeros
from autograd_lite.explain import Explain, formula
from autograd_lite.primitive import Op, export, operand
from autograd_lite.tensor import DimensionError, Tensor


def _shape_arg(shape: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:  # operator.index: 2.5 is refused, not truncated to 2
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be ints, got {shape!r}") from None


# ----------------------------------------------------------------------------- reshape family
# Forward mode, batched tangents (``jvp_batched``): the op's arguments for a tangent with a
# leading batch dim, so that a batch of B tangents takes one call (see forward_ad).
def _batched_reshape(t: Any, x: Any, shape: tuple) -> tuple:
    return t, {"shape": (t.shape[0],) + tuple(shape)}


def _batched_permute(t: Any, x: Any, axes: tuple) -> tuple:
    return t, {"axes": (0,) + tuple(a % x.ndim + 1 for a in axes)}


def _batched_broadcast(t: Any, x: Any, shape: tuple) -> tuple:
    t = t.reshape((t.shape[0],) + (1,) * (len(shape) - x.ndim) + tuple(x.shape))
    return t, {"shape": (t.shape[0],) + tuple(shape)}


def _batched_getitem(t: Any, x: Any, index: Any, basic: bool) -> tuple | None:
    if not basic:
        return None  # advanced indices may move dims: one call per tangent
    return t, {"index": (slice(None),) + (index if type(index) is tuple else (index,)),
               "basic": True}


Reshape = Op("Reshape", lambda x, shape: np.reshape(x, shape),
             lambda g, out, x, shape: g.reshape(x.shape), reads=(),
             jvp="linear", jvp_batched=_batched_reshape,
             explain=Explain(formula("{g} reshaped back to the shape of {x}")))


@export(method=True)
def reshape(x: Any, *shape: Any) -> Tensor:
    """Same data in a new shape (one entry may be -1)."""
    x = operand(x)
    shape = _shape_arg(shape)
    try:
        new = _infer(x._data.size, shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} elements) into shape {shape}") from None
    if new == x._data.shape:
        return x
    return Reshape.apply((x,), {"shape": new})


def _infer(size: int, shape: tuple) -> tuple:
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise ValueError
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError
    return shape


@export(method=True)
def view(x: Any, *shape: Any) -> Tensor:
    """``torch.Tensor.view``: [`reshape`][autograd_lite.reshape] (a NumPy reshape is a view when it
    can be)."""
    try:
        return reshape(x, *shape)
    except (ValueError, TypeError) as e:
        msg = str(e)
        if not msg.startswith("reshape:"):
            raise
        raise type(e)("view:" + msg[len("reshape:"):]) from None


@export(method=True)
def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` (inclusive) into one, as ``torch.flatten``."""
    x = operand(x)
    nd = x._data.ndim
    if nd == 0:
        return reshape(x, 1)
    s, e = start_dim % nd, end_dim % nd
    if not (-nd <= start_dim < nd and -nd <= end_dim < nd) or s > e:
        raise DimensionError(f"flatten: invalid dims start_dim={start_dim}, end_dim={end_dim} for "
                         f"a tensor of shape {x.shape}")
    shp = x._data.shape
    return reshape(x, shp[:s] + (int(np.prod(shp[s:e + 1], dtype=np.int64)),) + shp[e + 1:])


@export(method=True)
def squeeze(x: Any, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``/``dim``; others are kept as torch)."""
    x = operand(x)
    if dim is not None:
        axis = dim
    shp = x._data.shape
    if axis is None:
        return reshape(x, tuple(n for n in shp if n != 1))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = max(len(shp), 1)
    for a in axes:
        if not -nd <= a < nd:
            raise DimensionError(f"squeeze: axis {a} out of range for shape {shp}")
    axes = {a % nd for a in axes}
    return reshape(x, tuple(n for i, n in enumerate(shp) if not (i in axes and n == 1)))


@export(method=True)
def unsqueeze(x: Any, dim: int) -> Tensor:
    """Insert a size-1 axis at position ``dim`` (negative counts from the end of the result)."""
    x = operand(x)
    nd = x._data.ndim + 1
    if not -nd <= dim < nd:
        raise DimensionError(f"unsqueeze: dim {dim} out of range for a tensor of shape {x.shape}")
    d = dim % nd
    shp = x._data.shape
    return reshape(x, shp[:d] + (1,) + shp[d:])


# ----------------------------------------------------------------------------- axis order
Permute = Op("Permute", lambda x, axes: np.transpose(x, axes),
             lambda g, out, x, axes: Permute.in_rule(g, axes=tuple(np.argsort(axes))), reads=(),
             jvp="linear", jvp_batched=_batched_permute,
             explain=Explain(formula("{g} with the axes permuted back (undoing {axes})")))


@export(method=True)
def permute(x: Any, *dims: Any) -> Tensor:
    """Reorder all axes: result axis i is input axis ``dims[i]``."""
    x = operand(x)
    dims = _shape_arg(dims)
    nd = x._data.ndim
    if sorted(d % nd if nd else d for d in dims) != list(range(nd)) or \
            any(not -nd <= d < nd for d in dims):
        raise ValueError(f"permute: {dims} is not a permutation of the {nd} dims of a tensor "
                         f"of shape {x.shape}")
    dims = tuple(d % nd for d in dims)
    if dims == tuple(range(nd)):
        return x
    return Permute.apply((x,), {"axes": dims})


@export(method=("transpose", "swapaxes"))
def transpose(x: Any, *dims: int) -> Tensor:
    """``transpose(x, dim0, dim1)`` swaps two axes (PyTorch); with no dims, reverses all (.T)."""
    x = operand(x)
    nd = x._data.ndim
    if not dims:
        return permute(x, tuple(range(nd))[::-1])
    if len(dims) != 2:
        raise TypeError(f"transpose: expected two dims to swap, got {dims}")
    a, b = dims
    if not (-nd <= a < nd and -nd <= b < nd):
        raise DimensionError(f"transpose: dims {dims} out of range for a tensor of shape {x.shape}")
    p = list(range(nd))
    p[a % nd], p[b % nd] = p[b % nd], p[a % nd]
    return permute(x, tuple(p))


# ----------------------------------------------------------------------------- broadcasting
BroadcastTo = Op("BroadcastTo", lambda x, shape: np.broadcast_to(x, shape),
                 lambda g, out, x, shape: g, reads=(),  # the engine sums g to x's shape
                 jvp="linear", jvp_batched=_batched_broadcast,
                 explain=Explain(formula("{g} summed back to the shape of {x}",
                                         unbroadcast=True)))


@export(method=True)
def broadcast_to(x: Any, *shape: Any) -> Tensor:
    """A read-only broadcast view with ``shape`` (NumPy rules)."""
    x = operand(x)
    shape = _shape_arg(shape)
    if shape == x._data.shape:
        return x
    try:
        np.broadcast_shapes(x._data.shape, shape)
        if np.broadcast_shapes(x._data.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to "
                         f"{shape}") from None
    return BroadcastTo.apply((x,), {"shape": shape})


@export(method=True)
def expand(x: Any, *sizes: Any) -> Tensor:
    """PyTorch's ``expand``: broadcast to ``sizes``, where -1 keeps that dim."""
    x = operand(x)
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x._data.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a tensor with {x.ndim} dims "
                         f"(shape {x.shape})")
    shape = tuple(x._data.shape[i - lead] if s == -1 and i >= lead else s
                  for i, s in enumerate(sizes))
    if any(s < 0 for s in shape):
        raise ValueError(f"expand: -1 is not allowed for new leading dims: {sizes}")
    try:
        return broadcast_to(x, shape)
    except ValueError as e:
        raise ValueError(f"expand: {str(e).removeprefix('broadcast_to: ')}") from None


# ----------------------------------------------------------------------------- indexing
def normalize_index(index: Any) -> Any:
    """Turn Tensors inside an index into arrays (ints, slices, None, ..., arrays, masks)."""
    if isinstance(index, Tensor):
        return index._data
    if type(index) is tuple:
        for i in index:
            if isinstance(i, Tensor):
                return tuple(i._data if isinstance(i, Tensor) else i for i in index)
        return index
    if isinstance(index, list):
        a = np.asarray(index)
        # an empty list selects nothing (NumPy would make it a float array, not an index)
        return a.astype(np.intp) if a.size == 0 and a.dtype.kind == "f" else a
    return index


_BASIC = (int, slice, type(None), type(Ellipsis))


def _is_basic(index: Any) -> bool:
    """True when ``index`` selects every element at most once (no arrays, lists or masks)."""
    for i in (index if type(index) is tuple else (index,)):
        t = type(i)
        if t not in _BASIC and not (isinstance(i, np.integer) or t is bool):
            return False
        if t is bool:
            return False
    return True


def _getitem_fwd(x: np.ndarray, index: Any, basic: bool) -> np.ndarray:
    try:
        return x[index]
    except IndexError as e:
        # (IndexError, as NumPy and PyTorch; NumPy's reason says which rule was broken)
        raise IndexError(f"cannot index a tensor of shape {x.shape} with {index!r}: {e}"
                         ) from None
    except (ValueError, TypeError) as e:
        raise ValueError(f"invalid index {index!r} for a tensor of shape {x.shape}: "
                         f"{e}") from None


GetItem = Op("GetItem", _getitem_fwd,
             lambda g, out, x, index, basic: IndexAdd.in_rule(g, index=index, shape=x.shape,
                                                              basic=basic), reads=(),
             jvp="linear", jvp_batched=_batched_getitem,
             explain=Explain(formula("{g} put back where {x} was indexed (added where an "
                                     "index repeats), 0 elsewhere")))


def _index_add_fwd(g: np.ndarray, index: Any, shape: tuple, basic: bool) -> np.ndarray:
    z = zeros(shape, g.dtype, g)
    if basic:
        z[index] = g  # basic indices select each element at most once
    else:
        np.add.at(z, index, g)  # advanced indices may repeat: repeated entries add up
    return z


IndexAdd = Op("IndexAdd", _index_add_fwd,
              lambda g, out, src, index, shape, basic: g[index], reads=(),
              jvp="linear", explain=Explain(formula("{g} read at the indexed positions")))


@export(method="__getitem__")
def getitem(x: Any, index: Any) -> Tensor:
    """NumPy indexing: ints, slices, None, ..., int arrays/Tensors, bool masks.

    The gradient scatters back into the input's shape; repeated indices add up.
    """
    x = operand(x)
    idx = normalize_index(index)
    return GetItem.apply((x,), {"index": idx, "basic": _is_basic(idx)})


# ----------------------------------------------------------------------------- joining
def _split_vjp(g: Tensor, out: Tensor, inputs: Sequence[Tensor], needs: list, axis: int
               ) -> list:
    grads, start = [], 0
    for t, need in zip(inputs, needs):
        n = t.shape[axis]
        if need:
            sl = (slice(None),) * axis + (slice(start, start + n),)
            grads.append(g[sl])
        else:
            grads.append(None)
        start += n
    return grads


Concatenate = Op("Concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                 vjp_all=_split_vjp, reads=(), promote=True,
                 jvp="linear", explain=Explain(formula("the slice of {g} where {xi} was placed "
                                         "(axis {axis})")))


def _unstack_vjp(g: Tensor, out: Tensor, inputs: Sequence[Tensor], needs: list, axis: int
                 ) -> list:
    return [g[(slice(None),) * axis + (i,)] if need else None
            for i, need in enumerate(needs)]


Stack = Op("Stack", lambda *xs, axis: np.stack(xs, axis=axis), vjp_all=_unstack_vjp, reads=(),
           promote=True, jvp="linear",
           explain=Explain(formula("{g} at index {i} along axis {axis}")))


def _seq(op: str, tensors: Any) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    like = next((t._data for t in tensors if isinstance(t, Tensor)), None)
    return [operand(t, like) for t in tensors]


def _concatenate(op: str, tensors: Sequence[Any], axis: Any) -> Tensor:
    ts = _seq(op, tensors)
    nd = ts[0]._data.ndim
    if nd == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis (dim) must be an int, got {axis!r}")
    if not -nd <= axis < nd:
        raise DimensionError(f"{op}: axis {axis} out of range for {nd}-d tensors")
    axis = int(axis) % nd
    shapes = [t._data.shape for t in ts]
    if any(len(s) != nd or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]
           for s in shapes):
        raise ValueError(f"{op}: shapes {shapes} must match except along axis {axis}")
    return Concatenate.apply(ts, {"axis": axis})


@export
def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing ``axis``; all other dims must match."""
    return _concatenate("concatenate", tensors, dim if dim is not None else axis)


@export
def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """``torch.cat``: [`concatenate`][autograd_lite.concatenate] with PyTorch's argument name, which
    also skips 1-d empty tensors (shape ``(0,)``) among higher-dimensional ones, as PyTorch does."""
    if isinstance(tensors, (list, tuple)) and len(tensors) > 1:
        kept = [t for t in tensors if not (isinstance(t, Tensor) and t._data.shape == (0,))]
        if kept and len(kept) < len(tensors):
            tensors = kept
    return _concatenate("cat", tensors, axis if axis is not None else dim)


@export
def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new ``axis``."""
    ts = _seq("stack", tensors)
    axis = dim if dim is not None else axis
    shapes = [t._data.shape for t in ts]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: all tensors must have the same shape, got {shapes}")
    nd = len(shapes[0]) + 1
    if not -nd <= axis < nd:
        raise DimensionError(f"stack: axis {axis} out of range for {nd - 1}-d tensors")
    return Stack.apply(ts, {"axis": axis % nd})


# ----------------------------------------------------------------------------- padding
def _pad_width(pad_width: Any, nd: int, shape: tuple) -> tuple:
    try:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (nd, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape "
                         f"{shape} (NumPy's pad_width: int, (before, after), or one pair "
                         "per axis)") from None
    if (pw < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return tuple((int(a), int(b)) for a, b in pw)


Pad = Op("Pad", lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
         lambda g, out, x, pad_width, value:
         g[tuple(slice(a, a + n) for (a, _), n in zip(pad_width, x.shape))], reads=(),
         jvp=(lambda t, out, x, pad_width, value: Pad.in_rule(t, pad_width=pad_width, value=0),),
         explain=Explain(formula("{g} with the padding cut off")))


@export
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """``np.pad`` with NumPy's ``pad_width``; any NumPy mode ("constant", "edge", "reflect",
    "symmetric", "wrap", ...). Gradients of repeated (edge/reflected) entries add up."""
    x = operand(x)
    pw = _pad_width(pad_width, x._data.ndim, x._data.shape)
    if mode == "constant":
        v = constant_values
        if isinstance(v, Tensor) and v._data.size == 1:
            v = v.item()
        if x._data.dtype.kind in "iub" and isinstance(v, (float, np.floating)) \
                and not np.isfinite(v):
            raise ValueError(f"pad: constant_values={v} does not fit a tensor of dtype "
                             f"{x.data.dtype}; convert it to a floating dtype first")
        return Pad.apply((x,), {"pad_width": pw, "value": v})
    # Other modes copy input entries: pad an index map, then gather (its VJP scatter-adds).
    ids = np.arange(x._data.size).reshape(x._data.shape)
    try:
        src = np.pad(ids, pw, mode=mode)
    except (ValueError, TypeError) as e:
        raise ValueError(f"pad: mode {mode!r} failed for shape {x.shape} and pad_width "
                         f"{pw}: {e}") from None
    return getitem(reshape(x, -1), src)
