"""The notebooks: their sources run, and the committed ``.ipynb`` are built from those sources.

Each notebook's source is ``notebooks/NN_name.py`` (jupytext percent format). The test executes
every source top to bottom (nbclient, kernel python3, within a 60 s budget each), so each
number a notebook asserts is checked on every run, and each must show at least one picture.
The ``.ipynb`` beside a source is committed with its outputs (readers on GitHub and the docs site
see them); a test fails when it does not hold exactly its source's cells, i.e. when a source
changed and ``python tools/notebooks.py NN`` was not run. A notebook whose metadata says it needs
an ``autograd_lite`` subpackage that is missing, or Graphviz's ``dot`` binary when it is absent,
is skipped with the reason.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import notebooks as nbtool  # noqa: E402

SOURCES = nbtool.sources()
# whole notebook, including kernel start-up; raise it on a slow machine
BUDGET = float(os.environ.get("AGL_NOTEBOOK_BUDGET", "60"))
PICTURES = ("image/png", "image/svg+xml")


def _pictures(nb) -> int:
    return sum(any(k in out.get("data", {}) for k in PICTURES)
               for cell in nb.cells for out in cell.get("outputs", []))


def test_notebooks_dir_holds_sources_and_their_notebooks_only():
    assert len(SOURCES) >= 10, [p.name for p in SOURCES]
    # files a notebook writes when it runs (e.g. a stepper's HTML page) are gitignored
    names = {p.name for p in nbtool.NB_DIR.iterdir()
             if not p.name.startswith(".") and p.suffix != ".html"}
    expected = {p.name for p in SOURCES} | {p.with_suffix(".ipynb").name for p in SOURCES}
    assert names <= expected | {"__pycache__"}, f"unexpected files: {sorted(names - expected)}"


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_source_opens_with_what_it_teaches_and_ends_with_exercises(src: Path):
    nb = nbtool.read_source(src)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), src.name
    assert "teaches" in first.source, f"{src.name}: the first cell must say what it teaches"
    sections = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert sections and sections[-1].strip() == "## Exercises", \
        f"{src.name}: the last section must be '## Exercises' (sections: {sections})"


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_committed_notebook_is_built_from_its_source(src: Path):
    ipynb = src.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} is missing: run python tools/notebooks.py {src.name[:2]}"
    nb = nbformat.read(ipynb, as_version=4)
    assert nbtool.cell_sources(nb) == nbtool.cell_sources(nbtool.read_source(src)), (
        f"{ipynb.name} does not match {src.name}: run python tools/notebooks.py {src.name[:2]}")
    assert nb.metadata.get("autograd_lite") == nbtool.read_source(src).metadata.get(
        "autograd_lite"), f"{ipynb.name}: metadata differs from {src.name}"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.get("execution_count") is not None, \
                f"{ipynb.name}: committed without outputs (run python tools/notebooks.py)"
            assert not [o for o in cell.outputs if o.get("output_type") == "error"], ipynb.name
    assert _pictures(nb) >= 1, f"{ipynb.name}: committed without its pictures"


@pytest.mark.slow
@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_runs_and_draws(src: Path):
    nb = nbtool.read_source(src)
    meta = nb.metadata.get("autograd_lite", {})
    for sub in meta.get("requires", []):
        if importlib.util.find_spec(f"autograd_lite.{sub}") is None:
            pytest.skip(f"{src.name} needs autograd_lite.{sub}, which is not there yet")
    if meta.get("dot") and shutil.which("dot") is None:
        pytest.skip(f"{src.name} draws graphs and needs Graphviz's `dot` binary")
    import nbclient

    try:
        elapsed = nbtool.execute(nb)
    except nbclient.exceptions.CellExecutionError as e:  # show the failing cell's traceback
        pytest.fail(f"{src.name} failed:\n{e}")
    except nbclient.exceptions.CellTimeoutError:
        pytest.fail(f"{src.name}: a cell took longer than {nbtool.TIMEOUT} s")
    assert _pictures(nb) >= 1, f"{src.name} produced no picture (PNG/SVG output)"
    assert elapsed < BUDGET, f"{src.name} took {elapsed:.0f} s (budget {BUDGET:.0f} s)"


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_figures_are_legible(src: Path):
    """Figures at >= 100 dpi and legends of >= 9 pt (issue 14: legible figures)."""
    import re

    text = src.read_text()
    if "matplotlib" not in text:
        return
    dpi = [float(v) for v in re.findall(r'rcParams\["figure\.dpi"\]\s*=\s*([0-9.]+)', text)]
    assert dpi and min(dpi) >= 100, f"{src.name}: set plt.rcParams['figure.dpi'] >= 100"
    small = [m.group(0) for m in re.finditer(
        r"legend\([^)]*fontsize\s*=\s*(?:([0-9.]+)|['\"](xx?-small|smaller)['\"])", text)
        if m.group(2) or float(m.group(1)) < 9]
    assert not small, f"{src.name}: legends below 9 pt: {small}"
    sizes = [float(v) for v in re.findall(r'rcParams\["legend\.fontsize"\]\s*=\s*([0-9.]+)', text)]
    assert all(s >= 9 for s in sizes), f"{src.name}: legend.fontsize {sizes}"
