"""Convolution and pooling on NCHW arrays: conv2d (with dilation and groups),
conv_transpose2d (conv2d's input gradient as a forward), max_pool2d (dilation, ceil_mode,
indices), sum_pool2d (avg pooling).

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

from autograd_lite.array_module import arange, ascontiguousarray, full, zeros
from autograd_lite.dtypes import promote_floats
from autograd_lite.explain import Explain, formula
from autograd_lite.primitive import Op, arr, operand
from autograd_lite.tensor import Tensor

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "sum_pool2d", "pair", "out_size"]


def pair(v: Any, name: str, op: str) -> tuple[int, int]:
    """``v`` as an (h, w) pair of non-negative ints (an int means both)."""
    if type(v) is int and v >= 0:  # the common cases first (this runs on every call)
        return v, v
    if type(v) is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int \
            and v[0] >= 0 and v[1] >= 0:
        return v
    if isinstance(v, Tensor):
        v = v._data.tolist()
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


def _pad(x: np.ndarray, padding: tuple, value: float = 0.0, extra: tuple = (0, 0)
         ) -> np.ndarray:
    """``x`` padded by ``padding`` on every side, plus ``extra`` more rows/columns at the
    bottom/right (ceil_mode's last windows)."""
    ph, pw = padding
    eh, ew = extra
    if ph == 0 and pw == 0 and eh == 0 and ew == 0:
        return x
    n, c, h, w = x.shape
    out = full((n, c, h + 2 * ph + eh, w + 2 * pw + ew), value, x.dtype, x)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _windows(xp: np.ndarray, k: tuple, s: tuple, d: tuple = (1, 1)) -> np.ndarray:
    """Strided view (N, C, OH, OW, kh, kw) of the windows of a padded NCHW array (no copy);
    with dilation ``d`` a window reads every d-th row/column of a (d (k - 1) + 1) span."""
    if d == (1, 1):
        return sliding_window_view(xp, k, axis=(2, 3))[:, :, ::s[0], ::s[1]]
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    v = sliding_window_view(xp, span, axis=(2, 3))
    return v[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]


def _col2im(cols: np.ndarray, in_hw: tuple, k: tuple, s: tuple, p: tuple,
            d: tuple = (1, 1)) -> np.ndarray:
    """Adjoint of `_windows` + padding: sum window values (N, C, OH, OW, kh, kw) back into
    an (N, C, H, W) array. Loops over the kh * kw kernel offsets only."""
    n, c, oh, ow = cols.shape[:4]
    hp = max(in_hw[0] + 2 * p[0], d[0] * (k[0] - 1) + s[0] * (oh - 1) + 1)
    wp = max(in_hw[1] + 2 * p[1], d[1] * (k[1] - 1) + s[1] * (ow - 1) + 1)
    out = zeros((n, c, hp, wp), cols.dtype, cols)
    for i in range(k[0]):
        for j in range(k[1]):
            r, q = i * d[0], j * d[1]
            out[:, :, r:r + s[0] * oh:s[0], q:q + s[1] * ow:s[1]] += cols[:, :, :, :, i, j]
    return out[:, :, p[0]:p[0] + in_hw[0], p[1]:p[1] + in_hw[1]]


# ----------------------------------------------------------------------------- conv2d
# Grouped convolution: input channels C = G * Cg, weight (O, Cg, kh, kw) with O = G * Og;
# output channels [g Og, (g + 1) Og) see input channels [g Cg, (g + 1) Cg) only. Each kernel
# is then a loop over the G groups (one contraction per group); groups=1 is one contraction.
def _conv_fwd(x: np.ndarray, w: np.ndarray, stride: tuple, padding: tuple,
              dilation: tuple = (1, 1), groups: int = 1) -> np.ndarray:
    cols = _windows(_pad(x, padding), w.shape[2:], stride, dilation)  # (N, C, OH, OW, kh, kw)
    if groups == 1:
        out = np.tensordot(cols, w, axes=((1, 4, 5), (1, 2, 3)))     # (N, OH, OW, O)
    else:
        cg, og = w.shape[1], w.shape[0] // groups
        out = np.concatenate([np.tensordot(cols[:, i * cg:(i + 1) * cg], w[i * og:(i + 1) * og],
                                           axes=((1, 4, 5), (1, 2, 3)))
                              for i in range(groups)], axis=3)
    return ascontiguousarray(out.transpose(0, 3, 1, 2))


def _conv_input_grad_fwd(g: np.ndarray, w: np.ndarray, stride: tuple, padding: tuple,
                         in_hw: tuple, dilation: tuple = (1, 1), groups: int = 1
                         ) -> np.ndarray:
    if groups == 1:
        cols = np.tensordot(g, w, axes=((1,), (0,)))                 # (N, OH, OW, C, kh, kw)
    else:
        og = w.shape[0] // groups
        cols = np.concatenate([np.tensordot(g[:, i * og:(i + 1) * og], w[i * og:(i + 1) * og],
                                            axes=((1,), (0,))) for i in range(groups)], axis=3)
    return _col2im(cols.transpose(0, 3, 1, 2, 4, 5), in_hw, w.shape[2:], stride, padding,
                   dilation)


def _conv_weight_grad_fwd(x: np.ndarray, g: np.ndarray, stride: tuple, padding: tuple,
                          k: tuple, dilation: tuple = (1, 1), groups: int = 1) -> np.ndarray:
    cols = _windows(_pad(x, padding), k, stride, dilation)         # (N, C, OH, OW, kh, kw)
    if groups == 1:
        return np.tensordot(g, cols, axes=((0, 2, 3), (0, 2, 3)))     # (O, C, kh, kw)
    cg, og = x.shape[1] // groups, g.shape[1] // groups
    return np.concatenate([np.tensordot(g[:, i * og:(i + 1) * og], cols[:, i * cg:(i + 1) * cg],
                                        axes=((0, 2, 3), (0, 2, 3))) for i in range(groups)],
                          axis=0)                                   # (O, Cg, kh, kw)


def _hw(t: Any) -> tuple:
    return tuple(t.shape[2:])


# Forward mode: the three conv kernels are bilinear, so each input's JVP is the kernel itself
# with that input's tangent in its place (``_bilinear``).
def _bilinear(op_name: str, i: int) -> Any:
    def rule(t: Any, out: Any, a: Any, b: Any, **kw: Any) -> Any:
        op = globals()[op_name]
        return op.in_rule(t, b, **kw) if i == 0 else op.in_rule(a, t, **kw)
    return rule


Conv2d = Op(
    "Conv2d", _conv_fwd,
    lambda g, out, x, w, stride, padding, dilation=(1, 1), groups=1:
    Conv2dInputGrad.in_rule(g, w, stride=stride, padding=padding, in_hw=_hw(x),
                            dilation=dilation, groups=groups),
    lambda g, out, x, w, stride, padding, dilation=(1, 1), groups=1:
    Conv2dWeightGrad.in_rule(x, g, stride=stride, padding=padding, k=_hw(w),
                             dilation=dilation, groups=groups),
    jvp=(_bilinear("Conv2d", 0), _bilinear("Conv2d", 1)),
    explain=Explain(formula("transposed convolution of {g} with {w}", shapes=True),
                    formula("correlation of {x} with {g}", shapes=True), names=("x", "w")))

Conv2dInputGrad = Op(
    "Conv2dInputGrad", _conv_input_grad_fwd,
    lambda h, out, g, w, stride, padding, in_hw, dilation=(1, 1), groups=1:
    Conv2d.in_rule(h, w, stride=stride, padding=padding, dilation=dilation, groups=groups),
    lambda h, out, g, w, stride, padding, in_hw, dilation=(1, 1), groups=1:
    Conv2dWeightGrad.in_rule(h, g, stride=stride, padding=padding, k=_hw(w),
                             dilation=dilation, groups=groups),
    jvp=(_bilinear("Conv2dInputGrad", 0), _bilinear("Conv2dInputGrad", 1)),
    explain=Explain(formula("convolution of {g} with {w}"), formula("correlation of {g} with "
                                                                     "{gy}"),
                    names=("gy", "w")))

Conv2dWeightGrad = Op(
    "Conv2dWeightGrad", _conv_weight_grad_fwd,
    lambda h, out, x, g, stride, padding, k, dilation=(1, 1), groups=1:
    Conv2dInputGrad.in_rule(g, h, stride=stride, padding=padding, in_hw=_hw(x),
                            dilation=dilation, groups=groups),
    lambda h, out, x, g, stride, padding, k, dilation=(1, 1), groups=1:
    Conv2d.in_rule(x, h, stride=stride, padding=padding, dilation=dilation, groups=groups),
    jvp=(_bilinear("Conv2dWeightGrad", 0), _bilinear("Conv2dWeightGrad", 1)),
    explain=Explain(formula("transposed convolution of {g} with {gy}"),
                    formula("convolution of {x} with {g}"), names=("x", "gy")))


def _groups(groups: Any, op: str) -> int:
    if type(groups) is int and groups >= 1:
        return groups
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def _kernel_args(op: str, stride: Any, padding: Any, dilation: Any, groups: Any) -> tuple:
    stride, padding = pair(stride, "stride", op), pair(padding, "padding", op)
    dilation = (1, 1) if type(dilation) is int and dilation == 1 else pair(dilation, "dilation", op)
    if min(stride) == 0:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if min(dilation) == 0:
        raise ValueError(f"{op}: dilation must be positive, got {dilation}")
    return stride, padding, dilation, _groups(groups, op)


def _same_kind(x: Tensor, w: Tensor, op: str) -> tuple:
    if x._data.dtype.kind != w._data.dtype.kind and "f" in (x._data.dtype.kind, w._data.dtype.kind):
        x, w = promote_floats(x, w, op)  # an integer input takes the weight's dtype
    return x, w


def conv2d(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Tensor:
    """Cross-correlation of ``x`` (N, C, H, W) with ``w`` (O, C / groups, kh, kw) ->
    (N, O, OH, OW), OH = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (zero padding). No bias (add
    it with broadcasting)."""
    x, w = operand(x), operand(w)
    stride, padding, dilation, groups = _kernel_args("conv2d", stride, padding, dilation, groups)
    if x._data.ndim != 4 or w._data.ndim != 4:
        raise ValueError(f"conv2d: expected input (N, C, H, W) and weight (O, C, kh, kw), got "
                         f"input {x.shape} and weight {w.shape}")
    if w._data.shape[0] % groups:
        raise ValueError(f"conv2d: out_channels {w.shape[0]} (weight {w.shape}) is not "
                         f"divisible by groups={groups}")
    if x._data.shape[1] != w._data.shape[1] * groups:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight {w.shape} expects "
                         f"{w.shape[1] * groups} (input {x.shape}, groups={groups})")
    for n, k, p, d, s in zip(x._data.shape[2:], w._data.shape[2:], padding, dilation,
                             ("height", "width")):
        if n + 2 * p < d * (k - 1) + 1:
            raise ValueError(f"conv2d: kernel {w.shape[2:]} (dilation {dilation}) is larger "
                             f"than the padded input {s} {n + 2 * p} (input {x.shape}, "
                             f"padding {padding})")
    x, w = _same_kind(x, w, "conv2d")
    kw = {"stride": stride, "padding": padding}
    if dilation != (1, 1) or groups != 1:
        kw.update(dilation=dilation, groups=groups)
    return Conv2d.apply((x, w), kw)


def conv_transpose2d(x: Any, w: Any, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed convolution of ``x`` (N, C_in, H, W) with ``w`` (C_in, C_out / groups,
    kh, kw) -> (N, C_out, OH, OW), OH = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1: the adjoint
    (input gradient) of ``conv2d`` with the same weight, stride, padding, dilation and groups.
    No bias."""
    op = "conv_transpose2d"
    x, w = operand(x), operand(w)
    stride, padding, dilation, groups = _kernel_args(op, stride, padding, dilation, groups)
    opad = pair(output_padding, "output_padding", op)
    if x._data.ndim != 4 or w._data.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C_in, H, W) and weight "
                         f"(C_in, C_out / groups, kh, kw), got input {x.shape} and weight "
                         f"{w.shape}")
    if x._data.shape[1] != w._data.shape[0]:
        raise ValueError(f"{op}: input has {x.shape[1]} channels but weight {w.shape} expects "
                         f"{w.shape[0]} (input {x.shape})")
    if w._data.shape[0] % groups:
        raise ValueError(f"{op}: in_channels {w.shape[0]} (weight {w.shape}) is not divisible "
                         f"by groups={groups}")
    if opad[0] >= stride[0] or opad[1] >= stride[1]:
        raise ValueError(f"{op}: output_padding {opad} must be smaller than stride {stride}")
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                   zip(x._data.shape[2:], stride, padding, dilation, w._data.shape[2:], opad))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: the output size {out_hw} is not positive (input {x.shape}, "
                         f"weight {w.shape}, stride {stride}, padding {padding})")
    x, w = _same_kind(x, w, op)
    kw = {"stride": stride, "padding": padding, "in_hw": out_hw}
    if dilation != (1, 1) or groups != 1:
        kw.update(dilation=dilation, groups=groups)
    return Conv2dInputGrad.apply((x, w), kw)


# ----------------------------------------------------------------------------- max pooling
def _pool_size(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> tuple:
    """(output length, extra padding at the end) of a pooling window as PyTorch: with
    ``ceil_mode`` the last window may run past the padded input (it is then padded by the
    extra amount) but must start inside the input or the left padding."""
    span = d * (k - 1) + 1
    if ceil_mode:
        out = -(-(n + 2 * p - span) // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
    else:
        out = (n + 2 * p - span) // s + 1
    return out, max(0, (out - 1) * s + span - (n + 2 * p))


def _offsets(k: tuple, s: tuple, out_hw: tuple, d: tuple = (1, 1)) -> list:
    """(index, row slice, col slice) of each kernel offset: the strided (OH, OW) view of the
    padded input that offset (i, j) of every window reads."""
    (oh, ow) = out_hw
    return [(i * k[1] + j, slice(i * d[0], i * d[0] + s[0] * (oh - 1) + 1, s[0]),
             slice(j * d[1], j * d[1] + s[1] * (ow - 1) + 1, s[1]))
            for i in range(k[0]) for j in range(k[1])]


def _lowest(dtype: np.dtype) -> Any:
    """The padding value of max pooling: -inf, or the smallest integer (False for bools)."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return False if dtype.kind == "b" else -np.inf


def _max_arg(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple = (1, 1),
             e: tuple = (0, 0)) -> tuple:
    """Window maxima (N, C, OH, OW) and the kernel offset of each window's first maximum.
    Loops over the kh * kw offsets, each step a vectorised compare over all windows.
    ``d``: dilation; ``e``: extra bottom/right padding (ceil_mode)."""
    xp = _pad(x, p, _lowest(x.dtype), e)
    out_hw = ((xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1,
              (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1)
    offs = _offsets(k, s, out_hw, d)
    best = xp[:, :, offs[0][1], offs[0][2]].copy()
    arg = zeros(best.shape, np.int32, best)
    for idx, rs, cs in offs[1:]:
        v = xp[:, :, rs, cs]
        better = v > best            # strict: ties keep the first maximum
        np.putmask(arg, better, idx)
        np.maximum(best, v, out=best)
    return best, arg, offs


def _max_indices(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple = (1, 1),
                e: tuple = (0, 0)) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat index ``row * W + col`` in its (H, W) plane of
    each window's first maximum (int64, shape (N, C, OH, OW))."""
    _, arg, _ = _max_arg(x, k, s, p, d, e)
    oh, ow = arg.shape[2:]
    i, j = np.divmod(arg.astype(np.int64), k[1])
    rows = arange(oh, arg)[:, None] * s[0] - p[0] + i * d[0]
    cols = arange(ow, arg)[None, :] * s[1] - p[1] + j * d[1]
    return rows * x.shape[3] + cols


def _maxpool_fwd(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple = (1, 1),
                 e: tuple = (0, 0)) -> np.ndarray:
    return _max_arg(x, k, s, p, d, e)[0]


def _scatter_fwd(g: np.ndarray, x: np.ndarray, k: tuple, s: tuple, p: tuple,
                 d: tuple = (1, 1), e: tuple = (0, 0)) -> np.ndarray:
    _, arg, offs = _max_arg(x, k, s, p, d, e)
    out = zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * p[0] + e[0],
                    x.shape[3] + 2 * p[1] + e[1]), g.dtype, g)
    zero = zeros((), g.dtype, g)
    for idx, rs, cs in offs:
        out[:, :, rs, cs] += np.where(arg == idx, g, zero)
    return out[:, :, p[0]:p[0] + x.shape[2], p[1]:p[1] + x.shape[3]]


def _gather_fwd(h: np.ndarray, x: np.ndarray, k: tuple, s: tuple, p: tuple,
                d: tuple = (1, 1), e: tuple = (0, 0)) -> np.ndarray:
    _, arg, offs = _max_arg(x, k, s, p, d, e)
    hp = _pad(h, p, 0.0, e)
    out = zeros(arg.shape, h.dtype, h)
    zero = zeros((), h.dtype, h)
    for idx, rs, cs in offs:
        out += np.where(arg == idx, hp[:, :, rs, cs], zero)
    return out


MaxPool2d = Op("MaxPool2d", _maxpool_fwd,
               lambda g, out, x, k, s, p, d=(1, 1), e=(0, 0):
               MaxPool2dScatter.in_rule(g, arr(x), k=k, s=s, p=p, d=d, e=e),
               jvp=(lambda t, out, x, **kw: MaxPool2dGather.in_rule(t, arr(x), **kw),),
               explain=Explain(formula("{g} sent to the maximum of each {k} window of {x}, "
                                       "0 elsewhere", shapes=True)))
# x is passed as a constant: the argmax pattern is piecewise constant in x.
MaxPool2dScatter = Op("MaxPool2dScatter", _scatter_fwd,
                      lambda h, out, g, x, k, s, p, d=(1, 1), e=(0, 0):
                      MaxPool2dGather.in_rule(h, x, k=k, s=s, p=p, d=d, e=e), None,
                      jvp=(lambda t, out, g, x, **kw:
                           MaxPool2dScatter.in_rule(t, arr(x), **kw), None),
                      explain=Explain(formula("{g} read at the maximum of each window"),
                                      names=("gy", "x")))
MaxPool2dGather = Op("MaxPool2dGather", _gather_fwd,
                     lambda g, out, h, x, k, s, p, d=(1, 1), e=(0, 0):
                     MaxPool2dScatter.in_rule(g, x, k=k, s=s, p=p, d=d, e=e), None,
                     jvp=(lambda t, out, h, x, **kw:
                          MaxPool2dGather.in_rule(t, arr(x), **kw), None),
                     explain=Explain(formula("{g} sent back to the maximum of each window"),
                                     names=("h", "x")))


def _pool_args(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
               dilation: Any = 1, ceil_mode: bool = False) -> tuple:
    k = pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else pair(stride, "stride", op)
    p = pair(padding, "padding", op)
    d = (1, 1) if type(dilation) is int and dilation == 1 else pair(dilation, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, got {k}, "
                         f"{s} and {d}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} should be at most half of kernel_size {k}")
    if x._data.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    for n, kk, pp, dd, ss in zip(x._data.shape[2:], k, p, d, s):
        if ceil_mode and n > 0 and _pool_size(n, kk, ss, pp, dd, True)[0] >= 1:
            continue  # a partial window (PyTorch accepts it)
        if n + 2 * pp < dd * (kk - 1) + 1:
            raise ValueError(f"{op}: kernel_size {k} (dilation {d}) is larger than the padded "
                             f"input (input {x.shape}, padding {p})")
    return k, s, p, d


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Any:
    """Max over kh x kw windows of an (N, C, H, W) input (stride defaults to kernel_size;
    padding counts as -inf). Ties send the gradient to the first maximum of the window.
    ``return_indices``: also the int64 flat index (row * W + col) of each maximum."""
    x = operand(x)
    k, s, p, d = _pool_args("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    eh = ew = 0  # (floor mode: the windows fit the padded input)
    if ceil_mode:
        (_, eh), (_, ew) = [_pool_size(n, k_, s_, p_, d_, True)
                            for n, k_, s_, p_, d_ in zip(x._data.shape[2:], k, s, p, d)]
    kw = {"k": k, "s": s, "p": p}
    if d != (1, 1) or (eh, ew) != (0, 0):
        kw.update(d=d, e=(eh, ew))
    out = MaxPool2d.apply((x,), kw)
    if return_indices:
        idx = _max_indices(x._data, k, s, p, d, (eh, ew))
        return out, Tensor._wrap(idx)  # indices: no graph
    return out


# ----------------------------------------------------------------------------- sum pooling
def _sumpool_fwd(x: np.ndarray, k: tuple, s: tuple, p: tuple, e: tuple = (0, 0)
                 ) -> np.ndarray:
    return _windows(_pad(x, p, 0.0, e), k, s).sum(axis=(4, 5))


def _sumpool_t_fwd(g: np.ndarray, k: tuple, s: tuple, p: tuple, in_hw: tuple,
                   e: tuple = (0, 0)) -> np.ndarray:
    cols = np.broadcast_to(g[..., None, None], g.shape + k)
    return _col2im(cols, in_hw, k, s, p)


SumPool2d = Op("SumPool2d", _sumpool_fwd,
               lambda g, out, x, k, s, p, e=(0, 0):
               SumPool2dTranspose.in_rule(g, k=k, s=s, p=p, in_hw=_hw(x), e=e),
               jvp="linear",
               explain=Explain(formula("{g} copied to every position of its {k} window of "
                                       "{x} (added where windows overlap)", shapes=True)))
SumPool2dTranspose = Op("SumPool2dTranspose", _sumpool_t_fwd,
                        lambda h, out, g, k, s, p, in_hw, e=(0, 0):
                        SumPool2d.in_rule(h, k=k, s=s, p=p, e=e),
                        jvp="linear", explain=Explain(formula("{g} summed over each {k} window")))


def sum_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False) -> Tensor:
    """Sum over kh x kw windows of an (N, C, H, W) input (zero padding); average pooling is
    this divided by the window count. ``ceil_mode``: as PyTorch (see `_pool_size`)."""
    x = operand(x)
    k, s, p, _ = _pool_args("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    kw = {"k": k, "s": s, "p": p}
    if ceil_mode:
        e = tuple(_pool_size(n, k_, s_, p_, 1, True)[1]
                  for n, k_, s_, p_ in zip(x._data.shape[2:], k, s, p))
        if e != (0, 0):
            kw["e"] = e
    return SumPool2d.apply((x,), kw)
