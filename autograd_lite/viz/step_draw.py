"""The pictures of a backward step: the gradients known so far drawn on the graph, the
current step highlighted, and the focus view (only the neighbourhood of one step).

`_StepPictures` is mixed into [`BackwardStepper`][autograd_lite.viz.BackwardStepper]; `_focus`
is shared with `ForwardStepper`.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.viz.emit import _Overlay
from autograd_lite.viz.grouping import apply_internals, hide_boxed
from autograd_lite.viz.model import _build, drawn_count
from autograd_lite.viz.steps import _Unit

__all__ = ["FOCUS_MAX_NODES"]

#: The focus view draws at most this many nodes (the current op, its inputs and output, and
#: one more ring of ops and, while it fits, their tensors).
FOCUS_MAX_NODES = 15


class _StepPictures:
    """Picture helpers of `BackwardStepper` (a mixin: the state is the stepper's)."""

    # the stepper's state read here (set by BackwardStepper.__init__ and its steps)
    root: Tensor
    steps: list
    internals: bool
    _names: Mapping[str, Any] | None
    _outputs: dict  # node -> output tensor (kept alive)
    _inputs: dict  # node -> input tensors (kept alive)
    _model: Any  # the graph model, for names and keys
    _seed: np.ndarray  # the root's gradient
    _units: list
    _unit_of: dict
    _uses: dict  # node/leaf -> number of uses
    _contribs: list  # (key, ndarray or None, unit): what each node sent
    _final: dict  # node -> (upstream gradient, unit)
    _done: bool

    def _overlay(self, k: int | None, highlight: bool) -> _Overlay:
        """Gradients known after step ``k`` (``None``: before any step); step ``k``
        highlighted when ``highlight``."""
        ov = _Overlay()
        cur = self.steps[k] if k is not None else None
        hide_cur = cur is not None and not cur.revealed

        def seen(u: _Unit) -> bool:
            if u.step is None or k is None:
                return False
            return u.step < k or (u.step == k and not hide_cur)

        for node, (g, u) in self._final.items():
            if u.step is not None and k is not None and u.step <= k and g is not None:
                ov.grads[node] = (g, False)
        arrived: dict = {}
        count: dict = {}
        for p, a, u in self._contribs:
            if not seen(u):
                continue
            count[p] = count.get(p, 0) + 1
            if a is not None:
                prev = arrived.get(p)
                arrived[p] = a.copy() if prev is None else prev + a
        for key in self._model.by_key:
            if type(key) is Node and key in ov.grads:
                continue
            if key in arrived:
                ov.grads[key] = (arrived[key], count.get(key, 0) < self._uses.get(key, 0))
        root_key = self.root.grad_fn or self.root
        if root_key not in ov.grads:
            ov.grads[root_key] = (self._seed, False)
        ov.done = {n for u in self._units if u.step is not None and k is not None
                   and u.step <= k for n in u.nodes}
        n_steps = len(self._units)
        if cur is not None and highlight:
            u = self._unit_of[cur.nodes[0]]
            ov.current = cur.node
            ov.current_nodes = set(u.nodes)
            for n in u.nodes:
                for j, e in enumerate(u.slots[n]):
                    if e is None or u.ext[e][0] is None or cur.grad_inputs[e] is None:
                        continue
                    ov.edge_grads[(n, j)] = None if hide_cur else cur.grad_inputs[e].data
            ov.title = f"step {cur.text}   (op {cur.index + 1} of {n_steps})"
        elif self._done and k == len(self.steps) - 1:
            ov.title = f"backward done: {len(self.steps)} ops"
        elif cur is not None:
            ov.title = f"after step {cur.index}   ({cur.index + 1} of {n_steps})"
        else:
            ov.title = f"before backward: {n_steps} steps to go"
        return ov

    def _model_for(self, cluster_modules: bool) -> Any:
        model = _build(self.root, names=self._names, outputs=self._outputs,
                       inputs=self._inputs, max_nodes=None, collapse=False,
                       cluster_modules=cluster_modules)
        if not self.internals:
            apply_internals(model)
            hide_boxed(model)
        return model

    def _frames(self, focus: bool | str) -> list:
        if focus == "auto":
            focus = drawn_count(self._model_for(True)) > 2 * FOCUS_MAX_NODES
        return [self.draw(focus=k) if focus else self.draw(step=k)
                for k in range(len(self.steps))]


def _focus(model: Any, current: set) -> None:
    """Hide everything but the neighbourhood of the op(s) ``current``: the op, its inputs and
    output, the ops one ring further, and (while it fits `FOCUS_MAX_NODES`) their
    tensors."""
    def drawn_id(o: Any) -> str:
        return o.id if o.box is None else model.boxes[o.box].id

    adj: dict = {}

    def link(a: str, b: str) -> None:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)

    start = set()
    for o in model.ops:
        if o.folded:
            continue
        d = drawn_id(o)
        if o.node in current:
            start.add(d)
        for t in o.inputs:
            if t is not None:
                t = model.alias.get(t, t)
                if not t.hidden:
                    link(t.id, d)
        if not o.output.hidden:
            link(d, o.output.id)
    keep = set(start)
    frontier = set(start)
    for ring in range(3):
        nxt = set()
        for a in frontier:
            nxt |= adj.get(a, set())
        nxt -= keep
        if ring >= 1 and len(keep) + len(nxt) > FOCUS_MAX_NODES:
            if ring == 1:  # the ring of ops: as many as fit
                nxt = set(sorted(nxt)[:max(FOCUS_MAX_NODES - len(keep), 0)])
            else:
                break
        keep |= nxt
        frontier = nxt
    for t in model.tensors:
        if t.id not in keep:
            t.hidden = True
    for o in model.ops:
        if drawn_id(o) not in keep:
            o.folded = True
