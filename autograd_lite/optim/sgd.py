"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from autograd_lite.grad_mode import no_grad
from autograd_lite.optim.optimizer import Optimizer, _InvalidHyperParameter

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's update rule exactly.

    For each parameter ``p`` with gradient ``g`` (``t`` counts this parameter's steps)::

        g = -g                               if maximize
        g = g + weight_decay * p             if weight_decay != 0
        if momentum != 0:
            b = g                            at t = 1
            b = momentum * b + (1 - dampening) * g   for t > 1
            g = g + momentum * b             if nesterov
            g = b                            otherwise
        p = p - lr * g

    **The lectures' momentum.** The lectures write momentum as an exponential moving average
    ``v_{k+1} = beta v_k + (1 - beta) g_k`` with ``v_0 = g_0`` and ``theta -= lr v``: that is
    exactly ``SGD(params, lr, momentum=beta, dampening=beta)`` (PyTorch's buffer starts at
    the first gradient, as the lecture's ``v_0``). The default ``dampening=0`` gives the
    "heavy ball" ``b = momentum b + g``, whose steps are ``1 / (1 - momentum)`` times larger
    for a constant gradient. ``nesterov=True`` (needs ``momentum > 0`` and ``dampening=0``)
    is PyTorch's (Sutskever et al.) form of Nesterov's accelerated gradient.

    Args:
        params: Tensors or parameter groups (dicts).
        lr: learning rate (default 1e-3, as PyTorch since 2.2).
        momentum, dampening, weight_decay: non-negative floats.
        nesterov: use Nesterov momentum.
        maximize: ascend instead of descend.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        self._check_hparams(defaults)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _check_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The constructor's value checks (also run by ``load_state_dict``)."""
        super()._check_hparams(hparams)
        for key in ("momentum", "weight_decay"):
            if key in hparams and hparams[key] < 0.0:
                raise _InvalidHyperParameter(key, f"Invalid {key} value: {hparams[key]}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD update of every parameter with a gradient; returns ``closure()``'s loss."""
        loss = self._call_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, momentum = group["lr"], group["momentum"]
                dampening, wd = group["dampening"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    g = p.grad.data
                    if group["maximize"]:
                        g = -g
                    if wd != 0:
                        g = g + wd * p.data
                    if momentum != 0:
                        state = self.state.setdefault(p, {})
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = g.astype(p.dtype, copy=True)  # (any array module)
                            state["momentum_buffer"] = buf
                        else:
                            buf *= momentum
                            buf += (1 - dampening) * g
                        g = g + momentum * buf if group["nesterov"] else buf
                    p.copy_(p.data - lr * g)
        return loss
