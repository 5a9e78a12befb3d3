"""Regenerate the example pictures in this folder (needs Graphviz's ``dot``).

    python docs/images/make_images.py

- ``xyz_graph``: the lecture's f = (x + y) z at (-2, 5, -4) after ``backward()``
  (q = x + y keeps its gradient with ``retain_grad``).
- ``mlp_graph``: a two-layer MLP (``nn.Sequential``) on a small batch after ``backward()``,
  with one cluster per module and parameters named ``0.weight``, ``0.bias``, ...
- ``xyz_step1``: ``BackwardStepper`` after its first step (MulBackward highlighted).
- ``neuron_graph``: the lecture's neuron l = 1/2 (y - sigmoid(x w + b))^2 at x = 0.3, y = 1,
  lambda = 0.8 after ``backward()`` (dl/dlambda = -0.2).
- ``deep_mlp_folded``: a 32-layer MLP; its 30 identical Linear-ReLU blocks drawn once (x 30).
- ``deep_mlp_depth1``: the same model with ``depth=1`` (one box per layer, folded).
- ``cnn_graph``: a small CNN (Conv2d, ReLU, MaxPool2d, Flatten, Linear, cross_entropy).
- ``overlay_grad_norm``, ``overlay_saved_bytes``, ``overlay_nan``: the overlays on an MLP.
- ``both_panes``: ``view="both"`` for (x + y) z: forward and backward side by side.
- ``health``: ``viz.diagnostics`` figures for a badly initialised deep tanh net.
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


def viz2() -> None:
    from autograd_lite import viz
    nn = ag.nn
    ag.manual_seed(0)
    layers = [nn.Linear(2, 16), nn.ReLU()]
    for _ in range(30):
        layers += [nn.Linear(16, 16), nn.ReLU()]
    layers.append(nn.Linear(16, 1))
    deep = nn.Sequential(*layers)
    x = ag.randn(8, 2)
    x.name = "x"
    loss = nn.functional.binary_cross_entropy_with_logits(deep(x), ag.ones(8, 1))
    loss.name = "loss"
    write(draw_graph(loss), "deep_mlp_folded", png_dpi=80)
    write(draw_graph(loss, depth=1), "deep_mlp_depth1", png_dpi=80)

    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(8 * 2 * 2, 3))
    img = ag.randn(2, 1, 8, 8)
    img.name = "images"
    closs = nn.functional.cross_entropy(cnn(img), ag.tensor(np.array([0, 2])))
    closs.name = "loss"
    closs.backward(retain_graph=True)
    write(draw_graph(closs), "cnn_graph", png_dpi=80)

    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    xb = ag.randn(16, 2)
    xb.name = "x"
    mloss = ((model(xb) - 1.0) ** 2).mean()
    mloss.name = "loss"
    viz.retain_grads(mloss)
    mloss.backward(retain_graph=True)
    write(draw_graph(mloss, overlay="grad_norm"), "overlay_grad_norm", png_dpi=80)
    write(draw_graph(mloss, overlay="saved_bytes"), "overlay_saved_bytes", png_dpi=80)
    bad = ag.randn(4, 2)
    bad.data[1, 0] = np.nan
    bad.name = "x (one NaN)"
    extra = ag.randn(3, requires_grad=True)
    extra.name = "v"
    nloss = (model(bad) * 2.0).sum() + (extra ** 2).sum()
    write(draw_graph(nloss, overlay="nan"), "overlay_nan", png_dpi=80)

    q, f = xyz()
    viz.retain_grads(f)
    f.backward()
    write(draw_graph(f, view="both"), "both_panes", png_dpi=110)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    ag.manual_seed(0)
    layers = []
    for i in range(6):
        lin = nn.Linear(2 if i == 0 else 32, 32)
        nn.init.normal_(lin.weight, std=3.0 / np.sqrt(lin.in_features))
        layers += [lin, nn.Tanh()]
    layers.append(nn.Linear(32, 1))
    net = nn.Sequential(*layers)
    mon = viz.Monitor(net)
    opt = ag.optim.SGD(net.parameters(), lr=0.05)
    xs, ys = ag.randn(64, 2), ag.randn(64, 1)
    for _ in range(30):
        loss = ((net(xs) - ys) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        mon.step(lr=0.05)
        opt.step()
    figs = mon.report().figures()
    fig, axes = plt.subplots(3, 1, figsize=(8, 8))
    for ax, src in zip(axes, figs):
        for line in src.axes[0].get_lines():
            if line.get_label().startswith("_"):  # the guide line: drawn below
                continue
            ax.plot(line.get_xdata(), line.get_ydata(), label=line.get_label(),
                    ls=line.get_linestyle(), color=line.get_color())
        ax.set_title(src.axes[0].get_title(), fontsize=10)
        ax.legend(fontsize=6, ncol=2)
    axes[2].axhline(-3, color="k", ls="--", lw=1)
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "health.png"), dpi=80)
    print("wrote health.png")


if __name__ == "__main__":
    main()
    viz2()
