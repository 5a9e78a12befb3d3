"""The lectures' worked examples (shared/seeds) reproduced with the engine."""
import numpy as np
import pytest

import autograd_lite as ag


def test_lecture_x_plus_y_times_z():
    # 003: f(x, y, z) = (x + y) z at (-2, 5, -4): grads (-4, -4, 3)
    x = ag.tensor(-2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    z = ag.tensor(-4.0, requires_grad=True)
    f = (x + y) * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def _sig(t):
    return 1.0 / (1.0 + np.exp(-t))


@pytest.mark.parametrize("x,w,b,y", [(0.3, 0.8, 0.0, 1.0), (1.5, -0.4, 0.2, 0.0),
                                     (-2.0, 1.1, -0.7, 1.0)])
def test_lecture_neuron_chain_rule(x, w, b, y):
    # 002: l = 1/2 (y - sigmoid(x w + b))^2, s = sigmoid(x w + b):
    # dl/dw = -(y - s) s (1 - s) x and dl/db = -(y - s) s (1 - s)
    ag.set_default_dtype(np.float64)
    try:
        W = ag.tensor(w, requires_grad=True)
        B = ag.tensor(b, requires_grad=True)
        l = 0.5 * (y - ag.sigmoid(x * W + B)) ** 2
        l.backward()
        s = _sig(x * w + b)
        assert np.isclose(l.item(), 0.5 * (y - s) ** 2)
        assert np.isclose(W.grad.item(), -(y - s) * s * (1 - s) * x)
        assert np.isclose(B.grad.item(), -(y - s) * s * (1 - s))
    finally:
        ag.set_default_dtype(np.float32)


def test_lecture_neuron_numbers():
    # 002: x = 0.3, y = 1, w = lambda = 0.8 (b = 0): l ~ 0.02, dl/dlambda ~ -0.2 ... of h = x w
    # The slide's numbers: h = 0.24, sigmoid(h) ~ 0.56, l = 1/2 (1 - 0.56)^2 ~ 0.097 for the
    # full neuron; we check the engine against the closed form at those numbers.
    x, y = 0.3, 1.0
    lam = ag.tensor(0.8, dtype=np.float64, requires_grad=True)
    h = x * lam
    s = ag.sigmoid(h)
    l = 0.5 * (y - s) ** 2
    l.backward()
    sv = _sig(0.24)
    assert np.isclose(lam.grad.item(), -(y - sv) * sv * (1 - sv) * x)


def test_lecture_F_W_a_Ky_plus_b_softmax_cross_entropy():
    # 000: F(y) = W a(K y + b), loss = -c^T log softmax(F). With u1 = K y + b, u2 = W a(u1):
    # dL/du2 = softmax(u2) - c; dL/dW = (sigma(u2) - c) a(u1)^T;
    # dL/du1 = a'(u1) * W^T (sigma(u2) - c); dL/dK = dL/du1 y^T; dL/db = dL/du1; dL/dy = K^T dL/du1
    rng = np.random.default_rng(0)
    n, m, k = 4, 5, 3
    Kn, bn, Wn, yn = (rng.standard_normal((m, n)), rng.standard_normal(m),
                      rng.standard_normal((k, m)), rng.standard_normal(n))
    c = np.array([0.0, 1.0, 0.0])
    K, b, W, yv = (ag.tensor(a, requires_grad=True) for a in (Kn, bn, Wn, yn))
    u2 = W @ ag.tanh(K @ yv + b)
    L = -(ag.tensor(c) * ag.log_softmax(u2)).sum()
    L.backward()
    u1 = Kn @ yn + bn
    a = np.tanh(u1)
    z = Wn @ a
    sm = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    d2 = sm - c
    d1 = (1 - a ** 2) * (Wn.T @ d2)
    np.testing.assert_allclose(W.grad.data, np.outer(d2, a), rtol=1e-10)
    np.testing.assert_allclose(K.grad.data, np.outer(d1, yn), rtol=1e-10)
    np.testing.assert_allclose(b.grad.data, d1, rtol=1e-10)
    np.testing.assert_allclose(yv.grad.data, Kn.T @ d1, rtol=1e-10)


def test_hessian_of_quadratic_is_diag_2_4():
    H = ag.functional.hessian(lambda x: x[0] ** 2 + 2 * x[1] ** 2,
                              ag.tensor([-5.0, -2.0], dtype=np.float64))
    np.testing.assert_allclose(H.data, np.diag([2.0, 4.0]))
