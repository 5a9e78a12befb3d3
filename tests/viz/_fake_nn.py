"""A minimal stand-in for ``nn`` (modules that enter ``module_scope`` and name their
parameters), so cluster tests do not depend on ``autograd_lite.nn``."""
from __future__ import annotations

import numpy as np

import autograd_lite as ag
from autograd_lite.scope import module_scope


class FakeModule:
    def __init__(self) -> None:
        self._params: dict = {}
        self._children: dict = {}

    def named_children(self):
        return iter(self._children.items())

    def named_modules(self, prefix: str = ""):
        yield prefix, self
        for n, c in self._children.items():
            yield from c.named_modules(f"{prefix}.{n}" if prefix else n)

    def named_parameters(self, prefix: str = ""):
        for n, p in self._params.items():
            yield (f"{prefix}.{n}" if prefix else n), p
        for n, c in self._children.items():
            yield from c.named_parameters(f"{prefix}.{n}" if prefix else n)

    def __call__(self, *args):
        with module_scope(self):
            return self.forward(*args)


class Linear(FakeModule):
    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.weight = ag.tensor(rng.normal(size=(n_out, n_in)) / np.sqrt(n_in),
                                requires_grad=True)
        self.bias = ag.tensor(np.zeros(n_out), requires_grad=True)
        self._params = {"weight": self.weight, "bias": self.bias}

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Tanh(FakeModule):
    def forward(self, x):
        return ag.tanh(x)


class Sequential(FakeModule):
    def __init__(self, *mods) -> None:
        super().__init__()
        self._children = {str(i): m for i, m in enumerate(mods)}

    def forward(self, x):
        for m in self._children.values():
            x = m(x)
        return x


class Block(FakeModule):
    """Nested modules: ``encoder`` (a Sequential) then ``head`` (a Linear)."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.encoder = Sequential(Linear(2, 3, rng), Tanh())
        self.head = Linear(3, 1, rng)
        self._children = {"encoder": self.encoder, "head": self.head}

    def forward(self, x):
        return self.head(self.encoder(x))
