"""Custom differentiable ops (ag.Function): the lectures' residual layer z = u + tanh(K u)
written by hand, checked against autograd, gradcheck, gradgradcheck and the Taylor test; and
the engine features a custom op must honour like a built-in."""
import gc
import weakref

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.backward import iter_backward
from autograd_lite.testing import GradcheckError, gradcheck, gradgradcheck, taylor_test


# ----------------------------------------------------------------------------- the layer
def residual_autograd(u, K):
    """z = u + tanh(K u), u of shape (n, N) (one column per example), K of shape (n, n)."""
    return u + ag.tanh(K @ u)


class Residual(ag.Function):
    """z = u + tanh(K u) with hand-derived VJPs (written with Tensor ops):
    with a = tanh(K u) and s = (1 - a^2) * g:  du = g + K^T s,  dK = s u^T."""

    @staticmethod
    def forward(ctx, u, K):
        ctx.save_for_backward(u, K)
        return u + ag.tanh(K @ u)

    @staticmethod
    def backward(ctx, g):
        u, K = ctx.saved_tensors
        a = ag.tanh(K @ u)
        s = (1 - a * a) * g
        du = g + K.T @ s if ctx.needs_input_grad[0] else None
        dK = s @ u.T if ctx.needs_input_grad[1] else None
        return du, dK


class ResidualWrong(ag.Function):
    """The same layer with a classic bug: K instead of K^T in the gradient for u."""

    @staticmethod
    def forward(ctx, u, K):
        ctx.save_for_backward(u, K)
        return u + ag.tanh(K @ u)

    @staticmethod
    def backward(ctx, g):
        u, K = ctx.saved_tensors
        a = ag.tanh(K @ u)
        s = (1 - a * a) * g
        return g + K @ s, s @ u.T


def _uK(n=4, N=3, seed=0):
    rng = np.random.default_rng(seed)
    u = ag.tensor(rng.standard_normal((n, N)), requires_grad=True)
    K = ag.tensor(rng.standard_normal((n, n)) / np.sqrt(n), requires_grad=True)
    return u, K


def test_residual_matches_autograd_outputs_and_grads():
    u, K = _uK()
    W = np.random.default_rng(1).standard_normal((4, 3))
    z_ref = residual_autograd(u, K)
    (z_ref * W).sum().backward()
    gu_ref, gK_ref = u.grad.data.copy(), K.grad.data.copy()
    u.grad = K.grad = None
    z = Residual.apply(u, K)
    assert z.dtype == np.float64 and z.requires_grad
    np.testing.assert_allclose(z.data, z_ref.data, rtol=1e-14, atol=1e-14)
    (z * W).sum().backward()
    np.testing.assert_allclose(u.grad.data, gu_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.grad.data, gK_ref, rtol=1e-12, atol=1e-12)


def test_residual_gradcheck_gradgradcheck_and_taylor():
    u, K = _uK()
    assert gradcheck(Residual.apply, (u, K))
    assert gradgradcheck(Residual.apply, (u, K))
    rep = taylor_test(Residual.apply, (u, K))
    assert rep.passed, str(rep)
    assert abs(rep.order - 2) < 0.3
    # each input alone, too (direction None for the other)
    rng = np.random.default_rng(3)
    rep_K = taylor_test(Residual.apply, (u, K), direction=(None, rng.standard_normal((4, 4))))
    assert rep_K.passed and abs(rep_K.order - 2) < 0.3


def test_wrong_backward_fails_gradcheck_naming_input_and_element():
    u, K = _uK()
    with pytest.raises(GradcheckError) as ei:
        gradcheck(ResidualWrong.apply, (u, K))
    msg = str(ei.value)
    assert "input 0" in msg and "element (" in msg
    assert "analytic" in msg and "numeric" in msg
    # the gradient for K is right: checking K alone passes
    u_const = ag.tensor(u.data)
    assert gradcheck(ResidualWrong.apply, (u_const, K))


def test_wrong_backward_fails_taylor_test_with_order_one():
    u, K = _uK()
    rep = taylor_test(ResidualWrong.apply, (u, K))
    assert not rep.passed
    assert not rep
    assert abs(rep.order - 1) < 0.25, str(rep)
    assert "FAILED" in str(rep)


# ------------------------------------------------------------------- arity and shape errors
class TwoGradsForOne(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2, g


class OneGradForTwo(ag.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        return g


class TransposedGrad(ag.Function):
    @staticmethod
    def forward(ctx, x, W):
        ctx.save_for_backward(x, W)
        return x @ W

    @staticmethod
    def backward(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W.T, (x.T @ g).T  # second is transposed: shape (out, in), not (in, out)


def test_wrong_arity_raises_naming_function_and_counts():
    x = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TwoGradsForOne\.backward returned 2 gradient"):
        TwoGradsForOne.apply(x).sum().backward()
    y = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError) as ei:
        OneGradForTwo.apply(x, y).sum().backward()
    msg = str(ei.value)
    assert "OneGradForTwo" in msg and "1 gradient" in msg and "2 input" in msg


def test_trailing_none_gradients_are_allowed():
    class Extra(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    x = ag.tensor(np.ones(3), requires_grad=True)
    Extra.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2)


def test_wrong_shape_raises_naming_function_input_and_shapes():
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    W = ag.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(RuntimeError) as ei:
        TransposedGrad.apply(x, W).sum().backward()
    msg = str(ei.value)
    assert "TransposedGrad" in msg and "input 1" in msg
    assert "(4, 3)" in msg and "(3, 4)" in msg


def test_wrong_shape_is_not_broadcast_silently():
    class Summed(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return g  # should be expanded to x's shape

    x = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Summed.*shape \(\) for input 0.*shape \(3,\)"):
        Summed.apply(x).backward()


def test_gradient_for_non_tensor_argument_raises():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x, alpha):
            return x * alpha

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Bad\.backward.*input 1.*not a Tensor.*float"):
        Bad.apply(x, 2.0).sum().backward()


def test_instance_call_gives_a_hint():
    with pytest.raises(TypeError, match=r"Residual\.apply"):
        Residual()(ag.ones(2))


# -------------------------------------------------------------------- like a built-in op
class Scale(ag.Function):
    """y = alpha * x with a non-tensor argument and a keyword argument."""

    @staticmethod
    def forward(ctx, x, alpha, *, shift=0.0):
        ctx.alpha = alpha
        return x * alpha + shift

    @staticmethod
    def backward(ctx, g):
        return g * ctx.alpha, None


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_grad_fn_name_and_introspection():
    u, K = _uK()
    z = Residual.apply(u, K)
    assert str(z.grad_fn) == "ResidualBackward"
    assert z.grad_fn.name == "Residual"
    assert z.grad_fn.next_functions == (u, K)
    assert z.grad_fn.output is z
    assert len(z.grad_fn.inputs) == 2
    y = Cube.apply(ag.tensor(2.0, requires_grad=True) * 1.0)
    assert str(y.grad_fn) == "CubeBackward"
    assert str(y.grad_fn.next_functions[0]) == "MulBackward"


def test_non_tensor_and_keyword_arguments():
    x = ag.tensor(np.arange(3.0), requires_grad=True)
    y = Scale.apply(x, 3.0, shift=1.0)
    np.testing.assert_allclose(y.data, 3 * np.arange(3.0) + 1)
    assert y.grad_fn.next_functions == (x,)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 3.0)
    assert gradcheck(lambda t: Scale.apply(t, -2.5), x)


def test_needs_input_grad():
    seen = []

    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    a = ag.tensor(np.ones(2), requires_grad=True)
    b = ag.tensor(np.ones(2))
    Probe.apply(a, b, 3)
    assert seen[-1] == (True, False, False)
    out = Probe.apply(a, b, 3)
    out.sum().backward()  # the gradient returned for b is dropped (b needs none)
    assert b.grad is None and a.grad is not None


def test_no_grad_records_nothing():
    u, K = _uK()
    with ag.no_grad():
        z = Residual.apply(u, K)
    assert z.grad_fn is None and not z.requires_grad
    z2 = Residual.apply(ag.tensor(u.data), ag.tensor(K.data))
    assert z2.grad_fn is None and not z2.requires_grad


def test_forward_runs_without_recording():
    inner = []

    class Peek(ag.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            inner.append((ag.is_grad_enabled(), y.grad_fn))
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Peek.apply(ag.tensor(np.ones(2), requires_grad=True))
    assert inner == [(False, None)]


def test_hooks_on_output_and_input():
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Cube.apply(x)
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()) or g * 10)
    x.register_hook(lambda g: g + 1)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.data, 10 * 3 * x.data ** 2 + 1)


def test_retain_grad_on_output():
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Cube.apply(x)
    y.retain_grad()
    (2 * y).sum().backward()
    np.testing.assert_allclose(y.grad.data, [2.0, 2.0])


def test_retain_graph():
    u, K = _uK()
    z = Residual.apply(u, K)
    g = ag.ones_like(z)
    z.backward(g, retain_graph=True)
    g1 = u.grad.data.copy()
    z.backward(g)  # second backward works because the graph was retained
    np.testing.assert_allclose(u.grad.data, 2 * g1)
    with pytest.raises(RuntimeError, match="ResidualBackward.*retain_graph"):
        z.backward(g)


def test_create_graph_double_backward():
    x = ag.tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    y = Cube.apply(x).sum()
    (gx,) = ag.grad(y, x, create_graph=True)
    np.testing.assert_allclose(gx.data, 3 * x.data ** 2)
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)
    H = ag.functional.hessian(lambda t: Cube.apply(t).sum(), x)
    np.testing.assert_allclose(H.data, np.diag(6 * x.data))


def test_iter_backward_steps_through_custom_op():
    u, K = _uK()
    z = Residual.apply(u, K)
    loss = (z * z).sum()
    steps = list(iter_backward(loss))
    names = [str(s.node) for s in steps]
    assert "ResidualBackward" in names
    step = steps[names.index("ResidualBackward")]
    assert len(step.grad_inputs) == 2
    assert tuple(np.shape(g) for g in step.grad_inputs) == (u.shape, K.shape)
    gu, gK = u.grad.data.copy(), K.grad.data.copy()
    u.grad = K.grad = None
    z2 = Residual.apply(u, K)
    (z2 * z2).sum().backward()
    np.testing.assert_allclose(gu, u.grad.data)
    np.testing.assert_allclose(gK, K.grad.data)


def test_inside_a_larger_graph_and_used_twice():
    u, K = _uK()
    z = Residual.apply(Residual.apply(u, K), K)  # two layers sharing K
    z_ref = residual_autograd(residual_autograd(u, K), K)
    np.testing.assert_allclose(z.data, z_ref.data)
    assert gradcheck(lambda a, b: Residual.apply(Residual.apply(a, b), b), (u, K))


# --------------------------------------------------------------------------- multi-output
class SinCos(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ag.sin(x), ag.cos(x)

    @staticmethod
    def backward(ctx, gs, gc):
        (x,) = ctx.saved_tensors
        return gs * ag.cos(x) - gc * ag.sin(x)


def test_multi_output():
    x = ag.tensor(np.linspace(-1, 2, 5), requires_grad=True)
    s, c = SinCos.apply(x)
    assert str(s.grad_fn) == "SinCosBackward" and str(c.grad_fn) == "SinCosBackward"
    np.testing.assert_allclose(s.data, np.sin(x.data))
    (2 * s + c * c).sum().backward()
    expect = 2 * np.cos(x.data) + 2 * np.cos(x.data) * -np.sin(x.data)
    np.testing.assert_allclose(x.grad.data, expect)
    x.grad = None
    s, _ = SinCos.apply(x)  # only one output used
    s.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.cos(x.data))
    assert gradcheck(SinCos.apply, x)
    assert gradgradcheck(SinCos.apply, x)


def test_multi_output_under_anomaly_mode_and_hooks():
    x = ag.tensor(np.linspace(-1, 2, 4), requires_grad=True)
    with ag.detect_anomaly():
        s, c = SinCos.apply(x)
        c.register_hook(lambda g: g * 0)  # only the sin branch contributes
        (s + c).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.cos(x.data))


def test_mark_non_differentiable_and_integer_outputs():
    class MaxWithIndex(ag.Function):
        @staticmethod
        def forward(ctx, x):
            i = int(np.argmax(x.data))
            ctx.i, ctx.shape = i, x.shape
            m = x[i]
            mask = ag.tensor(x.data == x.data[i]).astype(np.float64)
            ctx.mark_non_differentiable(mask)
            return m, ag.tensor(i), mask

        @staticmethod
        def backward(ctx, gm, gi, gmask):
            assert gmask.shape == ctx.shape
            out = np.zeros(ctx.shape)
            out[ctx.i] = 1.0
            return gm * ag.tensor(out)

    x = ag.tensor(np.array([1.0, 5.0, 2.0]), requires_grad=True)
    m, i, mask = MaxWithIndex.apply(x)
    assert m.requires_grad and not i.requires_grad and i.grad_fn is None
    assert not mask.requires_grad and mask.grad_fn is None
    m.backward()
    np.testing.assert_allclose(x.grad.data, [0, 1, 0])


# ---------------------------------------------------------------------- saved tensors
def test_saved_input_modified_in_place_raises():
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    a = x * 1.0
    y = Cube.apply(a)
    with ag.no_grad():
        a.mul_(2.0)
    with pytest.raises(RuntimeError, match="CubeBackward.*modified in place"):
        y.sum().backward()


class Exp(ag.Function):
    @staticmethod
    def forward(ctx, x):
        y = ag.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_saved_output_double_backward_and_no_cycle():
    x = ag.tensor(np.array([0.1, -0.3, 0.7]), requires_grad=True)
    assert gradcheck(Exp.apply, x)
    assert gradgradcheck(Exp.apply, x)  # the saved output carries the graph
    # the node does not keep its own output alive (no reference cycle)
    gc.disable()
    try:
        y = Exp.apply(x)
        node = y.grad_fn
        ref = weakref.ref(y)
        del y
        assert ref() is None
        g = node.apply(ag.ones(3, dtype=np.float64))  # rebuilt from the saved array
        np.testing.assert_allclose(np.asarray(g[0].data if hasattr(g[0], "data") else g[0]),
                                   np.exp(x.data))
    finally:
        gc.enable()


def test_saved_output_modified_in_place_raises():
    x = ag.tensor(np.array([0.1, -0.3]), requires_grad=True)
    y = Exp.apply(x)
    with ag.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="ExpBackward.*modified in place"):
        y.sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3.0)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="Bad: save_for_backward.*float"):
        Bad.apply(ag.ones(2, requires_grad=True))


def test_forward_may_return_arrays_and_errors_on_junk():
    class Arr(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return np.square(x.data)

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("not called")

    x = ag.tensor(np.array([1.0, 3.0]), requires_grad=True)
    y = Arr.apply(x)
    assert isinstance(y, ag.Tensor) and y.requires_grad
    np.testing.assert_allclose(y.data, [1.0, 9.0])

    class Junk(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return "nope"

    with pytest.raises(TypeError, match="Junk.forward returned a str"):
        Junk.apply(x)


def test_same_tensor_passed_twice():
    u, K = _uK(n=3, N=3)
    z = Residual.apply(u, u)  # u as both the state and the weight
    z_ref = residual_autograd(u, u)
    np.testing.assert_allclose(z.data, z_ref.data)
    assert gradcheck(lambda a: Residual.apply(a, a), u)


def test_anomaly_mode_names_the_custom_op():
    class NaNGrad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = ag.tensor(np.ones(2), requires_grad=True)
    with ag.detect_anomaly():
        y = NaNGrad.apply(x)
        with pytest.raises(RuntimeError, match="NaNGradBackward.*NaN"):
            (y * 2).sum().backward()


def test_backward_on_arrays_gives_first_derivatives_only():
    class CubeNumpy(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * g.data * x.data ** 2  # an ndarray: correct, but not differentiable

    x = ag.tensor(np.array([0.5, -1.0]), requires_grad=True)
    assert gradcheck(CubeNumpy.apply, x)
    assert not gradgradcheck(CubeNumpy.apply, x, raise_exception=False)


def test_saved_tensor_changed_through_a_detached_alias_is_caught():
    class Mul(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0])
    y = Mul.apply(a, b)
    with ag.no_grad():
        b.detach().add_(100)  # same memory, another Tensor: b's version does not move
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()
    assert a.grad is None
    # through a view of the saved tensor too
    b2 = ag.tensor([[3.0, 4.0]])
    y = Mul.apply(a, b2)
    with ag.no_grad():
        b2.reshape(2)[0] = 0.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_saved_output_changed_through_a_detached_alias_is_caught():
    class Exp(ag.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = ag.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    with ag.no_grad():
        y.detach().mul_(2.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()
