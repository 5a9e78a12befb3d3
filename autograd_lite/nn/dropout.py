"""Dropout."""
from __future__ import annotations

from autograd_lite.nn import functional as F
from autograd_lite.nn.module import Module
from autograd_lite.tensor import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the survivors by
    1 / (1 - p); the identity in eval mode. Masks come from ``ag.manual_seed``'s generator."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
