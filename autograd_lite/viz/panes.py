"""``draw_graph(..., view="both")``: the backward (VJP) graph beside the forward graph.

For every drawn forward op ``<id>`` the backward pane has one node ``b<id>`` (class ``vjp``),
kept on the same rank as the op it differentiates and linked to it by a dotted edge (class
``link``). Gradients flow through the pane opposite to the data: for a forward edge
``P -> t -> C`` the pane has ``bC -> bP``, labelled with the gradient of ``t`` when it is
known (``.grad``, retained, or captured by `retain_grads`); every
leaf that requires grad gets a ``grad`` node where its gradient arrives, and the root's seed
(``grad 1``) enters at the bottom. Nothing is recomputed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.viz import style
from autograd_lite.viz.overlay import known_grad

__all__ = ["add_backward_pane"]


def _grad_text(t: Any, max_el: int, ran: bool) -> str | None:
    g = known_grad(t)
    if g is None and t.is_root and t.tensor is not None and t.tensor.size == 1 and ran:
        g = np.ones_like(t.tensor.data)
    return None if g is None else style.fmt_array(g, max_el)


def add_backward_pane(g: Any, model: Any, drawn: list, flows: list, max_el: int,
                      ran: bool) -> None:
    """Add the backward pane to ``g`` (see the module docstring). ``drawn`` lists the
    forward pane's ``(id, attrs)``; ``flows`` its edges ``(tensor, producer id, consumer id)``
    (producer ``None`` for a leaf)."""
    ops = [(nid, a) for nid, a in drawn
           if a.get("class", "").split()[0] in ("op", "module")]
    label_of = {}
    for nid, a in ops:
        first = style.label_text(a["label"]).split("\n")[0]
        plain_op = a["class"].split() == ["op"] or a["class"].startswith("op ") \
            and "call" not in a["class"]
        label_of[nid] = first.split()[-1] if plain_op else f"{first}  VJP"
    leaves: dict = {}
    with g.subgraph(name="cluster_backward") as bw:
        bw.attr(label="backward (VJPs; edges carry the gradient that flows)", style="rounded",
                color="#d9a0a8", fontname=style.FONT, fontsize="12", labelloc="t",
                id="cluster_backward")
        for nid, _ in ops:
            bw.node(f"b{nid}", label=style.lines_label(label_of[nid]), id=f"b{nid}",
                    tooltip=f"VJP of {nid}",
                    **{"class": f"vjp of-{nid}"}, **style.VJP_STYLE)
        for t, prod, _cons in flows:
            if prod is None and t.kind in ("parameter", "input") and t.id not in leaves:
                txt = _grad_text(t, max_el, ran)
                name = t.name or t.kind
                lbl = style.lines_label(f"∂/∂{name}" + (f"\n{txt}" if txt else ""))
                leaves[t.id] = f"g{t.id}"
                bw.node(f"g{t.id}", label=lbl, shape="box", style="rounded,filled",
                        fillcolor="#fff0f0", color=style.GRAD_COLOR, fontcolor=style.GRAD_COLOR,
                        id=f"g{t.id}", tooltip=f"gradient arriving at {t.id}",
                        **{"class": f"leafgrad of-{t.id}"})
        root = model.root
        seed_txt = _grad_text(root, max_el, ran) or "seed"
        bw.node("seed", label=f"grad {seed_txt}" if seed_txt != "seed" else "seed",
                shape="box", style="rounded,filled", fillcolor="#fff0f0",
                color=style.GRAD_COLOR, id="seed", tooltip="the root's gradient (the seed)",
                **{"class": "seed"})
    # same rank as the forward twin
    for nid, _ in ops:
        with g.subgraph() as r:
            r.attr(rank="same")
            r.node(nid)
            r.node(f"b{nid}")
    for tid, gid in leaves.items():
        with g.subgraph() as r:
            r.attr(rank="same")
            r.node(tid)
            r.node(gid)
    if not root.hidden:
        with g.subgraph() as r:
            r.attr(rank="same")
            r.node(root.id)
            r.node("seed")
    for nid, _ in ops:
        g.edge(nid, f"b{nid}", style="dotted", arrowhead="none", color="#c0a0a0",
               constraint="false", **{"class": "link"})
    consumers: dict = {}
    for t, _prod, cons in flows:
        consumers.setdefault(t.id, set()).add(cons)
    # gradients flow against the data: drawn tail-at-producer with dir=back, so the ranks
    # of both panes agree
    seen: set = set()
    for t, prod, cons in flows:
        src = f"b{prod}" if prod is not None else leaves.get(t.id)
        if src is None or (src, cons) in seen:
            continue
        seen.add((src, cons))
        txt = _grad_text(t, max_el, ran)
        if txt is not None and len(consumers[t.id]) > 1:
            txt = f"(sums to) {txt}"
        g.edge(src, f"b{cons}", dir="back", color=style.GRAD_COLOR, fontcolor=style.GRAD_COLOR,
               fontsize="9", label=(txt or f"∂{t.name or 'out'}").replace("\n", "\\l"),
               **{"class": "gradflow"})
    prod_root = None
    for o in model.ops:
        if o.output is root and not o.folded:
            prod_root = o.id if o.box is None else model.boxes[o.box].id
    if prod_root is not None:
        g.edge(f"b{prod_root}", "seed", dir="back", color=style.GRAD_COLOR,
               **{"class": "gradflow"})
