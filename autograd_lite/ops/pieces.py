"""Tensors cut into pieces or spread into grids, with PyTorch's semantics: ``chunk`` and
``split`` (tuples of slices along a dim), ``narrow``, ``select`` and ``unbind`` (a slice, an
index, every index along a dim) and ``meshgrid`` (coordinate grids). They are
composed of other ops (indexing, reshape, expand), so they are differentiable through those:
a gradient reaching a piece goes back to the elements it was cut from.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from autograd_lite.ops.reduction import normalize_axis
from autograd_lite.primitive import export, operand
from autograd_lite.tensor import Tensor


def _dim(op: str, x: Tensor, dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if x.ndim == 0:
        raise ValueError(f"{op}: cannot cut a 0-d tensor")
    return normalize_axis(op, dim, x.ndim)[0]


def _cut(x: Tensor, d: int, sizes: Sequence[int]) -> tuple:
    pieces, start = [], 0
    for n in sizes:
        idx = (slice(None),) * d + (slice(start, start + n),)
        pieces.append(x[idx])
        start += n
    return tuple(pieces)


@export(method=True)
def chunk(input: Any, chunks: int, dim: int = 0) -> tuple:
    """``torch.chunk``: ``input`` cut along ``dim`` into pieces of ceil(n / chunks) elements
    (the last one smaller; fewer than ``chunks`` pieces when n is not enough). A tuple of
    Tensors (views of ``input``'s values)."""
    x = operand(input)
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    d = _dim("chunk", x, dim)
    n = x.shape[d]
    size = math.ceil(n / chunks) if n else 0
    if size == 0:
        return _cut(x, d, [0] * chunks)
    return _cut(x, d, [min(size, n - s) for s in range(0, n, size)])


@export(method=True)
def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """``torch.split``: ``tensor`` cut along ``dim`` into pieces of ``split_size`` elements
    (the last one smaller), or of the given list of sizes, which must add up to the
    dimension's length. A tuple of Tensors."""
    x = operand(tensor)
    d = _dim("split", x, dim)
    n = x.shape[d]
    s = split_size_or_sections
    if isinstance(s, int) and not isinstance(s, bool):
        if s <= 0:
            raise ValueError(f"split: split_size must be a positive int, got {s}")
        return _cut(x, d, [min(s, n - a) for a in range(0, n, s)] or [0])
    sizes = [int(v) for v in s]
    if any(v < 0 for v in sizes) or sum(sizes) != n:
        raise ValueError(f"split: the sizes {sizes} must be non-negative and add up to {n} "
                         f"(the length of dim {d} of a tensor of shape {x.shape})")
    return _cut(x, d, sizes)


def _index(op: str, x: Tensor, d: int, i: Any) -> int:
    n = x.shape[d]
    if isinstance(i, bool) or not isinstance(i, int):
        raise TypeError(f"{op}: the index must be an int, got {i!r}")
    if not -n <= i < n:
        raise IndexError(f"{op}: index {i} is out of range for dim {d} of size {n}")
    return i % n


@export(method=True)
def narrow(input: Any, dim: int, start: int, length: int) -> Tensor:
    """``torch.narrow``: the ``length`` elements of ``dim`` from ``start`` (negative counts from
    the end), a view of ``input``'s values."""
    x = operand(input)
    d = _dim("narrow", x, dim)
    n = x.shape[d]
    s = start + n if isinstance(start, int) and start < 0 else start
    if isinstance(length, bool) or not isinstance(length, int) or length < 0 \
            or not 0 <= s <= n or s + length > n:
        raise IndexError(f"narrow: start {start} and length {length} are out of range for dim "
                         f"{d} of size {n}")
    return x[(slice(None),) * d + (slice(s, s + length),)]


@export(method=True)
def select(input: Any, dim: int, index: int) -> Tensor:
    """``torch.select``: ``input`` at ``index`` of ``dim`` (that dim removed)."""
    x = operand(input)
    d = _dim("select", x, dim)
    return x[(slice(None),) * d + (_index("select", x, d, index),)]


@export(method=True)
def unbind(input: Any, dim: int = 0) -> tuple:
    """``torch.unbind``: every slice of ``dim``, as a tuple (that dim removed from each)."""
    x = operand(input)
    d = _dim("unbind", x, dim)
    return tuple(x[(slice(None),) * d + (i,)] for i in range(x.shape[d]))


@export
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """``torch.meshgrid``: coordinate grids of 1-d (or 0-d) tensors, one output each, all of
    shape (len(t0), len(t1), ...) with ``indexing="ij"`` (the default, as PyTorch's current
    one), or with the first two lengths swapped for ``indexing="xy"`` (NumPy's default). The
    tensors may also be given as one list, and must share one dtype. The outputs are expanded
    views of the inputs."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    xs = [operand(t) for t in tensors]
    if not xs:
        raise ValueError("meshgrid: expects at least one tensor")
    if len({x.dtype for x in xs}) > 1:
        raise TypeError(f"meshgrid: expects all tensors to have the same dtype (as PyTorch), got "
                        f"{[str(x.dtype) for x in xs]}")
    if any(x.ndim > 1 for x in xs):
        raise ValueError(f"meshgrid: expects 0-d or 1-d tensors, got shapes "
                         f"{[x.shape for x in xs]}")
    sizes = [x.numel() for x in xs]
    order = list(range(len(xs)))
    if indexing == "xy" and len(xs) >= 2:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[order.index(p)] for p in range(len(xs)))
    out = []
    for k, x in enumerate(xs):
        at = [1] * len(xs)
        at[order[k]] = sizes[k]
        out.append(x.reshape(tuple(at)).expand(shape))
    return tuple(out)
