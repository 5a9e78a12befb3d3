"""In-place updates of a Tensor: ``t.add_(1)``, ``t -= g``, ``t[i] = v``, ``t.copy_(src)``,
``t.set_(a)``, ...

Each checks that it is allowed (not on a tensor that requires grad while grad mode is on: the
change would not be recorded), writes into the same memory, and records the change on the
version clock (``autograd_lite.versions.bump``), so that a graph that saved the old values
refuses to backward through them. ``attach`` sets them on ``Tensor`` (from
``autograd_lite.methods``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_lite.array_module import is_array
from autograd_lite.grad_mode import _state
from autograd_lite.ops.shape import normalize_index
from autograd_lite.tensor import Tensor
from autograd_lite.versions import bump

__all__ = ["attach"]


def _val(x: Any) -> Any:
    """The ndarray of a Tensor, anything else as it is."""
    return x._data if isinstance(x, Tensor) else x


def _check_inplace(self: Tensor, op: str, other: Any = None) -> None:
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


def _inplace(self: Tensor, op: str, fn: Callable[[np.ndarray], Any], other: Any = None) -> Tensor:
    """Overwrite the values with ``fn(data)`` in the same memory; bumps the version."""
    _check_inplace(self, op, other)
    try:
        np.copyto(self._data, fn(self._data), casting="same_kind")
    except ValueError as e:
        raise ValueError(f"{op}: cannot update a tensor of shape {self.data.shape} with a "
                         f"value of shape {np.shape(_val(other))}: {e}") from None
    except TypeError as e:
        raise TypeError(f"{op}: cannot update a tensor of dtype {self.data.dtype} with "
                        f"{np.asarray(_val(other)).dtype} values: {e}") from None
    bump(self)
    return self


def set_(self, source: Any) -> Tensor:
    """Make ``source`` (an ndarray or a Tensor, any shape and dtype) this tensor's data, in
    place: the tensor keeps its identity (a parameter stays registered, optimizer state
    keyed by it stays valid) and its version goes up by one. Shares ``source``'s memory,
    as PyTorch's ``set_``."""
    _check_inplace(self, "set_", source)
    data = source._data if isinstance(source, Tensor) else source
    if not isinstance(data, np.ndarray) and not is_array(data):  # (or a CuPy array)
        raise TypeError(f"set_: expected an ndarray or a Tensor, got {type(source).__name__}")
    if self.requires_grad and data.dtype.kind != "f":
        raise TypeError(f"set_: a tensor that requires grad must stay floating, got dtype "
                        f"{data.dtype}")
    self._data = data
    bump(self)
    return self


def copy_(self, src: Any) -> Tensor:
    """Overwrite the values in place with ``src`` (broadcast); bumps the version."""
    v = _val(src)
    return _inplace(self, "copy_", lambda a: v, src)


def fill_(self, value: float) -> Tensor:
    return _inplace(self, "fill_", lambda a: _val(value), value)


def zero_(self) -> Tensor:
    return _inplace(self, "zero_", lambda a: 0)


def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
    o = _val(other)
    return _inplace(self, "add_", lambda a: a + (o if alpha == 1 else alpha * o), other)


def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
    o = _val(other)
    return _inplace(self, "sub_", lambda a: a - (o if alpha == 1 else alpha * o), other)


def mul_(self, other: Any) -> Tensor:
    o = _val(other)
    return _inplace(self, "mul_", lambda a: a * o, other)


def div_(self, other: Any) -> Tensor:
    o = _val(other)
    return _inplace(self, "div_", lambda a: a / o, other)


def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
    return _inplace(self, "clamp_", lambda a: np.clip(a, _val(min), _val(max)))


def __iadd__(self, other: Any) -> Tensor:
    return self.add_(other)


def __isub__(self, other: Any) -> Tensor:
    return self.sub_(other)


def __imul__(self, other: Any) -> Tensor:
    return self.mul_(other)


def __itruediv__(self, other: Any) -> Tensor:
    return self.div_(other)


def __ipow__(self, other: Any) -> Tensor:
    o = _val(other)
    return _inplace(self, "__ipow__", lambda a: a ** o, other)


def __imatmul__(self, other: Any) -> Tensor:
    o = _val(other)
    return _inplace(self, "__imatmul__", lambda a: a @ o, other)


def __setitem__(self, index: Any, value: Any) -> None:
    _check_inplace(self, "__setitem__", value)
    idx = normalize_index(index)
    value = value._data if isinstance(value, Tensor) else value
    try:
        self._data[idx] = value
    except (ValueError, IndexError, TypeError) as e:
        raise ValueError(f"__setitem__: cannot assign a value of shape {np.shape(value)} "
                         f"into a tensor of shape {self.data.shape}: {e}") from None
    bump(self)


def __pos__(self) -> Tensor:
    return self


def attach() -> None:
    """Set the in-place methods and operators on ``Tensor``."""
    for f in (set_, copy_, fill_, zero_, add_, sub_, mul_, div_, clamp_, __iadd__, __isub__,
              __imul__, __itruediv__, __ipow__, __imatmul__, __setitem__):
        setattr(Tensor, f.__name__, f)
