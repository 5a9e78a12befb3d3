"""Embedding: a lookup table of learnable vectors."""
from __future__ import annotations

from typing import Any

from autograd_lite.grad_mode import no_grad
from autograd_lite.nn import functional as F
from autograd_lite.nn import init
from autograd_lite.nn.linear import _empty
from autograd_lite.nn.module import Module, Parameter
from autograd_lite.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) ~ N(0, 1) (PyTorch's init; the row at
    ``padding_idx`` is zero and gets no gradient). Input: integer indices of any shape."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Any = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"num_embeddings {num_embeddings}")
            if padding_idx < 0:
                padding_idx += num_embeddings
        if num_embeddings < 0 or embedding_dim < 0:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be "
                             f"non-negative, got {num_embeddings} and {embedding_dim}")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are "
                                      "not implemented")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = _empty((num_embeddings, embedding_dim), dtype, device)
            self.reset_parameters()
        else:
            w = Parameter(_weight, requires_grad=not _freeze)
            if w.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {w.shape}")
            self.weight = w

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
