"""The picture object that viz returns, and what rendering it needs: Graphviz's ``dot``.

[`Diagram`][autograd_lite.viz.Diagram] is a ``graphviz.Digraph`` whose rendering errors say how
to install Graphviz ([`GraphvizNotFoundError`][autograd_lite.viz.GraphvizNotFoundError],
[`INSTALL_HINT`][autograd_lite.viz.INSTALL_HINT]); `dot_available` says whether it is installed.
"""
from __future__ import annotations

import shutil
from typing import Any

import graphviz

__all__ = ["Diagram", "GraphvizNotFoundError", "INSTALL_HINT", "dot_available"]

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

