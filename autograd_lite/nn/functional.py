"""The math of every layer, activation and loss, written once (``nn`` Modules call these).

Everything here is composed from differentiable Tensor ops (so double backward works), except
the fused engine ops, each one node with its own VJP for speed or stability (still twice
differentiable): ``conv2d`` / pooling (``autograd_lite.ops.conv``), the softmax cross-entropy
against class indices (``autograd_lite.ops.loss``), ``softplus`` and ``erf``
(``autograd_lite.ops.special``), and ``softmax`` / ``log_softmax`` / ``logsumexp``
(``autograd_lite.ops.reduction``). Signatures, names and defaults are PyTorch's
``torch.nn.functional``.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import random as _random
from autograd_lite.array_module import as_data, asarray, is_foreign, ones
from autograd_lite.dtypes import promote_float, promote_floats
from autograd_lite.explain import Explain, formula, local
from autograd_lite.grad_mode import no_grad
from autograd_lite.ops import conv as _conv
from autograd_lite.ops import loss as _loss
from autograd_lite.ops import special as _special
from autograd_lite.primitive import arr
from autograd_lite.scope import public_op
from autograd_lite.tensor import Tensor
from autograd_lite.trace_hooks import check, kernel

__all__ = [
    "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "interpolate",
    "scaled_dot_product_attention", "dropout", "batch_norm", "layer_norm",
    "embedding", "flatten", "one_hot", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "gelu",
    "softmax", "log_softmax", "erf",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "hinge_loss", "kl_div",
    "gaussian_nll_loss",
]

_wrap = ag.as_tensor  # an ndarray wrapped without a copy


def _t(x: Any, name: str = "input", op: str = "?") -> Tensor:
    """A Tensor view of ``x`` (Tensors pass through, arrays are wrapped without a copy)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    if isinstance(x, (int, float, bool, list, tuple, np.generic)):
        return ag.tensor(x)
    raise TypeError(f"{op}: {name} must be a Tensor or array, got {type(x).__name__}")


def _add_bias(out: Tensor, bias: Any, op: str) -> Tensor:
    """``out + bias``; an integer or bool bias takes the output's floating dtype."""
    b = _t(bias, "bias", op)
    if b.dtype.kind in "biu" and out.dtype.kind in "fc":
        b = b.astype(out.dtype)
    return out + b


# ============================================================================= layers
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``input @ weight.T + bias``: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    x, w = _t(input, "input", "linear"), _t(weight, "weight", "linear")
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-d (out_features, in_features), got {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape "
                         f"{w.shape} (expected input (*, {w.shape[1]}))")
    if x.dtype.kind != w.dtype.kind and "f" in (x.dtype.kind, w.dtype.kind):
        x, w = promote_floats(x, w, "linear")  # an integer input takes the weight's dtype
    out = x @ w.T
    if bias is not None:
        out = _add_bias(out, bias, "linear")
    return out


# the stepper's template of linear (one step): where each argument enters its ops, and its rule
linear.explain = Explain(  # type: ignore[attr-defined]
    formula("{g} @ {weight}", shapes=True), formula("{g}^T @ {input}", shapes=True),
    formula("{g} summed over the batch", unbroadcast=True),
    roles=(("input", "MatMul", 0), ("weight", "Permute", 0), ("bias", "Add", 1)))


def _same_padding(x: Tensor, k: tuple, stride: tuple, op: str, dilation: tuple = (1, 1)
                  ) -> Tensor:
    if stride != (1, 1):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride {stride})")
    (lh, rh), (lw, rw) = [((d * (n - 1)) // 2, d * (n - 1) - (d * (n - 1)) // 2)
                          for n, d in zip(k, dilation)]
    return ag.pad(x, ((0, 0), (0, 0), (lh, rh), (lw, rw)))


def _conv_bias(out: Tensor, bias: Any, channels: int, op: str) -> Tensor:
    if bias is None:
        return out
    b = _t(bias, "bias", op)
    if b.shape != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {b.shape}")
    return _add_bias(out, b.reshape(1, -1, 1, 1), op)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation: input (N, C, H, W) (or unbatched (C, H, W)), weight
    (O, C / groups, kh, kw), bias (O,) -> (N, O, OH, OW),
    OH = (H + 2 ph - dh (kh - 1) - 1) // sh + 1. ``padding`` is an int, a pair, ``"valid"`` or
    ``"same"`` (stride 1). ``dilation`` spaces the kernel taps; ``groups`` splits the channels
    into groups convolved separately (``groups=C``: depthwise), as PyTorch."""
    x, w = _t(input, "input", "conv2d"), _t(weight, "weight", "conv2d")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    stride = _conv.pair(stride, "stride", "conv2d")
    dilation = _conv.pair(dilation, "dilation", "conv2d")
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if w.ndim == 4:
                x = _same_padding(x, tuple(w.shape[2:]), stride, "conv2d", dilation)
            padding = 0
        else:
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', "
                             f"got {padding!r}")
    out = _conv.conv2d(x, w, stride, padding, dilation, groups)
    out = _conv_bias(out, bias, w.shape[0], "conv2d")
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 2-d convolution (the adjoint of ``conv2d``, sometimes "deconvolution"):
    input (N, C_in, H, W) (or unbatched), weight (C_in, C_out / groups, kh, kw), bias (C_out,)
    -> (N, C_out, OH, OW), OH = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1, as PyTorch
    (``output_padding`` < stride picks among the sizes a strided conv2d maps to H)."""
    x, w = _t(input, "input", "conv_transpose2d"), _t(weight, "weight", "conv_transpose2d")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    out = _conv.conv_transpose2d(x, w, stride, padding, output_padding, groups, dilation)
    if w.ndim == 4:
        out = _conv_bias(out, bias, out.shape[1], "conv_transpose2d")
    return out.squeeze(0) if unbatched else out


def _pool_input(x: Tensor, op: str) -> tuple[Tensor, bool]:
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got "
                         f"shape {x.shape}")
    return x, False


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Any:
    """Max over kh x kw windows of (N, C, H, W) (or (C, H, W)); ``stride`` defaults to
    ``kernel_size``, padding is implicit -inf, ``dilation`` spaces the window's taps,
    ``ceil_mode`` rounds the output size up (the last window may be partial), as PyTorch.
    ``return_indices=True`` returns ``(output, indices)``, indices the int64 flat position
    ``row * W + col`` of each maximum in its input plane (PyTorch's, for ``max_unpool2d``)."""
    x, unbatched = _pool_input(_t(input, "input", "max_pool2d"), "max_pool2d")
    res = _conv.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode,
                           return_indices)
    if return_indices:
        out, idx = res
        return (out.squeeze(0), idx.squeeze(0)) if unbatched else (out, idx)
    return res.squeeze(0) if unbatched else res


def _avg_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """PyTorch's divisor along one axis: the window clipped to the padded input (or, without
    ``count_include_pad``, to the input)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if not include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return (end - start).astype(np.float64)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over kh x kw windows of (N, C, H, W) (or (C, H, W)); ``stride`` defaults to
    ``kernel_size``. Zero padding counts in the mean unless ``count_include_pad=False``;
    ``ceil_mode`` rounds the output size up, a partial last window dividing by its size
    within the padded input, as PyTorch."""
    x, unbatched = _pool_input(_t(input, "input", "avg_pool2d"), "avg_pool2d")
    x = promote_float(x, "avg_pool2d")  # a mean of integers is a float in the default dtype
    s = _conv.sum_pool2d(x, kernel_size, stride, padding, ceil_mode)
    k = _conv.pair(kernel_size, "kernel_size", "avg_pool2d")
    st = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _conv.pair(stride, "stride", "avg_pool2d")
    p = _conv.pair(padding, "padding", "avg_pool2d")
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be zero")
        out = s * (1.0 / divisor_override)
    elif not ceil_mode and (count_include_pad or p == (0, 0)):
        out = s * (1.0 / (k[0] * k[1]))
    else:
        ch, cw = [_avg_counts(n, k_, s_, p_, o, count_include_pad)
                  for n, k_, s_, p_, o in zip(x.shape[2:], k, st, p, s.shape[2:])]
        out = s * (1.0 / np.outer(ch, cw)).astype(s.dtype)
    return out.squeeze(0) if unbatched else out


def _interp_size(x: Tensor, size: Any, scale_factor: Any) -> tuple:
    """(output size, the scales used to map output to input coordinates, or None)."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size and scale_factor must be given")
    if size is not None:
        out = _conv.pair(size, "size", "interpolate")
        if min(out) < 1:
            raise ValueError(f"interpolate: size must be positive, got {size!r}")
        return out, None
    sf = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) \
        else (scale_factor, scale_factor)
    if len(sf) != 2 or not all(isinstance(f, (int, float, np.number)) and f > 0 for f in sf):
        raise ValueError(f"interpolate: scale_factor must be a positive number or a pair, got "
                         f"{scale_factor!r}")
    out = tuple(int(math.floor(n * float(f))) for n, f in zip(x.shape[2:], sf))
    if min(out) < 1:
        raise ValueError(f"interpolate: the output size {out} is empty (input {x.shape}, "
                         f"scale_factor {scale_factor!r})")
    return out, tuple(float(f) for f in sf)


def _linear_taps(n: int, out: int, scale: Any, align_corners: bool) -> tuple:
    """PyTorch's source indices i0, i1 and weights (1 - l, l) of linear interpolation along
    one axis (``area_pixel_compute_source_index``)."""
    dst = np.arange(out, dtype=np.float64)
    if out == n:  # PyTorch copies an axis whose size does not change (whatever the scale)
        idx = np.arange(n)
        return idx, idx, np.ones(n), np.zeros(n)
    if align_corners:
        src = dst * ((n - 1) / (out - 1) if out > 1 else 0.0)
    else:
        r = 1.0 / scale if scale is not None else n / out
        src = np.maximum(r * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = src - i0
    return i0, i1, 1.0 - lam, lam


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the last two dims of an (N, C, H, W) input to ``size`` (int or pair) or by
    ``scale_factor`` (output floor(H * factor)), as PyTorch. ``mode="nearest"``: output row
    i reads input row min(floor(i * scale), H - 1), scale = H / OH (or 1 / scale_factor),
    in float32 (row i // 2 when OH = 2 H); ``mode="bilinear"``: linear in each axis, pixel
    centres aligned (``align_corners=False``, the default) or corner pixels aligned
    (``True``). An axis whose size does not change is copied, whatever the scale (PyTorch's
    shortcut). Differentiable (both modes are linear in the input)."""
    x = _t(input, "input", "interpolate")
    if x.ndim != 4:
        raise ValueError(f"interpolate: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    if mode not in ("nearest", "bilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented (only "
                                  f"'nearest' and 'bilinear')")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners can only be set with the interpolating "
                         "modes (bilinear)")
    if min(x.shape[2:]) < 1:
        raise ValueError(f"interpolate: the input's height and width must be positive, got "
                         f"shape {x.shape}")
    out_hw, sf = _interp_size(x, size, scale_factor)
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                         "explicit size")
    if recompute_scale_factor:
        sf = None
    (h, w) = x.shape[2:]
    if mode == "nearest":
        idx = []
        for n, o, f in zip((h, w), out_hw, sf or (None, None)):
            if o == n or o == 2 * n:  # PyTorch's shortcuts (whatever the scale)
                idx.append(np.arange(o) * n // o)
                continue
            scale = np.float32(1.0 / f if f is not None else n / o)  # float32, as PyTorch
            idx.append(np.minimum(np.floor(np.arange(o, dtype=np.float32) * scale)
                                  .astype(np.int64), n - 1))
        return x[:, :, idx[0][:, None], idx[1][None, :]]
    x = promote_float(x, "interpolate")
    (r0, r1, a0, a1), (c0, c1, b0, b1) = [
        _linear_taps(n, o, f, bool(align_corners))
        for n, o, f in zip((h, w), out_hw, sf or (None, None))]
    dt = x.dtype
    y = x[:, :, r0, :] * a0.astype(dt)[:, None] + x[:, :, r1, :] * a1.astype(dt)[:, None]
    return y[:, :, :, c0] * b0.astype(dt) + y[:, :, :, c1] * b1.astype(dt)


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False
                                 ) -> Tensor:
    """softmax(q k^T * scale + mask) v over the last two dims, as PyTorch: query (..., L, E),
    key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dims broadcast.
    ``scale`` defaults to 1 / sqrt(E). ``attn_mask``: bool (True = may attend) or float
    (added to the scores), broadcastable to (..., L, S); ``is_causal``: position i attends to
    j <= i only (no ``attn_mask`` then); a query that may attend to no key gets weights 0
    (output 0), as PyTorch. ``dropout_p`` > 0 drops attention weights (always,
    as PyTorch's function: pass 0.0 in evaluation)."""
    op = "scaled_dot_product_attention"
    q, k, v = _t(query, "query", op), _t(key, "key", op), _t(value, "value", op)
    if enable_gqa:
        raise NotImplementedError(f"{op}: enable_gqa=True is not implemented")
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(f"{op}: query, key and value need at least 2 dims, got {q.shape}, "
                         f"{k.shape} and {v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{op}: query {q.shape}, key {k.shape} and value {v.shape} do not "
                         f"fit (need E of query = E of key, S of key = S of value)")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    lq, sk = q.shape[-2], k.shape[-2]
    sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = ag.matmul(q, k.transpose(-2, -1)) * sc
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{op}: give either attn_mask or is_causal=True, not both")
        attn_mask = np.tril(np.ones((lq, sk), dtype=bool))
    dead = None  # rows that attend to nothing: weights 0 (PyTorch's), not 0/0
    if attn_mask is not None:
        m = attn_mask if isinstance(attn_mask, Tensor) else ag.as_tensor(np.asarray(attn_mask))
        if m.dtype.kind == "b":
            scores = ag.where(m, scores, -np.inf)
            dead = ~np.any(m.data, axis=-1, keepdims=True)
        else:
            if m.dtype != scores.dtype:
                m = m.astype(scores.dtype)
            scores = scores + m
            dead = np.all(np.isneginf(m.data), axis=-1, keepdims=True)
        if np.any(dead):
            scores = ag.where(dead, 0.0, scores)
        else:
            dead = None
    weights = ag.softmax(scores, axis=-1)
    if dead is not None:
        weights = ag.where(dead, 0.0, weights)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return ag.matmul(weights, v)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (``nn.Flatten`` uses start_dim=1)."""
    return _t(input, "input", "flatten").flatten(start_dim, end_dim)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (inverted
    dropout) when ``training``; identity otherwise. The mask comes from the library's
    generator (``ag.manual_seed``)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    x = _t(input, "input", "dropout")
    if not training or p == 0.0:
        return x
    x = promote_float(x, "dropout")  # the kept values are scaled: integers become floats
    if p == 1.0:
        return x * 0.0
    mask = _dropout_mask(x.shape, p, x.dtype)  # (drawn on the host: moved to the data's module)
    return x * (asarray(mask, x.data) if is_foreign(x.data) else mask)


@kernel
def _dropout_mask(shape: tuple, p: float, dtype: Any) -> np.ndarray:
    """The inverted-dropout mask: 0 with probability ``p``, else 1/(1-p), from the library's
    generator. (A ``@kernel``: a compiled step draws a fresh mask at every replay.)"""
    keep = _random.get_generator().random(shape) >= p
    return (keep * (1.0 / (1.0 - p))).astype(dtype)


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over all dims but dim 1 of (N, C), (N, C, L) or (N, C, H, W).

    Training: normalise with the batch mean and the biased batch variance, and update the
    running statistics in place (``running = (1 - momentum) * running + momentum * batch``,
    with the unbiased variance). Evaluation: normalise with the running statistics.
    """
    x = promote_float(_t(input, "input", "batch_norm"), "batch_norm", complex_ok=False)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got "
                         f"shape {x.shape}")
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        n = x.size // c
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {x.shape}")
        mean = x.mean(axes, keepdims=True)
        var = x.var(axes, keepdim=True, correction=0)  # the biased batch variance
        with no_grad():
            if running_mean is not None:
                rm = _t(running_mean, "running_mean", "batch_norm")
                rm.copy_(rm * (1 - momentum) + mean.reshape(c) * momentum)
            if running_var is not None:
                rv = _t(running_var, "running_var", "batch_norm")
                rv.copy_(rv * (1 - momentum) + var.reshape(c) * momentum * (n / (n - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        mean = ag.as_tensor(running_mean).reshape(bshape)  # (ops: a compiled step reads
        var = ag.as_tensor(running_var).reshape(bshape)    # the statistics at every call)
    out = (x - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * _t(weight, "weight", "batch_norm").reshape(bshape)
    if bias is not None:
        out = out + _t(bias, "bias", "batch_norm").reshape(bshape)
    return out


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance), then scale by
    ``weight`` and shift by ``bias`` (both shaped ``normalized_shape``)."""
    x = promote_float(_t(input, "input", "layer_norm"), "layer_norm", complex_ok=False)
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    if len(ns) == 0 or len(ns) > x.ndim or tuple(x.shape[-len(ns):]) != ns:
        raise ValueError(f"layer_norm: normalized_shape {ns} does not match the trailing dims "
                         f"of the input of shape {x.shape}")
    axes = tuple(range(x.ndim - len(ns), x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdim=True, correction=0)  # biased, as PyTorch
    out = (x - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: Any, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer indices ``input`` ->
    ``input.shape + (dim,)``. Rows at ``padding_idx`` get no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "implemented")
    idx = arr(input)
    w = _t(weight, "weight", "embedding")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got dtype {idx.dtype}")
    n = w.shape[0]
    _check_rows(input, n)
    out = w[idx]
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += n
        keep = _kept_rows(idx, padding_idx)
        out = ag.where(keep, out, out.detach())
    return out


@kernel
def _kept_rows(idx: np.ndarray, padding_idx: int) -> np.ndarray:
    """(*idx.shape, 1) bools: the rows that are not ``padding_idx``."""
    return (idx != padding_idx)[..., None]


@check
def _check_rows(input: Any, n: int) -> None:
    idx = arr(input)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].ravel()[0]
        raise ValueError(f"embedding: index {int(bad)} is out of range for an embedding with "
                         f"{n} rows")


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices of any shape -> int64 one-hot vectors, shape ``(*, num_classes)``
    (``num_classes=-1``: one more than the largest index)."""
    t = arr(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor, got dtype {t.dtype}")
    if num_classes == -1:
        num_classes = int(t.max()) + 1 if t.size else 0
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got range "
                         f"[{int(t.min())}, {int(t.max())}]")
    return _wrap((t[..., None] == np.arange(num_classes)).astype(np.int64))


# ============================================================================= activations
def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (gradient 0 at 0)."""
    return ag.relu(_t(input, "input", "relu"))


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    x = promote_float(_t(input, "input", "leaky_relu"), "leaky_relu", complex_ok=False)
    return ag.where(x > 0, x, x * negative_slope)


def sigmoid(input: Any) -> Tensor:
    """The logistic function 1 / (1 + exp(-x))."""
    return ag.sigmoid(_t(input, "input", "sigmoid"))


def tanh(input: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(_t(input, "input", "tanh"))


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/beta) log(1 + exp(beta x)); reverts to x where beta x > threshold (as PyTorch)."""
    x = promote_float(_t(input, "input", "softplus"), "softplus", complex_ok=False)
    bx = x if beta == 1 else x * beta
    sp = _special.softplus(bx)
    if beta != 1:
        sp = sp * (1.0 / beta)
    return ag.where(bx > threshold, x, sp)


def erf(input: Any) -> Tensor:
    """The error function (differentiable, accurate to ~1e-16)."""
    return _special.erf(promote_float(_t(input, "input", "erf"), "erf", complex_ok=False))


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); ``approximate="tanh"`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = promote_float(_t(input, "input", "gelu"), "gelu", complex_ok=False)
    if approximate == "none":
        return 0.5 * x * (1.0 + _special.erf(x * _SQRT_HALF))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + ag.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
            ) -> Tensor:
    """exp(x) / sum exp(x) along ``dim`` (stable for logits of any size)."""
    x = promote_float(_t(input, "input", "softmax"), "softmax")
    if dtype is not None:
        x = x.astype(dtype)
    if dim is None:
        dim = _softmax_dim(x.ndim, "softmax")
    return ag.softmax(x, axis=dim)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
                ) -> Tensor:
    """x - logsumexp(x) along ``dim`` (stable)."""
    x = promote_float(_t(input, "input", "log_softmax"), "log_softmax")
    if dtype is not None:
        x = x.astype(dtype)
    if dim is None:
        dim = _softmax_dim(x.ndim, "log_softmax")
    return ag.log_softmax(x, axis=dim)


# ============================================================================= losses
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        allowed = ", ".join(repr(r) for r in _REDUCTIONS + extra)
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` pair mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean'|'sum'|'none' instead.", UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pair_args(op: str, input: Any, target: Any, reduction: str, strict: bool = False
               ) -> tuple[Tensor, Tensor]:
    _check_reduction(op, reduction)
    x, t = _t(input, "input", op), _t(target, "target", op)
    # integer labels (e.g. hinge's -1/+1) take the input's dtype; integer inputs the target's
    # floating dtype, or the default dtype if both are integers (PyTorch's promotion)
    x, t = promote_floats(x, t, op, complex_ok=False)
    if x.shape != t.shape:
        if strict:
            raise ValueError(f"{op}: target size {t.shape} differs from input size {x.shape}; "
                             "please ensure they have the same size")
        try:
            np.broadcast_shapes(x.shape, t.shape)
        except ValueError:
            raise ValueError(f"{op}: target of shape {t.shape} cannot be broadcast to the input "
                             f"of shape {x.shape}") from None
        warnings.warn(f"{op}: using a target size {t.shape} that is different to the input "
                      f"size {x.shape}; this will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
    return x, t


def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Least squares: (input - target)^2 elementwise, then reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pair_args("mse_loss", input, target, reduction)
    d = x - t
    return _reduce(d * d, reduction)


def _per_element(out: Any, x: Any, ops: tuple) -> float:
    """1/n for a mean reduction (n elements averaged into ``out``), else 1 (stepper notes)."""
    return out.size / x.size if "Mean" in ops else 1.0


def _mean_note(out: Any, input: Any, target: Any, ops: tuple = ()) -> str | None:
    if "Mean" in ops and input.size > 1:
        return f"reduction='mean': each element's gradient is divided by n = {input.size}"
    return None


mse_loss.explain = Explain(  # type: ignore[attr-defined]
    local("2 ({input} - {target})", lambda out, input, target, ops=():
          2 * (input - target) * _per_element(out, input, ops)),
    local("-2 ({input} - {target})", lambda out, input, target, ops=():
          -2 * (input - target) * _per_element(out, input, ops)),
    roles=(("input", "Sub", 0), ("target", "Sub", 1)), note=_mean_note)


def l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """|input - target| elementwise, then reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pair_args("l1_loss", input, target, reduction)
    return _reduce(ag.abs(x - t), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, t = _pair_args("huber_loss", input, target, reduction)
    d = x - t
    ad = ag.abs(d)
    return _reduce(ag.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)), reduction)


def smooth_l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2, with d = input - target (PyTorch's
    smooth L1: `huber_loss` divided by beta); ``beta=0`` is `l1_loss`."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pair_args("smooth_l1_loss", input, target, reduction)
    d = x - t
    ad = ag.abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(ag.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta), reduction)


def _clamped_log(p: Tensor) -> Tensor:
    # NOTE: log clamped at -100 as PyTorch's BCE (so p = 0 or 1 gives a finite loss); the clip
    # keeps log's argument positive so the gradient stays finite where the clamp is active.
    safe = ag.clip(p, min=float(np.finfo(p.dtype).tiny))
    return ag.where(p > 0, ag.maximum(ag.log(safe), -100.0), -100.0)


@check
def _check_probabilities(x: Tensor) -> None:
    d = x.data
    if d.size and (d.min() < 0 or d.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1"
                         " (use binary_cross_entropy_with_logits for scores)")


@check
def _check_signs(t: Tensor) -> None:
    tv = t.data
    if tv.size and not np.all((tv == 1) | (tv == -1)):
        raise ValueError("hinge_loss: target labels must be -1 or +1 (for 0/1 labels pass "
                         "2 * y - 1)")


@check
def _check_variance(v: Tensor) -> None:
    if np.any(v.data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p = ``input`` in [0, 1] (logs
    clamped at -100), optionally times ``weight``, then reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pair_args("binary_cross_entropy", input, target, reduction, strict=True)
    _check_probabilities(x)
    loss = -(t * _clamped_log(x) + (1 - t) * _clamped_log(1 - x))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


binary_cross_entropy.explain = Explain(  # type: ignore[attr-defined]
    local("({input} - {target}) / ({input} (1 - {input}))", lambda out, input, target, ops=():
          (input - target) / (input * (1 - input)) * _per_element(out, input, ops)),
    local("-log({input} / (1 - {input}))"),
    roles=(("input", "Clip", 0), ("target", "Mul", 0)), note=_mean_note)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE of sigmoid(input) against ``target`` computed stably from logits:
    (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x); exact for |x| up to 1e3 and beyond."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pair_args("binary_cross_entropy_with_logits", input, target, reduction,
                      strict=True)
    sp = _special.softplus(-x)
    if pos_weight is not None:
        sp = (1 + (pos_weight - 1) * t) * sp
    loss = (1 - t) * x + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_targets(op: str, x: Tensor, target: Any, ignore_index: int,
                   need_mask: bool = True) -> tuple:
    """Validate integer class targets; returns (targets as int64, valid mask, class dim). With
    ``need_mask=False`` the mask is None when every target is valid (nothing ignored)."""
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    t = arr(target)
    expected = tuple(s for i, s in enumerate(x.shape) if i != cdim)
    if t.shape != expected:
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape "
                         f"{x.shape}, got {t.shape}")
    ti = _class_indices(t, c, ignore_index, op)
    # (a Tensor's truth value: ag.compile guards the branch on it)
    if not need_mask and not bool(ag.as_tensor(_any_ignored(t, c, ignore_index))):
        return ti, None, cdim
    return ti, _counted(t, ignore_index), cdim


@kernel
def _class_indices(t: np.ndarray, c: int, ignore_index: int, op: str) -> np.ndarray:
    """Class targets as int64, checked: each in [0, c) or ``ignore_index`` (whose index
    becomes 0; its loss is masked out)."""
    t = t.astype(np.int64, copy=False)
    if t.size and 0 <= t.min() and t.max() < c and not 0 <= ignore_index < c:
        return t  # the common case: every target valid, none ignored
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= c))
    if bad.any():
        raise ValueError(f"{op}: target {int(t[bad].ravel()[0])} is out of bounds for {c} "
                         "classes")
    return t if valid.all() else np.where(valid, t, 0)


@kernel
def _any_ignored(t: np.ndarray, c: int, ignore_index: int) -> np.ndarray:
    """A 0-d bool: some target equals ``ignore_index``."""
    if not 0 <= ignore_index < c and t.size and 0 <= t.min() and t.max() < c:
        return np.array(False)
    return as_data((t == ignore_index).any())


@kernel
def _counted(t: np.ndarray, ignore_index: int) -> np.ndarray:
    """True where a target counts (is not ``ignore_index``)."""
    return as_data(t != ignore_index)


@kernel
def _class_weights(w: np.ndarray | None, t: np.ndarray, valid: np.ndarray | None,
                   dtype: Any) -> np.ndarray:
    """Each sample's weight: its class's weight (1 without weights), 0 where ignored."""
    if w is None:
        return valid.astype(dtype)
    return (w[t] if valid is None else w[t] * valid).astype(dtype)


def _weight_vector(op: str, weight: Any, c: int) -> np.ndarray | None:
    if weight is None:
        return None
    w = arr(weight)
    if w.shape != (c,):
        raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {w.shape}")
    return w


def _nll(op: str, logp: Tensor, target: Any, weight: Any, ignore_index: int,
         reduction: str) -> Tensor:
    t, valid, cdim = _class_targets(op, logp, target, ignore_index, need_mask=False)
    c = logp.shape[cdim]
    w = _weight_vector(op, weight, c)
    # logp[i, t_i] by indexing: only the target entries are read, so a -inf log-probability
    # of another class (or of an ignored sample's placeholder class 0) stays out, as PyTorch
    idx = list(np.indices(t.shape, sparse=True))
    idx.insert(cdim, t)
    picked = logp[tuple(idx)]
    if valid is None:  # nothing ignored
        wi = ones(t.shape, logp.dtype, t) if w is None else \
            _class_weights(w, t, None, logp.dtype)
        loss = -picked if w is None else -picked * wi
    else:
        wi = _class_weights(w, t, valid, logp.dtype)
        loss = -ag.where(valid, picked, 0.0) * wi  # (an ignored sample's class-0 entry)
    if reduction == "mean":
        return loss.sum() / wi.sum()  # NOTE: 0/0 = nan when every target is ignored (PyTorch)
    return _reduce(loss, reduction)


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices: -w[t_i] input[i, t_i] for log-probabilities
    ``input`` (N, C, ...) or (C,); ``"mean"`` divides by the sum of the weights used."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("nll_loss", reduction)
    x = promote_float(_t(input, "input", "nll_loss"), "nll_loss", complex_ok=False)
    if x.ndim == 0:
        raise ValueError("nll_loss: input must have at least one dimension (classes)")
    return _nll("nll_loss", x, target, weight, ignore_index, reduction)


def cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C, ...) or (C,) against class indices
    (integer ``target`` of shape (N, ...)) or class probabilities (float ``target`` shaped like
    the input, rows in the simplex: -sum_c w_c t_c log softmax(x)_c). ``label_smoothing``
    mixes the target with the uniform distribution. Stable for logits of any magnitude."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    x = promote_float(_t(input, "input", "cross_entropy"), "cross_entropy", complex_ok=False)
    if x.ndim == 0:
        raise ValueError("cross_entropy: input must have at least one dimension (classes)")
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    w = _weight_vector("cross_entropy", weight, c)
    wshape = (1,) * cdim + (c,) + (1,) * (x.ndim - cdim - 1)
    tdt = target.dtype if isinstance(target, (Tensor, np.ndarray)) else np.asarray(target).dtype
    if tdt.kind == "f":  # class probabilities
        t = _t(target, "target", "cross_entropy")
        if t.shape != x.shape:
            raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                             f"{x.shape}, got {t.shape} (for class indices pass an integer "
                             "tensor)")
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + label_smoothing / c
        logp = ag.log_softmax(x, axis=cdim)
        wl = logp if w is None else logp * w.reshape(wshape).astype(x.dtype)
        loss = -(wl * t).sum(cdim)
        if reduction == "mean":
            if x.ndim == 1:
                return loss
            # (an empty batch: the mean of nothing is NaN, as PyTorch; c / 0 would raise)
            return loss.sum() * (c / x.size if x.size else float("nan"))
        return _reduce(loss, reduction)
    if label_smoothing == 0:  # the common case: one fused node (ops/loss.py)
        t, valid, _ = _class_targets("cross_entropy", x, target, ignore_index, need_mask=False)
        if valid is None:  # every sample counts: weights only if the classes have some
            wi = None if w is None else _class_weights(w, t, None, x.dtype)
        else:
            wi = _class_weights(w, t, valid, x.dtype)
        return _loss.softmax_cross_entropy(x, t, wi, cdim, reduction)
    logp = ag.log_softmax(x, axis=cdim)
    nll = _nll("cross_entropy", logp, target, w, ignore_index, reduction)
    t, valid, _ = _class_targets("cross_entropy", x, target, ignore_index)
    wl = logp if w is None else logp * ag.as_tensor(w).reshape(wshape).astype(x.dtype)
    smooth = -wl.sum(cdim) * ag.as_tensor(valid).astype(x.dtype)
    if reduction == "mean":
        denom = ag.as_tensor(valid).sum() if w is None else \
            ag.as_tensor(_class_weights(w, t, valid, w.dtype)).sum()
        smooth = smooth.sum() / denom.astype(smooth.dtype)
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def hinge_loss(input: Any, target: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """The lectures' hinge loss max(0, margin - y f) for scores f = ``input`` and labels
    y = ``target`` in {-1, +1} of the same shape."""
    x, t = _pair_args("hinge_loss", input, target, reduction, strict=True)
    _check_signs(t)
    return _reduce(ag.relu(margin - t * x), reduction)


def kl_div(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || q) pointwise with ``input`` = log q: t (log t - input) (0 where t = 0), or
    exp(t) (t - input) when ``log_target``. ``"batchmean"`` divides the sum by the batch size
    (the true KL divergence); ``"mean"`` divides by the number of elements."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("kl_div", reduction, ("batchmean",))
    x, t = _t(input, "input", "kl_div"), _t(target, "target", "kl_div")
    x, t = promote_floats(x, t, "kl_div", complex_ok=False)
    try:
        np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise ValueError(f"kl_div: target of shape {t.shape} cannot be broadcast to the input "
                         f"of shape {x.shape}") from None
    if log_target:
        loss = ag.exp(t) * (t - x)
    else:
        safe = ag.where(t > 0, t, 1.0)
        loss = t * ag.log(safe) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size and "
                      "matches the mathematical definition of KL divergence.", stacklevel=2)
    return _reduce(loss, reduction)


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var):
    0.5 (log max(var, eps) + (input - target)^2 / max(var, eps)) (+ 0.5 log 2 pi if ``full``).
    ``var`` has the input's shape, or one fewer trailing dim / a trailing 1 (shared variance);
    the clamp at ``eps`` passes the gradient through unchanged (as PyTorch)."""
    _check_reduction("gaussian_nll_loss", reduction)
    x, t = _t(input, "input", "gaussian_nll_loss"), _t(target, "target", "gaussian_nll_loss")
    x, t = promote_floats(x, t, "gaussian_nll_loss", complex_ok=False)
    if isinstance(var, (int, float, np.generic)):
        v = _wrap(np.asarray(var, dtype=x.dtype))  # a number: a variance in the input's dtype
    else:
        v = _t(var, "var", "gaussian_nll_loss")
        if v.dtype.kind != "f":
            v = promote_floats(v, x, "gaussian_nll_loss", complex_ok=False)[0]
    if v.ndim == 0 and x.ndim > 0:
        v = v.reshape((1,) * x.ndim)
    elif v.shape != x.shape:
        if x.ndim and tuple(x.shape[:-1]) == v.shape:
            v = v.unsqueeze(-1)
        elif not (x.ndim and v.ndim == x.ndim and tuple(x.shape[:-1]) == tuple(v.shape[:-1])
                  and v.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {v.shape} does not fit the input "
                             f"of shape {x.shape}")
    _check_variance(v)
    with no_grad():
        shift = ag.maximum(v, eps) - v
    v = v + shift   # clamp the value, keep the gradient
    d = x - t
    loss = 0.5 * (ag.log(v) + d * d / v)
    if full:
        loss = loss + _HALF_LOG_2PI
    return _reduce(loss, reduction)


# Every function above is what a user calls: its recorded ops carry an OpCall scope entry (viz
# and the stepper draw them as this one op) and its errors name it (``linear: ...``, not the
# inner ``add: ...``). See ``autograd_lite.scope.public_op``.
for _name in __all__:  # (with the step template written beside the function, if any)
    globals()[_name] = public_op(_name, getattr(globals()[_name], "explain", None))(
        globals()[_name])
del _name
