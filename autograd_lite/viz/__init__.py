"""Pictures of the computation graph, and backprop one op at a time.

- [`draw_graph`][autograd_lite.viz.draw_graph] turns the graph that produced a tensor into a
  ``graphviz.Digraph`` (shown inline in Jupyter; ``.render()``/``.pipe()`` need Graphviz's ``dot``).
- [`save_graph`][autograd_lite.viz.save_graph] writes ``stem.svg`` (or ``stem.dot`` when ``dot`` is
missing).
- [`BackwardStepper`][autograd_lite.viz.BackwardStepper] runs the engine's backward loop one step at
  a time, recording each step with its local rule in symbols and numbers and drawing the gradients
  known so far (focus view, quiz mode, offline HTML player); `ForwardStepper` walks the forward
  pass op by op on the same picture.

>>> import autograd_lite as ag
>>> x = ag.tensor(-2.0, requires_grad=True); x.name = "x"
>>> y = ag.tensor(5.0, requires_grad=True); y.name = "y"
>>> z = ag.tensor(-4.0, requires_grad=True); z.name = "z"
>>> f = (x + y) * z
>>> f.backward()
>>> g = ag.viz.draw_graph(f)        # g.source is DOT; in Jupyter it displays as SVG
>>> "AddBackward" in g.source and "MulBackward" in g.source
True
"""
from autograd_lite.viz.draw import (
                                    DEFAULT_MAX_NODES,
                                    INSTALL_HINT,
                                    Diagram,
                                    GraphvizNotFoundError,
                                    dot_available,
                                    draw_graph,
                                    save_graph,
)
from autograd_lite.viz.forward import ForwardRecord, ForwardStepper
from autograd_lite.viz.grouping import OpGroup, group_internals
from autograd_lite.viz.health import HealthReport, Monitor, diagnostics
from autograd_lite.viz.html import to_html
from autograd_lite.viz.overlay import GradCapture, retain_grads
from autograd_lite.viz.stepper import BackwardStepper, Feedback, StepRecord

__all__ = ["draw_graph", "save_graph", "dot_available", "BackwardStepper", "StepRecord",
           "Diagram", "GraphvizNotFoundError", "INSTALL_HINT", "DEFAULT_MAX_NODES",
           "group_internals", "OpGroup", "retain_grads", "GradCapture", "to_html",
           "diagnostics", "Monitor", "HealthReport", "ForwardStepper", "ForwardRecord",
           "Feedback"]
