"""Layers and activations: gradcheck (float64) wrt input and every parameter, PyTorch
conventions (shapes, default init, BatchNorm statistics, dropout scaling), erf accuracy."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.testing import gradcheck, gradgradcheck
from tests.nn.helpers import f64, gradcheck_module

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Linear(3, 2), (4, 3)),
    (lambda: nn.Linear(3, 2, bias=False), (3,)),
    (lambda: nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)), (2, 3)),
    (lambda: nn.Residual(nn.Sequential(nn.Linear(3, 3), nn.Sigmoid())), (2, 3)),
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(2), (4, 2, 3)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2)),
    (lambda: nn.BatchNorm2d(2).eval(), (3, 2, 2, 2)),
    (lambda: nn.Flatten(), (2, 3, 2)),
    (lambda: nn.Identity(), (2, 3)),
    (lambda: nn.Dropout(0.5).eval(), (2, 3)),
    (lambda: nn.ReLU(), (3, 4)),
    (lambda: nn.LeakyReLU(0.2), (3, 4)),
    (lambda: nn.Sigmoid(), (3, 4)),
    (lambda: nn.Tanh(), (3, 4)),
    (lambda: nn.Softplus(), (3, 4)),
    (lambda: nn.Softplus(beta=2.0, threshold=3.0), (3, 4)),
    (lambda: nn.GELU(), (3, 4)),
    (lambda: nn.GELU(approximate="tanh"), (3, 4)),
    (lambda: nn.Softmax(dim=1), (3, 4)),
    (lambda: nn.LogSoftmax(dim=0), (3, 4)),
])
def test_layer_gradcheck_wrt_input_and_params(make, shape):
    ag.manual_seed(1)
    m = make()
    x = RNG.standard_normal(shape) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences off relu's kink
    assert gradcheck_module(m, x)


def test_embedding_gradcheck_and_padding_idx():
    ag.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert np.all(emb.weight.data[1] == 0)
    idx = np.array([[0, 1, 4], [4, 4, 2]])
    assert gradcheck_module(nn.Embedding(5, 3), idx)
    emb.zero_grad()
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[:, 0], [1, 0, 1, 0, 3])
    with pytest.raises(ValueError, match="out of range"):
        emb(np.array([5]))
    with pytest.raises(TypeError, match="integer"):
        emb(ag.tensor([0.5]))


def test_functional_double_backward():
    x = f64(RNG.standard_normal((3, 4)))
    for fn in (F.gelu, lambda t: F.gelu(t, approximate="tanh"), F.softplus, F.erf,
               lambda t: F.leaky_relu(t, 0.1), lambda t: F.layer_norm(t, (4,)),
               lambda t: F.batch_norm(t, None, None, training=True)):
        assert gradgradcheck(fn, (x,))


def test_linear_default_init_matches_pytorch_bounds_and_seed():
    ag.manual_seed(123)
    a = nn.Linear(50, 40)
    ag.manual_seed(123)
    b = nn.Linear(50, 40)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.shape == (40, 50) and a.weight.dtype == np.float32
    bound = 1 / math.sqrt(50)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.bias.data).max() <= bound
    assert np.abs(a.weight.data).max() > 0.9 * bound
    # U(-c, c) has variance c^2 / 3
    assert np.var(a.weight.data) == pytest.approx(bound ** 2 / 3, rel=0.1)
    c = nn.Conv2d(3, 8, 5)
    assert np.abs(c.weight.data).max() <= 1 / math.sqrt(75)
    e = nn.Embedding(1000, 10)
    assert np.std(e.weight.data) == pytest.approx(1.0, rel=0.05)


def test_linear_matches_formula_and_shapes():
    lin = nn.Linear(3, 2).double()
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(lin(f64(x, False)).data, x @ lin.weight.data.T + lin.bias.data)
    with pytest.raises(ValueError, match="does not match"):
        lin(ag.randn(5, 4))


def test_batchnorm_conventions():
    bn = nn.BatchNorm1d(3).double()
    x = RNG.standard_normal((8, 3)) * 3 + 1
    y = bn(f64(x, False))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y.data, (x - mean) / np.sqrt(var + 1e-5), atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * mean)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * x.var(0, ddof=1))
    assert int(bn.num_batches_tracked.data) == 1
    bn.eval()
    y2 = bn(f64(x, False))
    np.testing.assert_allclose(y2.data, (x - bn.running_mean.data)
                               / np.sqrt(bn.running_var.data + 1e-5))
    assert int(bn.num_batches_tracked.data) == 1
    # 2d: statistics over N, H, W; momentum=None gives the cumulative average
    bn2 = nn.BatchNorm2d(2, momentum=None).double()
    xs = [RNG.standard_normal((4, 2, 3, 3)) for _ in range(3)]
    for xi in xs:
        bn2(f64(xi, False))
    np.testing.assert_allclose(bn2.running_mean.data,
                               np.mean([xi.mean((0, 2, 3)) for xi in xs], axis=0))
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3)(ag.randn(1, 3))
    with pytest.raises(ValueError, match="expected 4D"):
        nn.BatchNorm2d(3)(ag.randn(4, 3))
    assert "running_var" in bn.state_dict()


def test_layer_norm_formula():
    ln = nn.LayerNorm(4).double()
    x = RNG.standard_normal((3, 4))
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(ln(f64(x, False)).data, (x - m) / np.sqrt(v + 1e-5))
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(ag.randn(3, 5))


def test_dropout_scaling_seed_and_eval():
    d = nn.Dropout(0.25)
    x = ag.ones(200, 50)
    ag.manual_seed(7)
    y1 = d(x)
    ag.manual_seed(7)
    y2 = d(x)
    np.testing.assert_array_equal(y1.data, y2.data)
    vals = np.unique(y1.data)
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75], rtol=1e-6)
    assert (y1.data == 0).mean() == pytest.approx(0.25, abs=0.02)
    d.eval()
    assert d(x) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    with pytest.raises(ValueError):
        nn.Dropout(1.5)
    # gradient flows only through kept units, scaled
    xt = f64(np.ones((4, 5)))
    ag.manual_seed(3)
    y = F.dropout(xt, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(xt.grad.data, y.data)


def test_activation_formulas():
    x = RNG.standard_normal(50) * 3
    t = f64(x, False)
    np.testing.assert_allclose(F.relu(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(F.leaky_relu(t).data, np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(F.sigmoid(t).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.softplus(t).data, np.log1p(np.exp(x)))
    np.testing.assert_allclose(F.softplus(t, beta=2).data, np.log1p(np.exp(2 * x)) / 2)
    erf = np.array([math.erf(v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(F.gelu(t).data, 0.5 * x * (1 + erf), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(
        F.gelu(t, approximate="tanh").data,
        0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))
    # softplus is linear above the threshold, finite for huge inputs, exact gradient at 0
    big = f64([1e4, -1e4, 0.0])
    sp = F.softplus(big)
    sp.sum().backward()
    np.testing.assert_allclose(sp.data, [1e4, 0.0, math.log(2)])
    np.testing.assert_allclose(big.grad.data, [1.0, 0.0, 0.5])
    with pytest.raises(ValueError):
        F.gelu(t, approximate="fast")


def test_erf_accuracy_against_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 30, 2000),
                        -np.geomspace(1e-300, 30, 2000), [0.0, np.inf, -np.inf]])
    ref = np.array([math.erf(v) for v in x])
    got = F.erf(f64(x, False)).data
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=0)
    assert np.isnan(F.erf(f64([np.nan], False)).data[0])
    assert F.erf(ag.tensor([0.5])).dtype == np.float32
    # derivative 2/sqrt(pi) exp(-x^2)
    xt = f64([0.3, -1.2, 2.0])
    F.erf(xt).sum().backward()
    np.testing.assert_allclose(xt.grad.data, 2 / math.sqrt(math.pi) * np.exp(-xt.data ** 2))


def test_softmax_default_dim_warns_like_pytorch():
    x = ag.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.data.sum(1), 1, rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).data.sum(0), 1, rtol=1e-6)


def _seeded_dropout(x):
    ag.manual_seed(11)  # the same mask on every call gradcheck makes
    return F.dropout(x, 0.3)


_R = np.random.default_rng(5)
_IDX = np.array([[0, 2], [3, 3]])
# one row per functional op: (name, f, float64 inputs)
FUNCTIONAL = [
    ("linear", lambda x, w, b: F.linear(x, w, b),
     (_R.standard_normal((3, 4)), _R.standard_normal((2, 4)), _R.standard_normal(2))),
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
     (_R.standard_normal((2, 2, 5, 5)), _R.standard_normal((3, 2, 3, 3)),
      _R.standard_normal(3))),
    ("conv2d_same", lambda x, w: F.conv2d(x, w, padding="same"),
     (_R.standard_normal((1, 2, 4, 4)), _R.standard_normal((2, 2, 2, 2)))),
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1), (_R.standard_normal((2, 2, 5, 5)),)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2, 1, 1, count_include_pad=False),
     (_R.standard_normal((2, 2, 4, 5)),)),
    ("dropout", _seeded_dropout, (_R.standard_normal((4, 5)),)),
    ("batch_norm_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     (_R.standard_normal((6, 3, 2)), _R.random(3) + 0.5, _R.standard_normal(3))),
    ("batch_norm_eval", lambda x, w, b: F.batch_norm(x, np.ones(3), np.full(3, 2.0), w, b),
     (_R.standard_normal((6, 3)), _R.random(3) + 0.5, _R.standard_normal(3))),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (3,), w, b),
     (_R.standard_normal((4, 3)), _R.random(3) + 0.5, _R.standard_normal(3))),
    ("embedding", lambda w: F.embedding(_IDX, w), (_R.standard_normal((4, 3)),)),
    ("flatten", lambda x: F.flatten(x, 1), (_R.standard_normal((2, 3, 2)),)),
    ("relu", F.relu, (_R.standard_normal(7) + 0.05,)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), (_R.standard_normal(7) + 0.05,)),
    ("sigmoid", F.sigmoid, (_R.standard_normal(7),)),
    ("tanh", F.tanh, (_R.standard_normal(7),)),
    ("softplus", lambda x: F.softplus(x, beta=0.5, threshold=1.0), (_R.standard_normal(7) * 3,)),
    ("gelu", F.gelu, (_R.standard_normal(7) * 2,)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), (_R.standard_normal(7) * 2,)),
    ("erf", F.erf, (_R.standard_normal(7),)),
    ("softmax", lambda x: F.softmax(x, dim=0), (_R.standard_normal((3, 4)),)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=1), (_R.standard_normal((3, 4)),)),
]


@pytest.mark.parametrize("name, fn, inputs", FUNCTIONAL, ids=[r[0] for r in FUNCTIONAL])
def test_every_functional_op_gradcheck(name, fn, inputs):
    assert gradcheck(fn, tuple(f64(a) for a in inputs))


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
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
