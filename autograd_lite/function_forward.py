"""Custom Functions in forward mode: a user ``jvp(ctx, *tangents)`` (PyTorch's
``torch.autograd.Function.jvp``), called by ``Function.apply`` inside a dual level.

Split from ``forward_ad`` (the dual tensors and the engine); it writes that module's tangent
table. See ``Function.jvp`` and docs/custom_ops.md ("Forward mode: a jvp").
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from autograd_lite import forward_ad as _fw
from autograd_lite import primitive as _P
from autograd_lite.grad_mode import _state, enable_grad, no_grad
from autograd_lite.tensor import Tensor

__all__ = ["function_jvp", "reattach"]

_wrap = Tensor._wrap


def reattach(t: Tensor, entry: tuple) -> None:
    """Give ``t`` the tangent ``entry`` (a table entry of another Tensor on the same data)
    if its level is still open: a custom Function's saved output rebuilt for backward."""
    if entry[3] in _fw._levels:
        k = id(t)

        def gone(r: Any, k: int = k) -> None:
            e = _fw._tangents.get(k)
            if e is not None and e[0] is r:
                del _fw._tangents[k]

        _fw._tangents[k] = (weakref.ref(t, gone), entry[1], entry[2], entry[3])


def function_jvp(name: str, rule: Any, ctx: Any, args: tuple, outs: list, results: Any) -> None:
    """Forward mode through the custom ``ag.Function`` ``name`` (``Function.apply`` calls this
    inside a dual level): the tangents of ``results`` (the Tensors ``apply`` returns for
    ``forward``'s ``outs``) by its ``rule`` = ``jvp(ctx, *tangents)`` (None: the class has
    none, an error if a tangent arrives), one tangent per positional argument (zeros for a
    floating Tensor without a tangent, None otherwise). A batch of tangents calls ``jvp`` once
    per tangent."""
    es = [_fw._get(a) if isinstance(a, Tensor) else None for a in args]
    if all(e is None for e in es):
        return
    es = [None if e is None else (e[0], _fw._tan(a, e), e[2], e[3]) for a, e in zip(args, es)]
    diff = [o.dtype.kind in "fc" and not any(o is nd for nd in ctx._non_diff) for o in outs]
    if not any(diff):
        return
    if rule is None:
        raise NotImplementedError(
            f"{name}: this custom Function has no forward-mode AD rule, so a tangent cannot "
            f"pass through it; define a static method jvp(ctx, *tangents) that returns one "
            f"tangent per output of {name}.forward (see docs/custom_ops.md)")
    grad_on = _state.enabled
    batch = None
    record = False
    for e in es:
        if e is not None:
            if e[2]:
                batch = e[1].shape[0]
            if grad_on and e[1].requires_grad:
                record = True
    if grad_on and not record and not _fw._plain[0]:
        record = any(isinstance(a, Tensor) and a.requires_grad for a in args)

    def tangents(b: int | None) -> list:
        ts = []
        for a, e in zip(args, es):
            if e is not None:
                ts.append(e[1][b] if b is not None and e[2] else e[1])
            elif isinstance(a, Tensor) and a.dtype.kind in "fc":
                ts.append(_wrap(np.zeros(a.shape, dtype=a.dtype)))
            else:
                ts.append(None)
        return ts

    def call(b: int | None) -> list:
        res = rule(ctx, *tangents(b))
        if not isinstance(res, (tuple, list)):
            res = (res,)
        if len(res) != len(outs):
            raise RuntimeError(
                f"{name}.jvp returned {len(res)} tangent(s), but {name}.forward returned "
                f"{len(outs)} output(s); return one per output (None for an output without "
                "a tangent)")
        got = []
        for k, (r, o) in enumerate(zip(res, outs)):
            if r is None or not diff[k]:
                got.append(None)
                continue
            if not isinstance(r, Tensor):
                if not isinstance(r, (np.ndarray, np.generic, int, float)):
                    raise TypeError(f"{name}.jvp returned a {type(r).__name__} as the tangent "
                                    f"of output {k}; return a Tensor (or None)")
                r = _wrap(np.asarray(r, dtype=o.dtype))
            if r.shape != o.shape:
                raise RuntimeError(
                    f"{name}.jvp returned a tangent of shape {r.shape} for output {k}, but "
                    f"that output has shape {o.shape}; the tangent must have the output's "
                    "shape exactly")
            if r.dtype != o.dtype and not r.requires_grad:
                r = _wrap(r._data.astype(o.dtype))
            got.append(r)
        return got

    if ctx._fwd_saved:  # a saved output: the returned Tensor (attached to the graph)
        ctx._fwd_saved = tuple(next((r for o, r in zip(outs, results) if t is o), t)
                               for t in ctx._fwd_saved)
    saved, _P._dual = _P._dual, 0
    ctx._in_jvp = True
    try:
        with enable_grad() if record else no_grad():
            if batch is None:
                tans = call(None)
            else:
                parts = [call(b) for b in range(batch)]
                tans = []
                for k, o in enumerate(outs):
                    col = [p[k] for p in parts]
                    if all(c is None for c in col):
                        tans.append(None)
                        continue
                    col = [_wrap(np.zeros(o.shape, dtype=o.dtype)) if c is None else c
                           for c in col]
                    if record:
                        from autograd_lite.ops import stack
                        tans.append(stack(col))
                    else:
                        tans.append(_wrap(np.stack([c._data for c in col])))
    finally:
        ctx._in_jvp = False
        ctx._fwd_saved = None  # dropped after jvp, as PyTorch (no cycle through an output)
        _P._dual = saved
    for k, (r, t) in enumerate(zip(results, tans)):
        if t is not None:
            _fw._set(r, t, batch is not None)
            ctx._out_tangents[k] = _fw._tangents[id(r)]
