"""Forward-mode AD: dual tensors (``torch.autograd.forward_ad``'s API) and the JVP engine.

>>> import autograd_lite as ag
>>> with ag.dual_level():
...     x = ag.make_dual(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 0.0]))
...     y = (x * x).sum()
...     ag.unpack_dual(y).tangent.item()
2.0

Inside ``dual_level()`` every op call checks whether an input carries a tangent; if one does,
the op's JVP rule (``Op(..., jvp=...)``, see ``primitive.Op``) computes the output's tangent
during the forward pass. No graph is needed. Outside a dual level the only cost is one flag
test per op (``primitive._dual``, a module global). Tangents live in a table keyed by
tensor identity (the Tensor class has no slot for them, so nothing changes for reverse mode)
and are dropped when the level exits or the tensor dies.

**Batched tangents.** A tangent of shape ``(B,) + primal.shape`` carries ``B`` tangent
vectors at once (``make_dual`` recognises the shape). Elementwise rules broadcast over the
extra leading dimension; other ops evaluate their rule once per tangent (still one primal pass).

**Composition.** A rule runs on ndarrays (fast) unless a tangent requires grad, or an input
requires grad and grad mode is on: then it runs on Tensors and is recorded, so tangents can be
differentiated (reverse-over-forward). Forward-over-reverse (``functional.hvp``) runs the
backward with its rules on Tensors (grad mode off), so the ops they call carry the tangents.
Custom Functions (``ag.Function``) bring their own ``jvp`` (``autograd_lite.function_forward``).
"""
from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any

import numpy as np

from autograd_lite.grad_mode import _state
from autograd_lite.tensor import Tensor

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "enter_dual_level",
           "exit_dual_level", "node_jvp"]

_wrap = Tensor._wrap
_NO_KW: dict = {}  # (never mutated)
UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "``unpack_dual``'s result ``(primal, tangent)``, tangent None if none."

# id(tensor) -> (weakref to the tensor, tangent Tensor, batched?, level)
_tangents: dict = {}

_levels: list = []
_count = [0]
# True inside functional transforms that never differentiate tangents w.r.t. the primals
# (forward-over-reverse): rules then run on ndarrays even when inputs require grad.
_plain = [False]


def enter_dual_level() -> int:
    """Open a dual level (``dual_level()`` calls this); returns its number."""
    _count[0] += 1
    _levels.append(_count[0])
    _P._dual = len(_levels)
    return _count[0]


def exit_dual_level(level: int | None = None) -> None:
    """Close the innermost dual level; the tangents made in it are dropped."""
    if not _levels:
        raise RuntimeError("exit_dual_level: no dual level is open")
    lvl = _levels.pop()
    if level is not None and level != lvl:
        _levels.append(lvl)
        raise RuntimeError(f"exit_dual_level: level {level} is not the innermost ({lvl})")
    for k in [k for k, e in _tangents.items() if e[3] == lvl]:
        del _tangents[k]
    _P._dual = len(_levels)


class dual_level:
    """Context manager for forward mode: ``with dual_level(): ...`` (as PyTorch). Tangents
    made with [`make_dual`][autograd_lite.forward_ad.make_dual] inside it propagate through
    ops until it exits."""

    def __enter__(self) -> int:
        self._level = enter_dual_level()
        return self._level

    def __exit__(self, *exc: object) -> None:
        exit_dual_level(self._level)


def _get(x: Any) -> tuple | None:
    e = _tangents.get(id(x))
    if e is not None and e[0]() is x:
        return e
    return None


def _set(t: Tensor, tangent: Tensor, batched: bool) -> None:
    k = id(t)

    def gone(r: Any, k: int = k) -> None:
        e = _tangents.get(k)
        if e is not None and e[0] is r:
            del _tangents[k]

    _tangents[k] = (weakref.ref(t, gone), tangent, batched, _levels[-1])


def _alias(p: Tensor) -> Tensor:
    """A new Tensor on ``p``'s data, differentiable w.r.t. ``p`` if ``p`` requires grad."""
    if p.requires_grad and _state.enabled:
        saved, _P._dual = _P._dual, 0
        try:
            return MakeDual.unary(p)
        finally:
            _P._dual = saved
    return _wrap(p._data)


def make_dual(tensor: Tensor, tangent: Any, *, level: int | None = None) -> Tensor:
    """A dual tensor: ``tensor``'s values (shared data; differentiable w.r.t. ``tensor``) with
    ``tangent`` attached. ``tangent`` has ``tensor``'s shape, or ``(B,) + tensor.shape`` for
    ``B`` tangents at once (batched). Only inside
    [`dual_level`][autograd_lite.forward_ad.dual_level]."""
    if not _levels:
        raise RuntimeError("make_dual: call it inside a `with ag.dual_level():` block")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"make_dual: expected a Tensor primal, got {type(tensor).__name__}")
    if tensor.dtype.kind not in "fc":
        raise TypeError(f"make_dual: the primal must be floating, got dtype {tensor.dtype}")
    if not isinstance(tangent, Tensor):
        tangent = _wrap(np.asarray(tangent, dtype=tensor.dtype))
    shape, tshape = tensor.shape, tangent.shape
    if tshape == shape:
        batched = False
    elif tshape[1:] == shape and len(tshape) == len(shape) + 1:
        batched = True
    else:
        raise ValueError(f"make_dual: the tangent's shape {tshape} must be the primal's "
                         f"{shape} (or (B,) + {shape} for a batch of tangents)")
    if tangent.dtype != tensor.dtype and not tangent.requires_grad:
        tangent = _wrap(tangent._data.astype(tensor.dtype))
    d = _alias(tensor)
    _set(d, tangent, batched)
    return d


def _tan(x: Tensor, e: tuple) -> Tensor:
    """The tangent Tensor of table entry ``e`` (of ``x``). The engine stores the tangents it
    computes as bare ndarrays (one Tensor less per op); they are wrapped when first asked for."""
    t = e[1]
    if type(t) is np.ndarray:
        t = _wrap(t)
        _tangents[id(x)] = (e[0], t, e[2], e[3])
    return t


def attach(x: Tensor, tangent: Tensor) -> None:
    """``make_dual`` without the alias: give ``x`` itself the tangent (shaped ``x.shape`` or
    ``(B,) + x.shape``, already checked), for a fresh tensor the caller owns (functional's
    forward over reverse: one op less in the forward and in the backward)."""
    _set(x, tangent, tangent._data.ndim != x._data.ndim)


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor; ``tangent`` is None when it has none (for
    example, when the output does not depend on the dual inputs). A batched tangent has the
    leading batch dimension. Inside a custom ``Function``'s ``forward`` (where forward mode is
    off, as in PyTorch) the tangent is None."""
    e = _get(tensor) if _P._dual else None
    primal = _alias(tensor)
    return UnpackedDualTensor(primal, None if e is None else _tan(tensor, e))


def tangent_of(t: Tensor) -> Tensor | None:
    """The tangent of ``t`` (None if none): ``unpack_dual(t).tangent`` without the alias."""
    e = _get(t)
    return None if e is None else _tan(t, e)


def node_jvp(node: Any, tangents: Any, out: Any = None) -> np.ndarray | None:
    """Replay one recorded op (a ``grad_fn`` node) through its JVP rule, on arrays: the
    tangent of its output given ``tangents``, one entry per input (an array, or None for an
    input without a tangent); None when no input has one. ``out`` is the node's output
    (default ``node.output``). The rule is the one ``dual_level`` uses (so a recorded graph
    can be shown in forward mode after the fact: ``viz.ForwardStepper(..., tangents=)``).
    Raises ``NotImplementedError`` for an op without a JVP rule, and for a custom
    ``ag.Function`` (its ``jvp`` runs only inside ``apply``, where ``forward``'s ctx is live)."""
    op = node.op
    rule = getattr(op, "jvp", None)
    if out is None:
        out = node.output
    if out is None or node.inputs is None:
        raise RuntimeError(f"node_jvp: {node}'s output or inputs were freed")
    tv = [None if t is None else np.asarray(getattr(t, "data", t)) for t in tangents]
    if all(t is None for t in tv):
        return None
    o = out._data
    if o.dtype.kind not in "fc":
        return None
    if rule is None:
        raise NotImplementedError(f"{getattr(op, 'name', node)}: no forward-mode AD rule "
                                  "(JVP) for this op, so a tangent cannot pass through it")
    r = _eval(op, rule, tv, o, [x._data for x in node.inputs], node.kwargs or {}, None)
    if r is None:
        return np.zeros(o.shape, dtype=o.dtype)
    r = getattr(r, "data", r)
    return np.asarray(r + np.zeros(o.shape, dtype=o.dtype), dtype=o.dtype)


# ----------------------------------------------------------------------------- the engine
# Called by Op.unary/binary/apply when a dual level is open (``primitive._dual``). The table
# lookups are written out (no helper call): this runs for every op in forward mode.
def unary(op: Any, x: Tensor) -> Tensor:
    saved = _P._dual
    _P._dual = 0
    try:
        out = op.unary(x)
    finally:
        _P._dual = saved
    e = _tangents.get(id(x))
    if e is None or e[0]() is not x:
        return out
    return _propagate(op, (x,), (e,), _NO_KW, out)


def binary(op: Any, a: Any, b: Any, kwargs: dict | None) -> Tensor:
    if not isinstance(a, Tensor):
        a = _P.operand(a, b._data if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = _P.operand(b, a._data)
    saved = _P._dual
    _P._dual = 0
    try:
        out = op.binary(a, b, kwargs)
    finally:
        _P._dual = saved
    ea = _tangents.get(id(a))
    if ea is not None and ea[0]() is not a:
        ea = None
    eb = _tangents.get(id(b))
    if eb is not None and eb[0]() is not b:
        eb = None
    if ea is None and eb is None:
        return out
    return _propagate(op, (a, b), (ea, eb), kwargs or _NO_KW, out)


def apply(op: Any, ts: Any, kwargs: dict) -> Tensor:
    saved = _P._dual
    _P._dual = 0
    try:
        out = op.apply(ts, kwargs)
    finally:
        _P._dual = saved
    es = []
    found = False
    for t in ts:
        e = _tangents.get(id(t))
        if e is not None and e[0]() is t:
            found = True
            es.append(e)
        else:
            es.append(None)
    if not found:
        return out
    return _propagate(op, tuple(ts), es, kwargs, out)


def _zeros(x: Any, batch: int | None) -> np.ndarray:
    shape = x.shape if batch is None else (batch,) + x.shape
    return np.zeros(shape, dtype=x.dtype)


def _eval(op: Any, rule: Any, tv: list, o: Any, xs: Any, kw: dict, batch: int | None) -> Any:
    if rule == "linear":  # linear in all floating inputs jointly: the op on the tangents
        args = [t if t is not None else (_zeros(x, batch) if x.dtype.kind in "fc" else x)
                for t, x in zip(tv, xs)]
        return op.in_rule(*args, **kw)
    if callable(rule):
        return rule(tv, o, *xs, **kw)
    res = None
    # "elementwise" / "vjp": a diagonal or symmetric Jacobian, whose VJP rules are the JVP rules
    for t, r in zip(tv, op.vjps if rule in ("elementwise", "vjp") else rule):
        if t is None or r is None:
            continue
        c = r(t, o, *xs, **kw)
        res = c if res is None else res + c
    return res


def _propagate(op: Any, ins: tuple, es: Any, kw: dict, out: Tensor) -> Tensor:
    o = out._data
    if o.dtype.kind not in "fc":
        return out
    rule = op.jvp
    if rule is None:
        raise NotImplementedError(
            f"{op.name}: no forward-mode AD rule (JVP) for this op yet, so a tangent cannot "
            f"pass through it; declare one with Op(..., jvp=...) (see docs/forward_mode.md)")
    tv = []
    batch = None
    record = False
    for e in es:  # (loops, not any(): this runs for every op in forward mode)
        if e is None:
            tv.append(None)
            continue
        t = e[1]
        if type(t) is not np.ndarray:  # a Tensor (from make_dual, or recorded)
            if t.requires_grad:
                record = True
            t = t._data
        if e[2]:
            batch = t.shape[0]
        tv.append(t)
    if _state.enabled:
        if not record and not _plain[0]:
            for x in ins:
                if x.requires_grad:
                    record = True
                    break
    else:
        record = False
    if record:
        return _propagate_general(op, rule, ins, es, kw, out, batch, True)
    # The common cases, kept short: rules on ndarrays (which never dispatch ops, so the level
    # flag can stay on), no tangent recorded.
    if batch is None:
        if rule == "elementwise":
            r = None
            n = len(ins)
            if kw or n != len(op.vjps):
                n = 0
            if n == 1:  # (the commonest calls, spelled out: no * or ** in the call)
                f = op.vjps[0]
                if f is not None:
                    r = f(tv[0], o, ins[0]._data)
            elif n == 2:
                xa, xb = ins[0]._data, ins[1]._data
                fa, fb = op.vjps
                if tv[0] is not None and fa is not None:
                    r = fa(tv[0], o, xa, xb)
                if tv[1] is not None and fb is not None:
                    c = fb(tv[1], o, xa, xb)
                    r = c if r is None else r + c
            else:
                xs = [x._data for x in ins]
                for t, f in zip(tv, op.vjps):
                    if t is not None and f is not None:
                        c = f(t, o, *xs, **kw)
                        r = c if r is None else r + c
        elif callable(rule):
            r = rule(tv, o, *[x._data for x in ins], **kw)
        else:
            r = _eval(op, rule, tv, o, [x._data for x in ins], kw, None)
        shape = o.shape
    elif rule == "elementwise":  # the batch dim lined up left of the output's dims
        nd1 = o.ndim + 1
        xs = [x._data for x in ins]
        r = None
        for t, e, f in zip(tv, es, op.vjps):
            if t is None or f is None:
                continue
            if e[2] and t.ndim != nd1:
                t = t.reshape((batch,) + (1,) * (nd1 - t.ndim) + t.shape[1:])
            c = f(t, o, *xs, **kw)
            r = c if r is None else r + c
        shape = (batch,) + o.shape
    elif op.jvp_batched is True:  # the rule takes the batch as it is (MatMul, ...)
        r = _eval(op, rule, tv, o, [x._data for x in ins], kw, batch)
        shape = (batch,) + o.shape
    elif rule == "linear" and len(tv) == 1 and op.jvp_batched:
        bt = op.jvp_batched(tv[0], ins[0]._data, **kw)  # the op's own arguments for the batch
        if bt is None:
            return _propagate_general(op, rule, ins, es, kw, out, batch, False)
        r = op.in_rule(bt[0], **bt[1])
        shape = (batch,) + o.shape
    else:
        return _propagate_general(op, rule, ins, es, kw, out, batch, False)
    if r is None:
        r = np.zeros(shape, dtype=o.dtype)
    else:
        if type(r) is not np.ndarray:
            r = np.asarray(r)
        if r.shape != shape:
            r = r + np.zeros(shape, dtype=o.dtype)
        if r.dtype != o.dtype:
            r = r.astype(o.dtype)
    _set(out, r, batch is not None)  # (wrapped when asked for: see _tan)
    return out


def _propagate_general(op: Any, rule: Any, ins: tuple, es: Any, kw: dict, out: Tensor,
                       batch: int | None, record: bool) -> Tensor:
    """The other cases: tangents recorded (``record``: rules on Tensors, differentiable), or a
    batch of tangents through a rule that is not elementwise."""
    tans = [None if e is None else _tan(x, e) for x, e in zip(ins, es)]
    if record:
        xs, o, tv = ins, out, tans
    else:
        xs = [x._data for x in ins]
        o = out._data
        tv = [None if t is None else t._data for t in tans]
    saved, _P._dual = _P._dual, 0
    try:
        bt = None
        if batch is not None and callable(op.jvp_batched) and rule == "linear" \
                and len(tv) == 1:  # the op's own arguments for a batched tangent
            bt = op.jvp_batched(tv[0], xs[0], **kw)
        if bt is not None:
            r = op.in_rule(bt[0], **bt[1])
        elif batch is not None and not (rule == "elementwise" or op.jvp_batched is True):
            parts = [_eval(op, rule, [None if t is None else t[b] if es[i][2] else t
                                      for i, t in enumerate(tv)], o, xs, kw, None)
                     for b in range(batch)]
            if record:
                from autograd_lite.ops import stack
                r = stack([p if isinstance(p, Tensor) else _wrap(np.asarray(p)) for p in parts])
            else:
                r = np.stack(parts)
        else:
            if batch is not None and rule == "elementwise":
                # line a batched tangent's batch dim up left of the output's dims
                nd = out._data.ndim
                tv = [t if t is None or not es[i][2] or t.ndim == nd + 1 else
                      t.reshape((batch,) + (1,) * (nd + 1 - t.ndim) + t.shape[1:])
                      for i, t in enumerate(tv)]
            r = _eval(op, rule, tv, o, xs, kw, batch)
        shape = out.shape if batch is None else (batch,) + out.shape
        if r is None:
            r = np.zeros(shape, dtype=out.dtype)
        elif r.shape != shape:
            r = r + np.zeros(shape, dtype=out.dtype)
    finally:
        _P._dual = saved
    if isinstance(r, Tensor):
        tangent = r
    else:
        r = np.asarray(r)
        tangent = _wrap(r if r.dtype == out.dtype else r.astype(out.dtype))
    _set(out, tangent, batch is not None)
    return out


from autograd_lite import primitive as _P  # noqa: E402  (primitive imports this module last)
from autograd_lite.primitive import Op  # noqa: E402

# make_dual's alias: the identity, recorded so that the dual tensor is differentiable.
MakeDual = Op("MakeDual", lambda x: x, lambda g, out, x: g, reads=(), jvp="linear",
              jvp_batched=True)
