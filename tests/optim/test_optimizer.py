"""Optimizer base behaviour, the lectures' optimisation examples, Newton and AMSGrad."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler


def _t(x, rg=True):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


# ----------------------------------------------------------------------------- base class
def test_param_groups_hold_per_group_hyper_parameters():
    a, b = _t([1.0]), _t([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0.0 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b
    a.grad, b.grad = _t([1.0], False), _t([1.0], False)
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5])
    assert set(map(id, opt.state)) == {id(b)}  # only the momentum group keeps a buffer
    c = _t([3.0])
    opt.add_param_group({"params": [c], "lr": 2.0})
    assert opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("make,msg", [
    (lambda p: optim.SGD(p, lr=-1.0), "Invalid learning rate: -1.0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay"),
    (lambda p: optim.Adagrad(p, lr=-0.01), "Invalid learning rate: -0.01"),
    (lambda p: optim.Adagrad(p, eps=-1), "Invalid epsilon"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda p: optim.AdamW(p, lr=-3), "Invalid learning rate: -3"),
    (lambda p: optim.Newton(p, damping=-1.0), "Invalid damping"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
])
def test_invalid_hyper_parameters_raise_value_error(make, msg):
    with pytest.raises(ValueError, match=msg):
        make([_t([1.0])])


def test_sgd_lr_defaults_as_torch_and_params_must_be_tensors():
    assert optim.SGD([_t([1.0])]).defaults["lr"] == 1e-3  # PyTorch's default since 2.2
    with pytest.raises(ValueError, match="required"):  # the sentinel still works for groups
        optim.Optimizer([_t([1.0])], {"lr": optim.optimizer.required})
    with pytest.raises(TypeError):
        optim.SGD(_t([1.0]), lr=0.1)  # a bare Tensor, not an iterable of them
    with pytest.raises(TypeError):
        optim.SGD([np.ones(2)], lr=0.1)


def test_zero_grad_set_to_none_and_to_zeros_without_touching_shared_arrays():
    p = _t([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad()
    assert p.grad is None
    (p * p).sum().backward()
    shared = p.grad.data
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    assert p.grad.dtype == np.float64
    np.testing.assert_array_equal(shared, [2.0, 4.0])  # the old array is untouched


def test_step_calls_closure_under_enable_grad_and_returns_its_loss():
    p = _t([3.0])
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.item() == 3.0 - 0.25 * 6.0
    assert opt.step() is None


def test_parameters_without_grad_are_skipped_and_versions_bump():
    a, b = _t([1.0]), _t([2.0])
    for cls in (optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad):
        opt = cls([a, b], lr=0.1)
        a.grad, b.grad = _t([1.0], False), None
        va, vb, bb = a._version, b._version, b.data.copy()
        opt.step()
        assert a._version > va and b._version == vb
        np.testing.assert_array_equal(b.data, bb)


def test_optim_does_not_import_nn():
    import subprocess
    import sys
    code = ("import sys, autograd_lite.optim, autograd_lite.optim.lr_scheduler; "
            "print('autograd_lite.nn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- lecture 003
def test_gd_on_x1sq_plus_2x2sq_first_iterate_and_convergence():
    # lecture 003: f(x) = x1^2 + 2 x2^2, gradient (2 x1, 4 x2); from [-5, -2] with lr 0.1
    x = _t([-5.0, -2.0])
    opt = optim.SGD([x], lr=0.1)

    def f():
        return x[0] ** 2 + 2 * x[1] ** 2

    f().backward()
    np.testing.assert_array_equal(x.grad.data, [-10.0, -8.0])
    opt.step()
    np.testing.assert_allclose(x.data, [-4.0, -1.2], rtol=0, atol=1e-15)
    for _ in range(100):
        opt.zero_grad()
        f().backward()
        opt.step()
    assert f().item() < 1e-15
    np.testing.assert_allclose(x.data, [0.0, 0.0], atol=1e-8)


def _valley(x):
    # lecture 001's "more interesting landscape"; minima at (1, 2) and (-1, 0)
    return (x[0] ** 2 - 1) ** 2 + (x[0] ** 2 * x[1] - x[0] - 1) ** 2


def test_valley_gradient_matches_the_lecture_formula():
    x1, x2 = 1.5, -1.0
    x = _t([x1, x2])
    _valley(x).backward()
    r = x1 ** 2 * x2 - x1 - 1
    want = [4 * x1 * (x1 ** 2 - 1) + 2 * (2 * x1 * x2 - 1) * r, 2 * x1 ** 2 * r]
    np.testing.assert_allclose(x.grad.data, want, rtol=1e-14)


def _iterations_to_converge(tol=1e-10, max_iter=3000, **kw):
    x = _t([1.5, -1.0])
    opt = optim.SGD([x], lr=0.01, **kw)
    for k in range(max_iter):
        opt.zero_grad()
        loss = _valley(x)
        if loss.item() < tol:
            return k, x.data.copy()
        loss.backward()
        opt.step()
    return max_iter, x.data.copy()


def test_momentum_and_nesterov_beat_gd_in_the_narrow_valley():
    k_gd, x_gd = _iterations_to_converge()
    k_mom, x_mom = _iterations_to_converge(momentum=0.9)
    k_nest, x_nest = _iterations_to_converge(momentum=0.9, nesterov=True)
    assert k_gd < 3000  # GD gets there too, slowly (about 730 iterations)
    for x in (x_gd, x_mom, x_nest):
        np.testing.assert_allclose(x, [-1.0, 0.0], atol=1e-4)  # the minimum near the start
    assert k_mom < k_gd / 2 and k_nest < k_gd / 2
    assert k_nest < k_mom


# ----------------------------------------------------------------------------- Newton
def test_newton_minimises_a_strictly_convex_quadratic_in_one_step():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + 5 * np.eye(5)  # symmetric positive definite
    b = rng.standard_normal(5)
    # parameters split over two tensors of different shapes: the Hessian is joint
    u, v = _t(rng.standard_normal((2,))), _t(rng.standard_normal((3, 1)))
    opt = optim.Newton([u, v])

    def closure():
        z = ag.cat([u, v.reshape(-1)])
        return 0.5 * (z @ ag.tensor(A) @ z) - ag.tensor(b) @ z

    vu, vv = u._version, v._version
    loss = opt.step(closure)
    assert isinstance(loss, ag.Tensor)
    x_star = np.linalg.solve(A, b)
    np.testing.assert_allclose(np.concatenate([u.data, v.data.ravel()]), x_star, rtol=1e-10)
    np.testing.assert_allclose(opt.last_hessian, A, rtol=1e-12)
    assert u._version > vu and v._version > vv
    # at the minimiser the next step stays put
    opt.step(closure)
    np.testing.assert_allclose(np.concatenate([u.data, v.data.ravel()]), x_star, rtol=1e-10)


def test_newton_damping_and_lr():
    x = _t([4.0])
    opt = optim.Newton([x], lr=0.5, damping=1.0)
    opt.step(lambda: 0.5 * 3.0 * (x * x).sum())  # H = 3, g = 12
    np.testing.assert_allclose(x.data, [4.0 - 0.5 * 12.0 / 4.0])


def test_newton_on_the_lecture_half_x_squared():
    # lecture 003: f(x) = x^2 / 2 has H = 1, so Newton's rule is x <- x - x = 0 in one step
    x = _t([7.0])
    optim.Newton([x]).step(lambda: 0.5 * (x ** 2).sum())
    assert x.item() == 0.0


def test_newton_refuses_the_saddle_unless_damped():
    # lecture 004's saddle f(x, y) = x^2 - y^2: H = diag(2, -2) is indefinite
    p = _t([1.0, 0.5])
    opt = optim.Newton([p])

    def closure():
        return p[0] ** 2 - p[1] ** 2

    with pytest.raises(RuntimeError, match=r"not positive definite.*-2"):
        opt.step(closure)
    np.testing.assert_array_equal(p.data, [1.0, 0.5])  # no step was taken
    assert p._version == 0
    # damping beyond -lambda_min makes (H + lambda I) positive definite: a descent step
    damped = optim.Newton([p], damping=3.0)
    before = closure().item()
    damped.step(closure)
    np.testing.assert_allclose(p.data, [1.0 - 2.0 / 5.0, 0.5 - (-1.0) / 1.0])
    assert closure().item() < before
    with pytest.raises(RuntimeError, match="not positive"):
        optim.Newton([p], diagonal=True).step(closure)


def test_newton_diagonal_preconditioning():
    # x1^2 + 2 x2^2 is separable: diagonal Newton solves it in one step too
    x = _t([-5.0, -2.0])
    opt = optim.Newton([x], diagonal=True)
    opt.step(lambda: x[0] ** 2 + 2 * x[1] ** 2)
    np.testing.assert_allclose(x.data, [0.0, 0.0], atol=1e-15)
    # on a coupled quadratic it divides the gradient by diag(H) only
    A = np.array([[4.0, 1.0], [1.0, 2.0]])
    y = _t([1.0, 1.0])
    optim.Newton([y], diagonal=True).step(lambda: 0.5 * (y @ ag.tensor(A) @ y))
    np.testing.assert_allclose(y.data, [1.0, 1.0] - (A @ [1.0, 1.0]) / np.diag(A))


def test_newton_size_limit_and_closure_errors():
    w = _t(np.ones((10, 11)))
    with pytest.raises(ValueError, match=r"110 entries.*max_params=100"):
        optim.Newton([w], max_params=100).step(lambda: (w * w).sum())
    opt = optim.Newton([w], max_params=200)
    opt.step(lambda: (w * w).sum())  # allowed once the limit is raised
    np.testing.assert_allclose(w.data, 0.0, atol=1e-15)
    with pytest.raises(RuntimeError, match="requires a closure"):
        opt.step()

    def closure_with_backward():
        loss = (w * w * w).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="without calling"):
        opt.step(closure_with_backward)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.Newton([{"params": [w]}, {"params": [_t([1.0])]}])


def test_newton_fits_logistic_regression_fast():
    # a strictly convex, non-quadratic loss: Newton converges in a handful of steps
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.3 * rng.standard_normal(50) > 0).astype(np.float64)
    w = _t(np.zeros(3))
    Xt, yt = ag.tensor(X), ag.tensor(y)

    def closure():
        z = Xt @ w
        # mean log(1 + e^z) - y z, plus a small ridge so the minimiser is finite
        return (ag.log(1 + ag.exp(z)) - yt * z).mean() + 0.01 * (w * w).sum()

    opt = optim.Newton([w])
    for _ in range(8):
        opt.step(closure)
    closure().backward()
    assert np.abs(w.grad.data).max() < 1e-10


# ----------------------------------------------------------------------------- AMSGrad
def _reddi_kale_kumar(amsgrad, C=3.0, T=1500, alpha=0.5):
    """Online problem of Reddi, Kale & Kumar (2018), Thm. 1: on X = [-1, 1],
    f_t(x) = C x when t mod 3 == 1 and -x otherwise (C > 2). The average loss (C - 2) x / 3 is
    minimised at x = -1. Adam with beta1 = 0, beta2 = 1 / (1 + C^2) and step alpha / sqrt(t)
    drifts to x = +1; AMSGrad converges to -1."""
    x = _t([0.5])
    opt = optim.Adam([x], lr=alpha, betas=(0.0, 1.0 / (1.0 + C ** 2)), amsgrad=amsgrad)
    sched = lr_scheduler.PowerDecayLR(opt, alpha=-0.5)  # lr_t = alpha / sqrt(t)
    regret = 0.0
    for t in range(1, T + 1):
        c = C if t % 3 == 1 else -1.0
        opt.zero_grad()
        loss = (c * x).sum()
        regret += loss.item() - c * -1.0
        loss.backward()
        opt.step()
        with ag.no_grad():
            x.clamp_(-1.0, 1.0)  # projection onto the feasible set
        sched.step()
    return x.item(), regret / T


def test_amsgrad_converges_where_adam_does_not():
    x_adam, r_adam = _reddi_kale_kumar(amsgrad=False)
    x_ams, r_ams = _reddi_kale_kumar(amsgrad=True)
    assert x_adam > 0.9  # Adam ends at the worst point of the feasible set
    assert x_ams < -0.9  # AMSGrad at the optimum
    assert r_ams < 0.1 < r_adam  # average regret: vanishing vs. not


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_layout_is_pytorchs():
    a, b, c = _t([1.0, 2.0]), _t([[3.0]]), _t([4.0])
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.1}], amsgrad=True)
    for p in (a, b, c):
        p.grad = ag.ones_like(p)
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.1 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sorted(sd["state"][1]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert sd["state"][1]["exp_avg"].shape == (1, 1) and sd["state"][0]["step"] == 1

    def plain(v):  # only arrays, numbers, bools, strings and tuples: nn.save can store it
        if isinstance(v, dict):
            return all(plain(x) for x in v.values())
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        return isinstance(v, (np.ndarray, int, float, bool, str))

    assert plain(sd)
    # saved arrays are copies: further steps do not change them
    before = sd["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)


def test_load_state_dict_restores_hyper_parameters_and_checks_sizes():
    a = _t([1.0, 2.0])
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = ag.ones_like(a)
    opt.step()
    opt.param_groups[0]["lr"] = 0.01
    sd = opt.state_dict()
    b = _t([1.0, 2.0])
    opt2 = optim.SGD([b], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["momentum"] == 0.9
    assert opt2.param_groups[0]["params"][0] is b
    np.testing.assert_array_equal(opt2.state[b]["momentum_buffer"], [1.0, 1.0])
    # deep copy: stepping the new optimizer leaves the state dict alone
    b.grad = ag.ones_like(b)
    opt2.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], [1.0, 1.0])
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([_t([1.0]), _t([2.0])], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [_t([1.0])]}, {"params": [_t([1.0])]}],
                  lr=0.1).load_state_dict(sd)


def test_load_state_dict_accepts_what_a_file_format_gives_back():
    # string keys, 0-d arrays and arrays for tuples, as an .npz round trip may produce
    a = _t([1.0, -1.0])
    opt = optim.Adam([a], lr=0.01)
    a.grad = ag.ones_like(a)
    opt.step()
    sd = opt.state_dict()
    mangled = {"state": {str(k): {n: np.asarray(v) for n, v in s.items()}
                         for k, s in sd["state"].items()},
               "param_groups": [{k: np.asarray(v) for k, v in g.items()}
                                for g in sd["param_groups"]]}
    b = _t(a.data.copy())
    opt2 = optim.Adam([b])
    opt2.load_state_dict(mangled)
    g = opt2.param_groups[0]
    assert g["betas"] == (0.9, 0.999) and isinstance(g["betas"], tuple)
    assert g["lr"] == 0.01 and g["amsgrad"] is False
    assert opt2.state[b]["step"] == 1
    a.grad, b.grad = ag.ones_like(a), ag.ones_like(b)
    opt.step()
    opt2.step()
    np.testing.assert_array_equal(a.data, b.data)
