"""AdaGrad: per-coordinate step sizes from the running sum of squared gradients."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from autograd_lite.grad_mode import no_grad
from autograd_lite.optim.optimizer import Optimizer, _check_nonneg

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""AdaGrad, PyTorch's update rule exactly.

    For each parameter ``p`` with gradient ``g`` at its ``t``-th step (``t = 1, 2, ...``)::

        g = -g                                   if maximize
        g = g + weight_decay * p                 if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                            (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    The lectures' AdaGrad divides by ``n_g + 1e-8`` where ``n_g`` is the sum of squares; the
    standard algorithm (and PyTorch) divides by its square root, as here.

    Args:
        lr (1e-2), lr_decay (0), weight_decay (0), initial_accumulator_value (0),
        eps (1e-10), maximize (False).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        self._check_hparams(defaults)
        super().__init__(params, defaults)

    def _check_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The constructor's value checks (also run by ``load_state_dict``)."""
        _check_nonneg(hparams, "lr", "learning rate")
        super()._check_hparams(hparams)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value"):
            _check_nonneg(hparams, key)
        _check_nonneg(hparams, "eps", "epsilon value")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        # PyTorch creates the accumulator eagerly, so a state dict taken before the first
        # step already holds it.
        super().add_param_group(param_group)
        self._init_group_state(self.param_groups[-1])

    def _init_group_state(self, group: dict[str, Any]) -> None:
        for p in group["params"]:
            if p not in self.state:
                self.state[p] = {"step": 0, "sum": np.full_like(
                    p.data, group["initial_accumulator_value"])}

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One AdaGrad update of every parameter with a gradient; returns the closure's loss."""
        loss = self._call_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
                for p in self._params_with_grad(group):
                    if p not in self.state:  # added to the group after construction
                        self._init_group_state(group)
                    state = self.state[p]
                    g = p.grad.data
                    if group["maximize"]:
                        g = -g
                    if wd != 0:
                        g = g + wd * p.data
                    state["step"] += 1
                    clr = lr / (1 + (state["step"] - 1) * group["lr_decay"])
                    s = state["sum"]
                    s += g * g
                    p.copy_(p.data - clr * (g / (np.sqrt(s) + eps)))
        return loss
