"""The graph model that viz draws: one item per tensor and per op, module clusters, boxes.

`walk_nodes` lists the nodes reachable from a root (inputs first, iteratively) and
`build` turns them into a `Model` through the engine's documented introspection
surface only (``node.name``, ``node.next_functions``, ``node.inputs``, ``node.output``,
``node.scope``). The passes in `autograd_lite.viz.grouping` then put ops into boxes (a
library call drawn as one op, a module drawn as one box) and fold repeated blocks;
`autograd_lite.viz.draw` emits DOT from the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from autograd_lite.node import Node
from autograd_lite.scope import module_path
from autograd_lite.tensor import Tensor


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
    folded: bool = False  # inside a repetition drawn once (fold_repeats)


@dataclass(eq=False)
class _O:
    """An op to draw (one recorded Node)."""

    id: str
    node: Node
    inputs: list  # per input: _T, or None for a constant no longer known
    output: _T
    cluster: tuple = ()
    box: tuple | None = None  # key of the box this op is drawn in (model.boxes)
    folded: bool = False  # inside a repetition drawn once (fold_repeats)


@dataclass(eq=False)
class _Box:
    """Several ops drawn as one node: a collapsed module (``kind="module"``) or a library
    call such as ``linear`` (``kind="call"``). ``ext`` is a stable name for expanding it."""

    id: str
    key: tuple
    parent: tuple  # the cluster it is drawn in
    kind: str
    label: str
    detail: str
    ext: str
    ops: list = field(default_factory=list)


@dataclass(eq=False)
class _Fold:
    """A run of ``count`` identical consecutive blocks drawn once (the first repetition)."""

    id: str
    parent: tuple  # the cluster the blocks are children of
    members: list  # cluster keys of the first repetition's modules
    count: int
    label: str
    ext: str


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
    boxes: dict = field(default_factory=dict)  # key -> _Box
    folds: list = field(default_factory=list)  # _Fold
    alias: dict = field(default_factory=dict)  # _T drawn as another _T (a folded run's output)
    order: dict = field(default_factory=dict)  # Node -> topological index

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
    hint = ("pass a smaller depth= (depth=0 draws the model as one box), raise max_nodes "
            "(max_nodes=None for no limit), or draw a smaller graph"
            if collapse else
            "pass depth=1 (or collapse_modules=True) to draw each module as one box, raise "
            "max_nodes "
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
           cluster_modules: bool, walk_limit: int | None = None) -> _Model:
    """The `_Model` of ``root``'s graph (see the module docstring). ``collapse`` as
    ``draw_graph(collapse_modules=...)``; ``max_nodes`` counts drawn nodes."""
    if walk_limit is not None:
        limit = walk_limit
    else:
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
    model.order = {n: i for i, n in enumerate(nodes)}
    if collapse:
        from autograd_lite.viz.grouping import collapse_depth, hide_boxed
        collapse_depth(model, collapse_level(model, collapse))
        hide_boxed(model)
    if max_nodes is not None:
        count = drawn_count(model)
        if count > max_nodes:
            raise _too_big_error(str(count), max_nodes, bool(collapse))
    return model


def drawn_count(model: _Model) -> int:
    """How many Graphviz nodes the model draws."""
    return (sum(not t.hidden for t in model.tensors)
            + sum(o.box is None and not o.folded for o in model.ops)
            + sum(1 for b in model.boxes.values() if not all(o.folded for o in b.ops)))


def collapse_level(model: _Model, collapse: bool | int) -> int:
    """The cluster-key length boxed by ``collapse_modules`` (True: the outermost module's
    children, or the outermost module when it has none; an int d: nesting depth d)."""
    if collapse is True:
        deep = any(len(k) >= 2 for k in model.clusters)
        return 2 if deep else 1
    return int(collapse)


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


