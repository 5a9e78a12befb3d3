"""Each optimiser's first three updates against the update written out by hand (float64).

The gradients are fixed arrays assigned to ``p.grad`` so the hand formulas below read as the
lectures (and PyTorch's documentation) write them; one test per optimiser also goes through
``backward`` to check the wiring.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import optim

P0 = np.array([0.5, -1.5, 2.0, 0.0])
GRADS = [np.array([1.0, -2.0, 0.5, 3.0]),
         np.array([-0.5, -1.0, 2.0, -1.0]),
         np.array([0.25, 4.0, -3.0, 0.5])]
RTOL = 1e-13


def _param() -> ag.Tensor:
    return ag.tensor(P0.copy(), dtype=np.float64, requires_grad=True)


def _run(opt_cls, n=3, **kw) -> list[np.ndarray]:
    """Apply the fixed gradients GRADS[:n]; return the iterates after each step."""
    p = _param()
    opt = opt_cls([p], **kw)
    out = []
    for g in GRADS[:n]:
        p.grad = ag.tensor(g.copy(), dtype=np.float64)
        opt.step()
        out.append(p.data.copy())
    return out


def _check(got: list, want: list) -> None:
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15, err_msg=f"update {k + 1}")


# ----------------------------------------------------------------------------- SGD
def test_sgd_plain_is_gradient_descent():
    lr = 0.1
    x, want = P0.copy(), []
    for g in GRADS:
        x = x - lr * g
        want.append(x)
    _check(_run(optim.SGD, lr=lr), want)


def test_sgd_heavy_ball_momentum_weight_decay():
    lr, mu, wd = 0.05, 0.9, 0.01
    x, b, want = P0.copy(), None, []
    for g in GRADS:
        d = g + wd * x
        b = d if b is None else mu * b + d
        x = x - lr * b
        want.append(x)
    _check(_run(optim.SGD, lr=lr, momentum=mu, weight_decay=wd), want)


def test_sgd_lecture_ema_momentum_is_dampening_beta():
    # lecture 004: v_0 = g_0, v_{k+1} = gamma v_k + (1 - gamma) g_k, theta_{k+1} = theta_k - lr v
    lr, gamma = 0.1, 0.9
    x, v, want = P0.copy(), GRADS[0], []
    for g in GRADS:
        v = gamma * v + (1 - gamma) * g
        x = x - lr * v
        want.append(x)
    _check(_run(optim.SGD, lr=lr, momentum=gamma, dampening=gamma), want)


def test_sgd_nesterov():
    lr, mu = 0.1, 0.8
    x, b, want = P0.copy(), None, []
    for g in GRADS:
        b = g if b is None else mu * b + g
        x = x - lr * (g + mu * b)
        want.append(x)
    _check(_run(optim.SGD, lr=lr, momentum=mu, nesterov=True), want)


def test_sgd_maximize_ascends():
    lr = 0.1
    x, want = P0.copy(), []
    for g in GRADS:
        x = x + lr * g
        want.append(x)
    _check(_run(optim.SGD, lr=lr, maximize=True), want)


# ----------------------------------------------------------------------------- Adagrad
@pytest.mark.parametrize("lr_decay,wd,init", [(0.0, 0.0, 0.0), (0.1, 0.02, 0.5)])
def test_adagrad(lr_decay, wd, init):
    lr, eps = 0.01, 1e-10
    x, s, want = P0.copy(), np.full(4, init), []
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * x
        s = s + g * g
        clr = lr / (1 + (t - 1) * lr_decay)
        x = x - clr * g / (np.sqrt(s) + eps)
        want.append(x)
    _check(_run(optim.Adagrad, lr_decay=lr_decay, weight_decay=wd,
                initial_accumulator_value=init), want)


# ----------------------------------------------------------------------------- RMSprop
@pytest.mark.parametrize("centered,momentum,wd", [(False, 0.0, 0.0), (True, 0.0, 0.0),
                                                  (False, 0.9, 0.0), (True, 0.5, 0.1)])
def test_rmsprop(centered, momentum, wd):
    lr, alpha, eps = 0.01, 0.99, 1e-8
    x, v, m, b, want = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for g in GRADS:
        g = g + wd * x
        v = alpha * v + (1 - alpha) * g ** 2
        if centered:
            m = alpha * m + (1 - alpha) * g
            avg = np.sqrt(v - m ** 2) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / avg
            x = x - lr * b
        else:
            x = x - lr * g / avg
        want.append(x)
    _check(_run(optim.RMSprop, centered=centered, momentum=momentum, weight_decay=wd), want)


# ----------------------------------------------------------------------------- Adam family
def _adam_by_hand(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False):
    """The lecture's Adam (bias-corrected moments), plus PyTorch's weight decay variants."""
    x, m, v, vmax, want = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            x = x * (1 - lr * wd)
        else:
            g = g + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        want.append(x)
    return want


def test_adam_defaults_are_the_lectures():
    opt = optim.Adam([_param()])
    g = opt.param_groups[0]
    assert (g["lr"], g["betas"], g["eps"], g["weight_decay"], g["amsgrad"]) == \
        (1e-3, (0.9, 0.999), 1e-8, 0.0, False)


def test_adam_default():
    _check(_run(optim.Adam), _adam_by_hand())


def test_adam_weight_decay_and_betas():
    _check(_run(optim.Adam, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
           _adam_by_hand(lr=0.01, b1=0.8, b2=0.99, wd=0.1))


def test_amsgrad_keeps_the_max_second_moment():
    # gradients whose squares shrink, so max(v) differs from v by the third step
    p = _param()
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.5), amsgrad=True)
    gs = [np.array([4.0, 1.0, 2.0, 3.0]), np.array([0.1, 0.1, 0.1, 0.1]),
          np.array([0.1, -0.2, 0.3, 0.1])]
    x, m, v, vmax = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(gs, start=1):
        p.grad = ag.tensor(g, dtype=np.float64)
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.5 * v + 0.5 * g * g
        vmax = np.maximum(vmax, v)
        x = x - 0.1 / (1 - 0.9 ** t) * m / (np.sqrt(vmax) / math.sqrt(1 - 0.5 ** t) + 1e-8)
        np.testing.assert_allclose(p.data, x, rtol=RTOL)
    assert np.any(opt.state[p]["max_exp_avg_sq"] > opt.state[p]["exp_avg_sq"])
    _check(_run(optim.Adam, amsgrad=True), _adam_by_hand(amsgrad=True))


def test_adamw_decoupled_weight_decay():
    opt = optim.AdamW([_param()])
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    _check(_run(optim.AdamW), _adam_by_hand(wd=1e-2, decoupled=True))
    _check(_run(optim.AdamW, lr=0.01, weight_decay=0.5, amsgrad=True),
           _adam_by_hand(lr=0.01, wd=0.5, decoupled=True, amsgrad=True))


# ----------------------------------------------------------------------------- via backward
@pytest.mark.parametrize("cls,kw", [(optim.SGD, {"lr": 0.1, "momentum": 0.9}),
                                    (optim.Adagrad, {}), (optim.RMSprop, {}),
                                    (optim.Adam, {}), (optim.AdamW, {})])
def test_backward_gradients_drive_the_same_updates(cls, kw):
    # loss = sum(c * p) has gradient c: same iterates as assigning c to p.grad
    c = GRADS[0]
    p = _param()
    opt = cls([p], **kw)
    for _ in range(3):
        opt.zero_grad()
        (ag.tensor(c) * p).sum().backward()
        opt.step()
    q = _param()
    opt2 = cls([q], **kw)
    for _ in range(3):
        q.grad = ag.tensor(c.copy())
        opt2.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW])
def test_float32_parameters_stay_float32(cls):
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = cls([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state.get(p, {}).values()
               if isinstance(v, np.ndarray))
