"""Newton's method with the exact Hessian from double backward (and its diagonal variant)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from autograd_lite.backward import grad as _grad
from autograd_lite.grad_mode import enable_grad, no_grad
from autograd_lite.optim.optimizer import Optimizer, _check_nonneg, _InvalidHyperParameter
from autograd_lite.tensor import Tensor

__all__ = ["Newton"]


class Newton(Optimizer):
    r"""Newton's method: ``p <- p - lr * (H + damping I)^{-1} g`` over all parameters jointly.

    ``step(closure)`` calls ``closure()`` (which must recompute and *return* the loss, a
    one-element Tensor, without calling ``backward`` itself), then builds the gradient ``g``
    and the dense, exact Hessian ``H`` of the loss with respect to all parameters (flattened
    and concatenated in group order) by double backward: one ``ag.grad(..., create_graph=True)``
    for ``g`` and one more backward per entry of ``g`` for the rows of ``H``. It solves
    ``(H + damping I) d = g`` and sets ``p <- p - lr * d``. On a quadratic with positive
    definite Hessian, ``lr=1`` reaches the minimiser in one step.

    ``diagonal=True`` is the lectures' diagonal preconditioning: ``d = g / (diag(H) + damping)``
    (the same double backward, keeping only the diagonal).

    **Indefinite Hessians.** Newton's step is a descent direction only when ``H + damping I`` is
    positive definite; at a saddle (``x^2 - y^2``) or a maximum it would step toward the
    critical point, uphill in some direction. This optimizer never takes such a step: if
    ``H + damping I`` is not positive definite (Cholesky fails; or, with ``diagonal=True``,
    some ``diag(H) + damping <= 0``) ``step`` raises ``RuntimeError`` naming the smallest
    eigenvalue (diagonal entry) and the damping that would fix it, and leaves the parameters
    unchanged. Choose ``damping`` larger than ``-lambda_min(H)`` (Levenberg-Marquardt style) to
    step anyway.

    **Size limit.** The dense Hessian has ``n^2`` entries and costs ``n`` backward passes for
    ``n`` parameters; more than ``max_params`` parameters raise ``ValueError`` (pass a larger
    ``max_params`` if you have the time and memory).

    Args:
        params: Tensors (a single parameter group; per-group options are not supported,
            as for PyTorch's LBFGS).
        lr: step length multiplier (1.0 is the pure Newton step).
        damping: lambda >= 0 added to the Hessian's diagonal.
        max_params: largest total number of parameters accepted.
        diagonal: use only the Hessian's diagonal.

    ``state[p]["step"]`` counts steps; after each step ``self.last_hessian`` holds the
    (undamped, symmetrised) Hessian as an ndarray (its diagonal, if ``diagonal=True``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, damping: float = 0.0,
                 max_params: int = 10_000, diagonal: bool = False) -> None:
        defaults = dict(lr=lr, damping=damping, max_params=max_params,
                        diagonal=bool(diagonal))
        self._check_hparams(defaults)
        defaults["max_params"] = int(max_params)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("Newton doesn't support per-parameter options (parameter groups): "
                             "the Hessian couples all parameters; pass one list of Tensors")
        self.last_hessian: np.ndarray | None = None

    def _check_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The constructor's value checks (also run by ``load_state_dict``)."""
        _check_nonneg(hparams, "lr", "learning rate")
        super()._check_hparams(hparams)
        _check_nonneg(hparams, "damping")
        if "max_params" in hparams and hparams["max_params"] < 1:
            raise _InvalidHyperParameter(
                "max_params", f"Invalid max_params value: {hparams['max_params']}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if getattr(self, "param_groups", None):
            raise ValueError("Newton doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """One Newton step; ``closure`` recomputes and returns the loss (required)."""
        if closure is None:
            raise RuntimeError("Newton.step requires a closure that recomputes and returns the "
                               "loss, e.g. optimizer.step(lambda: criterion(model(x), y))")
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.requires_grad]
        n = sum(p.size for p in params)
        if n > group["max_params"]:
            raise ValueError(f"Newton: the parameters have {n:,} entries in total, above "
                             f"max_params={group['max_params']:,}; the dense Hessian would have "
                             f"{n * n:,} entries and need {n:,} backward passes. Pass a larger "
                             "max_params= if you have the time and memory, or use a first-order "
                             "optimizer")
        with enable_grad():
            loss = closure()
            if not isinstance(loss, Tensor) or loss.size != 1:
                raise ValueError("Newton: the closure must return the loss as a one-element "
                                 f"Tensor, got {getattr(loss, 'shape', type(loss).__name__)}")
            if not loss.requires_grad:
                raise RuntimeError("Newton: the loss returned by the closure does not require "
                                   "grad (was it computed under no_grad, or from parameters "
                                   "without requires_grad=True?)")
            try:
                gs = _grad(loss, params, create_graph=True, allow_unused=True)
            except RuntimeError as e:
                raise RuntimeError(f"Newton: could not differentiate the closure's loss ({e}). "
                                   "The closure must return the loss without calling "
                                   "backward() on it") from e
            H, g = self._hessian(gs, params, n, group["diagonal"])
        H = 0.5 * (H + H.T) if H.ndim == 2 else H
        self.last_hessian = H
        direction = self._solve(H, g, group["damping"], group["diagonal"])
        with no_grad():
            offset = 0
            for p in params:
                d = direction[offset:offset + p.size].reshape(p.shape)
                offset += p.size
                p.copy_(p.data - group["lr"] * d)
                state = self.state.setdefault(p, {})
                state["step"] = state.get("step", 0) + 1
        return loss

    @staticmethod
    def _hessian(gs: tuple, params: list, n: int, diagonal: bool) -> tuple:
        dtype = np.result_type(*[p.dtype for p in params])
        g = np.concatenate([np.zeros(p.size, dtype) if gi is None else
                            gi.data.reshape(-1).astype(dtype)
                            for gi, p in zip(gs, params, strict=True)])
        H = np.zeros(n if diagonal else (n, n), dtype=dtype)
        offsets = np.cumsum([0] + [p.size for p in params])
        for j, (gj, pj) in enumerate(zip(gs, params, strict=False)):
            if gj is None or not gj.requires_grad:
                continue  # the gradient does not depend on the parameters: zero rows
            for k in range(pj.size):
                e = np.zeros(pj.size, dtype=gj.dtype)
                e[k] = 1
                row = _grad(gj, params, grad_outputs=Tensor(e.reshape(gj.shape)),
                            retain_graph=True, allow_unused=True)
                r = offsets[j] + k
                if diagonal:
                    if row[j] is not None:
                        H[r] = row[j].data.reshape(-1)[k]
                    continue
                for i, (hi, _pi) in enumerate(zip(row, params, strict=False)):
                    if hi is not None:
                        H[r, offsets[i]:offsets[i + 1]] = hi.data.reshape(-1)
        return H, g

    @staticmethod
    def _solve(H: np.ndarray, g: np.ndarray, damping: float, diagonal: bool) -> np.ndarray:
        if diagonal:
            dh = H + damping
            if dh.size and not np.all(dh > 0):
                i = int(np.argmin(dh))
                raise RuntimeError(
                    f"Newton(diagonal=True): the Hessian's diagonal (+ damping={damping}) is not "
                    f"positive (entry {i} is {dh[i]:.6g}); dividing by it would not give a "
                    f"descent step. Use damping > {-H[i]:.6g} or a first-order optimizer")
            return g / dh
        A = H + damping * np.eye(H.shape[0], dtype=H.dtype)
        try:
            L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            lam = float(np.linalg.eigvalsh(H).min())
            raise RuntimeError(
                f"Newton: the Hessian + damping*I is not positive definite (smallest eigenvalue "
                f"of the Hessian {lam:.6g}, damping={damping}): the loss is not locally convex "
                f"here (a saddle point or a maximum) and a Newton step would not be a descent "
                f"direction. Use damping > {-lam:.6g} or a first-order optimizer") from None
        y = np.linalg.solve(L, g)
        return np.linalg.solve(L.T, y)
