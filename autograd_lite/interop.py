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

import importlib
import math
import os
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd_lite import nn
from autograd_lite.grad_mode import no_grad
from autograd_lite.random import get_generator
from autograd_lite.tensor import Tensor

__all__ = ["to_torch", "from_torch", "state_dict_to_torch", "state_dict_from_torch",
           "export_onnx", "SUPPORTED_MODULES"]

# ============================================================================ the layer table
# class name -> the constructor arguments, read from the module's attributes of the same names
# (PyTorch's and ours coincide). "bias?" stands for bias=(module.bias is not None).
_LAYERS: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias?"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
               "groups", "bias?"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                        "output_padding", "groups", "bias?", "dilation"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices",
                  "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                  "divisor_override"),
    "Flatten": ("start_dim", "end_dim"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias?"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
    "Dropout": ("p", "inplace"),
    "Identity": (),
    "ReLU": ("inplace",),
    "LeakyReLU": ("negative_slope", "inplace"),
    "Sigmoid": (),
    "Tanh": (),
    "Softplus": ("beta", "threshold"),
    "GELU": ("approximate",),
    "Softmax": ("dim",),
    "LogSoftmax": ("dim",),
}
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict", "Residual")

SUPPORTED_MODULES: tuple[str, ...] = _CONTAINERS + tuple(_LAYERS)
"""The ``autograd_lite.nn`` module types (by name) that ``to_torch`` and ``from_torch``
convert, and ``export_onnx`` too, except ``ModuleList`` and ``ModuleDict``, which have no
forward."""

# Settings PyTorch has and autograd_lite does not implement: from_torch refuses them up front
# (attribute, the values we implement).
_ONE = (1, (1, 1))
_UNSUPPORTED_SETTINGS: dict[str, tuple[tuple[str, tuple], ...]] = {
    "Conv2d": (("padding_mode", ("zeros",)),),
    "ConvTranspose2d": (("padding_mode", ("zeros",)),),
    "MaxPool2d": (("return_indices", (False,)),),  # a tuple output: not a layer of a model
    "Embedding": (("max_norm", (None,)), ("scale_grad_by_freq", (False,)),
                  ("sparse", (False,))),
}

_EXTRAS = {"torch": "torch", "onnx": "onnx", "onnxruntime": "onnx"}


def _require(package: str, who: str) -> Any:
    """Import an optional package, or say which extra installs it."""
    try:
        return importlib.import_module(package)
    except ImportError as e:
        extra = _EXTRAS[package]
        raise ImportError(f"{who} needs {package}, which is not installed: "
                          f'pip install "autograd-lite[{extra}]" (or pip install {package})'
                          ) from e


def _supported_list(op: str) -> str:
    names = SUPPORTED_MODULES if op != "export_onnx" else tuple(
        n for n in SUPPORTED_MODULES if n not in ("ModuleList", "ModuleDict"))
    return ", ".join(names)


def _kind(module: Any, classes: Mapping[str, type], op: str, path: str) -> str:
    """The supported class name ``module`` converts as, or a TypeError naming it."""
    for cls in type(module).__mro__:
        name = next((n for n, c in classes.items() if c is cls), None)
        if name is not None:
            if type(module).forward is cls.forward:
                return name
            break  # a subclass with its own forward: we cannot know what it computes
    where = f"module {path!r}" if path else "the model"
    raise TypeError(f"{op}: cannot convert {where} of type {type(module).__qualname__}; "
                    f"supported types: {_supported_list(op)}. For a module of your own, "
                    "write its twin on the other side and move the weights with "
                    "state_dict_to_torch / state_dict_from_torch")


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _ag_classes() -> dict[str, type]:
    return {n: getattr(nn, n) for n in SUPPORTED_MODULES}


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
        if arg == "bias?":
            kwargs["bias"] = getattr(module, "bias", None) is not None
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
            ``groups=2``, MaxPool2d ``ceil_mode=True``, Embedding ``max_norm``).
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
                if not any(value == v and type(value) is type(v) for v in ok):
                    where = f"at {path!r}" if path else "(the model)"
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


# ============================================================================ ONNX
# The graph is built from the module tree (not by tracing one forward): one ONNX node (or a
# short, fixed pattern) per layer, initializers named by their state_dict keys, and a batch
# dimension that stays symbolic, which a trace of one forward on one input could not know.
class _Graph:
    """The nodes, initializers and constants of the ONNX graph being built."""

    def __init__(self, onnx: Any, opset: int, dtype: np.dtype) -> None:
        self.onnx, self.opset, self.dtype = onnx, opset, dtype
        self.nodes: list = []
        self.initializers: list = []
        self.names: set[str] = set()
        self.params: dict[int, str] = {}

    def fresh(self, base: str) -> str:
        name, i = base, 0
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def initializer(self, name: str, array: np.ndarray) -> str:
        name = self.fresh(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def param(self, t: Tensor, name: str) -> str:
        """The initializer of a parameter or buffer (shared ones are stored once)."""
        if id(t) not in self.params:
            self.params[id(t)] = self.initializer(name, t.data)
        return self.params[id(t)]

    def const(self, value: Any, base: str, dtype: Any = None) -> str:
        return self.initializer(base, np.asarray(value, dtype=dtype or self.dtype))

    def op(self, op_type: str, inputs: list[str], base: str, **attrs: Any) -> str:
        out = self.fresh(base)
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out],
                                                     name=self.fresh(f"{base}/{op_type}"),
                                                     **attrs))
        return out

    def reduce_mean(self, x: str, axes: list[int], base: str) -> str:
        if self.opset >= 18:  # axes became an input in opset 18
            return self.op("ReduceMean", [x, self.const(axes, f"{base}/axes", np.int64)],
                           base, keepdims=1)
        return self.op("ReduceMean", [x], base, axes=axes, keepdims=1)

    def normalise(self, x: str, axes: list[int], eps: float, base: str) -> str:
        """(x - mean) / sqrt(biased var + eps) over ``axes``."""
        d = self.op("Sub", [x, self.reduce_mean(x, axes, f"{base}/mean")], f"{base}/centred")
        var = self.reduce_mean(self.op("Mul", [d, d], f"{base}/sq"), axes, f"{base}/var")
        std = self.op("Sqrt", [self.op("Add", [var, self.const(eps, f"{base}/eps")],
                                       f"{base}/var_eps")], f"{base}/std")
        return self.op("Div", [d, std], f"{base}/normed")


class _Initializers(Mapping):
    """A layer's parameters and buffers by name; each becomes an initializer when first used
    (so ``num_batches_tracked`` stays out of the graph)."""

    def __init__(self, g: _Graph, m: Any, path: str) -> None:
        self.g, self.path = g, path
        self.tensors = dict(list(m.named_parameters(recurse=False))
                            + list(m.named_buffers(recurse=False)))

    def __getitem__(self, name: str) -> str:
        return self.g.param(self.tensors[name], _join(self.path, name))

    def __contains__(self, name: object) -> bool:
        return name in self.tensors

    def __iter__(self) -> Any:
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, (int, np.integer)) else [int(a) for a in v]


def _emit_layer(g: _Graph, kind: str, m: Any, x: str, xv: Tensor, path: str) -> str:
    """The ONNX nodes of one layer applied to the graph value ``x`` (whose example value is
    ``xv``); returns the output's name."""
    base = path or kind.lower()
    p = _Initializers(g, m, path)
    if kind == "Linear":
        if xv.ndim == 2:
            return g.op("Gemm", [x, p["weight"]] + ([p["bias"]] if "bias" in p else []),
                        base, transB=1)
        y = g.op("MatMul", [x, g.op("Transpose", [p["weight"]], f"{base}/weight_t",
                                    perm=[1, 0])], f"{base}/matmul")
        return g.op("Add", [y, p["bias"]], base) if "bias" in p else y
    if kind in ("Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d") and xv.ndim != 4:
        raise ValueError(f"export_onnx: {kind} at {path!r} needs a batched (N, C, H, W) "
                         f"input, got shape {xv.shape}")
    if kind == "Conv2d":
        kh, kw = m.kernel_size
        if m.padding == "same":
            top, left = (kh - 1) // 2, (kw - 1) // 2  # the extra row/column goes last
            pads = [top, left, kh - 1 - top, kw - 1 - left]
        elif m.padding == "valid":
            pads = [0, 0, 0, 0]
        else:
            pads = list(m.padding) * 2
        if m.padding == "same" and m.dilation != (1, 1):
            pads = [((d * (k - 1)) // 2) for k, d in zip((kh, kw), m.dilation)]
            pads += [d * (k - 1) - q for k, d, q in zip((kh, kw), m.dilation, pads)]
        return g.op("Conv", [x, p["weight"]] + ([p["bias"]] if "bias" in p else []), base,
                    kernel_shape=[kh, kw], strides=list(m.stride), pads=pads,
                    dilations=list(m.dilation), group=m.groups)
    if kind == "ConvTranspose2d":
        return g.op("ConvTranspose", [x, p["weight"]] + ([p["bias"]] if "bias" in p else []),
                    base, kernel_shape=list(m.kernel_size), strides=list(m.stride),
                    pads=list(m.padding) * 2, output_padding=list(m.output_padding),
                    dilations=list(m.dilation), group=m.groups)
    if kind in ("MaxPool2d", "AvgPool2d"):
        k, s, pad = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
        if kind == "MaxPool2d":
            return g.op("MaxPool", [x], base, kernel_shape=k, strides=s, pads=pad * 2,
                        dilations=_pair(m.dilation), ceil_mode=int(m.ceil_mode))
        if m.ceil_mode:
            raise NotImplementedError(f"export_onnx: AvgPool2d at {path!r} with ceil_mode=True "
                                      f"(ONNX divides partial windows differently)")
        if m.divisor_override is None:
            include = int(m.count_include_pad or pad == [0, 0])
            return g.op("AveragePool", [x], base, kernel_shape=k, strides=s, pads=pad * 2,
                        count_include_pad=include)
        mean = g.op("AveragePool", [x], f"{base}/mean", kernel_shape=k, strides=s,
                    pads=pad * 2, count_include_pad=1)
        return g.op("Mul", [mean, g.const(k[0] * k[1] / m.divisor_override, f"{base}/scale")],
                    base)
    if kind == "Flatten":
        s, e = (d % max(xv.ndim, 1) for d in (m.start_dim, m.end_dim))
        shape = [0] * s + [-1] + list(xv.shape[e + 1:])  # 0: copy that dim (the batch)
        return g.op("Reshape", [x, g.const(shape, f"{base}/shape", np.int64)], base)
    if kind in ("Dropout", "Identity"):  # Dropout exports as in eval mode
        return g.op("Identity", [x], base)
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        c = m.num_features
        scale = p.get("weight") or g.const(np.ones(c), f"{base}/ones")
        shift = p.get("bias") or g.const(np.zeros(c), f"{base}/zeros")
        if m.track_running_stats:  # eval mode: the running statistics
            return g.op("BatchNormalization",
                        [x, scale, shift, p["running_mean"], p["running_var"]], base,
                        epsilon=float(m.eps))
        # no running statistics: the batch's, in eval mode too (as the module does)
        y = g.normalise(x, [0] + list(range(2, xv.ndim)), m.eps, base)
        bshape = g.const([1, c] + [1] * (xv.ndim - 2), f"{base}/bshape", np.int64)
        y = g.op("Mul", [y, g.op("Reshape", [scale, bshape], f"{base}/scale_b")],
                 f"{base}/scaled")
        return g.op("Add", [y, g.op("Reshape", [shift, bshape], f"{base}/shift_b")], base)
    if kind == "LayerNorm":
        k = len(m.normalized_shape)
        if g.opset >= 17:
            scale = p.get("weight") or g.const(np.ones(m.normalized_shape), f"{base}/ones")
            return g.op("LayerNormalization", [x, scale] + ([p["bias"]] if "bias" in p else []),
                        base, axis=-k, epsilon=float(m.eps))
        y = g.normalise(x, list(range(xv.ndim - k, xv.ndim)), m.eps, base)
        if "weight" in p:
            y = g.op("Mul", [y, p["weight"]], f"{base}/scaled")
        return g.op("Add", [y, p["bias"]], base) if "bias" in p else y
    if kind == "Embedding":
        return g.op("Gather", [p["weight"], x], base, axis=0)
    if kind in ("ReLU", "Sigmoid", "Tanh"):
        return g.op({"ReLU": "Relu"}.get(kind, kind), [x], base)
    if kind == "LeakyReLU":
        return g.op("LeakyRelu", [x], base, alpha=float(m.negative_slope))
    if kind == "Softplus":  # (1/beta) log(1 + exp(beta x)), x where beta x > threshold
        bx = x if m.beta == 1 else g.op("Mul", [x, g.const(m.beta, f"{base}/beta")],
                                        f"{base}/bx")
        sp = g.op("Softplus", [bx], f"{base}/softplus")
        if m.beta != 1:
            sp = g.op("Mul", [sp, g.const(1.0 / m.beta, f"{base}/inv_beta")], f"{base}/sp")
        above = g.op("Greater", [bx, g.const(m.threshold, f"{base}/threshold")],
                     f"{base}/linear")
        return g.op("Where", [above, x, sp], base)
    if kind == "GELU":
        if g.opset >= 20:
            return g.op("Gelu", [x], base, approximate=m.approximate)
        if m.approximate == "none":  # 0.5 x (1 + erf(x / sqrt 2))
            inner = g.op("Erf", [g.op("Mul", [x, g.const(math.sqrt(0.5), f"{base}/c")],
                                      f"{base}/scaled")], f"{base}/erf")
        else:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            x3 = g.op("Mul", [g.op("Mul", [x, x], f"{base}/x2"), x], f"{base}/x3")
            u = g.op("Add", [x, g.op("Mul", [x3, g.const(0.044715, f"{base}/a")],
                                     f"{base}/ax3")], f"{base}/u")
            inner = g.op("Tanh", [g.op("Mul", [u, g.const(math.sqrt(2 / math.pi),
                                                          f"{base}/c")], f"{base}/cu")],
                         f"{base}/tanh")
        one_plus = g.op("Add", [inner, g.const(1.0, f"{base}/one")], f"{base}/one_plus")
        half_x = g.op("Mul", [x, g.const(0.5, f"{base}/half")], f"{base}/half_x")
        return g.op("Mul", [half_x, one_plus], base)
    if kind in ("Softmax", "LogSoftmax"):
        dim = m.dim if m.dim is not None else (0 if xv.ndim in (0, 1, 3) else 1)
        return g.op(kind, [x], base, axis=int(dim))
    raise AssertionError(f"export_onnx: no emitter for {kind}")  # pragma: no cover


def export_onnx(module: nn.Module, example_input: Any, path: str | os.PathLike | None,
                opset: int = 17, *, dynamic_batch: bool = True, check: bool = True,
                rtol: float = 1e-5, atol: float = 1e-5) -> Any:
    """Write the inference graph of ``module`` applied to ``example_input`` as ONNX.

    The graph is built from the module tree with the ``onnx.helper`` API (the layers of
    ``SUPPORTED_MODULES`` except ``ModuleList``/``ModuleDict``). It has one input
    ``"input"`` and one output ``"output"``; parameters and buffers become initializers
    named by their ``state_dict`` keys (``"0.weight"``). The graph computes the module in
    eval mode: Dropout is the identity and BatchNorm uses its running statistics (or the
    batch's, with ``track_running_stats=False``); the module's own mode is left as it was.
    With ``dynamic_batch`` the input's first dimension is the symbolic ``"batch"``, so the
    file runs on any batch size. Every floating parameter must have the dtype of the
    graph (float32 or float64; cast the module with ``.to(...)`` first).

    With ``check`` (the default) the model passes ``onnx.checker`` (with strict shape
    inference), and onnxruntime runs it on ``example_input``: its output must match the
    module's within ``rtol``/``atol``, or a ``RuntimeError`` says by how much it does not.

    Args:
        module: the model (Sequential, Residual, layers and activations of
            ``SUPPORTED_MODULES``).
        example_input: a Tensor or array (integer indices for a model that starts with
            an Embedding).
        path: where to write the ``.onnx`` file (``None``: do not write it).
        opset: the ONNX opset, 13 to the installed onnx's newest (LayerNormalization is
            used from 17, Gelu from 20; below, they are composed of elementary ops).

    Returns:
        The ``onnx.ModelProto``.

    Raises:
        TypeError: an unsupported module type, or mixed dtypes.
        ImportError: onnx (or, with ``check``, onnxruntime) is not installed.
    """
    onnx = _require("onnx", "export_onnx")
    newest = onnx.defs.onnx_opset_version()
    if not 13 <= opset <= newest:
        raise ValueError(f"export_onnx: opset must be between 13 and {newest} (the installed "
                         f"onnx's newest), got {opset}")
    ort = _require("onnxruntime", "export_onnx(check=True)") if check else None
    x0 = example_input if isinstance(example_input, Tensor) else Tensor(np.asarray(example_input))
    floats = {t.data.dtype for t in list(module.parameters()) + list(module.buffers())
              if t.data.dtype.kind == "f"}
    if x0.dtype.kind == "f":
        floats.add(x0.data.dtype)
    if len(floats) > 1:
        raise TypeError(f"export_onnx: the model and input mix dtypes "
                        f"{sorted(str(d) for d in floats)}; an ONNX graph has one float type, "
                        "so cast them first (module.to(np.float32), x.astype(...))")
    dtype = floats.pop() if floats else np.dtype(np.float32)
    ag_classes = {n: c for n, c in _ag_classes().items() if n not in ("ModuleList", "ModuleDict")}
    g = _Graph(onnx, opset, dtype)
    g.names.add("input")

    def emit(m: Any, x: str, xv: Tensor, path: str) -> tuple[str, Tensor]:
        kind = _kind(m, ag_classes, "export_onnx", path)
        if kind == "Sequential":
            for name, c in m._modules.items():
                if c is not None:
                    x, xv = emit(c, x, xv, _join(path, name))
            return x, xv
        if kind == "Residual":
            f, fv = emit(m.fn, x, xv, _join(path, "fn"))
            if fv.shape != xv.shape:
                raise ValueError(f"Residual: the wrapped module maps shape {xv.shape} to "
                                 f"{fv.shape}; x + f(x) needs them equal")
            return g.op("Add", [x, f], path or "residual"), xv + fv
        return _emit_layer(g, kind, m, x, xv, path), m(xv)

    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with no_grad():
            out_name, _ = emit(module, "input", x0, "")
            reference = np.asarray(module(x0).data)
    finally:
        for m, mode in modes:
            m.training = mode
    g.nodes.append(onnx.helper.make_node("Identity", [out_name], ["output"], name="output"))
    elem = onnx.helper.np_dtype_to_tensor_dtype
    in_shape: list[Any] = list(x0.shape)
    if dynamic_batch and in_shape:
        in_shape[0] = "batch"
    graph = onnx.helper.make_graph(
        g.nodes, type(module).__name__,
        [onnx.helper.make_tensor_value_info("input", elem(x0.data.dtype), in_shape)],
        [onnx.helper.make_tensor_value_info("output", elem(reference.dtype), None)],
        initializer=g.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    model = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="autograd_lite",
                                   ir_version=onnx.helper.find_min_ir_version_for(opsets))
    # the output's shape as ONNX infers it (symbolic "batch" where it flows through)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True).graph.output[0]
    out_type = model.graph.output[0].type.tensor_type
    if inferred.type.tensor_type.HasField("shape"):
        out_type.shape.CopyFrom(inferred.type.tensor_type.shape)
    else:
        out_type.shape.CopyFrom(onnx.helper.make_tensor_type_proto(
            elem(reference.dtype), reference.shape).tensor_type.shape)
    if check:
        onnx.checker.check_model(model, full_check=True)
        _check_with_onnxruntime(ort, model, x0.data, reference, rtol, atol)
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model


def _check_with_onnxruntime(ort: Any, model: Any, x: np.ndarray, reference: np.ndarray,
                            rtol: float, atol: float) -> None:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    try:
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
    except Exception as e:  # e.g. an op onnxruntime has no kernel for in this dtype
        hint = ("; onnxruntime's CPU kernels for some ops (Conv among them) are float32 only: "
                "export a float32 copy of the model (module.float()), or"
                if "NOT_IMPLEMENTED" in str(e) else ";")
        raise RuntimeError(f"export_onnx: onnxruntime cannot load the exported model ({e})"
                           f"{hint} pass check=False to write it unchecked") from e
    (got,) = session.run(["output"], {"input": x})
    if got.shape != reference.shape or not np.allclose(got, reference, rtol=rtol, atol=atol):
        diff = (np.max(np.abs(got - reference)) if got.shape == reference.shape
                else f"shape {got.shape} vs {reference.shape}")
        raise RuntimeError(f"export_onnx: onnxruntime's output differs from the module's "
                           f"(max abs difference {diff}, rtol={rtol}, atol={atol})")

