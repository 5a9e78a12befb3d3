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
from autograd_lite.scope import module_path
from autograd_lite.tensor import Tensor
from autograd_lite.viz import style

__all__ = ["draw_graph", "save_graph", "dot_available", "Diagram", "GraphvizNotFoundError",
           "INSTALL_HINT", "DEFAULT_MAX_NODES"]

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
            return super()._repr_mimebundle_(include, exclude, **kw)
        except GraphvizNotFoundError as e:
            return {"text/plain": f"{e}\n\n{self.source}"}


# ============================================================================ graph model
@dataclass(eq=False)
class _T:
    """A tensor to draw. ``key`` is its producing Node (non-leaf) or the Tensor (leaf)."""

    id: str
    kind: str  # parameter | input | constant | intermediate
    key: Any
    tensor: Tensor | None
    producer: Node | None = None
    name: str | None = None
    is_root: bool = False
    cluster: tuple = ()
    consumers: list = field(default_factory=list)  # _O items using it (with multiplicity)
    hidden: bool = False


@dataclass(eq=False)
class _O:
    """An op to draw (one recorded Node)."""

    id: str
    node: Node
    inputs: list  # per input: _T, or None for a constant no longer known
    output: _T
    cluster: tuple = ()
    box: tuple | None = None  # collapsed module key, when collapse_modules=True


@dataclass(eq=False)
class _Cluster:
    id: str
    key: tuple
    label: str
    module: Any
    depth: int


@dataclass(eq=False)
class _Model:
    tensors: list
    ops: list
    root: _T
    clusters: dict  # key -> _Cluster
    by_key: dict  # Node/Tensor -> _T
    op_of: dict  # Node -> _O
    boxes: dict = field(default_factory=dict)  # key -> (_Cluster, detail text)

    def display_name(self, t: _T) -> str:
        """A short name for text output: the tensor's name, or ``AddBackward.out`` etc."""
        if t.name:
            return t.name
        if t.is_root:
            return "output"
        if t.producer is not None:
            return f"{t.producer}.out"
        shape = "" if t.tensor is None or t.tensor.shape == () else str(t.tensor.shape)
        return ("const" if t.kind == "constant" else t.kind) + shape


class _TooBig(Exception):
    pass


def _too_big_error(count: str, max_nodes: int, collapse: bool) -> ValueError:
    hint = ("raise max_nodes (max_nodes=None for no limit), or draw a smaller graph"
            if collapse else
            "pass collapse_modules=True to draw each module as one box, raise max_nodes "
            "(max_nodes=None for no limit; Graphviz then needs a while to lay it out), or draw "
            "a smaller graph (e.g. the loss of a small batch)")
    return ValueError(f"draw_graph: the graph has {count} nodes to draw (the limit is "
                      f"max_nodes={max_nodes}); the picture would be unreadable and Graphviz "
                      f"would take a long time to lay it out. To draw it anyway, {hint}.")


def walk_nodes(root: Tensor, limit: int | None = None) -> list:
    """Nodes reachable from ``root.grad_fn``, each after all the nodes it reads from
    (topological order, inputs first). Iterative; stops early when more than ``limit``."""
    start = root.grad_fn
    if start is None:
        return []
    order = []
    seen = {start}
    stack = [(start, iter(start.next_functions))]
    while stack:
        n, it = stack[-1]
        for p in it:
            if type(p) is Node and p not in seen:
                seen.add(p)
                if limit is not None and len(seen) > limit:
                    raise _TooBig
                stack.append((p, iter(p.next_functions)))
                break
        else:
            stack.pop()
            order.append(n)
    return order


def _module_names(mod: Any) -> dict:
    """``id(module) -> dotted name`` below ``mod`` (``mod`` itself is ``""``)."""
    out: dict = {}
    for n, m in _iter_named_modules(mod):
        out.setdefault(id(m), n)
    out.setdefault(id(mod), "")
    return out


def _named_parameters(mod: Any) -> list:
    f = getattr(mod, "named_parameters", None)
    if not callable(f):
        return []
    try:
        return [(n, p) for n, p in f() if isinstance(p, Tensor)]
    except Exception:  # noqa: BLE001
        return []


def _class_name(m: Any) -> str:
    return type(m).__name__


def _build(root: Tensor, *, names: Mapping[str, Any] | None, outputs: Mapping | None,
           inputs: Mapping | None, max_nodes: int | None, collapse: bool | int,
           cluster_modules: bool) -> _Model:
    limit = None if (max_nodes is None or collapse) else max_nodes // 2
    try:
        nodes = walk_nodes(root, limit)
    except _TooBig:
        raise _too_big_error(f"more than {max_nodes}", max_nodes, bool(collapse)) from None

    # ---- module naming (outermost module of every scope path)
    roots: dict = {}  # id(root module) -> module
    for n in nodes:  # (parameter names are wanted even without clusters)
        s = module_path(n.scope)
        if s:
            roots.setdefault(id(s[0]), s[0])
    mod_names = {rid: _module_names(m) for rid, m in roots.items()}
    param_name: dict = {}  # id(param) -> dotted name
    param_owner: dict = {}  # id(param) -> owner module
    with_params = [m for m in roots.values() if _named_parameters(m)]
    for m in with_params:
        by_name = {}
        for mm_name, mm in _iter_named_modules(m):
            by_name[mm_name] = mm
        prefix = f"{_class_name(m)}." if len(with_params) > 1 else ""
        for pname, p in _named_parameters(m):
            if id(p) in param_name:
                continue
            param_name[id(p)] = prefix + pname
            owner_name = pname.rsplit(".", 1)[0] if "." in pname else ""
            param_owner[id(p)] = by_name.get(owner_name, m)
    user_names: dict = {}
    if names:
        for k, v in names.items():
            if isinstance(v, Tensor) and not str(k).startswith("_"):
                user_names.setdefault(id(v), str(k))

    # ---- items
    tensors: list = []
    ops: list = []
    by_key: dict = {}
    op_of: dict = {}
    clusters: dict = {}
    last_cluster: dict = {}  # id(module) -> first cluster key ending in it

    def cluster_key(scope: tuple | None) -> tuple:
        if not cluster_modules or not scope:
            return ()
        key = tuple(id(m) for m in scope)
        if key not in clusters:
            for i in range(1, len(key) + 1):
                k = key[:i]
                if k in clusters:
                    continue
                m = scope[i - 1]
                nm = mod_names.get(key[0], {}).get(id(m))
                label = f"{nm}: {_class_name(m)}" if nm else _class_name(m)
                clusters[k] = _Cluster(f"cluster_{len(clusters)}", k, label, m, i)
                last_cluster.setdefault(id(m), k)
        return key

    def leaf_item(t: Tensor, kind: str) -> _T:
        it = by_key.get(t)
        if it is None:
            if kind == "input" and (id(t) in param_name or type(t).__name__ == "Parameter"):
                kind = "parameter"
            name = param_name.get(id(t)) or t.name or user_names.get(id(t))
            it = _T(f"t{len(tensors)}", kind, t, t, name=name)
            by_key[t] = it
            tensors.append(it)
        return it

    for n in nodes:
        ins = inputs.get(n) if inputs is not None else None
        if ins is None:
            ins = n.inputs
        in_items: list = []
        for i, p in enumerate(n.next_functions):
            if type(p) is Node:
                in_items.append(by_key[p])
            elif p is not None:
                in_items.append(leaf_item(p, "input"))
            elif ins is not None:
                in_items.append(leaf_item(ins[i], "constant"))
            else:
                in_items.append(None)
        out_t = outputs.get(n) if outputs is not None else None
        if out_t is None:
            out_t = n.output
        name = None
        if out_t is not None:
            name = out_t.name or user_names.get(id(out_t))
        ck = cluster_key(module_path(n.scope))
        o_item = _T(f"t{len(tensors)}", "intermediate", n, out_t, producer=n, name=name,
                    cluster=ck)
        by_key[n] = o_item
        tensors.append(o_item)
        op = _O(f"op{len(ops)}", n, in_items, o_item, cluster=ck)
        ops.append(op)
        op_of[n] = op
        for t in in_items:
            if t is not None:
                t.consumers.append(op)
    if root.grad_fn is not None:
        root_item = by_key[root.grad_fn]
        root_item.tensor = root
        if root_item.name is None:
            root_item.name = root.name or user_names.get(id(root))
    else:
        root_item = leaf_item(root, "input" if root.requires_grad else "constant")
    root_item.is_root = True

    # ---- clusters of leaves: parameters with their module, constants with their users
    for t in tensors:
        if t.kind == "parameter":
            owner = param_owner.get(id(t.tensor))
            if owner is not None:
                t.cluster = last_cluster.get(id(owner), ())
        elif t.kind == "constant" and t.consumers and t.tensor is not None \
                and t.tensor.size == 1:
            # a number used inside one module goes with it; arrays (data, targets) stay out
            ks = {o.cluster for o in t.consumers}
            t.cluster = ks.pop() if len(ks) == 1 else ()

    model = _Model(tensors, ops, root_item, clusters, by_key, op_of)
    if collapse:
        _collapse(model, collapse)
    if max_nodes is not None:
        count = sum(not t.hidden for t in tensors) + sum(o.box is None for o in ops) \
            + len(model.boxes)
        if count > max_nodes:
            raise _too_big_error(str(count), max_nodes, bool(collapse))
    return model


def _iter_named_modules(m: Any) -> list:
    """(dotted name, module) pairs below ``m`` (``m`` itself is ``""``): its
    ``named_modules()`` if it has one, else ``named_children()`` recursively."""
    f = getattr(m, "named_modules", None)
    if callable(f):
        try:
            return list(f())
        except Exception:  # noqa: BLE001
            pass
    out = [("", m)]
    stack = [("", m)]
    seen = {id(m)}
    while stack:
        prefix, mm = stack.pop()
        nc = getattr(mm, "named_children", None)
        if not callable(nc):
            continue
        try:
            children = list(nc())
        except Exception:  # noqa: BLE001 - a foreign object
            continue
        for n, c in children:
            full = f"{prefix}.{n}" if prefix else str(n)
            if id(c) not in seen:
                seen.add(id(c))
                out.append((full, c))
                stack.append((full, c))
    return out


def _collapse(model: _Model, collapse: bool | int) -> None:
    """Put each module (children of the outermost module; the outermost one itself when it
    has no child modules; or modules at depth ``collapse`` when an int) into one box."""
    depth_of_root: dict = {}
    for k in model.clusters:
        r = k[0]
        depth_of_root[r] = max(depth_of_root.get(r, 1), len(k))
    for o in model.ops:
        k = o.cluster
        if not k:
            continue
        if collapse is True:
            level = 2 if depth_of_root[k[0]] >= 2 else 1
        else:
            level = int(collapse)
        if len(k) >= level:
            o.box = k[:level]
    boxes: dict = {}
    for o in model.ops:
        if o.box is not None and o.box not in boxes:
            c = model.clusters[o.box]
            boxes[o.box] = _Cluster(f"m{len(boxes)}", o.box, c.label, c.module, c.depth)
    box_of_op = {o.node: o.box for o in model.ops}
    for t in model.tensors:
        users = {o.box for o in t.consumers}
        own = box_of_op.get(t.producer) if t.producer is not None else None
        if t.kind == "intermediate":
            t.hidden = own is not None and not t.is_root and users == {own}
        elif t.kind == "parameter" or (t.kind == "constant" and t.tensor.size == 1):
            # (constant arrays are data: they stay visible, like inputs)
            t.hidden = len(users) == 1 and None not in users and not t.is_root
        if not t.hidden and t.cluster:
            for b in boxes:  # a drawn tensor from inside a box sits next to the box
                if t.cluster[:len(b)] == b:
                    t.cluster = b[:-1]
                    break
    stats: dict = {b: [0, 0, 0] for b in boxes}
    for o in model.ops:
        if o.box is not None:
            stats[o.box][0] += 1
    for t in model.tensors:
        if t.hidden and t.kind == "parameter":
            b = next(iter({o.box for o in t.consumers}))
            stats[b][1] += 1
            stats[b][2] += t.tensor.size
    model.boxes = {}
    for b, c in boxes.items():
        n_ops, n_par, n_val = stats[b]
        detail = f"{n_ops} op{'s' * (n_ops != 1)}"
        if n_par:
            detail += f", {n_par} parameter{'s' * (n_par != 1)} ({n_val} values)"
        model.boxes[b] = (c, detail)


# ============================================================================ emission
@dataclass
class _Overlay:
    """What ``BackwardStepper.draw`` adds: gradients known so far and the current op."""

    grads: dict = field(default_factory=dict)  # key (Node/Tensor) -> (array, partial)
    current: Node | None = None
    done: set = field(default_factory=set)  # processed Nodes
    edge_grads: dict = field(default_factory=dict)  # (Node, input index) -> array
    title: str | None = None


def _grad_array(t: _T, overlay: _Overlay | None) -> tuple:
    if overlay is not None:
        g = overlay.grads.get(t.key)
        return (None, False) if g is None else g
    x = t.tensor
    if x is not None and x.grad is not None:
        g = x.grad
        return (g.data if isinstance(g, Tensor) else np.asarray(g)), False
    if t.is_root and x is not None and x.size == 1 and t.producer is not None and \
            t.producer.freed:
        return np.ones_like(x.data), False  # a backward() from this scalar root has run
    return None, False


def _tensor_attrs(t: _T, show_data: bool, show_grad: bool, max_el: int,
                  overlay: _Overlay | None) -> dict:
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
        g, partial = _grad_array(t, overlay)
        if g is not None:
            grad = style.fmt_array(g, max_el)
            if partial:
                grad = "(partial) " + grad if "\n" not in grad else "(partial)\n" + grad
    attrs["label"] = style.tensor_label(
        t.name, None if x is None else x.shape, None if x is None else x.dtype, value, grad, note)
    attrs["tooltip"] = kind + (f" {t.name}" if t.name else "")
    attrs["class"] = f"tensor {kind}" + (" freed" if x is None else "")
    return attrs


def _op_attrs(o: _O, overlay: _Overlay | None, max_el: int) -> dict:
    attrs = dict(style.OP_STYLE)
    extra = None
    cls = "op"
    if overlay is not None:
        if o.node is overlay.current:
            attrs.update(style.HIGHLIGHT_STYLE)
            cls += " current"
        elif o.node in overlay.done:
            attrs.update(style.DONE_OP_STYLE)
            cls += " done"
    attrs["label"] = style.op_label(str(o.node), o.node.name, extra)
    attrs["tooltip"] = str(o.node)
    attrs["class"] = cls
    return attrs


def _emit(model: _Model, *, show_data: bool, show_grad: bool, rankdir: str, max_el: int,
          overlay: _Overlay | None = None, legend: bool = True) -> Diagram:
    g = Diagram(name="autograd_graph",
                graph_attr={"rankdir": rankdir, "fontname": style.FONT, "fontsize": "11",
                            "nodesep": "0.25", "ranksep": "0.35", "labelloc": "b",
                            "newrank": "true"},
                node_attr={"fontname": style.FONT, "fontsize": "10", "height": "0.3"},
                edge_attr={"color": "#666666", "arrowsize": "0.7", "fontname": style.FONT})
    members: dict = {}
    for t in model.tensors:
        if not t.hidden:
            members.setdefault(t.cluster, []).append(
                (t.id, _tensor_attrs(t, show_data, show_grad, max_el, overlay)))
    for o in model.ops:
        if o.box is None:
            members.setdefault(o.cluster, []).append((o.id, _op_attrs(o, overlay, max_el)))
    for b, (c, detail) in model.boxes.items():
        attrs = dict(style.MODULE_STYLE)
        attrs["label"] = style.module_label(c.label, detail)
        attrs["class"] = "module"
        attrs["tooltip"] = c.label
        members.setdefault(b[:-1], []).append((c.id, attrs))

    children: dict = {}
    for k in model.clusters:
        if k in model.boxes or any(k[:len(b)] == b for b in model.boxes):
            continue
        children.setdefault(k[:-1], []).append(k)

    for nid, attrs in members.get((), []):
        g.node(nid, **attrs)

    def emit_cluster(parent: graphviz.Digraph, key: tuple) -> None:
        c = model.clusters[key]
        with parent.subgraph(name=c.id) as sub:
            sub.attr(label=c.label, style="rounded,filled", color="#8a8aa8",
                     fillcolor=style.CLUSTER_COLORS[(c.depth - 1) % len(style.CLUSTER_COLORS)],
                     fontname=style.FONT, fontsize="10", labeljust="l", labelloc="t",
                     penwidth="1.2")
            for nid, attrs in members.get(key, []):
                sub.node(nid, **attrs)
            for ch in children.get(key, []):
                emit_cluster(sub, ch)

    for key in children.get((), []):
        emit_cluster(g, key)

    # ---- edges, data-flow direction: input tensor -> op -> output tensor
    seen: set = set()
    box_ids = {b: c.id for b, (c, _) in model.boxes.items()}
    for o in model.ops:
        oid = o.id if o.box is None else box_ids[o.box]
        for i, t in enumerate(o.inputs):
            if t is None or t.hidden:
                continue
            if o.box is not None and t.producer is not None and \
                    model.op_of[t.producer].box == o.box:
                continue
            e = (t.id, oid)
            if overlay is not None and o.node is overlay.current and \
                    (o.node, i) in overlay.edge_grads:
                gi = overlay.edge_grads[(o.node, i)]
                g.edge(t.id, oid, label=style.fmt_array(gi, max_el).replace("\n", "\\l")
                       if gi is not None else "", color=style.HIGHLIGHT_STYLE["color"],
                       fontcolor=style.GRAD_COLOR, fontsize="9", penwidth="2", dir="both",
                       arrowtail="empty")
                continue
            if e not in seen:
                seen.add(e)
                g.edge(*e)
        if not o.output.hidden:
            e = (oid, o.output.id)
            if e not in seen:
                seen.add(e)
                g.edge(*e)

    if legend:
        kinds = []
        present = {("output" if t.is_root else t.kind) for t in model.tensors if not t.hidden}
        for k in ("parameter", "input", "constant", "intermediate", "output"):
            if k in present:
                kinds.append(k)
        if any(o.box is None for o in model.ops):
            kinds.append("op")
        if model.boxes:
            kinds.append("module")
        if overlay is not None and overlay.current is not None:
            kinds.append("current")
        g.attr(label=style.legend_label(kinds, overlay.title if overlay else None))
    elif overlay is not None and overlay.title:
        g.attr(label=overlay.title)
    return g


# ============================================================================ public API
def draw_graph(root: Tensor, *, show_data: bool = True, show_grad: bool = True,
               rankdir: str = "LR", cluster_modules: bool = True, max_label_elements: int = 6,
               collapse_modules: bool | int = False, max_nodes: int | None = DEFAULT_MAX_NODES,
               names: Mapping[str, Any] | None = None, legend: bool = True) -> Diagram:
    """Draw the graph that produced ``root`` as a ``graphviz.Digraph`` (a :class:`Diagram`).

    One Graphviz node per tensor (ids ``t0, t1, ...``) and one per op (``op0, ...``, labelled
    ``MulBackward`` with the op symbol), edges in data-flow direction (inputs -> op ->
    output). Tensor labels: the name (parameters by their dotted ``named_parameters`` name,
    e.g. ``0.weight``; else ``tensor.name``; else a key of ``names``), shape and dtype, the
    value (``show_data``) and ``.grad`` (``show_grad``): arrays of at most
    ``max_label_elements`` elements in full, larger ones as mean/min/max. Styles tell
    parameters, inputs that require grad, constants, intermediates and the output apart (the
    legend is the graph label; see :mod:`autograd_lite.viz.style`).

    Args:
        root: the tensor whose graph to draw (usually the loss).
        rankdir: Graphviz direction, ``"LR"`` (left to right) or ``"TB"``.
        cluster_modules: group ops run inside an ``nn.Module`` call into ``cluster_*``
            subgraphs labelled ``dotted.name: ClassName``, nested like the module calls
            (from ``node.scope``). One cluster per module: a module called twice (shared
            weights) shows both calls in its cluster. Parameters sit in their module's
            cluster, numbers used inside one module with it; data arrays stay outside.
        collapse_modules: draw each module (children of the outermost module) as one box;
            an int ``d`` collapses the modules at nesting depth ``d`` (1 = outermost).
        max_nodes: refuse graphs with more drawn nodes (ValueError saying what to do);
            ``None`` for no limit.
        names: optional mapping name -> Tensor (e.g. ``locals()``) to label unnamed tensors.
        legend: put the colour key in the graph label.

    Returns:
        a :class:`Diagram` (a ``graphviz.Digraph``): ``.source`` is the DOT text; it shows
        inline in Jupyter, and ``.render(path, format="svg")`` / ``.pipe(format="png")`` need
        Graphviz's ``dot`` (without it they raise :class:`GraphvizNotFoundError` saying how to
        install it).

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
        >>> f = x * 3.0
        >>> "MulBackward" in ag.viz.draw_graph(f).source
        True
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be positive or None, got {max_nodes}")
    model = _build(root, names=names, outputs=None, inputs=None, max_nodes=max_nodes,
                   collapse=collapse_modules if cluster_modules else False,
                   cluster_modules=cluster_modules)
    return _emit(model, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                 max_el=max_label_elements, legend=legend)


def save_graph(root: Tensor | graphviz.Digraph, path_stem: str, format: str = "svg",
               **kwargs: Any) -> str:
    """Write a picture of ``root``'s graph (or of a Digraph) and return the path written.

    With Graphviz's ``dot`` on PATH this writes ``path_stem.<format>`` (``svg``, ``png``,
    ``pdf``); without it, the DOT text to ``path_stem.dot`` (render it later with
    ``dot -Tsvg path_stem.dot -o path_stem.svg``). The suffix of the returned path says
    which happened; :data:`INSTALL_HINT` says how to install Graphviz. ``kwargs`` go to
    :func:`draw_graph`.
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
