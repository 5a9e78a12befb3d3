"""The step model of the steppers: what one step is, and what it records.

A step (`_Unit`) is one engine node, or the nodes of one library call (``F.linear``, a loss;
see `group_internals`) unless ``internals=True``; `build_units` makes them for
[`BackwardStepper`][autograd_lite.viz.BackwardStepper] and `ForwardStepper`. Each backward step
yields a [`StepRecord`][autograd_lite.viz.StepRecord]; a quiz answer gets a `Feedback`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from autograd_lite.explain import Explain, formula
from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.viz.grouping import OpGroup, group_internals

__all__ = ["StepRecord", "Feedback", "build_units"]

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
