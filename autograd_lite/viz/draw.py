"""``draw_graph``: the recorded computation graph as a Graphviz picture.

The graph is read only through the engine's documented introspection surface
(``node.name``, ``str(node)``, ``node.next_functions``, ``node.inputs``, ``node.output``,
``node.scope``, ``node.freed``) and public Tensor attributes, in three passes:

1. walk the nodes reachable from ``root.grad_fn`` without recursion (inputs before users);
2. make one item per tensor and one per op, name parameters from ``named_parameters()`` of the
   outermost module in the nodes' scope paths, and assign everything to module clusters;
3. emit DOT through the ``graphviz`` package (nodes and clusters first, then the edges;
   `autograd_lite.viz.emit`).

After a ``backward()`` that freed the graph, constants are no longer known (``node.inputs``
is ``None``) and intermediates nobody holds are gone (``node.output`` is ``None``); they are
drawn from what is still known and marked *freed*.
"""
from __future__ import annotations

from typing import Any, Mapping

import graphviz

from autograd_lite.tensor import Tensor
from autograd_lite.viz import model as _model
from autograd_lite.viz.diagram import INSTALL_HINT, Diagram, GraphvizNotFoundError, dot_available
from autograd_lite.viz.emit import _emit
from autograd_lite.viz.layout import DEFAULT_SIZE

__all__ = ["draw_graph", "save_graph", "walk_nodes", "dot_available", "Diagram",
           "GraphvizNotFoundError", "INSTALL_HINT", "DEFAULT_MAX_NODES"]

#: Beyond this many drawn nodes ``draw_graph`` refuses (``dot`` would take too long and the
#: picture would be unreadable) unless ``collapse_modules=True`` or a larger ``max_nodes``.
DEFAULT_MAX_NODES = 1500

_build, walk_nodes, _too_big_error = _model._build, _model.walk_nodes, _model._too_big_error


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
