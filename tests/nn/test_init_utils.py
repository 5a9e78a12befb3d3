"""nn.init (PyTorch fan rules, the lectures' LeCun rule, seeding) and nn.utils."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import nn
from autograd_lite.nn import init


def _t(*shape):
    return ag.zeros(*shape, dtype=np.float64)


def test_calculate_gain_table():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("sigmoid") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0) == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


@pytest.mark.parametrize("fn, bound_or_std, kind", [
    # (out, in, kh, kw) = (64, 32, 3, 3): fan_in = 288, fan_out = 576
    (lambda t: init.lecun_uniform_(t), math.sqrt(3 / 288), "uniform"),
    (lambda t: init.lecun_normal_(t), 1 / math.sqrt(288), "normal"),
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / (288 + 576)), "uniform"),
    (lambda t: init.xavier_uniform_(t, gain=2.0), 2 * math.sqrt(6 / (288 + 576)), "uniform"),
    (lambda t: init.xavier_normal_(t), math.sqrt(2 / (288 + 576)), "normal"),
    # kaiming's default: leaky_relu with a=0, i.e. gain sqrt(2)
    (lambda t: init.kaiming_uniform_(t), math.sqrt(2) * math.sqrt(3 / 288), "uniform"),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out"), math.sqrt(6 / 576), "uniform"),
    (lambda t: init.kaiming_normal_(t), math.sqrt(2 / 288), "normal"),
    (lambda t: init.kaiming_normal_(t, a=math.sqrt(5)), math.sqrt(1 / 3) / math.sqrt(288),
     "normal"),
    (lambda t: init.kaiming_normal_(t, nonlinearity="tanh"), 5 / 3 / math.sqrt(288), "normal"),
])
def test_init_fan_rules(fn, bound_or_std, kind):
    ag.manual_seed(0)
    t = _t(64, 32, 3, 3)
    assert fn(t) is t
    if kind == "uniform":
        assert np.abs(t.data).max() <= bound_or_std
        assert np.abs(t.data).max() > 0.99 * bound_or_std
        assert t.data.std() == pytest.approx(bound_or_std / math.sqrt(3), rel=0.02)
    else:
        assert t.data.std() == pytest.approx(bound_or_std, rel=0.02)
        assert abs(t.data.mean()) < 0.05 * bound_or_std


def test_init_basic_fills_seed_and_errors():
    t = _t(3, 4)
    assert np.all(init.ones_(t).data == 1) and np.all(init.zeros_(t).data == 0)
    assert np.all(init.constant_(t, 2.5).data == 2.5)
    ag.manual_seed(5)
    a = init.uniform_(_t(100), -2, 3).data.copy()
    ag.manual_seed(5)
    b = init.uniform_(_t(100), -2, 3).data
    np.testing.assert_array_equal(a, b)
    assert a.min() >= -2 and a.max() < 3
    n = init.normal_(_t(10000), 1.0, 0.5).data
    assert n.mean() == pytest.approx(1.0, abs=0.03) and n.std() == pytest.approx(0.5, rel=0.05)
    g = np.random.default_rng(1)
    c = init.normal_(_t(5), generator=g).data
    np.testing.assert_array_equal(c, np.random.default_rng(1).normal(0, 1, 5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(_t(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(_t(2, 2), mode="fan_avg")
    # works on parameters that require grad (in place, without recording)
    lin = nn.Linear(3, 3)
    init.lecun_uniform_(lin.weight)
    assert lin.weight.requires_grad and lin.weight.grad_fn is None
    assert np.abs(lin.weight.data).max() <= 1.0


def _with_grads(*grads):
    ps = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g)))
        p.grad = ag.tensor(np.asarray(g, dtype=np.float64))
        ps.append(p)
    return ps


def test_clip_grad_norm():
    ps = _with_grads([3.0, 0.0], [[4.0]])
    total = nn.utils.clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, ag.Tensor) and total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(ps[0].grad.data, [3 / (5 + 1e-6), 0.0])
    np.testing.assert_allclose(ps[1].grad.data, [[4 / (5 + 1e-6)]])
    ps = _with_grads([3.0, 0.0], [[4.0]])
    assert nn.utils.clip_grad_norm_(ps, 10.0).item() == pytest.approx(5.0)
    np.testing.assert_array_equal(ps[0].grad.data, [3.0, 0.0])  # untouched below the limit
    ps = _with_grads([3.0, -7.0], [[4.0]])
    assert nn.utils.clip_grad_norm_(ps, 1.0, norm_type=math.inf).item() == 7.0
    np.testing.assert_allclose(ps[0].grad.data, np.array([3.0, -7.0]) / (7 + 1e-6))
    ps = _with_grads([1.0, -2.0])
    assert nn.utils.clip_grad_norm_(ps, 100.0, norm_type=1).item() == 3.0
    # parameters without grad are skipped; a single tensor is accepted
    p = nn.Parameter(np.ones(2))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0
    q = _with_grads([np.nan])[0]
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(q, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    ps = _with_grads([3.0, -0.5, -7.0])
    nn.utils.clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad.data, [1.0, -0.5, -1.0])


def test_parameters_vector_roundtrip():
    lin = nn.Linear(3, 2).double()
    v = nn.utils.parameters_to_vector(lin.parameters())
    assert v.shape == (8,)
    np.testing.assert_array_equal(v.data, np.concatenate([lin.weight.data.ravel(),
                                                          lin.bias.data]))
    nn.utils.vector_to_parameters(ag.arange(8.0), lin.parameters())
    np.testing.assert_array_equal(lin.weight.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(lin.bias.data, [6.0, 7.0])
    # differentiable: d(sum v^2)/dp = 2p
    v = nn.utils.parameters_to_vector(lin.parameters())
    (v * v).sum().backward()
    np.testing.assert_array_equal(lin.bias.grad.data, [12.0, 14.0])
    with pytest.raises(ValueError, match="8 parameter values"):
        nn.utils.vector_to_parameters(ag.zeros(7), lin.parameters())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(np.zeros(8), lin.parameters())


def test_clipping_shared_gradient_objects_scaled_once():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    g = ag.tensor(np.array([3.0, 4.0]))
    a.grad = b.grad = g
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(math.sqrt(50))
    np.testing.assert_allclose(g.data, np.array([3.0, 4.0]) / (math.sqrt(50) + 1e-6))
    # arrays shared between different gradient tensors are not modified in place
    arr = np.array([5.0, -5.0])
    c, d = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    c.grad, d.grad = ag.Tensor._wrap(arr), ag.Tensor._wrap(arr)
    nn.utils.clip_grad_value_([c, d], 1.0)
    np.testing.assert_array_equal(c.grad.data, [1.0, -1.0])
    np.testing.assert_array_equal(d.grad.data, [1.0, -1.0])
    np.testing.assert_array_equal(arr, [5.0, -5.0])


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
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
