"""Paging through a stepped pass: the offline HTML player (``BackwardStepper.to_html``,
``ForwardStepper.to_html``), its inline notebook form, and the ipywidgets controls.

The player is one self-contained page: every frame (inline SVG and the step's rule) is in
it, prev/next buttons and the arrow keys switch frames, the step table below jumps to a row,
no network. ``#step=k`` opens frame ``k``; ``?keys=next,next,prev`` presses the buttons after
loading (what the tests drive headless Chromium with). ``document.body`` carries
``data-frame`` (the frame shown) and ``data-ready="1"``.
"""
from __future__ import annotations

import html
import itertools
from typing import Any

from autograd_lite.viz.draw import GraphvizNotFoundError, dot_available
from autograd_lite.viz.html import _clean_svg

__all__ = ["player_page", "player_fragment", "HTMLPlayer", "widget", "frame_svg"]

_CSS = """
.agp{font-family:Helvetica,Arial,sans-serif;font-size:13px}
.agp .bar{display:flex;gap:8px;align-items:center;padding:6px 0}
.agp .frame{display:none}.agp .frame.on{display:block}
.agp .pic{overflow:auto;max-width:100%;border:1px solid #eee}
.agp .pic svg{max-width:none;height:auto}
.agp pre.rule{background:#fbf7ef;border-left:3px solid #c77700;padding:6px 10px;
  white-space:pre-wrap;margin:6px 0}
.agp table{border-collapse:collapse;margin-top:10px}
.agp td,.agp th{border-bottom:1px solid #eee;padding:2px 8px;text-align:left;
  font-family:monospace;font-size:12px}
.agp tr.on td{background:#fff3cd}.agp tbody tr{cursor:pointer}
"""

_JS = r"""
(function(){
  var root = document.getElementById('%(id)s');
  var errors = [];
  window.addEventListener('error', function(e){
    errors.push(String(e.message));
    document.body.setAttribute('data-errors', errors.join(' | '));
  });
  var frames = root.querySelectorAll('.frame');
  var rows = root.querySelectorAll('tbody tr');
  var counter = root.querySelector('.counter');
  var k = 0;
  function show(i){
    if (!frames.length) return;
    k = Math.max(0, Math.min(frames.length - 1, i));
    for (var j = 0; j < frames.length; j++) frames[j].classList.toggle('on', j === k);
    for (var j = 0; j < rows.length; j++) rows[j].classList.toggle('on', j === k);
    counter.textContent = 'step ' + k + ' of ' + (frames.length - 1);
    root.setAttribute('data-frame', String(k));
    if (%(page)s) document.body.setAttribute('data-frame', String(k));
  }
  var prev = root.querySelector('.prev'), next = root.querySelector('.next');
  prev.addEventListener('click', function(){ show(k - 1); });
  next.addEventListener('click', function(){ show(k + 1); });
  for (var j = 0; j < rows.length; j++) (function(j){
    rows[j].addEventListener('click', function(){ show(j); });
  })(j);
  if (%(page)s) {
    document.addEventListener('keydown', function(e){
      if (e.key === 'ArrowRight') { next.click(); e.preventDefault(); }
      if (e.key === 'ArrowLeft') { prev.click(); e.preventDefault(); }
    });
    var m = /step=(\d+)/.exec(location.hash || '');
    show(m ? parseInt(m[1], 10) : 0);
    var q = /[?&]keys=([a-z,]+)/.exec(location.search || '');
    if (q) q[1].split(',').forEach(function(w){
      if (w === 'next') next.click(); else if (w === 'prev') prev.click();
    });
    document.body.setAttribute('data-ready', '1');
  } else {
    root.tabIndex = 0;
    root.addEventListener('keydown', function(e){
      if (e.key === 'ArrowRight') next.click();
      if (e.key === 'ArrowLeft') prev.click();
    });
    show(0);
  }
})();
"""

_ids = itertools.count()


def frame_svg(g: Any) -> str:
    """One frame's picture: inline SVG (no XML prolog, namespaces or URLs), or the DOT text
    when Graphviz's ``dot`` is not installed."""
    if dot_available():
        try:
            return _clean_svg(g.pipe(format="svg").decode("utf-8"))
        except GraphvizNotFoundError:
            pass
    return f"<pre>{html.escape(g.source)}</pre>"


def player_fragment(stepper: Any, frames: list, page: bool = False) -> str:
    """The player as an HTML fragment (a ``<div>`` with its style and script)."""
    pid = f"agp{next(_ids)}"
    parts = []
    for k, (g, rec) in enumerate(zip(frames, stepper.steps)):
        parts.append(f'<div class="frame" id="{pid}-f{k}" data-step="{k}">'
                     f'<pre class="rule">{html.escape(rec.text)}</pre>'
                     f'<div class="pic">{frame_svg(g)}</div></div>')
    js = _JS % {"id": pid, "page": "true" if page else "false"}
    return (f'<div class="agp" id="{pid}"><style>{_CSS}</style>'
            '<div class="bar"><button class="prev" title="previous step (left arrow)">'
            '&#9664; prev</button><button class="next" title="next step (right arrow)">'
            'next &#9654;</button><span class="counter"></span></div>'
            + "".join(parts) + stepper.table_html() + f"<script>{js}</script></div>")


def player_page(stepper: Any, frames: list, title: str) -> str:
    """The whole offline page."""
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head><body>"
            f"<h3 style='font-family:Helvetica,Arial,sans-serif'>{html.escape(title)}</h3>"
            + player_fragment(stepper, frames, page=True) + "</body></html>\n")


class HTMLPlayer:
    """The plain-HTML fallback of ``widget()``: displays as the player in Jupyter."""

    def __init__(self, stepper: Any, frames: list) -> None:
        self.stepper = stepper
        self.frames = frames

    def _repr_html_(self) -> str:
        return player_fragment(self.stepper, self.frames)


def widget(stepper: Any, focus: bool = True) -> Any:
    """ipywidgets controls: Prev shows earlier steps, Next runs the next one."""
    import ipywidgets as w

    out = w.HTML()
    rule = w.HTML()
    prev_b, next_b = w.Button(description="◀ prev"), w.Button(description="next ▶")
    label = w.Label()
    state = {"k": len(stepper.steps) - 1}

    def render() -> None:
        k = state["k"]
        if k < 0:
            out.value, rule.value = "", "<pre>before backward: press next</pre>"
        else:
            g = stepper.draw(focus=k) if focus else stepper.draw(step=k)
            out.value = f'<div style="overflow:auto">{frame_svg(g)}</div>'
            rule.value = f"<pre>{html.escape(stepper.steps[k].text)}</pre>"
        label.value = f"step {k} of {stepper.num_steps - 1}"

    def on_prev(_: Any) -> None:
        state["k"] = max(state["k"] - 1, -1)
        render()

    def on_next(_: Any) -> None:
        if state["k"] + 1 >= len(stepper.steps) and stepper.step() is None:
            return
        state["k"] += 1
        render()

    prev_b.on_click(on_prev)
    next_b.on_click(on_next)
    render()
    return w.VBox([w.HBox([prev_b, next_b, label]), rule, out])
