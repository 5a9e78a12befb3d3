"""The map from the lectures to the notebooks, in ``docs/notebooks.md``, is complete and true.

The section "The lectures, example by example" of ``docs/notebooks.md`` has one table row per
worked example or experiment of the five lectures (``shared/seeds/000_*.txt`` ... ``004_*.txt``):
an id ``LLL.k`` (lecture, item), the slide, what the item is, a link to the notebook page, and
the heading of the notebook cell that reproduces it. This test reads those tables and checks,
for every row, that the notebook's source ``notebooks/NN_name.py`` (and its built ``.ipynb``)
exists and has exactly one ``##``/``###`` markdown heading with that text; that every lecture
has rows; and that the rows not yet reproduced (notebook and heading ``TODO``) are exactly the
ones listed in ``MISSING`` below, so the gap can neither grow unnoticed nor be closed without
this list being updated. ``test_every_lecture_item_is_reproduced`` is an expected failure
(strict) for as long as ``MISSING`` is not empty, and names the missing items.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import notebooks as nbtool  # noqa: E402

DOC = ROOT / "docs" / "notebooks.md"
SECTION = "## The lectures, example by example"
LECTURES = ("000", "001", "002", "003", "004")

# Lecture items with no notebook cell yet (their row says TODO). Remove an id when its row is
# filled in; the test fails if this set and the table's TODO rows disagree.
MISSING: frozenset[str] = frozenset()

ROW = re.compile(r"^\|\s*(?P<id>(?P<lecture>\d{3})\.\d+)\s*\|(?P<rest>.*)\|\s*$")
LINK = re.compile(r"^\[(?P<num>\d+)\]\(notebooks/(?P<stem>\d\d_[A-Za-z0-9_]+)\.ipynb\)$")
HEADING = re.compile(r"^(#{2,3})\s+(?P<text>.+?)\s*#*\s*$")


def _rows() -> list[dict]:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"{DOC.name} has no section {SECTION!r}"
    body = text.split(SECTION, 1)[1]
    body = re.split(r"^## ", body, maxsplit=1, flags=re.M)[0]  # up to the next section
    rows = []
    for line in body.splitlines():
        m = ROW.match(line.strip())
        if not m:
            continue
        cells = [c.strip() for c in m["rest"].split("|")]
        assert len(cells) == 4, f"row {m['id']}: expected 5 cells, got {len(cells) + 1}: {line}"
        slide, item, notebook, heading = cells
        rows.append({"id": m["id"], "lecture": m["lecture"], "slide": slide, "item": item,
                     "notebook": notebook, "heading": heading})
    return rows


ROWS = _rows()
MAPPED = [r for r in ROWS if r["notebook"] != "TODO"]


def _headings(src: Path) -> list[str]:
    """The ``##`` and ``###`` headings of the markdown cells of a notebook source."""
    out = []
    for cell in nbtool.read_source(src).cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            m = None if fenced else HEADING.match(line)
            if m:
                out.append(m["text"])
    return out


def test_the_table_has_rows_for_every_lecture():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for lecture in LECTURES:
        assert any(r["lecture"] == lecture for r in ROWS), f"no row for lecture {lecture}"
    assert {r["lecture"] for r in ROWS} <= set(LECTURES)
    for r in ROWS:
        assert r["slide"] and r["item"], f"row {r['id']}: empty slide or description"


def test_todo_rows_are_exactly_the_missing_list():
    todo = {r["id"] for r in ROWS if r["notebook"] == "TODO" or r["heading"] == "TODO"}
    for r in ROWS:
        if r["id"] in todo:
            assert r["notebook"] == r["heading"] == "TODO", f"row {r['id']}: half-filled"
    assert todo == MISSING, (
        f"rows marked TODO but not in MISSING: {sorted(todo - MISSING)}; "
        f"in MISSING but mapped: {sorted(MISSING - todo)}"
    )


@pytest.mark.xfail(bool(MISSING), strict=True,
                   reason=f"{len(MISSING)} lecture items not reproduced yet: "
                          f"{', '.join(sorted(MISSING))}")
def test_every_lecture_item_is_reproduced():
    todo = sorted(r["id"] for r in ROWS if r["notebook"] == "TODO")
    assert not todo, f"lecture items without a notebook cell: {todo}"


@pytest.mark.parametrize("row", MAPPED, ids=[r["id"] for r in MAPPED])
def test_row_names_a_heading_of_its_notebook(row):
    m = LINK.match(row["notebook"])
    assert m, f"row {row['id']}: notebook cell must be [N](notebooks/NN_name.ipynb)"
    stem = m["stem"]
    assert int(m["num"]) == int(stem[:2]), f"row {row['id']}: link text {m['num']} vs {stem}"
    src = nbtool.NB_DIR / f"{stem}.py"
    assert src.exists(), f"row {row['id']}: no notebook source {src.relative_to(ROOT)}"
    assert src.with_suffix(".ipynb").exists(), f"row {row['id']}: {stem}.ipynb is not built"
    headings = _headings(src)
    count = headings.count(row["heading"])
    assert count == 1, (
        f"row {row['id']}: {src.name} has {count} headings {row['heading']!r}; "
        f"its headings are {headings}"
    )


def test_every_notebook_is_listed_on_the_page():
    text = DOC.read_text(encoding="utf-8").split(SECTION, 1)[0]
    for src in nbtool.sources():
        assert f"(notebooks/{src.stem}.ipynb)" in text, (
            f"{src.stem} is missing from the table of notebooks at the top of {DOC.name}"
        )
