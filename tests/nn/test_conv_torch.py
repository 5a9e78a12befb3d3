"""Grouped/dilated conv2d, conv_transpose2d, pooling with ceil_mode/dilation/indices and
interpolate: values and gradients against PyTorch (skipped without torch), gradcheck and
gradgradcheck in float64, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(*arrays):
    """The arrays as float64 autograd_lite and torch leaves requiring grad."""
    a = [ag.tensor(x, dtype=np.float64, requires_grad=True) for x in arrays]
    t = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in arrays]
    return a, t


def _compare(f_ag, f_t, arrays, atol=1e-10):
    """Forward values and the gradients of sum(out * r) of every input agree with torch."""
    a, t = _both(*arrays)
    ya, yt = f_ag(*a), f_t(*t)
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), atol=atol, rtol=1e-9)
    r = np.random.default_rng(1).normal(size=ya.shape)
    (ya * ag.tensor(r)).sum().backward()
    (yt * torch.tensor(r)).sum().backward()
    for xa, xt in zip(a, t):
        np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), atol=atol, rtol=1e-9)


CONV = [  # (x shape, w shape, kwargs)
    ((2, 4, 7, 6), (6, 2, 3, 2), dict(groups=2)),
    ((1, 4, 8, 8), (4, 1, 3, 3), dict(groups=4, padding=1)),  # depthwise
    ((2, 3, 9, 8), (2, 3, 3, 3), dict(dilation=2)),
    ((1, 6, 11, 10), (6, 2, 3, 2), dict(groups=3, dilation=(2, 3), stride=(2, 1),
                                        padding=(1, 2))),
    ((1, 2, 7, 7), (4, 1, 3, 3), dict(groups=2, dilation=2, padding="same")),
    ((2, 3, 6, 5), (4, 3, 2, 3), dict(stride=2, padding=1)),  # groups=1, dilation=1
]


@pytest.mark.parametrize("xs, ws, kw", CONV)
def test_conv2d_groups_dilation_match_torch(xs, ws, kw):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[:1])
    _compare(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             [x, w, b])


@pytest.mark.parametrize("xs, ws, kw", CONV[:4])
def test_conv2d_groups_dilation_gradgradcheck(xs, ws, kw):
    rng = np.random.default_rng(2)
    xs = (1,) + xs[1:]
    x = ag.tensor(rng.normal(size=xs), requires_grad=True)
    w = ag.tensor(rng.normal(size=ws), requires_grad=True)
    f = lambda x, w: F.conv2d(x, w, **kw)  # noqa: E731
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


def test_conv2d_module_groups_dilation():
    m = nn.Conv2d(4, 6, 3, groups=2, dilation=2, padding=2, bias=True)
    assert m.weight.shape == (6, 2, 3, 3)
    x = np.random.default_rng(0).normal(size=(1, 4, 8, 8))
    tm = torch.nn.Conv2d(4, 6, 3, groups=2, dilation=2, padding=2).double()
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(m.weight.data))
        tm.bias.copy_(torch.tensor(m.bias.data))
    np.testing.assert_allclose(m(ag.tensor(x)).data, tm(torch.tensor(x)).detach().numpy(),
                               atol=1e-5)
    assert "groups=2" in repr(m) and "dilation=(2, 2)" in repr(m)
    bound = 1 / np.sqrt(2 * 9)  # PyTorch's init: fan_in = C_in / groups * kh * kw
    assert np.abs(m.bias.data).max() <= bound


def test_conv2d_groups_dilation_errors():
    x = ag.randn(1, 4, 6, 6)
    with pytest.raises(ValueError, match="^conv2d: input has 4 channels"):
        F.conv2d(x, ag.randn(6, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="^conv2d: out_channels 3"):
        F.conv2d(x, ag.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="^conv2d: groups"):
        F.conv2d(x, ag.randn(4, 4, 3, 3), groups=0)
    with pytest.raises(ValueError, match="^conv2d: kernel"):
        F.conv2d(x, ag.randn(4, 4, 3, 3), dilation=3)
    with pytest.raises(ValueError, match="^conv2d: dilation"):
        F.conv2d(x, ag.randn(4, 4, 3, 3), dilation=0)
    with pytest.raises(ValueError, match="^Conv2d: in_channels"):
        nn.Conv2d(4, 6, 3, groups=4)


CONVT = [  # (x shape, w shape, kwargs)
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((1, 4, 3, 4), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((2, 2, 4, 4), (2, 3, 2, 3), dict(stride=(2, 3), output_padding=(1, 2), dilation=(2, 1))),
    ((1, 6, 3, 3), (6, 1, 3, 3), dict(groups=6, stride=2, padding=(0, 1), dilation=2)),
]


@pytest.mark.parametrize("xs, ws, kw", CONVT)
def test_conv_transpose2d_matches_torch(xs, ws, kw):
    rng = np.random.default_rng(3)
    g = kw.get("groups", 1)
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=(ws[1] * g,))
    _compare(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize("xs, ws, kw", CONVT)
def test_conv_transpose2d_gradgradcheck(xs, ws, kw):
    rng = np.random.default_rng(4)
    x = ag.tensor(rng.normal(size=(1,) + xs[1:]), requires_grad=True)
    w = ag.tensor(rng.normal(size=ws), requires_grad=True)
    f = lambda x, w: F.conv_transpose2d(x, w, **kw)  # noqa: E731
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(2, 4, 7, 8)), rng.normal(size=(2, 6, 4, 4))
    w = rng.normal(size=(6, 2, 3, 3))
    kw = dict(stride=2, padding=1, groups=2, dilation=1)
    lhs = (F.conv2d(ag.tensor(x), ag.tensor(w), **kw).data * y).sum()
    rhs = (x * F.conv_transpose2d(ag.tensor(y), ag.tensor(w), output_padding=(0, 1),
                                  **kw).data).sum()
    assert np.isclose(lhs, rhs)


def test_conv_transpose2d_module_and_errors():
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert m.weight.shape == (4, 3, 3, 3) and m.bias.shape == (6,)
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 5))
    tm = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                  groups=2).double()
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(m.weight.data))
        tm.bias.copy_(torch.tensor(m.bias.data))
    ya = m(ag.tensor(x))
    assert ya.shape == (2, 6, 10, 10)
    np.testing.assert_allclose(ya.data, tm(torch.tensor(x)).detach().numpy(), atol=1e-5)
    assert m(ag.randn(4, 5, 5)).shape == (6, 10, 10)
    with pytest.raises(ValueError, match="^conv_transpose2d: output_padding"):
        F.conv_transpose2d(ag.randn(1, 2, 3, 3), ag.randn(2, 2, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match="^conv_transpose2d: input has 3 channels"):
        F.conv_transpose2d(ag.randn(1, 3, 3, 3), ag.randn(2, 2, 3, 3))
    with pytest.raises(ValueError, match="^conv_transpose2d: in_channels 3"):
        F.conv_transpose2d(ag.randn(1, 3, 3, 3), ag.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="^ConvTranspose2d: "):
        nn.ConvTranspose2d(3, 4, 3, groups=2)


def test_grouped_dilated_layers_convert_to_torch_and_onnx():
    from autograd_lite import interop
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=2, dilation=2, groups=2), nn.ReLU(),
                          nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1,
                                             groups=2),
                          nn.MaxPool2d(3, stride=2, dilation=2, ceil_mode=True))
    x = np.random.default_rng(0).normal(size=(2, 2, 7, 7)).astype(np.float32)
    want = model(ag.tensor(x)).data
    tm = interop.to_torch(model)
    np.testing.assert_allclose(tm(torch.tensor(x)).detach().numpy(), want, atol=1e-5)
    back = interop.from_torch(tm)
    np.testing.assert_allclose(back(ag.tensor(x)).data, want, atol=1e-5)
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    interop.export_onnx(model, ag.tensor(x), None)  # checked against onnxruntime's output
