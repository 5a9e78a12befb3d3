"""Catalog rows (fuzz-only, like the other ``F.<name>`` rows) for the nn ops of issue 15:
grouped/dilated ``F.conv2d``, ``F.conv_transpose2d``, pooling with ``ceil_mode``/``dilation``/
``return_indices``, ``F.interpolate`` and ``F.scaled_dot_product_attention``.

Appended to ``tests.ops.op_catalog.ROWS`` (one line there). Their values and gradients
against PyTorch, gradgradcheck and error messages are tested in tests/nn/test_conv_torch.py,
tests/nn/test_pool_interp_torch.py and tests/nn/test_attention.py.
"""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import autograd_lite.nn.functional as F
from tests.ops import fuzz_draws as D
from tests.ops.op_catalog import OpRow, distinct


def _nchw(data: Any, channels: int) -> tuple:
    """An NCHW shape with ``channels`` channels (a wrong rank or an empty image now and
    then)."""
    xs, _ = D.nchw(data, max_hw=5)
    if len(xs) == 4:
        xs = (xs[0], channels) + xs[2:]
    return xs


def conv_groups(data: Any) -> tuple:
    g = data.draw(st.sampled_from([1, 2, 2, 3]))
    cg, og = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    c = g * cg + (1 if data.draw(st.integers(0, 9)) == 0 else 0)  # a channel mismatch
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)))
    shapes = [_nchw(data, c), (g * og, cg) + k]
    if data.draw(st.booleans()):
        shapes.append((g * og,))
    kw = {"stride": data.draw(st.sampled_from([1, 2, (1, 2)])),
          "padding": data.draw(st.sampled_from([0, 1, (1, 0)])),
          "dilation": data.draw(st.sampled_from([1, 2, (2, 1), 0])),
          "groups": g if data.draw(st.integers(0, 9)) else data.draw(st.sampled_from([0, 4]))}
    return tuple(shapes), kw


def conv_transpose(data: Any) -> tuple:
    g = data.draw(st.sampled_from([1, 1, 2]))
    cg, og = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    c = g * cg + (1 if data.draw(st.integers(0, 9)) == 0 else 0)
    shapes = [_nchw(data, c), (g * cg, og) + k]
    if data.draw(st.booleans()):
        shapes.append((g * og,))
    stride = data.draw(st.sampled_from([1, 2, (2, 1)]))
    kw = {"stride": stride, "padding": data.draw(st.sampled_from([0, 1, (0, 1), 3])),
          "output_padding": data.draw(st.sampled_from([0, 0, 1])),
          "groups": g, "dilation": data.draw(st.sampled_from([1, 2]))}
    return tuple(shapes), kw


def pool_ceil(data: Any) -> tuple:
    (xs,), kw = D.pool(data)
    kw["ceil_mode"] = data.draw(st.booleans())
    return (xs,), kw


def max_pool_ceil(data: Any) -> tuple:
    (xs,), kw = pool_ceil(data)
    kw["dilation"] = data.draw(st.sampled_from([1, 2, (1, 2), 0]))
    return (xs,), kw


def avg_pool_ceil(data: Any) -> tuple:
    (xs,), kw = pool_ceil(data)
    kw["count_include_pad"] = data.draw(st.booleans())
    return (xs,), kw


def interpolate(data: Any) -> tuple:
    xs, _ = D.nchw(data)
    mode = data.draw(st.sampled_from(["nearest", "bilinear"]))
    kw: dict = {"mode": mode}
    if data.draw(st.booleans()):
        kw["size"] = data.draw(st.sampled_from([1, 3, (2, 5), (4, 1), 0]))
    else:
        kw["scale_factor"] = data.draw(st.sampled_from([2, 0.5, (1.5, 0.7), 3.0, -1.0]))
    if mode == "bilinear" and data.draw(st.booleans()):
        kw["align_corners"] = data.draw(st.booleans())
    return (xs,), kw


def attention(data: Any) -> tuple:
    lead = data.draw(st.sampled_from([(), (2,), (1, 2), (2, 1)]))
    lq, s, e, ev = (data.draw(st.integers(1, 3)) for _ in range(4))
    shapes = [lead + (lq, e), lead + (s, e), lead + (s, ev)]
    if data.draw(st.integers(0, 9)) == 0:  # mismatched embedding
        shapes[1] = lead + (s, e + 1)
    kw = {"is_causal": data.draw(st.booleans()),
          "scale": data.draw(st.sampled_from([None, None, 0.5]))}
    return tuple(shapes), kw


def _max_pool_values(x: Any, **kw: Any) -> Any:
    return F.max_pool2d(x, **kw, return_indices=True)[0]


ROWS = [
    OpRow("F.conv2d_groups", F.conv2d, op="F.conv2d", draw=conv_groups),
    OpRow("F.conv_transpose2d", F.conv_transpose2d, draw=conv_transpose),
    OpRow("F.max_pool2d_ceil", F.max_pool2d, op="F.max_pool2d", domain=distinct,
          draw=max_pool_ceil),
    OpRow("F.max_pool2d_indices", _max_pool_values, op="F.max_pool2d", domain=distinct,
          draw=max_pool_ceil),
    OpRow("F.avg_pool2d_ceil", F.avg_pool2d, op="F.avg_pool2d", draw=avg_pool_ceil),
    OpRow("F.interpolate", F.interpolate, draw=interpolate),
    OpRow("F.scaled_dot_product_attention", F.scaled_dot_product_attention, draw=attention),
]
