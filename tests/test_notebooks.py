"""Execute every notebook in notebooks/ top to bottom (nbclient, kernel python3, 60 s each).

Each notebook must run without error and show at least one picture (a PNG or SVG output:
a matplotlib figure or a Graphviz graph). A notebook whose metadata says it needs an
``autograd_lite`` subpackage that is not importable, or Graphviz's ``dot`` binary when it is
missing, is skipped with the reason.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(p for p in NB_DIR.glob("[0-9][0-9]_*.ipynb"))
TIMEOUT = 60  # per cell
# whole notebook, including kernel start-up; raise it on a slow machine
BUDGET = float(os.environ.get("AGL_NOTEBOOK_BUDGET", "60"))
PICTURES = ("image/png", "image/svg+xml")


def _kernel_name() -> str:
    """``python3`` if a kernel spec of that name is found (ipykernel provides one natively);
    otherwise register this interpreter's ipykernel for the current user and use it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
        return "python3"
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(user=True, kernel_name="python3")
        return "python3"


def _pictures(nb) -> int:
    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k in data for k in PICTURES):
                n += 1
    return n


def test_there_are_ten_notebooks_each_opening_with_what_it_teaches():
    assert len(NOTEBOOKS) == 10, [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown", path.name
        assert "teaches" in first.source, f"{path.name}: first cell must say what it teaches"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name}: commit notebooks without outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_draws(path: Path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("autograd_lite", {})
    for sub in meta.get("requires", []):
        if importlib.util.find_spec(f"autograd_lite.{sub}") is None:
            pytest.skip(f"{path.name} needs autograd_lite.{sub}, which is not there yet")
    if meta.get("dot") and shutil.which("dot") is None:
        pytest.skip(f"{path.name} draws graphs and needs Graphviz's `dot` binary")

    # A headless backend for anything that is not the inline one; few BLAS threads.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name=_kernel_name(),
                                     resources={"metadata": {"path": str(NB_DIR)}})
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:  # show the failing cell's traceback
        pytest.fail(f"{path.name} failed:\n{e}")
    except nbclient.exceptions.CellTimeoutError:
        pytest.fail(f"{path.name}: a cell took longer than {TIMEOUT} s")
    elapsed = time.perf_counter() - start
    assert _pictures(nb) >= 1, f"{path.name} produced no picture (PNG/SVG output)"
    assert elapsed < BUDGET, f"{path.name} took {elapsed:.0f} s (budget {BUDGET:.0f} s)"
