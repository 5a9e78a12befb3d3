"""Conv2d / MaxPool2d / AvgPool2d against straightforward loop implementations, forward and
backward; gradcheck and double backward of the engine kernels."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.testing import gradcheck, gradgradcheck
from tests.nn.helpers import f64, gradcheck_module


# ----------------------------------------------------------------------------- loop references
def _pad(x, ph, pw, value=0.0):
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def loop_conv(x, w, b, stride, padding):
    """y[n,o,i,j] = b[o] + sum_{c,p,q} xpad[n,c,i*s+p,j*s+q] w[o,c,p,q]; and its adjoints."""
    (sh, sw), (ph, pw) = stride, padding
    xp = _pad(x, ph, pw)
    n, c, hp, wp = xp.shape
    o, _, kh, kw = w.shape
    oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for a in range(n):
        for f in range(o):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[a, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[a, f, i, j] = np.sum(patch * w[f]) + (b[f] if b is not None else 0)
    return y


def loop_conv_grads(x, w, g, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    xp = _pad(x, ph, pw)
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    o, _, kh, kw = w.shape
    n, _, oh, ow = g.shape
    for a in range(n):
        for f in range(o):
            for i in range(oh):
                for j in range(ow):
                    sl = (a, slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
                    gxp[sl] += g[a, f, i, j] * w[f]
                    gw[f] += g[a, f, i, j] * xp[sl]
    gx = gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
    return gx, gw, g.sum(axis=(0, 2, 3))


def loop_pool(x, k, s, p, kind):
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    xp = _pad(x, ph, pw, -np.inf if kind == "max" else 0.0)
    n, c, hp, wp = xp.shape
    oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    y = np.zeros((n, c, oh, ow))
    arg = {}
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    win = xp[a, ch, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    if kind == "max":
                        r, q = np.unravel_index(np.argmax(win), win.shape)
                        y[a, ch, i, j] = win[r, q]
                        arg[a, ch, i, j] = (i * sh + r - ph, j * sw + q - pw)
                    else:
                        y[a, ch, i, j] = win.mean()
    return y, arg


def loop_pool_grad(x, g, k, s, p, kind, arg):
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    gx = np.zeros_like(x)
    gxp = _pad(np.zeros_like(x), ph, pw)
    n, c, oh, ow = g.shape
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    if kind == "max":
                        r, q = arg[a, ch, i, j]
                        gx[a, ch, r, q] += g[a, ch, i, j]
                    else:
                        gxp[a, ch, i * sh:i * sh + kh, j * sw:j * sw + kw] += \
                            g[a, ch, i, j] / (kh * kw)
    if kind == "avg":
        gx = gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
    return gx


CONV_CASES = [  # (N, C, H, W), (O, kh, kw), stride, padding
    ((2, 1, 5, 5), (3, 3, 3), (1, 1), (0, 0)),
    ((2, 3, 6, 7), (4, 3, 2), (1, 1), (1, 1)),
    ((1, 2, 7, 6), (2, 3, 3), (2, 2), (1, 1)),
    ((3, 2, 8, 8), (5, 2, 2), (2, 1), (0, 1)),
    ((1, 4, 5, 9), (2, 1, 3), (3, 2), (2, 0)),
]


@pytest.mark.parametrize("xs, ws, stride, padding", CONV_CASES)
def test_conv2d_matches_loop_forward_and_backward(xs, ws, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ws[0], xs[1], ws[1], ws[2]))
    b = rng.standard_normal(ws[0])
    xt, wt, bt = f64(x), f64(w), f64(b)
    y = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    ref = loop_conv(x, w, b, stride, padding)
    np.testing.assert_allclose(y.data, ref, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(ref.shape)
    y.backward(ag.tensor(g, dtype=np.float64))
    gx, gw, gb = loop_conv_grads(x, w, g, stride, padding)
    np.testing.assert_allclose(xt.grad.data, gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wt.grad.data, gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bt.grad.data, gb, rtol=1e-12, atol=1e-12)


POOL_CASES = [  # (N, C, H, W), kernel, stride, padding
    ((2, 3, 6, 6), (2, 2), None, (0, 0)),
    ((1, 2, 7, 5), (3, 3), (2, 2), (1, 1)),
    ((2, 1, 5, 8), (2, 3), (1, 2), (1, 0)),
    ((1, 2, 6, 6), (3, 2), (3, 1), (0, 1)),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs, k, s, p", POOL_CASES)
def test_pooling_matches_loop_forward_and_backward(kind, xs, k, s, p):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xs)
    xt = f64(x)
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = fn(xt, k, s, p)
    ref, arg = loop_pool(x, k, s or k, p, kind)
    np.testing.assert_allclose(y.data, ref, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(ref.shape)
    y.backward(ag.tensor(g, dtype=np.float64))
    np.testing.assert_allclose(xt.grad.data, loop_pool_grad(x, g, k, s or k, p, kind, arg),
                               rtol=1e-12, atol=1e-12)


def test_avg_pool_count_include_pad_false_and_divisor_override():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y = F.avg_pool2d(f64(x), 3, 1, 1, count_include_pad=False)
    # corner window sees 4 real elements
    assert y.data[0, 0, 0, 0] == pytest.approx((0 + 1 + 4 + 5) / 4)
    assert y.data[0, 0, 1, 1] == pytest.approx(x[0, 0, 0:3, 0:3].mean())
    y2 = F.avg_pool2d(f64(x), 2, divisor_override=1)
    np.testing.assert_allclose(y2.data[0, 0], [[10, 18], [42, 50]])


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((1, 2), (0, 1))])
def test_conv2d_gradcheck_and_double_backward(stride, padding):
    rng = np.random.default_rng(2)
    x, w, b = f64(rng.standard_normal((2, 2, 5, 4))), f64(rng.standard_normal((3, 2, 2, 3))), \
        f64(rng.standard_normal(3))
    fn = lambda x, w, b: F.conv2d(x, w, b, stride, padding)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_gradcheck_and_double_backward(kind):
    rng = np.random.default_rng(3)
    x = f64(rng.standard_normal((2, 2, 5, 6)))
    fn = (lambda x: F.max_pool2d(x, 2, 1, 1)) if kind == "max" else \
        (lambda x: F.avg_pool2d(x, 3, 2, 1))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_conv_layers_gradcheck_wrt_input_and_params():
    ag.manual_seed(0)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 5, 5))
    assert gradcheck_module(nn.Conv2d(2, 3, 3, stride=2, padding=1), x)
    assert gradcheck_module(nn.Conv2d(2, 2, (2, 3), bias=False), x)
    assert gradcheck_module(nn.Conv2d(2, 2, 3, padding="same"), x)
    assert gradcheck_module(nn.MaxPool2d(2), x)
    assert gradcheck_module(nn.AvgPool2d(3, stride=1, padding=1), x)


def test_conv_shapes_errors_and_unbatched():
    conv = nn.Conv2d(3, 4, 3)
    assert conv.weight.shape == (4, 3, 3, 3) and conv.bias.shape == (4,)
    assert conv(ag.randn(2, 3, 8, 8)).shape == (2, 4, 6, 6)
    assert conv(ag.randn(3, 8, 8)).shape == (4, 6, 6)
    assert nn.Conv2d(1, 1, 3, padding="same")(ag.randn(1, 1, 5, 5)).shape == (1, 1, 5, 5)
    with pytest.raises(ValueError, match="channels"):
        conv(ag.randn(2, 2, 8, 8))
    with pytest.raises(ValueError, match="larger"):
        conv(ag.randn(1, 3, 2, 2))
    assert nn.MaxPool2d(2)(ag.randn(1, 1, 5, 5)).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match="4-d"):
        nn.MaxPool2d(2)(ag.randn(5, 5))


def test_maxpool_ties_send_gradient_once():
    x = f64(np.ones((1, 1, 2, 2)))
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.data.sum() == 1.0


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def test_conv2d_same_padding_with_stride_is_refused_at_construction():
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    c = nn.Conv2d(1, 2, 3, padding="same")
    assert "padding=same" in repr(c)  # PyTorch's repr (no quotes)
    assert c(ag.ones(1, 1, 5, 5)).shape == (1, 2, 5, 5)
