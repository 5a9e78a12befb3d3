"""Reverse mode: iterative topological ordering and the backward loop.

``backward`` (``Tensor.backward``), ``grad`` (``ag.grad``) and ``iter_backward`` (the
step-by-step view used by ``viz.BackwardStepper``) all run the one generator ``_run``:

1. count, without recursion, how many recorded uses each node and leaf has below the roots;
2. start from the roots' gradients; a node is ready when every use of its output has sent
   its gradient; pop it, run its tensor hooks, apply its VJP rules, free its saved values
   (unless ``retain_graph``), and pass each input gradient on (summing where paths meet);
3. a leaf that is ready gets its hooks run and its gradient accumulated into ``.grad``
   (or captured, for ``grad``).

``grad`` runs only the nodes from which one of its inputs can be reached, and stops at an
input (as PyTorch): the rest of the graph is not computed, not freed, and its hooks stay quiet.

With ``create_graph=False`` the VJP rules run with grad mode off, so they record nothing.
"""
from __future__ import annotations

import threading
from sys import getrefcount
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from autograd_lite.anomaly import check_backward, check_roots
from autograd_lite.array_module import as_data, is_foreign
from autograd_lite.grad_mode import _state
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.versions import _clock

__all__ = ["backward", "grad", "iter_backward", "Step"]

_wrap = Tensor._wrap
#: Held while a finished backward writes its gradients into ``.grad``: two threads that
#: backward into a shared leaf both get their gradient added (read-add-write is atomic).
_accumulate_lock = threading.Lock()


class Step(NamedTuple):
    """One processed node: its upstream gradient and the gradients it sent to each input."""

    node: Node
    grad_output: Tensor
    grad_inputs: tuple


def _as_list(x: Any, who: str = "backward", what: str = "tensors") -> list:
    if isinstance(x, Tensor):
        return [x]
    try:
        return list(x)  # any iterable (e.g. model.parameters())
    except TypeError:
        raise TypeError(f"{who}: {what} must be a Tensor or a sequence of Tensors, got "
                        f"{type(x).__name__}") from None


def _root_grads(roots: Sequence[Tensor], grads: Sequence[Any] | None, who: str) -> list:
    out = []
    for i, r in enumerate(roots):
        if not isinstance(r, Tensor):
            raise TypeError(f"{who}: outputs must be Tensors, got {type(r).__name__}")
        if not r.requires_grad:
            raise RuntimeError(f"{who}: element {i} of tensors does not require grad and does "
                               "not have a grad_fn (was it computed under no_grad, or from "
                               "tensors without requires_grad=True?)")
        g = None if grads is None else grads[i]
        if g is None:
            if r._data.size != 1:
                raise RuntimeError(f"{who}: grad can be implicitly created only for scalar "
                                   f"outputs; output {i} has shape {r.shape}: pass gradient= "
                                   "(or grad_outputs=) of that shape")
            g = _wrap(np.ones_like(r._data))
        else:
            if not isinstance(g, Tensor):
                g = _wrap(_copy(g, r._data.dtype) if is_foreign(g) else
                          np.asarray(g, dtype=r._data.dtype))
            if g._data.shape != r._data.shape:
                raise RuntimeError(f"{who}: gradient has shape {g.shape} but output {i} has "
                                   f"shape {r.shape}; they must match")
            if g._data.dtype != r._data.dtype:  # as PyTorch: backward runs in the output's dtype
                g = g.astype(r._data.dtype)
        out.append(g)
    return out


def _dependencies(keys: list) -> dict:
    """Number of recorded uses of every node and leaf reachable from ``keys`` (no recursion)."""
    deps: dict = {}
    roots = {k for k in keys if type(k) is Node}
    stack = list(roots)
    while stack:
        for p in stack.pop().next_functions:
            if p is None:
                continue
            c = deps.get(p)
            if c is None:  # first use seen: walk on from it once
                deps[p] = 1
                if type(p) is Node and p not in roots:
                    stack.append(p)
            else:
                deps[p] = c + 1
    return deps


def _needed(ready: list, deps: dict, targets: Any) -> tuple[set, set]:
    """The nodes and leaves from which some key of ``targets`` is reachable (targets included),
    and those of them whose VJP must run (some input is needed): the part of the graph
    ``ag.grad`` must run. PyTorch runs no more, so the rest of the graph is neither computed
    nor freed, and hooks there do not fire."""
    count = dict(deps)
    order, stack = [], list(ready)
    while stack:  # roots-first (topological) order of the reachable graph, as _run walks it
        k = stack.pop()
        order.append(k)
        if type(k) is Node:
            for p in k.next_functions:
                if p is not None:
                    c = count[p] - 1
                    count[p] = c
                    if c == 0:
                        stack.append(p)
    needed: set = set()
    through: set = set()
    for k in reversed(order):  # inputs before the nodes that use them
        if type(k) is Node and any(p in needed for p in k.next_functions if p is not None):
            through.add(k)
            needed.add(k)
        elif k in targets:
            needed.add(k)
    return needed, through


def _run_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    """Call tensor hooks with the gradient as a Tensor; a returned Tensor replaces it."""
    gt = _as_tensor_grad(g)
    for h in list(hooks):
        r = h(gt)
        if r is not None:
            if not isinstance(r, Tensor) or r.shape != gt.shape:
                raise RuntimeError(f"hook {getattr(h, '__name__', h)} returned "
                                   f"{type(r).__name__} {getattr(r, 'shape', '')}; a hook must "
                                   f"return None or a Tensor of shape {gt.shape}")
            gt = r
    return gt if create_graph else gt._data


def _as_tensor_grad(g: Any) -> Any:
    return g if isinstance(g, Tensor) else _wrap(as_data(g))


def _copy(g: Any, dtype: Any = None) -> Any:
    """``np.array(g, dtype)`` (a copy) for any array module's ``g`` (CuPy: ``g.astype``)."""
    if g.__class__ is not np.ndarray and is_foreign(g):
        return g.astype(g.dtype if dtype is None else dtype, copy=True)
    return np.array(g, dtype=dtype)


def _run(roots: list, grads: list, retain_graph: bool, create_graph: bool,
         capture: dict | None = None, steps: bool = False) -> Iterator[tuple]:
    """The backward loop. With ``steps`` it yields ``(node, grad_output, grad_inputs)`` after
    each node (the stepper); without, a single ``next()`` runs it to the end.

    Without ``create_graph`` gradients travel as plain ndarrays (wrapped into Tensors only for
    hooks, ``.grad`` and captures); with it they are Tensors and every rule is recorded.
    """
    pending: dict = {}
    keys = []
    for r, g in zip(roots, grads):
        k = r.grad_fn or r
        keys.append(k)
        if not create_graph:
            g = g._data
        pending[k] = pending[k] + g if k in pending else g
    deps = _dependencies(keys)
    ready = [k for k in dict.fromkeys(keys) if k not in deps]
    if capture is not None:  # ag.grad: run only the part of the graph that leads to an input
        needed, through = _needed(ready, deps, capture)
        ready = [k for k in ready if k in needed]
        for p in deps:
            if p not in needed:
                deps[p] = -1  # never counts down to 0: not run, hooks not fired, not freed
    anomaly = _state.anomaly
    if anomaly:
        check_roots(roots)
    # (tensor, gradient) pairs for .grad, written only when every node has run: a backward
    # that raises part way (an in-place change found, a hook that fails) changes no .grad.
    updates: list = []
    prev_mode = _state.enabled
    _state.enabled = create_graph
    try:
        while ready:
            k = ready.pop()
            g = pending.pop(k, None)
            if type(k) is not Node:  # a leaf: hooks, then accumulate or capture
                if g is None or not k.requires_grad:  # (no longer, as PyTorch: left alone)
                    continue
                if k._hooks:
                    g = _run_hooks(k._hooks, g, create_graph)
                if capture is not None:
                    if k in capture:
                        capture[k] = _as_tensor_grad(g)
                    continue
                own = True  # whether g is an array no one else holds (then .grad may take it)
                if create_graph:
                    if k.grad is None or g._data.dtype != k._data.dtype:
                        # a tensor of its own (recorded): never the upstream gradient itself,
                        # which another leaf, the caller's `gradient` or a hook may also hold
                        g = g.astype(k._data.dtype)
                elif g.__class__ is not np.ndarray or g.dtype != k._data.dtype:
                    g = _copy(g, k._data.dtype)  # (0-d: an ndarray, not a NumPy scalar)
                else:  # held only here (this frame's g and getrefcount's argument), not a view
                    own = g.base is None and getrefcount(g) == 2 and g.flags.writeable
                updates.append((k, g, own))  # written to .grad once the whole pass succeeded
                continue
            nexts = k.next_functions
            if g is None:  # nothing flowed into this node: just release its inputs
                for p in nexts:
                    if p is not None:
                        c = deps[p] - 1
                        deps[p] = c
                        if c == 0:
                            ready.append(p)
                continue
            if k._hooks or k._retain is not None:
                o = k.output  # hooks and .grad see the gradient in the tensor's dtype
                if o is not None and g.dtype != o._data.dtype:
                    g = g.astype(o._data.dtype)
                if k._hooks:
                    g = _run_hooks(k._hooks, g, create_graph)
                t = k._retain() if k._retain is not None else None
                if t is not None:  # own copy (a recorded one under create_graph)
                    updates.append((t, g.astype(g.dtype) if create_graph else _copy(g), True))
            if capture is not None and k in capture:
                capture[k] = _as_tensor_grad(g)
                if k not in through:  # an input with nothing needed below it: stop here
                    continue
            tick = k._saved_tick
            if k.inputs is None or (tick is not None and _clock[0] != tick):
                grads_in = k.apply(g)  # raises if freed or if a saved input changed in place
            else:  # (Node.apply's checks passed: its VJP directly)
                grads_in = k.op.vjp(k, g)
            if anomaly:
                check_backward(k, grads_in)
            if not retain_graph:
                k.inputs = k.saved = k._out_data = None  # free the saved values
            for p, gi in zip(nexts, grads_in):
                if p is None:
                    continue
                if gi is not None:
                    prev = pending.get(p)
                    pending[p] = gi if prev is None else prev + gi
                c = deps[p] - 1
                deps[p] = c
                if c == 0:
                    ready.append(p)
            if steps:
                _state.enabled = prev_mode
                yield k, g, grads_in
                _state.enabled = create_graph
            gi = grads_in = None  # (a leaf's gradient is then held only where it is pending)
        if updates:
            with _accumulate_lock:
                for t, g, own in updates:  # (a copy unless own, or summed into a new one)
                    if not create_graph:
                        g = _wrap(g if own or t.grad is not None else _copy(g))
                    t.grad = g if t.grad is None else t.grad + g
    finally:
        _state.enabled = prev_mode


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate gradients of ``tensors`` (summed) into the leaves' ``.grad``."""
    roots = _as_list(tensors)
    grads = _root_grads(roots, None if grad_tensors is None else _as_list(grad_tensors),
                        "backward")
    if retain_graph is None:
        retain_graph = create_graph
    for _ in _run(roots, grads, retain_graph, create_graph):
        pass  # without steps=True the generator runs to the end in one next()


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to each of ``inputs``, without touching ``.grad``.

    ``grad_outputs`` gives the vector of the vector-Jacobian product (required for non-scalar
    outputs). Returns a tuple with one Tensor per input (shaped like it), or ``None`` for an
    unused input when ``allow_unused=True``. ``create_graph=True`` makes the result
    differentiable (Hessians, gradient penalties).
    """
    roots = _as_list(outputs, "grad", "outputs")
    ins = _as_list(inputs, "grad", "inputs")
    gos = None
    if grad_outputs is not None:
        gos = ([grad_outputs] if isinstance(grad_outputs, (Tensor, np.ndarray))
               or is_foreign(grad_outputs) else
               _as_list(grad_outputs, "grad", "grad_outputs"))
        if len(gos) != len(roots):
            raise ValueError(f"grad: got {len(gos)} grad_outputs for {len(roots)} outputs")
    grads = _root_grads(roots, gos, "grad")
    capture: dict = {}
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
        capture[t.grad_fn or t] = None
    if retain_graph is None:
        retain_graph = create_graph
    for _ in _run(roots, grads, retain_graph, create_graph, capture):
        pass
    result = []
    for i, t in enumerate(ins):
        g = capture[t.grad_fn or t]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) was not used in the graph "
                               "of the outputs; pass allow_unused=True to get None for it")
        if g is not None and g._data.dtype != t._data.dtype:
            g = g.astype(t._data.dtype)
        result.append(g)
    return tuple(result)


def iter_backward(root: Tensor, gradient: Any = None,
                  retain_graph: bool = False) -> Iterator[Step]:
    """Run ``root.backward(gradient)`` one node at a time, yielding a
    [`Step`][autograd_lite.backward.Step] per node in the order backward processes them (reverse
    topological). Exhausting it leaves exactly the ``.grad`` values ``root.backward()`` would."""
    grads = _root_grads([root], None if gradient is None else [gradient], "backward")
    return (Step(node, _as_tensor_grad(g),
                 tuple(None if gi is None else _as_tensor_grad(gi) for gi in gins))
            for node, g, gins in _run([root], grads, retain_graph, False, steps=True))
