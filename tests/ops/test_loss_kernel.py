"""The fused softmax cross-entropy kernel (ops/loss.py) against its composed definition."""
import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite.ops.loss import softmax_cross_entropy
from autograd_lite.testing import gradcheck, gradgradcheck

SHAPES = [((5, 4), 1), ((4,), 0), ((3, 4, 2), 1)]


def _case(shape, cdim, seed=0):
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal(shape), requires_grad=True)
    tshape = tuple(n for i, n in enumerate(shape) if i != cdim)
    t = rng.integers(0, shape[cdim], size=tshape)
    w = rng.uniform(0.5, 2.0, size=tshape)
    return x, t, w


def _composed(x, t, w, cdim, reduction):
    logp = ag.log_softmax(x, axis=cdim)
    c = x.shape[cdim]
    classes = np.arange(c).reshape((c,) + (1,) * (x.ndim - cdim - 1))
    onehot = (np.expand_dims(t, cdim) == classes).astype(np.float64)
    loss = -(logp * onehot).sum(cdim) * w
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / w.sum()


@pytest.mark.parametrize("shape,cdim", SHAPES)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_fused_matches_composition_and_gradchecks(shape, cdim, reduction):
    x, t, w = _case(shape, cdim)
    fused = softmax_cross_entropy(x, t, w, cdim, reduction)
    ref = _composed(x, t, w, cdim, reduction)
    np.testing.assert_allclose(fused.data, ref.data, rtol=1e-12, atol=1e-12)
    g = np.ones(fused.shape)
    (gf,) = ag.grad(fused, x, grad_outputs=ag.tensor(g))
    (gr,) = ag.grad(ref, x, grad_outputs=ag.tensor(g))
    np.testing.assert_allclose(gf.data, gr.data, rtol=1e-12, atol=1e-12)

    def f(x):
        return softmax_cross_entropy(x, t, w, cdim, reduction)
    assert gradcheck(f, x)
    assert gradgradcheck(f, x)


def test_cross_entropy_uses_one_node_and_ignores_ignore_index():
    x, t, _ = _case((6, 3), 1, seed=1)
    t = t.copy()
    t[2] = -100
    loss = F.cross_entropy(x, ag.tensor(t))
    assert str(loss.grad_fn) == "SoftmaxCrossEntropyBackward"
    keep = t != -100
    ref = -ag.log_softmax(ag.tensor(x.data[keep]), axis=1).data[np.arange(keep.sum()), t[keep]]
    np.testing.assert_allclose(loss.item(), ref.mean(), rtol=1e-12)
    loss.backward()
    assert np.all(x.grad.data[2] == 0)


def test_stable_at_logits_of_magnitude_1e3():
    x = ag.tensor([[1e3, -1e3, 0.0], [-1e3, 1e3, 5.0]], requires_grad=True)
    loss = F.cross_entropy(x, ag.tensor([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.data))
    np.testing.assert_allclose(loss.item(), 1000.0, rtol=1e-6)
    np.testing.assert_allclose(x.grad.data[0], [0.5, -0.5, 0.0], atol=1e-6)
