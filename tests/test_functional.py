"""ag.functional: vjp, jacobian, hessian, hvp (PyTorch's torch.autograd.functional conventions)."""
import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import functional as AF


def f64(x, requires_grad=False):
    return ag.tensor(x, dtype=np.float64, requires_grad=requires_grad)


RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3))


# ----------------------------------------------------------------------------- jacobian
def test_jacobian_of_linear_map_is_the_matrix():
    J = AF.jacobian(lambda x: f64(A) @ x, f64([1.0, 2.0, 3.0]))
    assert isinstance(J, ag.Tensor) and J.shape == (2, 3)
    np.testing.assert_allclose(J.data, A)


@pytest.mark.parametrize("in_shape,fn,out_shape", [
    ((3,), lambda x: x.sum(), ()),
    ((2, 2), lambda x: x.sin(), (2, 2)),
    ((2, 2), lambda x: x.sum(axis=0), (2,)),
    ((4,), lambda x: x.reshape(2, 2) * 3, (2, 2)),
    ((), lambda x: ag.stack([x, x * x, x.exp()]), (3,)),
])
def test_jacobian_shape_is_out_shape_plus_in_shape(in_shape, fn, out_shape):
    x = f64(RNG.uniform(0.5, 1.5, in_shape))
    J = AF.jacobian(fn, x)
    assert J.shape == out_shape + in_shape
    # compare with central differences
    eps = 1e-6
    flat = x.data.reshape(-1)
    cols = []
    for k in range(flat.size):
        xp, xm = flat.copy(), flat.copy()
        xp[k] += eps
        xm[k] -= eps
        cols.append((fn(f64(xp.reshape(in_shape))).data - fn(f64(xm.reshape(in_shape))).data)
                    / (2 * eps))
    fd = np.stack(cols, axis=-1).reshape(out_shape + in_shape)
    np.testing.assert_allclose(J.data, fd, rtol=1e-6, atol=1e-8)


def test_jacobian_tuple_inputs_and_outputs():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0, 5.0])
    J = AF.jacobian(lambda a, b: a.sum() * b, (x, y))
    assert isinstance(J, tuple) and len(J) == 2
    assert J[0].shape == (3, 2) and J[1].shape == (3, 3)
    np.testing.assert_allclose(J[0].data, np.outer(y.data, np.ones(2)))
    np.testing.assert_allclose(J[1].data, np.eye(3) * 3.0)
    J = AF.jacobian(lambda a, b: (a * 2, b.sum()), (x, y))
    assert isinstance(J, tuple) and len(J) == 2 and isinstance(J[0], tuple)
    assert J[0][0].shape == (2, 2) and J[0][1].shape == (2, 3)
    assert J[1][0].shape == (2,) and J[1][1].shape == (3,)
    np.testing.assert_allclose(J[0][1].data, 0.0)
    np.testing.assert_allclose(J[1][1].data, 1.0)
    J = AF.jacobian(lambda a: (a * 2, a.sum()), x)  # single input, tuple output
    assert isinstance(J, tuple) and J[0].shape == (2, 2) and J[1].shape == (2,)


def test_jacobian_of_unused_input_is_zero_and_inputs_untouched():
    x = f64([1.0, 2.0], requires_grad=True)
    y = f64([3.0])
    J = AF.jacobian(lambda a, b: a * 2, (x, y))
    np.testing.assert_allclose(J[1].data, np.zeros((2, 1)))
    assert x.grad is None and y.grad is None and not y.requires_grad


def test_jacobian_max_size():
    with pytest.raises(ValueError, match="max_size"):
        AF.jacobian(lambda x: x * 2, f64(np.ones(10)), max_size=50)
    J = AF.jacobian(lambda x: x * 2, f64(np.ones(10)), max_size=100)
    assert J.shape == (10, 10)


# ----------------------------------------------------------------------------- hessian
def test_hessian_of_quadratic_is_diag_2_4():
    H = AF.hessian(lambda x: x[0] ** 2 + 2 * x[1] ** 2, f64([0.3, -1.7]))
    assert H.shape == (2, 2)
    np.testing.assert_allclose(H.data, np.diag([2.0, 4.0]), atol=1e-12)


def _mlp_params(rng):
    return (rng.standard_normal((3, 2)) * 0.8, rng.standard_normal(3) * 0.5,
            rng.standard_normal((1, 3)) * 0.8)


def _mlp_loss_np(W1, b1, W2, X, y):
    h = np.tanh(X @ W1.T + b1)
    pred = (h @ W2.T)[:, 0]
    return 0.5 * np.mean((pred - y) ** 2)


def test_hessian_of_tanh_mlp_loss_matches_finite_differences():
    rng = np.random.default_rng(1)
    W1, b1, W2 = _mlp_params(rng)
    X, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    sizes = [W1.size, b1.size, W2.size]
    theta0 = np.concatenate([W1.ravel(), b1, W2.ravel()])

    def unpack(theta):
        W1_ = theta[:6].reshape(3, 2)  # works for ndarrays and Tensors alike
        b1_ = theta[6:9]
        W2_ = theta[9:12].reshape(1, 3)
        return W1_, b1_, W2_

    Xt, yt = f64(X), f64(y)

    def loss(theta):
        W1_, b1_, W2_ = unpack(theta)
        h = ag.tanh(Xt @ W1_.T + b1_)
        pred = (h @ W2_.T)[:, 0]
        return 0.5 * ((pred - yt) ** 2).mean()

    assert loss(f64(theta0)).item() == pytest.approx(_mlp_loss_np(*unpack(theta0), X, y))
    H = AF.hessian(loss, f64(theta0))
    n = sum(sizes)
    assert H.shape == (n, n)

    def grad_np(theta):  # analytic gradient by the engine, differenced numerically below
        t = f64(theta, requires_grad=True)
        (g,) = ag.grad(loss(t), t)
        return g.data

    eps = 1e-5
    fd = np.stack([(grad_np(theta0 + eps * e) - grad_np(theta0 - eps * e)) / (2 * eps)
                   for e in np.eye(n)], axis=1)
    np.testing.assert_allclose(H.data, fd, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(H.data, H.data.T, atol=1e-12)

    # and against second differences of the loss itself (no engine gradients at all)
    def L(theta):
        return _mlp_loss_np(*unpack(theta), X, y)

    h = 1e-4
    E = np.eye(n) * h
    fd2 = np.array([[(L(theta0 + E[i] + E[j]) - L(theta0 + E[i] - E[j])
                      - L(theta0 - E[i] + E[j]) + L(theta0 - E[i] - E[j])) / (4 * h * h)
                     for j in range(n)] for i in range(n)])
    np.testing.assert_allclose(H.data, fd2, rtol=1e-4, atol=1e-6)


def test_hessian_tuple_inputs():
    x, y = f64([1.0, 2.0]), f64(3.0)
    H = AF.hessian(lambda a, b: (a * a).sum() * b, (x, y))
    assert isinstance(H, tuple) and len(H) == 2 and all(isinstance(r, tuple) for r in H)
    assert H[0][0].shape == (2, 2) and H[0][1].shape == (2,)
    assert H[1][0].shape == (2,) and H[1][1].shape == ()
    np.testing.assert_allclose(H[0][0].data, 2 * 3.0 * np.eye(2))
    np.testing.assert_allclose(H[0][1].data, 2 * x.data)
    np.testing.assert_allclose(H[1][0].data, 2 * x.data)
    assert H[1][1].item() == 0.0


def test_hessian_matrix_input_shape():
    X = f64(RNG.standard_normal((2, 2)))
    H = AF.hessian(lambda m: (m ** 3).sum(), X)
    assert H.shape == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            expected[i, j, i, j] = 6 * X.data[i, j]
    np.testing.assert_allclose(H.data, expected, atol=1e-12)


def test_hessian_errors():
    with pytest.raises(ValueError, match="max_size"):
        AF.hessian(lambda x: (x * x).sum(), f64(np.ones(20)), max_size=100)
    with pytest.raises(ValueError):
        AF.hessian(lambda x: x * x, f64([1.0, 2.0]))  # not a scalar function
    with pytest.raises(TypeError):
        AF.hessian(lambda x: (x * x).sum(), ag.tensor([1, 2]))


# ----------------------------------------------------------------------------- hvp, vjp
def test_hvp_equals_hessian_times_v():
    rng = np.random.default_rng(3)
    M = rng.standard_normal((4, 4))

    def f(x):
        return (ag.tanh(f64(M) @ x) ** 2).sum() + (x ** 4).sum()

    x = f64(rng.standard_normal(4))
    v = f64(rng.standard_normal(4))
    out, hv = AF.hvp(f, x, v)
    H = AF.hessian(f, x)
    np.testing.assert_allclose(hv.data, H.data @ v.data, rtol=1e-10, atol=1e-12)
    assert out.item() == pytest.approx(f(x).item())
    assert not out.requires_grad and not hv.requires_grad


def test_hvp_tuple_inputs():
    x, y = f64([1.0, 2.0]), f64([0.5])
    vx, vy = f64([1.0, -1.0]), f64([2.0])
    out, (hx, hy) = AF.hvp(lambda a, b: (a * a).sum() * b.sum(), (x, y), (vx, vy))
    # H = [[2b I, 2a], [2a^T, 0]]
    np.testing.assert_allclose(hx.data, 2 * 0.5 * vx.data + 2 * x.data * 2.0)
    np.testing.assert_allclose(hy.data, [2 * x.data @ vx.data])


def test_hvp_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        AF.hvp(lambda x: (x * x).sum(), f64([1.0, 2.0]), f64([1.0]))
    with pytest.raises(ValueError, match="hvp"):
        AF.hvp(lambda a, b: (a * b).sum(), (f64([1.0]), f64([2.0])), (f64([1.0]),))


def test_hvp_v_as_list_for_a_single_input():
    _, hv = AF.hvp(lambda x: (x ** 3).sum(), f64([1.0, 2.0]), [1.0, 1.0])
    np.testing.assert_allclose(hv.data, [6.0, 12.0])


def test_vjp():
    x = f64([1.0, 2.0, 3.0])
    v = f64([1.0, 0.5])
    out, g = AF.vjp(lambda a: f64(A) @ a.exp(), x, v)
    np.testing.assert_allclose(out.data, A @ np.exp(x.data))
    np.testing.assert_allclose(g.data, (v.data @ A) * np.exp(x.data))
    assert not out.requires_grad


def test_vjp_scalar_output_without_v_and_tuple_inputs():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    out, (gx, gy) = AF.vjp(lambda a, b: (a * b).sum(), (x, y))
    assert out.item() == 11.0
    np.testing.assert_allclose(gx.data, y.data)
    np.testing.assert_allclose(gy.data, x.data)
    with pytest.raises(RuntimeError):
        AF.vjp(lambda a: a * 2, x)  # non-scalar output needs v


def test_vjp_create_graph_differentiable():
    x = f64([1.0, 2.0], requires_grad=True)
    _, g = AF.vjp(lambda a: (a ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_functional_inputs_must_be_float_tensors():
    with pytest.raises(TypeError):
        AF.jacobian(lambda x: x, [1.0, 2.0])
    with pytest.raises(TypeError):
        AF.vjp(lambda x: x.sum(), ag.tensor([1, 2]))


def test_jacobian_and_hessian_create_graph_are_differentiable():
    x = f64([1.0, 2.0], requires_grad=True)
    J = AF.jacobian(lambda a: a ** 3, x, create_graph=True)
    assert J.requires_grad
    J.sum().backward()  # d/dx sum(diag(3 x^2)) = 6 x
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])
    x.grad = None
    H = AF.hessian(lambda a: (a ** 4).sum(), x, create_graph=True)
    H.sum().backward()  # d/dx sum(diag(12 x^2)) = 24 x
    np.testing.assert_allclose(x.grad.data, [24.0, 48.0])
    assert not AF.jacobian(lambda a: a ** 3, x).requires_grad


def test_jacobian_and_hessian_keep_the_input_dtype():
    x = ag.tensor([1.0, 2.0])
    assert AF.jacobian(lambda a: a * 2, x).dtype == np.float32
    assert AF.hessian(lambda a: (a ** 3).sum(), x).dtype == np.float32


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def test_hessian_and_hvp_of_a_function_independent_of_its_input():
    # PyTorch returns zeros; it used to raise "element 0 of tensors does not require grad"
    x = f64([1.0, 2.0], requires_grad=False)
    H = ag.functional.hessian(lambda a: ag.tensor(1.0, dtype=np.float64), x)
    np.testing.assert_array_equal(H.data, np.zeros((2, 2)))
    out, hv = ag.functional.hvp(lambda a: ag.tensor(1.0, dtype=np.float64), x,
                                f64([1.0, 1.0], requires_grad=False))
    np.testing.assert_array_equal(hv.data, [0.0, 0.0])
    Hs = ag.functional.hessian(lambda a, b: (a * 2).sum(), (x, f64(3.0, False)))
    assert [[h.shape for h in row] for row in Hs] == [[(2, 2), (2,)], [(2,), ()]]


def test_vjp_of_a_function_with_several_outputs():
    # PyTorch's vjp takes tuple outputs with one v per output; it used to raise TypeError
    x = f64([1.0, 2.0], requires_grad=False)
    outs, g = ag.functional.vjp(lambda a: (a * 2, (a * a).sum()), x,
                                (f64([1.0, 10.0], False), f64(1.0, False)))
    assert isinstance(outs, tuple) and len(outs) == 2
    assert not outs[0].requires_grad
    np.testing.assert_allclose(g.data, [2.0 + 2.0, 20.0 + 4.0])
    with pytest.raises(ValueError, match="one vector per output"):
        ag.functional.vjp(lambda a: (a * 2, a * 3), x, (f64([1.0, 1.0], False),))
    out, g = ag.functional.vjp(lambda a: a * 2, x, [1.0, 3.0])  # single output unchanged
    np.testing.assert_allclose(g.data, [2.0, 6.0])


def test_jacobian_of_a_function_not_returning_tensors_says_so():
    # it failed inside with "'float' object is not iterable"
    with pytest.raises(TypeError, match="jacobian: func must return a Tensor"):
        ag.functional.jacobian(lambda a: 1.0, f64([1.0, 2.0], False))
