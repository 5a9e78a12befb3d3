"""DOT emission: the graph model (after grouping and folding) as a
[`Diagram`][autograd_lite.viz.Diagram].

`_emit` writes the nodes and module clusters first (tensor, op and box labels from
`autograd_lite.viz.style`, colours of an overlay's paint), then the edges in data-flow
direction, then the legend. `_Overlay` is what a stepper adds to a picture: the gradients known
so far and the current op.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import graphviz
import numpy as np

from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.viz import style
from autograd_lite.viz.diagram import Diagram
from autograd_lite.viz.model import _O, _T, _Model


@dataclass
class _Overlay:
    """What ``BackwardStepper.draw`` adds: gradients known so far and the current op."""

    grads: dict = field(default_factory=dict)  # key (Node/Tensor) -> (array, partial)
    current: Node | None = None
    done: set = field(default_factory=set)  # processed Nodes
    edge_grads: dict = field(default_factory=dict)  # (Node, input index) -> array (None: ?)
    title: str | None = None
    current_nodes: set = field(default_factory=set)  # all nodes of the current step (a call)

    def is_current(self, node: Node) -> bool:
        return node is self.current or node in self.current_nodes


def _backward_ran(model: _Model) -> bool:
    """Whether a backward from the root has run (its graph freed, or leaves have .grad)."""
    r = model.root
    if r.producer is not None and r.producer.freed:
        return True
    leaves = [t for t in model.tensors if t.producer is None and t.tensor is not None
              and t.kind in ("parameter", "input")]
    return bool(leaves) and all(t.tensor.grad is not None for t in leaves)


def _grad_array(t: _T, overlay: _Overlay | None, show_all: bool = False,
                ran: bool = False) -> tuple:
    if overlay is not None:
        g = overlay.grads.get(t.key)
        return (None, False) if g is None else g
    x = t.tensor
    if x is not None and x.grad is not None:
        g = x.grad
        return (g.data if isinstance(g, Tensor) else np.asarray(g)), False
    if show_all and t.producer is not None:
        from autograd_lite.viz.overlay import known_grad
        g = known_grad(t)
        if g is not None:
            return g, False
    if t.is_root and x is not None and x.size == 1 and t.producer is not None and ran:
        return np.ones_like(x.data), False  # a backward() from this scalar root has run
    return None, False


def _tensor_attrs(t: _T, show_data: bool, show_grad: Any, max_el: int,
                  overlay: _Overlay | None, ran: bool = False, paint: Any = None) -> dict:
    kind = "output" if t.is_root else t.kind
    attrs = dict(style.TENSOR_STYLES[kind])
    x = t.tensor
    note = None
    if x is None:
        attrs.update(style.FREED_STYLE)
        note = "freed"
    value = style.fmt_array(x.data, max_el) if (show_data and x is not None) else None
    grad = None
    if show_grad:
        g, partial = _grad_array(t, overlay, show_grad == "all", ran)
        if g is not None:
            grad = style.fmt_array(g, max_el)
            if partial:
                grad = "(partial) " + grad if "\n" not in grad else "(partial)\n" + grad
    if paint is not None and t in paint.note:
        note = paint.note[t] if note is None else f"{note}; {paint.note[t]}"
    if kind == "constant" and x is not None and x.size == 1 and x.ndim == 0 and grad is None \
            and note is None:
        attrs["label"] = style.constant_label(style.fmt_array(x.data, max_el), t.name)
        attrs["margin"] = "0.04,0.02"
    else:
        attrs["label"] = style.tensor_label(t.name, None if x is None else x.shape,
                                            None if x is None else x.dtype, value, grad, note)
    attrs["tooltip"] = kind + (f" {t.name}" if t.name else "")
    attrs["class"] = f"tensor {kind}" + (" freed" if x is None else "")
    _paint(attrs, t, paint)
    return attrs


def _paint(attrs: dict, key: Any, paint: Any) -> None:
    if paint is None:
        return
    if key in paint.fill:
        fill, font = paint.fill[key]
        attrs["fillcolor"] = fill
        attrs["fontcolor"] = font
        if font == "white":  # muted and gradient text stay readable on a dark fill
            attrs["label"] = attrs["label"].replace(f'COLOR="{style.MUTED}"', 'COLOR="#f0f0f0"') \
                .replace(f'COLOR="{style.GRAD_COLOR}"', 'COLOR="#ffe0e0"')
        attrs["class"] += " painted" + (" nan" if fill == _NAN else "")
        if "filled" not in attrs.get("style", ""):
            attrs["style"] = (attrs.get("style", "") + ",filled").lstrip(",")
    if key in paint.tip:
        attrs["tooltip"] = attrs.get("tooltip", "") + f" ({paint.tip[key]})"


def _op_attrs(o: _O, overlay: _Overlay | None, max_el: int, paint: Any = None) -> dict:
    attrs = dict(style.OP_STYLE)
    cls = "op"
    if overlay is not None:
        if overlay.is_current(o.node):
            attrs.update(style.HIGHLIGHT_STYLE)
            cls += " current"
        elif o.node in overlay.done:
            attrs.update(style.DONE_OP_STYLE)
            cls += " done"
    extra = paint.note.get(o) if paint is not None else None
    attrs["label"] = style.op_label(str(o.node), o.node.name, extra)
    attrs["tooltip"] = str(o.node)
    attrs["class"] = cls
    _paint(attrs, o, paint)
    return attrs


def _box_attrs(b: Any, paint: Any = None, overlay: _Overlay | None = None) -> dict:
    extra = paint.note.get(b.key) if paint is not None else None
    if b.kind == "module":
        attrs = dict(style.MODULE_STYLE)
        attrs["label"] = style.module_label(b.label, b.detail, extra)
        attrs["class"] = "module"
    else:
        attrs = dict(style.OP_STYLE)
        attrs["label"] = style.call_label(b.label, b.detail.split(":")[0], extra)
        attrs["class"] = "op call"
        if overlay is not None and any(overlay.is_current(o.node) for o in b.ops):
            attrs.update(style.HIGHLIGHT_STYLE)
            attrs["class"] += " current"
        elif overlay is not None and b.ops and all(o.node in overlay.done for o in b.ops):
            attrs.update(style.DONE_OP_STYLE)
            attrs["class"] += " done"
    attrs["tooltip"] = f"{b.label}: {b.detail}".replace("\n", "; ")
    _paint(attrs, b.key, paint)
    return attrs


_NAN = "#e53935"


def _emit(model: _Model, *, show_data: bool, show_grad: Any, rankdir: str, max_el: int,
          overlay: _Overlay | None = None, legend: bool = True, paint: Any = None,
          view: str = "forward", size: float | None = None) -> Diagram:
    g = Diagram(name="autograd_graph",
                graph_attr={"rankdir": "TB" if rankdir == "auto" else rankdir,
                            "fontname": style.FONT, "fontsize": "11",
                            "nodesep": "0.25", "ranksep": "0.35", "labelloc": "b",
                            "newrank": "true"},
                node_attr={"fontname": style.FONT, "fontsize": "10", "height": "0.3"},
                edge_attr={"color": "#666666", "arrowsize": "0.7", "fontname": style.FONT})
    ran = _backward_ran(model)
    members: dict = {}
    drawn: list = []
    for t in model.tensors:
        if not t.hidden:
            a = _tensor_attrs(t, show_data, show_grad, max_el, overlay, ran, paint)
            members.setdefault(t.cluster, []).append((t.id, a))
            drawn.append((t.id, a))
    for o in model.ops:
        if o.box is None and not o.folded:
            a = _op_attrs(o, overlay, max_el, paint)
            members.setdefault(o.cluster, []).append((o.id, a))
            drawn.append((o.id, a))
    fold_of: dict = {}  # cluster key -> _Fold (first repetition's modules)
    for f in model.folds:
        for k in f.members:
            fold_of[k] = f
    box_fold: dict = {}
    for b in model.boxes.values():
        if all(o.folded for o in b.ops):
            continue
        a = _box_attrs(b, paint, overlay)
        a["id"] = b.id
        drawn.append((b.id, a))
        f = fold_of.get(b.key[1:]) if b.kind == "module" else None
        if f is not None:
            box_fold.setdefault(f.id, []).append((b.id, a))
        else:
            members.setdefault(b.parent, []).append((b.id, a))
    for _, a in drawn:
        a.setdefault("id", _)

    live: set = set()
    for k in members:
        for i in range(1, len(k) + 1):
            live.add(k[:i])
    for f in model.folds:
        for k in f.members:
            for i in range(1, len(k) + 1):
                live.add(k[:i])
    children: dict = {}
    for k in model.clusters:
        if k in live:
            children.setdefault(k[:-1], []).append(k)

    def fill_container(sub: graphviz.Digraph, key: tuple) -> None:
        for nid, attrs in members.get(key, []):
            sub.node(nid, **attrs)
        done: set = set()
        for ch in children.get(key, []):
            f = fold_of.get(ch)
            if f is None:
                emit_cluster(sub, ch)
            elif f.id not in done:
                done.add(f.id)
                with sub.subgraph(name=f.id) as fs:
                    fs.attr(label=f.label, fontname=style.FONT, fontsize="11", labeljust="l",
                            labelloc="t", id=f.id, tooltip=f"{f.count} repetitions",
                            **{k: v for k, v in style.FOLD_STYLE.items()})
                    for nid, attrs in box_fold.get(f.id, []):
                        fs.node(nid, **attrs)
                    for m in f.members:
                        if m in live:
                            emit_cluster(fs, m)

    def emit_cluster(parent: graphviz.Digraph, key: tuple) -> None:
        c = model.clusters[key]
        label, tip = c.label, c.label
        if paint is not None and key in paint.cluster_note:
            note, ctip = paint.cluster_note[key]
            label, tip = f"{c.label}   ({note})", f"{c.label} ({ctip})"
        with parent.subgraph(name=c.id) as sub:
            sub.attr(label=label, style="rounded,filled", color="#8a8aa8",
                     fillcolor=style.CLUSTER_COLORS[(c.depth - 1) % len(style.CLUSTER_COLORS)],
                     fontname=style.FONT, fontsize="10", labeljust="l", labelloc="t",
                     penwidth="1.2", id=c.id, tooltip=tip)
            fill_container(sub, key)

    both = view == "both"
    if both:
        with g.subgraph(name="cluster_forward") as fw:
            fw.attr(label="forward", style="rounded", color="#bbbbbb", fontname=style.FONT,
                    fontsize="12", labelloc="t", id="cluster_forward")
            fill_container(fw, ())
    else:
        fill_container(g, ())

    # ---- edges, data-flow direction: input tensor -> op -> output tensor
    seen: set = set()
    flows: list = []  # (tensor item, producer drawn id or None, consumer drawn id)
    alias = model.alias

    def drawn_id(o: _O) -> str:
        return o.id if o.box is None else model.boxes[o.box].id

    for o in model.ops:
        if o.folded:
            continue
        oid = drawn_id(o)
        for i, t in enumerate(o.inputs):
            if t is None:
                continue
            t = alias.get(t, t)
            if t.hidden:
                continue
            if o.box is not None and t.producer is not None and \
                    model.op_of[t.producer].box == o.box:
                continue
            e = (t.id, oid)
            if overlay is not None and overlay.is_current(o.node) and \
                    (o.node, i) in overlay.edge_grads:
                if e in seen:
                    continue
                seen.add(e)
                gi = overlay.edge_grads[(o.node, i)]
                g.edge(t.id, oid, label=style.fmt_array(gi, max_el).replace("\n", "\\l")
                       if gi is not None else "?", color=style.HIGHLIGHT_STYLE["color"],
                       fontcolor=style.GRAD_COLOR, fontsize="9", penwidth="2", dir="both",
                       arrowtail="empty")
                continue
            if e not in seen:
                seen.add(e)
                if t.kind == "intermediate":  # the data path: keep it straight
                    g.edge(*e, weight="8")
                else:
                    g.edge(*e)
                prod = drawn_id(model.op_of[t.producer]) if t.producer is not None else None
                flows.append((t, prod, oid))
        if not o.output.hidden:
            e = (oid, o.output.id)
            if e not in seen:
                seen.add(e)
                g.edge(*e, weight="8")
    # parameters beside the op that uses them (same rank): module clusters then stack in one
    # column instead of a staircase
    users: dict = {}
    for t, _prod, cons in flows:
        if t.kind == "parameter":
            users.setdefault(t.id, set()).add(cons)
    beside: dict = {}
    for tid, cs in users.items():
        if len(cs) == 1:
            beside.setdefault(next(iter(cs)), []).append(tid)
    for oid, tids in beside.items():
        with g.subgraph() as r:
            r.attr(rank="same")
            r.node(oid)
            for tid in tids:
                r.node(tid)
    if both:
        from autograd_lite.viz.panes import add_backward_pane
        add_backward_pane(g, model, drawn, flows, max_el, ran)

    if legend:
        kinds = []
        present = {("output" if t.is_root else t.kind) for t in model.tensors if not t.hidden}
        for k in ("parameter", "input", "constant", "intermediate", "output"):
            if k in present:
                kinds.append(k)
        if any(o.box is None and not o.folded for o in model.ops):
            kinds.append("op")
        kinds_b = {b.kind for b in model.boxes.values()}
        if "call" in kinds_b:
            kinds.append("call")
        if "module" in kinds_b:
            kinds.append("module")
        if model.folds:
            kinds.append("fold")
        if both:
            kinds.append("vjp")
        if overlay is not None and (overlay.current is not None or overlay.current_nodes):
            kinds.append("current")
        g.attr(label=style.legend_label(kinds, overlay.title if overlay else None,
                                        paint.bar if paint is not None else None,
                                        paint.keys if paint is not None else None))
    elif overlay is not None and overlay.title:
        g.attr(label=overlay.title)
    g._drawn = drawn  # (for fitting)
    g._edges = [(a, b) for a, b in seen]
    return g

