"""Bridges out: models to and from PyTorch, and the forward graph to ONNX.

[`to_torch`][autograd_lite.interop.to_torch] builds the equivalent ``torch.nn.Module`` of an
``autograd_lite.nn`` model, with every parameter and buffer copied (same names, shapes and
dtypes, same train/eval flags), and [`from_torch`][autograd_lite.interop.from_torch] does the
reverse; [`state_dict_to_torch`][autograd_lite.interop.state_dict_to_torch] and
[`state_dict_from_torch`][autograd_lite.interop.state_dict_from_torch] convert state dicts,
whose keys and layouts are the same on both sides (``Linear.weight`` is (out, in),
``Conv2d.weight`` (C_out, C_in, kh, kw), BatchNorm keeps ``running_mean``, ``running_var``
and ``num_batches_tracked`` and updates them with the same momentum convention).
[`export_onnx`][autograd_lite.interop.export_onnx] writes the inference graph as ONNX and checks
it with onnxruntime.

torch, onnx and onnxruntime are optional (``pip install "autograd-lite[torch]"``,
``"autograd-lite[onnx]"``): they are imported inside the functions that need them, and
nothing else in the library knows they exist.

Only the layer types listed in ``SUPPORTED_MODULES`` convert; a model that contains any
other module (for example a user's ``Module`` subclass with its own ``forward``) raises a
``TypeError`` naming it. A subclass of a supported layer converts as that layer when it does
not override ``forward``. Shared parameters and modules stay shared.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd_lite import nn
from autograd_lite.interop_layers import (
    _LAYERS,
    _SETTING_NAMES,
    _UNSUPPORTED_SETTINGS,
    SUPPORTED_MODULES,
    _ag_classes,
    _join,
    _kind,
    _require,
)
from autograd_lite.interop_onnx import export_onnx
from autograd_lite.random import get_generator
from autograd_lite.tensor import Tensor

__all__ = ["to_torch", "from_torch", "state_dict_to_torch", "state_dict_from_torch",
           "export_onnx", "SUPPORTED_MODULES"]

# ============================================================================ torch side
_TORCH_RESIDUAL: list[type] = []


def _torch_residual() -> type:
    """The PyTorch twin of ``nn.Residual`` (``x + fn(x)``), made on first use."""
    if not _TORCH_RESIDUAL:
        torch = _require("torch", "autograd_lite.interop.TorchResidual")

        class TorchResidual(torch.nn.Module):
            """``x + fn(x)`` with the wrapped module as child ``fn``: the PyTorch twin of
            ``autograd_lite.nn.Residual``, made by ``to_torch``."""

            def __init__(self, fn: Any) -> None:
                super().__init__()
                self.fn = fn

            def forward(self, x: Any) -> Any:
                out = self.fn(x)
                if out.shape != x.shape:
                    raise ValueError(f"Residual: the wrapped module maps shape "
                                     f"{tuple(x.shape)} to {tuple(out.shape)}; x + f(x) needs "
                                     "them equal")
                return x + out

        # picklable (torch.save of a whole model) as autograd_lite.interop.TorchResidual
        TorchResidual.__module__, TorchResidual.__qualname__ = __name__, "TorchResidual"
        _TORCH_RESIDUAL.append(TorchResidual)
    return _TORCH_RESIDUAL[0]


def __getattr__(name: str) -> Any:
    if name == "TorchResidual":
        return _torch_residual()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _torch_classes(torch: Any) -> dict[str, type]:
    classes = {n: getattr(torch.nn, n) for n in SUPPORTED_MODULES if n != "Residual"}
    classes["Residual"] = _torch_residual()
    return classes


def _ctor_kwargs(module: Any, kind: str) -> dict[str, Any]:
    kwargs = {}
    for arg in _LAYERS[kind]:
        if arg.endswith("?"):  # bias=(module.<name> is not None)
            kwargs["bias"] = getattr(module, "bias" if arg == "bias?" else arg[:-1],
                                     None) is not None
        else:
            kwargs[arg] = getattr(module, arg)
    if kind == "LayerNorm" and not module.elementwise_affine:
        kwargs["bias"] = True  # the constructor's default; there are no parameters anyway
    return kwargs


def _array_of_torch(t: Any, what: str) -> np.ndarray:
    """A NumPy copy of a torch tensor (on any device)."""
    t = t.detach().cpu()
    try:
        return np.array(t.numpy(), copy=True)
    except TypeError as e:  # bfloat16 and other dtypes NumPy lacks
        raise TypeError(f"{what}: torch dtype {t.dtype} has no NumPy equivalent; cast it "
                        "first (e.g. .float())") from e


def _numpy_of(value: Any, what: str) -> np.ndarray:
    arr = value.data if isinstance(value, Tensor) else np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{what}: expected a numeric Tensor or array, got dtype {arr.dtype}")
    return arr


def _names(m: Any) -> tuple[set, set]:
    return ({n for n, _ in m.named_parameters(recurse=False)},
            {n for n, _ in m.named_buffers(recurse=False)})


def _settle(src: Any, dst: Any, op: str, kind: str, path: str) -> None:
    """After the copy: what ``src`` registers as None (e.g. torch's BatchNorm ``bias=False``)
    becomes None in ``dst``; then both must hold tensors under the same names, or the
    layouts differ in a way this module does not know (loud, rather than a random init)."""
    missing = object()
    for have, want in zip(_names(dst), _names(src)):
        for name in have - want:
            if getattr(src, name, missing) is None:
                setattr(dst, name, None)
    if _names(dst) != _names(src):
        raise RuntimeError(f"{op}: {kind} at {path or 'the top'!r}: the tensors "
                           f"{sorted(set().union(*_names(dst)))} do not match the source's "
                           f"{sorted(set().union(*_names(src)))}")


def to_torch(module: nn.Module) -> Any:
    """The equivalent ``torch.nn.Module`` of an ``autograd_lite.nn`` model, weights copied.

    The result has the same module tree (``Sequential``/``ModuleList``/``ModuleDict`` children
    keep their names; a ``Residual`` becomes ``autograd_lite.interop.TorchResidual``, whose
    child is also ``fn``), so ``state_dict()`` keys agree. Parameters and buffers are copies
    (no shared memory) with the same dtype and ``requires_grad``, and each module keeps its
    ``training`` flag. Gradients and optimizer state are not copied. The torch module is built
    without drawing from PyTorch's random generator.

    Raises:
        TypeError: the model contains a module type that is not in ``SUPPORTED_MODULES``.
        ImportError: torch is not installed.

    Example (needs torch):

        tm = to_torch(model)
        tm(torch.from_numpy(x.numpy()))   # == model(x)
    """
    torch = _require("torch", "to_torch")
    ag_classes = _ag_classes()
    params: dict[int, tuple[Any, Any]] = {}   # id(ag parameter) -> (it, its torch copy)
    modules: dict[int, tuple[Any, Any]] = {}

    def param(p: nn.Parameter) -> Any:
        if id(p) not in params:
            data = torch.from_numpy(np.array(p.data, copy=True))
            params[id(p)] = (p, torch.nn.Parameter(data, requires_grad=p.requires_grad))
        return params[id(p)][1]

    def convert(m: nn.Module, path: str) -> Any:
        if id(m) in modules:
            return modules[id(m)][1]
        kind = _kind(m, ag_classes, "to_torch", path)
        children = [(name, convert(c, _join(path, name)))
                    for name, c in m._modules.items() if c is not None]
        if kind == "Sequential":
            tm = torch.nn.Sequential(OrderedDict(children))
        elif kind == "ModuleList":
            tm = torch.nn.ModuleList([c for _, c in children])
        elif kind == "ModuleDict":
            tm = torch.nn.ModuleDict(OrderedDict(children))
        elif kind == "Residual":
            tm = _torch_residual()(children[0][1])
        else:
            kwargs = _ctor_kwargs(m, kind)
            tensors = [t for _, t in m.named_parameters(recurse=False)] + \
                      [t for _, t in m.named_buffers(recurse=False)]
            if tensors:  # built on the meta device: no memory, no random init, then filled
                kwargs["device"] = "meta"
            tm = getattr(torch.nn, kind)(**kwargs)
            for name, p in m.named_parameters(recurse=False):
                setattr(tm, name, param(p))
            for name, b in m.named_buffers(recurse=False):
                setattr(tm, name, torch.from_numpy(np.array(b.data, copy=True)))
            for name, c in children:  # a layer's own sublayers (MultiheadAttention.out_proj)
                setattr(tm, name, c)
            _settle(m, tm, "to_torch", kind, path)
        tm.training = m.training
        modules[id(m)] = (m, tm)
        return tm

    return convert(module, "")


def from_torch(torch_module: Any) -> nn.Module:
    """The equivalent ``autograd_lite.nn`` model of a ``torch.nn.Module``, weights copied.

    The reverse of [`to_torch`][autograd_lite.interop.to_torch], for the same module types
    (a residual block must be ``autograd_lite.interop.TorchResidual``). Tensors are copied to
    NumPy (from any device) with their dtype and ``requires_grad``; the ``training`` flags are
    kept. Building the layers does not draw from autograd_lite's random generator.

    Raises:
        TypeError: an unsupported module type (named, with the supported list), or a torch
            dtype NumPy lacks (bfloat16).
        NotImplementedError: a setting autograd_lite does not implement (e.g. Conv2d
            ``padding_mode="reflect"``, Embedding ``max_norm``, MultiheadAttention ``kdim``).
        ImportError: torch is not installed.
    """
    torch = _require("torch", "from_torch")
    t_classes = _torch_classes(torch)
    params: dict[int, tuple[Any, Any]] = {}
    modules: dict[int, tuple[Any, Any]] = {}

    def param(p: Any, what: str) -> nn.Parameter:
        if id(p) not in params:
            params[id(p)] = (p, nn.Parameter(_array_of_torch(p, what),
                                             requires_grad=p.requires_grad))
        return params[id(p)][1]

    def convert(tm: Any, path: str) -> nn.Module:
        if id(tm) in modules:
            return modules[id(tm)][1]
        kind = _kind(tm, t_classes, "from_torch", path)
        children = [(name, convert(c, _join(path, name)))
                    for name, c in tm._modules.items() if c is not None]
        if kind == "Sequential":
            m = nn.Sequential(OrderedDict(children))
        elif kind == "ModuleList":
            m = nn.ModuleList([c for _, c in children])
        elif kind == "ModuleDict":
            m = nn.ModuleDict(OrderedDict(children))
        elif kind == "Residual":
            m = nn.Residual(children[0][1])
        else:
            for attr, ok in _UNSUPPORTED_SETTINGS.get(kind, ()):
                value = getattr(tm, attr)
                if not any(type(value) is type(v) and value == v for v in ok):
                    where = f"at {path!r}" if path else "(the model)"
                    if attr in _SETTING_NAMES:
                        raise NotImplementedError(
                            f"from_torch: {kind} {where} has {_SETTING_NAMES[attr]}, which "
                            "autograd_lite does not implement")
                    raise NotImplementedError(
                        f"from_torch: {kind} {where} has {attr}={value!r}; autograd_lite "
                        f"implements only {attr}={ok[0]!r}")
            kwargs = _ctor_kwargs(tm, kind)
            tensors = list(tm.parameters(recurse=False)) + list(tm.buffers(recurse=False))
            floats = [t for t in tensors if t.is_floating_point()]
            if floats:
                kwargs["dtype"] = _array_of_torch(torch.empty(0, dtype=floats[0].dtype),
                                                  f"from_torch: {path or kind}").dtype
            bits = getattr(get_generator(), "bit_generator", None)
            state = bits.state if bits is not None else None
            try:  # the layer's random init is overwritten below: leave the stream untouched
                m = getattr(nn, kind)(**kwargs)
            finally:
                if bits is not None:
                    bits.state = state
            for name, p in tm.named_parameters(recurse=False):
                setattr(m, name, param(p, f"from_torch: {_join(path, name)}"))
            for name, b in tm.named_buffers(recurse=False):
                setattr(m, name, Tensor(_array_of_torch(b, f"from_torch: {_join(path, name)}")))
            for name, c in children:
                setattr(m, name, c)
            _settle(tm, m, "from_torch", kind, path)
        m.training = tm.training
        modules[id(tm)] = (tm, m)
        return m

    return convert(torch_module, "")


def state_dict_to_torch(state_dict: Mapping[str, Any]) -> OrderedDict:
    """An autograd_lite state dict (Tensors or arrays by dotted name) as torch tensors, for
    ``torch_module.load_state_dict``. Keys are unchanged (the layouts agree); values are
    copies with the same dtype and shape."""
    torch = _require("torch", "state_dict_to_torch")
    return OrderedDict((k, torch.from_numpy(np.array(_numpy_of(v, f"state_dict_to_torch: {k}"),
                                                      copy=True)))
                       for k, v in state_dict.items())


def state_dict_from_torch(state_dict: Mapping[str, Any]) -> OrderedDict:
    """A PyTorch state dict as autograd_lite Tensors (NumPy copies, same dtypes), for
    ``module.load_state_dict``. Keys are unchanged."""
    torch = _require("torch", "state_dict_from_torch")
    out = OrderedDict()
    for k, v in state_dict.items():
        if not isinstance(v, torch.Tensor):
            raise TypeError(f"state_dict_from_torch: {k}: expected a torch.Tensor, got "
                            f"{type(v).__name__}")
        out[k] = Tensor(_array_of_torch(v, f"state_dict_from_torch: {k}"))
    return out
