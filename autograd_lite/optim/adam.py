"""Adam (with AMSGrad) and AdamW (decoupled weight decay)."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from autograd_lite.grad_mode import no_grad
from autograd_lite.optim.optimizer import Optimizer, _check_nonneg, _InvalidHyperParameter
from autograd_lite.optim.rmsprop import _lerp

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's update rule exactly, with optional AMSGrad.

    For each parameter ``p`` with gradient ``g`` at its ``t``-th step (``t = 1, 2, ...``)::

        g = -g                                    if maximize
        g = g + weight_decay * p                  if weight_decay != 0  (L2, coupled)
        m = beta1 * m + (1 - beta1) * g           (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                     if amsgrad (v_max starts at 0)
        denom = sqrt(v_max or v) / sqrt(1 - beta2**t) + eps
        p = p - (lr / (1 - beta1**t)) * m / denom

    which is the lecture's ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with the bias-corrected
    moments ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``. With
    ``amsgrad=True`` the running maximum of ``v`` is used (Reddi, Kale & Kumar, "On the
    convergence of Adam and beyond", 2018), bias-corrected as PyTorch does.

    Args:
        lr (1e-3), betas ((0.9, 0.999)), eps (1e-8), weight_decay (0), amsgrad (False),
        maximize (False).
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        betas = tuple(float(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        self._check_hparams(defaults)
        super().__init__(params, defaults)

    def _check_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The constructor's value checks (also run by ``load_state_dict``)."""
        _check_nonneg(hparams, "lr", "learning rate")
        super()._check_hparams(hparams)
        _check_nonneg(hparams, "eps", "epsilon value")
        if "betas" in hparams:
            betas = tuple(hparams["betas"])
            if len(betas) != 2:
                raise _InvalidHyperParameter(
                    "betas", f"Invalid betas: expected two values, got {betas}")
            for i, b in enumerate(betas):
                if not 0.0 <= b < 1.0:
                    raise _InvalidHyperParameter(
                        "betas", f"Invalid beta parameter at index {i}: {b}")
        _check_nonneg(hparams, "weight_decay")

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        group["betas"] = tuple(group["betas"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter with a gradient; returns the closure's loss."""
        loss = self._call_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
                beta1, beta2 = group["betas"]
                for p in self._params_with_grad(group):
                    g = p.grad.data
                    if group["maximize"]:
                        g = -g
                    x = p.data
                    if self._decoupled:
                        x = x * (1 - lr * wd)  # AdamW: decay the weights, not the gradient
                    elif wd != 0:
                        g = g + wd * x
                    state = self.state.setdefault(p, {})
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = np.zeros_like(p.data)
                        state["exp_avg_sq"] = np.zeros_like(p.data)
                        if group["amsgrad"]:
                            state["max_exp_avg_sq"] = np.zeros_like(p.data)
                    state["step"] += 1
                    t = state["step"]
                    m = _lerp(state["exp_avg"], g, 1 - beta1)
                    v = state["exp_avg_sq"] * beta2 + (1 - beta2) * (g * g)
                    state["exp_avg"], state["exp_avg_sq"] = m, v
                    bias_correction1 = 1 - beta1 ** t
                    bias_correction2_sqrt = math.sqrt(1 - beta2 ** t)
                    step_size = lr / bias_correction1
                    if group["amsgrad"]:
                        vmax = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(v)), v)
                        state["max_exp_avg_sq"] = vmax
                        denom = np.sqrt(vmax) / bias_correction2_sqrt + eps
                    else:
                        denom = np.sqrt(v) / bias_correction2_sqrt + eps
                    p.copy_(x - step_size * (m / denom))
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's rule exactly.

    Each step first shrinks the weights, ``p = p * (1 - lr * weight_decay)``, then applies
    the Adam update of [`Adam`][autograd_lite.optim.Adam] with the raw gradient (no L2 term added to
    ``g``).

    Args:
        lr (1e-3), betas ((0.9, 0.999)), eps (1e-8), weight_decay (1e-2), amsgrad (False),
        maximize (False).
    """

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
