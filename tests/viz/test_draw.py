"""draw_graph: the DOT it writes for the lecture examples, module clusters, collapsing, big
graphs, and rendering with and without Graphviz's ``dot``."""
from __future__ import annotations

import importlib.util
import re
import shutil
import time
from xml.etree import ElementTree

import graphviz
import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.viz import GraphvizNotFoundError, draw_graph, save_graph

from ._dot import ancestors, parse
from ._fake_nn import Block, Linear, Sequential, Tanh

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def xyz(backward: bool = True):
    """The lecture's f = (x + y) z at (-2, 5, -4)."""
    x = ag.tensor(-2.0, requires_grad=True, dtype=np.float64)
    y = ag.tensor(5.0, requires_grad=True, dtype=np.float64)
    z = ag.tensor(-4.0, requires_grad=True, dtype=np.float64)
    x.name, y.name, z.name = "x", "y", "z"
    f = (x + y) * z
    f.name = "f"
    if backward:
        f.backward()
    return x, y, z, f


def node_named(d, name):
    hits = [k for k, a in d.nodes.items() if a["text"].split("\n")[0] == name]
    assert len(hits) == 1, (name, hits)
    return hits[0]


# ----------------------------------------------------------------------------- (x + y) z
def test_xyz_after_backward_dot_structure():
    *_, f = xyz()
    d = parse(draw_graph(f).source)
    tensors = d.of_class("tensor")
    ops = d.of_class("op")
    leaves = d.of_class("input")
    assert len(leaves) == 3
    assert len(ops) == 2
    assert len(d.of_class("intermediate")) == 1
    assert len(d.of_class("output")) == 1
    assert len(tensors) == 5  # exactly: 3 leaves, the intermediate x + y, the output
    assert sorted(d.text(o) for o in ops) == ["*  MulBackward", "+  AddBackward"]
    # the grads of the lecture: df/dx = df/dy = z = -4, df/dz = x + y = 3
    gx, gy, gz = (node_named(d, n) for n in "xyz")
    assert "grad -4" in d.text(gx).split("\n")
    assert "grad -4" in d.text(gy).split("\n")
    assert "grad 3" in d.text(gz).split("\n")
    assert "data -2" in d.text(gx) and "data 5" in d.text(gy) and "data -4" in d.text(gz)
    out = d.of_class("output")[0]
    assert "data -12" in d.text(out) and "grad 1" in d.text(out)
    # the intermediate x + y was freed by backward: drawn anyway, marked as such
    (mid,) = d.of_class("intermediate")
    assert "freed" in d.text(mid)
    # edges in data-flow direction: x, y -> Add -> (x+y) -> Mul <- z; Mul -> f
    add = next(o for o in ops if "Add" in d.text(o))
    mul = next(o for o in ops if "Mul" in d.text(o))
    edges = {(a, b) for a, b, _ in d.edges}
    assert edges == {(gx, add), (gy, add), (add, mid), (mid, mul), (gz, mul), (mul, out)}


def test_xyz_before_backward_shows_values_not_grads():
    *_, f = xyz(backward=False)
    d = parse(draw_graph(f).source)
    (mid,) = d.of_class("intermediate")
    assert "data 3" in d.text(mid)
    assert not any("grad" in d.text(t) for t in d.of_class("tensor"))
    # show_data=False drops the values, show_grad=False the gradients
    *_, f2 = xyz()
    d2 = parse(draw_graph(f2, show_data=False, show_grad=False).source)
    assert not any(("data" in d2.text(t) or "grad" in d2.text(t)) for t in d2.of_class("tensor"))


@pytest.mark.dot
@needs_dot
def test_xyz_renders_to_svg_with_labels(tmp_path):
    *_, f = xyz()
    g = draw_graph(f)
    svg = g.pipe(format="svg").decode()
    texts = [(el.text or "").strip()
             for el in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert texts.count("grad -4") == 2 and texts.count("grad 3") == 1
    assert "MulBackward" in texts and "AddBackward" in texts
    path = g.render(tmp_path / "xyz", format="png", cleanup=True)
    assert open(path, "rb").read(4) == b"\x89PNG"
    # Jupyter shows it inline as SVG
    bundle = g._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_constants_and_styles_are_distinct():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    c = ag.tensor([3.0, 4.0])  # does not require grad: a constant
    loss = ((w * c) + 0.5).sum()
    d = parse(draw_graph(loss).source)
    consts = d.of_class("constant")
    assert len(consts) == 2  # the array c and the number 0.5
    assert any("data [3, 4]" in d.text(k) for k in consts)
    kinds = {}
    for k, a in d.nodes.items():
        kind = a["class"].split()[1] if a["class"].startswith("tensor") else "op"
        kinds.setdefault(kind, set()).add((a.get("fillcolor"), a.get("style")))
    styles = [next(iter(v)) for v in kinds.values()]
    assert all(len(v) == 1 for v in kinds.values())
    assert len(set(styles)) == len(styles) == 5  # input, constant, intermediate, output, op
    # the legend (graph label) names the kinds that occur
    legend = d.graph_attrs["label"]
    for word in ("input (requires grad)", "constant", "intermediate", "output", "op"):
        assert word in legend
    # after backward the constants are no longer known (node.inputs was freed)
    loss.backward()
    d = parse(draw_graph(loss).source)
    assert d.of_class("constant") == []
    assert "grad [3, 4]" in d.text(d.of_class("input")[0])


def test_large_arrays_are_summarised():
    a = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, dtype=np.float32)
    b = (a * 2).sum()
    b.backward()
    d = parse(draw_graph(b, max_label_elements=6).source)
    text = d.text(d.of_class("input")[0])
    assert "(3, 4) float32" in text
    assert "data mean 5.5, min 0, max 11" in text
    assert "grad mean 2, min 2, max 2" in text
    d = parse(draw_graph(b, max_label_elements=12).source)
    assert "[8, 9, 10, 11]]" in d.text(d.of_class("input")[0])


def test_names_mapping_labels_unnamed_tensors():
    a = ag.tensor(1.5, requires_grad=True)
    h = a * a
    d = parse(draw_graph(h, names={"a": a, "h": h, "_": a}).source)
    assert d.text(d.of_class("input")[0]).startswith("a\n")
    assert d.text(d.of_class("output")[0]).startswith("h\n")
    # x * x: one tensor node, two edges into the op
    (op,) = d.of_class("op")
    assert [e for e in d.edges if e[1] == op][0][0] == d.of_class("input")[0]
    assert len([e for e in d.edges if e[1] == op]) == 1  # duplicate edge drawn once


def test_root_that_is_a_leaf():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    d = parse(draw_graph(a).source)
    assert list(d.nodes) == ["t0"] and d.edges == []
    assert "output" in d.nodes["t0"]["class"]


def test_bad_arguments():
    *_, f = xyz(backward=False)
    with pytest.raises(TypeError, match="Tensor"):
        draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(f, rankdir="XY")


# ----------------------------------------------------------------------------- modules
def fake_mlp(seed: int = 0):
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(2, 4, rng), Tanh(), Linear(4, 1, rng))
    x = ag.tensor(rng.normal(size=(5, 2)))
    return model, x


def test_fake_module_clusters_and_parameter_names():
    model, x = fake_mlp()
    loss = ((model(x) - 1.0) ** 2).mean()
    d = parse(draw_graph(loss).source)
    labels = sorted(c.label for c in d.clusters.values())
    assert labels == ["0: Linear", "1: Tanh", "2: Linear", "Sequential"]
    assert all(re.fullmatch(r"cluster_\w+", name) for name in d.clusters)
    by_label = {c.label: c for c in d.clusters.values()}
    for lbl in ("0: Linear", "1: Tanh", "2: Linear"):
        assert by_label[lbl].parent is by_label["Sequential"]
    params = {d.text(k).split("\n")[0]: k for k in d.of_class("parameter")}
    assert sorted(params) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for pname, k in params.items():
        assert d.nodes[k]["cluster"].label == f"{pname[0]}: Linear"
    # ops inside each Linear: the matmul and the bias add are in its cluster
    lin0 = by_label["0: Linear"]
    assert sorted(d.text(k) for k in lin0.nodes if k.startswith("op")) == \
        ["+  AddBackward", "@  MatMulBackward", "PermuteBackward"]
    # the loss ops ran outside any module
    outside = [k for k in d.of_class("op") if d.nodes[k]["cluster"] is None]
    assert sorted(d.text(k).split()[-1] for k in outside) == \
        ["MeanBackward", "SquareBackward", "SubBackward"]
    # the data x (a constant array) stays outside the clusters
    (xk,) = [k for k in d.of_class("constant") if "(5, 2)" in d.text(k)]
    assert d.nodes[xk]["cluster"] is None
    # without clusters: no subgraphs, same nodes
    d2 = parse(draw_graph(loss, cluster_modules=False).source)
    assert d2.clusters == {} and len(d2.nodes) == len(d.nodes)


def test_nested_module_clusters():
    rng = np.random.default_rng(1)
    block = Block(rng)
    out = block(ag.tensor(rng.normal(size=(4, 2)))).sum()
    d = parse(draw_graph(out).source)
    by_label = {c.label: c for c in d.clusters.values()}
    assert set(by_label) == {"Block", "encoder: Sequential", "encoder.0: Linear",
                             "encoder.1: Tanh", "head: Linear"}
    assert [c.label for c in ancestors(by_label["encoder.0: Linear"])] == \
        ["encoder.0: Linear", "encoder: Sequential", "Block"]
    assert by_label["head: Linear"].parent is by_label["Block"]
    params = sorted(d.text(k).split("\n")[0] for k in d.of_class("parameter"))
    assert params == ["encoder.0.bias", "encoder.0.weight", "head.bias", "head.weight"]


def test_collapse_modules_draws_one_box_per_module():
    model, x = fake_mlp()
    loss = ((model(x) - 1.0) ** 2).mean()
    full = parse(draw_graph(loss).source)
    d = parse(draw_graph(loss, collapse_modules=True).source)
    boxes = d.of_class("module")
    assert sorted(d.text(b).split("\n")[0] for b in boxes) == ["0: Linear", "1: Tanh",
                                                               "2: Linear"]
    lin0 = next(b for b in boxes if d.text(b).startswith("0: Linear"))
    assert "3 ops, 2 parameters (12 values)" in d.text(lin0)
    assert d.of_class("parameter") == []  # hidden inside their boxes
    assert len(d.nodes) < len(full.nodes)
    # the chain x -> [0: Linear] -> h -> [1: Tanh] -> h -> [2: Linear] -> out -> loss ops
    succ = {}
    for a, b, _ in d.edges:
        succ.setdefault(a, []).append(b)
    (xk,) = [k for k in d.of_class("constant") if "(5, 2)" in d.text(k)]
    order = [xk]
    while succ.get(order[-1]):
        assert len(succ[order[-1]]) == 1
        order.append(succ[order[-1]][0])
    kinds = [d.nodes[k]["class"].split()[-1] for k in order]
    assert kinds[:7] == ["constant", "module", "intermediate", "module", "intermediate",
                         "module", "intermediate"]
    assert kinds[-1] == "output"


def test_collapse_makes_a_big_model_drawable():
    rng = np.random.default_rng(0)
    model = Sequential(*[Linear(3, 3, rng) for _ in range(300)])
    out = model(ag.tensor(rng.normal(size=(2, 3)))).sum()
    # by default the 300 identical layers are folded into one block drawn once
    d = parse(draw_graph(out).source)
    assert any("× 300" in c.label for c in d.clusters.values())
    assert len(d.nodes) < 20
    # unfolded, the graph is too big to draw and the error names the options to use
    with pytest.raises(ValueError, match="collapse_modules=True") as e:
        draw_graph(out, fold_repeats=False)
    assert "depth=1" in str(e.value)
    d = parse(draw_graph(out, collapse_modules=True, fold_repeats=False).source)
    assert len(d.of_class("module")) == 300


@pytest.mark.skipif(importlib.util.find_spec("autograd_lite.nn") is None,
                    reason="autograd_lite.nn not built yet")
def test_nn_mlp_clusters_and_parameter_names():
    nn = ag.nn
    if not hasattr(nn, "Sequential") or not hasattr(nn, "Linear"):
        pytest.skip("autograd_lite.nn has no Sequential/Linear yet")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    x = ag.randn(16, 2)
    loss = ((model(x) - 1.0) ** 2).mean()
    loss.backward()
    d = parse(draw_graph(loss).source)
    lin = [c for c in d.clusters.values() if c.label.endswith(": Linear")]
    assert sorted(c.label for c in lin) == ["0: Linear", "2: Linear"]
    params = {d.text(k).split("\n")[0]: k for k in d.of_class("parameter")}
    assert sorted(params) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for pname, k in params.items():
        assert d.nodes[k]["cluster"].label == f"{pname.split('.')[0]}: Linear"
        assert "grad" in d.text(k)


# ----------------------------------------------------------------------------- big graphs
def chain(n_ops: int):
    x = ag.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(n_ops // 2):
        y = y * 1.01 + 0.1
    return y


def test_thousands_of_nodes_raise_quickly_with_advice():
    y = chain(3000)  # about 3000 ops and 6000 tensor nodes
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as e:
        draw_graph(y)
    assert time.perf_counter() - t0 < 2.0
    msg = str(e.value)
    assert "collapse_modules=True" in msg and "max_nodes" in msg
    # raising the limit draws it, in well under the time a user would wait
    t0 = time.perf_counter()
    g = draw_graph(y, max_nodes=None)
    assert time.perf_counter() - t0 < 5.0
    d = parse(g.source)
    assert len(d.of_class("op")) == 3000


@pytest.mark.dot
@needs_dot
def test_graph_at_the_default_limit_renders_in_seconds():
    y = chain(498)  # 498 ops, 997 tensors: just under the default max_nodes
    g = draw_graph(y)
    t0 = time.perf_counter()
    svg = g.pipe(format="svg")
    assert time.perf_counter() - t0 < 10.0
    assert svg.count(b"class=\"node") >= 1490


# ----------------------------------------------------------------------------- no `dot`
def test_missing_dot_error_says_how_to_install(tmp_path, monkeypatch):
    *_, f = xyz()
    g = draw_graph(f)
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz executables anywhere
    with pytest.raises(GraphvizNotFoundError) as e:
        g.pipe(format="svg")
    msg = str(e.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install",
                 ".source"):
        assert hint in msg
    assert isinstance(e.value, graphviz.ExecutableNotFound)  # graphviz's own handlers work
    with pytest.raises(GraphvizNotFoundError):
        g.render(tmp_path / "g", format="png")
    assert "MulBackward" in g.source  # the DOT text needs no binary
    bundle = g._repr_mimebundle_()  # a notebook shows the hint and the DOT, not a traceback
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert not ag.viz.dot_available()
    path = save_graph(f, str(tmp_path / "graph"))
    assert path.endswith("graph.dot")
    assert "MulBackward" in open(path).read()


@pytest.mark.dot
@needs_dot
def test_save_graph_writes_svg_when_dot_exists(tmp_path):
    *_, f = xyz()
    path = save_graph(f, str(tmp_path / "graph"))
    assert path.endswith("graph.svg")
    assert "<svg" in open(path).read()
    path = save_graph(draw_graph(f), str(tmp_path / "g2"), format="png")
    assert open(path, "rb").read(4) == b"\x89PNG"
