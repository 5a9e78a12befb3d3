"""``draw_graph``: the recorded computation graph as a Graphviz picture.

The graph is read only through the engine's documented introspection surface
(``node.name``, ``str(node)``, ``node.next_functions``, ``node.inputs``, ``node.output``,
``node.scope``, ``node.freed``) and public Tensor attributes, in three passes:

1. walk the nodes reachable from ``root.grad_fn`` without recursion (inputs before users);
2. make one item per tensor and one per op, name parameters from ``named_parameters()`` of the
   outermost module in the nodes' scope paths, and assign everything to module clusters;
3. emit DOT through the ``graphviz`` package (nodes and clusters first, then the edges).

After a ``backward()`` that freed the graph, constants are no longer known (``node.inputs``
is ``None``) and intermediates nobody holds are gone (``node.output`` is ``None``); they are
drawn from what is still known and marked *freed*.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any, Mapping

import graphviz
import numpy as np

from autograd_lite.node import Node
from autograd_lite.tensor import Tensor
from autograd_lite.viz import model as _model
from autograd_lite.viz import style
from autograd_lite.viz.layout import DEFAULT_SIZE

__all__ = ["draw_graph", "save_graph", "walk_nodes", "dot_available", "Diagram",
           "GraphvizNotFoundError", "INSTALL_HINT", "DEFAULT_MAX_NODES"]

#: Beyond this many drawn nodes ``draw_graph`` refuses (``dot`` would take too long and the
#: picture would be unreadable) unless ``collapse_modules=True`` or a larger ``max_nodes``.
DEFAULT_MAX_NODES = 1500

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH, so the graph cannot be rendered to an "
    "image. Install Graphviz:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows/other:  https://graphviz.org/download/ (and add its bin folder to PATH)\n"
    "The DOT text is always available without it: `g.source`, or `g.save('graph.dot')`.")


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` binary and it is not installed (says how to)."""

    def __init__(self, detail: str = "") -> None:
        RuntimeError.__init__(self, INSTALL_HINT + (f"\n({detail})" if detail else ""))


def dot_available() -> bool:
    """True when Graphviz's ``dot`` binary is on PATH (needed to render, not for ``.source``)."""
    return shutil.which("dot") is not None


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering errors say how to install Graphviz.

    Displays inline in Jupyter (SVG); without ``dot`` the notebook shows the install hint and
    the DOT text instead of a traceback.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(str(e)) from None

    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(str(e)) from None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kw: Any) -> dict:
        try:
            bundle = super()._repr_mimebundle_(include, exclude, **kw)
        except GraphvizNotFoundError as e:
            return {"text/plain": f"{e}\n\n{self.source}"}
        svg = bundle.get("image/svg+xml")
        if svg:  # a container that scrolls: big graphs keep readable text
            from autograd_lite.viz.layout import scroll_html
            bundle["text/html"] = scroll_html(svg)
        return bundle

    #: what ``draw_graph`` was called with (``(root, kwargs)``), for `to_html`
    viz_call: tuple | None = None
    #: the stable names of the boxes and folds that can be expanded (``to_html``)
    viz_expandable: dict | None = None


# re-exported for the stepper and older imports
_T, _O, _Model, _Cluster = _model._T, _model._O, _model._Model, _model._Cluster
_build, walk_nodes, _too_big_error = _model._build, _model.walk_nodes, _model._too_big_error


# ============================================================================ emission
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


# ============================================================================ public API
_VIEWS = ("forward", "both")


def draw_graph(root: Tensor, *, show_data: bool = True, show_grad: bool | str = True,
               rankdir: str = "auto", cluster_modules: bool = True, max_label_elements: int = 6,
               depth: int | None = None, fold_repeats: bool = True, internals: bool = False,
               overlay: str | None = None, view: str = "forward",
               size: float | None = DEFAULT_SIZE, collapse_modules: bool | int = False,
               max_nodes: int | None = DEFAULT_MAX_NODES,
               names: Mapping[str, Any] | None = None, legend: bool = True,
               _expand: frozenset = frozenset()) -> Diagram:
    """Draw the graph that produced ``root`` as a ``graphviz.Digraph`` (a
    [`Diagram`][autograd_lite.viz.Diagram]).

    One Graphviz node per tensor (ids ``t0, t1, ...``) and one per op (``op0, ...``, labelled
    ``MulBackward`` with the op symbol), edges in data-flow direction (inputs -> op ->
    output). Tensor labels: the name (parameters by their dotted ``named_parameters`` name,
    e.g. ``0.weight``; else ``tensor.name``; else a key of ``names``), the shape and dtype of
    arrays (scalars stay compact: no shape line; scalar constants show just their value), the
    value (``show_data``) and ``.grad`` (``show_grad``): arrays of at most
    ``max_label_elements`` elements in full, larger ones as mean/min/max. Styles tell
    parameters, inputs that require grad, constants, intermediates and the output apart (the
    legend is the graph label; see `autograd_lite.viz.style`).

    Big graphs stay legible by default: a library call made of several ops (the transpose,
    matmul and add of ``F.linear``; a composed loss) is drawn as the one op the user called
    (``internals=True`` shows its ops), runs of identical consecutive modules are drawn once
    in a ``× N`` frame (``fold_repeats=False`` unfolds them), and ``depth=`` draws deeper
    modules as single boxes.

    Args:
        root: the tensor whose graph to draw (usually the loss).
        show_grad: ``True``: gradients of leaves (and of tensors that retained theirs);
            ``"all"``: also every intermediate gradient kept by `retain_grads`
            (call it before ``backward()``).
        rankdir: ``"auto"`` (top-to-bottom for long chains, left-to-right for short wide
            graphs, whichever fits ``size``), or Graphviz's ``"LR"``, ``"TB"``, ``"RL"``,
            ``"BT"``.
        cluster_modules: group ops run inside an ``nn.Module`` call into ``cluster_*``
            subgraphs labelled ``dotted.name: ClassName``, nested like the module calls
            (from ``node.scope``). One cluster per module: a module called twice (shared
            weights) shows both calls in its cluster. Parameters sit in their module's
            cluster, numbers used inside one module with it; data arrays stay outside.
        depth: draw modules nested deeper than ``depth`` as one box each (with their input
            and output shapes and parameter count): ``0`` the whole model, ``1`` each child
            of the outermost module, ...; ``None`` draws every module's ops.
        fold_repeats: draw 3 or more consecutive identical blocks (same classes, parameter
            shapes and ops, each feeding the next) once, in a frame labelled ``× N``.
        internals: draw the ops inside library calls (``PermuteBackward`` of ``W.T``...).
        overlay: colour nodes by ``"grad_norm"`` (L2 norm of the gradient), ``"abs_grad"``
            (mean absolute gradient), ``"nan"`` (NaN/Inf values red) or ``"saved_bytes"``
            (bytes each op keeps for backward, per-module totals in cluster labels); the
            legend shows the colour bar.
        view: ``"forward"``, or ``"both"``: the forward graph and the backward (VJP) graph
            as two panes, each backward op ``b<id>`` opposite the forward op ``<id>`` it
            differentiates, its edges labelled with the gradients that flow.
        size: the width bound in inches (default ~700 px); wider drawings are scaled down
            to at most `MIN_SCALE` (text stays >= ~9 px) and
            scroll in notebooks. ``None``: natural size.
        collapse_modules: older spelling of ``depth``: ``True`` draws each child of the
            outermost module as one box, an int ``d`` the modules at nesting depth ``d``.
        max_nodes: refuse graphs with more drawn nodes, after grouping and folding
            (ValueError naming the option to use); ``None`` for no limit.
        names: optional mapping name -> Tensor (e.g. ``locals()``) to label unnamed tensors.
        legend: put the colour key in the graph label.

    Returns:
        a [`Diagram`][autograd_lite.viz.Diagram] (a ``graphviz.Digraph``): ``.source`` is the DOT
        text; it shows inline in Jupyter (in a scrolling container), and ``.render(path,
        format="svg")`` / ``.pipe(format="png")`` need Graphviz's ``dot`` (without it they raise
        [`GraphvizNotFoundError`][autograd_lite.viz.GraphvizNotFoundError] saying how to install
        it). `to_html` writes an interactive page.

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
        >>> f = x * 3.0
        >>> "MulBackward" in ag.viz.draw_graph(f).source
        True
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in ("auto", "LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'auto', 'LR', 'RL', 'TB' or 'BT', "
                         f"got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be positive or None, got {max_nodes}")
    if view not in _VIEWS:
        raise ValueError(f"draw_graph: view must be 'forward' or 'both', got {view!r}")
    if show_grad not in (True, False, "all"):
        raise ValueError(f"draw_graph: show_grad must be True, False or 'all', got {show_grad!r}")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"draw_graph: depth must be None or an int >= 0, got {depth!r}")
    from autograd_lite.viz import grouping
    from autograd_lite.viz.layout import fit
    from autograd_lite.viz.overlay import OVERLAYS, compute_paint
    if overlay is not None and overlay not in OVERLAYS:
        raise ValueError(f"draw_graph: overlay must be None or one of {OVERLAYS}, "
                         f"got {overlay!r}")
    walk_limit = None if max_nodes is None else 40 * max_nodes
    try:
        model = _build(root, names=names, outputs=None, inputs=None, max_nodes=None,
                       collapse=False, cluster_modules=cluster_modules, walk_limit=walk_limit)
    except _model._TooBig:
        raise _too_big_error(f"more than {walk_limit}", max_nodes, False) from None
    if not internals:
        grouping.apply_internals(model)
    if cluster_modules and fold_repeats:
        grouping.fold_repeats(model, expand=_expand)
    level = None
    if depth is not None:
        level = depth + 1
    elif collapse_modules:
        level = _model.collapse_level(model, collapse_modules)
    if cluster_modules and level is not None:
        grouping.collapse_depth(model, level, expand=_expand)
    grouping.hide_boxed(model)
    if max_nodes is not None:
        count = _model.drawn_count(model)
        if count > max_nodes:
            raise _too_big_error(str(count), max_nodes, level is not None)
    paint = compute_paint(model, overlay) if overlay is not None else None
    g = _emit(model, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
              max_el=max_label_elements, legend=legend, paint=paint, view=view)
    if view == "both" and rankdir == "auto":
        rankdir = "TB"
    fit(g, g._drawn, g._edges, rankdir, size)
    g.viz_call = (root, dict(show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                             cluster_modules=cluster_modules,
                             max_label_elements=max_label_elements, depth=depth,
                             fold_repeats=fold_repeats, internals=internals, overlay=overlay,
                             view=view, size=size, collapse_modules=collapse_modules,
                             max_nodes=max_nodes, names=names, legend=legend))
    exp = {b.id: b.ext for b in model.boxes.values() if b.kind == "module"}
    exp.update({f.id: f.ext for f in model.folds})
    g.viz_expandable = exp
    return g


def save_graph(root: Tensor | graphviz.Digraph, path_stem: str, format: str = "svg",
               **kwargs: Any) -> str:
    """Write a picture of ``root``'s graph (or of a Digraph) and return the path written.

    With Graphviz's ``dot`` on PATH this writes ``path_stem.<format>`` (``svg``, ``png``,
    ``pdf``); without it, the DOT text to ``path_stem.dot`` (render it later with
    ``dot -Tsvg path_stem.dot -o path_stem.svg``). The suffix of the returned path says
    which happened; [`INSTALL_HINT`][autograd_lite.viz.INSTALL_HINT] says how to install Graphviz.
    ``kwargs`` go to [`draw_graph`][autograd_lite.viz.draw_graph].
    """
    g = root if isinstance(root, graphviz.Digraph) else draw_graph(root, **kwargs)
    stem = str(path_stem)
    if dot_available():
        try:
            data = g.pipe(format=format)
        except graphviz.ExecutableNotFound:
            data = None
        if data is not None:
            path = f"{stem}.{format}"
            with open(path, "wb") as fh:
                fh.write(data)
            return path
    path = f"{stem}.dot"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(g.source)
    return path
