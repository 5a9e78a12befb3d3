"""Regression tests for the findings of the pre-release review of the client packages
(nn, optim, data, viz): each test fails on the code before its fix."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.data import DataLoader, Dataset


# ----------------------------------------------------------------------------- containers
def test_sequential_del_renumbers_so_append_keeps_every_module():
    a, b, c, d = nn.Linear(1, 1), nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    s = nn.Sequential(a, b, c)
    del s[0]
    assert list(s._modules.keys()) == ["0", "1"]
    s.append(d)  # used to reuse key "2" and silently drop the Tanh
    assert list(s) == [b, c, d]
    assert [name for name, _ in s.named_children()] == ["0", "1", "2"]
    x = ag.tensor(np.array([[-1.0, 0.5]]), dtype=np.float64)
    np.testing.assert_allclose(s(x).data, 1 / (1 + np.exp(-np.tanh(np.maximum(x.data, 0)))))


def test_sequential_del_slice_renumbers():
    mods = [nn.Identity() for _ in range(5)]
    s = nn.Sequential(*mods)
    del s[1:3]
    assert list(s._modules.keys()) == ["0", "1", "2"]
    assert list(s) == [mods[0], mods[3], mods[4]]


def test_moduledict_from_and_update_with_moduledict():
    relu, tanh = nn.ReLU(), nn.Tanh()
    d = nn.ModuleDict({"a": relu})
    d2 = nn.ModuleDict(d)  # a ModuleDict is not a Mapping: this raised ValueError
    assert list(d2.items()) == [("a", relu)]
    d2.update(nn.ModuleDict({"b": tanh}))
    assert list(d2.keys()) == ["a", "b"] and d2["b"] is tanh


# ----------------------------------------------------------------------------- registration
def test_register_buffer_over_a_parameter_raises_keyerror():
    lin = nn.Linear(2, 3)
    w = lin.weight
    with pytest.raises(KeyError, match="already exists"):
        lin.register_buffer("weight", ag.zeros(3, 2))  # silently dropped the parameter
    assert lin.weight is w and [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    with pytest.raises(KeyError, match="already exists"):
        lin.register_parameter("forward", None)
    with pytest.raises(KeyError, match="already exists"):
        lin.add_module("bias", nn.ReLU())
    # re-registering under the same kind still replaces, as PyTorch
    lin.register_parameter("bias", None)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    bn = nn.BatchNorm1d(2)
    bn.register_buffer("running_mean", ag.ones(2))
    np.testing.assert_array_equal(bn.running_mean.data, 1.0)
    # attribute assignment still moves a name between kinds (PyTorch's __setattr__)
    lin.bias = nn.Parameter(np.zeros(3))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


# ----------------------------------------------------------------------------- init
def test_zero_element_linear_builds_and_kaiming_is_a_noop_with_warning():
    with pytest.warns(UserWarning, match="zero-element"):
        lin = nn.Linear(0, 3)  # used to raise ZeroDivisionError in kaiming_uniform_
    assert lin.weight.shape == (3, 0)
    out = lin(ag.ones(2, 0))
    assert out.shape == (2, 3)
    t = ag.zeros(0, 4)
    with pytest.warns(UserWarning, match="zero-element"):
        assert nn.init.kaiming_normal_(t) is t
    # non-empty tensors are still initialised with the PyTorch bound 1/sqrt(fan_in)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lin = nn.Linear(8, 64)
    assert np.abs(lin.weight.data).max() <= 1 / math.sqrt(8)


# ----------------------------------------------------------------------------- conv
def test_conv2d_same_padding_with_stride_is_refused_at_construction():
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    c = nn.Conv2d(1, 2, 3, padding="same")
    assert "padding=same" in repr(c)  # PyTorch's repr (no quotes)
    assert c(ag.ones(1, 1, 5, 5)).shape == (1, 2, 5, 5)


# ----------------------------------------------------------------------------- losses
def test_gaussian_nll_scalar_var_keeps_the_input_precision():
    rng = np.random.default_rng(0)
    mu, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    for var in (0.3, 1e-3, 2):
        for full in (False, True):
            got = F.gaussian_nll_loss(ag.tensor(mu, dtype=np.float64),
                                      ag.tensor(y, dtype=np.float64), var, full=full)
            ref = (0.5 * (np.log(var) + (mu - y) ** 2 / var)
                   + (0.5 * math.log(2 * math.pi) if full else 0.0)).mean()
            assert got.dtype == np.float64
            assert abs(got.item() - ref) <= 1e-14 * max(1.0, abs(ref))  # was ~1e-8 (float32)
    # float32 input with a float var: float32 result
    got = F.gaussian_nll_loss(ag.tensor(mu.astype(np.float32)), ag.tensor(y.astype(np.float32)),
                              0.3)
    assert got.dtype == np.float32


# ----------------------------------------------------------------------------- data
class _ScalarSamples(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> tuple:
        return np.float64(i) / 3, np.int32(i), float(i)


def test_default_collate_keeps_numpy_scalar_dtypes():
    xb, ib, fb = next(iter(DataLoader(_ScalarSamples(), batch_size=4)))
    assert xb.dtype == np.float64  # was the default float32
    np.testing.assert_array_equal(xb.data, np.arange(4, dtype=np.float64) / 3)
    assert ib.dtype == np.int32
    assert fb.dtype == ag.get_default_dtype()  # Python floats: the library's default


class _NamedSamples(Dataset):
    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> tuple:
        return np.full(2, i, dtype=np.float32), f"img{i}.png"


def test_default_collate_keeps_strings_as_a_list():
    batches = list(DataLoader(_NamedSamples(), batch_size=2))
    assert [b[1] for b in batches] == [["img0.png", "img1.png"], ["img2.png"]]  # was TypeError
    assert batches[0][0].shape == (2, 2)
