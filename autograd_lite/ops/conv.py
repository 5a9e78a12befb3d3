"""Convolution and pooling on NCHW arrays: conv2d, max_pool2d, sum_pool2d (avg pooling).

Forwards are vectorised with a strided window view (``sliding_window_view``: the im2col
matrix without Python loops over pixels) contracted by ``tensordot``; the only Python loop is
over the kh * kw kernel offsets when windows are scattered back (col2im).

Each op's VJP is another op of this file (called with ``Op.in_rule``), and the set is closed
under taking VJPs, so ``create_graph=True`` (double backward) works:

- ``Conv2d(x, w)``              -> VJPs ``Conv2dInputGrad(g, w)``, ``Conv2dWeightGrad(x, g)``
- ``Conv2dInputGrad(g, w)``     -> VJPs ``Conv2d(h, w)``, ``Conv2dWeightGrad(h, g)``
- ``Conv2dWeightGrad(x, g)``    -> VJPs ``Conv2dInputGrad(g, h)``, ``Conv2d(x, h)``
- ``MaxPool2d(x)``              -> ``MaxPool2dScatter(g; x)`` (to the argmax of each window)
- ``MaxPool2dScatter(g; x)``    <-> ``MaxPool2dGather(h; x)`` (adjoint pair, linear in g/h)
- ``SumPool2d(x)``              <-> ``SumPool2dTranspose(g)`` (adjoint pair)

Bias and the averaging divisor are applied outside with ordinary broadcasting ops.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd_lite.dtypes import promote_floats
from autograd_lite.explain import Explain, formula
from autograd_lite.primitive import Op, arr, operand
from autograd_lite.tensor import Tensor

__all__ = ["conv2d", "max_pool2d", "sum_pool2d", "pair", "out_size"]



def pair(v: Any, name: str, op: str) -> tuple[int, int]:
    """``v`` as an (h, w) pair of non-negative ints (an int means both)."""
    if isinstance(v, Tensor):
        v = v.data.tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (int(v), int(v))
    try:
        h, w = v
        h, w = int(h), int(w)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}") from None
    if h < 0 or w < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {v!r}")
    return h, w


def out_size(n: int, k: int, s: int, p: int) -> int:
    """Output length of a window of size ``k``, stride ``s`` over ``n`` padded by ``p``."""
    return (n + 2 * p - k) // s + 1


def _pad(x: np.ndarray, padding: tuple, value: float = 0.0) -> np.ndarray:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _windows(xp: np.ndarray, k: tuple, s: tuple) -> np.ndarray:
    """Strided view (N, C, OH, OW, kh, kw) of the windows of a padded NCHW array (no copy)."""
    v = sliding_window_view(xp, k, axis=(2, 3))
    return v[:, :, ::s[0], ::s[1]]


def _col2im(cols: np.ndarray, in_hw: tuple, k: tuple, s: tuple, p: tuple) -> np.ndarray:
    """Adjoint of `_windows` + padding: sum window values (N, C, OH, OW, kh, kw) back into
    an (N, C, H, W) array. Loops over the kh * kw kernel offsets only."""
    n, c, oh, ow = cols.shape[:4]
    hp, wp = in_hw[0] + 2 * p[0], in_hw[1] + 2 * p[1]
    out = np.zeros((n, c, hp, wp), dtype=cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]] += cols[:, :, :, :, i, j]
    return out[:, :, p[0]:p[0] + in_hw[0], p[1]:p[1] + in_hw[1]]


# ----------------------------------------------------------------------------- conv2d
def _conv_fwd(x: np.ndarray, w: np.ndarray, stride: tuple, padding: tuple) -> np.ndarray:
    cols = _windows(_pad(x, padding), w.shape[2:], stride)          # (N, C, OH, OW, kh, kw)
    out = np.tensordot(cols, w, axes=((1, 4, 5), (1, 2, 3)))         # (N, OH, OW, O)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _conv_input_grad_fwd(g: np.ndarray, w: np.ndarray, stride: tuple, padding: tuple,
                         in_hw: tuple) -> np.ndarray:
    cols = np.tensordot(g, w, axes=((1,), (0,)))                     # (N, OH, OW, C, kh, kw)
    return _col2im(cols.transpose(0, 3, 1, 2, 4, 5), in_hw, w.shape[2:], stride, padding)


def _conv_weight_grad_fwd(x: np.ndarray, g: np.ndarray, stride: tuple, padding: tuple,
                          k: tuple) -> np.ndarray:
    cols = _windows(_pad(x, padding), k, stride)                      # (N, C, OH, OW, kh, kw)
    return np.tensordot(g, cols, axes=((0, 2, 3), (0, 2, 3)))         # (O, C, kh, kw)


def _hw(t: Any) -> tuple:
    return tuple(t.shape[2:])


Conv2d = Op(
    "Conv2d", _conv_fwd,
    lambda g, out, x, w, stride, padding:
    Conv2dInputGrad.in_rule(g, w, stride=stride, padding=padding, in_hw=_hw(x)),
    lambda g, out, x, w, stride, padding:
    Conv2dWeightGrad.in_rule(x, g, stride=stride, padding=padding, k=_hw(w)),
    explain=Explain(formula("transposed convolution of {g} with {w}", shapes=True),
                    formula("correlation of {x} with {g}", shapes=True), names=("x", "w")))

Conv2dInputGrad = Op(
    "Conv2dInputGrad", _conv_input_grad_fwd,
    lambda h, out, g, w, stride, padding, in_hw:
    Conv2d.in_rule(h, w, stride=stride, padding=padding),
    lambda h, out, g, w, stride, padding, in_hw:
    Conv2dWeightGrad.in_rule(h, g, stride=stride, padding=padding, k=_hw(w)),
    explain=Explain(formula("convolution of {g} with {w}"), formula("correlation of {g} with "
                                                                     "{gy}"),
                    names=("gy", "w")))

Conv2dWeightGrad = Op(
    "Conv2dWeightGrad", _conv_weight_grad_fwd,
    lambda h, out, x, g, stride, padding, k:
    Conv2dInputGrad.in_rule(g, h, stride=stride, padding=padding, in_hw=_hw(x)),
    lambda h, out, x, g, stride, padding, k:
    Conv2d.in_rule(x, h, stride=stride, padding=padding),
    explain=Explain(formula("transposed convolution of {g} with {gy}"),
                    formula("convolution of {x} with {g}"), names=("x", "gy")))


def conv2d(x: Any, w: Any, stride: Any = 1, padding: Any = 0) -> Tensor:
    """Cross-correlation of ``x`` (N, C, H, W) with ``w`` (O, C, kh, kw) -> (N, O, OH, OW),
    OH = (H + 2 ph - kh) // sh + 1 (zero padding). No bias (add it with broadcasting)."""
    x, w = operand(x), operand(w)
    stride, padding = pair(stride, "stride", "conv2d"), pair(padding, "padding", "conv2d")
    if stride[0] == 0 or stride[1] == 0:
        raise ValueError(f"conv2d: stride must be positive, got {stride}")
    if x.data.ndim != 4 or w.data.ndim != 4:
        raise ValueError(f"conv2d: expected input (N, C, H, W) and weight (O, C, kh, kw), got "
                         f"input {x.shape} and weight {w.shape}")
    if x.data.shape[1] != w.data.shape[1]:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight {w.shape} expects "
                         f"{w.shape[1]} (input {x.shape})")
    for n, k, p, s in zip(x.data.shape[2:], w.data.shape[2:], padding, ("height", "width")):
        if n + 2 * p < k:
            raise ValueError(f"conv2d: kernel {w.shape[2:]} is larger than the padded input "
                             f"{s} {n + 2 * p} (input {x.shape}, padding {padding})")
    if x.data.dtype.kind != w.data.dtype.kind and "f" in (x.data.dtype.kind, w.data.dtype.kind):
        x, w = promote_floats(x, w, "conv2d")  # an integer input takes the weight's dtype
    return Conv2d.apply((x, w), {"stride": stride, "padding": padding})


# ----------------------------------------------------------------------------- max pooling
def _offsets(k: tuple, s: tuple, out_hw: tuple) -> list:
    """(index, row slice, col slice) of each kernel offset: the strided (OH, OW) view of the
    padded input that offset (i, j) of every window reads."""
    (oh, ow) = out_hw
    return [(i * k[1] + j, slice(i, i + s[0] * (oh - 1) + 1, s[0]),
             slice(j, j + s[1] * (ow - 1) + 1, s[1]))
            for i in range(k[0]) for j in range(k[1])]


def _lowest(dtype: np.dtype) -> Any:
    """The padding value of max pooling: -inf, or the smallest integer (False for bools)."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return False if dtype.kind == "b" else -np.inf


def _max_arg(x: np.ndarray, k: tuple, s: tuple, p: tuple) -> tuple:
    """Window maxima (N, C, OH, OW) and the kernel offset of each window's first maximum.
    Loops over the kh * kw offsets, each step a vectorised compare over all windows."""
    xp = _pad(x, p, _lowest(x.dtype))
    out_hw = (out_size(x.shape[2], k[0], s[0], p[0]), out_size(x.shape[3], k[1], s[1], p[1]))
    offs = _offsets(k, s, out_hw)
    best = xp[:, :, offs[0][1], offs[0][2]].copy()
    arg = np.zeros(best.shape, dtype=np.int32)
    for idx, rs, cs in offs[1:]:
        v = xp[:, :, rs, cs]
        better = v > best            # strict: ties keep the first maximum
        np.putmask(arg, better, idx)
        np.maximum(best, v, out=best)
    return best, arg, offs


def _maxpool_fwd(x: np.ndarray, k: tuple, s: tuple, p: tuple) -> np.ndarray:
    return _max_arg(x, k, s, p)[0]


def _scatter_fwd(g: np.ndarray, x: np.ndarray, k: tuple, s: tuple, p: tuple) -> np.ndarray:
    _, arg, offs = _max_arg(x, k, s, p)
    out = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1]),
                   dtype=g.dtype)
    zero = np.zeros((), dtype=g.dtype)
    for idx, rs, cs in offs:
        out[:, :, rs, cs] += np.where(arg == idx, g, zero)
    return out[:, :, p[0]:p[0] + x.shape[2], p[1]:p[1] + x.shape[3]]


def _gather_fwd(h: np.ndarray, x: np.ndarray, k: tuple, s: tuple, p: tuple) -> np.ndarray:
    _, arg, offs = _max_arg(x, k, s, p)
    hp = _pad(h, p)
    out = np.zeros(arg.shape, dtype=h.dtype)
    zero = np.zeros((), dtype=h.dtype)
    for idx, rs, cs in offs:
        out += np.where(arg == idx, hp[:, :, rs, cs], zero)
    return out


MaxPool2d = Op("MaxPool2d", _maxpool_fwd,
               lambda g, out, x, k, s, p: MaxPool2dScatter.in_rule(g, arr(x), k=k, s=s, p=p),
               explain=Explain(formula("{g} sent to the maximum of each {k} window of {x}, "
                                       "0 elsewhere", shapes=True)))
# x is passed as a constant: the argmax pattern is piecewise constant in x.
MaxPool2dScatter = Op("MaxPool2dScatter", _scatter_fwd,
                      lambda h, out, g, x, k, s, p:
                      MaxPool2dGather.in_rule(h, x, k=k, s=s, p=p), None,
                      explain=Explain(formula("{g} read at the maximum of each window"),
                                      names=("gy", "x")))
MaxPool2dGather = Op("MaxPool2dGather", _gather_fwd,
                     lambda g, out, h, x, k, s, p:
                     MaxPool2dScatter.in_rule(g, x, k=k, s=s, p=p), None,
                     explain=Explain(formula("{g} sent back to the maximum of each window"),
                                     names=("h", "x")))


def _pool_args(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any) -> tuple:
    k = pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else pair(stride, "stride", op)
    p = pair(padding, "padding", op)
    if min(k) < 1 or min(s) < 1:
        raise ValueError(f"{op}: kernel_size and stride must be positive, got {k} and {s}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} should be at most half of kernel_size {k}")
    if x.data.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    for n, kk, pp in zip(x.data.shape[2:], k, p):
        if n + 2 * pp < kk:
            raise ValueError(f"{op}: kernel_size {k} is larger than the padded input "
                             f"(input {x.shape}, padding {p})")
    return k, s, p


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max over kh x kw windows of an (N, C, H, W) input (stride defaults to kernel_size;
    padding counts as -inf). Ties send the gradient to the first maximum of the window."""
    x = operand(x)
    k, s, p = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d.apply((x,), {"k": k, "s": s, "p": p})


# ----------------------------------------------------------------------------- sum pooling
def _sumpool_fwd(x: np.ndarray, k: tuple, s: tuple, p: tuple) -> np.ndarray:
    return _windows(_pad(x, p), k, s).sum(axis=(4, 5))


def _sumpool_t_fwd(g: np.ndarray, k: tuple, s: tuple, p: tuple, in_hw: tuple) -> np.ndarray:
    cols = np.broadcast_to(g[..., None, None], g.shape + k)
    return _col2im(cols, in_hw, k, s, p)


SumPool2d = Op("SumPool2d", _sumpool_fwd,
               lambda g, out, x, k, s, p:
               SumPool2dTranspose.in_rule(g, k=k, s=s, p=p, in_hw=_hw(x)),
               explain=Explain(formula("{g} copied to every position of its {k} window of "
                                       "{x} (added where windows overlap)", shapes=True)))
SumPool2dTranspose = Op("SumPool2dTranspose", _sumpool_t_fwd,
                        lambda h, out, g, k, s, p, in_hw: SumPool2d.in_rule(h, k=k, s=s, p=p),
                        explain=Explain(formula("{g} summed over each {k} window")))


def sum_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Sum over kh x kw windows of an (N, C, H, W) input (zero padding); average pooling is
    this divided by the window count."""
    x = operand(x)
    k, s, p = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    return SumPool2d.apply((x,), {"k": k, "s": s, "p": p})
