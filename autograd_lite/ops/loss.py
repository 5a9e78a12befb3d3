"""Fused softmax cross-entropy against class indices (an nn kernel).

``nn.functional.cross_entropy`` with integer targets (no label smoothing) is the most common
loss; composed from ``log_softmax``, a one-hot product and reductions it records about eight
nodes. Fused, it is one node whose forward is the stable log-sum-exp form and whose VJP is
``g * w * (softmax(x) - onehot(t))``, written in the rule vocabulary so that it can be
differentiated again (``Softmax.in_rule``: the recorded op under ``create_graph``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.array_module import arange
from autograd_lite.explain import Explain, formula
from autograd_lite.ops.reduction import Softmax
from autograd_lite.primitive import Op, arr
from autograd_lite.tensor import Tensor

__all__ = ["softmax_cross_entropy"]


def _ce_fwd(x: np.ndarray, target: np.ndarray, weight: np.ndarray | None, cdim: int,
            reduction: str) -> np.ndarray:
    s = x - np.maximum.reduce(x, axis=cdim, keepdims=True)
    lse = np.log(np.add.reduce(np.exp(s), axis=cdim, keepdims=True))
    if x.ndim == 2:  # (N, C): plain fancy indexing is the fast path
        loss = lse[:, 0] - s[arange(x.shape[0], x), target]
    else:
        picked = np.take_along_axis(s - lse, np.expand_dims(target, cdim), axis=cdim)
        loss = -np.squeeze(picked, cdim)
    if weight is not None:
        loss *= weight
    if reduction == "none":
        return loss
    total = np.add.reduce(loss, axis=None)
    if reduction == "sum":
        return total
    return total / _total_weight(weight, loss)  # NOTE: 0/0 = nan if all are ignored


def _total_weight(weight: np.ndarray | None, per_sample: Any) -> Any:
    return per_sample.size if weight is None else np.add.reduce(weight, axis=None)


def _ce_vjp(g: Any, out: Any, x: Any, target: np.ndarray, weight: np.ndarray | None,
            cdim: int, reduction: str) -> Any:
    if reduction == "mean":
        g = g * (1.0 / _total_weight(weight, target))
    shape = list(x.shape)
    shape[cdim] = 1
    if reduction == "none":  # g has the per-sample shape: put the class axis back
        g = g.reshape(shape)
    c = x.shape[cdim]
    classes = arange(c, target).reshape((c,) + (1,) * (x.ndim - cdim - 1))
    d = Softmax.in_rule(x, axis=cdim) - (target.reshape(shape) == classes)
    if weight is not None:
        d = d * weight.reshape(shape).astype(arr(x).dtype, copy=False)
    return d * g


def _ce_jvp(t: Any, out: Any, x: Any, target: np.ndarray, weight: np.ndarray | None,
            cdim: int, reduction: str) -> Any:
    # forward mode: d loss_i = sum_c (softmax(x) - onehot(t))_ic dx_ic (weighted, reduced)
    shape = list(x.shape)
    shape[cdim] = 1
    c = x.shape[cdim]
    classes = arange(c, target).reshape((c,) + (1,) * (x.ndim - cdim - 1))
    d = Softmax.in_rule(x, axis=cdim) - (target.reshape(shape) == classes)
    per = (d * t).sum(cdim)
    if weight is not None:
        per = per * weight.astype(arr(x).dtype, copy=False)
    if reduction == "none":
        return per
    total = per.sum()
    return total if reduction == "sum" else total * (1.0 / _total_weight(weight, target))


SoftmaxCrossEntropy = Op("SoftmaxCrossEntropy", _ce_fwd, _ce_vjp, jvp=(_ce_jvp,),
                         explain=Explain(formula("{g} * (softmax({x}) - onehot({target})) "
                                                 "(divided by N for reduction='mean')")))


def softmax_cross_entropy(x: Tensor, target: np.ndarray, weight: np.ndarray | None,
                          cdim: int, reduction: str) -> Tensor:
    """Cross-entropy of logits ``x`` (class axis ``cdim``) against valid int64 class indices
    ``target`` (shape of ``x`` without ``cdim``), each sample weighted by ``weight`` (same
    shape; 0 drops a sample; None: all 1). ``reduction``: "none" (per sample), "sum", or
    "mean" (the weighted mean: divided by the sum of the weights, as PyTorch). Validation is
    the caller's.
    """
    return SoftmaxCrossEntropy.apply((x,), {"target": target, "weight": weight, "cdim": cdim,
                                            "reduction": reduction})
