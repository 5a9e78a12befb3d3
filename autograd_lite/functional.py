"""Derivatives as functions: ``vjp``, ``jvp``, ``jacobian``, ``jacfwd``, ``linearize``,
``hessian``, ``hvp``.

PyTorch's ``torch.autograd.functional`` conventions: a single input gives a Tensor, a tuple of
inputs gives tuples. Reverse mode (VJPs, double backward) and forward mode
(``autograd_lite.forward_ad``: JVPs, with batched tangents so that a full Jacobian takes one
forward pass per input). ``hessian`` and ``hvp`` are forward-over-reverse by default (the JVP of
the gradient; ``mode="rev-rev"``: double backward). ``jacobian`` and ``hessian`` refuse problems
larger than ``max_size`` entries (adjustable).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_lite import forward_ad as _fw
from autograd_lite.backward import _dependencies, _needed, _run_hooks, grad
from autograd_lite.grad_mode import _state, enable_grad
from autograd_lite.node import Node
from autograd_lite.ops import reshape, stack
from autograd_lite.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "jacfwd", "linearize", "hessian", "hvp", "MAX_SIZE"]

#: Default limit on the number of entries of a dense Jacobian/Hessian.
MAX_SIZE = 10_000_000


def _prep(inputs: Any, create_graph: bool) -> tuple[tuple, bool]:
    single = isinstance(inputs, Tensor)
    ins = (inputs,) if single else tuple(inputs)
    out = []
    for i, x in enumerate(ins):
        if not isinstance(x, Tensor):
            raise TypeError(f"inputs must be Tensors, got {type(x).__name__} at position {i}")
        if x.dtype.kind not in "fc":
            raise TypeError(f"input {i} has dtype {x.dtype}; differentiation needs floats")
        t = x if create_graph and x.requires_grad else Tensor._wrap(x._data, True)
        out.append(t)
    return tuple(out), single


def _zeros_if_none(gs: tuple, ins: tuple) -> tuple:
    return tuple(Tensor._wrap(np.zeros_like(x._data)) if g is None else g for g, x in zip(gs, ins))


def _call(func: Callable, ins: tuple) -> Any:
    with enable_grad():
        return func(*ins)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False) -> tuple:
    """``(func(inputs), v^T J)``; ``v`` may be omitted when ``func`` returns one element.

    As PyTorch, ``func`` may return a tuple of Tensors; ``v`` is then a tuple with one vector
    per output (shaped like it) and the result sums their VJPs."""
    ins, single = _prep(inputs, create_graph)
    out = _call(func, ins)
    single_out = isinstance(out, Tensor)
    outs = (out,) if single_out else tuple(out) if isinstance(out, (tuple, list)) else None
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"vjp: func must return a Tensor or a tuple of Tensors, got "
                        f"{type(out).__name__}")
    if v is None:
        vs: tuple = (None,) * len(outs)
    elif single_out:
        vs = (v if isinstance(v, Tensor) else Tensor(v, dtype=out.dtype),)
    else:
        vs = (v,) if isinstance(v, Tensor) else tuple(v)
        if len(vs) != len(outs):
            raise ValueError(f"vjp: func returned {len(outs)} outputs but v has {len(vs)} "
                             "entries; give one vector per output")
        vs = tuple(x if isinstance(x, Tensor) else Tensor(x, dtype=o.dtype)
                   for x, o in zip(vs, outs))
    diff = [(o, x) for o, x in zip(outs, vs) if o.requires_grad]
    if not diff:
        gs: tuple = tuple(None for _ in ins)
    else:
        gs = grad([o for o, _ in diff], ins, grad_outputs=[x for _, x in diff],
                  create_graph=create_graph, allow_unused=True)
    gs = _zeros_if_none(gs, ins)
    if not create_graph:
        outs = tuple(o.detach() for o in outs)
    return outs[0] if single_out else outs, gs[0] if single else gs


def _check_size(op: str, n: int, max_size: int) -> None:
    if n > max_size:
        raise ValueError(f"{op}: the result would have {n:,} entries, above max_size="
                         f"{max_size:,}; pass a larger max_size= if you have the memory")


def _jacobian_rev(func: Callable, inputs: Any, create_graph: bool = False,
                  max_size: int = MAX_SIZE) -> Any:
    """Reverse mode: one VJP per output element."""
    ins, single = _prep(inputs, create_graph)
    out = _call(func, ins)
    single_out = isinstance(out, Tensor)
    outs = (out,) if single_out else tuple(out) if isinstance(out, (tuple, list)) else None
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"jacobian: func must return a Tensor or a tuple of Tensors, got "
                        f"{type(out).__name__}")
    _check_size("jacobian", sum(o.size for o in outs) * sum(x.size for x in ins), max_size)
    result: list = []
    for o in outs:
        rows = []
        for k in range(o.size):
            if not o.requires_grad:
                rows.append(tuple(Tensor._wrap(np.zeros_like(x._data)) for x in ins))
                continue
            e = np.zeros(o.size, dtype=o.dtype)
            e[k] = 1
            gs = grad(o, ins, grad_outputs=Tensor._wrap(e.reshape(o.shape)), retain_graph=True,
                      create_graph=create_graph, allow_unused=True)
            rows.append(_zeros_if_none(gs, ins))
        per_in = []
        for j, x in enumerate(ins):
            if rows:
                J = reshape(stack([r[j] for r in rows]), o.shape + x.shape)
            else:
                J = Tensor._wrap(np.zeros(o.shape + x.shape, dtype=x.dtype))
            per_in.append(J)
        result.append(per_in[0] if single else tuple(per_in))
    return result[0] if single_out else tuple(result)


def _hessian_rev(func: Callable, inputs: Any, create_graph: bool = False,
                 max_size: int = MAX_SIZE) -> Any:
    """Reverse over reverse: the reverse-mode Jacobian of the gradient."""
    ins, single = _prep(inputs, True)
    n = sum(x.size for x in ins)
    _check_size("hessian", n * n, max_size)

    def gradient(*xs: Tensor) -> tuple:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.size != 1:
            raise ValueError(f"hessian: func must return a single-element Tensor, got shape "
                             f"{getattr(out, 'shape', type(out).__name__)}")
        if not out.requires_grad:  # func does not depend on the inputs: H = 0 (as PyTorch)
            return _zeros_if_none((None,) * len(xs), xs)
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        return _zeros_if_none(gs, xs)

    return _jacobian_rev(lambda *xs: gradient(*xs)[0] if single else gradient(*xs),
                         ins[0] if single else ins, create_graph=create_graph,
                         max_size=max_size)


def _hvp_rev(func: Callable, inputs: Any, v: Any, create_graph: bool = False) -> tuple:
    """Reverse over reverse: the VJP of ``<grad, v>`` (double backward)."""
    ins, single = _prep(inputs, True)
    vs = (v,) if single else tuple(v)  # a single input's v may itself be a list of numbers
    if len(vs) != len(ins):
        raise ValueError(f"hvp: got {len(vs)} vectors v for {len(ins)} inputs")
    vs = tuple(x if isinstance(x, Tensor) else Tensor(x, dtype=i.dtype) for x, i in zip(vs, ins))
    for x, i in zip(vs, ins):
        if x.shape != i.shape:
            raise ValueError(f"hvp: v has shape {x.shape} but the input has shape {i.shape}")
    out = _call(func, ins)
    if not isinstance(out, Tensor) or out.size != 1:
        raise ValueError("hvp: func must return a single-element Tensor")
    gs = _zeros_if_none(grad(out, ins, create_graph=True, allow_unused=True)
                        if out.requires_grad else (None,) * len(ins), ins)
    dot = None
    for g, x in zip(gs, vs):
        term = (g * x).sum()
        dot = term if dot is None else dot + term
    if dot is None or not dot.requires_grad:
        hv = tuple(Tensor._wrap(np.zeros_like(x._data)) for x in ins)
    else:
        hv = _zeros_if_none(grad(dot, ins, create_graph=create_graph, allow_unused=True), ins)
    return (out if create_graph else out.detach()), (hv[0] if single else hv)


# ----------------------------------------------------------------------------- forward mode
def _outs(op: str, out: Any) -> tuple:
    single = isinstance(out, Tensor)
    outs = (out,) if single else tuple(out) if isinstance(out, (tuple, list)) else None
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"{op}: func must return a Tensor or a tuple of Tensors, got "
                        f"{type(out).__name__}")
    return outs, single


def _tangents(op: str, v: Any, ins: tuple, single: bool) -> tuple:
    """The tangent(s) for each input (``None``: only for one-element inputs, ones); shapes
    ``x.shape`` or ``(B,) + x.shape`` (B tangents at once), the same B for all inputs."""
    if v is None:
        if any(x.size != 1 for x in ins):
            raise ValueError(f"{op}: v may be omitted only when every input has one element")
        return tuple(Tensor._wrap(np.ones(x.shape, dtype=x.dtype)) for x in ins), None
    vs = (v,) if single else tuple(v)
    if len(vs) != len(ins):
        raise ValueError(f"{op}: got {len(vs)} tangents v for {len(ins)} inputs")
    out, batch = [], set()
    for t, x in zip(vs, ins):
        t = t if isinstance(t, Tensor) else Tensor(t, dtype=x.dtype)
        if t.shape == x.shape:
            batch.add(None)
        elif t.ndim == x.ndim + 1 and t.shape[1:] == x.shape:
            batch.add(t.shape[0])
        else:
            raise ValueError(f"{op}: v has shape {t.shape} but the input has shape {x.shape} "
                             f"(give {x.shape}, or (B,) + {x.shape} for B tangents at once)")
        out.append(t)
    if len(batch) > 1:
        raise ValueError(f"{op}: the tangents disagree on the batch size: "
                         f"{sorted(map(str, batch))}")
    return tuple(out), batch.pop()


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False) -> tuple:
    """``(func(inputs), J v)`` by forward mode (one pass, no graph), as
    ``torch.autograd.functional.jvp``. ``v`` is shaped like the input (a tuple for a tuple of
    inputs); it may be omitted for one-element inputs. **Batched:** a ``v`` of shape
    ``(B,) + input.shape`` pushes B tangents through the same pass and the JVP gets the leading
    B (``v = eye`` gives the Jacobian's columns). ``func`` may return a tuple of Tensors (the
    JVP is then a tuple). ``create_graph=True``: the result is differentiable w.r.t. the inputs
    (and ``v``)."""
    single = isinstance(inputs, Tensor)
    ins = (inputs,) if single else tuple(inputs)
    for i, x in enumerate(ins):
        if not isinstance(x, Tensor):
            raise TypeError(f"jvp: inputs must be Tensors, got {type(x).__name__} at position {i}")
        if x.dtype.kind not in "fc":
            raise TypeError(f"jvp: input {i} has dtype {x.dtype}; differentiation needs floats")
    vs, batch = _tangents("jvp", v, ins, single)
    with _fw.dual_level():
        if create_graph:  # differentiable w.r.t. the inputs: make_dual's recorded alias
            duals = [_fw.make_dual(x, t) for x, t in zip(ins, vs)]
        else:  # new leaves on the inputs' data carry the tangents (checked by _tangents)
            duals = [Tensor._wrap(x._data) for x in ins]
            for d, t in zip(duals, vs):
                _fw.attach(d, t if t._data.dtype == d._data.dtype or t.requires_grad
                           else Tensor._wrap(t._data.astype(d._data.dtype)))
        outs, single_out = _outs("jvp", func(*duals))
        res = []
        for o in outs:
            t = _fw.tangent_of(o)
            shape = o.shape if batch is None else (batch,) + o.shape
            res.append(Tensor._wrap(np.zeros(shape, dtype=o.dtype if o.dtype.kind in "fc"
                                             else np.float64)) if t is None else t)
        prim = [_fw._alias(o) if create_graph else o.detach() for o in outs]
    return (prim[0] if single_out else tuple(prim)), (res[0] if single_out else tuple(res))


def _jacobian_fwd(func: Callable, inputs: Any, create_graph: bool, max_size: int) -> Any:
    """Forward mode: one pass per input with the identity as a batch of tangents."""
    single = isinstance(inputs, Tensor)
    ins, _ = _prep(inputs, create_graph)
    per_in = []  # per input: the outputs' Jacobian blocks
    for j, x in enumerate(ins):
        n = x.size
        eye = Tensor._wrap(np.eye(n, dtype=x.dtype).reshape((n,) + x.shape))
        vs = tuple(eye if k == j else None for k in range(len(ins)))
        with _fw.dual_level():
            duals = [_fw.make_dual(y if create_graph else y.detach(), t) if t is not None
                     else (y if create_graph else y.detach()) for y, t in zip(ins, vs)]
            outs, single_out = _outs("jacobian", func(*duals))
            if j == 0:
                _check_size("jacobian", sum(o.size for o in outs) * sum(y.size for y in ins),
                            max_size)
            blocks = []
            for o in outs:
                t = _fw.tangent_of(o)
                if t is None:
                    blocks.append(Tensor._wrap(np.zeros(o.shape + x.shape, dtype=x.dtype)))
                    continue
                # t[b] = J e_b: (n,) + out.shape -> out.shape + in.shape
                t = t.reshape((n, o.size))
                blocks.append(reshape(t.T, o.shape + x.shape))
        per_in.append(blocks)
    res = [per_in[0][k] if single else tuple(per_in[j][k] for j in range(len(ins)))
           for k in range(len(outs))]
    return res[0] if single_out else tuple(res)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False,
             max_size: int = MAX_SIZE, mode: str = "reverse") -> Any:
    """d func / d inputs with shape ``out.shape + in.shape``. ``mode="reverse"``: one VJP per
    output element (best for few outputs); ``mode="forward"``: one forward pass per input with
    all its tangents batched (best for few inputs; PyTorch's ``strategy="forward-mode"``)."""
    if mode in ("reverse", "reverse-mode", "rev"):
        return _jacobian_rev(func, inputs, create_graph, max_size)
    if mode in ("forward", "forward-mode", "fwd"):
        return _jacobian_fwd(func, inputs, create_graph, max_size)
    raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', got {mode!r}")


def jacfwd(func: Callable, argnums: int | tuple = 0) -> Callable:
    """``torch.func.jacfwd``: a function computing the Jacobian of ``func`` w.r.t. the
    argument(s) ``argnums`` by forward mode (shape ``out.shape + in.shape``; a tuple of them
    for a tuple ``argnums``)."""
    def jac(*args: Any) -> Any:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

        def f(*xs: Tensor) -> Any:
            full = list(args)
            for k, x in zip(nums, xs):
                full[k] = x
            return func(*full)
        xs = tuple(args[k] for k in nums)
        return _jacobian_fwd(f, xs[0] if isinstance(argnums, int) else xs, False, MAX_SIZE)
    return jac


def linearize(func: Callable, *primals: Tensor) -> tuple:
    """``torch.func.linearize`` / ``jax.linearize``: ``(func(*primals), jvp_fn)`` where
    ``jvp_fn(*tangents)`` is the JVP of ``func`` at ``primals`` (batched tangents allowed). It
    re-runs ``func`` in forward mode at the saved primals for each call (no tape is kept)."""
    saved = tuple(p.detach() for p in primals)
    with _fw.dual_level():  # the primal output (and a check that func takes these inputs)
        out = func(*saved)

    def jvp_fn(*tangents: Any) -> Any:
        if len(tangents) != len(saved):
            raise ValueError(f"linearize: jvp_fn takes {len(saved)} tangents, got "
                             f"{len(tangents)}")
        _, t = jvp(func, saved[0] if len(saved) == 1 else saved,
                   tangents[0] if len(saved) == 1 else tangents)
        return t
    return out, jvp_fn


def _grad_carrying_tangents(out: Tensor, xs: tuple) -> list:
    """``grad(out, xs, allow_unused=True)`` for forward over reverse: the VJP rules run on
    Tensors (so the ops they call carry the tangents of a dual level) with grad mode off, so
    that no graph of the backward is recorded (``create_graph=True`` would record one that is
    never used). Runs the part of the graph that leads to ``xs``, with hooks, as ``grad``."""
    root = out.grad_fn or out
    deps = _dependencies([root])
    targets = {x.grad_fn or x: i for i, x in enumerate(xs)}
    needed, through = _needed([root], deps, targets)
    res: list = [None] * len(xs)
    if root not in needed:
        return res
    pending = {root: Tensor._wrap(np.ones_like(out._data))}
    ready = [root]
    prev, _state.enabled = _state.enabled, False
    try:
        while ready:
            k = ready.pop()
            g = pending.pop(k, None)
            if g is not None and k._hooks:
                g = _run_hooks(k._hooks, g, True)
            i = targets.get(k)
            if i is not None and g is not None:
                res[i] = g
            if type(k) is not Node or k not in through:
                continue
            nexts = k.next_functions
            grads_in = k.apply(g) if g is not None else [None] * len(nexts)
            for p, gi in zip(nexts, grads_in):
                if p is None or p not in needed:
                    continue
                if gi is not None:
                    q = pending.get(p)
                    pending[p] = gi if q is None else q + gi
                c = deps[p] - 1
                deps[p] = c
                if c == 0:
                    ready.append(p)
    finally:
        _state.enabled = prev
    return [None if g is None else g if g.dtype == x.dtype else g.astype(x.dtype)
            for g, x in zip(res, xs)]


def _hvp_fwd(func: Callable, ins: tuple, vs: tuple, batch: int | None) -> tuple:
    """Forward over reverse: the tangent (along ``vs``) of the gradient, in one pass; ``vs``
    may be batched (None: no tangent on that input). ``ins`` are fresh leaves (``_prep``):
    they carry the tangents themselves. Returns ``(out, H v per input)``."""
    _fw._plain[0] = True  # tangents are not differentiated w.r.t. the inputs here
    try:
        with _fw.dual_level():
            for x, t in zip(ins, vs):
                if t is not None:
                    _fw.attach(x, t)
            with enable_grad():
                out = func(*ins)
                if not isinstance(out, Tensor) or out.size != 1:
                    raise ValueError("hvp: func must return a single-element Tensor")
                gs = (_grad_carrying_tangents(out, ins) if out.requires_grad
                      else (None,) * len(ins))
            hv = []
            for g, x in zip(gs, ins):
                t = None if g is None else _fw.tangent_of(g)
                shape = x.shape if batch is None else (batch,) + x.shape
                hv.append(Tensor._wrap(np.zeros(shape, dtype=x.dtype)) if t is None
                          else Tensor._wrap(t._data))
            out = Tensor._wrap(out._data)
    finally:
        _fw._plain[0] = False
    return out, tuple(hv)


def hvp(func: Callable, inputs: Any, v: Any, create_graph: bool = False,
        mode: str = "fwd-rev") -> tuple:
    """``(func(inputs), H v)`` for a scalar ``func`` without a dense Hessian.
    ``mode="fwd-rev"`` (default): forward over reverse, the JVP of the gradient along ``v``
    (one pass; ``v`` may carry a leading batch dim for several vectors at once);
    ``mode="rev-rev"``: double backward (``torch.autograd.functional.hvp``'s method). With
    ``create_graph=True``, or when an op on the way has no JVP rule, it uses ``"rev-rev"``."""
    if mode not in ("fwd-rev", "rev-rev"):
        raise ValueError(f"hvp: mode must be 'fwd-rev' or 'rev-rev', got {mode!r}")
    if mode == "fwd-rev" and not create_graph:
        ins, single = _prep(inputs, False)
        vs, batch = _tangents("hvp", v, ins, single)
        try:
            out, hv = _hvp_fwd(func, ins, vs, batch)
            return out, (hv[0] if single else hv)
        except NotImplementedError:  # an op without a JVP: reverse over reverse
            if batch is not None:
                raise
    return _hvp_rev(func, inputs, v, create_graph)


def hessian(func: Callable, inputs: Any, create_graph: bool = False,
            max_size: int = MAX_SIZE, mode: str = "fwd-rev") -> Any:
    """Second derivatives of a scalar ``func``: shape ``in.shape + in.shape`` (a single input),
    or a tuple of tuples ``H[i][j]`` with shape ``in_i.shape + in_j.shape``.
    ``mode="fwd-rev"`` (default): forward over reverse, one pass per input with all tangents
    batched (the identity); ``mode="rev-rev"``: the reverse-mode Jacobian of the gradient (one
    backward per entry of the gradient). With ``create_graph=True``, or when an op has no JVP
    rule, it uses ``"rev-rev"``."""
    if mode not in ("fwd-rev", "rev-rev"):
        raise ValueError(f"hessian: mode must be 'fwd-rev' or 'rev-rev', got {mode!r}")
    if mode == "fwd-rev" and not create_graph:
        ins, single = _prep(inputs, False)
        n = sum(x.size for x in ins)
        _check_size("hessian", n * n, max_size)
        try:
            rows = []
            for j, x in enumerate(ins):  # H[:, j] blocks: tangents e_b on input j only
                m = x.size
                eye = Tensor._wrap(np.eye(m, dtype=x.dtype).reshape((m,) + x.shape))
                _, hv = _hvp_fwd(func, ins, tuple(eye if k == j else None
                                                  for k in range(len(ins))), m)
                # hv[i][b] = d grad_i / d x_j along e_b -> H[i][j]: in_i.shape + in_j.shape
                rows.append([Tensor._wrap(h._data.reshape(m, -1).T.reshape(ins[i].shape
                                                                           + x.shape))
                             for i, h in enumerate(hv)])
            H = tuple(tuple(rows[j][i] for j in range(len(ins))) for i in range(len(ins)))
            return H[0][0] if single else H
        except NotImplementedError:
            pass
    return _hessian_rev(func, inputs, create_graph, max_size)
