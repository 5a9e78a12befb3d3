"""In-place safety: version counters catch a tensor changed after it was saved for backward.

Guarantees tested here (RELIABILITY.md, "In-place safety"):
- every in-place method of the library bumps ``t._version`` exactly once (and a failed one
  does not);
- backward raises ``RuntimeError`` naming the op (``MulBackward``, ``ExpBackward``...) when a
  tensor it saved (an input, or its own output for ops that reuse it) was changed in place
  after the op recorded it, instead of returning a wrong gradient;
- in-place changes of a tensor that requires grad raise outside ``no_grad()``;
- the optimisers' parameter updates go through the same counters.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import autograd_lite as ag

INPLACE = {
    "copy_": lambda t: t.copy_(np.ones(t.shape)),
    "fill_": lambda t: t.fill_(2.0),
    "zero_": lambda t: t.zero_(),
    "add_": lambda t: t.add_(1.0, alpha=2.0),
    "sub_": lambda t: t.sub_(ag.ones(t.shape, dtype=t.dtype)),
    "mul_": lambda t: t.mul_(3.0),
    "div_": lambda t: t.div_(2.0),
    "clamp_": lambda t: t.clamp_(-0.5, 0.5),
    "iadd": lambda t: t.__iadd__(1.0),
    "isub": lambda t: t.__isub__(1.0),
    "imul": lambda t: t.__imul__(2.0),
    "itruediv": lambda t: t.__itruediv__(2.0),
    "ipow": lambda t: t.__ipow__(2.0),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "setitem_mask": lambda t: t.__setitem__(t.data > 0, 0.0),
}


def _f64(x, rg=True):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_every_inplace_method_bumps_version_once(name):
    t = _f64([0.5, -1.5, 2.0], rg=False)
    v0 = t._version
    r = INPLACE[name](t)
    assert t._version == v0 + 1
    if r is not None:
        assert r is t  # in place: the same object


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_requires_grad_leaf_raises_outside_no_grad(name):
    w = _f64([0.5, -1.5, 2.0])
    before = w.data.copy()
    with pytest.raises(RuntimeError, match="in-place"):
        INPLACE[name](w)
    assert w._version == 0
    np.testing.assert_array_equal(w.data, before)
    with ag.no_grad():
        INPLACE[name](w)
    assert w._version == 1


def test_inplace_on_nonleaf_raises_outside_no_grad():
    x = _f64([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="in-place"):
        y += 1


def test_failed_inplace_does_not_bump_version():
    t = _f64(np.zeros((2, 3)), rg=False)
    with pytest.raises(ValueError):
        t.copy_(np.ones((4,)))
    with pytest.raises(ValueError):
        t[0] = np.ones(5)
    assert t._version == 0


# ----------------------------------------------------------------------------- saved tensors
def test_saved_input_changed_raises_naming_mul():
    x, w = _f64([1.0, 2.0]), _f64([3.0, 4.0])
    y = x * w
    with ag.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match=r"MulBackward.*modified by an in-place") as ei:
        y.sum().backward()
    assert "input 1 (shape (2,))" in str(ei.value) and "at version 1" in str(ei.value)


def test_saved_nonleaf_input_changed_raises():
    x = _f64([1.0, 2.0])
    a = x.exp()
    b = a.sin()  # Sin saves its input a
    with ag.no_grad():
        a.mul_(2.0)
    with pytest.raises(RuntimeError, match="SinBackward"):
        b.sum().backward()


def test_saved_output_changed_raises():
    # exp's VJP reuses its output: changing the output in place must not give e^x + 1.
    x = _f64([0.0, 1.0])
    e = x.exp()
    with ag.no_grad():
        e.add_(1.0)
    with pytest.raises(RuntimeError, match="ExpBackward"):
        e.sum().backward()


def test_saved_output_of_matmul_input_chain():
    x = _f64(np.arange(6.0).reshape(2, 3))
    w = _f64(np.ones((3, 2)))
    h = (x @ w).tanh()
    loss = (h * h).sum()
    with ag.no_grad():
        w[0, 0] = 10.0
    with pytest.raises(RuntimeError, match="MatMulBackward"):
        loss.backward()


@pytest.mark.parametrize("alias", ["detach", "reshape_view", "slice_view", "transpose_view"])
def test_change_through_an_alias_of_the_saved_memory_raises(alias):
    # PyTorch shares one version counter among a tensor, its views and .detach(); here the
    # change is stamped on the memory buffer, so any alias of a saved tensor is caught.
    x = _f64([1.0, 2.0, 3.0, 4.0])
    w = _f64([3.0, 4.0, 5.0, 6.0])
    y = x * w
    with ag.no_grad():
        a = {"detach": lambda: w.detach(), "reshape_view": lambda: w.reshape(2, 2),
             "slice_view": lambda: w[1:3], "transpose_view": lambda: w.reshape(2, 2).T}[alias]()
        assert np.shares_memory(a.data, w.data)
        a.mul_(2.0)
    with pytest.raises(RuntimeError, match="MulBackward"):
        y.sum().backward()
    assert x.grad is None


def test_change_of_an_unrelated_copy_is_fine():
    x, w = _f64([1.0, 2.0]), _f64([3.0, 4.0])
    y = x * w
    c = ag.tensor(w.data)  # ag.tensor copies: not an alias
    c += 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_change_before_use_is_fine_and_gradient_is_right():
    x, w = _f64([1.0, 2.0]), _f64([3.0, 4.0])
    with ag.no_grad():
        w += 1
    (x * w).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0])


def test_retained_graph_second_backward_sees_the_change():
    x, w = _f64([1.0, 2.0]), _f64([3.0, 4.0])
    y = (x * w).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    with ag.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="MulBackward"):
        y.backward()


def test_custom_function_saved_tensor_changed_raises():
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = _f64([1.0, 2.0])
    y = Square.apply(x)
    with ag.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match=r"SquareBackward.*modified.*in.place"):
        y.sum().backward()


def test_error_is_raised_before_any_gradient_is_accumulated_wrongly():
    x, w = _f64([1.0, 2.0]), _f64([3.0, 4.0])
    y = x * w
    with ag.no_grad():
        w.zero_()
    with pytest.raises(RuntimeError):
        y.sum().backward()
    assert x.grad is None and w.grad is None


# ----------------------------------------------------------------------------- optimisers
def _optim():
    try:
        return importlib.import_module("autograd_lite.optim")
    except ImportError:
        pytest.skip("autograd_lite.optim is not built yet")


OPTIMS = [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
          ("Adam", {}), ("AdamW", {}), ("Adagrad", {}), ("RMSprop", {})]


@pytest.mark.parametrize("name,kw", OPTIMS, ids=[f"{n}{i}" for i, (n, _) in enumerate(OPTIMS)])
def test_optimiser_step_bumps_versions_and_stale_graph_raises(name, kw):
    optim = _optim()
    if not hasattr(optim, name):
        pytest.skip(f"optim.{name} not built yet")
    w = _f64([1.0, -2.0, 3.0])
    b = _f64([0.5])
    opt = getattr(optim, name)([w, b], **kw)
    x = _f64([1.0, 2.0, 3.0], rg=False)
    loss = ((x * w).sum() + b).sum() ** 2
    loss.backward(retain_graph=True)
    vw, vb = w._version, b._version
    old = w.data.copy()
    opt.step()
    assert w._version > vw and b._version > vb
    assert not np.array_equal(w.data, old)
    # the retained graph saved w before the update: reusing it must fail loudly
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()
    # a fresh forward after the step is fine
    opt.zero_grad()
    ((x * w).sum() + b).sum().backward()
    np.testing.assert_array_equal(w.grad.data, x.data)


def test_optimiser_skips_params_without_grad_and_leaves_their_version():
    optim = _optim()
    if not hasattr(optim, "SGD"):
        pytest.skip("optim.SGD not built yet")
    w, u = _f64([1.0]), _f64([2.0])
    opt = optim.SGD([w, u], lr=0.1)
    (w * 3).sum().backward()
    opt.step()
    assert w._version >= 1 and u._version == 0


# ----------------------------------------------------------------------------- only what is read
def test_inputs_whose_values_the_gradient_does_not_read_may_change():
    # As PyTorch: Add/Sum/reshape need only shapes, Exp only its output; changing such an input
    # in place before backward is fine, and the gradient is the one of the recorded forward.
    x = ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    c = ag.tensor([5.0, 6.0], dtype=np.float64)
    y = (x + c).sum() + x.exp().sum() + c.reshape(2, 1).sum()
    with ag.no_grad():
        c += 1
        x += 1  # x feeds Add and Exp, which do not read it
    y.backward()
    np.testing.assert_allclose(x.grad.data, 1 + np.exp([1.0, 2.0]))


def test_inputs_that_are_read_still_raise():
    x = ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = x.sin().sum()  # sin's gradient reads x
    with ag.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match="SinBackward.*input 0"):
        y.backward()
