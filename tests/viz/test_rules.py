"""Issue 13: the stepper's arithmetic (local rules with the lecture's numbers, shape
equations, summed axes, fan-out), library calls as one step, the focus view, quiz mode,
ForwardStepper, the offline player (headless Chromium) and save_frames."""
from __future__ import annotations

import importlib
import pkgutil
import re
import shutil
import subprocess

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.ops as ops_pkg
from autograd_lite.primitive import Op
from autograd_lite.viz import BackwardStepper, ForwardStepper
from autograd_lite.viz.draw import walk_nodes

from ..ops.op_catalog import ROWS, tensors
from ._dot import parse
from .test_html_health import _chromium

F64 = np.float64
nn = ag.nn
F = nn.functional
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def lecture_neuron():
    """Lecture 2: x = 0.3, y = 1, h = x w + b, lambda = sigmoid(h) = 0.8,
    l = 1/2 (y - lambda)^2 = 0.02 (the lecture's loss)."""
    x = ag.tensor(0.3, dtype=F64)
    y = ag.tensor(1.0, dtype=F64)
    w = ag.tensor(2.0, requires_grad=True, dtype=F64)
    b = ag.tensor(np.log(4.0) - 0.6, requires_grad=True, dtype=F64)
    xw = x * w
    h = xw + b
    lam = ag.sigmoid(h)
    d = y - lam
    l = 0.5 * d ** 2
    names = {"x": x, "y": y, "w": w, "b": b, "xw": xw, "h": h, "lambda": lam, "d": d, "l": l}
    return l, names


# ----------------------------------------------------------------------------- lecture numbers
def test_lecture_neuron_rules_have_the_lectures_numbers():
    l, names = lecture_neuron()
    assert abs(names["lambda"].item() - 0.8) < 1e-12
    recs = BackwardStepper(l, names=names).run()
    text = "\n".join(r.text for r in recs)
    by_op = {r.op: r for r in recs}
    assert "dl/dlambda = -dl/dd = -0.2" in by_op["Sub"].rule
    assert by_op["Sigmoid"].rule == ("dl/dh = dl/dlambda * lambda (1 - lambda) = "
                                     "-0.2 * 0.8 * (1 - 0.8) = -0.2 * 0.16 = -0.032")
    assert "dl/db = dl/dh = -0.032" in text
    assert "dl/dw = dl/dxw * x = -0.032 * 0.3 = -0.0096" in text
    for r in recs:  # every rule is in its step's text
        assert r.rule and r.rule in r.text


def test_xyz_rules():
    x = ag.tensor(-2.0, requires_grad=True, dtype=F64)
    y = ag.tensor(5.0, requires_grad=True, dtype=F64)
    z = ag.tensor(-4.0, requires_grad=True, dtype=F64)
    q = x + y
    f = q * z
    r0, r1 = BackwardStepper(f, names=dict(x=x, y=y, z=z, q=q, f=f)).run()
    assert r0.rules == ("df/dq = z = -4", "df/dz = q = 3")
    assert r1.rules == ("df/dx = df/dq = -4", "df/dy = df/dq = -4")


def test_bce_neuron_one_step_and_its_rule():
    """The same neuron with the BCE of lecture 2: dl/dlambda = (lambda - y) / (lambda (1 -
    lambda)) = -1.25, in one step."""
    w = ag.tensor([[2.0]], requires_grad=True, dtype=F64)
    b = ag.tensor([np.log(4.0) - 0.6], requires_grad=True, dtype=F64)
    x = ag.tensor([[0.3]], dtype=F64)
    y = ag.tensor([[1.0]], dtype=F64)
    lam = ag.sigmoid(F.linear(x, w, b))
    l = F.binary_cross_entropy(lam, y)
    recs = BackwardStepper(l, names=dict(w=w, b=b, x=x, y=y, l=l, lam=lam)).run()
    assert [r.op for r in recs] == ["binary_cross_entropy", "Sigmoid", "linear"]
    assert "dl/dlam = (lam - y) / (lam (1 - lam)) = (0.8 - 1) / (0.8 * (1 - 0.8)) = -1.25" \
        in recs[0].rule
    np.testing.assert_allclose(recs[0].grad_inputs[0].item(), -1.25)


# ----------------------------------------------------------------------------- tensors
def test_linear_shape_equation_and_summed_bias_axis():
    ag.manual_seed(0)
    lin = nn.Linear(128, 10)
    x = ag.randn(64, 128)
    loss = lin(x).sum()
    (r_sum, r_lin) = BackwardStepper(loss).run()
    assert r_lin.op == "linear"
    rule = r_lin.rule
    assert "(64, 10) @ (10, 128) -> (64, 128)" not in rule  # x needs no gradient here
    assert "(64, 10)^T @ (64, 128) -> (10, 128)" in rule  # weight
    assert "summed over axis 0" in rule and "sum over the batch (64 rows)" in rule
    # with the internals: the MatMul states its shape equation, the Add its summed axis
    x2 = ag.randn(64, 128, requires_grad=True)
    recs = BackwardStepper(lin(x2).sum(), internals=True).run()
    mm = next(r for r in recs if r.op == "MatMul")
    assert "(64, 10) @ (128, 10)^T -> (64, 128)" in mm.rule  # x @ W.T: g @ (W.T)^T
    add = next(r for r in recs if r.op == "Add")
    assert "summed over axis 0 (64 positions)" in add.rule and "bias" in add.rule


def test_fan_out_says_partial_sums():
    a = ag.tensor(2.0, requires_grad=True, dtype=F64)
    u = a * 3.0
    v = a * a
    out = u + v
    recs = BackwardStepper(out, names=dict(a=a, u=u, v=v)).run()
    fan = [line for r in recs for line in r.fanout]
    # v = a * a sends a two contributions (2 + 2), then u's 3 completes it: 3 uses
    assert fan == ["a is used 3 times: partial 2 + 2 = 4 (2 of 3 arrived: 1 more to come)",
                   "a is used 3 times: partial 4 + 3 = 7 (3 of 3 arrived: complete)"]
    assert all(line in r.text for r in recs for line in r.fanout)
    assert a.grad.item() == 7.0


# ----------------------------------------------------------------------------- catalog
def _op_instances():
    for m in pkgutil.iter_modules(ops_pkg.__path__):
        mod = importlib.import_module(f"autograd_lite.ops.{m.name}")
        for k, v in vars(mod).items():
            if isinstance(v, Op):
                yield f"{m.name}.{k}", v


def test_every_op_has_a_template():
    missing = [name for name, op in _op_instances() if op.explain is None]
    assert missing == []


DIFF_ROWS = [r for r in ROWS if r.grad and r.cases]


@pytest.mark.parametrize("row", DIFF_ROWS, ids=[r.name for r in DIFF_ROWS])
def test_catalog_rows_have_rules_with_the_engines_numbers(row):
    rng = np.random.default_rng(0)
    for shapes, kw in row.cases:
        ts = tensors(row.inputs(rng, shapes))
        out = row.fn(*ts, **kw)
        root = out.sum() if out.size != 1 else out.reshape(())
        recs = BackwardStepper(root, internals=True).run()
        for r in recs:
            assert r.rule, (row.name, r.op)
            for p, gi, line in zip(r.node.next_functions, r.grad_inputs, r.rules):
                if p is None or gi is None:
                    continue
                assert line
                if gi.size == 1:  # a scalar: the rule ends with the engine's value
                    v = ag.viz.rules.fmt_value(gi.data)
                    assert line.endswith("= " + v), (row.name, line)


def test_custom_function_generic_and_own_template():
    from autograd_lite.explain import Explain, local

    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = ag.tensor(2.0, requires_grad=True, dtype=F64)
    (r,) = BackwardStepper(Cube.apply(x), names={"x": x}).run()
    assert "Cube.backward(ctx, 1)[0] = 12" in r.rule
    Cube.explain = Explain(local("3 {x}^2", lambda out, x: 3 * x * x))
    r = BackwardStepper(Cube.apply(x) * 2.0, names={"x": x}).run()[1]
    assert r.rule == "dL/dx = dL/dCubeBackward.out * 3 x^2 = 2 * 3 * 2^2 = 2 * 12 = 24"
    del Cube.explain


# ----------------------------------------------------------------------------- grouping
def two_layer(seed=0):
    """Lecture 2's exercise: z1 = x W1 + b1, a1 = ReLU(z1), z2 = a1 W2 + b2,
    lambda = sigmoid(z2), l = BCE(lambda, y), over a mini-batch."""
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    x, y = ag.randn(16, 2), (ag.rand(16, 1) > 0.5).astype(np.float32)
    return nn.BCELoss()(model(x), y)


def test_bce_is_one_step_by_default_and_internals_show_all():
    s = BackwardStepper(two_layer())
    recs = s.run()
    assert [r.op for r in recs] == ["binary_cross_entropy", "Sigmoid", "linear", "Relu",
                                    "linear"]
    assert recs[0].rule and "reduction='mean'" in recs[0].rule
    s2 = BackwardStepper(two_layer(), internals=True)
    assert len(s2.run()) == s.num_ops == len(walk_nodes(two_layer())) > 14


def test_grouped_and_internal_passes_leave_the_same_grads():
    grads = []
    for internals in (False, True):
        loss = two_layer()
        params = [n for n in walk_nodes(loss) for p in n.next_functions
                  if isinstance(p, ag.Tensor)]
        assert params
        s = BackwardStepper(loss, internals=internals)
        s.run()
        grads.append(sorted(float(np.abs(p.grad.data).sum()) for n in walk_nodes(loss)
                            for p in n.next_functions if isinstance(p, ag.Tensor)))
    assert grads[0] == grads[1]


# ----------------------------------------------------------------------------- focus
def test_focus_view_of_a_32_layer_mlp_is_small():
    ag.manual_seed(0)
    layers = []
    for i in range(32):
        layers += [nn.Linear(4, 4), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(4, 1))
    loss = ((model(ag.randn(8, 4)) - 1.0) ** 2).mean()
    s = BackwardStepper(loss)
    recs = s.run()
    full = parse(s.draw(step=10, max_nodes=None).source)
    assert len(full.nodes) > 100
    for k in range(len(recs)):
        d = parse(s.draw(focus=k).source)
        assert 3 <= len(d.nodes) <= 15, (k, len(d.nodes))
        assert len(d.of_class("current")) == 1  # the step's op is in the picture


# ----------------------------------------------------------------------------- quiz
def test_quiz_answers_right_and_wrong():
    l, names = lecture_neuron()
    s = BackwardStepper(l, names=names, quiz=True)
    for _ in range(4):
        s.step()
    rec = s.steps[-1]  # SigmoidBackward: dl/dh
    assert rec.op == "Sigmoid" and not rec.revealed
    assert "-0.032" not in rec.text and "= ?" in rec.text
    assert s.question == "dl/dh = ?"
    d = parse(s.draw().source)
    assert "-0.032" not in "".join(d.text(k) for k in d.nodes)
    wrong = s.answer(-0.2)  # the upstream gradient passed on
    assert not wrong.correct
    assert "lambda (1 - lambda)" in wrong.message and "-0.2 * 0.8 * (1 - 0.8)" in wrong.message
    assert "upstream gradient passed on unchanged" in wrong.message
    assert "check the sign" in s.answer(0.032).message
    right = s.answer(-0.032)
    assert right.correct and "right: dl/dh = -0.032" in right.message
    assert rec.revealed and "= -0.032" in rec.text
    s.step()  # AddBackward: two questions
    assert s.question == "dl/dxw = ?"
    assert s.answer(-0.032).correct and s.question == "dl/db = ?"
    assert s.answer(-0.032).correct and s.steps[-1].revealed
    s.step()
    s.reveal()
    assert "-0.0096" in s.steps[-1].text
    s.run()
    np.testing.assert_allclose(names["w"].grad.item(), -0.0096)


# ----------------------------------------------------------------------------- forward
def test_forward_stepper_then_backward_on_the_same_picture():
    ag.manual_seed(0)
    lin = nn.Linear(3, 2)
    x = ag.randn(4, 3)
    fs = ForwardStepper(lambda x: ag.tanh(lin(x)).sum(), x)
    recs = fs.run()
    assert [r.op for r in recs] == ["linear", "Tanh", "Sum"]
    assert "(4, 2)" in recs[0].text and recs[0].tangents is None
    d0 = parse(fs.draw(focus=0).source)
    assert len(d0.of_class("current")) == 1
    assert not any("Tanh" in d0.text(k) for k in d0.nodes)  # not run yet: not drawn
    d = parse(fs.draw().source)
    bs = fs.backward()
    bs.run()
    db = parse(bs.draw().source)
    assert set(d.nodes) <= set(db.nodes)
    assert lin.weight.grad is not None


# ----------------------------------------------------------------------------- export
@pytest.mark.dot
@needs_dot
def test_save_frames_one_svg_per_step(tmp_path):
    s = BackwardStepper(two_layer())
    paths = s.save_frames(tmp_path / "frames")
    assert len(paths) == len(s.steps) == 5
    assert all(p.endswith(".svg") and open(p).read().lstrip().startswith("<?xml")
               for p in paths)


@pytest.mark.dot
@needs_dot
def test_to_html_one_file_one_frame_per_step_no_urls(tmp_path):
    l, names = lecture_neuron()
    s = BackwardStepper(l, names=names)
    path = s.to_html(tmp_path / "steps.html")
    page = open(path, encoding="utf-8").read()
    assert "http" not in page and not re.search(r"""(src|href)\s*=""", page)
    assert page.count('class="frame"') == len(s.steps) == 6
    assert page.count("<svg") == 6
    assert "dl/dh = dl/dlambda * lambda (1 - lambda)" in page
    assert page.count("data-step=") >= 12  # frames and table rows


def _dump(exe, path, tmp_path, suffix=""):
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    try:
        return subprocess.run(flags + ["--virtual-time-budget=3000", "--dump-dom",
                                       f"file://{path}{suffix}"], capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish in time")


@pytest.mark.dot
@needs_dot
def test_to_html_in_headless_chromium_prev_next_change_the_frame(tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed")
    l, names = lecture_neuron()
    path = BackwardStepper(l, names=names).to_html(tmp_path / "steps.html")
    for suffix, frame in (("", "0"), ("?keys=next,next", "2"),
                          ("?keys=next,next,next,prev", "2"), ("#step=4", "4"),
                          ("?keys=prev", "0")):
        r = _dump(exe, path, tmp_path, suffix)
        body = re.search(r"<body[^>]*>", r.stdout)
        assert body, r.stderr[-2000:]
        body = body.group(0)
        assert 'data-ready="1"' in body and "data-errors" not in body, r.stderr[-2000:]
        assert f'data-frame="{frame}"' in body, (suffix, body)
        on = re.findall(r'class="frame on"[^>]*data-step="(\d+)"', r.stdout)
        assert on == [frame]
        bad = [line for line in r.stderr.splitlines()
               if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower())]
        assert bad == []


def test_widget_falls_back_to_plain_html_without_ipywidgets():
    try:  # (ipywidgets is optional: when missing, widget() is the HTML player)
        import ipywidgets  # noqa: F401
        pytest.skip("ipywidgets installed")
    except ImportError:
        pass
    l, names = lecture_neuron()
    w = BackwardStepper(l, names=names).widget()
    h = w._repr_html_()
    assert h.count('class="frame"') == 6 and "prev" in h and "next" in h
