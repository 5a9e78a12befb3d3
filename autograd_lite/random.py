"""The library's one random generator.

Every random factory (``rand``, ``randn``), initializer (``nn.init``), dropout mask and data
shuffle draws from `get_generator` at call time, so ``manual_seed`` makes all of them
reproducible at once.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

__all__ = ["manual_seed", "get_generator", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "Generator", "resolve"]

_initial_seed: int = int(np.random.SeedSequence().entropy % (2**63))
_generator: np.random.Generator = np.random.default_rng(_initial_seed)


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the library's generator (factories, init, dropout, shuffles); returns it."""
    global _generator, _initial_seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
    _initial_seed = int(seed)
    _generator = np.random.default_rng(_initial_seed)
    return _generator


def seed() -> int:
    """Seed the generator from fresh OS entropy and return the seed used."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the global generator was last seeded with (``manual_seed``, ``seed``, or the
    entropy drawn at import), as ``torch.initial_seed``."""
    return _initial_seed


def get_rng_state() -> dict:
    """A copy of the global generator's state, for `set_rng_state` (``torch.get_rng_state``).
    It is the NumPy bit generator's state dict, not PyTorch's uint8 tensor: keep it opaque."""
    return copy.deepcopy(_generator.bit_generator.state)


def set_rng_state(new_state: dict) -> None:
    """Restore the global generator to a state from `get_rng_state`: the numbers drawn
    afterwards repeat those drawn after it was saved."""
    if not isinstance(new_state, dict) or "bit_generator" not in new_state:
        raise TypeError(f"set_rng_state: expected a state from ag.get_rng_state() (a dict), got "
                        f"{type(new_state).__name__}")
    try:
        _generator.bit_generator.state = copy.deepcopy(new_state)
    except (TypeError, ValueError) as e:
        raise ValueError(f"set_rng_state: not a state of this generator: {e}") from None


def get_generator() -> np.random.Generator:
    """The generator every random operation of the library uses (read it at call time)."""
    return _generator


class Generator:
    """A random stream of its own (``torch.Generator``): ``ag.Generator().manual_seed(s)``
    gives the same numbers every time, independent of the library's global generator, when
    passed as ``generator=`` to ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``,
    ``multinomial``, the ``*_like`` factories, ``DataLoader`` and ``random_split``.
    The numbers are NumPy's (PCG64), not PyTorch's: the same seed gives other values than torch.

    ``device`` may only be ``"cpu"``. ``rng`` is the underlying ``numpy.random.Generator``.
    """

    def __init__(self, device: Any = "cpu") -> None:
        from autograd_lite.compat import check_device
        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        """Re-seed this generator; returns it (so ``Generator().manual_seed(0)`` chains)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got "
                            f"{type(seed).__name__}")
        if seed < 0:
            raise ValueError(f"Generator.manual_seed: seed must be non-negative, got {seed}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Re-seed from fresh OS entropy; returns the seed."""
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self) -> dict:
        """The state (a dict of the NumPy bit generator); restore it with ``set_state``."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        """Restore a state from ``get_state``."""
        self.rng.bit_generator.state = state
        return self

    @property
    def device(self) -> Any:
        from autograd_lite.compat import device
        return device("cpu")

    def __repr__(self) -> str:
        return f"Generator(initial_seed={self._seed})"


def resolve(generator: Any, op: str = "?") -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s stream (an ``ag.Generator`` or a
    ``numpy.random.Generator``), or the library's global one when it is None."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{op}: generator must be an ag.Generator (or None), got "
                    f"{type(generator).__name__}")
