"""Custom Functions in forward mode (issue 16): a user ``jvp(ctx, *tangents)`` as PyTorch's
``torch.autograd.Function.jvp`` (``ctx.save_for_forward``, forward run without tangents, zeros
for Tensor inputs without a tangent, None for other arguments), the error for a Function
without one, gradcheck(check_forward_ad=True), batched tangents, forward over reverse through
the Function's backward, and the same Functions run by PyTorch."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import forward_ad as fwd
from autograd_lite import functional as AF
from autograd_lite.testing import GradcheckError, gradcheck


def f64(x, requires_grad=False):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


class MulScale(ag.Function):
    """(x * y * z, x + y) for Tensors x, y and a number z; PyTorch's save_for_forward example."""

    @staticmethod
    def forward(ctx, x, y, z):
        ctx.save_for_backward(x, y)
        ctx.save_for_forward(x, y)
        ctx.z = z
        return x * y * z, x + y

    @staticmethod
    def jvp(ctx, x_t, y_t, z_t):
        x, y = ctx.saved_tensors
        return ctx.z * (y * x_t + x * y_t), x_t + y_t

    @staticmethod
    def backward(ctx, g1, g2):
        x, y = ctx.saved_tensors
        return g1 * y * ctx.z + g2, g1 * x * ctx.z + g2, None


class Exp(ag.Function):
    """exp, setup_context style, the output saved for both modes."""

    @staticmethod
    def forward(x):
        return ag.exp(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y

    @staticmethod
    def jvp(ctx, t):
        (y,) = ctx.saved_tensors
        return t * y


class NoJvp(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_jvp_gets_torchs_arguments_and_saved_tensors():
    seen = {}

    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, x, y, n):
            seen["in forward"] = fwd.unpack_dual(x).tangent  # forward sees no tangents
            ctx.save_for_backward(x)
            ctx.save_for_forward(y)
            return x * y * n

        @staticmethod
        def jvp(ctx, x_t, y_t, n_t):
            seen["args"] = (x_t, y_t, n_t)
            seen["saved in jvp"] = ctx.saved_tensors
            return x_t * 0 + 1

        @staticmethod
        def backward(ctx, g):
            seen["saved in backward"] = ctx.saved_tensors
            return g, None, None

    x, y = f64([1.0, 2.0], True), f64([3.0, 4.0])
    with ag.dual_level():
        d = ag.make_dual(x, f64([1.0, -1.0]))
        out = Probe.apply(d, y, 3)
        np.testing.assert_array_equal(ag.unpack_dual(out).tangent.data, [1.0, 1.0])
        out.sum().backward()
    assert seen["in forward"] is None
    x_t, y_t, n_t = seen["args"]
    np.testing.assert_array_equal(x_t.data, [1.0, -1.0])
    np.testing.assert_array_equal(y_t.data, [0.0, 0.0])  # a Tensor without a tangent: zeros
    assert y_t.shape == y.shape and y_t.dtype == y.dtype
    assert n_t is None  # not a Tensor
    assert len(seen["saved in jvp"]) == 1 and seen["saved in jvp"][0] is y
    assert len(seen["saved in backward"]) == 1 and seen["saved in backward"][0] is d
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_saved_tensors_in_jvp_are_empty_without_save_for_forward():
    got = {}

    class OnlyBackward(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 1.0

        @staticmethod
        def jvp(ctx, t):
            got["saved"] = ctx.saved_tensors
            return t

    with ag.dual_level():
        OnlyBackward.apply(ag.make_dual(f64([1.0]), f64([1.0])))
    assert got["saved"] == ()  # as PyTorch: save_for_backward's tensors are for backward


def test_tangents_and_primal_values():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    tx, ty = f64([1.0, 0.5]), f64([-1.0, 2.0])
    with ag.dual_level():
        a, b = MulScale.apply(ag.make_dual(x, tx), ag.make_dual(y, ty), 2.0)
        np.testing.assert_allclose(a.data, 2.0 * x.data * y.data)
        np.testing.assert_allclose(ag.unpack_dual(a).tangent.data,
                                   2.0 * (y.data * tx.data + x.data * ty.data))
        np.testing.assert_allclose(ag.unpack_dual(b).tangent.data, tx.data + ty.data)
    out, t = AF.jvp(lambda u: Exp.apply(u * u), f64([0.5, -1.0]), f64([1.0, 2.0]))
    np.testing.assert_allclose(t.data, np.exp([0.25, 1.0]) * 2 * np.array([0.5, -1.0]) * [1, 2])


def test_function_without_jvp_raises_naming_the_class():
    with pytest.raises(NotImplementedError, match="NoJvp: this custom Function has no "
                                                  "forward-mode AD rule.*jvp\\(ctx"):
        AF.jvp(NoJvp.apply, f64([1.0, 2.0]), f64([1.0, 1.0]))
    with ag.dual_level():  # no tangent reaches it: no error, and no tangent comes out
        out = NoJvp.apply(f64([1.0, 2.0]))
        assert ag.unpack_dual(out).tangent is None
    out = NoJvp.apply(f64([1.0], True))  # outside a dual level: untouched
    out.backward()


def test_jvp_result_errors_name_the_function():
    class Wrong(ag.Function):
        mode = "count"

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            if Wrong.mode == "count":
                return t, t
            if Wrong.mode == "shape":
                return t.sum()
            return "junk"

    with pytest.raises(RuntimeError, match="Wrong.jvp returned 2 tangent.*1 output"):
        AF.jvp(Wrong.apply, f64([1.0, 2.0]), f64([1.0, 1.0]))
    Wrong.mode = "shape"
    with pytest.raises(RuntimeError, match=r"Wrong.jvp returned a tangent of shape \(\) for "
                                           r"output 0.*shape \(2,\)"):
        AF.jvp(Wrong.apply, f64([1.0, 2.0]), f64([1.0, 1.0]))
    Wrong.mode = "junk"
    with pytest.raises(TypeError, match="Wrong.jvp returned a str"):
        AF.jvp(Wrong.apply, f64([1.0, 2.0]), f64([1.0, 1.0]))


def test_save_for_forward_rejects_non_tensors():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x, 3.0)
            return x

    with pytest.raises(TypeError, match="Bad: save_for_forward expects Tensors.*float"):
        Bad.apply(f64([1.0]))


def test_none_tangent_and_non_differentiable_outputs():
    class ValueAndIndex(ag.Function):
        @staticmethod
        def forward(ctx, x):
            i = ag.tensor(np.argmax(x.data))
            m = x * 1.0
            ctx.mark_non_differentiable(i)
            return m, i, x * 0.0

        @staticmethod
        def jvp(ctx, t):
            return t, t, None

    with ag.dual_level():
        m, i, z = ValueAndIndex.apply(ag.make_dual(f64([1.0, 3.0]), f64([1.0, 2.0])))
        np.testing.assert_array_equal(ag.unpack_dual(m).tangent.data, [1.0, 2.0])
        assert ag.unpack_dual(i).tangent is None
        assert ag.unpack_dual(z).tangent is None  # jvp said None: no tangent (zero)


def test_gradcheck_with_forward_ad_passes_and_catches_a_wrong_jvp():
    x, y = f64([0.3, -1.2, 0.8], True), f64([1.5, 0.4, -0.7], True)
    assert gradcheck(lambda a, b: MulScale.apply(a, b, 2.5), (x, y), check_forward_ad=True)
    assert gradcheck(Exp.apply, f64([0.1, -0.4, 0.9], True), check_forward_ad=True)

    class ExpWrongJvp(Exp):
        @staticmethod
        def jvp(ctx, t):
            (y,) = ctx.saved_tensors
            return t * y * y  # wrong

    assert gradcheck(ExpWrongJvp.apply, f64([0.1, -0.4], True))  # backward is right
    with pytest.raises(GradcheckError, match="check_forward_ad.*finite differences"):
        gradcheck(ExpWrongJvp.apply, f64([0.1, -0.4], True), check_forward_ad=True)


def test_batched_tangents_jacfwd_and_jacobian_forward():
    x = np.array([0.2, -0.5, 1.1])
    J = np.diag(np.exp(x * x) * 2 * x)
    np.testing.assert_allclose(AF.jacfwd(lambda u: Exp.apply(u * u))(f64(x)).data, J)
    np.testing.assert_allclose(
        AF.jacobian(lambda u: Exp.apply(u * u), f64(x), mode="forward").data, J)
    y = np.array([1.0, 2.0, -1.0])
    ja, jb = AF.jacobian(lambda a, b: MulScale.apply(a, b, 3.0), (f64(x), f64(y)),
                         mode="forward")
    np.testing.assert_allclose(ja[0].data, np.diag(3 * y))
    np.testing.assert_allclose(ja[1].data, np.diag(3 * x))
    np.testing.assert_allclose(jb[0].data, np.eye(3))
    np.testing.assert_allclose(jb[1].data, np.eye(3))


def test_reverse_over_forward_differentiates_the_tangent():
    x = f64([0.3, -0.6], True)
    v = f64([1.0, 2.0])
    _, t = AF.jvp(Exp.apply, x, v, create_graph=True)
    t.sum().backward()  # d/dx sum(v exp(x)) = v exp(x)
    np.testing.assert_allclose(x.grad.data, v.data * np.exp(x.data))


def test_forward_over_reverse_hvp_and_hessian_through_the_backward(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("fell back to reverse over reverse")
    x = np.array([0.1, 0.5, -0.3])
    c = np.array([1.0, 2.0, 3.0])

    def f(u):
        return (Exp.apply(u * u) * f64(c)).sum()

    # f = sum c exp(x^2): H = diag(c exp(x^2) (2 + 4 x^2))
    H = np.diag(c * np.exp(x * x) * (2 + 4 * x * x))
    np.testing.assert_allclose(AF.hessian(f, f64(x), mode="rev-rev").data, H, rtol=1e-12)
    monkeypatch.setattr(AF, "_hessian_rev", boom)
    monkeypatch.setattr(AF, "_hvp_rev", boom)
    np.testing.assert_allclose(AF.hessian(f, f64(x)).data, H, rtol=1e-12)
    _, hv = AF.hvp(f, f64(x), f64(c))
    np.testing.assert_allclose(hv.data, H @ c, rtol=1e-12)


def test_saved_output_rebuilt_for_backward_keeps_its_tangent():
    """The node does not keep its output alive; rebuilt from the saved array in backward, the
    output gets its tangent back (else forward over reverse would miss a term)."""
    fwd._plain[0] = True  # as in functional.hvp: tangents recorded on arrays
    gc.disable()
    try:
        with ag.dual_level():
            d = ag.make_dual(f64([0.1, 0.5], True), f64([1.0, 1.0]))
            y = Exp.apply(d)
            node = y.grad_fn
            ref = weakref.ref(y)
            del y
            assert ref() is None
            with ag.enable_grad():
                (g,) = node.apply(ag.ones(2, dtype=np.float64, requires_grad=True))
            # d(g * y) along the tangent = g * exp(x) * 1
            np.testing.assert_allclose(ag.unpack_dual(g).tangent.data, np.exp([0.1, 0.5]))
    finally:
        gc.enable()
        fwd._plain[0] = False


def test_torch_autograd_names():
    from autograd_lite import autograd as AG
    assert AG.Function is ag.Function
    with AG.forward_ad.dual_level():
        d = AG.forward_ad.make_dual(f64([1.0]), f64([2.0]))
        y = Exp.apply(d)
        np.testing.assert_allclose(AG.forward_ad.unpack_dual(y).tangent.data, 2 * np.e)


def test_same_functions_in_torch():
    torch = pytest.importorskip("torch")
    fwAD = torch.autograd.forward_ad

    class TMulScale(torch.autograd.Function):  # MulScale, line for line
        @staticmethod
        def forward(ctx, x, y, z):
            ctx.save_for_backward(x, y)
            ctx.save_for_forward(x, y)
            ctx.z = z
            return x * y * z, x + y

        @staticmethod
        def jvp(ctx, x_t, y_t, z_t):
            x, y = ctx.saved_tensors
            return ctx.z * (y * x_t + x * y_t), x_t + y_t

        @staticmethod
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            return g1 * y * ctx.z + g2, g1 * x * ctx.z + g2, None

    class TExp(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return torch.exp(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)
            ctx.save_for_forward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

        @staticmethod
        def jvp(ctx, t):
            (y,) = ctx.saved_tensors
            return t * y

    rng = np.random.default_rng(3)
    x, y, tx = (rng.standard_normal(4) for _ in range(3))
    with fwAD.dual_level():  # y without a tangent: torch passes zeros, so does ag
        a, b = TMulScale.apply(fwAD.make_dual(torch.tensor(x), torch.tensor(tx)),
                               torch.tensor(y), 1.5)
        ta, tb = (fwAD.unpack_dual(o).tangent.numpy() for o in (a, b))
        e = TExp.apply(fwAD.make_dual(torch.tensor(x), torch.tensor(tx)) * 2)
        te = fwAD.unpack_dual(e).tangent.numpy()
    with ag.dual_level():
        a, b = MulScale.apply(ag.make_dual(f64(x), f64(tx)), f64(y), 1.5)
        np.testing.assert_allclose(ag.unpack_dual(a).tangent.data, ta, rtol=1e-12)
        np.testing.assert_allclose(ag.unpack_dual(b).tangent.data, tb, rtol=1e-12)
        e = Exp.apply(ag.make_dual(f64(x), f64(tx)) * 2)
        np.testing.assert_allclose(ag.unpack_dual(e).tangent.data, te, rtol=1e-12)
    with fwAD.dual_level(), pytest.raises(NotImplementedError):  # torch raises the same type

        class TNoJvp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        TNoJvp.apply(fwAD.make_dual(torch.tensor(x), torch.tensor(tx)))
    # gradcheck with forward AD agrees: both accept the Functions
    assert torch.autograd.gradcheck(TExp.apply, torch.tensor(x, requires_grad=True),
                                    check_forward_ad=True)
    assert gradcheck(Exp.apply, f64(x, True), check_forward_ad=True)
