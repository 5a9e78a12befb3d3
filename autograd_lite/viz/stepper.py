"""``BackwardStepper``: backprop one step at a time, for teaching.

The stepper drives [`autograd_lite.backward.iter_backward`][autograd_lite.backward.iter_backward],
the same loop that ``Tensor.backward`` runs; it never computes a gradient itself. At construction it
keeps references to every op's output and input tensors (backward frees them as it goes), so each
step record and each picture can still show them.

A *step* is what the user called: one op, or one call of a library function made of several
ops (``F.linear``, ``F.binary_cross_entropy``; see `group_internals`)
unless ``internals=True``. Each step's [`StepRecord`][autograd_lite.viz.StepRecord] carries its
local rule in symbols and in numbers (`autograd_lite.viz.rules`, from the template written beside
the op's VJP rule), and says when a gradient adds up contributions from several users (fan-out).

The gradients "known" in a picture of step ``k`` are the upstream gradients of the steps
0..k and, for tensors still waiting on some of their users, the sum of what has arrived
(marked *partial*).
"""
from __future__ import annotations

import html
import os
from typing import Any, Iterator, Mapping

import numpy as np

from autograd_lite.backward import iter_backward
from autograd_lite.tensor import Tensor
from autograd_lite.viz.draw import DEFAULT_MAX_NODES, Diagram, walk_nodes
from autograd_lite.viz.emit import _emit
from autograd_lite.viz.model import _build
from autograd_lite.viz.step_draw import FOCUS_MAX_NODES, _focus, _StepPictures
from autograd_lite.viz.step_text import _slip, _StepText
from autograd_lite.viz.steps import Feedback, StepRecord, _arr, _as_tensor, _Unit, build_units

__all__ = ["BackwardStepper", "StepRecord", "Feedback", "FOCUS_MAX_NODES"]


class BackwardStepper(_StepText, _StepPictures):
    """Walk ``root.backward(gradient)`` one step at a time, showing how each number is made.

    ``step()`` processes one step and returns its [`StepRecord`][autograd_lite.viz.StepRecord]
    (``None`` when done); iterating yields the records of the steps not processed yet; ``run()``
    finishes; ``steps`` lists the records so far. A step is one op, or one call of a library
    function (``F.linear``, a loss) unless ``internals=True``. Each record has ``.rule``: the local
    rule of every input in symbols and numbers (shape equations and summed axes for arrays),
    and ``.text`` includes it.

    Pictures: ``draw()`` draws the graph with the current step highlighted and the gradients
    known so far; ``draw(focus=k)`` only the neighbourhood of step ``k`` (its inputs, output
    and one more ring), so the op is always on screen; ``to_html(path)`` writes an offline
    page with one frame per step (prev/next buttons, arrow keys, the step table);
    ``save_frames(dir)`` one SVG per step; ``widget()`` prev/next controls in Jupyter.

    ``quiz=True``: each step hides its numbers until
    [`answer`][autograd_lite.viz.BackwardStepper.answer] gets them right (a wrong answer gets a hint
    from the local rule) or [`reveal`][autograd_lite.viz.BackwardStepper.reveal] shows them.

    When every step has run the leaves' ``.grad`` equal what ``root.backward(gradient)``
    leaves (gradients accumulate into existing ``.grad`` as usual). ``names`` (e.g.
    ``locals()``) labels unnamed tensors, as in [`draw_graph`][autograd_lite.viz.draw_graph].

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
        >>> y = ag.tensor(5.0, requires_grad=True); y.name = "y"
        >>> z = ag.tensor(-4.0, requires_grad=True); z.name = "z"
        >>> q = x + y; q.name = "q"
        >>> f = q * z; f.name = "f"
        >>> s = ag.viz.BackwardStepper(f)
        >>> print(s.step().text)
        0: MulBackward  grad_out=1  -> q: -4, z: 3
        df/dq = z = -4
        df/dz = q = 3
        >>> _ = s.run(); x.grad.item(), y.grad.item(), z.grad.item()
        (-4.0, -4.0, 3.0)
    """

    def __init__(self, root: Tensor, gradient: Any = None, retain_graph: bool = False,
                 max_label_elements: int = 6, names: Mapping[str, Any] | None = None,
                 quiz: bool = False, internals: bool = False) -> None:
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
        self.quiz = quiz
        self.internals = internals
        # keep every output and input tensor alive: backward frees the graph as it goes
        self._outputs = {n: n.output for n in nodes}
        self._outputs[root.grad_fn] = root if root.grad_fn is not None else None
        self._inputs = {n: n.inputs for n in nodes}
        self._kwargs = {n: dict(n.kwargs) for n in nodes}
        self._nodes = nodes
        self._it = iter_backward(root, gradient, retain_graph=retain_graph)
        self._seed = np.ones_like(root.data) if gradient is None else np.asarray(_arr(gradient))
        self._seeded = gradient is None
        self._names = names
        self._model = _build(root, names=names, outputs=self._outputs, inputs=self._inputs,
                             max_nodes=None, collapse=False, cluster_modules=True)
        self._units, self._unit_of = build_units(nodes, self._inputs, internals)
        # uses of every node/leaf (node-level, for "partial" in pictures) and per step
        self._uses: dict = {}
        for n in nodes:
            for p in n.next_functions:
                if p is not None:
                    self._uses[p] = self._uses.get(p, 0) + 1
        self._unit_uses: dict = {}
        for u in self._units:
            for p, _t in u.ext:
                if p is not None:
                    self._unit_uses[p] = self._unit_uses.get(p, 0) + 1
        self._unit_arrived: dict = {}
        self._contribs: list = []  # (key, ndarray or None, unit): what each node sent
        self._final: dict = {}  # node -> (upstream gradient, unit)
        self.steps: list[StepRecord] = []
        self._answered: dict = {}  # step index -> number of questions answered
        self._done = False

    # ------------------------------------------------------------------ stepping
    @property
    def done(self) -> bool:
        """True once the whole backward pass has run."""
        return self._done

    @property
    def num_ops(self) -> int:
        """Number of ops (engine nodes) in the graph."""
        return len(self._nodes)

    @property
    def num_steps(self) -> int:
        """Number of steps of a full pass (ops, with each library call counted once unless
        ``internals=True``)."""
        return len(self._units)

    def step(self) -> StepRecord | None:
        """Process the next step; returns its record, or ``None`` if the pass is over."""
        if self._done:
            return None
        if self.quiz and self.steps and not self.steps[-1].revealed:
            self.reveal()
        while True:
            try:
                s = next(self._it)
            except StopIteration:
                rec = self._flush()
                if rec is None:
                    self._done = True
                return rec
            rec = self._feed(s)
            if rec is not None:
                if len(self.steps) >= len(self._units):
                    self._finish()
                return rec

    def run(self) -> list[StepRecord]:
        """Process all remaining steps; returns every record of the pass (a quiz's steps are
        revealed)."""
        while self.step() is not None:
            pass
        if self.quiz and self.steps and not self.steps[-1].revealed:
            self.reveal()
        return self.steps

    def __iter__(self) -> Iterator[StepRecord]:
        while True:
            rec = self.step()
            if rec is None:
                return
            yield rec

    def _finish(self) -> None:
        # exhaust the engine's generator: it accumulates the leaves' .grad after the final
        # node it yields
        for s in self._it:
            self._feed(s)
        self._done = True

    def _flush(self) -> StepRecord | None:
        """A step whose nodes did not all run (nothing flowed into some): emit it as is."""
        for u in self._units:
            if u.step is None and u.remaining < len(u.nodes):
                return self._emit_unit(u)
        return None

    def _feed(self, s: Any) -> StepRecord | None:
        node, g, gins = s.node, s.grad_output, s.grad_inputs
        u = self._unit_of[node]
        self._final[node] = (_arr(g), u)
        slots = u.slots[node]
        for j, (p, gi) in enumerate(zip(node.next_functions, gins)):
            if p is None:
                continue
            a = None if gi is None else _arr(gi)
            self._contribs.append((p, a, u))
            e = slots[j]
            if e is not None and a is not None:
                prev = u.sums[e]
                u.sums[e] = a.copy() if prev is None else prev + a
        u.remaining -= 1
        if u.remaining == 0:
            return self._emit_unit(u)
        return None

    def _emit_unit(self, u: _Unit) -> StepRecord:
        idx = len(self.steps)
        u.step = idx
        up = self._final.get(u.out, (None, None))[0]
        if up is None:
            up = np.zeros(self._outputs[u.out].shape) if self._outputs.get(u.out) is not None \
                else np.zeros(())
        grads = list(u.sums)  # the node's gradients; for a call, summed over its paths
        out_t = self._outputs.get(u.out)
        rec = StepRecord(idx, u.name, u.out, out_t, _as_tensor(up),
                         tuple(t for _p, t in u.ext), tuple(_as_tensor(a) for a in grads),
                         "", nodes=tuple(u.nodes))
        self._unit_arrivals(u, rec)
        self.steps.append(rec)
        self._write(rec, u, hidden=self.quiz)
        return rec

    # ------------------------------------------------------------------ quiz
    def _questions(self, rec: StepRecord) -> list:
        u = self._unit_of[rec.nodes[0]]
        qs = []
        for e, ((p, t), gi) in enumerate(zip(u.ext, rec.grad_inputs)):
            if p is not None and gi is not None:
                qs.append((e, f"d{self._root_name()}/d{self._name_of(p, t)}"))
        return qs

    @property
    def question(self) -> str | None:
        """What the quiz asks now (``dl/dh = ?``), or ``None``."""
        if not self.steps or self.steps[-1].revealed:
            return None
        rec = self.steps[-1]
        qs = self._questions(rec)
        k = self._answered.get(rec.index, 0)
        if k >= len(qs):
            return None
        return f"{qs[k][1]} = ?"

    def answer(self, value: Any) -> Feedback:
        """Answer the current quiz question (the next unanswered input gradient of the latest
        step). Right: the next question, or the step's numbers once all are answered; wrong:
        a hint from the local rule (the values to put in, a likely slip)."""
        if not self.steps:
            raise RuntimeError("BackwardStepper.answer: call step() first")
        rec = self.steps[-1]
        if rec.revealed:
            return Feedback(True, f"step {rec.index} is already revealed:\n{rec.rule}")
        u = self._unit_of[rec.nodes[0]]
        qs = self._questions(rec)
        k = self._answered.get(rec.index, 0)
        e, lhs = qs[k]
        gi = rec.grad_inputs[e].data
        try:
            a = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=float)
        except (TypeError, ValueError):
            return Feedback(False, f"{lhs}: give a number or an array, got {value!r}", lhs)
        ok = (a.shape == gi.shape or a.size == 1 == gi.size) and \
            bool(np.allclose(a.reshape(gi.shape), gi, rtol=1e-2, atol=1e-6))
        if ok:
            self._answered[rec.index] = k + 1
            msg = f"right: {lhs} = {self._short(gi)}"
            if k + 1 < len(qs):
                msg += f"\nnext: {qs[k + 1][1]} = ?"
            else:
                self._write(rec, u, hidden=False)
                msg += f"\n{rec.rule}"
            return Feedback(True, msg, lhs)
        lines = self._rule_lines(u, rec, e, hidden="hint") or []
        tip = _slip(a, gi, rec)
        msg = f"not quite: {self._short(a)} is not {lhs}.\nuse the local rule: " + \
            "\n".join(lines) + (f"\n{tip}" if tip else "")
        return Feedback(False, msg, lhs)

    def reveal(self) -> StepRecord | None:
        """Show the latest step's numbers (quiz mode); returns its record."""
        if not self.steps:
            return None
        rec = self.steps[-1]
        if not rec.revealed:
            self._write(rec, self._unit_of[rec.nodes[0]], hidden=False)
        return rec

    # ------------------------------------------------------------------ text helpers
    def draw(self, focus: bool | int | None = None, *, step: int | None = None,
             show_data: bool = True, rankdir: str = "LR",
             max_label_elements: int | None = None, cluster_modules: bool = True,
             max_nodes: int | None = DEFAULT_MAX_NODES) -> Diagram:
        """The graph with a step highlighted (its edges labelled with the gradients it sent)
        and every gradient known by then written in.

        Args:
            focus: ``None``/``False``: the whole graph; an int ``k``: only the neighbourhood of
                step ``k`` (its op, inputs and output, and one more ring: at most
                `FOCUS_MAX_NODES` nodes), as of that step; ``True``: of the latest step.
            step: draw the state of the pass after step ``step`` (default: the latest), with
                that step highlighted.
        """
        latest = len(self.steps) - 1 if self.steps else None
        if isinstance(focus, bool) or focus is None:
            k = latest if step is None else step
            highlight = step is not None or focus is True or not self._done
        else:
            k = int(focus)
            highlight = True
        if k is not None and not 0 <= k < len(self.steps):
            raise IndexError(f"BackwardStepper.draw: step {k} has not run yet "
                             f"({len(self.steps)} steps so far)")
        model = self._model_for(cluster_modules)
        overlay = self._overlay(k, highlight and k is not None)
        focused = focus is not None and focus is not False and k is not None
        if focused:
            _focus(model, overlay.current_nodes)
        elif max_nodes is not None:
            from autograd_lite.viz.model import drawn_count
            count = drawn_count(model)
            if count > max_nodes:
                from autograd_lite.viz.draw import _too_big_error
                raise _too_big_error(str(count), max_nodes, False)
        return _emit(model, show_data=show_data, show_grad=True, rankdir=rankdir,
                     max_el=max_label_elements or self.max_label_elements, overlay=overlay)

    # ------------------------------------------------------------------ export
    def save_frames(self, directory: str | os.PathLike, focus: bool | str = "auto",
                    format: str = "svg") -> list:
        """Run the remaining steps and write one picture per step, ``step_000.svg`` ... (the
        DOT text, ``.dot``, when Graphviz's ``dot`` is not installed). ``focus``: the
        neighbourhood of each step (``True``), the whole graph (``False``), or ``"auto"``
        (the neighbourhood for big graphs). Returns the paths written."""
        from autograd_lite.viz.draw import save_graph
        self.run()
        os.makedirs(directory, exist_ok=True)
        return [save_graph(g, os.path.join(os.fspath(directory), f"step_{k:03d}"),
                           format=format) for k, g in enumerate(self._frames(focus))]

    def to_html(self, path: str | os.PathLike, focus: bool | str = "auto",
                title: str = "backward, step by step") -> str:
        """Run the remaining steps and write one self-contained offline HTML page: one frame
        per step (its picture as inline SVG, its rule), prev/next buttons and the arrow keys,
        the step table (click a row to go there). No network. ``#step=k`` in the URL opens
        step ``k``. Needs Graphviz's ``dot`` for the pictures (without it each frame shows
        the DOT text). Returns the path written."""
        from autograd_lite.viz.stepper_html import player_page
        self.run()
        page = player_page(self, self._frames(focus), title)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        return os.fspath(path)

    def widget(self, focus: bool = True) -> Any:
        """Prev/next controls for Jupyter: an ipywidgets box when ipywidgets is installed
        (Next runs the next step), else a plain HTML player of the whole pass."""
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            from autograd_lite.viz.stepper_html import HTMLPlayer
            self.run()
            return HTMLPlayer(self, self._frames(focus))
        from autograd_lite.viz.stepper_html import widget
        return widget(self, focus)

    # ------------------------------------------------------------------ tables
    def table(self) -> str:
        """A plain-text table of the steps so far (the whole pass once done)."""
        rows = [self._HEAD] + self._step_rows()
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

    def table_html(self, data_step: bool = True) -> str:
        """The step table as HTML (rows carry ``data-step`` unless ``data_step=False``)."""
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in self._HEAD)
        body = "".join((f"<tr data-step='{r[0]}'>" if data_step else "<tr>") + "".join(
            f"<td style='text-align:left'>{esc(c)}</td>" for c in r) + "</tr>"
            for r in self._step_rows())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _repr_html_(self) -> str:
        return self.table_html(False) + f"<p>{html.escape(self._status())}</p>"
