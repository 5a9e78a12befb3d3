"""Method forms: the ``Tensor`` methods and operators, attached from the op list.

A method form is the op function itself (``Tensor.exp is ag.exp``), so ``t.exp()`` costs no
extra call and cannot drift from ``ag.exp(t)``. Which ops have one is declared with the op
(``@export(method=True)`` in its family file); the operators are the table below.
"""
from __future__ import annotations

from typing import Any, Callable

from autograd_lite.primitive import OPS, OpInfo
from autograd_lite.tensor import Tensor

__all__ = ["attach", "attach_one"]


def _reflected(fn: Callable) -> Callable:
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)
    return method


def _compare(fn: Callable, symbol: str) -> Callable:
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(symbol, self, other)
    return method


# Methods whose PyTorch form has no function of the same meaning (or another argument order).
def _where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``x.where(condition, y)``: ``torch.where(condition, x, y)``."""
    from autograd_lite.ops.elementwise import where
    return where(condition, self, other)


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    """``x.expand_as(other)``: ``x.expand(other.shape)``."""
    return self.expand(other.shape)


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    """``x.view_as(other)``: ``x.view(other.shape)``."""
    return self.view(other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """``x.reshape_as(other)``: ``x.reshape(other.shape)``."""
    return self.reshape(other.shape)


def _nelement(self: Tensor) -> int:
    """``x.nelement()``: the number of elements (``x.numel()``)."""
    return self.numel()


def _is_floating_point(self: Tensor) -> bool:
    """``x.is_floating_point()``: whether the dtype is a float (float16/32/64)."""
    return self.dtype.kind == "f"


def _is_complex(self: Tensor) -> bool:
    """``x.is_complex()``: whether the dtype is complex."""
    return self.dtype.kind == "c"


def _new(fill: str) -> Callable:
    def method(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, **kwargs: Any) -> Tensor:
        from autograd_lite import factories
        make = getattr(factories, fill)
        return make(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                    requires_grad=requires_grad, **kwargs)
    method.__name__ = method.__qualname__ = f"new_{fill}"
    method.__doc__ = (f"``x.new_{fill}(size, ...)``: ``{fill}(size, ...)`` with ``x``'s dtype "
                      "unless ``dtype=`` is given (as PyTorch).")
    return method


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """``x.new_full(size, fill_value)``: ``full`` with ``x``'s dtype unless ``dtype=`` is given."""
    from autograd_lite.factories import full
    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    """``x.new_tensor(data)``: a copy of ``data`` with ``x``'s dtype unless ``dtype=`` is given."""
    from autograd_lite.compat import tensor
    return tensor(data, dtype=self.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)


TORCH_METHODS = {"where": _where, "expand_as": _expand_as, "view_as": _view_as,
                 "reshape_as": _reshape_as, "nelement": _nelement,
                 "is_floating_point": _is_floating_point, "is_complex": _is_complex,
                 "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
                 "new_full": _new_full, "new_tensor": _new_tensor}


def attach_one(info: OpInfo) -> None:
    """Set the method forms of one op of the list on ``Tensor``."""
    for m in info.methods:
        setattr(Tensor, m, info.fn)


def attach() -> None:
    """Set every declared method form, the operators and the in-place methods on ``Tensor``."""
    from autograd_lite import inplace
    inplace.attach()
    for info in OPS.values():
        attach_one(info)
    from autograd_lite.ops import elementwise as e
    from autograd_lite.ops import linalg
    from autograd_lite.ops import mathfuncs as mf
    for name, fn in (("add", e.add), ("sub", e.sub), ("mul", e.mul), ("truediv", e.div),
                     ("pow", e.pow), ("matmul", linalg.matmul), ("and", e.bitwise_and),
                     ("or", e.bitwise_or), ("xor", e.bitwise_xor),
                     ("floordiv", mf.floor_divide), ("mod", mf.remainder)):  # torch's // and %
        setattr(Tensor, f"__{name}__", fn)
        setattr(Tensor, f"__r{name}__", _reflected(fn))
    for name, symbol in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("eq", "=="),
                         ("ne", "!=")):
        setattr(Tensor, f"__{name}__", _compare(e.compare, symbol))
    for name, fn in TORCH_METHODS.items():  # x.where(cond, y), x.expand_as(y), ...
        setattr(Tensor, name, fn)
    from autograd_lite.ops.mathfuncs import CAST_METHODS  # .float() .half() .int() .to() ...
    for name, fn in CAST_METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.__neg__ = e.neg
    Tensor.__abs__ = e.abs
    Tensor.__invert__ = e.bitwise_not
