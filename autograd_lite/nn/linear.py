"""Linear, Identity, Flatten."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite.dtypes import get_default_dtype
from autograd_lite.nn import functional as F
from autograd_lite.nn import init
from autograd_lite.nn.module import Module, Parameter
from autograd_lite.tensor import Tensor

__all__ = ["Linear", "Identity", "Flatten"]


def _empty(shape: tuple, dtype: Any, device: Any = None) -> Parameter:
    """A zero parameter of ``shape`` (default dtype unless given); ``device`` may only be None
    or "cpu" (accepted for PyTorch compatibility)."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"autograd_lite runs on the CPU only, got device={device!r}")
    return Parameter(np.zeros(shape, dtype=np.dtype(dtype or get_default_dtype())))


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features).

    Default init (PyTorch's): W and b ~ U(-sqrt(k), sqrt(k)), k = 1 / in_features
    (``kaiming_uniform_(W, a=sqrt(5))``).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: in_features and out_features must be non-negative, got "
                             f"{in_features} and {out_features}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty((out_features, in_features), dtype, device)
        if bias:
            self.bias = _empty((out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
