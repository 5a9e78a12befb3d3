"""Shared pytest configuration.

Hypothesis profiles (select with the environment variable ``HYPOTHESIS_PROFILE``):

- ``ci`` (the default): at least 50 examples per property, no per-example deadline (the
  first call of an op pays for imports and NumPy warm-up), deterministic (derandomized) so a
  CI run is reproducible.
- ``dev``: 20 examples, for a quick local loop.
- ``thorough``: 500 examples, random seeds, for a nightly hunt.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=50, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
