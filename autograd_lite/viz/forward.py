"""``ForwardStepper``: the forward pass one op at a time, on the picture the backward uses.

``ForwardStepper(fn, *inputs)`` calls ``fn(*inputs)`` once (recording the graph as usual),
then replays the recorded ops in the order they ran: each step shows the op, its inputs'
values and shapes and the value it produced, and its picture shows the graph as built so
far (ops not run yet are not drawn). `ForwardStepper.backward` continues with a
[`BackwardStepper`][autograd_lite.viz.BackwardStepper] on the same output, so a notebook can show
the forward pass and then the backward pass on the same picture.

Library calls (``F.linear``, a loss) are one step unless ``internals=True``, as in the
backward stepper.

**Forward mode.** ``ForwardStepper(fn, *inputs, tangents={w: 1.0})`` also shows each op's
tangent (its directional derivative along the given input tangents; inputs not listed have
tangent 0): the recorded ops are replayed in order through their JVP rules
(`autograd_lite.forward_ad.node_jvp`, the rules ``ag.dual_level`` runs), each record's
``tangents`` holds its output's tangent, its text reads ``h = ... = 0.24,  dh = dxw + db =
0.3``, and the picture adds a ``dh = 0.3`` line to each tensor computed so far.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from autograd_lite.forward_ad import node_jvp
from autograd_lite.tensor import Tensor
from autograd_lite.viz import style
from autograd_lite.viz.diagram import Diagram
from autograd_lite.viz.emit import _emit, _Overlay
from autograd_lite.viz.grouping import apply_internals, hide_boxed
from autograd_lite.viz.model import _build, walk_nodes
from autograd_lite.viz.overlay import Paint
from autograd_lite.viz.rules import _sub, fmt_value
from autograd_lite.viz.step_draw import _focus
from autograd_lite.viz.steps import build_units

__all__ = ["ForwardStepper", "ForwardRecord"]


@dataclass
class ForwardRecord:
    """One step of the forward pass.

    Attributes:
        index: 0 for the first op that ran.
        op: the op's name, or the library function's (``"linear"``).
        nodes: the recorded nodes of the step.
        inputs: the step's input tensors; ``output``: the tensor it produced.
        text: ``1: linear(x (64, 10), 0.weight (128, 10), 0.bias (128,)) -> linear.out
            (64, 128) = mean ...``.
        tangents: forward mode (``ForwardStepper(..., tangents=...)``): the tangent of the
            output (an ndarray of its shape); ``None`` otherwise.
    """

    index: int
    op: str
    nodes: tuple
    inputs: tuple
    output: Tensor | None
    text: str
    tangents: Any = None

    def __str__(self) -> str:
        return self.text


class ForwardStepper:
    """Step through ``fn(*inputs)`` op by op, with values and shapes (see the module doc).

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
        >>> fs = ag.viz.ForwardStepper(lambda x: x * 3.0 + 1.0, x)
        >>> print(fs.step().text)
        0: Mul(x = -2, 3) -> MulBackward.out = -6
    """

    def __init__(self, fn: Callable[..., Tensor], *inputs: Any, internals: bool = False,
                 names: Mapping[str, Any] | None = None, max_label_elements: int = 6,
                 tangents: Mapping[Tensor, Any] | None = None) -> None:
        out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"ForwardStepper: fn must return a Tensor, got {type(out).__name__}")
        if out.grad_fn is None:
            raise RuntimeError("ForwardStepper: fn recorded no ops (do its inputs require "
                               "grad? call it with tensors made with requires_grad=True)")
        self.fn, self.inputs, self.output = fn, inputs, out
        self.internals = internals
        self.max_label_elements = max_label_elements
        nodes = walk_nodes(out)
        self._nodes = nodes
        self._outputs = {n: n.output for n in nodes}
        self._outputs[out.grad_fn] = out
        self._inputs = {n: n.inputs for n in nodes}
        self._names = names
        self._units, self._unit_of = build_units(nodes, self._inputs, internals)
        self._model = _build(out, names=names, outputs=self._outputs, inputs=self._inputs,
                             max_nodes=None, collapse=False, cluster_modules=True)
        self.steps: list[ForwardRecord] = []
        self._leaf_tan: dict = {}
        self._tan: dict | None = None
        if tangents is not None:
            self._replay(tangents)

    def _replay(self, tangents: Mapping[Tensor, Any]) -> None:
        """Every node's output tangent, the nodes replayed in order through their JVPs."""
        import numpy as np
        for t, v in tangents.items():
            if not isinstance(t, Tensor):
                raise TypeError("ForwardStepper: tangents maps input Tensors to their "
                                f"tangents, got a key of type {type(t).__name__}")
            a = np.asarray(getattr(v, "data", v), dtype=t.dtype)
            try:
                a = np.broadcast_to(a, t.shape).copy()
            except ValueError:
                raise ValueError(f"ForwardStepper: a tangent of shape {a.shape} for an input "
                                 f"of shape {t.shape}") from None
            self._leaf_tan[id(t)] = (t, a)
        self._tan = {}
        for n in self._nodes:
            tv = [self._tangent_of(x) for x in self._inputs[n]]
            self._tan[n] = node_jvp(n, tv, self._outputs.get(n))

    def _tangent_of(self, t: Any) -> Any:
        if t is None:
            return None
        if t.grad_fn is not None and self._tan is not None and t.grad_fn in self._tan:
            return self._tan[t.grad_fn]
        e = self._leaf_tan.get(id(t))
        return e[1] if e is not None and e[0] is t else None

    def _tangent_text(self, u: Any, out: Any) -> tuple:
        """``(tangent array, "dh = dxw + db = 0.3")`` of a step."""
        import numpy as np
        tan = self._tan.get(u.out)
        if tan is None:
            tan = np.zeros(out.shape, dtype=out.dtype) if out is not None else None
        lhs = "d" + self._name(out)
        terms = []
        node = u.out
        ex = node.explain if len(u.nodes) == 1 else None
        ins = self._inputs[node] if len(u.nodes) == 1 else [t for p, t in u.ext]
        dn = [None if self._tangent_of(t) is None else "d" + self._name(t) for t in ins]
        if ex is not None and all(ex.rule(i, len(ins)).kind == "local"
                                  for i, d in enumerate(dn) if d is not None):
            table = {"out": self._name(out)}
            table.update({p: self._name(t) for p, t in zip(ex.input_names(len(ins)), ins)})
            for k, v in (node.kwargs or {}).items():
                table.setdefault(k, fmt_value(v) if not isinstance(v, str) else v)
            for i, d in enumerate(dn):
                if d is None:
                    continue
                loc = _sub(ex.rule(i, len(ins)).text, table)
                terms.append(d if loc == "1" else "-" + d if loc == "-1" else f"{loc} {d}")
            sym = " + ".join(terms).replace("+ -", "- ") if terms else "0"
        elif any(d is not None for d in dn):
            sym = f"J_{u.name} ({', '.join(d for d in dn if d is not None)})"
        else:
            sym = "0"
        val = "None" if tan is None else fmt_value(tan, self.max_label_elements)
        return tan, f"{lhs} = {sym} = {val}" if sym != val else f"{lhs} = {val}"

    @property
    def done(self) -> bool:
        """True once every op has been shown."""
        return len(self.steps) >= len(self._units)

    @property
    def num_steps(self) -> int:
        """Number of steps of the forward pass."""
        return len(self._units)

    def step(self) -> ForwardRecord | None:
        """Show the next op; returns its record, or ``None`` at the end."""
        if self.done:
            return None
        k = len(self.steps)
        u = self._units[k]
        ins = [t for p, t in u.ext if t is not None]
        out = self._outputs.get(u.out)
        args = ", ".join(self._arg(t) for t in ins)
        text = f"{k}: {u.name}({args}) -> {self._name_node(u)} {self._val(out)}"
        tan = None
        if self._tan is not None:
            tan, ttext = self._tangent_text(u, out)
            text += ",  " + ttext
        rec = ForwardRecord(k, u.name, tuple(u.nodes), tuple(ins), out, text, tan)
        self.steps.append(rec)
        return rec

    def run(self) -> list[ForwardRecord]:
        """Show every remaining op; returns all records."""
        while self.step() is not None:
            pass
        return self.steps

    def __iter__(self) -> Iterator[ForwardRecord]:
        while True:
            r = self.step()
            if r is None:
                return
            yield r

    def _item(self, t: Any) -> Any:
        by = self._model.by_key
        if t is None:
            return None
        return by.get(t.grad_fn) if t.grad_fn is not None and t.grad_fn in by else by.get(t)

    def _name(self, t: Any) -> str:
        it = self._item(t)
        if it is not None and it.name:
            return it.name
        if it is not None and it.kind == "constant" and t.size == 1:
            return style.fmt_number(t.data.reshape(()).item())
        if it is not None and it.producer is not None:
            u = self._unit_of.get(it.producer)
            if u is not None and len(u.nodes) > 1 and u.out is it.producer:
                return f"{u.name}.out"
        return self._model.display_name(it) if it is not None else "?"

    def _arg(self, t: Tensor) -> str:
        name, val = self._name(t), self._val(t)
        return name if val == f"= {name}" else f"{name} {val}"

    def _name_node(self, u: Any) -> str:
        return self._name(self._outputs.get(u.out))

    def _val(self, t: Any) -> str:
        if t is None:
            return "(freed)"
        a = t.data
        if a.size <= self.max_label_elements:
            return "= " + style.fmt_array(a, self.max_label_elements).replace("\n", "")
        return f"{tuple(a.shape)} = {style.fmt_array(a, 0)}"

    def draw(self, focus: bool | int | None = None, *, rankdir: str = "LR",
             show_data: bool = True) -> Diagram:
        """The graph built so far (ops not run yet are not drawn), the latest op highlighted.
        ``focus=k`` (or ``True``: the latest) draws only the neighbourhood of step ``k``."""
        k = len(self.steps) - 1 if focus is None or focus is True or focus is False \
            else int(focus)
        model = _build(self.output, names=self._names, outputs=self._outputs,
                       inputs=self._inputs, max_nodes=None, collapse=False,
                       cluster_modules=True)
        if not self.internals:
            apply_internals(model)
            hide_boxed(model)
        ran = {n for u in self._units[:k + 1] for n in u.nodes}
        for o in model.ops:
            if o.node not in ran:
                o.folded = True
                o.output.hidden = True
        ov = _Overlay()
        if k >= 0:
            cur = self._units[k]
            ov.current_nodes = set(cur.nodes)
            ov.done = ran - set(cur.nodes)
            ov.title = f"forward {self.steps[k].text}   (op {k + 1} of {len(self._units)})"
            if focus is not None and focus is not False:
                _focus(model, set(cur.nodes))
        else:
            ov.title = f"forward: {len(self._units)} ops to go"
        paint = None
        if self._tan is not None:  # forward mode: each tensor's tangent, a line of its label
            paint = Paint()
            for it in model.tensors:
                if it.producer is not None:
                    tan = self._tan.get(it.producer) if it.producer in ran else None
                    if tan is None and it.producer in ran:
                        tan = 0.0
                else:
                    tan = self._tangent_of(it.tensor)
                if tan is not None:
                    paint.note[it] = f"d{it.name or model.display_name(it)} = " \
                        f"{fmt_value(tan, 2)}"
        return _emit(model, show_data=show_data, show_grad=False, rankdir=rankdir,
                     max_el=self.max_label_elements, overlay=ov, paint=paint)

    def backward(self, **kwargs: Any) -> Any:
        """A [`BackwardStepper`][autograd_lite.viz.BackwardStepper] on the same output (same
        picture)."""
        from autograd_lite.viz.stepper import BackwardStepper
        kwargs.setdefault("internals", self.internals)
        kwargs.setdefault("names", self._names)
        return BackwardStepper(self.output, **kwargs)

    def to_html(self, path: str | os.PathLike, focus: bool = False,
                title: str = "forward, step by step") -> str:
        """Show every op and write the offline player page (one frame per op)."""
        from autograd_lite.viz.stepper_html import player_page
        self.run()
        frames = [self.draw(focus=k) if focus else self._draw_at(k)
                  for k in range(len(self.steps))]
        page = player_page(self, frames, title)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        return os.fspath(path)

    def _draw_at(self, k: int) -> Diagram:
        saved = self.steps
        self.steps = saved[:k + 1]
        try:
            return self.draw()
        finally:
            self.steps = saved

    def table_html(self) -> str:
        """The steps as an HTML table (rows carry ``data-step``)."""
        import html
        rows = "".join(f"<tr data-step='{r.index}'><td>{html.escape(r.text)}</td></tr>"
                       for r in self.steps)
        return f"<table><thead><tr><th>forward step</th></tr></thead><tbody>{rows}</tbody></table>"
