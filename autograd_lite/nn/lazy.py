"""``LazyLinear``: a `Linear` whose ``in_features`` is read from its first input."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.dtypes import get_default_dtype
from autograd_lite.grad_mode import no_grad
from autograd_lite.nn.linear import Linear, _empty
from autograd_lite.nn.module import Module
from autograd_lite.tensor import Tensor

__all__ = ["LazyLinear"]


class LazyLinear(Linear):
    """``torch.nn.LazyLinear``: ``LazyLinear(out_features)`` is a `Linear` whose
    ``in_features`` is the last dimension of the first input it sees. Until then its weight is
    an empty (out_features, 0) parameter and ``in_features`` is 0; the first forward gives the
    parameters their shapes, in place (the same Parameter objects, so an optimizer made before
    it updates them), initialises them as `Linear` does, and turns the module into a `Linear`
    (``type(m) is nn.Linear`` afterwards, as PyTorch's ``cls_to_become``)."""

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        if out_features < 0:
            raise ValueError(f"LazyLinear: out_features must be non-negative, got "
                             f"{out_features}")
        self.in_features = 0
        self.out_features = out_features
        self._dtype = np.dtype(dtype or get_default_dtype())
        self.weight = _empty((out_features, 0), self._dtype, device)
        if bias:
            self.bias = _empty((out_features,), self._dtype, device)
        else:
            self.register_parameter("bias", None)

    def has_uninitialized_params(self) -> bool:
        """True until the first forward has given the parameters their shapes."""
        return True

    def initialize_parameters(self, input: Tensor) -> None:
        """Shape the weight to (out_features, input.shape[-1]) and initialise it and the bias
        as `Linear` does; then this module is a `Linear`."""
        shape = tuple(getattr(input, "shape", np.shape(input)))
        if not shape:
            raise ValueError("LazyLinear: the first input must have at least one dimension, "
                             "got a 0-d input")
        with no_grad():
            self.in_features = int(shape[-1])
            self.weight.set_(np.zeros((self.out_features, self.in_features),
                                      dtype=self.weight.dtype))
            self.reset_parameters()
        del self._dtype
        self.__class__ = Linear

    def forward(self, input: Tensor) -> Tensor:
        self.initialize_parameters(input)
        return Linear.forward(self, input)

    def extra_repr(self) -> str:
        return f"in_features=<lazy>, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"
