"""RMSprop: divide by a running root-mean-square of the gradients."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from autograd_lite.grad_mode import no_grad
from autograd_lite.optim.optimizer import Optimizer, _check_nonneg

__all__ = ["RMSprop"]


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)``, evaluated as PyTorch's ``lerp`` does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's update rule exactly.

    For each parameter ``p`` with gradient ``g``::

        g = -g                                       if maximize
        g = g + weight_decay * p                     if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g          (v starts at 0)
        if centered:
            m = m + (1 - alpha) * (g - m)            (running mean of g, starts at 0)
            avg = sqrt(v - m * m) + eps
        else:
            avg = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / avg               (b starts at 0)
            p = p - lr * b
        else:
            p = p - lr * g / avg

    The lectures' RMSProp (``n = gamma n + (1 - gamma) g^2``) is ``alpha = gamma``; PyTorch,
    like Hinton's original, divides by the square root of ``n``.

    Args:
        lr (1e-2), alpha (0.99), eps (1e-8), weight_decay (0), momentum (0),
        centered (False), maximize (False).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        self._check_hparams(defaults)
        super().__init__(params, defaults)

    def _check_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The constructor's value checks (also run by ``load_state_dict``)."""
        _check_nonneg(hparams, "lr", "learning rate")
        super()._check_hparams(hparams)
        _check_nonneg(hparams, "eps", "epsilon value")
        for key in ("momentum", "weight_decay", "alpha"):
            _check_nonneg(hparams, key)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every parameter with a gradient; returns the closure's loss."""
        loss = self._call_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
                wd, momentum = group["weight_decay"], group["momentum"]
                for p in self._params_with_grad(group):
                    g = p.grad.data
                    if group["maximize"]:
                        g = -g
                    if wd != 0:
                        g = g + wd * p.data
                    state = self.state.setdefault(p, {})
                    if not state:
                        state["step"] = 0
                        state["square_avg"] = np.zeros_like(p.data)
                        if momentum > 0:
                            state["momentum_buffer"] = np.zeros_like(p.data)
                        if group["centered"]:
                            state["grad_avg"] = np.zeros_like(p.data)
                    state["step"] += 1
                    v = state["square_avg"] * alpha + (1 - alpha) * (g * g)
                    state["square_avg"] = v
                    if group["centered"]:
                        m = _lerp(state.get("grad_avg", np.zeros_like(p.data)), g, 1 - alpha)
                        state["grad_avg"] = m
                        avg = np.sqrt(v - m * m) + eps
                    else:
                        avg = np.sqrt(v) + eps
                    if momentum > 0:
                        buf = state.get("momentum_buffer", np.zeros_like(p.data))
                        buf = buf * momentum + g / avg
                        state["momentum_buffer"] = buf
                        p.copy_(p.data - lr * buf)
                    else:
                        p.copy_(p.data - lr * (g / avg))
        return loss
