"""BackwardStepper: one record per op in reverse topological order, per-step gradients equal
what hooks see in backward(), final .grad equal backward()'s, pictures and tables."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.viz import BackwardStepper, draw_graph
from autograd_lite.viz.draw import walk_nodes

from ._dot import parse
from ._fake_nn import Linear, Sequential, Tanh

F64 = np.float64


def xyz():
    x = ag.tensor(-2.0, requires_grad=True, dtype=F64)
    y = ag.tensor(5.0, requires_grad=True, dtype=F64)
    z = ag.tensor(-4.0, requires_grad=True, dtype=F64)
    x.name, y.name, z.name = "x", "y", "z"
    return x, y, z, (x + y) * z


def neuron(seed=0):
    """The lecture's neuron l = 1/2 (y - sigmoid(x w + b))^2, batched, plus a shared
    subexpression (h used twice) so gradients meet."""
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.normal(size=(4, 3)), dtype=F64)
    y = ag.tensor(rng.uniform(size=(4, 1)), dtype=F64)
    w = ag.tensor(rng.normal(size=(3, 1)), requires_grad=True, dtype=F64)
    b = ag.tensor(0.1, requires_grad=True, dtype=F64)
    w.name, b.name = "w", "b"
    h = x @ w + b
    lam = ag.sigmoid(h)
    l = (0.5 * (y - lam) ** 2 + 0.01 * h * h).sum()
    inter = [h, lam, l]
    return [w, b], inter, l


def mlp(seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(3, 5, rng), Tanh(), Linear(5, 2, rng))
    x = ag.tensor(rng.normal(size=(6, 3)))
    out = model(x)
    params = [p for _, p in model.named_parameters()]
    return params, [out], (out * out).mean()


# ----------------------------------------------------------------------------- records
def test_xyz_records_and_final_grads():
    x, y, z, f = xyz()
    s = BackwardStepper(f)
    assert s.num_ops == 2 and not s.done and s.steps == []
    r0 = s.step()
    assert (r0.index, r0.op, str(r0.node)) == (0, "Mul", "MulBackward")
    assert r0.output is f
    assert r0.grad_output.item() == 1.0
    assert [gi.item() for gi in r0.grad_inputs] == [-4.0, 3.0]
    assert r0.inputs[1] is z and r0.inputs[0].item() == 3.0  # x + y, kept alive
    # the first line says what was sent; the rule lines follow (tests/viz/test_rules.py)
    assert r0.text.splitlines()[0] == "0: MulBackward  grad_out=1  -> AddBackward.out: -4, z: 3"
    r1 = s.step()
    assert (r1.index, r1.op) == (1, "Add")
    assert r1.grad_output.item() == -4.0
    assert r1.text.splitlines()[0] == "1: AddBackward  grad_out=-4  -> x: -4, y: -4"
    assert s.done  # the last op: the stepper has finished the engine's loop
    assert s.step() is None and list(s) == []
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)
    assert [r.index for r in s.steps] == [0, 1]


@pytest.mark.parametrize("make", [neuron, mlp], ids=["neuron", "mlp"])
def test_one_record_per_op_in_reverse_topological_order(make):
    _, _, root = make()
    nodes = walk_nodes(root)
    recs = BackwardStepper(root).run()
    assert len(recs) == len(nodes)
    assert {id(r.node) for r in recs} == {id(n) for n in nodes}
    pos = {r.node: r.index for r in recs}
    for r in recs:
        # every op that produced an input of this op is processed after it
        for p in r.node.next_functions:
            if isinstance(p, type(r.node)):
                assert pos[p] > r.index
    assert recs[0].node is root.grad_fn


@pytest.mark.parametrize("make", [neuron, mlp], ids=["neuron", "mlp"])
def test_step_gradients_equal_hooks_and_final_grads_equal_backward(make):
    # backward() with hooks on every intermediate tensor
    params_a, inter_a, root_a = make()
    seen = {}
    for i, t in enumerate(inter_a):
        t.register_hook(lambda g, i=i: seen.__setitem__(i, np.array(g.data, copy=True)))
    root_a.backward()
    # the same graph, stepped
    params_b, inter_b, root_b = make()
    recs = {r.node: r for r in BackwardStepper(root_b)}
    assert len(seen) == len(inter_b)
    for i, t in enumerate(inter_b):
        r = recs[t.grad_fn]
        assert r.output is t
        np.testing.assert_array_equal(r.grad_output.data, seen[i])
    for pa, pb in zip(params_a, params_b):
        np.testing.assert_array_equal(pa.grad.data, pb.grad.data)


def test_grad_inputs_sum_to_the_leaf_grads():
    (w, b), _, l = neuron()
    recs = BackwardStepper(l).run()
    for leaf in (w, b):
        sent = [gi.data for r in recs for p, gi in zip(r.node.next_functions, r.grad_inputs)
                if p is leaf]
        np.testing.assert_allclose(np.sum(sent, axis=0), leaf.grad.data, rtol=1e-12)


def test_tensor_root_with_gradient_and_constants():
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, dtype=F64)
    c = ag.tensor([10.0, 20.0], dtype=F64)
    out = a * c + 1.0  # (2, 2) root, constants c and 1.0
    v = np.array([[1.0, -1.0], [0.5, 2.0]])
    s = BackwardStepper(out, gradient=v)
    recs = s.run()
    assert [r.op for r in recs] == ["Add", "Mul"]
    assert recs[0].grad_inputs[1] is None  # the constant 1.0 gets no gradient
    assert recs[1].inputs[1] is c and recs[1].grad_inputs[1] is None
    np.testing.assert_array_equal(a.grad.data, v * c.data)
    assert "(2, 2) float64" in recs[0].text or "[[1, -1], [0.5, 2]]" in recs[0].text
    with pytest.raises(RuntimeError, match="scalar"):
        BackwardStepper(a * c)  # non-scalar root needs gradient=


def test_freed_graph_and_no_grad_root_are_refused():
    *_, f = xyz()
    f.backward()
    with pytest.raises(RuntimeError, match="freed"):
        BackwardStepper(f)
    with pytest.raises(RuntimeError, match="require grad"):
        BackwardStepper(ag.tensor(1.0))
    with pytest.raises(TypeError):
        BackwardStepper(1.0)


def test_retain_graph_lets_backward_run_again():
    x, y, z, f = xyz()
    BackwardStepper(f, retain_graph=True).run()
    f.backward()
    assert x.grad.item() == -8.0


# ----------------------------------------------------------------------------- pictures
def test_draw_highlights_current_op_and_known_grads():
    x, y, z, f = xyz()
    s = BackwardStepper(f)
    d = parse(s.draw().source)
    assert d.of_class("current") == []
    out = d.of_class("output")[0]
    assert "grad 1" in d.text(out)  # the seed is known before any step
    assert not any("grad" in d.text(k) for k in d.of_class("input"))

    s.step()  # MulBackward
    d = parse(s.draw().source)
    (cur,) = d.of_class("current")
    assert "MulBackward" in d.text(cur)
    (mid,) = d.of_class("intermediate")
    assert "grad -4" in d.text(mid) and "data 3" in d.text(mid)
    zk = next(k for k in d.of_class("input") if d.text(k).startswith("z"))
    assert "grad 3" in d.text(zk)
    xk = next(k for k in d.of_class("input") if d.text(k).startswith("x"))
    assert "grad" not in d.text(xk)
    labelled = {(a, b): e.get("label") for a, b, e in d.edges if b == cur}
    assert labelled == {(mid, cur): "-4", (zk, cur): "3"}
    assert "op 1 of 2" in d.graph_attrs["label"]

    s.step()  # AddBackward, the last: done
    d = parse(s.draw().source)
    assert d.of_class("current") == [] and len(d.of_class("done")) == 2
    grads = sorted(d.text(k).split("\n")[-1] for k in d.of_class("input"))
    assert grads == ["grad -4", "grad -4", "grad 3"]


def test_draw_marks_partial_gradients():
    a = ag.tensor(2.0, requires_grad=True, dtype=F64)
    a.name = "a"
    u = a * 3.0
    v = a * a
    out = u + v  # a gets gradients from two ops
    s = BackwardStepper(out)
    s.step()  # Add
    s.step()  # first of the two Muls
    d = parse(s.draw().source)
    ak = d.of_class("input")[0]
    assert "(partial)" in d.text(ak)
    s.run()
    d = parse(s.draw().source)
    assert "(partial)" not in d.text(d.of_class("input")[0])
    assert "grad 7" in d.text(d.of_class("input")[0])  # 3 + 2a
    assert a.grad.item() == 7.0


def test_draw_of_a_module_graph_has_clusters_and_shapes():
    _, _, root = mlp()
    s = BackwardStepper(root)
    s.step()
    s.step()
    d = parse(s.draw().source)
    assert {c.label for c in d.clusters.values()} == {"Sequential", "0: Linear", "1: Tanh",
                                                       "2: Linear"}
    params = {d.text(k).split("\n")[0] for k in d.of_class("parameter")}
    assert params == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert any("(6, 2) float64" in d.text(k) for k in d.of_class("intermediate"))


@pytest.mark.dot
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
def test_stepper_pictures_render():
    _, _, root = neuron()
    s = BackwardStepper(root)
    for _ in range(3):
        s.step()
        assert s.draw().pipe(format="svg").startswith(b"<?xml")


# ----------------------------------------------------------------------------- tables
def test_table_repr_and_html():
    *_, f = xyz()
    s = BackwardStepper(f)
    s.step()
    assert "1 of 2 ops done" in s.table()
    s.run()
    t = s.table()
    lines = t.splitlines()
    assert lines[0].split()[:4] == ["step", "op", "output", "grad_output"]
    assert "MulBackward" in lines[2] and "AddBackward" in lines[3]
    assert "x: -4, y: -4" in lines[3]
    assert lines[-1] == "backward done: 2 ops"
    assert repr(s).startswith("BackwardStepper(backward done: 2 ops)")
    h = s._repr_html_()
    assert h.count("<tr>") == 3 and "AddBackward" in h


def test_draw_graph_after_stepping_matches_backward_picture():
    # after a full stepped pass, draw_graph shows the same leaf grads as after backward()
    *_, f1 = xyz()
    f1.backward()
    *_, f2 = xyz()
    BackwardStepper(f2).run()
    t1 = sorted(parse(draw_graph(f1).source).nodes[k]["text"]
                for k in parse(draw_graph(f1).source).of_class("input"))
    d2 = parse(draw_graph(f2).source)
    t2 = sorted(d2.nodes[k]["text"] for k in d2.of_class("input"))
    assert t1 == t2


def test_text_names_unnamed_tensors_and_gradient_shape_is_checked():
    a = ag.tensor([1.0, 2.0], requires_grad=True, dtype=F64)
    out = (a * 2.0).sum()
    (r0, r1) = BackwardStepper(out).run()
    assert r1.text.splitlines()[0] == "1: MulBackward  grad_out=[1, 1]  -> input(2,): [2, 2]"
    b = ag.tensor([1.0, 2.0], requires_grad=True, dtype=F64)
    rec = BackwardStepper((b * 2.0).sum(), names={"b": b}).run()[1]
    assert rec.text.splitlines()[0].endswith("-> b: [2, 2]")
    with pytest.raises(RuntimeError, match="shape"):
        BackwardStepper(b * 2.0, gradient=np.ones(3))


def test_lecture_neuron_dl_dlambda():
    """Lecture: x = 0.3, y = 1, lambda = sigmoid(x w + b) = 0.8, l = 1/2 (y - lambda)^2 = 0.02,
    dl/dlambda = -0.2 (w, b chosen so that x w + b = log 4)."""
    x = ag.tensor(0.3, dtype=F64)
    y = ag.tensor(1.0, dtype=F64)
    w = ag.tensor(2.0, requires_grad=True, dtype=F64)
    b = ag.tensor(np.log(4.0) - 0.6, requires_grad=True, dtype=F64)
    h = x * w + b
    lam = ag.sigmoid(h)
    l = 0.5 * (y - lam) ** 2
    names = {"x": x, "y": y, "w": w, "b": b, "h": h, "lambda": lam, "l": l}
    assert abs(lam.item() - 0.8) < 1e-12 and abs(l.item() - 0.02) < 1e-12
    s = BackwardStepper(l, names=names)
    recs = {r.op: r for r in s.run()}
    np.testing.assert_allclose(recs["Sigmoid"].grad_output.item(), -0.2, rtol=1e-12)
    assert "lambda: -0.2" in s.table()
    d = parse(s.draw().source)
    lam_k = next(k for k in d.nodes if d.text(k).startswith("lambda\n"))
    assert "grad -0.2" in d.text(lam_k) and "data 0.8" in d.text(lam_k)
    # dl/dw = -(y - lambda) sigma'(h) x, dl/db = -(y - lambda) sigma'(h)
    np.testing.assert_allclose(w.grad.item(), -0.2 * 0.8 * 0.2 * 0.3, rtol=1e-12)
    np.testing.assert_allclose(b.grad.item(), -0.2 * 0.8 * 0.2, rtol=1e-12)
    assert {d.text(k).split("\n")[0] for k in d.of_class("constant")} >= {"x", "y"}
