"""Fitting a drawing to the page: the direction (``rankdir="auto"``), a width bound that
never shrinks text below a readable size, and an HTML container that scrolls.

The direction is chosen from an estimate of the laid-out size in both directions (node label
sizes, the longest path as the number of ranks); when Graphviz's ``dot`` is installed and
the graph is small, the estimate is checked by laying the graph out (``-Tplain``), and the
narrower direction wins if the chosen one does not fit. A drawing still wider than the bound
is scaled down, but never below `MIN_SCALE` (10 pt labels stay at least ~9 px); what is
still too wide scrolls inside `scroll_html`'s container instead of shrinking.
"""
from __future__ import annotations

import re
import shutil
from typing import Any

from autograd_lite.viz.style import label_text

__all__ = ["DEFAULT_SIZE", "MIN_SCALE", "estimate", "measure", "fit", "scroll_html"]

#: Default width bound in inches: ~700 px at 96 dpi, the content column of a docs page.
DEFAULT_SIZE = 7.25
#: Smallest scale applied to fit the bound (10 pt text * 0.68 ~ 9 px).
MIN_SCALE = 0.68
_MEASURE_LIMIT = 400  # drawn nodes beyond which dot is not run just to measure


def _node_size(attrs: dict) -> tuple:
    text = label_text(attrs.get("label", "")) or "x"
    lines = text.split("\n")
    w = max(len(line) for line in lines) * 0.075 + 0.3
    h = len(lines) * 0.19 + 0.14
    if attrs.get("shape") == "ellipse":
        w *= 1.25
    return w, h


def estimate(nodes: list, edges: list, rankdir: str) -> tuple:
    """Estimated (width, height) in inches of a layout: ``nodes`` are ``(id, attrs)``,
    ``edges`` ``(src, dst)``; ranks are longest-path layers."""
    size = {nid: _node_size(a) for nid, a in nodes}
    succ: dict = {nid: [] for nid in size}
    indeg: dict = {nid: 0 for nid in size}
    for a, b in edges:
        if a in succ and b in succ:
            succ[a].append(b)
            indeg[b] += 1
    rank = {n: 0 for n in size}
    ready = [n for n, d in indeg.items() if d == 0]
    while ready:
        n = ready.pop()
        for m in succ[n]:
            rank[m] = max(rank[m], rank[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    layers: dict = {}
    for n, r in rank.items():
        layers.setdefault(r, []).append(size[n])
    if not layers:
        return 0.5, 0.5
    if rankdir in ("LR", "RL"):
        w = sum(max(s[0] for s in L) for L in layers.values()) + 0.4 * (len(layers) - 1)
        h = max(sum(s[1] for s in L) + 0.25 * (len(L) - 1) for L in layers.values())
    else:
        w = max(sum(s[0] for s in L) + 0.25 * (len(L) - 1) for L in layers.values())
        h = sum(max(s[1] for s in L) for L in layers.values()) + 0.35 * (len(layers) - 1)
    return w + 0.3, h + 0.6


def measure(g: Any) -> tuple | None:
    """(width, height) in inches of ``g`` laid out by ``dot`` (``None`` without ``dot``)."""
    if shutil.which("dot") is None:
        return None
    try:
        first = g.pipe(format="plain").split(b"\n", 1)[0].decode()
    except Exception:  # noqa: BLE001 - a layout failure: fall back to the estimate
        return None
    m = re.match(r"graph\s+(\S+)\s+(\S+)\s+(\S+)", first)
    if not m:
        return None
    scale = float(m.group(1))
    return float(m.group(2)) * scale, float(m.group(3)) * scale


def _pick(lr: tuple, tb: tuple, bound: float) -> str:
    fit_lr, fit_tb = lr[0] <= bound, tb[0] <= bound
    if fit_lr and fit_tb:
        return "LR" if lr[1] < tb[1] else "TB"
    if fit_lr != fit_tb:
        return "LR" if fit_lr else "TB"
    return "LR" if lr[0] < tb[0] else "TB"


def fit(g: Any, nodes: list, edges: list, rankdir: str, size: float | None) -> str:
    """Set ``g``'s ``rankdir`` (choosing it when ``"auto"``) and, with ``dot`` available,
    a ``size`` that fits ``size`` inches wide without scaling below `MIN_SCALE`.
    Returns the direction used."""
    bound = size if size is not None else DEFAULT_SIZE
    auto = rankdir == "auto"
    if auto:
        rankdir = _pick(estimate(nodes, edges, "LR"), estimate(nodes, edges, "TB"), bound)
    g.graph_attr["rankdir"] = rankdir
    if len(nodes) > _MEASURE_LIMIT or (size is None and not auto):
        return rankdir
    got = measure(g)
    if got is None:
        return rankdir
    if got[0] > bound and auto:
        other = "TB" if rankdir in ("LR", "RL") else "LR"
        g.graph_attr["rankdir"] = other
        got2 = measure(g)
        if got2 is not None and got2[0] < got[0]:
            rankdir, got = other, got2
        else:
            g.graph_attr["rankdir"] = rankdir
    if size is not None and got[0] > bound:
        scale = max(bound / got[0], MIN_SCALE)
        g.graph_attr["size"] = f"{got[0] * scale + 0.01:.2f},{got[1] * scale + 0.01:.2f}"
    return rankdir


def scroll_html(svg: str, max_height: str = "85vh") -> str:
    """An SVG in a ``<div>`` that scrolls (never shrinks the text to the cell's width)."""
    svg = re.sub(r"^.*?(<svg\b)", r"\1", svg, count=1, flags=re.S)
    svg = svg.replace("<svg ", '<svg style="max-width:none;height:auto" ', 1)
    return (f'<div style="max-width:100%;overflow:auto;max-height:{max_height};'
            f'border:1px solid #eee">{svg}</div>')
