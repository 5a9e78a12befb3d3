"""Truth tests and counts with PyTorch's semantics: ``all`` and ``any`` (over everything or
along dims), ``equal`` (same shape and values, a Python bool), the elementwise ``isnan``
``isinf`` ``isfinite`` and ``logical_and/or/xor/not`` (bool results), ``count_nonzero``, and
the histograms ``histc`` and ``histogram``. None of them is differentiable; none records a
graph.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from autograd_lite.array_module import as_data
from autograd_lite.ops.reduction import normalize_axis
from autograd_lite.primitive import export, operand
from autograd_lite.tensor import Tensor

_wrap = Tensor._wrap


# ----------------------------------------------------------------------------- all, any, equal
def _truth(name: str, fn: Any, input: Any, dim: Any, keepdim: bool) -> Tensor:
    x = operand(input)
    axes = None if dim is None else normalize_axis(name, dim, x.data.ndim)
    return _wrap(as_data(fn(x.data, axis=axes, keepdims=keepdim)).astype(bool, copy=False))


@export(method=True)
def all(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Whether every element is nonzero (``torch.all``): over everything, or along ``dim``
    (an int or a tuple; ``axis=``/``keepdims=`` are NumPy's spellings). A bool tensor,
    never in a graph."""
    if axis is not None:
        dim = axis
    return _truth("all", np.all, input, dim, keepdim if keepdims is None else keepdims)


@export(method=True)
def any(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Whether some element is nonzero (``torch.any``): over everything, or along ``dim``
    (an int or a tuple; ``axis=``/``keepdims=`` are NumPy's spellings). A bool tensor,
    never in a graph."""
    if axis is not None:
        dim = axis
    return _truth("any", np.any, input, dim, keepdim if keepdims is None else keepdims)


@export(method=True)
def equal(input: Any, other: Any) -> bool:
    """``torch.equal``: True when both have the same shape and the same values (a Python
    bool; dtypes may differ, NaN is never equal)."""
    a, b = operand(input), operand(other)
    return a.data.shape == b.data.shape and bool(np.array_equal(a.data, b.data))


# ----------------------------------------------------------------------------- elementwise
def _elementwise(name: str, fn: Any) -> Any:
    def op(input: Any) -> Tensor:
        return _wrap(as_data(fn(operand(input).data)).astype(bool, copy=False))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"``torch.{name}``: elementwise, a bool tensor (integer and bool inputs are "
                  "finite, never NaN).")
    return op


isnan = export(method=True)(_elementwise("isnan", np.isnan))
isinf = export(method=True)(_elementwise("isinf", np.isinf))
isfinite = export(method=True)(_elementwise("isfinite", np.isfinite))


def _logical(name: str, fn: Any) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        a = operand(input)
        b = operand(other, a.data)
        try:
            return _wrap(as_data(fn(a.data != 0, b.data != 0)).astype(bool, copy=False))
        except ValueError:
            raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                             "together") from None
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"``torch.{name}``: elementwise on the truth of each element (nonzero), "
                  "broadcast; a bool tensor.")
    return op


logical_and = export(method=True)(_logical("logical_and", np.logical_and))
logical_or = export(method=True)(_logical("logical_or", np.logical_or))
logical_xor = export(method=True)(_logical("logical_xor", np.logical_xor))


@export(method=True)
def logical_not(input: Any) -> Tensor:
    """``torch.logical_not``: True where the element is zero; a bool tensor."""
    return _wrap(as_data(operand(input).data == 0))


@export(method=True)
def count_nonzero(input: Any, dim: Any = None) -> Tensor:
    """``torch.count_nonzero``: the number of nonzero elements, over everything or along
    ``dim`` (an int or a tuple); an int64 tensor."""
    x = operand(input)
    axes = None if dim is None else normalize_axis("count_nonzero", dim, x.data.ndim)
    return _wrap(as_data(np.count_nonzero(x.data, axis=axes)).astype(np.int64, copy=False))


# ----------------------------------------------------------------------------- histograms
def _float_data(name: str, input: Any) -> np.ndarray:
    x = operand(input).data
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating tensor, got dtype {x.dtype} (as "
                        "PyTorch; cast it first, e.g. x.float())")
    return x


@export(method=True)
def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """``torch.histc``: counts of ``input`` in ``bins`` equal bins over [min, max] (the data's
    range when min == max, widened by 1 each side if that is a single value); elements outside
    are ignored. The counts have ``input``'s (floating) dtype."""
    x = _float_data("histc", input)
    if not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min={min}, max={max}")
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"histc: range of [{lo}, {hi}] is not finite (give min and max)")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    data = x.ravel().astype(np.float64)
    try:
        counts, _ = np.histogram(data[np.isfinite(data)], bins=int(bins), range=(lo, hi))
    except ValueError as e:  # e.g. a range too narrow for float64 to split into the bins
        raise ValueError(f"histc: {e}") from None
    return _wrap(counts.astype(x.dtype))


Histogram = namedtuple("histogram", ["hist", "bin_edges"])


@export(method=True)
def histogram(input: Any, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Any = None, density: bool = False) -> tuple:
    """``torch.histogram``: ``(hist, bin_edges)`` as a named tuple, with ``bins`` an int
    (equal bins over ``range``, the data's range by default) or a 1-d tensor of increasing
    edges; ``weight`` weighs each element, ``density`` normalises to a density. Both results
    have ``input``'s (floating) dtype; the edges are computed in float64 (NumPy's
    ``histogram``), so a value within rounding of an inner float32 edge may fall in the
    neighbouring bin of PyTorch's."""
    x = _float_data("histogram", input)
    if isinstance(bins, Tensor):
        bins = bins.data.astype(np.float64)
    w = None if weight is None else operand(weight).data.astype(np.float64).ravel()
    if w is not None and w.size != x.size:
        raise ValueError(f"histogram: weight of shape {operand(weight).shape} does not match "
                         f"the input's {x.shape}")
    try:
        hist, edges = np.histogram(x.ravel().astype(np.float64), bins=bins, range=range,
                                   weights=w, density=density)
    except ValueError as e:
        raise ValueError(f"histogram: {e}") from None
    return Histogram(_wrap(hist.astype(x.dtype)), _wrap(edges.astype(x.dtype)))
