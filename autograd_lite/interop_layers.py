"""The layer table of `autograd_lite.interop`: which ``nn`` modules convert, with which
constructor arguments, and the checks both bridges (PyTorch and ONNX) share.
"""
from __future__ import annotations

import importlib
from typing import Any, Mapping

from autograd_lite import nn

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
    # its child out_proj (a Linear) converts as a child; "in_proj_bias?" as "bias?"
    "MultiheadAttention": ("embed_dim", "num_heads", "dropout", "in_proj_bias?", "batch_first"),
}
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict", "Residual")

SUPPORTED_MODULES: tuple[str, ...] = _CONTAINERS + tuple(_LAYERS)
"""The ``autograd_lite.nn`` module types (by name) that ``to_torch`` and ``from_torch``
convert, and ``export_onnx`` too, except ``ModuleList`` and ``ModuleDict``, which have no
forward (and ``MultiheadAttention`` only as the exported model itself: it takes query, key
and value)."""

# Settings PyTorch has and autograd_lite does not implement: from_torch refuses them up front
# (attribute, the values we implement).
_UNSUPPORTED_SETTINGS: dict[str, tuple[tuple[str, tuple], ...]] = {
    "Conv2d": (("padding_mode", ("zeros",)),),
    "ConvTranspose2d": (("padding_mode", ("zeros",)),),
    "MaxPool2d": (("return_indices", (False,)),),  # a tuple output: not a layer of a model
    "Embedding": (("max_norm", (None,)), ("scale_grad_by_freq", (False,)),
                  ("sparse", (False,))),
    # kdim/vdim other than embed_dim (separate q/k/v weights), add_bias_kv, add_zero_attn
    "MultiheadAttention": (("_qkv_same_embed_dim", (True,)), ("bias_k", (None,)),
                           ("add_zero_attn", (False,))),
}

#: How a setting of _UNSUPPORTED_SETTINGS is named in the error, when its attribute is not the
#: constructor argument.
_SETTING_NAMES = {"_qkv_same_embed_dim": "kdim/vdim other than embed_dim",
                  "bias_k": "add_bias_kv=True"}

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
