"""Grouping passes: what the user called, modules as boxes, repeated blocks drawn once.

- `group_internals` (public, shared with the stepper): the nodes recorded inside one
  call of a library function (``F.linear`` records a transpose, a matmul and an add) as one
  `OpGroup`, read from the `OpCall` entries of
  ``node.scope``.
- `apply_internals`, `collapse_depth`, `fold_repeats` and
  `hide_boxed` rewrite a drawing model (`autograd_lite.viz.model`): ops go into
  boxes, tensors inside a box are hidden, repetitions after the first of a folded run are
  hidden and the run's output is drawn from the first repetition's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from autograd_lite.node import Node
from autograd_lite.scope import OpCall

__all__ = ["OpGroup", "group_internals", "apply_internals", "collapse_depth", "fold_repeats",
           "hide_boxed", "fmt_count"]


@dataclass(eq=False)
class OpGroup:
    """The recorded nodes of one call of a library function.

    Attributes:
        name: the function the user called (``"linear"``, ``"binary_cross_entropy"``).
        call: its `OpCall` scope entry.
        outer: the scope path up to and including that entry (the modules around it).
        nodes: its nodes in the order given to `group_internals` (inputs first when
            that order is topological), inner library calls included.
        output: the node whose result leaves the call (the last one, when several do).
    """

    name: str
    call: OpCall
    outer: tuple
    nodes: list = field(default_factory=list)
    output: Node | None = None


def _outer(scope: tuple | None) -> int:
    """Index of the outermost OpCall entry of a scope path, or -1."""
    if not scope:
        return -1
    for i, e in enumerate(scope):
        if isinstance(e, OpCall):
            return i
    return -1


def group_internals(nodes: Sequence[Node]) -> list[OpGroup]:
    """Group the nodes recorded inside one call of a library function.

    A node belongs to the outermost `OpCall` entry of its
    ``node.scope``. Nodes made directly in one call share the scope tuple that call pushed
    (``id(node.scope)``); nodes of inner calls (``cross_entropy`` calling ``log_softmax``) join
    the call they are connected to in the graph. Two calls of the same function are never
    merged when each made a node directly.

    Args:
        nodes: graph nodes, ideally in topological order (e.g. from ``walk_nodes``).

    Returns:
        one `OpGroup` per call (single-node calls included), in the order of their
        first node. Nodes outside any library call are in no group.

    Example:
        >>> import autograd_lite as ag
        >>> from autograd_lite.viz.model import walk_nodes
        >>> lin = ag.nn.Linear(3, 2)
        >>> out = lin(ag.randn(4, 3)).sum()
        >>> [(g.name, len(g.nodes)) for g in group_internals(walk_nodes(out))]
        [('linear', 3)]
    """
    parent: dict = {}
    direct: dict = {}  # root -> id(scope) of the nodes made directly in the call, or None
    key: dict = {}
    index = {n: i for i, n in enumerate(nodes)}

    def find(n: Node) -> Node:
        while parent[n] is not n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    by_scope: dict = {}
    for n in nodes:
        i = _outer(n.scope)
        if i < 0:
            continue
        parent[n] = n
        key[n] = tuple(id(e) for e in n.scope[:i + 1])
        if len(n.scope) == i + 1:
            first = by_scope.setdefault(id(n.scope), n)
            direct[n] = id(n.scope)
            if first is not n:
                parent[find(n)] = find(first)
        else:
            direct[n] = None

    def union(a: Node, b: Node) -> None:
        ra, rb = find(a), find(b)
        if ra is rb:
            return
        da, db = direct.get(ra), direct.get(rb)
        if da is not None and db is not None and da != db:
            return  # two separate calls
        if index[rb] < index[ra]:
            ra, rb = rb, ra
            da, db = db, da
        parent[rb] = ra
        direct[ra] = da if da is not None else db

    for n in nodes:  # the graph's edges between nodes of the same outer call
        if n not in key:
            continue
        for p in n.next_functions:
            if type(p) is Node and p in key and key[p] == key[n]:
                union(n, p)
    groups: dict = {}
    for n in nodes:
        if n not in key:
            continue
        r = find(n)
        g = groups.get(r)
        if g is None:
            i = _outer(n.scope)
            g = groups[r] = OpGroup(n.scope[i].name, n.scope[i], n.scope[:i + 1])
        g.nodes.append(n)
    for g in groups.values():
        members = set(g.nodes)
        users: set = set()
        for n in nodes:
            if n not in members:
                users.update(p for p in n.next_functions if type(p) is Node)
        leaving = [n for n in g.nodes if n in users]
        g.output = leaving[-1] if leaving else g.nodes[-1]
    return sorted(groups.values(), key=lambda g: index[g.nodes[0]])


def fmt_count(n: int) -> str:
    """``1234567`` -> ``1.23M``; small counts as they are."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return str(n)


# ---------------------------------------------------------------------------- passes
def apply_internals(model: Any) -> None:
    """Put the nodes of each multi-node library call into one ``call`` box (drawn as the op
    the user called, e.g. ``linear``)."""
    from autograd_lite.viz.model import _Box
    nodes = sorted(model.op_of, key=model.order.get)
    for g in group_internals(nodes):
        if len(g.nodes) < 2:
            continue
        ops = [model.op_of[n] for n in g.nodes]
        key = ("call", id(ops[0]))
        first = model.order[g.nodes[0]]
        box = _Box(f"c{first}", key, ops[-1].cluster, "call", g.name,
                   f"{len(ops)} ops: " + ", ".join(dict.fromkeys(n.name for n in g.nodes)),
                   f"call:{first}", ops)
        out_op = model.op_of[g.output]
        box.parent = out_op.cluster
        for o in ops:
            o.box = key
        model.boxes[key] = box


def _subtree_ops(model: Any) -> dict:
    """cluster key -> ops in it or below, in topological order."""
    out: dict = {k: [] for k in model.clusters}
    for o in model.ops:
        k = o.cluster
        for i in range(1, len(k) + 1):
            out[k[:i]].append(o)
    return out


def _box_detail(model: Any, ops: list, hidden_params: list) -> str:
    """``(16, 2) -> (16, 8)`` and ``24 params, 3 ops`` for a module box."""
    inside = {o.node for o in ops}
    params = {id(t): t for t in hidden_params}
    ins: list = []
    for o in ops:
        for t in o.inputs:
            if t is None or id(t) in params or (t.producer is not None and t.producer in inside):
                continue
            if t.kind == "constant" and t.tensor is not None and t.tensor.size == 1:
                continue
            if t not in ins:
                ins.append(t)
    outs = []
    for o in ops:
        t = o.output
        if t.is_root or any(c.node not in inside for c in t.consumers):
            outs.append(t)

    def shp(ts: list) -> str:
        s = [str(tuple(t.tensor.shape)) if t.tensor is not None else "?" for t in ts[:3]]
        return ", ".join(s) + (", ..." if len(ts) > 3 else "") if s else "()"
    n_par = sum(int(t.tensor.size) for t in params.values() if t.tensor is not None)
    line2 = f"{len(ops)} op{'s' * (len(ops) != 1)}"
    if params:
        line2 += (f", {len(params)} parameter{'s' * (len(params) != 1)} "
                  f"({fmt_count(n_par)} values)")
    return f"{shp(ins)} → {shp(outs)}\n{line2}"


def collapse_depth(model: Any, level: int, expand: frozenset = frozenset()) -> None:
    """Draw every module at cluster-key length ``level`` (1 = outermost) as one box (unless
    its stable name is in ``expand``); boxes of library calls inside it are merged in."""
    from autograd_lite.viz.model import _Box
    sub = _subtree_ops(model)
    for k, c in model.clusters.items():
        if len(k) != level:
            continue
        ext = f"mod:{c.label}"
        if ext in expand or not sub[k]:
            continue
        ops = sub[k]
        key = ("module",) + k
        for o in ops:
            old = model.boxes.get(o.box) if o.box is not None else None
            if old is not None:
                old.ops = [x for x in old.ops if x is not o]
            o.box = key
        params = [t for t in model.tensors if t.kind == "parameter"
                  and t.consumers and all(o.box == key for o in t.consumers)]
        model.boxes[key] = _Box(f"m_{c.id}", key, k[:-1], "module",
                                c.label, _box_detail(model, ops, params), ext, ops)
    for key in [b for b, box in model.boxes.items() if not box.ops]:
        del model.boxes[key]


def _signature(model: Any, key: tuple, ops: list) -> tuple:
    m = model.clusters[key].module
    shapes: tuple = ()
    f = getattr(m, "named_parameters", None)
    if callable(f):
        try:
            shapes = tuple((n, tuple(np.shape(p.data))) for n, p in f())
        except Exception:  # noqa: BLE001 - a foreign object
            shapes = ()
    out_shapes = tuple(tuple(o.output.tensor.shape) if o.output.tensor is not None else None
                       for o in ops)
    return (type(m).__name__, shapes, tuple(o.node.name for o in ops), out_shapes)


def fold_repeats(model: Any, min_repeats: int = 3, max_period: int = 4,
                 expand: frozenset = frozenset()) -> None:
    """Fold runs of at least ``min_repeats`` consecutive sibling blocks (1 to ``max_period``
    modules each) that have the same classes, parameter shapes and ops, and feed each other:
    the first repetition is drawn inside a ``xN`` frame, the others are hidden."""
    from autograd_lite.viz.model import _Fold
    sub = _subtree_ops(model)
    children: dict = {}
    for k in model.clusters:
        if sub[k]:
            children.setdefault(k[:-1], []).append(k)
    hidden_keys: set = set()

    def first(k: tuple) -> int:
        return model.order[sub[k][0].node]

    for parent in sorted(children, key=len):
        if any(parent[:len(h)] == h for h in hidden_keys):
            continue
        kids = sorted(children[parent], key=first)
        sigs = [_signature(model, k, sub[k]) for k in kids]
        n = len(kids)

        args = (sigs, kids, sub, min_repeats, max_period)
        i = 0
        while i < n:
            p, reps = _run_at(i, *args)
            if not reps:
                i += 1
                continue
            for s in range(1, p):  # start the block at a module with parameters
                if sigs[i][1] or not sigs[i + s][1]:
                    break
                p2, r2 = _run_at(i + s, *args)
                if (p2, r2) == (p, reps):
                    i += s
                    break
            block = kids[i:i + p]
            ext = f"fold:{model.clusters[block[0]].label}"
            if ext in expand:
                i += p * reps
                continue
            rest = kids[i + p:i + p * reps]
            last = kids[i + p * (reps - 1):i + p * reps]
            names = ", ".join(type(model.clusters[k].module).__name__ for k in block)
            lbl_a = model.clusters[block[0]].label.split(":")[0]
            lbl_b = model.clusters[last[-1]].label.split(":")[0]
            label = f"× {reps}   [{names}]   ({lbl_a} … {lbl_b})"
            fid = f"cluster_fold_{model.clusters[block[0]].id}"
            model.folds.append(_Fold(fid, parent, block, reps,
                                     label, ext))
            hidden_keys.update(rest)
            folded_ops = {o.node for k in rest for o in sub[k]}
            for k in rest:
                for o in sub[k]:
                    o.folded = True
                    o.output.folded = True
            for t in model.tensors:
                if t.kind in ("parameter", "constant") and t.consumers and \
                        all(c.node in folded_ops for c in t.consumers):
                    t.folded = True
            # the run's outputs are drawn from the first repetition's outputs
            firsts = _leaving(model, [o for k in block for o in sub[k]])
            lasts = _leaving(model, [o for k in last for o in sub[k]])
            for a, b in zip(lasts, firsts):
                model.alias[a] = b
            i += p * reps


def _feeds(sub: dict, a: list, b: list) -> bool:
    made = {o.node for k in a for o in sub[k]}
    return any(t is not None and t.producer in made for k in b for o in sub[k] for t in o.inputs)


def _run_at(i: int, sigs: list, kids: list, sub: dict, min_repeats: int,
            max_period: int) -> tuple:
    """(period, repetitions) of the longest run of identical blocks starting at ``i``."""
    n = len(kids)
    best = (0, 0)
    for p in range(1, max_period + 1):
        if i + 2 * p > n:
            break
        reps = 1
        while i + (reps + 1) * p <= n and \
                sigs[i + reps * p:i + (reps + 1) * p] == sigs[i:i + p] and \
                _feeds(sub, kids[i + (reps - 1) * p:i + reps * p],
                       kids[i + reps * p:i + (reps + 1) * p]):
            reps += 1
        if reps >= min_repeats and reps * p > best[0] * best[1]:
            best = (p, reps)
    return best


def _leaving(model: Any, ops: list) -> list:
    inside = {o.node for o in ops}
    return [o.output for o in ops
            if o.output.is_root or any(c.node not in inside for c in o.output.consumers)]


def hide_boxed(model: Any) -> None:
    """Hide tensors that live inside one box (and folded ones); move drawn tensors of a
    collapsed module next to its box."""
    box_of = {o.node: o.box for o in model.ops}
    for t in model.tensors:
        if t.folded:
            t.hidden = True
            continue
        users = {o.box for o in t.consumers if not o.folded}
        own = box_of.get(t.producer) if t.producer is not None else None
        if t.kind == "intermediate":
            t.hidden = own is not None and not t.is_root and users <= {own} and \
                t not in model.alias.values()
        elif t.kind == "parameter":
            b = next(iter(users)) if len(users) == 1 else None
            t.hidden = b is not None and model.boxes[b].kind == "module" and not t.is_root
        elif t.kind == "constant" and t.tensor is not None and t.tensor.size == 1:
            t.hidden = len(users) == 1 and None not in users and not t.is_root
        if not t.hidden and t.cluster:
            for b in model.boxes.values():
                k = b.key[1:]
                if b.kind == "module" and t.cluster[:len(k)] == k:
                    t.cluster = b.parent
                    break
