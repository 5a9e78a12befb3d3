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


TORCH_METHODS = {"where": _where, "expand_as": _expand_as, "view_as": _view_as,
                 "reshape_as": _reshape_as, "nelement": _nelement}


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
    for name, fn in (("add", e.add), ("sub", e.sub), ("mul", e.mul), ("truediv", e.div),
                     ("pow", e.pow), ("matmul", linalg.matmul), ("and", e.bitwise_and),
                     ("or", e.bitwise_or), ("xor", e.bitwise_xor)):
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
