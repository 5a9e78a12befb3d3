"""Whole-tensor truth tests with PyTorch's semantics: ``all`` and ``any`` (over everything
or along dims, bool results) and ``equal`` (same shape and values, a Python bool). None of
them is differentiable; none records a graph.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.ops.reduction import normalize_axis
from autograd_lite.primitive import export, operand
from autograd_lite.tensor import Tensor

_wrap = Tensor._wrap


# ----------------------------------------------------------------------------- all, any, equal
def _truth(name: str, fn: Any, input: Any, dim: Any, keepdim: bool) -> Tensor:
    x = operand(input)
    axes = None if dim is None else normalize_axis(name, dim, x.data.ndim)
    return _wrap(np.asarray(fn(x.data, axis=axes, keepdims=keepdim), dtype=bool))


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
