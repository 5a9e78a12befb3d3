"""Conv2d on NCHW input."""
from __future__ import annotations

import math
from typing import Any

from autograd_lite.nn import functional as F
from autograd_lite.nn import init
from autograd_lite.nn.linear import _empty
from autograd_lite.nn.module import Module
from autograd_lite.ops.conv import pair
from autograd_lite.tensor import Tensor

__all__ = ["Conv2d"]


class Conv2d(Module):
    """2-d convolution (cross-correlation) of (N, C_in, H, W) with a weight of shape
    (C_out, C_in, kh, kw), plus a bias (C_out,).

    Default init (PyTorch's): weight and bias ~ U(-sqrt(k), sqrt(k)),
    k = 1 / (C_in * kh * kw). Only ``dilation=1``, ``groups=1`` and zero padding.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if groups != 1 or pair(dilation, "dilation", "Conv2d") != (1, 1):
            raise NotImplementedError("Conv2d: only dilation=1 and groups=1 are implemented")
        if padding_mode != "zeros":
            raise NotImplementedError("Conv2d: only padding_mode='zeros' is implemented")
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"Conv2d: in_channels and out_channels must be positive, got "
                             f"{in_channels} and {out_channels}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"Conv2d: kernel_size and stride must be positive, got "
                             f"{kernel_size!r} and {stride!r}")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Conv2d: padding must be an int, a pair, 'valid' or 'same', "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' is not supported for strided "
                                 f"convolutions (stride {self.stride})")
            self.padding: Any = padding
        else:
            self.padding = pair(padding, "padding", "Conv2d")
        self.weight = _empty((out_channels, in_channels) + self.kernel_size, dtype, device)
        if bias:
            self.bias = _empty((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"  # PyTorch prints padding=same unquoted
        if self.bias is None:
            s += ", bias=False"
        return s
