"""ag.testing.taylor_test: E1 = |f(x+hp) - f(x) - h <grad f, p>| falls at order 2 iff the
gradient is right along p."""
import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.testing import TaylorReport, taylor_test


class SinWrongDeriv(ag.Function):
    """sin with a wrong derivative (sin' = -sin instead of cos)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ag.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * ag.sin(x)


def _x(shape=(5,), seed=0):
    return ag.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_report_table_and_orders():
    rep = taylor_test(lambda x: (ag.sin(x) * x).sum(), _x(), steps=6, h0=0.5)
    assert isinstance(rep, TaylorReport)
    np.testing.assert_allclose(rep.h, 0.5 / 2.0 ** np.arange(6))
    assert rep.table.shape == (6, 3)
    np.testing.assert_array_equal(rep.table[:, 0], rep.h)
    np.testing.assert_array_equal(rep.table[:, 1], rep.E0)
    np.testing.assert_array_equal(rep.table[:, 2], rep.E1)
    assert rep.orders0.shape == rep.orders1.shape == (5,)
    np.testing.assert_allclose(rep.orders1, np.log2(rep.E1[:-1] / rep.E1[1:]))
    assert rep.passed and bool(rep)
    assert abs(rep.order - 2) < 0.2 and abs(rep.order0 - 1) < 0.2
    assert np.all(rep.E1 < rep.E0)


def test_quadratic_has_order_exactly_two():
    A = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]])
    At = ag.tensor(A)
    x = _x((3,))
    rep = taylor_test(lambda x: (x * (At @ x)).sum(), x)
    p = rep.direction
    np.testing.assert_allclose(rep.E1, rep.h ** 2 * abs(p @ A @ p), rtol=1e-8)
    np.testing.assert_allclose(rep.orders1, 2.0, atol=1e-6)
    assert rep.passed


def test_linear_function_passes_at_round_off():
    rep = taylor_test(lambda x: (3.0 * x).sum() + 1.0, _x())
    assert rep.passed
    assert rep.roundoff.all()
    assert np.isnan(rep.order)
    assert "round-off" in str(rep)


def test_wrong_gradient_fails_with_order_one():
    rep = taylor_test(lambda x: SinWrongDeriv.apply(x).sum(), _x())
    assert not rep.passed and not bool(rep)
    assert abs(rep.order - 1) < 0.3
    assert "FAILED" in str(rep)


def test_missing_gradient_fails():
    # f depends on x through .data: the engine sees no gradient at all
    rep = taylor_test(lambda x: (x * 0.0).sum() + ag.tensor(np.sin(x.data).sum()), _x())
    assert rep.slope == 0.0
    assert not rep.passed


def test_vector_output_uses_a_random_projection():
    x = _x((4, 3))
    assert taylor_test(lambda x: ag.tanh(x) * 2 + x ** 3, x).passed
    bad = taylor_test(lambda x: SinWrongDeriv.apply(x), x)
    assert not bad.passed and abs(bad.order - 1) < 0.3


def test_tuple_output():
    x = _x((3,))
    assert taylor_test(lambda x: (ag.sin(x), ag.exp(x).sum()), x).passed
    assert not taylor_test(lambda x: (ag.sin(x), SinWrongDeriv.apply(x)), x).passed


def test_tuple_inputs_directions_and_non_tensor_args():
    W = _x((3, 2), seed=1)
    b = _x((2,), seed=2)
    x = ag.tensor(np.random.default_rng(3).standard_normal((4, 3)))

    def f(W, b, x, scale):
        return scale * ag.tanh(x @ W + b).sum()

    rep = taylor_test(f, (W, b, x, 2.0))
    assert rep.passed
    assert rep.direction[2] is None and rep.direction[3] is None  # not perturbed
    assert rep.direction[0].shape == (3, 2) and rep.direction[1].shape == (2,)
    norm = np.sqrt(sum(np.sum(p ** 2) for p in rep.direction if p is not None))
    assert abs(norm - 1) < 1e-12  # the default direction has unit norm
    # an explicit direction: only b moves
    pb = np.array([1.0, -1.0])
    rep_b = taylor_test(f, (W, b, x, 2.0), direction=(None, pb, None, None))
    assert rep_b.passed
    np.testing.assert_array_equal(rep_b.direction[1], pb)
    assert rep_b.direction[0] is None
    # x (no requires_grad) can be perturbed when a direction is given for it
    rep_x = taylor_test(f, (W, b, x, 2.0), direction=(None, None, np.ones((4, 3)), None))
    assert rep_x.passed


def test_direction_errors():
    x = _x((3,))
    with pytest.raises(ValueError, match="shape"):
        taylor_test(lambda x: x.sum(), x, direction=np.ones(4))
    with pytest.raises(ValueError, match="entries"):
        taylor_test(lambda a, b: (a * b).sum(), (x, x), direction=(np.ones(3),))
    with pytest.raises(ValueError, match="not a floating Tensor"):
        taylor_test(lambda a, s: a.sum() * s, (x, 2.0), direction=(None, 1.0))
    with pytest.raises(ValueError, match="steps"):
        taylor_test(lambda x: x.sum(), x, steps=1)
    with pytest.raises(ValueError, match="h0"):
        taylor_test(lambda x: x.sum(), x, h0=0.0)
    with pytest.raises(ValueError, match="no floating"):
        taylor_test(lambda n: n.sum(), ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="output 0"):
        taylor_test(lambda x: 3.0, x)


def test_computes_in_float64():
    seen = []

    def f(x):
        seen.append(x.dtype)
        return (x * x).sum()

    x32 = ag.tensor(np.array([0.3, -0.2], dtype=np.float32), requires_grad=True)
    rep = taylor_test(f, x32, steps=20)
    assert set(seen) == {np.dtype(np.float64)}
    assert rep.passed
    assert rep.E1[-1] < 1e-10  # far below what float32 could resolve
    assert x32.dtype == np.float32 and x32.grad is None  # the caller's tensor is untouched


def test_round_off_rows_are_ignored_for_small_h():
    rep = taylor_test(lambda x: (ag.sin(x) * ag.exp(x)).sum(), _x(), steps=40)
    assert rep.roundoff[-1] and not rep.roundoff[0]
    assert np.isnan(rep.orders1[-1])
    assert rep.passed and abs(rep.order - 2) < 0.1


def test_reproducible_and_leaves_the_library_generator_alone():
    x = _x((3, 2))
    ag.manual_seed(123)
    expected = ag.randn(4).data
    ag.manual_seed(123)
    r1 = taylor_test(lambda x: ag.tanh(x), x)
    after = ag.randn(4).data
    np.testing.assert_array_equal(after, expected)
    r2 = taylor_test(lambda x: ag.tanh(x), x)
    np.testing.assert_array_equal(r1.table, r2.table)
    r3 = taylor_test(lambda x: ag.tanh(x), x, seed=7)
    assert not np.array_equal(r1.table, r3.table)


def test_str_and_html():
    rep = taylor_test(lambda x: ag.exp(x).sum(), _x(), steps=5)
    s = str(rep)
    lines = s.splitlines()
    assert lines[0].startswith("Taylor test passed")
    assert "order E1" in lines[1] and "E0" in lines[1]
    assert len(lines) == 1 + 1 + 5 + 1
    assert f"{rep.h[3]:.3e}" in lines[5] and f"{rep.E1[3]:.3e}" in lines[5]
    assert repr(rep) == s
    html = rep._repr_html_()
    assert html.startswith("<table") and html.count("<tr>") == 6
    assert "passed" in html
    bad = taylor_test(lambda x: SinWrongDeriv.apply(x).sum(), _x())
    assert "FAILED" in bad._repr_html_()
