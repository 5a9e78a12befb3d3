"""Losses: each against its lecture formula in NumPy, gradcheck under every reduction,
stability at logits of magnitude 1e3, PyTorch conventions and errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.testing import gradcheck
from tests.nn.helpers import f64

RNG = np.random.default_rng(0)
N, C = 5, 4
X = RNG.standard_normal((N, C))
Y = RNG.standard_normal((N, C))
P = 1 / (1 + np.exp(-X))                      # probabilities in (0, 1)
T01 = (RNG.random((N, C)) > 0.5).astype(float)  # binary targets
PM1 = np.where(RNG.random((N, C)) > 0.5, 1.0, -1.0)
LABELS = np.array([0, 3, 1, 1, 2])
SIMPLEX = RNG.random((N, C))
SIMPLEX /= SIMPLEX.sum(1, keepdims=True)
W = np.array([0.5, 1.0, 2.0, 1.5])
VAR = RNG.random((N, C)) + 0.1


def _log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def _red(l, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](l)


# (name, function under test (x, t) -> Tensor, numpy formula (reduction) -> value, x, t)
CASES = {
    "mse": (lambda x, t, r: F.mse_loss(x, t, reduction=r),
            lambda r: _red((X - Y) ** 2, r), X, Y),
    "l1": (lambda x, t, r: F.l1_loss(x, t, reduction=r),
           lambda r: _red(np.abs(X - Y), r), X, Y),
    "huber": (lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=0.7),
              lambda r: _red(np.where(np.abs(X - Y) < 0.7, 0.5 * (X - Y) ** 2,
                                      0.7 * (np.abs(X - Y) - 0.35)), r), X, Y),
    "smooth_l1": (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.7),
                  lambda r: _red(np.where(np.abs(X - Y) < 0.7, 0.5 * (X - Y) ** 2 / 0.7,
                                          np.abs(X - Y) - 0.35), r), X, Y),
    "bce": (lambda x, t, r: F.binary_cross_entropy(x, t, reduction=r),
            lambda r: _red(-(T01 * np.log(P) + (1 - T01) * np.log(1 - P)), r), P, T01),
    "bce_weight": (lambda x, t, r: F.binary_cross_entropy(x, t, weight=W, reduction=r),
                   lambda r: _red(-W * (T01 * np.log(P) + (1 - T01) * np.log(1 - P)), r),
                   P, T01),
    "bce_logits": (lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
                   lambda r: _red(-(T01 * np.log(P) + (1 - T01) * np.log(1 - P)), r), X, T01),
    "bce_logits_pos_weight": (
        lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r, pos_weight=W),
        lambda r: _red(-(W * T01 * np.log(P) + (1 - T01) * np.log(1 - P)), r), X, T01),
    "cross_entropy_labels": (
        lambda x, t, r: F.cross_entropy(x, t, reduction=r),
        lambda r: _red(-_log_softmax(X)[np.arange(N), LABELS], r), X, LABELS),
    # the lectures' simplex cross-entropy -c^T log softmax(z)
    "cross_entropy_probs": (
        lambda x, t, r: F.cross_entropy(x, t, reduction=r),
        lambda r: _red(-(SIMPLEX * _log_softmax(X)).sum(1), r), X, SIMPLEX),
    "nll": (lambda x, t, r: F.nll_loss(x, t, reduction=r),
            lambda r: _red(-X[np.arange(N), LABELS], r), X, LABELS),
    "hinge": (lambda x, t, r: F.hinge_loss(x, t, reduction=r),
              lambda r: _red(np.maximum(0, 1 - PM1 * X), r), X, PM1),
    "hinge_margin": (lambda x, t, r: F.hinge_loss(x, t, margin=0.5, reduction=r),
                     lambda r: _red(np.maximum(0, 0.5 - PM1 * X), r), X, PM1),
    "kl": (lambda x, t, r: F.kl_div(x, t, reduction=r),
           lambda r: (np.sum(SIMPLEX * (np.log(SIMPLEX) - _log_softmax(X))) / N
                      if r == "batchmean" else
                      _red(SIMPLEX * (np.log(SIMPLEX) - _log_softmax(X)), r)),
           _log_softmax(X), SIMPLEX),
    "kl_log_target": (lambda x, t, r: F.kl_div(x, t, reduction=r, log_target=True),
                      lambda r: _red(SIMPLEX * (np.log(SIMPLEX) - _log_softmax(X)), r),
                      _log_softmax(X), np.log(SIMPLEX)),
    "gaussian_nll": (lambda x, t, r: F.gaussian_nll_loss(x, t, VAR, reduction=r),
                     lambda r: _red(0.5 * (np.log(VAR) + (X - Y) ** 2 / VAR), r), X, Y),
    "gaussian_nll_full": (lambda x, t, r: F.gaussian_nll_loss(x, t, VAR, full=True, reduction=r),
                          lambda r: _red(0.5 * (np.log(VAR) + (X - Y) ** 2 / VAR)
                                         + 0.5 * math.log(2 * math.pi), r), X, Y),
}
REDUCTIONS = ["mean", "sum", "none"]


def _target(t):
    return ag.tensor(t) if t.dtype.kind in "iu" else f64(t, requires_grad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_matches_formula(name, reduction):
    fn, ref, x, t = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = fn(f64(x, False), _target(t), reduction)
    np.testing.assert_allclose(got.data, ref(reduction), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_gradcheck(name, reduction):
    fn, _, x, t = CASES[name]
    tt = _target(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda a: fn(a, tt, reduction), (f64(x),))
        if tt.dtype.kind == "f" and name not in ("hinge", "hinge_margin"):
            # differentiable targets too (soft labels, KL targets, regression targets)
            assert gradcheck(lambda b: fn(f64(x, False), b, reduction), (f64(t),))


def test_kl_batchmean_and_mean_warning():
    fn, ref, x, t = CASES["kl"]
    np.testing.assert_allclose(fn(f64(x), f64(t), "batchmean").data, ref("batchmean"))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(f64(x), f64(t))
    assert gradcheck(lambda a: F.kl_div(a, f64(t, False), reduction="batchmean"), (f64(x),))
    # KL(p || p) = 0 and a zero target contributes nothing
    q = f64([[0.0, 1.0]], False)
    assert F.kl_div(ag.log(f64([[0.3, 0.7]], False)), q, reduction="sum").item() == \
        pytest.approx(-math.log(0.7))


def test_gaussian_nll_is_mse_up_to_constant_and_var_shapes():
    # with unit variance the Gaussian likelihood gives 1/2 MSE (+ constant): the lectures' point
    x, y = f64(X, False), f64(Y, False)
    one = np.ones_like(X)
    g = F.gaussian_nll_loss(x, y, one, full=True)
    assert g.item() == pytest.approx(0.5 * F.mse_loss(x, y).item() + 0.5 * math.log(2 * math.pi))
    # homoscedastic var shapes (N,) and (N, 1), scalar var
    v = RNG.random(N) + 0.5
    a = F.gaussian_nll_loss(x, y, f64(v, False), reduction="none").data
    b = F.gaussian_nll_loss(x, y, f64(v[:, None], False), reduction="none").data
    np.testing.assert_allclose(a, 0.5 * (np.log(v[:, None]) + (X - Y) ** 2 / v[:, None]))
    np.testing.assert_allclose(a, b)
    assert gradcheck(lambda vv: F.gaussian_nll_loss(x, y, vv), (f64(v),))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(x, y, -one)
    with pytest.raises(ValueError, match="does not fit"):
        F.gaussian_nll_loss(x, y, np.ones((N, 2)))
    # var below eps is clamped in value but keeps its gradient (as PyTorch)
    vt = f64(np.full((N, C), 1e-9))
    F.gaussian_nll_loss(x, y, vt, eps=1e-6, reduction="sum").backward()
    np.testing.assert_allclose(vt.grad.data, 0.5 * (1 / 1e-6 - (X - Y) ** 2 / 1e-12))


def test_cross_entropy_weight_ignore_index_label_smoothing():
    x = f64(X, False)
    t = LABELS.copy()
    t[2] = -100
    lp = _log_softmax(X)
    valid = t != -100
    ts = np.where(valid, t, 0)
    wi = W[ts] * valid
    nll = -lp[np.arange(N), ts] * wi
    got = F.cross_entropy(x, ag.tensor(t), weight=W)
    assert got.item() == pytest.approx(nll.sum() / wi.sum(), rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, ag.tensor(t), weight=W, reduction="none").data,
                               nll)
    # label smoothing with class indices = cross-entropy against the smoothed distribution
    eps = 0.2
    got = F.cross_entropy(x, ag.tensor(LABELS), label_smoothing=eps)
    q = np.full((N, C), eps / C)
    q[np.arange(N), LABELS] += 1 - eps
    assert got.item() == pytest.approx(-(q * lp).sum(1).mean(), rel=1e-12)
    got_p = F.cross_entropy(x, f64(np.eye(C)[LABELS], False), label_smoothing=eps)
    assert got_p.item() == pytest.approx(got.item(), rel=1e-12)
    # PyTorch's weighted smoothing: (1-eps) nll + eps/C * sum_i sum_c w_c (-lp) / sum_i w_t_i
    got = F.cross_entropy(x, ag.tensor(t), weight=W, label_smoothing=eps)
    smooth = (-(lp * W).sum(1) * valid).sum() / wi.sum()
    assert got.item() == pytest.approx((1 - eps) * nll.sum() / wi.sum() + eps / C * smooth,
                                       rel=1e-12)
    assert gradcheck(lambda a: F.cross_entropy(a, ag.tensor(t), weight=W, label_smoothing=eps),
                     (f64(X),))
    # probabilities with class weights, and N-d inputs (N, C, d)
    got = F.cross_entropy(x, f64(SIMPLEX, False), weight=W)
    assert got.item() == pytest.approx(-(SIMPLEX * lp * W).sum(1).mean(), rel=1e-12)
    x3 = RNG.standard_normal((2, C, 3))
    t3 = RNG.integers(0, C, (2, 3))
    lp3 = x3 - np.log(np.exp(x3).sum(1, keepdims=True))
    ref = -np.take_along_axis(lp3, t3[:, None], 1)[:, 0]
    np.testing.assert_allclose(F.cross_entropy(f64(x3), ag.tensor(t3), reduction="none").data, ref)
    # unbatched (C,) input with a 0-d target
    assert F.cross_entropy(f64(X[0]), ag.tensor(LABELS[0])).item() == \
        pytest.approx(-lp[0, LABELS[0]])


def test_cross_entropy_and_bce_with_logits_stable_at_1e3():
    z = f64([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 500.0]])
    loss = F.cross_entropy(z, ag.tensor([1, 1]), reduction="none")
    np.testing.assert_allclose(loss.data, [2000.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(z.grad.data))
    np.testing.assert_allclose(z.grad.data, [[1, -1, 0], [0, 0, 0]], atol=1e-12)
    s = f64([1000.0, -1000.0, 1000.0, -1000.0])
    t = f64([1.0, 0.0, 0.0, 1.0], False)
    bl = F.binary_cross_entropy_with_logits(s, t, reduction="none")
    np.testing.assert_allclose(bl.data, [0.0, 0.0, 1000.0, 1000.0])
    bl.sum().backward()
    np.testing.assert_allclose(s.grad.data, [0.0, 0.0, 1.0, -1.0])
    # float32 too
    z32 = ag.tensor([[1e3, -1e3]], requires_grad=True)
    F.cross_entropy(z32, ag.tensor([1])).backward()
    assert np.all(np.isfinite(z32.grad.data))
    # the gradient at logit 0 is exact (-1/2 for target 1), no kink from |x|
    s0 = f64([0.0])
    F.binary_cross_entropy_with_logits(s0, f64([1.0], False)).backward()
    assert s0.grad.item() == pytest.approx(-0.5)


def test_bce_clamps_log_at_minus_100():
    p = f64([0.0, 1.0])
    loss = F.binary_cross_entropy(p, f64([1.0, 0.0], False), reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.data))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(f64([1.5]), f64([1.0]))


def test_loss_errors():
    x = f64(X)
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="batchmean")
    with pytest.raises(ValueError, match="out of bounds"):
        F.cross_entropy(x, ag.tensor([0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match="expected target of shape"):
        F.cross_entropy(x, ag.tensor([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(x, f64(np.ones((N, C + 1))))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        F.hinge_loss(x, f64(T01))
    with pytest.raises(ValueError, match="same size"):
        F.binary_cross_entropy_with_logits(x, f64(np.ones((N, 1))))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(x, f64(np.ones((N, 1))))
    # every target ignored: mean is nan (0 / 0), as PyTorch
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cross_entropy(x, ag.tensor([-100] * N)).item())


@pytest.mark.parametrize("module, fn, args", [
    (nn.MSELoss(), F.mse_loss, (X, Y)),
    (nn.L1Loss(reduction="sum"), lambda a, b: F.l1_loss(a, b, reduction="sum"), (X, Y)),
    (nn.HuberLoss(delta=0.5), lambda a, b: F.huber_loss(a, b, delta=0.5), (X, Y)),
    (nn.SmoothL1Loss(beta=0.5), lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), (X, Y)),
    (nn.SmoothL1Loss(beta=0.0), F.l1_loss, (X, Y)),
    (nn.BCELoss(), F.binary_cross_entropy, (P, T01)),
    (nn.BCEWithLogitsLoss(pos_weight=W), lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, pos_weight=W), (X, T01)),
    (nn.CrossEntropyLoss(weight=W, label_smoothing=0.1), lambda a, b: F.cross_entropy(
        a, b, weight=W, label_smoothing=0.1), (X, LABELS)),
    (nn.NLLLoss(reduction="none"), lambda a, b: F.nll_loss(a, b, reduction="none"),
     (X, LABELS)),
    (nn.HingeLoss(margin=2.0), lambda a, b: F.hinge_loss(a, b, margin=2.0), (X, PM1)),
    (nn.KLDivLoss(reduction="batchmean"), lambda a, b: F.kl_div(a, b, reduction="batchmean"),
     (_log_softmax(X), SIMPLEX)),
])
def test_loss_modules_call_functional(module, fn, args):
    a, b = f64(args[0], False), _target(args[1])
    np.testing.assert_allclose(module(a, b).data, fn(a, b).data)


def test_gaussian_nll_module_signature():
    loss = nn.GaussianNLLLoss(full=True, eps=1e-3)
    x, y, v = f64(X), f64(Y), f64(VAR)
    np.testing.assert_allclose(loss(x, y, v).data,
                               F.gaussian_nll_loss(x, y, v, full=True, eps=1e-3).data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_double_backward(name):
    """Second derivatives (Newton's method, Hessians) flow through every loss."""
    from autograd_lite.testing import gradgradcheck
    fn, _, x, t = CASES[name]
    tt = _target(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradgradcheck(lambda a: fn(a, tt, "mean"), (f64(x),))


def test_pytorch_signatures_and_legacy_reduction_args():
    import inspect
    names = lambda f: list(inspect.signature(f).parameters)  # noqa: E731
    assert names(F.cross_entropy) == ["input", "target", "weight", "size_average",
                                      "ignore_index", "reduce", "reduction", "label_smoothing"]
    assert names(F.nll_loss) == ["input", "target", "weight", "size_average", "ignore_index",
                                 "reduce", "reduction"]
    assert names(F.kl_div) == ["input", "target", "size_average", "reduce", "reduction",
                               "log_target"]
    assert names(F.gaussian_nll_loss) == ["input", "target", "var", "full", "eps", "reduction"]
    assert names(nn.CrossEntropyLoss) == ["weight", "size_average", "ignore_index", "reduce",
                                          "reduction", "label_smoothing"]
    assert names(nn.HuberLoss) == ["reduction", "delta"]
    x, y = f64(X, False), f64(Y, False)
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="deprecated"):
        out = F.mse_loss(x, y, reduce=False)
    assert out.shape == X.shape


# ----------------------------------------------------------------------------- regressions
# (from the code review: each fails on the code before its fix)
def test_gaussian_nll_scalar_var_keeps_the_input_precision():
    rng = np.random.default_rng(0)
    mu, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    for var in (0.3, 1e-3, 2):
        for full in (False, True):
            got = F.gaussian_nll_loss(ag.tensor(mu, dtype=np.float64),
                                      ag.tensor(y, dtype=np.float64), var, full=full)
            ref = (0.5 * (np.log(var) + (mu - y) ** 2 / var)
                   + (0.5 * math.log(2 * math.pi) if full else 0.0)).mean()
            assert got.dtype == np.float64
            assert abs(got.item() - ref) <= 1e-14 * max(1.0, abs(ref))  # was ~1e-8 (float32)
    # float32 input with a float var: float32 result
    got = F.gaussian_nll_loss(ag.tensor(mu.astype(np.float32)), ag.tensor(y.astype(np.float32)),
                              0.3)
    assert got.dtype == np.float32
