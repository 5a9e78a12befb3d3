"""Shared pytest configuration.

Hypothesis profiles (select with the environment variable ``HYPOTHESIS_PROFILE``):

- ``ci`` (the default): at least 50 examples per property, no per-example deadline (the
  first call of an op pays for imports and NumPy warm-up), deterministic (derandomized) so a
  CI run is reproducible.
- ``dev``: 20 examples, for a quick local loop.
- ``thorough``: 500 examples, random seeds, for a nightly hunt.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=50, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ----------------------------------------------------------------------------- the docs site
ROOT = Path(__file__).resolve().parent.parent


def mkdocs_available() -> bool:
    return all(importlib.util.find_spec(m) is not None
               for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python",
                         "mkdocs_jupyter"))


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site built once per test session by ``mkdocs build --strict`` (tests/test_docs.py
    and tests/test_site.py read it); skipped when MkDocs or its plugins are missing."""
    if not mkdocs_available():
        pytest.skip("mkdocs, mkdocs-material, mkdocstrings[python] or mkdocs-jupyter missing "
                    "(pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out
