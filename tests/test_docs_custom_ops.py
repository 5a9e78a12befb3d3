"""Run the python code blocks of docs/custom_ops.md ("Write your own op") in order.

The blocks up to the nn section always run; the whole page (which trains a model with
autograd_lite.nn and optim) is skipped only while autograd_lite.nn does not exist yet."""
import contextlib
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "custom_ops.md"


def _blocks() -> list:
    return re.findall(r"^```python\n(.*?)^```", PAGE.read_text(), flags=re.S | re.M)


def _run(blocks: list) -> dict:
    ns: dict = {"__name__": "custom_ops_page"}
    with _scratch_op_list():
        for i, code in enumerate(blocks):
            try:
                exec(compile(code, f"{PAGE.name}[block {i}]", "exec"), ns)
            except Exception as e:  # noqa: BLE001 - name the failing block
                raise AssertionError(f"{PAGE.name}: python block {i} failed:\n{code}") from e
    return ns


@contextlib.contextmanager
def _scratch_op_list():
    """Section 8 declares an op (``@export``): take it off the op list (and ``ag``, ``Tensor``)
    afterwards, so that the rest of the suite sees the library's own list."""
    import autograd_lite as ag
    from autograd_lite.primitive import OPS
    before = dict(OPS)
    try:
        yield
    finally:
        for name in set(OPS) - set(before):
            info = OPS.pop(name)
            for m in info.methods:
                if getattr(ag.Tensor, m, None) is info.fn:
                    delattr(ag.Tensor, m)
            for mod in (ag, ag.ops):
                if getattr(mod, name, None) is info.fn:
                    delattr(mod, name)
                    mod.__all__.remove(name)


def _needs_nn(code: str) -> bool:
    return "import nn" in code or "nn." in code


def test_page_has_the_sections():
    text = PAGE.read_text()
    for needle in ("class ResidualLayer(ag.Function)", "gradcheck(", "taylor_test(",
                   "nn.Module", "opt.step()", "@export(method=True)", ".in_rule(",
                   "OpRow(\"logcosh\"", "::: autograd_lite.logcosh", "def jvp(ctx, du, dK)",
                   "check_forward_ad=True"):
        assert needle in text
    assert len(_blocks()) >= 6


def test_blocks_before_nn_run(capsys):
    blocks = _blocks()
    first_nn = next(i for i, b in enumerate(blocks) if _needs_nn(b))
    ns = _run(blocks[:first_nn])
    assert ns["report"].passed and not ns["bad"].passed
    assert str(ns["z"].grad_fn) == "ResidualLayerBackward"
    out = capsys.readouterr().out
    assert "Taylor test passed" in out and "Taylor test FAILED" in out
    assert "WrongShape.backward returned a gradient of shape (4, 3) for input 1" in out


def test_whole_page_runs_and_trains(capsys):
    try:
        nn = importlib.import_module("autograd_lite.nn")
    except ImportError:
        nn = None
    if nn is None or not hasattr(nn, "Module"):
        pytest.skip("autograd_lite.nn is not available yet")
    np.random.seed(0)
    ns = _run(_blocks())
    assert ns["accuracy"] > 0.95
    names = [n for n, _ in ns["model"].named_parameters()]
    assert "2.K" in names and "3.K" in names
    assert "training accuracy" in capsys.readouterr().out


def test_section_8_declares_an_op_on_the_list_and_leaves_no_trace(capsys):
    """The page's built-in op is exported and attached while the page runs; afterwards the op
    list is the library's own again (tests/ops/test_op_list.py depends on that)."""
    import autograd_lite as ag
    from autograd_lite.primitive import OPS
    blocks = _blocks()
    i = next(i for i, b in enumerate(blocks) if "@export" in b)
    _run(blocks[:2] + blocks[i:i + 2])  # the imports, then section 8
    assert "LogCoshBackward" in capsys.readouterr().out
    assert "logcosh" not in OPS and not hasattr(ag, "logcosh")
    assert not hasattr(ag.Tensor, "logcosh") and "logcosh" not in ag.__all__
