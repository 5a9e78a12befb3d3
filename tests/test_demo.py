"""The README's demo (`python -m autograd_lite`): trains, reports, and writes the picture."""
import re
import shutil
import subprocess
import sys

import pytest

from autograd_lite import __main__ as demo
from autograd_lite.viz import draw


def test_demo_learns_the_circles_and_writes_the_graph(tmp_path, capsys):
    demo.main(["--out", str(tmp_path / "graph")])
    out = capsys.readouterr().out
    accs = [float(a) for a in re.findall(r"val acc (\d\.\d+)", out)]
    assert len(accs) >= 3 and accs[-1] >= 0.9, out
    final = float(re.search(r"final validation accuracy (\d\.\d+)", out).group(1))
    assert final >= 0.9
    written = sorted(p.name for p in tmp_path.iterdir())
    if shutil.which("dot"):
        assert written == ["graph.svg"]
        svg = (tmp_path / "graph.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "cluster" in svg
    else:
        assert written == ["graph.dot"]


def test_demo_without_dot_writes_dot_source_and_says_how_to_install(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setattr(draw, "dot_available", lambda: False)
    demo.main(["--epochs", "1", "--out", str(tmp_path / "g")])
    out = capsys.readouterr().out
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "apt-get install graphviz" in out and not (tmp_path / "g.svg").exists()


@pytest.mark.dot
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_demo_runs_as_a_module(tmp_path):
    r = subprocess.run([sys.executable, "-m", "autograd_lite", "--epochs", "2"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "graph.svg").exists() and "wrote graph.svg" in r.stdout
