"""Gradient clipping and parameter/vector conversion (PyTorch's ``torch.nn.utils``)."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

import autograd_lite as ag
from autograd_lite.grad_mode import no_grad
from autograd_lite.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _params(parameters: Any) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _rescale(grads: list, fn: Any) -> None:
    """Apply ``fn`` to each distinct gradient once, writing a fresh array into the same
    gradient Tensor (so gradients that share memory are never changed twice)."""
    seen = set()
    for g in grads:
        if id(g) not in seen:
            seen.add(id(g))
            with no_grad():
                g.set_(fn(g.data))  # in place, version + 1


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: Any = None) -> Tensor:
    """Scale all gradients together so their joint ``norm_type``-norm (``inf`` for the max
    abs) is at most ``max_norm``; returns the total norm before clipping (a 0-d Tensor).
    Gradients are multiplied by min(1, max_norm / (total + 1e-6)), as PyTorch."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return ag.tensor(0.0)
    if norm_type == math.inf:
        norms = [float(np.max(np.abs(g.data))) if g.data.size else 0.0 for g in grads]
        total = float(np.max(norms))
    else:
        total = float(np.sum([float(np.sum(np.abs(g.data.astype(np.float64)) ** norm_type))
                              for g in grads]) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped. Set "
                           "error_if_nonfinite=False to disable this check.")
    coef = min(1.0, max_norm / (total + 1e-6))
    if coef < 1.0:
        _rescale(grads, lambda a: a * a.dtype.type(coef))  # (a scalar: any array module)
    return ag.tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float,
                     foreach: Any = None) -> None:
    """Clamp every gradient elementwise to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    _rescale([p.grad for p in _params(parameters) if p.grad is not None],
             lambda a: np.clip(a, -clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One flat Tensor concatenating the parameters (differentiable)."""
    ps = _params(parameters)
    if not ps:
        raise ValueError("parameters_to_vector: no parameters given")
    return ag.cat([p.reshape(-1) for p in ps])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the flat ``vec`` into the parameters (in place)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    ps = _params(parameters)
    total = sum(p.size for p in ps)
    if vec.ndim != 1 or vec.size != total:
        raise ValueError(f"vector_to_parameters: vec of shape {vec.shape} does not hold the "
                         f"{total} parameter values")
    i = 0
    with no_grad():
        for p in ps:
            p.copy_(vec.data[i:i + p.size].reshape(p.shape))
            i += p.size
