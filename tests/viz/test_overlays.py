"""viz overlays (nan, saved_bytes, grad_norm), retain_grads/show_grad="all", view="both"."""
from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.viz import draw_graph, retain_grads
from autograd_lite.viz.model import walk_nodes

from ._dot import ancestors, parse

nn = ag.nn


def painted_red(d) -> set:
    return {k for k, a in d.nodes.items() if "nan" in a.get("class", "").split()}


def test_nan_overlay_colours_exactly_the_downstream_nodes():
    x = ag.tensor([1.0, np.nan, 2.0])
    x.name = "x"
    w = ag.tensor([0.5, 0.5, 0.5], requires_grad=True)
    w.name = "w"
    v = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v.name = "v"
    a = x * w
    a.name = "a"
    b = (a + 1.0).sum()
    b.name = "b"
    c = (v * v).sum()
    c.name = "c"
    loss = b + c
    loss.name = "loss"
    d = parse(draw_graph(loss, overlay="nan").source)
    red = painted_red(d)
    names = {k: d.text(k).split("\n")[0] for k in d.nodes}
    by = {n: k for k, n in names.items()}
    down = {by["x"]}  # everything reachable from x along the drawn edges
    edges = [(s, t) for s, t, _ in d.edges]
    frontier = {by["x"]}
    while frontier:
        frontier = {t for s, t in edges if s in frontier} - down
        down |= frontier
    assert {by["a"], by["b"], by["loss"]} <= down
    ops_down = {k for k in down if k.startswith("op")}
    expected = down
    assert red == expected
    assert by["w"] not in red and by["v"] not in red and by["c"] not in red
    assert len(ops_down) == 4
    assert "NaN/Inf" in d.graph_attrs["label"]


def mlp_loss():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = ag.randn(5, 3)
    return model, ((model(x) - 1.0) ** 2).mean()


@pytest.mark.parametrize("internals", [True, False])
def test_saved_bytes_match_saved_arrays_and_modules_add_up(internals):
    model, loss = mlp_loss()
    nodes = walk_nodes(loss)
    per_node = {n: sum(a.nbytes for _, a in n.saved_arrays()) for n in nodes}
    assert sum(per_node.values()) > 0
    d = parse(draw_graph(loss, overlay="saved_bytes", internals=internals).source)
    drawn = {}
    for k, a in d.nodes.items():
        m = re.search(r"saved_bytes=(\d+)", a.get("tooltip", ""))
        if m:
            drawn[k] = int(m.group(1))
    # every op drawn has its number; together they are every node's saved arrays
    assert sum(drawn.values()) == sum(per_node.values())
    if internals:  # one drawn op per node: the numbers are the nodes' own
        assert sorted(drawn.values()) == sorted(per_node.values())
        assert len(drawn) == len(nodes)
    else:  # a linear call is the sum of its transpose, matmul and add
        lin = [k for k in d.of_class("call") if d.text(k).startswith("linear")]
        assert len(lin) == 2
    # per-module totals: a cluster's total is the sum of what is drawn inside it
    totals = {}
    for c in d.clusters.values():
        m = re.search(r"saved_bytes=(\d+)", c.attrs.get("tooltip", ""))
        assert m, c.label
        totals[c.name] = int(m.group(1))
        assert "saved" in c.label
    for name, total in totals.items():
        inside = sum(v for k, v in drawn.items()
                     if d.clusters[name] in ancestors(d.nodes[k]["cluster"]))
        assert inside == total, d.clusters[name].label
    seq = next(c for c in d.clusters.values() if c.label.startswith("Sequential"))
    children = [c for c in d.clusters.values() if c.parent is seq]
    assert sum(totals[c.name] for c in children) == totals[seq.name]
    assert "bytes saved for backward" in d.graph_attrs["label"]


def test_grad_norm_overlay_and_show_grad_all():
    model, loss = mlp_loss()
    retain_grads(loss)
    loss.backward()
    d = parse(draw_graph(loss, show_grad="all").source)
    inter = d.of_class("intermediate")
    assert inter and all("grad" in d.text(k) for k in inter)
    d_plain = parse(draw_graph(loss).source)
    assert not any("grad" in d_plain.text(k) for k in d_plain.of_class("intermediate"))
    d = parse(draw_graph(loss, overlay="grad_norm").source)
    painted = [k for k, a in d.nodes.items() if "painted" in a.get("class", "")]
    assert len(painted) >= len(d.of_class("parameter")) + len(d.of_class("op"))
    w = next(k for k in d.of_class("parameter") if d.text(k).startswith("0.weight"))
    norm = float(np.linalg.norm(model[0].weight.grad.data))
    assert f"‖grad‖ {norm:.3g}" in d.text(w)
    fills = {d.nodes[k]["fillcolor"] for k in painted}
    assert len(fills) > 2  # a colour scale, not one colour
    assert "log scale" in d.graph_attrs["label"]
    with pytest.raises(ValueError, match="overlay"):
        draw_graph(loss, overlay="bogus")


def test_view_both_one_vjp_per_forward_op_linked_by_id():
    x = ag.tensor(-2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    z = ag.tensor(-4.0, requires_grad=True)
    x.name, y.name, z.name = "x", "y", "z"
    f = (x + y) * z
    retain_grads(f)
    f.backward()
    d = parse(draw_graph(f, view="both").source)
    ops = d.of_class("op")
    vjps = d.of_class("vjp")
    assert len(ops) == 2 and len(vjps) == 2
    assert sorted(vjps) == sorted("b" + o for o in ops)
    for o in ops:
        assert f"of-{o}" in d.nodes["b" + o]["class"]
        assert d.text("b" + o).endswith(d.text(o).split()[-1])  # MulBackward <-> MulBackward
        assert any(s == o and t == "b" + o for s, t, _ in d.edges)  # the dotted link
    assert {d.nodes[k]["cluster"].name for k in vjps} == {"cluster_backward"}
    assert {d.nodes[k]["cluster"].name for k in ops} == {"cluster_forward"}
    # gradients flow bMul -> bAdd carrying dL/d(x+y) = z = -4, and into the leaves
    mul = next(o for o in ops if "Mul" in d.text(o))
    add = next(o for o in ops if "Add" in d.text(o))
    flow = {(s, t): a for s, t, a in d.edges if "gradflow" in a.get("class", "")}
    assert flow[("b" + add, "b" + mul)]["label"] == "-4"
    assert flow[("b" + add, "b" + mul)]["dir"] == "back"
    leafgrads = {d.text(k) for k in d.of_class("leafgrad")}
    assert leafgrads == {"∂/∂x\n-4", "∂/∂y\n-4", "∂/∂z\n3"}
    assert d.text("seed") == "grad 1"
