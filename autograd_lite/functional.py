"""Gradients as functions: ``vjp``, ``jacobian``, ``hessian``, ``hvp``.

PyTorch's ``torch.autograd.functional`` conventions: a single input gives a Tensor, a tuple of
inputs gives tuples. Built on reverse mode only (repeated VJPs and double backward).
``jacobian`` and ``hessian`` refuse problems larger than ``max_size`` entries (adjustable).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_lite.backward import grad
from autograd_lite.grad_mode import enable_grad
from autograd_lite.ops import reshape, stack
from autograd_lite.tensor import Tensor

__all__ = ["vjp", "jacobian", "hessian", "hvp", "MAX_SIZE"]

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
        t = x if create_graph and x.requires_grad else Tensor._wrap(x.data, True)
        out.append(t)
    return tuple(out), single


def _zeros_if_none(gs: tuple, ins: tuple) -> tuple:
    return tuple(Tensor._wrap(np.zeros_like(x.data)) if g is None else g for g, x in zip(gs, ins))


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


def jacobian(func: Callable, inputs: Any, create_graph: bool = False,
             max_size: int = MAX_SIZE) -> Any:
    """d func / d inputs with shape ``out.shape + in.shape`` (one VJP per output element)."""
    ins, single = _prep(inputs, create_graph)
    out = _call(func, ins)
    single_out = isinstance(out, Tensor)
    outs = (out,) if single_out else tuple(out) if isinstance(out, (tuple, list)) else None
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"jacobian: func must return a Tensor or a tuple of Tensors, got "
                        f"{type(out).__name__}")
    _check_size("jacobian", sum(o.size for o in outs) * sum(x.size for x in ins), max_size)
    result = []
    for o in outs:
        rows = []
        for k in range(o.size):
            if not o.requires_grad:
                rows.append(tuple(Tensor._wrap(np.zeros_like(x.data)) for x in ins))
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


def hessian(func: Callable, inputs: Any, create_graph: bool = False,
            max_size: int = MAX_SIZE) -> Any:
    """Second derivatives of a scalar ``func``: shape ``in.shape + in.shape`` (a single input),
    or a tuple of tuples ``H[i][j]`` with shape ``in_i.shape + in_j.shape``."""
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

    return jacobian(lambda *xs: gradient(*xs)[0] if single else gradient(*xs),
                    ins[0] if single else ins, create_graph=create_graph, max_size=max_size)


def hvp(func: Callable, inputs: Any, v: Any, create_graph: bool = False) -> tuple:
    """``(func(inputs), H v)`` for a scalar ``func`` by double backward (no dense Hessian)."""
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
        hv = tuple(Tensor._wrap(np.zeros_like(x.data)) for x in ins)
    else:
        hv = _zeros_if_none(grad(dot, ins, create_graph=create_graph, allow_unused=True), ins)
    return (out if create_graph else out.detach()), (hv[0] if single else hv)
