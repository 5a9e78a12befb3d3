"""viz.to_html (offline interactive page, checked in headless Chromium when installed) and
viz.diagnostics / Monitor (training health)."""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import viz

from .._chromium import _chromium  # (tests/viz/test_rules.py imports it from here)
from ._dot import parse

nn = ag.nn
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def deep(n_hidden: int = 5):
    ag.manual_seed(0)
    layers = [nn.Linear(2, 6), nn.ReLU()]
    for _ in range(n_hidden):
        layers += [nn.Linear(6, 6), nn.ReLU()]
    layers.append(nn.Linear(6, 1))
    model = nn.Sequential(*layers)
    return ((model(ag.randn(4, 2)) - 1.0) ** 2).mean()


@pytest.mark.dot
@needs_dot
def test_to_html_is_self_contained_and_has_every_node(tmp_path):
    loss = deep()
    g = viz.draw_graph(loss, depth=1)
    path = viz.to_html(g, tmp_path / "graph.html")
    page = open(path, encoding="utf-8").read()
    assert "http" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", page)
    for nid in parse(g.source).nodes:
        assert f'id="{nid}"' in page
    # expanded views of the collapsed modules and of the folded run are embedded
    assert page.count('class="variant"') > 1
    assert '"expand"' in page and "× 5" in page
    # a Tensor works too
    path2 = viz.to_html(loss, tmp_path / "g2.html")
    assert "<svg" in open(path2, encoding="utf-8").read()


@pytest.mark.dot
@needs_dot
def test_to_html_opens_in_headless_chromium_without_errors(tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed")
    path = viz.to_html(viz.draw_graph(deep()), tmp_path / "graph.html")
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    try:
        r = subprocess.run(flags + ["--virtual-time-budget=3000", "--dump-dom",
                                    f"file://{path}"], capture_output=True, text=True,
                           timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish in time")
    dom = r.stdout
    assert 'data-ready="1"' in dom, r.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert "data-errors" not in body and 'data-ready="1"' in body
    bad = [line for line in r.stderr.splitlines()
           if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower())]
    assert bad == []
    shot = tmp_path / "shot.png"
    subprocess.run(flags + ["--window-size=1200,900", f"--screenshot={shot}",
                            f"file://{path}"], capture_output=True, timeout=120)
    assert shot.exists() and shot.read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------------------- diagnostics
def tanh_net(gain: float, seed: int = 0):
    ag.manual_seed(seed)
    layers = []
    for i in range(6):
        lin = nn.Linear(2 if i == 0 else 32, 32)
        nn.init.normal_(lin.weight, std=gain / np.sqrt(lin.in_features))
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Tanh()]
    layers.append(nn.Linear(32, 1))
    return nn.Sequential(*layers)


def train(model, steps: int = 4, lr: float = 0.02):
    ag.manual_seed(1)
    x, y = ag.randn(64, 2), ag.randn(64, 1)
    mon = viz.Monitor(model)
    opt = ag.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        mon.step(lr=lr)
        opt.step()
    return mon, x


def test_diagnostics_flag_a_badly_initialised_tanh_net():
    mon, x = train(tanh_net(8.0))  # too large: every tanh layer saturates
    rep = mon.report()
    sat = [s.saturated for s in rep.layers]
    assert len(sat) == 6 and min(sat) > 0.5
    assert [s.name for s in rep.layers if s.flags] == [s.name for s in rep.layers]
    assert all(s.grad_std is not None for s in rep.layers)  # activation grads were recorded
    mon2, _ = train(tanh_net(0.05))  # too small: the first layers' updates vanish
    rep2 = mon2.report()
    w = {p.name: p for p in rep2.params}
    assert w["0.weight"].update_data < 1e-5 and w["0.weight"].flags
    assert len(w["0.weight"].history) == 4
    assert "0.weight" in rep2.flagged
    # one call after a backward, without a monitor
    one = viz.diagnostics(tanh_net(8.0), x, lr=0.02)
    assert len(one.layers) == 6 and all(s.flags for s in one.layers)


def test_diagnostics_do_not_flag_a_good_init():
    mon, x = train(tanh_net(1.0))
    rep = mon.report()
    assert rep.flagged == []
    assert all(s.saturated < 0.1 for s in rep.layers)
    ud = [p.update_data for p in rep.params if len(p.shape) == 2]
    assert all(1e-4 < r < 1e-1 for r in ud)
    text = rep.table()
    assert "saturated" in text and "update:data" in text and "1e-3" in text
    mon.remove()


def test_dead_relu_units_and_figures_or_table(monkeypatch):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    model[0].bias.data[:4] = -100.0  # four units can never fire
    x = ag.randn(32, 2)
    loss = model(x).mean()
    loss.backward()
    rep = viz.diagnostics(model, x, lr=0.1)
    (relu,) = rep.layers
    assert relu.dead == 0.5 and relu.flags
    import importlib.util
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib
        matplotlib.use("Agg")
        figs = rep.figures()
        assert len(figs) == 3
    import builtins
    real = builtins.__import__

    def no_mpl(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_mpl)
    assert rep.figures() == []
    assert "dead" in str(rep)
