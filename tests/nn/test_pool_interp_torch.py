"""max/avg pooling with ceil_mode, dilation and return_indices, and F.interpolate (nearest,
bilinear): values and gradients against PyTorch (skipped without torch), gradgradcheck, and
the errors."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.testing import gradcheck, gradgradcheck
from tests.nn.test_conv_torch import _compare

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _distinct(shape, seed=0):
    """Values without ties (max pooling's gradient is then unambiguous)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.1 - n * 0.05).reshape(shape)


MAXPOOL = [
    ((2, 2, 7, 7), dict(kernel_size=2, ceil_mode=True)),
    ((1, 3, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 9, 9), dict(kernel_size=3, stride=1, dilation=2)),
    ((2, 1, 10, 9), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 3),
                         ceil_mode=True)),
    ((1, 2, 5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 1, 6), dict(kernel_size=2, stride=(2, 3), ceil_mode=True)),  # a partial window
]


@pytest.mark.parametrize("xs, kw", MAXPOOL)
def test_max_pool2d_matches_torch(xs, kw):
    _compare(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [_distinct(xs)])


@pytest.mark.parametrize("xs, kw", MAXPOOL)
def test_max_pool2d_indices_match_torch(xs, kw):
    x = _distinct(xs, 1)
    out, idx = F.max_pool2d(ag.tensor(x), **kw, return_indices=True)
    to, ti = TF.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(out.data, to.numpy())
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.data, ti.numpy())
    m_out, m_idx = nn.MaxPool2d(**kw, return_indices=True)(ag.tensor(x[0]))  # unbatched
    np.testing.assert_array_equal(m_idx.data, ti.numpy()[0])


AVGPOOL = [
    ((2, 2, 7, 7), dict(kernel_size=2, ceil_mode=True)),
    ((1, 3, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 3, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((1, 2, 6, 5), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1),
                        count_include_pad=False)),
    ((1, 2, 5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    ((1, 1, 6, 6), dict(kernel_size=3, stride=2, ceil_mode=True, divisor_override=2)),
    ((2, 2, 1, 6), dict(kernel_size=2, stride=(2, 3), ceil_mode=True)),  # a partial window
]


@pytest.mark.parametrize("xs, kw", AVGPOOL)
def test_avg_pool2d_matches_torch(xs, kw):
    x = np.random.default_rng(2).normal(size=xs)
    _compare(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), [x])
    y = nn.AvgPool2d(**kw)(ag.tensor(x))
    np.testing.assert_allclose(y.data, TF.avg_pool2d(torch.tensor(x), **kw).numpy())


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_ceil_mode_dilation_gradgradcheck(kind):
    x = ag.tensor(_distinct((1, 1, 5, 5)), requires_grad=True)
    if kind == "max":
        f = lambda x: F.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True)  # noqa: E731
    else:
        f = lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True,  # noqa: E731
                                   count_include_pad=False)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_pool_errors():
    x = ag.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="^max_pool2d: kernel_size, stride and dilation"):
        F.max_pool2d(x, 2, dilation=0)
    with pytest.raises(ValueError, match="^max_pool2d: kernel_size"):
        F.max_pool2d(x, 3, dilation=2)  # span 5 > 4
    with pytest.raises(ValueError, match="^avg_pool2d: padding"):
        F.avg_pool2d(x, 2, padding=2, ceil_mode=True)


INTERP = [
    ((1, 2, 4, 5), dict(size=(7, 3))),
    ((2, 1, 3, 4), dict(scale_factor=2)),
    ((1, 1, 5, 7), dict(scale_factor=(0.5, 1.7))),
    ((1, 2, 3, 3), dict(size=5, mode="bilinear")),
    ((1, 2, 3, 3), dict(size=5, mode="bilinear", align_corners=True)),
    ((2, 1, 6, 5), dict(size=(4, 3), mode="bilinear")),
    ((1, 1, 4, 5), dict(scale_factor=(1.5, 0.6), mode="bilinear")),
    ((1, 1, 4, 5), dict(scale_factor=2.5, mode="bilinear", align_corners=True)),
    ((1, 1, 1, 4), dict(size=(3, 1), mode="bilinear", align_corners=True)),
    ((1, 1, 3, 4), dict(scale_factor=(2.3, 1.6), recompute_scale_factor=True)),
    # an axis whose size does not change is copied, OH = 2 H takes row i // 2 (torch's
    # shortcuts, whatever the scale)
    ((1, 2, 2, 3), dict(scale_factor=1.3)),
    ((1, 1, 3, 4), dict(scale_factor=(1.3, 1.45), mode="bilinear")),
    ((1, 1, 3, 2), dict(scale_factor=(2.01, 1.0))),
    ((1, 1, 3, 4), dict(scale_factor=(2.3, 1.6), mode="bilinear", recompute_scale_factor=True)),
]


@pytest.mark.parametrize("xs, kw", INTERP)
def test_interpolate_matches_torch(xs, kw):
    x = np.random.default_rng(3).normal(size=xs)
    _compare(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), [x])


@pytest.mark.parametrize("kw", [dict(size=(5, 3)), dict(scale_factor=1.5, mode="bilinear"),
                                dict(size=(2, 5), mode="bilinear", align_corners=True)])
def test_interpolate_gradgradcheck(kw):
    x = ag.tensor(np.random.default_rng(4).normal(size=(1, 2, 3, 4)), requires_grad=True)
    f = lambda x: F.interpolate(x, **kw) ** 2  # noqa: E731 - squared: a non-zero 2nd derivative
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_interpolate_float32_and_errors():
    x = ag.randn(1, 1, 3, 3, dtype=np.float32)
    assert F.interpolate(x, scale_factor=2, mode="bilinear").dtype == np.float32
    with pytest.raises(ValueError, match="^interpolate: exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="^interpolate: exactly one"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="^interpolate: expected a 4-d"):
        F.interpolate(ag.randn(3, 3), size=2)
    with pytest.raises(ValueError, match="^interpolate: align_corners"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="^interpolate: mode 'bicubic'"):
        F.interpolate(x, size=2, mode="bicubic")
