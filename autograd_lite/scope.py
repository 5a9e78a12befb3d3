"""Module scopes: which ``nn.Module`` call was running when an op was recorded.

``nn.Module.__call__`` enters :func:`module_scope`; the engine stores the current scope path
(a tuple of module objects, outermost first) on every node it records, and ``viz`` reads it
(``node.scope``) to draw one cluster per module call. The core never imports ``nn``: a scope
entry is any object.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["module_scope", "current_scope"]


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
