"""Regenerate the example pictures in this folder (needs Graphviz's ``dot``).

    python docs/images/make_images.py

- ``xyz_graph``: the lecture's f = (x + y) z at (-2, 5, -4) after ``backward()``
  (q = x + y keeps its gradient with ``retain_grad``).
- ``mlp_graph``: a two-layer MLP (``nn.Sequential``) on a small batch after ``backward()``,
  with one cluster per module and parameters named ``0.weight``, ``0.bias``, ...
- ``xyz_step1``: ``BackwardStepper`` after its first step (MulBackward highlighted).
- ``neuron_graph``: the lecture's neuron l = 1/2 (y - sigmoid(x w + b))^2 at x = 0.3, y = 1,
  lambda = 0.8 after ``backward()`` (dl/dlambda = -0.2).
"""
from __future__ import annotations

import os

import numpy as np

import autograd_lite as ag
from autograd_lite.viz import BackwardStepper, draw_graph

HERE = os.path.dirname(os.path.abspath(__file__))


def write(g, stem: str, png_dpi: int = 110) -> None:
    path = os.path.join(HERE, stem)
    with open(path + ".svg", "wb") as fh:
        fh.write(g.pipe(format="svg"))
    g.attr(dpi=str(png_dpi))
    with open(path + ".png", "wb") as fh:
        fh.write(g.pipe(format="png"))
    print("wrote", path + ".svg", path + ".png")


def xyz():
    x = ag.tensor(-2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    z = ag.tensor(-4.0, requires_grad=True)
    q = x + y
    f = q * z
    for t, n in ((x, "x"), (y, "y"), (z, "z"), (q, "q"), (f, "f")):
        t.name = n
    return q, f


def main() -> None:
    q, f = xyz()
    q.retain_grad()
    f.backward()
    write(draw_graph(f), "xyz_graph", png_dpi=130)

    _, f2 = xyz()
    s = BackwardStepper(f2)
    s.step()
    write(s.draw(), "xyz_step1", png_dpi=130)

    x = ag.tensor(0.3)
    y = ag.tensor(1.0)
    w = ag.tensor(2.0, requires_grad=True)
    b = ag.tensor(float(np.log(4.0) - 0.6), requires_grad=True)
    h = x * w + b
    lam = ag.sigmoid(h)
    l = 0.5 * (y - lam) ** 2
    for t in (h, lam, l):
        t.retain_grad()
    l.backward(retain_graph=True)  # keep the graph: the constants x and y stay visible
    names = {"x": x, "y": y, "w": w, "b": b, "h": h, "lambda": lam, "l": l}
    write(draw_graph(l, names=names), "neuron_graph", png_dpi=110)

    nn = ag.nn
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = ag.randn(4, 2)
    x.name = "x"
    target = ag.tensor(np.array([[1.0], [0.0], [1.0], [0.0]], dtype=np.float32))
    target.name = "target"
    loss = ((model(x) - target) ** 2).mean()
    loss.name = "loss"
    loss.retain_grad()
    loss.backward(retain_graph=True)  # keep the graph so inputs and intermediates show
    write(draw_graph(loss, max_label_elements=4, rankdir="TB"), "mlp_graph", png_dpi=90)


if __name__ == "__main__":
    main()
