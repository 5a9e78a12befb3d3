"""Anomaly mode: ``ag.detect_anomaly()`` finds the first op whose gradient is NaN/Inf.

Guarantees tested here (RELIABILITY.md, "Anomaly mode"):
- backward raises ``RuntimeError`` at the *first* op (in backward order) whose VJP gives
  NaN/Inf, naming the op, the input index and the user's source line that created the op;
- a forward NaN/Inf made from finite inputs is reported at the op that made it;
- off (the default), nothing is recorded (``node.trace is None``, the stack is never walked)
  and NaN gradients pass through silently, as in PyTorch;
- it works as a context manager and as a decorator, restores the previous mode (also after an
  exception), and is thread-local.
"""
from __future__ import annotations

import inspect
import threading
import warnings

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import node as node_mod

HERE = __file__.rsplit("/", 1)[-1]


def _line() -> int:
    """The caller's current line number."""
    return inspect.currentframe().f_back.f_lineno


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _f64(x, rg=True):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


# ----------------------------------------------------------------------------- backward
def test_backward_nan_names_op_input_and_creating_line():
    x = _f64([0.0, 4.0])
    with ag.detect_anomaly():
        y = x.sqrt(); line = _line()  # noqa: E702  (the op and its line on one line)
        z = (y * 3).sum()
        with pytest.raises(RuntimeError) as ei:
            z.backward()
    msg = str(ei.value)
    assert "SqrtBackward" in msg
    assert "input 0" in msg
    assert "Inf" in msg
    assert f"{HERE}\", line {line}" in msg
    assert "x.sqrt()" in msg  # the source text of the line is shown too


def test_reports_the_first_bad_op_in_backward_order():
    # Both sqrt's have an infinite derivative at 0; backward meets the outer one first.
    x = _f64([0.0])
    with ag.detect_anomaly():
        a = x.sqrt(); line_a = _line()  # noqa: E702
        b = a.sqrt(); line_b = _line()  # noqa: E702
        with pytest.raises(RuntimeError) as ei:
            b.sum().backward()
    msg = str(ei.value)
    assert f"line {line_b}" in msg
    assert f"line {line_a}" not in msg


def test_nan_gradient_propagated_to_a_later_op_blames_the_origin():
    # Mul by 0 turns the Inf gradient of sqrt(0) into NaN one op later: the op blamed is the
    # one whose VJP first produced a non-finite value (Sqrt), not the Mul before it.
    x = _f64([0.0, 1.0])
    with ag.detect_anomaly():
        y = (x.sqrt() * 0.0).sum()
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            y.backward()


def test_names_the_input_index():
    # c * x with a constant c = inf: only input 1 (x) gets a gradient, and it is inf.
    x = _f64([1.0, 2.0])
    c = ag.tensor(np.array([np.inf, 1.0]))
    with ag.detect_anomaly():
        y = c * x; line = _line()  # noqa: E702
        with pytest.raises(RuntimeError) as ei:
            y.sum().backward()
    msg = str(ei.value)
    assert "MulBackward" in msg and "input 1" in msg and f"line {line}" in msg


def test_ag_grad_and_create_graph_are_checked_too():
    x = _f64([0.0])
    with ag.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            ag.grad(y, x)
        x2 = _f64([0.0, 1.0])
        y2 = (x2 ** 3).sum()  # finite first derivative; second derivative fine as well
        (g,) = ag.grad(y2, x2, create_graph=True)
        (h,) = ag.grad(g.sum(), x2)
        np.testing.assert_allclose(h.data, [0.0, 6.0])


def test_custom_function_backward_nan_is_named_by_its_class():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    x = _f64([1.0])
    with ag.detect_anomaly():
        y = Bad.apply(x); line = _line()  # noqa: E702
        with pytest.raises(RuntimeError) as ei:
            y.sum().backward()
    assert "Bad" in str(ei.value) and f"line {line}" in str(ei.value)


def test_finite_gradients_pass_and_match_normal_mode():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((3, 4))
    grads = []
    for anomaly in (False, True):
        x = _f64(xv)
        with ag.detect_anomaly(anomaly):
            y = (x.tanh() @ x.T).logsumexp(axis=1).sum()
            y.backward()
        grads.append(x.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])


# ----------------------------------------------------------------------------- forward
def test_forward_nan_from_finite_inputs_reported_at_creating_op():
    # A forward NaN counts once it reaches the result a backward starts from: the error
    # names the op that made it and the line that created that op.
    x = _f64([1.0, -1.0])
    with ag.detect_anomaly():
        y = x.log(); line = _line()  # noqa: E702
        z = (y * 2).sum()
        with pytest.raises(RuntimeError) as ei:
            z.backward()
    msg = str(ei.value)
    assert "Log" in msg and "forward" in msg
    assert f"{HERE}\", line {line}" in msg
    assert x.grad is None


def test_forward_division_by_zero_reported():
    a, b = _f64([1.0]), _f64([0.0])
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError, match="Div"):
            ag.grad((a / b).sum(), a)


def test_forward_nan_masked_out_by_where_is_not_an_anomaly():
    # PyTorch accepts this: the NaN of log(-1) never reaches the result or a gradient.
    x = _f64([-1.0, 2.0])
    with ag.detect_anomaly():
        y = ag.where(x > 0, ag.log(x), 0.0).sum()
        y.backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5])


def test_create_graph_names_the_op_whose_backward_made_nan_and_its_line():
    # Under create_graph the rules run as recorded ops; a NaN made inside SqrtBackward's rule
    # (g / (2 * sqrt(0))) is reported as SqrtBackward's, at the line of the forward sqrt.
    x = _f64([0.0, 1.0])
    with ag.detect_anomaly():
        y = x.sqrt(); line = _line()  # noqa: E702
        for kw in ({"create_graph": True}, {}):
            with pytest.raises(RuntimeError) as ei:
                ag.grad(y.sum(), x, retain_graph=True, **kw)
            msg = str(ei.value)
            assert "SqrtBackward" in msg and f"line {line}" in msg, msg
            assert "Div" not in msg


def test_forward_nan_from_nan_inputs_is_not_blamed_on_the_next_op():
    x = _f64([np.nan, 1.0])
    with ag.detect_anomaly():
        y = x * 2 + 1  # propagates the NaN the user put in: not an anomaly of Mul/Add
    assert np.isnan(y.data[0])


# ----------------------------------------------------------------------------- off = free
def test_off_records_nothing_and_never_walks_the_stack(monkeypatch):
    def boom():
        raise AssertionError("the stack was walked outside anomaly mode")

    monkeypatch.setattr(node_mod, "user_stack", boom)
    x = _f64([0.0, 1.0])
    y = x.sqrt()
    z = (y * 2).sum()
    assert not ag.is_anomaly_enabled()
    for n in (y.grad_fn, z.grad_fn):
        assert n.trace is None
    z.backward()  # no check when off: the Inf gradient arrives silently, as in PyTorch
    assert np.isinf(x.grad.data[0])


def test_on_records_trace_on_every_node():
    x = _f64([1.0, 2.0])
    with ag.detect_anomaly():
        y = (x * 2).exp().sum()
    n = y.grad_fn
    seen = 0
    while n is not None:
        assert n.trace is not None and any(HERE in f.filename for f in n.trace)
        # library frames are stripped: the last frame is the user's
        assert n.trace[-1].filename.endswith(HERE)
        seen += 1
        nxt = [p for p in n.next_functions if isinstance(p, node_mod.Node)]
        n = nxt[0] if nxt else None
    assert seen == 3


def test_message_without_trace_says_how_to_get_one():
    x = _f64([0.0])
    y = x.sqrt().sum()  # forward outside anomaly mode: no trace
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError, match="enable ag.detect_anomaly"):
            y.backward()


# ----------------------------------------------------------------------------- modes
def test_decorator_and_restore():
    @ag.detect_anomaly()
    def f(x):
        assert ag.is_anomaly_enabled()
        return x.sqrt().sum()

    x = _f64([0.0])
    y = f(x)
    assert not ag.is_anomaly_enabled()
    assert y.grad_fn.trace is not None
    with ag.detect_anomaly():  # the node carries its trace; the check runs when on
        with pytest.raises(RuntimeError, match=r"SqrtBackward[\s\S]*test_anomaly.py"):
            y.backward()


def test_restored_after_exception_and_nesting():
    with pytest.raises(KeyError):
        with ag.detect_anomaly():
            raise KeyError("x")
    assert not ag.is_anomaly_enabled()
    with ag.detect_anomaly():
        with ag.detect_anomaly(False):
            assert not ag.is_anomaly_enabled()
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()


def test_thread_local():
    seen = []
    with ag.detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(ag.is_anomaly_enabled()))
        t.start()
        t.join()
        assert ag.is_anomaly_enabled()
    assert seen == [False]


def test_op_created_inside_the_library_points_at_the_users_line():
    nn = pytest.importorskip("autograd_lite.nn")
    ln = nn.LayerNorm(3, eps=0.0)  # constant rows: 0 / sqrt(0) inside layer_norm's code
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    with ag.detect_anomaly():
        y = ln(x); line = _line()  # noqa: E702
        with pytest.raises(RuntimeError) as ei:
            y.sum().backward()
    msg = str(ei.value)
    assert f"{HERE}\", line {line}" in msg  # the user's call, not a frame of autograd_lite
    assert "autograd_lite/nn" not in msg
