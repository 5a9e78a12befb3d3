"""``to_html``: one self-contained, offline HTML page for a drawing.

The page holds the SVG (inline) and a small script (inline): drag to pan, wheel or the
buttons to zoom, a search box that highlights the nodes whose name or label matches, and a
click on a collapsed module box or on a folded ``× N`` frame to expand it (the expanded
drawings are rendered when the page is written, one per box, so the page needs no server and
no network). Nothing is loaded from anywhere: no URLs, no fonts, no libraries.
"""
from __future__ import annotations

import html as _html
import json
import os
import re
from typing import Any

from autograd_lite.tensor import Tensor

__all__ = ["to_html", "MAX_VARIANTS"]

#: At most this many expanded drawings are embedded (one per collapsed box or folded run).
MAX_VARIANTS = 24

_CSS = """
body{margin:0;font-family:Helvetica,Arial,sans-serif;background:#fafafa}
#bar{position:fixed;top:0;left:0;right:0;z-index:2;background:#fff;border-bottom:1px solid #ddd;
 padding:6px 10px;display:flex;gap:8px;align-items:center;font-size:13px}
#bar input{width:220px;padding:3px 6px}
#bar button{padding:2px 9px}
#view{position:absolute;top:42px;left:0;right:0;bottom:0;overflow:hidden;cursor:grab}
#stage{transform-origin:0 0;position:absolute;left:0;top:0}
.variant{display:none}.variant.on{display:block}
.hit polygon,.hit ellipse,.hit path{stroke:#ff00aa !important;stroke-width:4px !important}
.expandable{cursor:pointer}
.expandable:hover polygon,.expandable:hover ellipse{stroke:#6a4fa3;stroke-width:3px}
#msg{color:#666}
"""

_JS = r"""
(function(){
  var errors = [];
  window.addEventListener('error', function(e){
    errors.push(String(e.message));
    document.body.setAttribute('data-errors', errors.join(' | '));
  });
  var view = document.getElementById('view'), stage = document.getElementById('stage');
  var meta = JSON.parse(document.getElementById('viz-meta').textContent);
  var s = 1, x = 10, y = 10, drag = null;
  function apply(){ stage.style.transform = 'translate(' + x + 'px,' + y + 'px) scale(' + s + ')'; }
  function current(){ return document.querySelector('.variant.on'); }
  function fit(){
    var v = current(); if (!v) return;
    var svg = v.querySelector('svg'); if (!svg) return;
    var w = svg.getBoundingClientRect().width / s, h = svg.getBoundingClientRect().height / s;
    var sw = view.clientWidth - 20, sh = view.clientHeight - 20;
    s = Math.min(1.5, Math.max(0.05, Math.min(sw / w, sh / h))); x = 10; y = 10; apply();
  }
  function show(name){
    var vs = document.querySelectorAll('.variant');
    for (var i = 0; i < vs.length; i++) vs[i].classList.toggle('on', vs[i].id === name);
    wire(); document.getElementById('msg').textContent =
      name === 'v0' ? '' : 'expanded: ' + (meta.labels[name] || name);
  }
  function wire(){
    var v = current(); if (!v) return;
    var exp = meta.expand[v.id] || {};
    Object.keys(exp).forEach(function(id){
      var el = v.querySelector('[id="' + id + '"]');
      if (!el || el.getAttribute('data-wired')) return;
      el.setAttribute('data-wired', '1'); el.classList.add('expandable');
      el.addEventListener('click', function(ev){ ev.stopPropagation(); show(exp[id]); });
    });
  }
  view.addEventListener('wheel', function(e){
    e.preventDefault();
    var r = view.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    var k = e.deltaY < 0 ? 1.15 : 1 / 1.15;
    x = mx - (mx - x) * k; y = my - (my - y) * k; s *= k; apply();
  }, {passive: false});
  view.addEventListener('mousedown', function(e){ drag = [e.clientX - x, e.clientY - y]; });
  window.addEventListener('mousemove', function(e){
    if (drag){ x = e.clientX - drag[0]; y = e.clientY - drag[1]; apply(); } });
  window.addEventListener('mouseup', function(){ drag = null; });
  document.getElementById('zin').onclick = function(){ s *= 1.25; apply(); };
  document.getElementById('zout').onclick = function(){ s /= 1.25; apply(); };
  document.getElementById('zfit').onclick = fit;
  document.getElementById('reset').onclick = function(){ show('v0'); fit(); };
  document.getElementById('q').addEventListener('input', function(){
    var q = this.value.trim().toLowerCase(), n = 0, first = null;
    var v = current(); if (!v) return;
    var nodes = v.querySelectorAll('g.node, g.cluster');
    for (var i = 0; i < nodes.length; i++){
      var t = (nodes[i].textContent || '').toLowerCase();
      var on = q.length > 0 && t.indexOf(q) >= 0;
      nodes[i].classList.toggle('hit', on);
      if (on){ n++; if (!first) first = nodes[i]; }
    }
    document.getElementById('msg').textContent = q ? n + ' match' + (n === 1 ? '' : 'es') : '';
    if (first){
      var b = first.getBoundingClientRect(), r = view.getBoundingClientRect();
      x += r.width / 2 - (b.left - r.left + b.width / 2);
      y += r.height / 2 - (b.top - r.top + b.height / 2); apply();
    }
  });
  show('v0'); fit();
  document.body.setAttribute('data-ready', '1');
})();
"""


def _clean_svg(svg: str) -> str:
    """Inline SVG without the XML prolog, DOCTYPE, namespaces or comments (no URLs)."""
    svg = re.sub(r"^.*?(<svg\b)", r"\1", svg, count=1, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return svg


def to_html(diagram_or_root: Any, path: str | os.PathLike, *, title: str = "autograd graph",
            **draw_kwargs: Any) -> str:
    """Write one self-contained HTML file for a drawing; return its path.

    The page works offline (inline SVG and script, no network): drag to pan, wheel or the
    buttons to zoom, type in the search box to highlight nodes by name or label, click a
    collapsed module box or a ``× N`` folded frame to see it expanded ("reset" goes back).

    Args:
        diagram_or_root: a [`Diagram`][autograd_lite.viz.Diagram] from
            [`draw_graph`][autograd_lite.viz.draw_graph] (its options are reused for the expanded
            views), any ``graphviz.Digraph``, or a Tensor (drawn with ``draw_kwargs``).
        path: the file to write.
        title: the page title.

    Raises:
        GraphvizNotFoundError: Graphviz's ``dot`` is needed to lay the graph out.
    """
    from autograd_lite.viz.draw import draw_graph
    if isinstance(diagram_or_root, Tensor):
        g = draw_graph(diagram_or_root, **draw_kwargs)
    else:
        g = diagram_or_root
    variants = [("v0", g)]
    expand: dict = {}
    labels: dict = {}
    call = getattr(g, "viz_call", None)
    expandable = getattr(g, "viz_expandable", None) or {}
    if call is not None:
        root, kw = call
        kw = dict(kw)
        expand["v0"] = {}
        for k, (nid, ext) in enumerate(list(expandable.items())[:MAX_VARIANTS]):
            name = f"v{k + 1}"
            try:
                gv = draw_graph(root, **kw, _expand=frozenset([ext]))
            except ValueError:  # too big expanded
                continue
            variants.append((name, gv))
            expand["v0"][nid] = name
            labels[name] = ext.split(":", 1)[1]
        for name, gv in variants[1:]:  # inside an expanded view, other boxes switch views
            own = {nid: n for nid, n in expand["v0"].items()}
            expand[name] = {nid: n for nid, n in own.items()
                            if nid in (getattr(gv, "viz_expandable", None) or {})}
    parts = []
    for name, gv in variants:
        svg = gv.pipe(format="svg").decode("utf-8")
        parts.append(f'<div class="variant" id="{name}">{_clean_svg(svg)}</div>')
    meta = json.dumps({"expand": expand, "labels": labels}).replace("</", "<\\/")
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{_html.escape(title)}</title><style>{_CSS}</style></head><body>"
        '<div id="bar"><b>' + _html.escape(title) + '</b>'
        '<input id="q" type="search" placeholder="search nodes (name, op, shape)">'
        '<button id="zin" title="zoom in">+</button>'
        '<button id="zout" title="zoom out">&#8722;</button>'
        '<button id="zfit" title="fit to window">fit</button>'
        '<button id="reset" title="collapse everything again">reset</button>'
        '<span id="msg"></span><span style="margin-left:auto;color:#888">drag to pan, wheel to '
        'zoom, click a purple box or frame to expand it</span></div>'
        '<div id="view"><div id="stage">' + "".join(parts) + "</div></div>"
        f'<script type="application/json" id="viz-meta">{meta}</script>'
        f"<script>{_JS}</script></body></html>\n")
    out = os.fspath(path)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(page)
    return out
