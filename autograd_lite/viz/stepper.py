"""``BackwardStepper``: backprop one op at a time, for teaching.

The stepper drives :func:`autograd_lite.backward.iter_backward`, the same loop that
``Tensor.backward`` runs; it never computes a gradient itself. At construction it keeps
references to every op's output and input tensors (backward frees them as it goes), so each
step record and each picture can still show them. The gradients "known so far" in a picture
are the upstream gradients of the ops already processed and, for tensors still waiting on
some of their users, the sum of what has arrived (marked *partial*).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import numpy as np

from autograd_lite.backward import iter_backward
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.viz import style
from autograd_lite.viz.draw import DEFAULT_MAX_NODES, Diagram, _build, _emit, _Overlay, walk_nodes

__all__ = ["BackwardStepper", "StepRecord"]


def _arr(g: Any) -> np.ndarray | None:
    if g is None:
        return None
    return g.data if isinstance(g, Tensor) else np.asarray(g)


def _as_tensor(g: Any) -> Tensor | None:
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor(np.asarray(g))


@dataclass
class StepRecord:
    """One op of the backward pass.

    Attributes:
        index: 0 for the first op processed (the one that produced the root).
        op: the op's name (``node.name``, e.g. ``"Mul"``); ``node`` is the Node itself.
        output: the tensor the op produced (kept alive by the stepper).
        grad_output: the upstream gradient d(root)/d(output), shaped like ``output``.
        inputs: the op's input tensors (constants included).
        grad_inputs: the gradient the op sent to each input (``None`` where none).
        text: one human-readable line, e.g. ``0: MulBackward  grad_out=1  -> x: -4, z: 3``.
    """

    index: int
    op: str
    node: Node
    output: Tensor | None
    grad_output: Tensor
    inputs: tuple
    grad_inputs: tuple
    text: str

    def __str__(self) -> str:
        return self.text


class BackwardStepper:
    """Walk ``root.backward(gradient)`` one op at a time.

    ``step()`` processes one op and returns its :class:`StepRecord` (``None`` when done);
    iterating yields the records of the ops not processed yet; ``run()`` finishes;
    ``steps`` lists the records so far; ``draw()`` pictures the graph with the current op
    highlighted and the gradients known so far; ``table()`` (also ``repr`` and the HTML
    shown by Jupyter) lists the pass. When every op has been processed the leaves' ``.grad``
    equal what ``root.backward(gradient)`` leaves (gradients accumulate into existing
    ``.grad`` as usual). ``names`` (e.g. ``locals()``) labels unnamed tensors, as in
    :func:`~autograd_lite.viz.draw_graph`.

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
        >>> y = ag.tensor(5.0, requires_grad=True); y.name = "y"
        >>> z = ag.tensor(-4.0, requires_grad=True); z.name = "z"
        >>> s = ag.viz.BackwardStepper((x + y) * z)
        >>> print(s.step().text)
        0: MulBackward  grad_out=1  -> AddBackward.out: -4, z: 3
        >>> _ = s.run(); x.grad.item(), y.grad.item(), z.grad.item()
        (-4.0, -4.0, 3.0)
    """

    def __init__(self, root: Tensor, gradient: Any = None, retain_graph: bool = False,
                 max_label_elements: int = 6, names: Mapping[str, Any] | None = None) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"BackwardStepper: root must be a Tensor, got {type(root).__name__}")
        if not root.requires_grad:
            raise RuntimeError("BackwardStepper: the root does not require grad (was it "
                               "computed under no_grad, or from tensors without "
                               "requires_grad=True?)")
        if gradient is None and root.size != 1:
            raise RuntimeError(f"BackwardStepper: grad can be implicitly created only for "
                               f"scalar outputs; the root has shape {root.shape}: pass "
                               "gradient= of that shape")
        if gradient is not None and np.shape(_arr(gradient)) != root.shape:
            raise RuntimeError(f"BackwardStepper: gradient has shape {np.shape(_arr(gradient))} "
                               f"but the root has shape {root.shape}; they must match")
        nodes = walk_nodes(root)
        if any(n.freed for n in nodes):
            raise RuntimeError("BackwardStepper: this graph was already freed by a backward(); "
                               "recompute the forward pass (or call backward(retain_graph=True) "
                               "the first time)")
        self.root = root
        self.max_label_elements = max_label_elements
        # keep every output and input tensor alive: backward frees the graph as it goes
        self._outputs = {n: n.output for n in nodes}
        self._outputs[root.grad_fn] = root if root.grad_fn is not None else None
        self._inputs = {n: n.inputs for n in nodes}
        self._nodes = nodes
        self._it = iter_backward(root, gradient, retain_graph=retain_graph)
        if gradient is None:
            seed = np.ones_like(root.data)
        else:
            seed = np.asarray(_arr(gradient))
        self._seed = seed
        self._names = names
        self._model = _build(root, names=names, outputs=self._outputs, inputs=self._inputs,
                             max_nodes=None, collapse=False, cluster_modules=True)
        # gradient bookkeeping for pictures: uses of every node/leaf, and what arrived
        self._uses: dict = {}
        for n in nodes:
            for p in n.next_functions:
                if p is not None:
                    self._uses[p] = self._uses.get(p, 0) + 1
        self._arrived: dict = {}
        self._arrived_count: dict = {}
        self._final: dict = {}
        self.steps: list[StepRecord] = []
        self._done = False

    # ------------------------------------------------------------------ stepping
    @property
    def done(self) -> bool:
        """True once the whole backward pass has run."""
        return self._done

    @property
    def num_ops(self) -> int:
        """Number of ops in the graph (the number of steps of a full pass)."""
        return len(self._nodes)

    def step(self) -> StepRecord | None:
        """Process the next op; returns its record, or ``None`` if the pass is over."""
        if self._done:
            return None
        try:
            s = next(self._it)
        except StopIteration:
            self._done = True
            return None
        rec = self._record(s)
        if len(self.steps) >= len(self._nodes):
            self._finish()
        return rec

    def run(self) -> list[StepRecord]:
        """Process all remaining ops; returns every record of the pass."""
        while self.step() is not None:
            pass
        return self.steps

    def __iter__(self) -> Iterator[StepRecord]:
        while True:
            rec = self.step()
            if rec is None:
                return
            yield rec

    def _finish(self) -> None:
        # exhaust the engine's generator: it accumulates the last leaves' .grad after the
        # final node it yields
        for s in self._it:
            self._record(s)
        self._done = True

    def _record(self, s: Any) -> StepRecord:
        node, g, gins = s.node, s.grad_output, s.grad_inputs
        ga = _arr(g)
        self._final[node] = ga
        for p, gi in zip(node.next_functions, gins):
            if p is None:
                continue
            self._arrived_count[p] = self._arrived_count.get(p, 0) + 1
            if gi is not None:
                a = _arr(gi)
                prev = self._arrived.get(p)
                self._arrived[p] = a.copy() if prev is None else prev + a
        idx = len(self.steps)
        rec = StepRecord(idx, node.name, node, self._outputs.get(node), _as_tensor(g),
                         tuple(self._inputs.get(node) or ()),
                         tuple(_as_tensor(gi) for gi in gins), self._text(idx, node, ga, gins))
        self.steps.append(rec)
        return rec

    # ------------------------------------------------------------------ text
    def _short(self, a: np.ndarray) -> str:
        if a.size <= self.max_label_elements:
            return style.fmt_array(a, self.max_label_elements).replace("\n", "")
        return f"{style.fmt_shape(a.shape, a.dtype)}: {style.fmt_array(a, 0)}"

    def _input_names(self, node: Node) -> list:
        op = self._model.op_of[node]
        return [None if t is None else self._model.display_name(t) for t in op.inputs]

    def _text(self, idx: int, node: Node, ga: np.ndarray, gins: tuple) -> str:
        parts = []
        for name, p, gi in zip(self._input_names(node), node.next_functions, gins):
            if p is None:
                continue
            parts.append(f"{name}: {'None' if gi is None else self._short(_arr(gi))}")
        return f"{idx}: {node}  grad_out={self._short(ga)}  -> " + ", ".join(parts)

    # ------------------------------------------------------------------ pictures
    def _overlay(self) -> _Overlay:
        ov = _Overlay()
        root_key = self.root.grad_fn or self.root
        for key in self._model.by_key:
            if type(key) is Node and key in self._final:
                ov.grads[key] = (self._final[key], False)
            elif key in self._arrived:
                complete = self._arrived_count.get(key, 0) >= self._uses.get(key, 0)
                ov.grads[key] = (self._arrived[key], not complete)
        if root_key not in ov.grads:
            ov.grads[root_key] = (self._seed, False)
        ov.done = {r.node for r in self.steps}
        if self.steps and not self._done:
            cur = self.steps[-1]
            ov.current = cur.node
            ov.edge_grads = {(cur.node, i): _arr(gi) for i, gi in enumerate(cur.grad_inputs)
                             if gi is not None}
            ov.title = f"step {cur.text}   (op {cur.index + 1} of {len(self._nodes)})"
        elif self._done:
            ov.title = f"backward done: {len(self.steps)} ops"
        else:
            ov.title = f"before backward: {len(self._nodes)} ops to go"
        return ov

    def draw(self, *, show_data: bool = True, rankdir: str = "LR",
             max_label_elements: int | None = None, cluster_modules: bool = True,
             max_nodes: int | None = DEFAULT_MAX_NODES) -> Diagram:
        """The graph with the op of the latest step highlighted (its edges labelled with
        the gradients it sent) and every gradient known so far written in."""
        model = self._model
        if not cluster_modules and model.clusters:
            model = _build(self.root, names=self._names, outputs=self._outputs,
                           inputs=self._inputs,
                           max_nodes=max_nodes, collapse=False, cluster_modules=False)
        elif max_nodes is not None and len(model.tensors) + len(model.ops) > max_nodes:
            from autograd_lite.viz.draw import _too_big_error
            raise _too_big_error(str(len(model.tensors) + len(model.ops)), max_nodes, False)
        return _emit(model, show_data=show_data, show_grad=True, rankdir=rankdir,
                     max_el=max_label_elements or self.max_label_elements,
                     overlay=self._overlay())

    # ------------------------------------------------------------------ tables
    def _rows(self) -> list:
        rows = []
        for r in self.steps:
            out_item = self._model.by_key.get(r.node)
            out_name = self._model.display_name(out_item) if out_item else "?"
            sent = []
            for name, p, gi in zip(self._input_names(r.node), r.node.next_functions,
                                   r.grad_inputs):
                if p is not None:
                    sent.append(f"{name}: {'None' if gi is None else self._short(_arr(gi))}")
            rows.append((str(r.index), str(r.node), out_name, self._short(_arr(r.grad_output)),
                         ", ".join(sent)))
        return rows

    _HEAD = ("step", "op", "output", "grad_output", "gradients sent to inputs")

    def _status(self) -> str:
        if self._done:
            return f"backward done: {len(self.steps)} ops"
        return f"{len(self.steps)} of {len(self._nodes)} ops done (call .run() to finish)"

    def table(self) -> str:
        """A plain-text table of the steps so far (the whole pass once done)."""
        rows = [self._HEAD] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEAD) - 1)]
        lines = []
        for j, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
            if j == 0:
                lines.append("-" * (sum(widths) + 2 * len(widths) + len(self._HEAD[-1])))
        lines.append(self._status())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"BackwardStepper({self._status()})\n{self.table()}"

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in self._HEAD)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{esc(c)}</td>"
                                        for c in r) + "</tr>" for r in self._rows())
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>{esc(self._status())}</p>")
