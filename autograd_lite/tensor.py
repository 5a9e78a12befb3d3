"""The Tensor: an ndarray, an optional gradient, and the node that produced it.

This file holds data, metadata, conversion and the operator dunders; it contains no calculus.
Every operator and method is a one-line delegation to ``autograd_lite.ops``.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Iterator

import numpy as np

from autograd_lite import _dtypes
from autograd_lite.grad_mode import _state

__all__ = ["Tensor", "tensor"]

#: The in-place change clock (see ``Tensor._version``); a one-element list, read by node.py.
_clock = [0]
#: Last change of each memory buffer: id(base ndarray) -> (weakref to it, clock tick). Views
#: and detached tensors share a buffer, so a change through any of them is seen by all.
_buffer_stamps: dict = {}


def _base(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def buffer_stamp(a: np.ndarray) -> int:
    """The clock tick of the last in-place change to the memory behind ``a`` (0 if none)."""
    root = _base(a)
    entry = _buffer_stamps.get(id(root))
    return entry[1] if entry is not None and entry[0]() is root else 0


def _stamp_buffer(a: np.ndarray, tick: int) -> None:
    root = _base(a)
    key = id(root)
    entry = _buffer_stamps.get(key)
    if entry is not None and entry[0]() is root:
        _buffer_stamps[key] = (entry[0], tick)
        return
    try:
        ref = weakref.ref(root, lambda _, key=key: _buffer_stamps.pop(key, None))
    except TypeError:  # a buffer that cannot be weakly referenced: track the tensor only
        return
    _buffer_stamps[key] = (ref, tick)


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is a Python scalar, nested
    list, NumPy array or Tensor (always copied). Python floats get the default dtype
    (float32 unless [`set_default_dtype`][autograd_lite.set_default_dtype]), ints int64, bools bool;
    arrays keep theirs. Only floating tensors may require grad.
    """

    __slots__ = ("data", "requires_grad", "grad", "grad_fn", "_vcount", "_stamp", "_hooks",
                 "name", "__weakref__")
    __array_ufunc__ = None  # let ``ndarray + Tensor`` call Tensor.__radd__
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data: np.ndarray = _dtypes.to_array(data, dtype)
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
        t.data = data
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
        """How many in-place changes this tensor has had (PyTorch's version counter)."""
        return self._vcount

    @_version.setter
    def _version(self, value: int) -> None:
        # Each change also stamps the tensor with the next tick of a global clock; a node keeps
        # the clock's value from when it saved its inputs, so "changed since saved" is one
        # comparison, and recording an op counts nothing.
        self._vcount = value
        _clock[0] += 1
        self._stamp = _clock[0]
        _stamp_buffer(self.data, _clock[0])

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> "Size":
        """The number of elements, an int as NumPy's ``ndarray.size``, that is also callable as
        PyTorch's ``size()``: ``t.size()`` is the shape, ``t.size(dim)`` one dimension."""
        d = self.data
        return Size(d.size, d.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-made tensors, parameters)."""
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        """All axes reversed (``permute(*reversed(range(ndim)))``)."""
        return _ops.transpose(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    __hash__ = object.__hash__  # identity (``==`` is elementwise), C-level for dict lookups

    def __iter__(self) -> Iterator["Tensor"]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared memory, like ``torch.Tensor.numpy``)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"scalar, got shape {self.data.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor with shape {self.data.shape} "
                             "is ambiguous; use .any() or .all()")
        return bool(self.data.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.data.item())

    def astype(self, dtype: Any) -> "Tensor":
        """A copy cast to ``dtype`` (differentiable between float dtypes)."""
        return _ops.astype(self, dtype)

    def clone(self) -> "Tensor":
        """A copy with its own memory that stays in the graph (as ``torch.Tensor.clone``)."""
        return _ops.clone(self)

    def numel(self) -> int:
        """The number of elements (``size``, PyTorch's name)."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (``ndim``, PyTorch's name)."""
        return self.data.ndim

    def float(self) -> "Tensor":
        return _ops.astype(self, np.float32)

    def double(self) -> "Tensor":
        return _ops.astype(self, np.float64)

    # ------------------------------------------------------------------ repr
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.data.dtype != _dtypes.get_default_dtype() and self.data.dtype != np.int64 \
                and self.data.dtype != np.bool_:
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
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating tensors can require gradients, "
                            f"got dtype {self.data.dtype}; convert with .astype(np.float32)")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): only leaf tensors can stop requiring "
                               "grad; use .detach() for a non-leaf")
        self.requires_grad = bool(flag)
        return self

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor._wrap(self.data)

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

    # ------------------------------------------------------------------ in-place (no_grad)
    def _check_inplace(self, op: str, other: Any = None) -> None:
        if _state.enabled:
            if self.requires_grad:
                raise RuntimeError(f"{op}: in-place operation on a tensor that requires grad; "
                                   "wrap it in `with ag.no_grad():` or use an out-of-place op")
            # NOTE: in-place ops record no graph; a value that requires grad would silently
            # lose its gradient path (PyTorch records one here), so refuse instead.
            if isinstance(other, Tensor) and other.requires_grad:
                raise RuntimeError(f"{op}: in-place operation with a value that requires grad "
                                   "would not be differentiable; use an out-of-place op "
                                   "(ag.where, ag.stack, ag.concatenate) or .detach() it")

    def _inplace(self, op: str, fn: Callable[[np.ndarray], Any], other: Any = None) -> "Tensor":
        """Overwrite the values with ``fn(data)`` in the same memory; bumps the version."""
        self._check_inplace(op, other)
        try:
            np.copyto(self.data, fn(self.data), casting="same_kind")
        except ValueError as e:
            raise ValueError(f"{op}: cannot update a tensor of shape {self.data.shape} with a "
                             f"value of shape {np.shape(_val(other))}: {e}") from None
        except TypeError as e:
            raise TypeError(f"{op}: cannot update a tensor of dtype {self.data.dtype} with "
                            f"{np.asarray(_val(other)).dtype} values: {e}") from None
        self._version += 1
        return self

    def copy_(self, src: Any) -> "Tensor":
        """Overwrite the values in place with ``src`` (broadcast); bumps the version."""
        v = _val(src)
        return self._inplace("copy_", lambda a: v, src)

    def fill_(self, value: float) -> "Tensor":
        return self._inplace("fill_", lambda a: _val(value), value)

    def zero_(self) -> "Tensor":
        return self._inplace("zero_", lambda a: 0)

    def add_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        o = _val(other)
        return self._inplace("add_", lambda a: a + (o if alpha == 1 else alpha * o), other)

    def sub_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        o = _val(other)
        return self._inplace("sub_", lambda a: a - (o if alpha == 1 else alpha * o), other)

    def mul_(self, other: Any) -> "Tensor":
        o = _val(other)
        return self._inplace("mul_", lambda a: a * o, other)

    def div_(self, other: Any) -> "Tensor":
        o = _val(other)
        return self._inplace("div_", lambda a: a / o, other)

    def clamp_(self, min: Any = None, max: Any = None) -> "Tensor":
        return self._inplace("clamp_", lambda a: np.clip(a, _val(min), _val(max)))

    def __iadd__(self, other: Any) -> "Tensor":
        return self.add_(other)

    def __isub__(self, other: Any) -> "Tensor":
        return self.sub_(other)

    def __imul__(self, other: Any) -> "Tensor":
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return self.div_(other)

    def __ipow__(self, other: Any) -> "Tensor":
        o = _val(other)
        return self._inplace("__ipow__", lambda a: a ** o, other)

    def __imatmul__(self, other: Any) -> "Tensor":
        o = _val(other)
        return self._inplace("__imatmul__", lambda a: a @ o, other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__", value)
        idx = _ops.normalize_index(index)
        value = value.data if isinstance(value, Tensor) else value
        try:
            self.data[idx] = value
        except (ValueError, IndexError, TypeError) as e:
            raise ValueError(f"__setitem__: cannot assign a value of shape {np.shape(value)} "
                             f"into a tensor of shape {self.data.shape}: {e}") from None
        self._version += 1

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> "Tensor":
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> "Tensor":
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(other, self)

    def __neg__(self) -> "Tensor":
        return _ops.neg(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops.getitem(self, index)

    def __lt__(self, other: Any) -> "Tensor":
        return _ops.compare("<", self, other)

    def __le__(self, other: Any) -> "Tensor":
        return _ops.compare("<=", self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return _ops.compare(">", self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return _ops.compare(">=", self, other)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.compare("==", self, other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.compare("!=", self, other)

    # bitwise on integer tensors, logical on bool ones, refused for floats (as PyTorch)
    def __invert__(self) -> "Tensor":
        return _ops.elementwise.bitwise_not(self)

    def __and__(self, other: Any) -> "Tensor":
        return _ops.elementwise.bitwise_and(self, other)

    def __rand__(self, other: Any) -> "Tensor":
        return _ops.elementwise.bitwise_and(other, self)

    def __or__(self, other: Any) -> "Tensor":
        return _ops.elementwise.bitwise_or(self, other)

    def __ror__(self, other: Any) -> "Tensor":
        return _ops.elementwise.bitwise_or(other, self)

    def __xor__(self, other: Any) -> "Tensor":
        return _ops.elementwise.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> "Tensor":
        return _ops.elementwise.bitwise_xor(other, self)

    # ------------------------------------------------------------------ methods
    def exp(self) -> "Tensor":
        return _ops.exp(self)

    def log(self) -> "Tensor":
        return _ops.log(self)

    def sqrt(self) -> "Tensor":
        return _ops.sqrt(self)

    def square(self) -> "Tensor":
        return _ops.square(self)

    def neg(self) -> "Tensor":
        return _ops.neg(self)

    def sin(self) -> "Tensor":
        return _ops.sin(self)

    def cos(self) -> "Tensor":
        return _ops.cos(self)

    def tanh(self) -> "Tensor":
        return _ops.tanh(self)

    def sigmoid(self) -> "Tensor":
        return _ops.sigmoid(self)

    def relu(self) -> "Tensor":
        return _ops.relu(self)

    def abs(self) -> "Tensor":
        return _ops.abs(self)

    def pow(self, exponent: Any) -> "Tensor":
        return _ops.pow(self, exponent)

    def clip(self, min: Any = None, max: Any = None) -> "Tensor":
        return _ops.clip(self, min, max)

    clamp = clip

    def sum(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.sum(self, axis, keepdims, **kw)

    def mean(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.mean(self, axis, keepdims, **kw)

    def max(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        """As PyTorch: ``(values, indices)`` over one int dim, the values otherwise."""
        return _ops.max(self, axis, keepdims, **kw)

    def min(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        """As PyTorch: ``(values, indices)`` over one int dim, the values otherwise."""
        return _ops.min(self, axis, keepdims, **kw)

    def amax(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.amax(self, axis, keepdims, **kw)

    def amin(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.amin(self, axis, keepdims, **kw)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None,
            **kw: Any) -> "Tensor":
        """Unbiased by default, PyTorch's order ``(dim, unbiased, keepdim)``: see ``ag.var``."""
        return _ops.var(self, dim, unbiased, keepdim, **kw)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None,
            **kw: Any) -> "Tensor":
        """Unbiased by default, PyTorch's order ``(dim, unbiased, keepdim)``: see ``ag.std``."""
        return _ops.std(self, dim, unbiased, keepdim, **kw)

    def logsumexp(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.logsumexp(self, axis, keepdims, **kw)

    def argmax(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.argmax(self, axis, keepdims, **kw)

    def argmin(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> "Tensor":
        return _ops.argmin(self, axis, keepdims, **kw)

    def softmax(self, axis: int = -1, **kw: Any) -> "Tensor":
        return _ops.softmax(self, axis, **kw)

    def log_softmax(self, axis: int = -1, **kw: Any) -> "Tensor":
        return _ops.log_softmax(self, axis, **kw)

    def any(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return Tensor._wrap(np.asarray(self.data.any(axis=axis, keepdims=keepdims)))

    def all(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return Tensor._wrap(np.asarray(self.data.all(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape: Any) -> "Tensor":
        return _ops.reshape(self, *shape)

    def view(self, *shape: Any) -> "Tensor":
        return _ops.view(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, axis: Any = None, **kw: Any) -> "Tensor":
        return _ops.squeeze(self, axis, **kw)

    def unsqueeze(self, dim: int) -> "Tensor":
        return _ops.unsqueeze(self, dim)

    def transpose(self, *dims: int) -> "Tensor":
        return _ops.transpose(self, *dims)

    def swapaxes(self, axis1: int, axis2: int) -> "Tensor":
        """Swap two axes (NumPy's name for ``transpose(dim0, dim1)``)."""
        return _ops.transpose(self, axis1, axis2)

    def permute(self, *dims: Any) -> "Tensor":
        return _ops.permute(self, *dims)

    def expand(self, *sizes: Any) -> "Tensor":
        return _ops.expand(self, *sizes)

    def broadcast_to(self, *shape: Any) -> "Tensor":
        return _ops.broadcast_to(self, *shape)

    def matmul(self, other: Any) -> "Tensor":
        return _ops.matmul(self, other)


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


def _val(x: Any) -> Any:
    """The ndarray of a Tensor, anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Same as ``Tensor(data, requires_grad, dtype)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from autograd_lite import ops as _ops  # noqa: E402  (ops import Tensor: break the cycle here)
