"""Anomaly mode's reports (``ag.detect_anomaly()``): where NaN/Inf first appeared.

Forward: ``check_forward`` notes on each new node which op made the NaN/Inf its output holds.
Backward: ``check_roots`` raises if such a value reached an output the backward starts from,
``check_backward`` at the first VJP that returns NaN/Inf. Each names the op and, from the stack
recorded at creation (``user_stack``), the user's line that created it.
"""
from __future__ import annotations

import os
import traceback
from typing import Any, Sequence

import numpy as np

__all__ = ["check_forward", "check_roots", "check_backward", "user_stack", "format_trace"]


def check_forward(node: Any, out: np.ndarray) -> None:
    """Anomaly mode, forward: note on ``node`` which op made the NaN/Inf its output holds.

    An op that makes NaN/Inf from finite inputs is the origin; an output that still holds
    NaN/Inf from an input inherits that input's origin; a finite output (the NaN masked out,
    as in ``where(x > 0, log(x), 0)``) has none. Backward raises, naming the origin and its
    line, only when a root it starts from holds one (see ``check_roots``),
    so only NaN/Inf that reach a result count. NaN the user put in is nobody's anomaly."""
    if out.dtype.kind not in "fc" or np.all(np.isfinite(out)):
        return
    finite = True
    for t in node.inputs:
        if t.data.dtype.kind in "fc" and not np.all(np.isfinite(t.data)):
            finite = False
            n = t.grad_fn
            if n is not None and n.anomaly is not None:
                node.anomaly = n.anomaly
                return
    if finite:
        node.anomaly = node


_PKG_DIR = os.path.dirname(os.path.abspath(__file__))  # the library's own frames


def user_stack() -> list:
    """The current stack without the library's own frames (recorded under anomaly mode)."""
    stack = traceback.extract_stack()
    frames = [f for f in stack if not os.path.abspath(f.filename).startswith(_PKG_DIR)]
    return frames or stack


def format_trace(node: Any) -> str:
    """Where the op of ``node`` was created (last user frames), for error messages."""
    if not node.trace:
        return "  (unknown: enable ag.detect_anomaly() before the forward pass)"
    return "".join(traceback.format_list(node.trace[-4:]))


def check_backward(node: Any, grads: list) -> None:
    """Anomaly mode, backward: raise at the first gradient with NaN/Inf, naming the op, the
    input and where the op was created."""
    for i, gi in enumerate(grads):
        a = gi if gi is None or isinstance(gi, (np.ndarray, np.generic)) else gi.data  # a Tensor
        if a is not None and a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            bad = "NaN" if np.isnan(a).any() else "Inf"
            raise RuntimeError(
                f"detect_anomaly: {node} returned {bad} values in its gradient for input {i} "
                f"(shape {gi.shape}).\nThe op was created at:\n{format_trace(node)}")


def check_roots(roots: Sequence[Any]) -> None:
    """Under anomaly mode: raise if a root's value is NaN/Inf that some op made from finite
    inputs in the forward (found by ``check_forward``). A NaN that was masked out on
    the way (``where(x > 0, log(x), 0)``) never reaches a root and is not an anomaly."""
    for r in roots:
        n = r.grad_fn
        origin = getattr(n, "anomaly", None) if n is not None else None
        if origin is not None:
            ins = origin.inputs or ()
            raise RuntimeError(
                f"detect_anomaly: {origin.name} produced NaN/Inf in its forward from finite "
                f"inputs (shapes {', '.join(str(t.shape) for t in ins)}), and it reached "
                f"the output of shape {r.shape} this backward starts from.\n"
                f"The op was created at:\n{format_trace(origin)}")
