"""ag.functional's forward-mode transforms (issue 16): jvp, jacfwd, jacobian(mode="forward"),
linearize, and hvp/hessian forward-over-reverse, against closed forms and torch.func."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import functional as AF


def f64(x, requires_grad=False):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


RNG = np.random.default_rng(0)
W = RNG.standard_normal((5, 4))
A = RNG.standard_normal((4, 4))
A = A + A.T


def f_tanh(x):  # R^4 -> R^5
    return ag.tanh(f64(W) @ x)


def f_scalar(x):  # (sum tanh(W x))^2, the benchmark's function
    return ag.tanh(f64(W) @ x).sum() ** 2


def jac_tanh(x):
    return (1 - np.tanh(W @ x) ** 2)[:, None] * W


def hess_scalar(x):  # s = sum tanh(Wx); H = 2 g g^T + 2 s W^T diag(-2 t (1 - t^2)) W
    t = np.tanh(W @ x)
    s = t.sum()
    g = W.T @ (1 - t ** 2)
    return 2 * np.outer(g, g) + 2 * s * (W.T * (-2 * t * (1 - t ** 2))) @ W


X = RNG.standard_normal(4)


def test_jvp_closed_form_and_batched():
    v = RNG.standard_normal(4)
    out, t = AF.jvp(f_tanh, f64(X), f64(v))
    np.testing.assert_allclose(out.data, np.tanh(W @ X))
    np.testing.assert_allclose(t.data, jac_tanh(X) @ v, rtol=1e-12)
    assert not t.requires_grad and not out.requires_grad
    V = RNG.standard_normal((3, 4))
    _, T = AF.jvp(f_tanh, f64(X), f64(V))  # three tangents in one pass
    np.testing.assert_allclose(T.data, V @ jac_tanh(X).T, rtol=1e-12)


def test_jvp_several_inputs_and_outputs():
    x, y = f64([1.0, 2.0]), f64([3.0, -1.0])
    (o1, o2), (t1, t2) = AF.jvp(lambda a, b: (a * b, (a ** 2).sum()), (x, y),
                                (f64([1.0, 0.0]), f64([0.0, 1.0])))
    np.testing.assert_allclose(t1.data, [3.0, 2.0])  # d(ab) = da b + a db
    np.testing.assert_allclose(t2.data, 2.0)
    with pytest.raises(ValueError, match="jvp"):
        AF.jvp(lambda a: a, x, f64([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="omitted"):
        AF.jvp(lambda a: a, x)
    _, t = AF.jvp(lambda a: a * 3, f64(2.0))  # one element: v defaults to 1
    assert t.item() == 3.0


def test_jacobian_forward_equals_reverse_and_closed_form():
    Jf = AF.jacobian(f_tanh, f64(X), mode="forward")
    Jr = AF.jacobian(f_tanh, f64(X))
    np.testing.assert_allclose(Jf.data, jac_tanh(X), rtol=1e-12)
    np.testing.assert_allclose(Jf.data, Jr.data, rtol=1e-12)
    x, y = f64(RNG.standard_normal((2, 3))), f64(RNG.standard_normal(3))
    fwd = AF.jacobian(lambda a, b: (a * b, a.sum(1)), (x, y), mode="forward")
    rev = AF.jacobian(lambda a, b: (a * b, a.sum(1)), (x, y))
    for rf, rr in zip(fwd, rev):
        for a, b in zip(rf, rr):
            assert a.shape == b.shape
            np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        AF.jacobian(f_tanh, f64(X), mode="sideways")


def test_jacfwd_and_argnums():
    J = AF.jacfwd(f_tanh)(f64(X))
    np.testing.assert_allclose(J.data, jac_tanh(X), rtol=1e-12)
    g = AF.jacfwd(lambda a, b: a * b, argnums=1)
    np.testing.assert_allclose(g(f64([1.0, 2.0]), f64([3.0, 4.0])).data, np.diag([1.0, 2.0]))
    Ja, Jb = AF.jacfwd(lambda a, b: a * b, argnums=(0, 1))(f64([1.0, 2.0]), f64([3.0, 4.0]))
    np.testing.assert_allclose(Ja.data, np.diag([3.0, 4.0]))


def test_linearize():
    out, jvp_fn = AF.linearize(f_tanh, f64(X))
    np.testing.assert_allclose(out.data, np.tanh(W @ X))
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(jvp_fn(f64(v)).data, jac_tanh(X) @ v, rtol=1e-12)
    np.testing.assert_allclose(jvp_fn(f64(2 * v)).data, 2 * jac_tanh(X) @ v, rtol=1e-12)


def test_hvp_and_hessian_forward_over_reverse():
    H = hess_scalar(X)
    for mode in ("fwd-rev", "rev-rev"):
        Hm = AF.hessian(f_scalar, f64(X), mode=mode)
        np.testing.assert_allclose(Hm.data, H, rtol=1e-10, atol=1e-12, err_msg=mode)
        v = RNG.standard_normal(4)
        out, hv = AF.hvp(f_scalar, f64(X), f64(v), mode=mode)
        np.testing.assert_allclose(hv.data, H @ v, rtol=1e-10, err_msg=mode)
        np.testing.assert_allclose(out.item(), np.tanh(W @ X).sum() ** 2)
    V = RNG.standard_normal((3, 4))
    _, HV = AF.hvp(f_scalar, f64(X), f64(V))  # batched: three vectors in one pass
    np.testing.assert_allclose(HV.data, V @ H, rtol=1e-10)
    quad = AF.hessian(lambda x: 0.5 * (x @ (f64(A) @ x)), f64(X))
    np.testing.assert_allclose(quad.data, A, rtol=1e-12)


def test_hessian_of_several_inputs_matches_rev_rev():
    x, y = f64(RNG.standard_normal(3)), f64(RNG.standard_normal((2, 2)))

    def f(a, b):
        return (ag.sin(a).sum() * b.sum()) + (b ** 3).sum() * a[0]
    Hf = AF.hessian(f, (x, y))
    Hr = AF.hessian(f, (x, y), mode="rev-rev")
    for i in range(2):
        for j in range(2):
            assert Hf[i][j].shape == Hr[i][j].shape
            np.testing.assert_allclose(Hf[i][j].data, Hr[i][j].data, rtol=1e-10, atol=1e-12)


def test_hessian_falls_back_for_ops_without_a_jvp():
    class Cube(ag.Function):  # a custom Function without a jvp staticmethod
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * g * x * x

    H = AF.hessian(lambda t: Cube.apply(t).sum(), f64([1.0, 2.0]))
    np.testing.assert_allclose(H.data, np.diag([6.0, 12.0]))


# ----------------------------------------------------------------------------- torch.func
def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("case", ["tanh", "softmax_lse", "mlp"])
def test_against_torch_func(case):
    torch = _torch()
    tf = torch.func
    Wt = torch.tensor(W)

    def mine(x):
        if case == "tanh":
            return (ag.tanh(f64(W) @ x) ** 2).sum()
        if case == "softmax_lse":
            return ag.softmax(x, 0)[0] * ag.logsumexp(x) + (x * x).mean()
        h = ag.relu(f64(W) @ x + 0.1)
        return ag.log_softmax(h, 0)[2] + ag.sigmoid(x).sum()

    def theirs(x):
        if case == "tanh":
            return (torch.tanh(Wt @ x) ** 2).sum()
        if case == "softmax_lse":
            return torch.softmax(x, 0)[0] * torch.logsumexp(x, 0) + (x * x).mean()
        h = torch.relu(Wt @ x + 0.1)
        return torch.log_softmax(h, 0)[2] + torch.sigmoid(x).sum()

    v = RNG.standard_normal(4)
    xt, vt = torch.tensor(X), torch.tensor(v)
    _, jt = tf.jvp(theirs, (xt,), (vt,))
    _, jm = AF.jvp(mine, f64(X), f64(v))
    np.testing.assert_allclose(jm.data, jt.numpy(), rtol=1e-10)
    np.testing.assert_allclose(AF.jacfwd(mine)(f64(X)).data, tf.jacfwd(theirs)(xt).numpy(),
                               rtol=1e-10)
    _, hvt = tf.jvp(tf.grad(theirs), (xt,), (vt,))  # torch's forward-over-reverse hvp
    np.testing.assert_allclose(AF.hvp(mine, f64(X), f64(v))[1].data, hvt.numpy(), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(AF.hessian(mine, f64(X)).data, tf.hessian(theirs)(xt).numpy(),
                               rtol=1e-9, atol=1e-12)


def test_the_default_really_is_forward_over_reverse(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("fell back to reverse over reverse")
    monkeypatch.setattr(AF, "_hessian_rev", boom)
    monkeypatch.setattr(AF, "_hvp_rev", boom)
    AF.hessian(f_scalar, f64(X))
    AF.hvp(f_scalar, f64(X), f64(X))
    AF.hessian(lambda x: ag.softmax(x, 0)[0] * ag.logsumexp(x) + ag.relu(x).max(), f64(X))


def _count_records(monkeypatch):
    from autograd_lite import primitive
    n = [0]
    orig = primitive.Op._record

    def counted(self, *args):
        n[0] += 1
        return orig(self, *args)
    monkeypatch.setattr(primitive.Op, "_record", counted)
    return n


def test_forward_over_reverse_records_no_graph_of_the_backward(monkeypatch):
    """The backward runs its rules on Tensors (so the ops carry tangents) but records nothing:
    hessian/hvp record only the forward of func (the inputs carry the tangents themselves)."""
    n = _count_records(monkeypatch)
    f_scalar(f64(X, True))
    n_forward = n[0]
    assert n_forward > 0
    n[0] = 0
    H = AF.hessian(f_scalar, f64(X))
    assert n[0] == n_forward
    np.testing.assert_allclose(H.data, hess_scalar(X), rtol=1e-10, atol=1e-12)
    n[0] = 0
    AF.hvp(f_scalar, f64(X), f64(X))
    assert n[0] == n_forward
    n[0] = 0
    AF.hessian(f_scalar, f64(X), mode="rev-rev")  # double backward records its backward
    assert n[0] > 2 * n_forward


def test_forward_over_reverse_runs_hooks_and_skips_unneeded_parts():
    Wp = f64(W, True)  # a parameter that requires grad: its gradient is not needed

    def f(x, hook):
        h = ag.tanh(Wp @ x)
        if hook:
            h.register_hook(lambda g: 3 * g)
        return h.sum() ** 2
    Hf = AF.hessian(lambda x: f(x, False), f64(X))
    np.testing.assert_allclose(Hf.data, hess_scalar(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Hf.data, AF.hessian(lambda x: f(x, False), f64(X),
                                                   mode="rev-rev").data, rtol=1e-10)
    # the hook triples the gradient flowing into h (the one backward runs it), so its
    # derivative is 3 H (double backward would run the hook in both passes: 9 H there)
    np.testing.assert_allclose(AF.hessian(lambda x: f(x, True), f64(X)).data,
                               3 * hess_scalar(X), rtol=1e-10, atol=1e-12)
    assert Wp.grad is None
