"""Forward-mode AD (issue 16): dual tensors, the JVP engine, batched tangents."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import forward_ad as fwAD
from autograd_lite import primitive


def _f(x, W):
    return (ag.tanh(W @ x) ** 2).sum() + ag.softmax(x, 0)[1] + ag.logsumexp(x) \
        + ag.einsum("i,i->", x, x) + x.max() + x.std() + ag.sigmoid(x).mean()


def _grad(f, p):
    x = ag.tensor(p, requires_grad=True)
    f(x).backward()
    return x.grad.data


def test_names_match_torch():
    assert ag.dual_level is fwAD.dual_level
    assert ag.make_dual is fwAD.make_dual and ag.unpack_dual is fwAD.unpack_dual
    assert ag.forward_ad is fwAD


def test_jvp_equals_gradient_dot_tangent():
    rng = np.random.default_rng(0)
    W = ag.tensor(rng.standard_normal((4, 3)))
    p, t = rng.standard_normal(3), rng.standard_normal(3)
    with ag.dual_level():
        x = ag.make_dual(ag.tensor(p), ag.tensor(t))
        y = _f(x, W)
        primal, tangent = ag.unpack_dual(y)
    np.testing.assert_allclose(primal.data, _f(ag.tensor(p), W).data)
    np.testing.assert_allclose(tangent.item(), _grad(lambda x: _f(x, W), p) @ t, rtol=1e-10)
    assert not primitive._dual  # the level closed


def test_batched_tangents_give_the_jacobian_in_one_pass():
    rng = np.random.default_rng(1)
    W = ag.tensor(rng.standard_normal((4, 3)))
    p = rng.standard_normal(3)
    with ag.dual_level():
        x = ag.make_dual(ag.tensor(p), ag.tensor(np.eye(3)))
        J = ag.unpack_dual(_f(x, W)).tangent
    assert J.shape == (3,)
    np.testing.assert_allclose(J.data, _grad(lambda x: _f(x, W), p), rtol=1e-10)
    with ag.dual_level():  # a vector function: tangent (B,) + out.shape, the Jacobian's columns
        x = ag.make_dual(ag.tensor(p), ag.tensor(np.eye(3)))
        y = ag.tanh(W @ x)
        Jt = ag.unpack_dual(y).tangent.data
    d = 1 - np.tanh(W.data @ p) ** 2
    np.testing.assert_allclose(Jt.T, d[:, None] * W.data, rtol=1e-12)


def test_an_op_without_a_jvp_raises_naming_it():
    op = ag.primitive.Op("NoJvpOp", np.sin, lambda g, out, x: g, explain=None)
    with ag.dual_level():
        x = ag.make_dual(ag.tensor([1.0]), ag.tensor([1.0]))
        with pytest.raises(NotImplementedError, match="NoJvpOp"):
            op(x)
        op(ag.tensor([1.0]))  # no tangent in: fine


def test_no_tangent_no_work_and_levels_drop_tangents():
    with ag.dual_level():
        x = ag.make_dual(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 1.0]))
        c = ag.tensor([3.0, 4.0]) * 2  # no dual input: no tangent
        assert ag.unpack_dual(c).tangent is None
        y = x * c
        assert ag.unpack_dual(y).tangent is not None
        assert ag.unpack_dual(x > 1).tangent is None  # not differentiable: no tangent
    assert ag.unpack_dual(y).tangent is None  # dropped when the level exited
    with pytest.raises(RuntimeError, match="dual_level"):
        ag.make_dual(ag.tensor([1.0]), ag.tensor([1.0]))


def test_make_dual_checks_shapes_and_dtypes():
    with ag.dual_level():
        with pytest.raises(ValueError, match="make_dual"):
            ag.make_dual(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0, 3.0]))
        with pytest.raises(TypeError, match="make_dual"):
            ag.make_dual(ag.tensor([1, 2]), ag.tensor([1, 2]))


def test_float32_tangents_stay_float32_and_numbers_mix():
    with ag.dual_level():
        x = ag.make_dual(ag.tensor([1.0, 2.0], dtype=np.float32), np.ones(2))
        y = 2.0 * x + 1 - x / 3
        t = ag.unpack_dual(y).tangent
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.data, [2 - 1 / 3] * 2, rtol=1e-6)


def test_dual_of_a_tensor_requiring_grad_is_differentiable():
    # reverse over forward: d/dx of the tangent of sin(x) along t is -sin(x) t
    p = ag.tensor([0.3, 0.7], requires_grad=True)
    with ag.dual_level():
        x = ag.make_dual(p, ag.tensor([1.0, 2.0]))
        tangent = ag.unpack_dual(ag.sin(x)).tangent
        assert tangent.requires_grad
        tangent.sum().backward()
    np.testing.assert_allclose(p.grad.data, -np.sin(p.data) * [1.0, 2.0], rtol=1e-6)


def test_forward_over_reverse_through_create_graph():
    # the tangent of the gradient of f along v is H v
    rng = np.random.default_rng(2)
    A = rng.standard_normal((3, 3))
    A = A + A.T
    p, v = rng.standard_normal(3), rng.standard_normal(3)
    with ag.dual_level():
        x = ag.make_dual(ag.tensor(p, requires_grad=True), ag.tensor(v))
        y = 0.5 * (x @ (ag.tensor(A) @ x)) + ag.cos(x).sum()
        (g,) = ag.grad(y, [x], create_graph=True)
        hv = ag.unpack_dual(g).tangent
    np.testing.assert_allclose(hv.data, A @ v - np.cos(p) * v, rtol=1e-10)


def test_matmul_batched_shapes():
    """Batched tangents through matmul for every rank pairing (and the (k, 1) column case),
    on a, on b and on both, with the rules on ndarrays and recorded (primals requiring grad)."""
    rng = np.random.default_rng(3)
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                   ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)),
                   ((5, 2, 3), (3,)), ((4, 3), (3, 1)), ((5, 4, 3), (3, 1))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        ta, tb = rng.standard_normal((2,) + sa), rng.standard_normal((2,) + sb)
        for which in ("ab", "a", "b"):
            for rg in (False, True):
                with ag.dual_level():
                    xa = ag.tensor(a, requires_grad=rg)
                    xb = ag.tensor(b, requires_grad=rg)
                    if "a" in which:
                        xa = ag.make_dual(xa, ag.tensor(ta))
                    if "b" in which:
                        xb = ag.make_dual(xb, ag.tensor(tb))
                    t = ag.unpack_dual(xa @ xb).tangent.data
                want = np.stack([(ta[k] @ b if "a" in which else 0)
                                 + (a @ tb[k] if "b" in which else 0) for k in range(2)])
                np.testing.assert_allclose(t, want, rtol=1e-12,
                                           err_msg=f"{sa} @ {sb}, tangent on {which}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_cross_entropy_jvp(reduction, weighted):
    from autograd_lite.ops.loss import softmax_cross_entropy
    rng = np.random.default_rng(4)
    for shape, cdim in (((4, 3), 1), ((2, 3, 5), 1)):
        x = ag.tensor(rng.standard_normal(shape), requires_grad=True)
        tshape = shape[:cdim] + shape[cdim + 1:]
        target = rng.integers(0, shape[cdim], tshape)
        w = rng.random(tshape) if weighted else None
        assert ag.testing.gradcheck(
            lambda a: softmax_cross_entropy(a, target, w, cdim, reduction), (x,),
            check_forward_ad=True)


def test_conv_and_pool_jvps():
    F = ag.nn.functional
    rng = np.random.default_rng(5)
    x = ag.tensor(rng.standard_normal((1, 4, 5, 5)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    w2 = ag.tensor(rng.standard_normal((4, 2, 2, 2)), requires_grad=True)
    for ww, kw in ((w, {}), (w, {"stride": 2, "padding": 1}), (w2, {"groups": 2, "dilation": 2})):
        assert ag.testing.gradcheck(lambda a, b: F.conv2d(a, b, **kw), (x, ww),
                                    check_forward_ad=True)
    assert ag.testing.gradcheck(lambda a: F.max_pool2d(a, 2), (x,), check_forward_ad=True)
    assert ag.testing.gradcheck(lambda a: F.avg_pool2d(a, 3, stride=2, padding=1), (x,),
                                check_forward_ad=True)
    # forward over reverse through the conv and pool backward kernels
    v = rng.standard_normal(x.shape)

    def f(a):
        return (F.max_pool2d(ag.tanh(F.conv2d(a, w.detach(), padding=1)), 2) ** 2).sum()
    hv_fr = ag.functional.hvp(f, x.detach(), ag.tensor(v))[1]
    hv_rr = ag.functional.hvp(f, x.detach(), ag.tensor(v), mode="rev-rev")[1]
    np.testing.assert_allclose(hv_fr.data, hv_rr.data, rtol=1e-9, atol=1e-12)
