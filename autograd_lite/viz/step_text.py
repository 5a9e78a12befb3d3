"""The text of a backward step: names, one-line summaries, local rules, fan-out, the table.

`_StepText` is mixed into [`BackwardStepper`][autograd_lite.viz.BackwardStepper]; it reads the
stepper's graph model (``_model``), steps (``_unit_of``, ``steps``) and options, and writes each
[`StepRecord`][autograd_lite.viz.StepRecord]'s ``text``, ``rule``, ``rules`` and ``fanout``
(the rules from `autograd_lite.viz.rules`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.explain import GENERIC, Explain
from autograd_lite.tensor import Tensor
from autograd_lite.viz import rules as _rules
from autograd_lite.viz import style
from autograd_lite.viz.steps import StepRecord, _arr, _Unit


class _StepText:
    """Text helpers of `BackwardStepper` (a mixin: the state is the stepper's)."""

    # the stepper's state read here (set by BackwardStepper.__init__ and its steps)
    root: Tensor
    steps: list
    max_label_elements: int
    _model: Any  # the graph model, for names and keys
    _outputs: dict  # node -> output tensor (kept alive)
    _kwargs: dict  # node -> the op's keyword arguments
    _seeded: bool  # the root's gradient is the implicit 1
    _units: list
    _unit_of: dict
    _unit_uses: dict  # node/leaf -> number of steps using it
    _unit_arrived: dict  # node/leaf -> (gradient sum so far, contributions)
    _done: bool

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

    def _short(self, a: np.ndarray) -> str:
        a = np.asarray(a)
        if a.size <= self.max_label_elements:
            return style.fmt_array(a, self.max_label_elements).replace("\n", "")
        return f"{style.fmt_shape(a.shape, a.dtype)}: {style.fmt_array(a, 0)}"

    def _step_rows(self) -> list:
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
