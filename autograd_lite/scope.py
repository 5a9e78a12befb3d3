"""Scopes: which ``nn.Module`` call, and which library function, was running when an op was
recorded.

``nn.Module.__call__`` enters `module_scope`; the engine stores the current scope path
(a tuple of entries, outermost first) on every node it records, and ``viz`` reads it
(``node.scope``) to draw one cluster per module call. The core never imports ``nn``: a scope
entry is any object.

A library function built from several recorded ops (``F.linear`` is a transpose, a matmul and
an add) is wrapped with `public_op`: while it runs, an `OpCall` entry naming it
is on the scope path, so ``viz`` and the stepper can show its nodes as the one op the user
called; and an error raised inside it names that function (``linear: ...``), not the inner op
that failed (``add: ...``).
"""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

__all__ = ["module_scope", "current_scope", "public_op", "OpCall", "module_path"]

F = TypeVar("F", bound=Callable[..., Any])


class _Scopes(threading.local):
    stack: list = []

    def __init__(self) -> None:
        self.stack = []


_scopes = _Scopes()


def current_scope() -> tuple | None:
    """The scope path of the innermost running module call, or ``None`` outside any."""
    s = _scopes.stack
    return s[-1] if s else None


@contextmanager
def module_scope(owner: object) -> Iterator[tuple]:
    """Record ops made inside the block as belonging to ``owner`` (nested in enclosing scopes)."""
    s = _scopes.stack
    path = (s[-1] if s else ()) + (owner,)
    s.append(path)
    try:
        yield path
    finally:
        s.pop()


class OpCall:
    """A scope entry for one call of a library function (``name``: what the user called;
    ``explain``: its step template for the stepper, an
    `Explain`, or ``None``)."""

    __slots__ = ("name", "explain")

    def __init__(self, name: str, explain: Any = None) -> None:
        self.name = name
        self.explain = explain

    def __repr__(self) -> str:
        return f"OpCall({self.name})"


def module_path(scope: tuple | None) -> tuple:
    """The module entries of a scope path (the `OpCall` entries left out)."""
    if not scope:
        return ()
    return tuple(e for e in scope if not isinstance(e, OpCall))


def _renamed(e: BaseException, name: str) -> BaseException:
    """``e`` with its message prefixed by ``name:`` (same exception type), unless it already
    starts with it."""
    msg = str(e)
    if msg.startswith(name + ":"):
        return e
    try:
        new = type(e)(f"{name}: {msg}")
    except Exception:  # noqa: BLE001 - an exception type with another constructor
        return e
    return new


def public_op(name: str, explain: Any = None) -> Callable[[F], F]:
    """Decorator for a library function made of several recorded ops (see the module doc).

    Ops recorded while it runs carry an `OpCall` ``name`` entry on their scope path;
    a ``ValueError``/``TypeError``/``IndexError`` raised inside gets ``name:`` in front of its
    message (the type is kept, so ``except IndexError`` still works). ``explain`` is the
    call's step template (the stepper shows the call as one step with that rule).
    """
    entry = OpCall(name, explain)

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            s = _scopes.stack
            s.append((s[-1] if s else ()) + (entry,))
            try:
                return fn(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as e:
                new = _renamed(e, name)
                if new is e:
                    raise
                raise new from None
            finally:
                s.pop()
        wrapper.__wrapped_op__ = name  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return deco
