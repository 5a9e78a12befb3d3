"""The library's one random generator.

Every random factory (``rand``, ``randn``), initializer (``nn.init``), dropout mask and data
shuffle draws from `get_generator` at call time, so ``manual_seed`` makes all of them
reproducible at once.
"""
from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "get_generator", "seed"]

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the library's generator (factories, init, dropout, shuffles); returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def seed() -> int:
    """Seed the generator from fresh OS entropy and return the seed used."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def get_generator() -> np.random.Generator:
    """The generator every random operation of the library uses (read it at call time)."""
    return _generator
