"""Look of the drawn graph: node styles, number formatting, labels and the legend.

One place decides how every kind of node looks, so a picture reads the same everywhere:

==============  ==============================================  ==========================
kind            what it is                                      look
==============  ==============================================  ==========================
parameter       a module parameter (``nn.Parameter``)           blue box
input           a leaf tensor that requires grad                green box
constant        an input that does not require grad             grey dashed box
intermediate    a tensor produced by an op                      white box
output          the tensor ``draw_graph`` was called on         gold box, thick border
op              a recorded operation (``MulBackward``)          orange ellipse
module          a collapsed module (``collapse_modules=True``)  lavender 3-d box
==============  ==============================================  ==========================

Tensor labels hold the name (parameter names from ``named_parameters``, else ``tensor.name``),
shape and dtype, the value (small arrays in full, larger ones as ``mean/min/max``) and the
gradient in dark red. Labels are Graphviz HTML-like labels; `label_text` turns one back
into plain text (used by tests and by ``BackwardStepper.table``).
"""
from __future__ import annotations

import html
import re
from typing import Any

import numpy as np

__all__ = ["FONT", "TENSOR_STYLES", "OP_STYLE", "MODULE_STYLE", "HIGHLIGHT_STYLE",
           "DONE_OP_STYLE", "CLUSTER_COLORS", "OP_SYMBOLS", "FOLD_STYLE", "VJP_STYLE", "fmt_number",
           "fmt_array", "tensor_label", "op_label", "module_label", "legend_label",
           "label_text", "constant_label", "call_label"]

FONT = "Helvetica"
GRAD_COLOR = "#b00020"
MUTED = "#555555"

# Graphviz node attributes per tensor kind (see the module docstring for the table).
TENSOR_STYLES: dict[str, dict[str, str]] = {
    "parameter": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe2ff",
                  "color": "#3d6fb6"},
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d4edda",
              "color": "#3c8a4f"},
    "constant": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#f0f0f0",
                 "color": "#888888"},
    "intermediate": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff",
                     "color": "#444444"},
    "output": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#ffe8a1",
               "color": "#a07800", "penwidth": "2.5"},
}
FREED_STYLE = {"style": "rounded,filled,dashed", "fontcolor": MUTED}
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#fde2c8", "color": "#c0712c",
            "margin": "0.05,0.02"}
MODULE_STYLE = {"shape": "box3d", "style": "filled", "fillcolor": "#e6dcf5", "color": "#6a4fa3"}
HIGHLIGHT_STYLE = {"fillcolor": "#ff9f9f", "color": "#d00000", "penwidth": "3"}
DONE_OP_STYLE = {"fillcolor": "#e8e8e8", "color": "#999999"}
# Cluster background by nesting depth (outermost first).
CLUSTER_COLORS = ["#f7f7fb", "#eef2f8", "#e7edf5", "#e0e8f2"]

OP_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Neg": "-", "Pow": "**",
              "MatMul": "@", "Square": "x²", "Exp": "exp", "Log": "log", "Sqrt": "√"}


# ---------------------------------------------------------------------------- numbers
def fmt_number(v: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits: ``-4``, ``0.02``, ``1.235e+04``."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return f"{complex(v):.{digits}g}"
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}g}"


def fmt_array(a: Any, max_elements: int = 6, digits: int = 4) -> str:
    """Values of a small array (``size <= max_elements``) in full, else ``mean/min/max``.

    Plain text; rows of a 2-d array are separated by newlines.
    """
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 1 and a.ndim == 0:
        return fmt_number(a.item(), digits)
    if a.size <= max_elements:
        s = np.array2string(a, separator=", ", max_line_width=1000,
                            formatter={"all": lambda v: fmt_number(v, digits)})
        if a.shape[-1] == 1:  # a column: one line, not one line per element
            s = s.replace("\n", "").replace(",  ", ", ")
        return s
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    if a.dtype.kind == "c":
        a = np.abs(a)
    return (f"mean {fmt_number(np.mean(a), 3)}, min {fmt_number(np.min(a), 3)}, "
            f"max {fmt_number(np.max(a), 3)}")


def fmt_shape(shape: tuple, dtype: Any) -> str:
    """``(3, 4) float32``; scalars read ``scalar float32``."""
    if shape == ():
        return f"scalar {dtype}"
    return f"{tuple(int(n) for n in shape)} {dtype}"


# ---------------------------------------------------------------------------- labels
def _esc(s: str) -> str:
    return html.escape(str(s), quote=True)


def _lines(text: str) -> str:
    """Plain multi-line text to HTML-label lines."""
    return '<BR ALIGN="LEFT"/>'.join(_esc(line.rstrip()) for line in text.split("\n"))


def _table(rows: list[str]) -> str:
    body = "".join(f"<TR><TD ALIGN=\"LEFT\" BALIGN=\"LEFT\">{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _field(title: str, text: str) -> str:
    """``data -2`` on one line, or the title above a multi-line value."""
    if "\n" not in text:
        return f"{title} {_lines(text)}"
    return f'{title}<BR ALIGN="LEFT"/>{_lines(text)}'


def tensor_label(name: str | None, shape: tuple | None, dtype: Any, value: str | None,
                 grad: str | None, note: str | None = None) -> str:
    """HTML label of a tensor node. ``value``/``grad`` are preformatted (``None``: no line)."""
    rows = []
    if name:
        rows.append(f"<B>{_esc(name)}</B>")
    if shape is not None and shape != ():  # scalars: no "scalar float64" line (compact)
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{_esc(fmt_shape(shape, dtype))}</FONT>')
    if note:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}"><I>{_esc(note)}</I></FONT>')
    if value is not None:
        rows.append(_field("data", value))
    if grad is not None:
        rows.append(f'<FONT COLOR="{GRAD_COLOR}">{_field("grad", grad)}</FONT>')
    if not rows:
        rows.append("tensor")
    return _table(rows)


def lines_label(text: str) -> str:
    """An HTML label of plain (multi-line) text."""
    return f"<{_lines(text)}>"


def constant_label(value: str, name: str | None = None) -> str:
    """Compact label of a scalar constant: its value (``0.5``), after its name if any."""
    if name:
        return _table([f"<B>{_esc(name)}</B>", f"= {_esc(value)}"])
    return _table([f"{_esc(value)}"])


def call_label(name: str, detail: str, extra: str | None = None) -> str:
    """HTML label of a library call drawn as one op: ``linear`` and what it is made of."""
    head = f'<B>{_esc(name)}</B><BR/><FONT POINT-SIZE="8" COLOR="{MUTED}">{_lines(detail)}</FONT>'
    if extra:
        head += f'<BR/><FONT POINT-SIZE="9">{_lines(extra)}</FONT>'
    return f"<{head}>"


def op_label(node_str: str, op_name: str, extra: str | None = None) -> str:
    """HTML label of an op node: the op symbol (when it has one) and ``MulBackward``."""
    sym = OP_SYMBOLS.get(op_name)
    head = f'<B>{_esc(sym)}</B>  {_esc(node_str)}' if sym else _esc(node_str)
    if extra:
        head += f'<BR/><FONT POINT-SIZE="9">{_lines(extra)}</FONT>'
    return f"<{head}>"


def module_label(title: str, detail: str, extra: str | None = None) -> str:
    """HTML label of a collapsed module box: ``0: Linear`` and summary lines."""
    rows = [f"<B>{_esc(title)}</B>",
            f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{_lines(detail)}</FONT>']
    if extra:
        rows.append(f'<FONT POINT-SIZE="9">{_lines(extra)}</FONT>')
    return _table(rows)


FOLD_STYLE = {"style": "rounded,filled,dashed", "color": "#6a4fa3", "fillcolor": "#f4effb",
              "penwidth": "1.6"}
VJP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#f8d7da", "color": "#b00020",
             "margin": "0.05,0.02"}


def legend_label(kinds: list[str], title: str | None = None, bar: tuple | None = None,
                 keys: list | None = None) -> str:
    """The graph label: an optional title line, a colour key for ``kinds`` (in order), and
    an overlay's colour bar ``(title, colours, low, high)`` and extra ``(fill, text)`` keys."""
    names = {"parameter": "parameter", "input": "input (requires grad)", "constant": "constant",
             "intermediate": "intermediate", "output": "output", "op": "op",
             "module": "module (collapsed)", "current": "current op",
             "call": "library call (internals hidden)", "fold": "repeated block (drawn once)",
             "vjp": "backward op (VJP)"}
    cells = []
    for k in kinds:
        if k in ("op", "call"):
            fill, border = OP_STYLE["fillcolor"], OP_STYLE["color"]
        elif k == "module":
            fill, border = MODULE_STYLE["fillcolor"], MODULE_STYLE["color"]
        elif k == "current":
            fill, border = HIGHLIGHT_STYLE["fillcolor"], HIGHLIGHT_STYLE["color"]
        elif k == "fold":
            fill, border = FOLD_STYLE["fillcolor"], FOLD_STYLE["color"]
        elif k == "vjp":
            fill, border = VJP_STYLE["fillcolor"], VJP_STYLE["color"]
        else:
            fill, border = TENSOR_STYLES[k]["fillcolor"], TENSOR_STYLES[k]["color"]
        cells.append(f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">'
                     f'<FONT POINT-SIZE="9">{_esc(names[k])}</FONT></TD>')
    rows = ""
    if title:
        rows += f'<TR><TD COLSPAN="{len(cells)}" BORDER="0">{_lines(title)}</TD></TR>'
    rows += "<TR>" + "".join(cells) + "</TR>"
    for fill, text in keys or []:
        rows += (f'<TR><TD BGCOLOR="{fill}" BORDER="1" COLSPAN="{max(len(cells), 1)}">'
                 f'<FONT POINT-SIZE="9">{_esc(text)}</FONT></TD></TR>')
    if bar is not None:
        btitle, colors, lo, hi = bar
        inner = "".join(f'<TD BGCOLOR="{c}" WIDTH="18"> </TD>' for c in colors)
        ends = (f'<TD BORDER="0"><FONT POINT-SIZE="9">{_esc(lo)}</FONT></TD>{inner}'
                f'<TD BORDER="0"><FONT POINT-SIZE="9">{_esc(hi)}</FONT></TD>') if colors else ""
        rows += (f'<TR><TD COLSPAN="{max(len(cells), 1)}" BORDER="0">'
                 f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>'
                 f'<TD BORDER="0"><FONT POINT-SIZE="9">{_esc(btitle)}</FONT></TD>{ends}'
                 f'</TR></TABLE></TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">{rows}</TABLE>>'


_TAG = re.compile(r"<BR[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]+>")


def label_text(label: str) -> str:
    """Plain text of a label made here (``<BR/>`` becomes a newline, other tags vanish)."""
    s = label
    if s.startswith("<") and s.endswith(">"):
        s = s[1:-1]
    s = s.replace("</TR>", "\n")
    s = _TAG.sub("\n", s)
    s = _ANY_TAG.sub("", s)
    s = html.unescape(s)
    return "\n".join(line.strip() for line in s.split("\n") if line.strip())
