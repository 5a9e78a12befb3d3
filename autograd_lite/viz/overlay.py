"""Overlays: colour the drawn nodes by gradient norm, NaN/Inf, or bytes saved for backward.

Also `retain_grads`, which keeps every gradient of a graph for the drawing
(``draw_graph(..., show_grad="all")``) without the user calling ``retain_grad`` everywhere:
it registers a hook on every node of the graph before ``backward()`` (through
``Tensor.register_hook`` when the tensor is alive, else the node's ``add_hook``) and stores
the gradient each one received. Nothing is recomputed: the numbers are the ones backward
produced.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_lite.node import Node
from autograd_lite.tensor import Tensor

__all__ = ["retain_grads", "GradCapture", "OVERLAYS", "saved_bytes", "fmt_bytes", "Paint",
           "compute_paint", "known_grad", "GRAD_SCALE", "BYTES_SCALE", "NAN_COLOR"]

OVERLAYS = ("grad_norm", "abs_grad", "nan", "saved_bytes")
# light to dark; the last three take white text
GRAD_SCALE = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8",
              "#0c2c84"]
BYTES_SCALE = ["#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02",
               "#8c2d04"]
NAN_COLOR = "#e53935"
_captured: "weakref.WeakKeyDictionary[Node, np.ndarray]" = weakref.WeakKeyDictionary()


class GradCapture:
    """Handle returned by `retain_grads`: ``.grads`` maps each node to the gradient
    of its output; ``.remove()`` unregisters the hooks (the captured gradients stay)."""

    def __init__(self) -> None:
        self._removers: list = []
        self.grads: weakref.WeakKeyDictionary = _captured

    def remove(self) -> None:
        """Unregister the hooks."""
        for r in self._removers:
            r()
        self._removers = []


def retain_grads(root: Tensor) -> GradCapture:
    """Keep the gradient of every tensor in ``root``'s graph for drawing; call it before
    ``backward()``. ``draw_graph(root, show_grad="all")`` then writes them on the intermediate
    tensors too (and the ``grad_norm``/``abs_grad`` overlays and ``view="both"`` use them).

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.tensor(2.0, requires_grad=True)
        >>> y = (x * 3.0).exp()
        >>> cap = ag.viz.retain_grads(y)
        >>> y.backward()
        >>> "grad" in ag.viz.draw_graph(y, show_grad="all").source
        True
    """
    from autograd_lite.viz.model import walk_nodes
    cap = GradCapture()
    for n in walk_nodes(root):
        def hook(g: Any, _n: Node = n) -> None:
            _captured[_n] = np.array(g.data if isinstance(g, Tensor) else g)
        out = n.output
        if out is not None and out.requires_grad:
            cap._removers.append(out.register_hook(hook))
        else:
            cap._removers.append(n.add_hook(hook))
    return cap


def known_grad(item: Any) -> np.ndarray | None:
    """The gradient of a drawn tensor item: ``.grad`` (leaves, retained), else a captured
    one (`retain_grads`), else ``None``."""
    x = item.tensor
    if x is not None and x.grad is not None:
        g = x.grad
        return g.data if isinstance(g, Tensor) else np.asarray(g)
    if item.producer is not None:
        return _captured.get(item.producer)
    return None


def saved_bytes(node: Node) -> int:
    """Bytes a node keeps for its backward: the sum of ``nbytes`` of ``node.saved_arrays()``."""
    return int(sum(a.nbytes for _, a in node.saved_arrays()))


def fmt_bytes(n: float) -> str:
    """``1536`` -> ``1.5 KB``."""
    for unit, div in (("GB", 2 ** 30), ("MB", 2 ** 20), ("KB", 2 ** 10)):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return f"{int(n)} B"


def _nonfinite(a: np.ndarray | None) -> bool:
    if a is None or a.dtype.kind not in "fc":
        return False
    return not bool(np.isfinite(a).all())


@dataclass
class Paint:
    """What an overlay adds: fill colours and extra label lines per drawn item (tensor items
    and op items or box keys), cluster label notes, and the colour bar for the legend."""

    fill: dict = field(default_factory=dict)  # item (or box key) -> (fill, fontcolor)
    note: dict = field(default_factory=dict)  # item (or box key) -> extra label line
    tip: dict = field(default_factory=dict)  # item (or box key) -> tooltip text
    cluster_note: dict = field(default_factory=dict)  # cluster key -> (label suffix, tooltip)
    bar: tuple | None = None  # (title, colours, low text, high text)
    keys: list = field(default_factory=list)  # extra legend entries (fill, text)


def _scale(values: dict, colors: list) -> tuple:
    pos = [v for v in values.values() if v > 0 and math.isfinite(v)]
    if not pos:
        return {k: (colors[0], "black") for k in values}, (0.0, 0.0)
    lo, hi = min(pos), max(pos)
    llo, lhi = math.log10(lo), math.log10(hi)
    out = {}
    for k, v in values.items():
        if not math.isfinite(v):
            out[k] = (NAN_COLOR, "white")
            continue
        if v <= 0 or lhi == llo:
            i = 0 if v <= 0 else len(colors) - 1
        else:
            i = int(round((math.log10(v) - llo) / (lhi - llo) * (len(colors) - 1)))
        out[k] = (colors[i], "white" if i >= len(colors) - 3 else "black")
    return out, (lo, hi)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def compute_paint(model: Any, kind: str) -> Paint:
    """The `Paint` of overlay ``kind`` (one of `OVERLAYS`) for a drawing model."""
    paint = Paint()
    drawn_ops = [o for o in model.ops if not o.folded]
    box_ops: dict = {}
    for o in drawn_ops:
        if o.box is not None:
            box_ops.setdefault(o.box, []).append(o)
    if kind in ("grad_norm", "abs_grad"):
        vals: dict = {}
        for t in model.tensors:
            if t.hidden:
                continue
            g = known_grad(t)
            if g is not None and g.size:
                vals[t] = float(np.linalg.norm(g)) if kind == "grad_norm" \
                    else float(np.mean(np.abs(g)))
        for o in drawn_ops:
            g = known_grad(o.output)
            if g is None or not g.size:
                continue
            v = float(np.linalg.norm(g)) if kind == "grad_norm" else float(np.mean(np.abs(g)))
            key = o if o.box is None else o.box
            if o.box is None or box_ops[o.box][-1] is o or o.output.is_root:
                vals[key] = v
        colors, (lo, hi) = _scale(vals, GRAD_SCALE)
        paint.fill = colors
        what = "‖grad‖" if kind == "grad_norm" else "mean |grad|"
        for k, v in vals.items():
            paint.note[k] = f"{what} {_fmt(v)}"
        paint.bar = (what + " (log scale)", GRAD_SCALE, _fmt(lo), _fmt(hi))
        if not vals:
            paint.bar = (what + ": no gradients known (run backward; viz.retain_grads(root) "
                         "before it keeps the intermediate ones)", [], "", "")
    elif kind == "nan":
        bad: dict = {}
        for t in model.tensors:
            if t.producer is None:
                bad[t] = _nonfinite(t.tensor.data if t.tensor is not None else None)
        for o in sorted(model.ops, key=lambda o: model.order[o.node]):
            t = o.output
            if t.tensor is not None:
                bad[t] = _nonfinite(t.tensor.data)
            else:  # freed: downstream of a non-finite input
                bad[t] = any(bad.get(i, False) for i in o.inputs if i is not None)
            if bad[t] and not o.folded:
                paint.fill[o if o.box is None else o.box] = (NAN_COLOR, "white")
        for t, b in bad.items():
            if b and not t.hidden:
                paint.fill[t] = (NAN_COLOR, "white")
                paint.note[t] = "NaN/Inf in data"
            g = known_grad(t) if not t.hidden else None
            if _nonfinite(g):
                paint.note[t] = "NaN/Inf in grad"
                paint.fill.setdefault(t, ("#ffcdd2", "black"))
        paint.keys = [(NAN_COLOR, "NaN/Inf in data"), ("#ffcdd2", "NaN/Inf in grad only")]
    elif kind == "saved_bytes":
        per: dict = {o: saved_bytes(o.node) for o in model.ops}
        vals = {}
        for o in drawn_ops:
            key = o if o.box is None else o.box
            vals[key] = vals.get(key, 0) + per[o]
        colors, (lo, hi) = _scale({k: float(v) for k, v in vals.items()}, BYTES_SCALE)
        paint.fill = colors
        for k, v in vals.items():
            paint.note[k] = f"saved {fmt_bytes(v)}"
            paint.tip[k] = f"saved_bytes={v}"
        totals: dict = {}
        for o in model.ops:
            k = o.cluster
            for i in range(1, len(k) + 1):
                totals[k[:i]] = totals.get(k[:i], 0) + per[o]
        for k, v in totals.items():
            paint.cluster_note[k] = (f"saved {fmt_bytes(v)}", f"saved_bytes={v}")
        total = sum(per.values())
        paint.bar = (f"bytes saved for backward (log scale; total {fmt_bytes(total)})",
                     BYTES_SCALE, fmt_bytes(lo), fmt_bytes(hi))
        if not total:
            paint.bar = ("bytes saved for backward: none (the graph was freed by backward; "
                         "use retain_graph=True or draw before backward)", [], "", "")
    else:
        raise ValueError(f"draw_graph: overlay must be None or one of {OVERLAYS}, got {kind!r}")
    return paint
