"""Learning-rate schedules, PyTorch's ``torch.optim.lr_scheduler`` conventions.

A scheduler changes ``group["lr"]`` of every parameter group of its optimizer. Call
``scheduler.step()`` once per epoch (after ``optimizer.step()``); ``last_epoch`` counts the
calls (it is 0 right after construction, which already set the epoch-0 learning rate) and
``get_last_lr()`` returns the learning rates it set last. The first construction records
``group["initial_lr"]`` (the ``base_lrs``). ``state_dict()``/``load_state_dict()`` save and
restore everything but the optimizer (and, for ``LambdaLR``, the functions).

Besides PyTorch's ``StepLR MultiStepLR ExponentialLR LambdaLR CosineAnnealingLR
ReduceLROnPlateau`` this module has the lectures' schedules:

- ``PowerDecayLR(optimizer, alpha)``: ``eta_t = eta * t**alpha`` with ``t = last_epoch + 1``
  counted from 1 (``alpha = -1`` or ``-0.5`` in the lectures);
- ``EpochDoublingLR(optimizer, K)``: ``K`` epochs at ``eta``, then ``2K`` at ``eta/2``, ``4K`` at
  ``eta/4``, ... (the epoch doubling strategy).
"""
from __future__ import annotations

import copy
import math
from collections import Counter
from typing import Any, Callable

import numpy as np

from autograd_lite.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR",
           "CosineAnnealingLR", "ReduceLROnPlateau", "PowerDecayLR", "EpochDoublingLR"]


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the new lr of each group).

    Args:
        optimizer: any [`Optimizer`][autograd_lite.optim.Optimizer].
        last_epoch: index of the last epoch when resuming (-1 to start afresh; otherwise
            every group must already have ``"initial_lr"``).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming an optimizer (last_epoch != -1)")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group for epoch ``self.last_epoch``."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``) and write the new lrs into the groups."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = int(epoch)
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=False):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (numbers, lists, tuples)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by
        [`state_dict`][autograd_lite.optim.lr_scheduler.LRScheduler.state_dict]."""
        for k, v in state_dict.items():
            self.__dict__[k] = _restore(v, self.__dict__.get(k))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


def _restore(v: Any, current: Any) -> Any:
    """Undo what a file format may have done to a saved value (0-d arrays, arrays for lists)."""
    if isinstance(v, np.ndarray):
        v = v.item() if v.ndim == 0 else v.tolist()
    elif isinstance(v, np.generic):
        v = v.item()
    if isinstance(current, Counter) and not isinstance(v, Counter):
        v = Counter({int(k): int(c) for k, c in dict(v).items()})
    elif isinstance(current, tuple) and isinstance(v, list):
        v = tuple(v)
    return copy.deepcopy(v)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: ``lr = base * gamma**(e // s)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = int(step_size)
        self.gamma = gamma
        if self.step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch listed in ``milestones``."""

    def __init__(self, optimizer: Optimizer, milestones: Any, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return [g["lr"] for g in self.optimizer.param_groups]
        k = self.milestones[self.last_epoch]
        return [g["lr"] * self.gamma ** k for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        passed = sum(c for m, c in self.milestones.items() if m <= self.last_epoch)
        return [b * self.gamma ** passed for b in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["milestones"] = dict(sd["milestones"])  # a plain dict of ints, file-friendly
        return sd


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = base * gamma**e`` (eta alpha^t)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [b * self.gamma ** self.last_epoch for b in self.base_lrs]


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``; ``lr_lambda`` is a function or one per group.

    The functions are not part of the state dict (build the scheduler with the same
    functions before loading it).
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [b * f(self.last_epoch)
                for f, b in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "lr_lambdas"})


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from ``base_lr`` to ``eta_min`` over ``T_max`` epochs (SGDR without
    restarts), with PyTorch's recursive formula::

        lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi e / T)) / (1 + cos(pi (e-1) / T))

    which equals ``eta_min + (base - eta_min) (1 + cos(pi e / T)) / 2`` for ``e <= T``; past
    ``T_max`` the lr keeps following the cosine, rising back to ``base_lr`` at ``e = 2T``
    (at the epochs where the recursive ratio is 0/0, ``(e - 1 - T) % 2T == 0``, PyTorch's
    additive rule is used).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, T = self.last_epoch, self.T_max
        if e == 0:
            return [g["lr"] for g in groups]
        if self._step_count == 1 and e > 0:
            return [self.eta_min + (b - self.eta_min) * (1 + math.cos(e * math.pi / T)) / 2
                    for b in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (b - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for b, g in zip(self.base_lrs, groups, strict=False)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (g["lr"] - self.eta_min) + self.eta_min for g in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (b - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for b in self.base_lrs]


class PowerDecayLR(LRScheduler):
    """The lectures' ``eta_t = eta * t**alpha``: after ``k`` calls of ``step()``,
    ``lr = base_lr * (k + 1)**alpha`` (``alpha = -1`` or ``-0.5`` typically)."""

    def __init__(self, optimizer: Optimizer, alpha: float, last_epoch: int = -1) -> None:
        self.alpha = alpha
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [b * float(self.last_epoch + 1) ** self.alpha for b in self.base_lrs]


class EpochDoublingLR(LRScheduler):
    """The lectures' epoch doubling strategy: epochs ``[0, K)`` at ``base_lr``, ``[K, 3K)`` at
    ``base_lr / 2``, ``[3K, 7K)`` at ``base_lr / 4``, ...: stage ``j`` (``2**j * K`` epochs,
    starting at epoch ``(2**j - 1) K``) runs at ``base_lr / 2**j``."""

    def __init__(self, optimizer: Optimizer, K: int, last_epoch: int = -1) -> None:
        if int(K) != K or K < 1:
            raise ValueError(f"EpochDoublingLR: K must be a positive int, got {K}")
        self.K = int(K)
        super().__init__(optimizer, last_epoch)

    def stage(self, epoch: int) -> int:
        """Index ``j`` of the stage that ``epoch`` belongs to."""
        j = 0
        while epoch >= (2 ** (j + 1) - 1) * self.K:
            j += 1
        return j

    def get_lr(self) -> list[float]:
        j = self.stage(max(self.last_epoch, 0))
        return [b / 2 ** j for b in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Reduce the lr by ``factor`` when a metric has stopped improving, as PyTorch's.

    ``step(metrics)`` after each epoch's validation. In ``"min"`` mode (``"max"``: mirrored)
    the metric improves when it is below ``best * (1 - threshold)`` (``threshold_mode="rel"``)
    or ``best - threshold`` (``"abs"``). After more than ``patience`` epochs without
    improvement each group's lr becomes ``max(lr * factor, min_lr)`` (only if that changes it
    by more than ``eps``) and ``cooldown`` epochs follow in which bad epochs are not counted.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list = 0.0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.factor = factor
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown!")
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._step_count = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or one-element Tensor) and maybe reduce."""
        current = float(metrics)
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` under the mode and threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def get_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
