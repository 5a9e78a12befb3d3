"""MultiheadAttention (PyTorch's layout and semantics), built from linear maps, matmul and
softmax (``F.scaled_dot_product_attention`` is the functional core)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite.nn import functional as F
from autograd_lite.nn import init
from autograd_lite.nn.linear import Linear, _empty
from autograd_lite.nn.module import Module
from autograd_lite.tensor import Tensor

__all__ = ["MultiheadAttention"]


def _float_mask(mask: Any, dtype: Any, name: str) -> np.ndarray:
    """PyTorch's MultiheadAttention masks: bool True = NOT attended (-inf), floats added."""
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.dtype.kind == "b":
        return np.where(m, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {name} must be a bool or float mask, got dtype "
                        f"{m.dtype}")
    return m.astype(dtype)


class MultiheadAttention(Module):
    """Multi-head attention as ``torch.nn.MultiheadAttention``:
    ``out_proj(concat_h softmax(q_h k_h^T / sqrt(D) + mask) v_h)`` with
    ``[q, k, v] = x W^T + b`` from one packed ``in_proj_weight`` (3E, E) and ``in_proj_bias``
    (3E,) (rows: the query, key and value maps), ``D = E / num_heads``, and ``out_proj`` a
    `Linear` (E, E). Inputs (L, N, E) (``batch_first=True``: (N, L, E); unbatched (L, E)).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``:
    the weights (N, L, S) averaged over heads (or (N, H, L, S)), ``None`` when
    ``need_weights=False``. Masks: bool ``True`` = may NOT attend (PyTorch's convention here,
    the opposite of ``scaled_dot_product_attention``), float masks are added to the scores;
    ``attn_mask`` (L, S) or (N * H, L, S), ``key_padding_mask`` (N, S); a query masked from
    every key gives NaN weights, and output 0 with ``need_weights=False`` (as PyTorch, whose
    fused path that is). ``is_causal`` is a hint (``attn_mask`` must then be given and
    causal). Dropout on the weights in training. Init as PyTorch: xavier_uniform
    in_proj_weight, zero biases. No ``kdim``/``vdim``, ``add_bias_kv``, ``add_zero_attn``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Any = None,
                 vdim: Any = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        op = "MultiheadAttention"
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) \
                or (vdim not in (None, embed_dim)):
            raise NotImplementedError(f"{op}: add_bias_kv, add_zero_attn and kdim/vdim other "
                                      f"than embed_dim are not implemented")
        if not (isinstance(embed_dim, int) and isinstance(num_heads, int)) or embed_dim <= 0 \
                or num_heads <= 0:
            raise ValueError(f"{op}: embed_dim and num_heads must be positive ints, got "
                             f"{embed_dim!r} and {num_heads!r}")
        if embed_dim % num_heads:
            raise ValueError(f"{op}: embed_dim {embed_dim} must be divisible by num_heads "
                             f"{num_heads}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{op}: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = _empty((3 * embed_dim, embed_dim), dtype, device)
        if bias:
            self.in_proj_bias = _empty((3 * embed_dim,), dtype, device)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> tuple:
        op = "MultiheadAttention"
        q, k, v = (ag.as_tensor(t) if not isinstance(t, Tensor) else t
                   for t in (query, key, value))
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(getattr(key_padding_mask, "data",
                                                      key_padding_mask))[None]
        elif self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        if q.ndim != 3 or k.ndim != 3 or v.ndim != 3:
            raise ValueError(f"{op}: expected query, key and value of 3 dims (or 2, unbatched), "
                             f"got {query.shape}, {key.shape} and {value.shape}")
        (lq, n, e), s = q.shape, k.shape[0]
        if e != self.embed_dim or k.shape[2] != e or v.shape[2] != e:
            raise ValueError(f"{op}: expected embedding size {self.embed_dim}, got query "
                             f"{query.shape}, key {key.shape} and value {value.shape}")
        if k.shape[:2] != v.shape[:2] or k.shape[1] != n:
            raise ValueError(f"{op}: key {key.shape} and value {value.shape} must have the same "
                             f"length and batch as each other and the query {query.shape}")
        if is_causal and attn_mask is None:
            raise ValueError(f"{op}: is_causal is a hint: give the causal attn_mask too")
        h, d = self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        qh = F.linear(q, w[:e], bq).reshape(lq, n * h, d).transpose(0, 1)  # (N H, L, D)
        kh = F.linear(k, w[e:2 * e], bk).reshape(s, n * h, d).transpose(0, 1)
        vh = F.linear(v, w[2 * e:], bv).reshape(s, n * h, d).transpose(0, 1)
        mask = None
        if attn_mask is not None:
            mask = _float_mask(attn_mask, qh.dtype, "attn_mask")
            if mask.shape not in ((lq, s), (n * h, lq, s)):
                raise ValueError(f"{op}: attn_mask must have shape {(lq, s)} or "
                                 f"{(n * h, lq, s)}, got {mask.shape}")
        if key_padding_mask is not None:
            kp = _float_mask(key_padding_mask, qh.dtype, "key_padding_mask")
            if kp.shape != (n, s):
                raise ValueError(f"{op}: key_padding_mask must have shape {(n, s)}, got "
                                 f"{kp.shape}")
            kp = np.broadcast_to(kp[:, None, None, :], (n, h, 1, s)).reshape(n * h, 1, s)
            mask = kp if mask is None else mask + kp
        scores = ag.matmul(qh * (1.0 / math.sqrt(d)), kh.transpose(-2, -1))  # (N H, L, S)
        dead = None
        if mask is not None:
            scores = scores + ag.as_tensor(mask)
            # without weights PyTorch takes its fused path, where a query masked from every
            # key gets output 0 (with weights, its softmax gives NaN, as here)
            dead = np.all(np.isneginf(mask), axis=-1, keepdims=True)
            if need_weights or not dead.any():
                dead = None
            else:
                scores = ag.where(dead, 0.0, scores)
        weights = ag.softmax(scores, axis=-1)
        if dead is not None:
            weights = ag.where(dead, 0.0, weights)
        if self.dropout > 0.0 and self.training:
            weights = F.dropout(weights, self.dropout, training=True)
        out = ag.matmul(weights, vh).transpose(0, 1).reshape(lq, n, e)
        out = self.out_proj(out)
        if unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(n, h, lq, s)
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights.squeeze(0) if unbatched else weights)

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
