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
    Tensor.__neg__ = e.neg
    Tensor.__abs__ = e.abs
    Tensor.__invert__ = e.bitwise_not
