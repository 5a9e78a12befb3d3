"""Clients on the public API: nn, optim, data and viz use only public names of the core.

The core (the Tensor, graph nodes, the engine, grad mode, the version clock, the op list and
the ops) may change its private parts freely; a client that reaches into them (``Tensor._wrap``,
``t._version += 1``, ``t.data = ...``, ``autograd_lite._x``, the grad-mode ``_state``) would
break silently. This test scans the clients' source for:

- imports of private modules or private names of the core (``from autograd_lite.x import _y``;
  a client's own modules may share private helpers);
- attribute reads or writes of a private name that the core defines (``node._out``,
  ``Tensor._wrap``), unless the client file defines that name itself (its own ``self._cache``);
- assignments to ``.data`` (use ``Tensor.set_`` / ``copy_``, which bump the version).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "autograd_lite"
CLIENTS = ("nn", "optim", "data", "viz")
# (interop, the top-floor client of torch/ONNX, and the demo entry point are not core either)
NOT_CORE = CLIENTS + ("interop.py", "interop_layers.py", "interop_onnx.py", "__main__.py")
CORE_FILES = [p for p in PKG.rglob("*.py")
              if p.relative_to(PKG).parts[0] not in NOT_CORE and "__pycache__" not in p.parts]


def _private_defs(tree: ast.AST) -> set:
    """Private names a module defines: top-level names, class attributes, ``__slots__`` and
    ``self._x`` / ``cls._x`` assignments."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    out.add(t.id)
                    if t.id == "__slots__" and isinstance(node.value, ast.Tuple | ast.List):
                        out |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
                elif isinstance(t, ast.Attribute):
                    out.add(t.attr)
    return {n for n in out if n.startswith("_") and not n.startswith("__")}


CORE_PRIVATE = set().union(*(_private_defs(ast.parse(p.read_text())) for p in CORE_FILES))


def _client_files() -> list:
    return sorted(p for c in CLIENTS for p in (PKG / c).rglob("*.py"))


def _is_client(module: str) -> bool:
    """A client's own modules may share private helpers among themselves."""
    parts = module.split(".")
    return len(parts) > 1 and parts[1] in CLIENTS


def _violations(path: Path) -> list:
    tree = ast.parse(path.read_text())
    own = _private_defs(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(PKG.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("autograd_lite") and not _is_client(node.module):
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(f"{where}: imports the private module {node.module}")
            for a in node.names:
                if a.name.startswith("_"):
                    found.append(f"{where}: imports the private name {a.name} from {node.module}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("autograd_lite") and any(
                        part.startswith("_") for part in a.name.split(".")):
                    found.append(f"{where}: imports the private module {a.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr in CORE_PRIVATE and node.attr not in own:
                found.append(f"{where}: uses the core's private name .{node.attr}")
            if node.attr == "data" and isinstance(node.ctx, ast.Store):
                found.append(f"{where}: assigns .data (use Tensor.set_ or copy_: they bump "
                             "the version)")
    return found


@pytest.mark.parametrize("path", _client_files(), ids=lambda p: str(p.relative_to(PKG)))
def test_client_uses_only_public_core_names(path):
    bad = _violations(path)
    assert not bad, "\n".join(bad)


def test_the_scan_finds_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from autograd_lite.grad_mode import _state\n"
                   "from autograd_lite import dtypes\n"
                   "import autograd_lite._dtypes\n"
                   "def f(t, a):\n"
                   "    t.data = a\n"
                   "    return type(t)._wrap(a), t._version\n")
    found = "\n".join(_violations_for(bad))
    for needle in ("_state", "autograd_lite._dtypes", "assigns .data", "._wrap", "._version"):
        assert needle in found, needle


def _violations_for(path: Path) -> list:
    global PKG
    saved, PKG = PKG, path.parent
    try:
        return _violations(path)
    finally:
        PKG = saved


CORE = ("tensor.py", "node.py", "backward.py", "grad_mode.py", "versions.py")


def test_core_stays_small():
    """The core (a newcomer reads it in one sitting) stays under 1,000 physical lines; what is
    not the engine (the op list, methods, in-place updates, dtypes, anomaly reports) lives in
    its own module beside it."""
    lines = {f: len((PKG / f).read_text().splitlines()) for f in CORE}
    assert sum(lines.values()) < 1000, lines


#: Modules allowed over `MAX_MODULE_LINES`, with the reason (the op family files in ops/ are
#: exempt as a whole: they are the op tables).
LONG_MODULES = {
    "nn/functional.py": "nn.functional is a table of ops",
}
MAX_MODULE_LINES = 500


def test_no_module_over_500_lines_except_op_tables():
    """A module a reader opens fits in one sitting: at most 500 physical lines, except the op
    tables (autograd_lite/ops/*, and the modules listed in `LONG_MODULES`)."""
    long = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG).as_posix()
        if "__pycache__" in p.parts or rel.startswith("ops/") or rel in LONG_MODULES:
            continue
        n = len(p.read_text().splitlines())
        if n > MAX_MODULE_LINES:
            long[rel] = n
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them along a seam): {long}"
    for rel in LONG_MODULES:  # the allowlist holds only modules that need it
        assert len((PKG / rel).read_text().splitlines()) > MAX_MODULE_LINES, rel
