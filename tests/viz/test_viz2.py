"""viz 2.0 (issue 12): fitting the page, library calls drawn as the op the user called,
depth boxes, folded repeats, big graphs."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.viz import draw_graph, group_internals
from autograd_lite.viz.model import walk_nodes

from ._dot import parse

nn = ag.nn
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def svg_width_px(g) -> float:
    svg = g.pipe(format="svg").decode()
    m = re.search(r'<svg width="([\d.]+)pt"', svg)
    return float(m.group(1)) * 96 / 72


def xyz():
    x = ag.tensor(-2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    z = ag.tensor(-4.0, requires_grad=True)
    x.name, y.name, z.name = "x", "y", "z"
    f = (x + y) * z
    f.name = "f"
    f.backward()
    return f


def neuron():
    x, y = ag.tensor(0.3), ag.tensor(1.0)
    w = ag.tensor(2.0, requires_grad=True)
    b = ag.tensor(float(np.log(4.0) - 0.6), requires_grad=True)
    h = x * w + b
    lam = ag.sigmoid(h)
    loss = 0.5 * (y - lam) ** 2
    loss.backward(retain_graph=True)
    return loss, {"x": x, "y": y, "w": w, "b": b, "h": h, "lambda": lam, "l": loss}


def deep_mlp(n_hidden: int = 30, width: int = 16):
    ag.manual_seed(0)
    layers = [nn.Linear(2, width), nn.ReLU()]
    for _ in range(n_hidden):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, 1))
    model = nn.Sequential(*layers)
    loss = ((model(ag.randn(8, 2)) - 1.0) ** 2).mean()
    return model, loss


# ----------------------------------------------------------------------------- fit the page
@pytest.mark.dot
@needs_dot
def test_lecture_graphs_fit_700px():
    assert svg_width_px(draw_graph(xyz())) <= 700
    loss, names = neuron()
    g = draw_graph(loss, names=names)
    assert svg_width_px(g) <= 700
    assert g.graph_attr["rankdir"] == "TB"  # a long chain goes top to bottom


def test_compact_scalar_labels_and_root_grad_after_retain_graph():
    loss, names = neuron()
    d = parse(draw_graph(loss, names=names).source)
    texts = [d.text(k) for k in d.nodes]
    assert not any("scalar" in t for t in texts)
    consts = {d.text(k) for k in d.of_class("constant")}
    assert {"x\n= 0.3", "y\n= 1", "0.5"} <= consts  # named constants, bare numbers
    # backward(retain_graph=True) ran: the loss shows its seed gradient
    assert "grad 1" in d.text(d.of_class("output")[0])


def test_rankdir_auto_picks_lr_for_short_wide_graphs():
    xs = [ag.tensor(float(i), requires_grad=True) for i in range(2)]
    g = draw_graph(xs[0] * xs[1], size=None)
    assert g.graph_attr["rankdir"] == "LR"
    g = draw_graph(xyz(), rankdir="LR")
    assert g.graph_attr["rankdir"] == "LR"


def test_notebook_display_scrolls_instead_of_shrinking():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` not installed")
    bundle = draw_graph(xyz())._repr_mimebundle_()
    html = bundle["text/html"]
    assert "overflow:auto" in html and "max-width:none" in html and "<svg" in html


# ----------------------------------------------------------------------------- internals
def mlp3():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                          nn.Linear(8, 1))
    loss = nn.functional.binary_cross_entropy(ag.sigmoid(model(ag.randn(16, 2))),
                                              ag.ones(16, 1))
    return model, loss


def test_internals_hidden_by_default():
    _, loss = mlp3()
    d = parse(draw_graph(loss).source)
    texts = [d.text(k) for k in d.nodes]
    assert not any("Permute" in t for t in texts)
    calls = [d.text(k).split("\n")[0] for k in d.of_class("call")]
    assert calls.count("linear") == 3 and "binary_cross_entropy" in calls
    for k in d.of_class("call"):  # each linear call sits in its Linear's cluster
        if d.text(k).startswith("linear"):
            assert d.nodes[k]["cluster"].label.endswith(": Linear")
    # parameters still feed the call
    params = d.of_class("parameter")
    assert len(params) == 6
    lin = {k for k in d.of_class("call") if d.text(k).startswith("linear")}
    assert all(any(a == p and b in lin for a, b, _ in d.edges) for p in params)
    full = parse(draw_graph(loss, internals=True).source)
    assert sum("PermuteBackward" in full.text(k) for k in full.of_class("op")) == 3
    assert full.of_class("call") == []


def test_group_internals_one_group_per_call():
    ag.manual_seed(0)
    lin = nn.Linear(3, 3)
    x = ag.randn(2, 3)
    out = lin(lin(x)).sum()  # the same function (and module) called twice, back to back
    groups = group_internals(walk_nodes(out))
    assert [g.name for g in groups] == ["linear", "linear"]
    assert [len(g.nodes) for g in groups] == [3, 3]
    assert all(g.output is g.nodes[-1] for g in groups)
    assert set(groups[0].nodes).isdisjoint(groups[1].nodes)
    assert sorted(n.name for n in groups[0].nodes) == ["Add", "MatMul", "Permute"]


# ----------------------------------------------------------------------------- depth, folding
def test_depth_1_draws_each_top_level_module_as_one_box():
    _, loss = mlp3()
    d = parse(draw_graph(loss, depth=1).source)
    boxes = sorted(d.text(b).split("\n")[0] for b in d.of_class("module"))
    assert boxes == ["0: Linear", "1: ReLU", "2: Linear", "3: ReLU", "4: Linear"]
    lin0 = next(b for b in d.of_class("module") if d.text(b).startswith("0: Linear"))
    assert "(16, 2) → (16, 8)" in d.text(lin0)
    assert "2 parameters (24 values)" in d.text(lin0)
    assert d.of_class("parameter") == []
    d0 = parse(draw_graph(loss, depth=0).source)
    assert [d0.text(b).split("\n")[0] for b in d0.of_class("module")] == ["Sequential"]


@pytest.mark.dot
@needs_dot
def test_deep_mlp_is_folded_and_renders():
    model, loss = deep_mlp()
    assert len(walk_nodes(loss)) > 120
    g = draw_graph(loss)
    d = parse(g.source)
    assert len(d.nodes) <= 60
    folds = [c for c in d.clusters.values() if "× 30" in c.label]
    assert len(folds) == 1 and "[Linear, ReLU]" in folds[0].label
    svg = g.pipe(format="svg")
    assert b"30" in svg
    unfolded = parse(draw_graph(loss, fold_repeats=False).source)
    assert len(unfolded.nodes) > 150
    assert not any("×" in c.label for c in unfolded.clusters.values())


def test_fold_needs_identical_blocks():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 5), nn.Linear(5, 4), nn.Linear(4, 4))
    d = parse(draw_graph(model(ag.randn(2, 4)).sum()).source)
    assert not any("×" in c.label for c in d.clusters.values())


@pytest.mark.dot
@needs_dot
def test_a_thousand_node_model_renders_at_default_settings():
    _, loss = deep_mlp(n_hidden=250, width=4)
    assert len(walk_nodes(loss)) > 900
    g = draw_graph(loss)
    assert len(parse(g.source).nodes) <= 60
    assert g.pipe(format="svg").startswith(b"<?xml")


def test_max_nodes_refusal_names_the_options():
    x = ag.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(400):
        y = y * 1.01
    with pytest.raises(ValueError) as e:
        draw_graph(y, max_nodes=100)
    assert "depth=1" in str(e.value) and "max_nodes" in str(e.value)
