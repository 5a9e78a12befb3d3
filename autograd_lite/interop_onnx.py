"""``export_onnx``: the inference graph of an ``nn`` model as ONNX, checked by onnxruntime.

Re-exported as [`autograd_lite.interop.export_onnx`][autograd_lite.interop.export_onnx].
"""
from __future__ import annotations

import math
import os
from typing import Any, Mapping

import numpy as np

from autograd_lite import nn
from autograd_lite.grad_mode import no_grad
from autograd_lite.interop_layers import _ag_classes, _join, _kind, _require
from autograd_lite.tensor import Tensor

__all__ = ["export_onnx"]


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
            return _avg_pool_ceil(g, m, x, xv, k, s, pad, base)
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


def _avg_pool_ceil(g: _Graph, m: Any, x: str, xv: Tensor, k: list[int], s: list[int],
                   pad: list[int], base: str) -> str:
    """AvgPool2d with ``ceil_mode=True`` as PyTorch computes it. ONNX's AveragePool divides
    the partial last windows of ceil mode its own way, so: zero-pad the input to cover every
    window (top/left ``padding``, bottom/right what the last window needs), average over
    whole windows, and rescale each output by k_h k_w / PyTorch's divisor (the window clipped
    to the padded input, or to the input without ``count_include_pad``, or the override).
    H and W are fixed by the example input, so the rescaling is a constant."""
    h, w = xv.shape[2:]
    out = [_ceil_out(n, ki, si, p) for n, ki, si, p in zip((h, w), k, s, pad)]
    extra = [max((o - 1) * si + ki - p - n, 0)
             for o, n, ki, si, p in zip(out, (h, w), k, s, pad)]
    pads = g.const([0, 0, pad[0], pad[1], 0, 0, extra[0], extra[1]], f"{base}/pads", np.int64)
    padded = g.op("Pad", [x, pads], f"{base}/padded")
    mean = g.op("AveragePool", [padded], f"{base}/mean", kernel_shape=k, strides=s)
    if m.divisor_override is not None:
        scale = np.full(out, k[0] * k[1] / m.divisor_override)
    else:
        sizes = []
        for o, n, ki, si, p in zip(out, (h, w), k, s, pad):
            start = np.arange(o) * si - p
            stop = np.minimum(start + ki, n + p)
            if not m.count_include_pad:
                start, stop = np.maximum(start, 0), np.minimum(stop, n)
            sizes.append(stop - start)
        scale = k[0] * k[1] / np.outer(*sizes)
    return g.op("Mul", [mean, g.const(scale[None, None], f"{base}/divisor_scale")], base)


def _ceil_out(n: int, k: int, s: int, p: int) -> int:
    """PyTorch's pooled size with ceil_mode: the last window must start inside the input or
    its left padding."""
    o = -(-(n + 2 * p - k) // s) + 1
    return o - 1 if (o - 1) * s >= n + p else o


def _emit_attention(g: _Graph, m: Any, inputs: list[str], qv: Tensor, path: str) -> str:
    """The ONNX nodes of ``MultiheadAttention`` on the graph values ``inputs`` (query, key,
    value; the example query ``qv``): the attention output only, in eval mode, no masks.
    Heads are laid out as the module does: (L, N, E) -> (N H, L, D) by Reshape + Transpose."""
    base = path or "attention"
    p = _Initializers(g, m, path)
    e, d = m.embed_dim, m.head_dim
    unbatched = qv.ndim == 2
    xs = list(inputs)
    if unbatched:  # (L, E) -> (L, 1, E)
        one = g.const([1], f"{base}/axis1", np.int64)
        xs = [g.op("Unsqueeze", [x, one], f"{base}/{n}_batched")
              for x, n in zip(xs, ("q", "k", "v"))]
    elif m.batch_first:  # (N, L, E) -> (L, N, E)
        xs = [g.op("Transpose", [x], f"{base}/{n}_seq_first", perm=[1, 0, 2])
              for x, n in zip(xs, ("q", "k", "v"))]
    axis0 = g.const([0], f"{base}/axis0", np.int64)
    heads = g.const([0, -1, d], f"{base}/heads_shape", np.int64)
    projected = []
    for i, (x, n) in enumerate(zip(xs, ("q", "k", "v"))):
        start = g.const([i * e], f"{base}/{n}_start", np.int64)
        stop = g.const([(i + 1) * e], f"{base}/{n}_stop", np.int64)
        w = g.op("Slice", [p["in_proj_weight"], start, stop, axis0], f"{base}/{n}_weight")
        y = g.op("MatMul", [x, g.op("Transpose", [w], f"{base}/{n}_weight_t", perm=[1, 0])],
                 f"{base}/{n}_proj")
        if "in_proj_bias" in p:
            b = g.op("Slice", [p["in_proj_bias"], start, stop, axis0], f"{base}/{n}_bias")
            y = g.op("Add", [y, b], f"{base}/{n}_proj_b")
        y = g.op("Reshape", [y, heads], f"{base}/{n}_heads")          # (L, N H, D)
        projected.append(g.op("Transpose", [y], f"{base}/{n}_bh", perm=[1, 0, 2]))
    qh, kh, vh = projected
    qh = g.op("Mul", [qh, g.const(1.0 / math.sqrt(d), f"{base}/scale")], f"{base}/q_scaled")
    kt = g.op("Transpose", [kh], f"{base}/k_t", perm=[0, 2, 1])
    weights = g.op("Softmax", [g.op("MatMul", [qh, kt], f"{base}/scores")], f"{base}/weights",
                   axis=-1)
    out = g.op("MatMul", [weights, vh], f"{base}/context")            # (N H, L, D)
    out = g.op("Transpose", [out], f"{base}/context_seq_first", perm=[1, 0, 2])
    out = g.op("Reshape", [out, g.const([0, -1, e], f"{base}/embed_shape", np.int64)],
               f"{base}/context_merged")                              # (L, N, E)
    seq_first = Tensor(np.zeros((1, 1, e), dtype=g.dtype))
    out = _emit_layer(g, "Linear", m.out_proj, out, seq_first, _join(path, "out_proj"))
    if unbatched:
        return g.op("Squeeze", [out, g.const([1], f"{base}/squeeze_axis", np.int64)], base)
    if m.batch_first:
        return g.op("Transpose", [out], base, perm=[1, 0, 2])
    return out


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
    attention = (isinstance(module, nn.MultiheadAttention)
                 and type(module).forward is nn.MultiheadAttention.forward)
    if isinstance(example_input, (tuple, list)):
        if not attention or len(example_input) != 3:
            raise TypeError("export_onnx: a tuple example_input is (query, key, value) for a "
                            "MultiheadAttention model; other models take one Tensor or array")
        names = ["query", "key", "value"]
    else:
        example_input, names = [example_input], ["input"]
    xs = [x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in example_input]
    x0 = xs[0]
    floats = {t.data.dtype for t in list(module.parameters()) + list(module.buffers())
              if t.data.dtype.kind == "f"}
    floats.update(x.data.dtype for x in xs if x.dtype.kind == "f")
    if len(floats) > 1:
        raise TypeError(f"export_onnx: the model and input mix dtypes "
                        f"{sorted(str(d) for d in floats)}; an ONNX graph has one float type, "
                        "so cast them first (module.to(np.float32), x.astype(...))")
    dtype = floats.pop() if floats else np.dtype(np.float32)
    ag_classes = {n: c for n, c in _ag_classes().items() if n not in ("ModuleList", "ModuleDict")}
    g = _Graph(onnx, opset, dtype)
    g.names.update(names)

    def emit(m: Any, x: str, xv: Tensor, path: str) -> tuple[str, Tensor]:
        kind = _kind(m, ag_classes, "export_onnx", path)
        if kind == "MultiheadAttention":  # a layer of three inputs and two outputs
            raise TypeError(f"export_onnx: the MultiheadAttention at {path!r} takes (query, "
                            "key, value) and returns (output, weights), so it is no layer of "
                            "a Sequential; export it as the model itself")
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
            if attention:  # self-attention on one input; the attention output only
                qkv = xs * 3 if len(xs) == 1 else xs
                out_name = _emit_attention(g, module, names * 3 if len(xs) == 1 else names,
                                           qkv[0], "")
                reference = np.asarray(module(*qkv, need_weights=False)[0].data)
            else:
                out_name, _ = emit(module, "input", x0, "")
                reference = np.asarray(module(x0).data)
    finally:
        for m, mode in modes:
            m.training = mode
    g.nodes.append(onnx.helper.make_node("Identity", [out_name], ["output"], name="output"))
    elem = onnx.helper.np_dtype_to_tensor_dtype
    # the batch axis: the first, but the second of a sequence-first (L, N, E) attention input
    batch_axis = None if not dynamic_batch or not x0.shape else 0
    if attention:
        batch_axis = None if x0.ndim != 3 or not dynamic_batch else (
            0 if module.batch_first else 1)
    inputs = []
    for name, x in zip(names, xs):
        in_shape: list[Any] = list(x.shape)
        if batch_axis is not None:
            in_shape[batch_axis] = "batch"
        inputs.append(onnx.helper.make_tensor_value_info(name, elem(x.data.dtype), in_shape))
    graph = onnx.helper.make_graph(
        g.nodes, type(module).__name__, inputs,
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
        _check_with_onnxruntime(ort, model, {n: x.data for n, x in zip(names, xs)}, reference,
                                rtol, atol)
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model


def _check_with_onnxruntime(ort: Any, model: Any, feeds: dict[str, np.ndarray],
                            reference: np.ndarray, rtol: float, atol: float) -> None:
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
    (got,) = session.run(["output"], feeds)
    if got.shape != reference.shape or not np.allclose(got, reference, rtol=rtol, atol=atol):
        diff = (np.max(np.abs(got - reference)) if got.shape == reference.shape
                else f"shape {got.shape} vs {reference.shape}")
        raise RuntimeError(f"export_onnx: onnxruntime's output differs from the module's "
                           f"(max abs difference {diff}, rtol={rtol}, atol={atol})")

