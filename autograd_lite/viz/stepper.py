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
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from autograd_lite.backward import iter_backward
from autograd_lite.explain import GENERIC, Explain, formula
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.viz import rules as _rules
from autograd_lite.viz import style
from autograd_lite.viz.draw import DEFAULT_MAX_NODES, Diagram, _build, _emit, _Overlay, walk_nodes
from autograd_lite.viz.grouping import OpGroup, apply_internals, group_internals, hide_boxed

__all__ = ["BackwardStepper", "StepRecord", "Feedback", "FOCUS_MAX_NODES"]

#: The focus view draws at most this many nodes (the current op, its inputs and output, and
#: one more ring of ops and, while it fits, their tensors).
FOCUS_MAX_NODES = 15

_OP_GENERIC = Explain(formula("the VJP rule of {name} applied to {g}"))


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
    """One step of the backward pass: one op, or one library call (``internals=False``).

    Attributes:
        index: 0 for the first step (the op that produced the root).
        op: the op's name (``"Mul"``), or the library function's (``"linear"``).
        node: the op's Node (for a library call, the node whose output leaves the call).
        output: the tensor the step produced (kept alive by the stepper).
        grad_output: the upstream gradient d(root)/d(output), shaped like ``output``.
        inputs: the step's input tensors (constants included; for a call, the tensors that
            enter it from outside).
        grad_inputs: the gradient the step sent to each input (``None`` where none); for a
            call, the sum over the paths inside it.
        text: the step in one line (``0: MulBackward  grad_out=1  -> q: -4, z: 3``), then its
            rule lines and fan-out lines.
        rule: the local rule of every input, in symbols and numbers (scalars:
            ``dl/dh = dl/dlambda * lambda (1 - lambda) = -0.2 * 0.8 (1 - 0.8) = -0.2 * 0.16 =
            -0.032``; arrays: the shape equation, summed axes and the values).
        rules: the rule per input (``None`` for inputs that get no gradient).
        nodes: the engine nodes this step ran (one, or the call's).
        fanout: lines for inputs whose gradient adds up several users
            (``x: partial 0.159 + 0.412 = 0.571 (2 of 2 uses: complete)``).
        revealed: ``False`` while a quiz hides this step's numbers.
    """

    index: int
    op: str
    node: Node
    output: Tensor | None
    grad_output: Tensor
    inputs: tuple
    grad_inputs: tuple
    text: str
    rule: str = ""
    rules: tuple = ()
    nodes: tuple = ()
    fanout: tuple = ()
    revealed: bool = True

    def __str__(self) -> str:
        return self.text


@dataclass
class Feedback:
    """What [`BackwardStepper.answer`][autograd_lite.viz.BackwardStepper.answer] says: right or not,
    and why."""

    correct: bool
    message: str
    question: str = ""

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        color = "#1b5e20" if self.correct else "#b00020"
        return f"<pre style='color:{color}'>{html.escape(self.message)}</pre>"


@dataclass(eq=False)
class _Unit:
    """One step to be: a node, or the nodes of one library call."""

    nodes: list
    out: Node
    name: str
    label: str
    explain: Explain
    group: OpGroup | None = None
    ext: list = field(default_factory=list)  # [(key, tensor)] the inputs shown
    slots: dict = field(default_factory=dict)  # node -> [ext index or None] per input
    rule_of: list = field(default_factory=list)  # per ext: (rule index, in_names idx) or None
    role_ins: list = field(default_factory=list)  # per role: ext index or None
    remaining: int = 0
    sums: list = field(default_factory=list)  # per ext: gradient sum (ndarray) or None
    step: int | None = None


def build_units(nodes: list, inputs: Mapping, internals: bool) -> tuple[list, dict]:
    """The steps of a pass over ``nodes`` (topological): one per node, or per library call
    (with ``internals=False``). Returns ``(units, unit_of_node)``; shared with
    `ForwardStepper`."""
    groups = [] if internals else [g for g in group_internals(nodes) if len(g.nodes) >= 2]
    in_group = {n: g for g in groups for n in g.nodes}
    units: list = []
    unit_of: dict = {}
    done_groups: set = set()
    for n in nodes:
        g = in_group.get(n)
        if g is None:
            ins = inputs.get(n) or ()
            u = _Unit([n], n, n.name, str(n), n.explain or _OP_GENERIC)
            u.ext = [(p, ins[j] if j < len(ins) else None)
                     for j, p in enumerate(n.next_functions)]
            u.slots[n] = list(range(len(n.next_functions)))
            u.rule_of = [(j, j) for j in range(len(u.ext))]
            u.role_ins = list(range(len(u.ext)))
            units.append(u)
            unit_of[n] = u
            continue
        if id(g) in done_groups:
            continue
        done_groups.add(id(g))
        u = _group_unit(g, inputs)
        units.append(u)
        for m in g.nodes:
            unit_of[m] = u
    for u in units:
        u.remaining = len(u.nodes)
        u.sums = [None] * len(u.ext)
    return units, unit_of


def _group_unit(g: OpGroup, inputs: Mapping) -> _Unit:
    members = set(g.nodes)
    explain = g.call.explain
    u = _Unit(list(g.nodes), g.output or g.nodes[-1], g.name, f"{g.name} ({len(g.nodes)} ops)",
              explain)
    index: dict = {}
    for n in g.nodes:
        ins = inputs.get(n) or ()
        slots = []
        for j, p in enumerate(n.next_functions):
            if type(p) is Node and p in members:
                slots.append(None)
                continue
            t = ins[j] if j < len(ins) else None
            k = id(t) if t is not None else id(p)
            if k not in index:
                index[k] = len(u.ext)
                u.ext.append((p, t))
            slots.append(index[k])
        u.slots[n] = slots
    if explain is not None and explain.roles:
        u.role_ins = []
        for _role, op_name, pos in explain.roles:
            found = None
            for n in g.nodes:
                s = u.slots[n]
                if n.name == op_name and pos < len(s) and s[pos] is not None:
                    found = s[pos]
                    break
            u.role_ins.append(found)
        u.rule_of = []
        for e in range(len(u.ext)):
            r = u.role_ins.index(e) if e in u.role_ins else None
            u.rule_of.append(None if r is None else (r, r))
    if explain is None or not explain.roles or any(r is None for r in u.rule_of):
        # no template for (some) inputs: the sum over the paths inside the call
        generic = Explain(formula(f"the sum over the paths through the {len(g.nodes)} ops of "
                                  f"{g.name} (internals=True shows each)"))
        if explain is None or not explain.roles:
            u.explain = generic
            u.role_ins = list(range(len(u.ext)))
            u.rule_of = [(e, e) for e in range(len(u.ext))]
        else:
            u._generic = generic  # type: ignore[attr-defined]
    return u


class BackwardStepper:
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

    # ------------------------------------------------------------------ records
    def _item(self, key: Any, tensor: Any) -> Any:
        by = self._model.by_key
        if key is not None and key in by:
            return by[key]
        return by.get(tensor) if tensor is not None else None

    def _name_of(self, key: Any, tensor: Any) -> str:
        it = self._item(key, tensor)
        if it is None:
            return "?"
        if not it.name and it.kind == "constant" and it.tensor is not None and \
                it.tensor.size == 1:
            return style.fmt_number(it.tensor.data.reshape(()).item())  # a number: its value
        u = self._unit_of.get(it.producer) if it.producer is not None else None
        if not it.name and not it.is_root and u is not None and len(u.nodes) > 1 and \
                u.out is it.producer:
            return f"{u.name}.out"  # what a library call returned
        return self._model.display_name(it)

    def _root_name(self) -> str:
        return self._model.root.name or "L"

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

    def _unit_arrivals(self, u: _Unit, rec: StepRecord) -> None:
        lines = []
        for (p, _t), gi in zip(u.ext, rec.grad_inputs):
            if p is None:
                continue
            cnt = self._unit_arrived.get(p, (None, 0))
            prev, n = cnt
            a = None if gi is None else gi.data
            total = prev if a is None else (a.copy() if prev is None else prev + a)
            self._unit_arrived[p] = (total, n + 1)
            if prev is not None and a is not None:
                uses = self._unit_uses.get(p, 0)
                state = "complete" if n + 1 >= uses else f"{uses - n - 1} more to come"
                name = self._name_of(p, _t)
                lines.append(f"{name} is used {uses} times: partial {self._short(prev)} + "
                             f"{self._short(a)} = {self._short(total)} "
                             f"({n + 1} of {uses} arrived: {state})")
        rec.fanout = tuple(lines)

    def _rule_lines(self, u: _Unit, rec: StepRecord, e: int, hidden: bool | str) -> list | None:
        p, t = u.ext[e]
        gi = rec.grad_inputs[e]
        if p is None or gi is None:
            return None
        ro = u.rule_of[e] if e < len(u.rule_of) else None
        explain = u.explain if ro is not None else getattr(u, "_generic", GENERIC)
        ridx = ro[0] if ro is not None else 0
        root = self._root_name()
        out_name = self._name_of(u.out, self._outputs.get(u.out))
        if ro is not None:
            role_ext = u.role_ins
        else:
            role_ext = [e]
            ridx = 0
        in_names = [self._name_of(*u.ext[k]) if k is not None else "?" for k in role_ext]
        ins = [u.ext[k][1] if k is not None else None for k in role_ext]
        kwargs = self._kwargs.get(u.out, {}) if len(u.nodes) == 1 else \
            {"ops": tuple(n.name for n in u.nodes)}
        names, values = _rules.tables(
            explain, ridx, up=f"d{root}/d{out_name}", out_name=out_name, in_names=in_names,
            g=rec.grad_output, out=rec.output, ins=ins, kwargs=kwargs, op_name=u.name)
        seed = (self._seeded and u.out is self.root.grad_fn and rec.grad_output.size == 1)
        lhs = f"d{root}/d{self._name_of(p, t)}"
        lines = _rules.render(explain, ridx, lhs=lhs, names=names, values=values, gi=gi.data,
                              seed=seed, max_el=self.max_label_elements, hidden=hidden)
        note = _note(explain, rec, ins, kwargs)
        if note and not hidden:
            lines.append("  " + note)
        return lines

    def _write(self, rec: StepRecord, u: _Unit, hidden: bool) -> None:
        parts = []
        per = []
        for e, ((p, t), gi) in enumerate(zip(u.ext, rec.grad_inputs)):
            if p is None:
                per.append(None)
                continue
            name = self._name_of(p, t)
            shown = "None" if gi is None else ("?" if hidden else self._short(gi.data))
            parts.append(f"{name}: {shown}")
            lines = self._rule_lines(u, rec, e, hidden)
            per.append(None if lines is None else "\n".join(lines))
        head = (f"{rec.index}: {u.label}  grad_out={self._short(rec.grad_output.data)}  -> "
                + ", ".join(parts))
        rec.rules = tuple(per)
        rec.rule = "\n".join(r for r in per if r)
        rec.revealed = not hidden
        body = [head] + ([rec.rule] if rec.rule else [])
        if not hidden:
            body += list(rec.fanout)
        rec.text = "\n".join(body)

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
    def _short(self, a: np.ndarray) -> str:
        a = np.asarray(a)
        if a.size <= self.max_label_elements:
            return style.fmt_array(a, self.max_label_elements).replace("\n", "")
        return f"{style.fmt_shape(a.shape, a.dtype)}: {style.fmt_array(a, 0)}"

    # ------------------------------------------------------------------ pictures
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
    def _frames(self, focus: bool | str) -> list:
        from autograd_lite.viz.model import drawn_count
        if focus == "auto":
            focus = drawn_count(self._model_for(True)) > 2 * FOCUS_MAX_NODES
        return [self.draw(focus=k) if focus else self.draw(step=k)
                for k in range(len(self.steps))]

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
    def _rows(self) -> list:
        rows = []
        for r in self.steps:
            out_item = self._model.by_key.get(r.node)
            out_name = self._model.display_name(out_item) if out_item else "?"
            head = r.text.split("\n", 1)[0]
            sent = head.split("  -> ", 1)[1] if "  -> " in head else ""
            label = head.split(": ", 1)[1].split("  grad_out=")[0]
            rule = "; ".join(x.split("\n")[0] for x in r.rules if x)
            rows.append((str(r.index), label, out_name, self._short(_arr(r.grad_output)),
                         sent, rule))
        return rows

    _HEAD = ("step", "op", "output", "grad_output", "gradients sent to inputs", "rule")

    def _status(self) -> str:
        if self._done:
            return f"backward done: {len(self.steps)} ops"
        return f"{len(self.steps)} of {len(self._units)} ops done (call .run() to finish)"

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

    def table_html(self, data_step: bool = True) -> str:
        """The step table as HTML (rows carry ``data-step`` unless ``data_step=False``)."""
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in self._HEAD)
        body = "".join((f"<tr data-step='{r[0]}'>" if data_step else "<tr>") + "".join(
            f"<td style='text-align:left'>{esc(c)}</td>" for c in r) + "</tr>"
            for r in self._rows())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _repr_html_(self) -> str:
        return self.table_html(False) + f"<p>{html.escape(self._status())}</p>"


def _note(explain: Explain, rec: StepRecord, ins: list, kwargs: dict) -> str | None:
    from autograd_lite.explain import note_of
    if explain.note is None:
        return None
    out = _arr(rec.output)
    return note_of(explain, out, *[_arr(t) for t in ins], **kwargs)


def _slip(a: np.ndarray, gi: np.ndarray, rec: StepRecord) -> str | None:
    """The likely slip behind a wrong answer."""
    g = _arr(rec.grad_output)
    if a.shape != gi.shape and a.size != 1:
        return (f"the gradient has the shape of the input, {gi.shape}, not {a.shape}")
    with np.errstate(all="ignore"):
        b = np.broadcast_to(a, gi.shape) if a.size == 1 else a
        if np.any(gi != 0) and np.allclose(b, -gi, rtol=1e-2, atol=1e-6):
            return "check the sign"
        if g.shape == gi.shape and np.allclose(b, g, rtol=1e-2, atol=1e-6) and \
                not np.allclose(g, gi, rtol=1e-2, atol=1e-6):
            return ("that is the upstream gradient passed on unchanged: multiply it by the "
                    "local derivative")
    return None


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
