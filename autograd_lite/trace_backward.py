"""``backward()`` while ``ag.compile`` records: the engine runs as always (node by node, in
its own order), and each node becomes one ``vjp`` entry, each sum where gradient paths meet an
``add`` entry and each leaf's ``.grad`` update a ``leafgrad`` entry (see
``autograd_lite/trace_recorder.py``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import backward as _bw
from autograd_lite.primitive import Op
from autograd_lite.tensor import Tensor
from autograd_lite.trace_recorder import Recorder, current, raw

__all__ = ["traced_backward"]


_rec = current


def traced_backward(orig_backward: Any) -> Any:
    """``backward`` as a recording sees it (``orig_backward`` is the engine's)."""
    def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        rec = _rec()
        if rec is None:
            return orig_backward(tensors, grad_tensors, retain_graph, create_graph)
        if create_graph or retain_graph:
            rec.escape("backward(create_graph=True / retain_graph=True)")
            with rec.inner():
                return orig_backward(tensors, grad_tensors, retain_graph, create_graph)
        with rec.inner():
            roots = _bw._as_list(tensors)
            given = None if grad_tensors is None else _bw._as_list(grad_tensors)
            grads = _bw._root_grads(roots, given, "backward")
        pend: dict = {}
        for i, (r, g) in enumerate(zip(roots, grads)):
            if given is None:
                gs = ("s", rec.new_slot(g))
                rec.entries.append(("ones", raw(r).shape, raw(r).dtype, gs[1]))
            else:
                gi = given[i]
                src = raw(gi) if isinstance(gi, Tensor) else gi
                if raw(g) is not src:
                    rec.escape("backward(gradient=) of another dtype than its output")
                gs = rec.spec(gi)
            k = r.grad_fn or r
            pend[k] = _add(rec, pend[k], gs) if k in pend else gs
        with rec.inner():
            for k, g, grads_in in _bw._run(roots, grads, True, False, steps=True):
                _vjp_entry(rec, k, pend.pop(k), g, grads_in, pend)
                k.inputs = k.saved = k._out_data = None  # freed, as backward does
        for k, gs in pend.items():
            if not isinstance(k, Tensor) or not k.requires_grad:
                continue
            spec = rec.spec_t(k)
            if k._hooks:
                rec.escape("a leaf with a gradient hook")
            if spec[0] == "s" and spec[1] not in rec.input_pos:
                rec.escape("a tensor made inside the function gets a .grad")
            with rec.inner():
                n = rec.new_slot(k.grad)
            rec.entries.append(("leafgrad", spec, gs, n))
            rec.grad_known.add(id(k))
    return backward


def _add(rec: Recorder, a: tuple, b: tuple) -> tuple:
    n = rec.new_slot()
    rec.entries.append(("add", a, b, n))
    return ("s", n)


def _vjp_entry(rec: Recorder, k: Any, gs: tuple, _g: Any, grads_in: Any, pend: dict) -> None:
    """The VJP of node ``k`` (just run by the engine) as one entry, and the gradient sums."""
    op = k.op
    if k._hooks or k._retain is not None:
        rec.escape(f"a hook or retain_grad on the output of {op.name}")
    if type(op).vjp is not Op.vjp:
        rec.escape(f"the backward of {op.name} (a custom Function) cannot be traced")
    xs = [rec.spec_t(t) for t in k.inputs]
    out = rec.spec_a(k._out_data) if op.save_out else None
    needs = tuple(n is not None for n in k.next_functions)
    kw = {key: rec.spec(v) for key, v in k.kwargs.items()}
    outs = [(pos, rec.new_slot()) for pos, (p, gi) in enumerate(zip(k.next_functions, grads_in))
            if p is not None and gi is not None]
    rec.entries.append(("vjp", op, gs, out, xs, needs, kw, outs,
                        [t._data.shape for t in k.inputs], np.shape(_g)))
    for pos, n in outs:  # summed where paths meet, in the engine's order
        p = k.next_functions[pos]
        prev = pend.get(p)
        pend[p] = ("s", n) if prev is None else _add(rec, prev, ("s", n))
