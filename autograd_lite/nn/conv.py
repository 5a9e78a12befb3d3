"""Conv2d and ConvTranspose2d on NCHW input."""
from __future__ import annotations

import math
from typing import Any

from autograd_lite.nn import functional as F
from autograd_lite.nn import init
from autograd_lite.nn.linear import _empty
from autograd_lite.nn.module import Module
from autograd_lite.ops.conv import pair
from autograd_lite.tensor import Tensor

__all__ = ["Conv2d", "ConvTranspose2d"]


def _check_groups(op: str, cin: int, cout: int, groups: Any) -> None:
    if not (isinstance(cin, int) and isinstance(cout, int) and cin > 0 and cout > 0):
        raise ValueError(f"{op}: in_channels and out_channels must be positive, got "
                         f"{cin} and {cout}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if cin % groups or cout % groups:
        raise ValueError(f"{op}: in_channels {cin} and out_channels {cout} must both be "
                         f"divisible by groups={groups}")


def _reset(m: Module) -> None:
    """PyTorch's init: kaiming_uniform(a=sqrt(5)) of the weight, whose fan-in is
    weight.shape[1] * kh * kw, and the bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(m.weight, a=math.sqrt(5))
    if m.bias is not None:
        fan_in = m.weight.shape[1] * m.kernel_size[0] * m.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(m.bias, -bound, bound)


class Conv2d(Module):
    """2-d convolution (cross-correlation) of (N, C_in, H, W) with a weight of shape
    (C_out, C_in / groups, kh, kw), plus a bias (C_out,); ``dilation`` and ``groups`` as
    PyTorch (see `autograd_lite.nn.functional.conv2d`).

    Default init (PyTorch's): weight and bias ~ U(-sqrt(k), sqrt(k)),
    k = groups / (C_in * kh * kw). Only zero padding.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError("Conv2d: only padding_mode='zeros' is implemented")
        _check_groups("Conv2d", in_channels, out_channels, groups)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.groups = groups
        self.dilation = pair(dilation, "dilation", "Conv2d")
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError(f"Conv2d: kernel_size, stride and dilation must be positive, got "
                             f"{kernel_size!r}, {stride!r} and {dilation!r}")
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
        self.weight = _empty((out_channels, in_channels // groups) + self.kernel_size, dtype,
                             device)
        if bias:
            self.bias = _empty((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"  # PyTorch prints padding=same unquoted
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose2d(Module):
    """Transposed 2-d convolution (the adjoint of `Conv2d`) of (N, C_in, H, W) with a weight
    of shape (C_in, C_out / groups, kh, kw), plus a bias (C_out,); output
    OH = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1 (see
    `autograd_lite.nn.functional.conv_transpose2d`). PyTorch's arguments and init (fan-in
    C_out / groups * kh * kw); only zero padding, and ``output_padding`` < ``stride``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        op = "ConvTranspose2d"
        if padding_mode != "zeros":
            raise NotImplementedError(f"{op}: only padding_mode='zeros' is implemented")
        _check_groups(op, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", op)
        self.stride = pair(stride, "stride", op)
        self.padding = pair(padding, "padding", op)
        self.output_padding = pair(output_padding, "output_padding", op)
        self.dilation = pair(dilation, "dilation", op)
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, got "
                             f"{kernel_size!r}, {stride!r} and {dilation!r}")
        if any(o >= s for o, s in zip(self.output_padding, self.stride)):
            raise ValueError(f"{op}: output_padding {self.output_padding} must be smaller "
                             f"than stride {self.stride}")
        self.weight = _empty((in_channels, out_channels // groups) + self.kernel_size, dtype,
                             device)
        if bias:
            self.bias = _empty((out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        for name, default in (("padding", (0, 0)), ("output_padding", (0, 0)),
                              ("dilation", (1, 1)), ("groups", 1)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        if self.bias is None:
            s += ", bias=False"
        return s
