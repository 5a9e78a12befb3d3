"""The Tensor: an ndarray, an optional gradient, and the node that produced it.

This file holds data, metadata, conversion and graph control; it contains no calculus. The
ops' method forms (``t.exp()``, ``t.sum(1)``) and the operators (``+``, ``@``, ``<``, ``t[i]``)
are the op functions themselves, attached from the op list by ``autograd_lite.methods``; the
in-place updates (``t.add_(1)``, ``t[i] = v``, ``t.set_(a)``) come from
``autograd_lite.inplace``. Both are attached when ``autograd_lite.ops`` is imported (at the end
of this file).
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, Iterator

import numpy as np

from autograd_lite import dtypes as _dtypes

__all__ = ["Tensor", "tensor"]

class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is a Python scalar, nested
    list, NumPy array or Tensor (always copied). Python floats get the default dtype
    (float32 unless [`set_default_dtype`][autograd_lite.set_default_dtype]), ints int64, bools bool;
    arrays keep theirs. Only floating tensors may require grad.
    """

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_vcount", "_stamp", "_hooks",
                 "name", "__weakref__")
    # The values (an ndarray): the public ``t.data``, a property (compat.py adds its setter); the
    # library reads and writes the slot ``_data`` (ten times cheaper than a property).
    data = property(attrgetter("_data"))
    # NumPy defers to Tensor (``ndarray + Tensor`` calls ``Tensor.__radd__``); compat.py replaces
    # this with a handler that also lets ``arr op= tensor`` update ``arr`` in place.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data: np.ndarray = _dtypes.to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._vcount = 0
        self._stamp = 0
        self._hooks: list | None = None
        self.name: str | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False, grad_fn: Any = None) -> "Tensor":
        """Fast internal constructor: no copy, no checks (``data`` must be an ndarray)."""
        t = object.__new__(cls)
        t._data = data
        t.requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._vcount = 0
        t._stamp = 0
        t._hooks = None
        t.name = None
        return t

    # ------------------------------------------------------------------ versions
    @property
    def _version(self) -> int:
        """How many in-place changes this tensor has had (PyTorch's version counter); every
        in-place method adds one (``autograd_lite.versions.bump``)."""
        return self._vcount


    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> "Size":
        """The number of elements, an int as NumPy's ``ndarray.size``, that is also callable as
        PyTorch's ``size()``: ``t.size()`` is the shape, ``t.size(dim)`` one dimension."""
        d = self._data
        return Size(d.size, d.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-made tensors, parameters)."""
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        """All axes reversed (``permute(*reversed(range(ndim)))``)."""
        return _ops.transpose(self)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    __hash__ = object.__hash__  # identity (``==`` is elementwise), C-level for dict lookups

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared memory, like ``torch.Tensor.numpy``)."""
        return self._data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"scalar, got shape {self.data.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor with shape {self.data.shape} "
                             "is ambiguous; use .any() or .all()")
        return bool(self._data.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data.item())

    def numel(self) -> int:
        """The number of elements (``size``, PyTorch's name)."""
        return self._data.size

    def dim(self) -> int:
        """The number of dimensions (``ndim``, PyTorch's name)."""
        return self._data.ndim

    # ------------------------------------------------------------------ repr
    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self._data.dtype != _dtypes.get_default_dtype() and self._data.dtype != np.int64 \
                and self._data.dtype != np.bool_:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ graph control
    def requires_grad_(self, flag: bool = True) -> "Tensor":
        """Set ``requires_grad`` on a leaf (floating dtypes only); returns self."""
        # NOTE: complex dtypes are refused too: the VJP rules do not conjugate (PyTorch's
        # convention for complex inputs), so their gradients would be silently different.
        if flag and self._data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating tensors can require gradients, "
                            f"got dtype {self.data.dtype}; convert with .astype(np.float32)")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): only leaf tensors can stop requiring "
                               "grad; use .detach() for a non-leaf")
        self.requires_grad = bool(flag)
        return self

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor._wrap(self._data)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that does not "
                               "require grad")
        if self.grad_fn is not None:
            self.grad_fn.retain(self)

    def register_hook(self, fn: Callable[["Tensor"], "Tensor | None"]) -> Callable[[], None]:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a function that removes the hook."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does "
                               "not require grad")
        if self.grad_fn is not None:
            return self.grad_fn.add_hook(fn)
        if self._hooks is None:
            self._hooks = []
        hooks = self._hooks
        hooks.append(fn)
        return lambda: hooks.remove(fn) if fn in hooks else None

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` (same shape as self) is required unless self has one element. The graph's
        saved values are freed afterwards unless ``retain_graph`` (default ``create_graph``).
        ``create_graph=True`` records the backward pass so gradients can be differentiated.
        """
        from autograd_lite.backward import backward
        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph)


class DimensionError(IndexError, ValueError):
    """A dimension out of range: an ``IndexError`` (as PyTorch) and a ``ValueError`` (the
    library's error for values that do not fit an argument)."""


class Size(int):
    """``Tensor.size``: the number of elements (an ``int``, as NumPy's ``ndarray.size``) that
    is also callable as PyTorch's ``Tensor.size``: ``t.size()`` gives the shape (a tuple),
    ``t.size(dim)`` the length of one dimension (negative dims count from the end)."""

    def __new__(cls, n: int, shape: tuple) -> "Size":
        self = super().__new__(cls, n)
        self.shape = shape
        return self

    def __call__(self, dim: Any = None) -> Any:
        shape = self.shape
        if dim is None:
            return shape
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, (bool, np.bool_)):
            raise TypeError(f"size: dim must be an int, got {type(dim).__name__}")
        nd = len(shape)
        if not -nd <= dim < nd:
            raise DimensionError(
                f"size: dimension {dim} is out of range for a tensor of shape {shape} "
                + (f"(expected in [{-nd}, {nd - 1}])" if nd else "(it has no dimensions)"))
        return shape[dim]

    def __reduce__(self) -> tuple:  # pickles (and copies) as the plain int it equals
        return (int, (int(self),))


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Same as ``Tensor(data, requires_grad, dtype)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from autograd_lite import ops as _ops  # noqa: E402  (ops import Tensor: break the cycle here)
