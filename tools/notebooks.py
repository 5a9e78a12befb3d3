"""Run the notebooks' sources and write the ``.ipynb`` that readers open.

The source of each notebook is ``notebooks/NN_name.py`` (jupytext percent format: ``# %%`` code
cells, ``# %% [markdown]`` text cells). The ``.ipynb`` beside it is built from that source and
committed *with its outputs*, so the pictures show on GitHub and on the docs site (which renders
the ``.ipynb`` as they are, without running them again)::

    python tools/notebooks.py            # rebuild every notebook
    python tools/notebooks.py 03 11      # only those whose file name starts with 03 or 11
    python tools/notebooks.py --check    # list the notebooks whose .ipynb is out of date

``tests/test_notebooks.py`` executes every source (so what a notebook asserts is checked on each
test run) and fails when an ``.ipynb`` does not hold its source's cells, i.e. when a source was
edited and this script was not run.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
TIMEOUT = 60  # seconds per cell


def sources() -> list[Path]:
    """The notebook sources, in order: ``notebooks/NN_*.py``."""
    return sorted(NB_DIR.glob("[0-9][0-9]_*.py"))


def read_source(path: Path):
    """The notebook (an ``nbformat`` node, no outputs) that the source ``path`` describes."""
    import jupytext

    nb = jupytext.read(path)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def cell_sources(nb) -> list[tuple[str, str]]:
    """``(cell type, source)`` of each cell: what must agree between a source and its .ipynb."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def kernel_name() -> str:
    """``python3`` if a kernel spec of that name exists; otherwise register this interpreter's
    ipykernel under that name for the current user."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(user=True, kernel_name="python3")
    return "python3"


def execute(nb, timeout: int = TIMEOUT) -> float:
    """Run ``nb`` in place (working directory ``notebooks/``, headless matplotlib, one BLAS
    thread) and return the seconds it took, kernel start-up included."""
    import nbclient

    env = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name=kernel_name(),
                                         record_timing=False,
                                         resources={"metadata": {"path": str(NB_DIR)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def stale() -> list[Path]:
    """The sources whose ``.ipynb`` is missing or holds different cells."""
    import nbformat

    out = []
    for src in sources():
        ipynb = src.with_suffix(".ipynb")
        if not ipynb.exists() or (cell_sources(nbformat.read(ipynb, as_version=4))
                                  != cell_sources(read_source(src))):
            out.append(src)
    return out


def build(src: Path) -> float:
    """Execute the source ``src`` and write ``src.with_suffix('.ipynb')`` with its outputs."""
    import nbformat

    nb = read_source(src)
    seconds = execute(nb)
    nbformat.write(nb, src.with_suffix(".ipynb"))
    return seconds


def main(argv: list[str]) -> int:
    if "--check" in argv:
        out = stale()
        for src in out:
            print(f"{src.relative_to(ROOT)}: the .ipynb is out of date (python tools/notebooks.py"
                  f" {src.name[:2]})")
        return 1 if out else 0
    chosen = [s for s in sources() if not argv or any(s.name.startswith(a) for a in argv)]
    if not chosen:
        print(f"no notebook source matches {argv}", file=sys.stderr)
        return 2
    for src in chosen:
        print(f"{src.name}: {build(src):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
