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


def _neuron(h_value, x=0.3, y=1.0, w=2.0):
    """The engine's forward and backward numbers of l = 1/2 (y - sigmoid(x w + b))^2 with
    x w + b = h_value."""
    ag.set_default_dtype(np.float64)
    try:
        W = ag.tensor(w, requires_grad=True)
        B = ag.tensor(h_value - x * w, requires_grad=True)
        h = x * W + B
        lam = ag.sigmoid(h)
        l = 0.5 * (y - lam) ** 2
        h.retain_grad()
        lam.retain_grad()
        l.backward()
        return {"h": h.item(), "lambda": lam.item(), "l": l.item(), "dl/dlambda": lam.grad.item(),
                "dl/dh": h.grad.item(), "dl/dw": W.grad.item(), "dl/db": B.grad.item()}
    finally:
        ag.set_default_dtype(np.float32)


def test_lecture_neuron_numbers():
    # 002: the slide stores (x, h, lambda, y, l) = (0.3, 0.67, 0.8, 1, 0.02) and then writes
    # dl/dlambda = lambda - y = -0.2, dl/dh = dl/dlambda lambda (1 - lambda) = -0.04,
    # dl/dw = -0.26 and (labelled dl/dw again, next to h) dl/db = -0.04. lambda is the neuron's
    # output sigmoid(h), not its weight.
    slide = {"h": 0.67, "lambda": 0.8, "l": 0.02, "dl/dlambda": -0.2, "dl/dh": -0.04,
             "dl/dw": -0.26, "dl/db": -0.04}
    # What follows from lambda = 0.8, y = 1, x = 0.3 (any w, b with x w + b = log 4):
    n = _neuron(np.log(4.0))
    assert np.isclose(n["lambda"], slide["lambda"]) and np.isclose(n["l"], slide["l"])
    assert np.isclose(n["dl/dlambda"], slide["dl/dlambda"])
    assert np.isclose(n["dl/dh"], -0.032)  # -0.2 * 0.8 * 0.2
    assert np.isclose(n["dl/dw"], -0.0096)  # x dl/dh
    assert np.isclose(n["dl/db"], -0.032)  # dl/dh
    # ... and what does not: sigmoid(0.67) = 0.66, not 0.8; -0.032 is not -0.04; x times even
    # the slide's own -0.04 is -0.012, not -0.26.
    assert abs(_sig(slide["h"]) - slide["lambda"]) > 0.1
    assert not np.isclose(n["dl/dh"], slide["dl/dh"], atol=5e-3)
    assert not np.isclose(0.3 * slide["dl/dh"], slide["dl/dw"], atol=5e-3)
    # Keeping the slide's h = 0.67 instead is self-consistent too, with other lambda and l:
    k = _neuron(0.67)
    assert np.isclose(k["lambda"], _sig(0.67)) and np.isclose(k["l"], 0.5 * (1 - _sig(0.67)) ** 2)
    assert np.isclose(k["dl/dh"], (_sig(0.67) - 1) * _sig(0.67) * (1 - _sig(0.67)))
    assert np.isclose(k["dl/dw"], 0.3 * k["dl/dh"]) and not np.isclose(k["dl/dw"], -0.26,
                                                                         atol=5e-3)


def test_lecture_neuron_sgd_step():
    # 002: one SGD step w <- w - alpha dl/dw, b <- b - alpha dl/db lowers the loss
    ag.set_default_dtype(np.float64)
    try:
        w = ag.tensor(2.0, requires_grad=True)
        b = ag.tensor(np.log(4.0) - 0.6, requires_grad=True)
        l = 0.5 * (1.0 - ag.sigmoid(0.3 * w + b)) ** 2
        l.backward()
        ag.optim.SGD([w, b], lr=1.0).step()
        assert np.isclose(w.item(), 2.0 + 0.0096) and np.isclose(b.item(), np.log(4) - 0.6 + 0.032)
        assert (0.5 * (1.0 - ag.sigmoid(0.3 * w + b)) ** 2).item() < l.item()
    finally:
        ag.set_default_dtype(np.float32)


def test_lecture_bce_table():
    # 002: x = (0.5, 0.5), y = 0, lambda = 0.1 -> l = -log(1 - 0.1) = -log 0.9, predicted 0
    lam = ag.tensor([0.1], dtype=np.float64)
    l = ag.nn.functional.binary_cross_entropy(lam, ag.tensor([0.0], dtype=np.float64))
    assert np.isclose(l.item(), -np.log(0.9))
    assert int(lam.item() > 0.5) == 0


def test_lecture_two_layer_relu_sigmoid_bce():
    # 002 exercise: z1 = x W1 + b1, a1 = relu(z1), z2 = a1 W2 + b2, lambda = sigmoid(z2), BCE.
    # W1 (N, D1), b1 (D1,), W2 (D1,), b2 (1,); dl/dz2 = lambda - y, dl/dW2 = dl/dz2 a1
    rng = np.random.default_rng(3)
    N, D1 = 3, 4
    xs, W1n, b1n, W2n = (rng.standard_normal(N), rng.standard_normal((N, D1)),
                         rng.standard_normal(D1), rng.standard_normal(D1))
    W1, b1, W2 = (ag.tensor(a, requires_grad=True) for a in (W1n, b1n, W2n))
    b2 = ag.tensor([0.1], dtype=np.float64, requires_grad=True)
    a1 = ag.relu(ag.tensor(xs) @ W1 + b1)
    lam = ag.sigmoid(a1 @ W2 + b2)
    l = ag.nn.functional.binary_cross_entropy(lam, ag.tensor([1.0], dtype=np.float64))
    l.backward()
    dz2 = lam.item() - 1.0
    assert W1.grad.shape == (N, D1) and b1.grad.shape == (D1,) and W2.grad.shape == (D1,)
    np.testing.assert_allclose(W2.grad.data, dz2 * a1.data, rtol=1e-10)
    np.testing.assert_allclose(b2.grad.data, [dz2], rtol=1e-10)


def test_lecture_mlp_l2_gradient():
    # 003: z = W1 x, h = relu(z), o = W2 h, L = 1/2 ||o - y||^2, s = lam/2 (||W1||^2 + ||W2||^2)
    # J = L + s: dJ/dW2 = dL/do h^T + lam W2, dJ/dW1 = (W2^T dL/do * relu'(z)) x^T + lam W1
    rng = np.random.default_rng(4)
    d, q, k, lam = 3, 5, 2, 0.1
    xn, yn, W1n, W2n = (rng.standard_normal(d), rng.standard_normal(k),
                        rng.standard_normal((q, d)), rng.standard_normal((k, q)))
    W1, W2 = ag.tensor(W1n, requires_grad=True), ag.tensor(W2n, requires_grad=True)
    z = W1 @ ag.tensor(xn)
    h = ag.relu(z)
    o = W2 @ h
    J = 0.5 * ((o - ag.tensor(yn)) ** 2).sum() + lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J.backward()
    dLdo = o.data - yn
    np.testing.assert_allclose(W2.grad.data, np.outer(dLdo, h.data) + lam * W2n, rtol=1e-10)
    dJdz = (W2n.T @ dLdo) * (z.data > 0)
    np.testing.assert_allclose(W1.grad.data, np.outer(dJdz, xn) + lam * W1n, rtol=1e-10)


def test_lecture_chain_rule_several_paths():
    # 004: z = 2 y1^2 + y1 y2, y1 = 3x, y2 = x^2: dz/dx = (4 y1 + y2) 3 + y1 2x
    x = ag.tensor(0.5, dtype=np.float64, requires_grad=True)
    y1, y2 = 3 * x, x ** 2
    (2 * y1 ** 2 + y1 * y2).backward()
    assert x.grad.item() == (4 * 1.5 + 0.25) * 3 + 1.5 * 2 * 0.5 == 20.25


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
