"""The one-list property: every op is declared once (``@export`` in its family file, giving
``autograd_lite.primitive.OPS``), and everything else is derived from that list or checked
against it here.

- exports: ``ag.<name>`` and ``ag.__all__`` are the op list's functions, each method form
  ``Tensor.<m>`` is the function itself;
- catalog: every op has a row in ``tests/ops/op_catalog.py`` (which drives forward, gradcheck,
  gradgradcheck and fuzz tests), a fuzzed one (``draw=``), a gradchecked one if it is
  differentiable, and every row names an op that exists;
- docs: every op has an entry in the API reference (``docs/api/core.md``), under its family's
  section, and the op sections document nothing else;
- nothing public is left over: a public function in an ``ops/`` family file is either on the
  list or one of the named internal kernels (e.g. ``log1p`` defined but never exported fails).
"""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import autograd_lite as ag
from autograd_lite.primitive import OPS
from tests.ops.op_catalog import ROWS

ROOT = Path(__file__).resolve().parents[2]
CORE_MD = ROOT / "docs" / "api" / "core.md"
FAMILIES = ("elementwise", "reduction", "shape", "linalg", "special", "conv", "loss",
            "indexing", "scan", "mathfuncs", "truth", "pieces")
#: The API page's section for each family's ops.
SECTIONS = {"elementwise": "Elementwise ops", "special": "Elementwise ops",
            "mathfuncs": "Elementwise ops",
            "reduction": "Reductions and softmax", "shape": "Shape and indexing",
            "indexing": "Shape and indexing", "scan": "Reductions and softmax",
            "linalg": "Linear algebra", "truth": "Reductions and softmax",
            "pieces": "Shape and indexing"}
#: Public functions of the family files that are not ops of the list: the nn kernels (reached
#: through nn.functional, which the catalog checks as ``F.<name>``), the helpers behind the
#: operators and the argument normalisers.
NOT_OPS = {"conv2d", "conv_transpose2d", "max_pool2d", "sum_pool2d", "pair",  # ops/conv.py
           "out_size",
           "softplus", "softmax_cross_entropy",  # nn kernels
           "compare", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",  # operators
           "normalize_axis", "normalize_index", "max_result", "min_result"}


def test_every_op_is_exported():
    for name, info in OPS.items():
        assert getattr(ag, name, None) is info.fn, f"ag.{name} is not the declared op"
        assert name in ag.__all__, f"{name} missing from ag.__all__"
        assert getattr(ag.ops, name) is info.fn
        assert info.family in FAMILIES, (name, info.family)
        for m in info.methods:
            assert getattr(ag.Tensor, m) is info.fn, f"Tensor.{m} is not ag.{name}"


def test_family_files_define_no_stray_public_ops():
    for fam in FAMILIES:
        mod = importlib.import_module(f"autograd_lite.ops.{fam}")
        for n, obj in vars(mod).items():
            if n.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != mod.__name__:
                continue
            assert n in OPS or n in NOT_OPS, (
                f"autograd_lite/ops/{fam}.py defines the public function {n} but it is neither "
                f"declared with @export (an op: ag.{n}) nor listed in NOT_OPS (a helper)")
            if n in OPS:
                assert OPS[n].family == fam


def test_every_op_has_a_catalog_row():
    ops_with_rows = {r.op for r in ROWS}
    missing = sorted(set(OPS) - ops_with_rows)
    assert not missing, f"ops without a row in tests/ops/op_catalog.py: {missing}"
    for r in ROWS:  # and every row names something that exists
        if r.op.startswith("F."):
            import autograd_lite.nn.functional as F
            assert hasattr(F, r.op[2:]), r.op
        elif r.op.startswith("Tensor."):
            assert hasattr(ag.Tensor, r.op[7:]), r.op
        else:
            assert r.op in OPS, f"catalog row {r.name} names {r.op!r}, not an op of the list"
        if r.method:
            assert r.method in OPS[r.op].methods, f"{r.name}: Tensor.{r.method} is not declared"


def test_every_op_is_fuzzed():
    fuzzed = {r.op for r in ROWS if r.draw is not None}
    missing = sorted(set(OPS) - fuzzed)
    assert not missing, f"ops without a fuzzed catalog row (give one row draw=): {missing}"


def test_every_differentiable_op_is_gradchecked():
    checked = {r.op for r in ROWS if r.cases and r.grad}
    for name, info in OPS.items():
        rows = [r for r in ROWS if r.op == name]
        if any(r.grad for r in rows):
            assert name in checked, f"{name}: differentiable but no row with cases"


def _sections() -> dict:
    """``{entry: section heading}`` for every ``::: autograd_lite.<name>`` of the page."""
    out, section = {}, None
    for line in CORE_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        m = re.match(r"::: autograd_lite\.(\w+)$", line.strip())
        if m:
            out[m.group(1)] = section
    return out


def test_every_op_has_a_docs_entry_in_its_section():
    entries = _sections()
    for name, info in OPS.items():
        assert name in entries, f"ag.{name} has no '::: autograd_lite.{name}' in {CORE_MD.name}"
        assert entries[name] == SECTIONS[info.family], (
            f"ag.{name} is documented under {entries[name]!r}, expected "
            f"{SECTIONS[info.family]!r}")
    op_sections = set(SECTIONS.values())
    strays = [n for n, sec in entries.items() if sec in op_sections and n not in OPS]
    assert not strays, f"entries in the op sections that are not ops of the list: {strays}"


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_docstring(name):
    assert (OPS[name].fn.__doc__ or "").strip(), f"ag.{name} has no docstring"


def _gaps(name: str) -> list:
    """What the one-list checks report for op ``name``: missing row, fuzz, gradcheck, docs."""
    rows = [r for r in ROWS if r.op == name]
    gaps = []
    if not rows:
        gaps.append("catalog row")
    if not any(r.draw is not None for r in rows):
        gaps.append("fuzzed row")
    if name not in _sections():
        gaps.append("docs entry")
    return gaps


def test_a_new_op_without_row_and_docs_is_caught():
    """Declaring an op is not enough: the checks above report the missing pieces (and the
    declaration alone exports it and attaches its method)."""
    from autograd_lite.primitive import export
    before = dict(OPS)
    try:
        @export(method=True)
        def scratch_op(x):
            """A scratch op for this test."""
            return x

        assert ag.scratch_op is scratch_op and ag.Tensor.scratch_op is scratch_op
        assert _gaps("scratch_op") == ["catalog row", "fuzzed row", "docs entry"]
        assert _gaps("exp") == []
    finally:
        for n in set(OPS) - set(before):
            info = OPS.pop(n)
            for m in info.methods:
                delattr(ag.Tensor, m)
            for mod in (ag, ag.ops):
                delattr(mod, n)
                mod.__all__.remove(n)
    assert not hasattr(ag, "scratch_op")
