"""``ag.autograd``: PyTorch's ``torch.autograd`` names, so ``torch.autograd.grad(...)``,
``torch.autograd.Function`` and ``torch.autograd.gradcheck`` run with the import changed.

Everything here is the library's own object under PyTorch's name: `grad` and `backward` are
the engine's, `Function` is [`ag.Function`][autograd_lite.Function] (both the
``forward(ctx, ...)`` and the ``setup_context`` styles), `gradcheck` / `gradgradcheck` are
``ag.testing``'s, `functional` is ``ag.functional`` and ``forward_ad`` is ``ag.forward_ad``.
"""
from __future__ import annotations

import importlib
from typing import Any

from autograd_lite import functional
from autograd_lite.backward import backward, grad
from autograd_lite.function import Function, FunctionCtx
from autograd_lite.grad_mode import (
    _state,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    no_grad,
    set_grad_enabled,
)
from autograd_lite.testing import gradcheck, gradgradcheck

__all__ = ["grad", "backward", "Function", "FunctionCtx", "gradcheck", "gradgradcheck",
           "functional", "no_grad", "enable_grad", "set_grad_enabled", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled"]


def set_detect_anomaly(mode: bool) -> None:
    """``torch.autograd.set_detect_anomaly(mode)``: turn anomaly mode on or off from now on
    (``detect_anomaly()`` is the context-manager form)."""
    _state.anomaly = bool(mode)


def __getattr__(name: str) -> Any:  # forward_ad: imported when first used
    if name == "forward_ad":
        return importlib.import_module("autograd_lite.forward_ad")
    raise AttributeError(f"module 'autograd_lite.autograd' has no attribute {name!r}")
