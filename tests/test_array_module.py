"""The array-module discipline (issue 18): Tensors whose data is another module's array.

The engine and the ops must not call NumPy in a way that would not reach CuPy: every value is
run once on NumPy arrays and once on ``DuckArray`` (tests/xp_standin.py, a CuPy-like stand-in
that refuses implicit conversion to NumPy and mixing with NumPy arrays), forward and backward,
and the results must agree and stay DuckArrays. docs/guides/gpu.md lists what is covered.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import array_module as am
from autograd_lite import nn
from tests.xp_standin import DuckArray, MixedArrayError, xp

RNG = np.random.default_rng(0)


def _duck(t: ag.Tensor) -> ag.Tensor:
    """A leaf like ``t`` whose data is a DuckArray (same values)."""
    return ag.tensor(DuckArray(t.numpy().copy()), requires_grad=t.requires_grad)


def _host(a: Any) -> np.ndarray:
    assert type(a) is DuckArray, f"expected a DuckArray, got {type(a).__name__}"
    return a.get()


# ----------------------------------------------------------------------------- the helpers
def test_array_module_of_values() -> None:
    d = DuckArray(np.zeros(3))
    assert am.array_module(np.zeros(2)) is np
    assert am.array_module(np.float32(1)) is np
    assert am.array_module(2.0) is np and am.array_module([1, 2]) is np
    assert am.array_module(d) is xp
    assert am.is_array(d) and am.is_array(np.zeros(2))
    assert not am.is_array(np.float64(1)) and not am.is_array(3) and not am.is_array([1.0])
    assert not am.is_array(ag.tensor([1.0]))


def test_helpers_make_arrays_of_the_data_module() -> None:
    d = DuckArray(np.zeros((2, 2), np.float32))
    for like, kind in ((d, DuckArray), (np.zeros(1), np.ndarray)):
        assert type(am.zeros((2, 3), np.float32, like)) is kind
        assert type(am.ones(3, np.float64, like)) is kind
        assert type(am.full((2,), 7.0, np.float32, like)) is kind
        assert type(am.arange(4, like)) is kind
        assert type(am.eye(3, np.float32, like)) is kind
        assert type(am.asarray(2.5, like, np.float32)) is kind
    assert am.zeros((2, 3), np.float32, d).dtype == np.float32
    assert type(am.as_data(np.float32(2))) is np.ndarray
    assert am.as_data(d) is d
    np.testing.assert_array_equal(am.to_numpy(DuckArray(np.arange(3))), np.arange(3))


def test_stand_in_is_strict() -> None:
    """The stand-in refuses what CuPy refuses (else the tests below could not fail)."""
    d = DuckArray(np.ones(3))
    with pytest.raises(TypeError):
        np.asarray(d)
    with pytest.raises(MixedArrayError):
        d + np.ones(3)
    assert type(np.sum(d)) is DuckArray and type(d.sum()) is DuckArray
    assert not isinstance(d, np.ndarray)


# ----------------------------------------------------------------------------- ops
def _leaf(*shape: int, positive: bool = False) -> ag.Tensor:
    a = RNG.standard_normal(shape).astype(np.float64)
    if positive:
        a = np.abs(a) + 0.5
    return ag.tensor(a, requires_grad=True)


CASES: list[tuple[str, Callable, tuple]] = [
    ("add_mul_sub_div", lambda a, b: ((a + b) * a - b / (a * a + 1.0)).sum(), ((3, 4), (3, 4))),
    ("broadcast_number", lambda a, b: (a * 0.9 + 0.1 - 2 * b).sum(), ((3, 4), (4,))),
    ("rsub_rdiv_pow", lambda a, b: (1 - a + 2.0 / (b * b + 1.0) + a ** 2).sum(), ((2, 3), (2, 3))),
    ("exp_log_tanh_sigmoid", lambda a, b: (a.exp() + (b * b + 1).log() + a.tanh()
                                           + a.sigmoid() + b.sqrt().sin()).sum(),
     ((4,), (4,))),
    ("relu_abs_clamp", lambda a, b: (F.relu(a) + b.abs() + a.clamp(-0.5, 0.5)).sum(),
     ((5,), (5,))),
    ("maximum_where", lambda a, b: (ag.maximum(a, b) + ag.where(a > b, a, b * 2)).sum(),
     ((3, 3), (3, 3))),
    ("reductions", lambda a, b: a.sum(0).sum() + a.mean() + a.mean(1, keepdims=True).sum()
     + a.amax(1).sum() + b.var() + b.std(), ((3, 4), (6,))),
    ("max_over_dim", lambda a, b: a.max(1)[0].sum() + a.min(0).values.sum() + b.max(),
     ((3, 4), (5,))),
    ("logsumexp_prod", lambda a, b: a.logsumexp(1).sum() + b.prod(), ((3, 4), (4,))),
    ("matmul", lambda a, b: (a @ b).tanh().sum(), ((3, 4), (4, 2))),
    ("matmul_batched", lambda a, b: (a @ b).sum() + (a.transpose(1, 2) * 1.0).sum(),
     ((2, 3, 4), (4, 5))),
    ("shape_ops", lambda a, b: (a.reshape(4, 3).T.flatten() * b.reshape(-1)).sum()
     + a.unsqueeze(0).squeeze(0).permute(1, 0).sum() + a.expand(2, 3, 4).sum(),
     ((3, 4), (3, 4))),
    ("cat_stack", lambda a, b: (ag.cat([a, b], 0) ** 2).sum() + ag.stack([a, b]).mean(),
     ((2, 3), (2, 3))),
    ("indexing", lambda a, b: a[1].sum() + a[:, 1:3].sum() + a[np.array([0, 2])].sum()
     + (a[a > 0] * 3).sum() + b[..., None].sum(), ((3, 4), (4,))),
    ("softmax_log_softmax", lambda a, b: (F.softmax(a, 1) * b).sum() + F.log_softmax(a, -1).sum(),
     ((3, 4), (3, 4))),
    ("mse_l1", lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b), ((3, 4), (3, 4))),
    ("einsum", lambda a, b: ag.einsum("ij,jk->ik", a, b).sum() + ag.einsum("ii->i", a @ a.T).sum()
     + ag.einsum("ij->", a), ((3, 4), (4, 2))),
    ("nll_log_softmax", lambda a, b: F.nll_loss(F.log_softmax(a, 1), _targets(a))
     + F.cross_entropy(a, _targets(a), label_smoothing=0.1) + (b * 0).sum(), ((4, 3), (1,))),
    ("layer_norm_gelu", lambda a, b: (F.layer_norm(a, (4,)) * b).sum() + F.gelu(a).sum()
     + F.softplus(a).sum(), ((3, 4), (3, 4))),
    ("conv_avgpool", lambda a, b: F.avg_pool2d(F.conv2d(a, b, padding=1, stride=2), 2).sum(),
     ((2, 2, 8, 8), (3, 2, 3, 3))),
]


def _targets(a: ag.Tensor) -> ag.Tensor:
    """Class indices (0, 1, 2, 0, ...) in ``a``'s array module."""
    t = np.arange(a.shape[0]) % a.shape[1]
    return ag.tensor(DuckArray(t) if type(a.data) is DuckArray else t)


def _run(f: Callable, leaves: list) -> tuple:
    out = f(*leaves)
    out.backward()
    return out, [t.grad for t in leaves]


@pytest.mark.parametrize("name,f,shapes", CASES, ids=[c[0] for c in CASES])
def test_ops_on_stand_in_arrays(name: str, f: Callable, shapes: tuple) -> None:
    leaves = [_leaf(*s, positive=True) if name.startswith(("exp", "rsub")) else _leaf(*s)
              for s in shapes]
    ducks = [_duck(t) for t in leaves]
    out, grads = _run(f, leaves)
    dout, dgrads = _run(f, ducks)
    np.testing.assert_allclose(_host(dout.data), out.numpy(), rtol=1e-12, atol=1e-12)
    for g, dg in zip(grads, dgrads):
        np.testing.assert_allclose(_host(dg.data), g.numpy(), rtol=1e-12, atol=1e-12)


def test_data_assignment_keeps_the_module() -> None:
    t = ag.tensor([1.0, 2.0])
    t.data = DuckArray(np.ones(2))
    assert type(t.data) is DuckArray
    assert "tensor([1., 1.]" in repr(t * 1.0)


def test_like_factories_and_conversions_keep_the_module() -> None:
    t = ag.tensor(DuckArray(np.arange(6.0).reshape(2, 3)), requires_grad=True)
    made = [ag.zeros_like(t), ag.ones_like(t), ag.full_like(t, 2.0), ag.empty_like(t),
            t.clone(), t.detach(), t.astype(np.float32), t == t]
    assert all(type(m.data) is DuckArray for m in made)
    assert t.astype(np.float32).dtype == np.float32
    assert t.sum().item() == 15.0 and t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_double_backward_on_stand_in() -> None:
    x = _leaf(5)
    for t in (x, _duck(x)):
        y = (t.tanh() * t).sum()
        (g,) = ag.grad(y, t, create_graph=True)
        (h,) = ag.grad(g.sum(), t)
        if t is x:
            want = g.numpy(), h.numpy()
        else:
            np.testing.assert_allclose(_host(g.data), want[0], rtol=1e-12)
            np.testing.assert_allclose(_host(h.data), want[1], rtol=1e-12)


# ----------------------------------------------------------------------------- training steps
def _to_duck(module: nn.Module) -> None:
    """Move a model to the pretend device as docs/guides/gpu.md does (``set_`` keeps each
    parameter's identity, so optimizers built afterwards or before both see it)."""
    with ag.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            t.set_(xp.asarray(t.data))
    assert all(type(p.data) is DuckArray for p in module.parameters())


def _step(model: nn.Module, x: ag.Tensor, y: ag.Tensor, loss_fn: Callable) -> tuple:
    opt = ag.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.data)
    return losses, [p.data for p in model.parameters()]


def _compare(make: Callable, x: np.ndarray, y: np.ndarray, loss_fn: Callable) -> None:
    ag.manual_seed(0)
    ref = make()
    ag.manual_seed(0)
    duck = make()
    _to_duck(duck)
    losses, params = _step(ref, ag.tensor(x), ag.tensor(y), loss_fn)
    dlosses, dparams = _step(duck, ag.tensor(DuckArray(x)), ag.tensor(DuckArray(y)), loss_fn)
    for a, b in zip(losses, dlosses):
        np.testing.assert_allclose(_host(b), a, rtol=1e-5)
    for a, b in zip(params, dparams):
        np.testing.assert_allclose(_host(b), a, rtol=1e-5, atol=1e-6)


def test_mlp_training_step_on_stand_in() -> None:
    x = RNG.standard_normal((8, 6)).astype(np.float32)
    y = RNG.integers(0, 3, 8)
    _compare(lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                                   nn.Linear(16, 3)), x, y, F.cross_entropy)


def test_dropout_batchnorm_adam_step_on_stand_in() -> None:
    x = RNG.standard_normal((8, 5)).astype(np.float32)
    y = RNG.standard_normal((8, 2)).astype(np.float32)

    def make() -> nn.Module:
        return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3),
                             nn.Linear(8, 2))
    for opt in (ag.optim.Adam, ag.optim.SGD):
        models = []
        for wrap_ in (False, True):  # (clip_grad_norm_ included: it reads every gradient)
            ag.manual_seed(0)
            m = make()
            if wrap_:
                _to_duck(m)
            o = opt(m.parameters(), lr=0.01)
            xs, ys = (ag.tensor(DuckArray(x)), ag.tensor(DuckArray(y))) if wrap_ else \
                (ag.tensor(x), ag.tensor(y))
            for _ in range(2):
                o.zero_grad()
                F.mse_loss(m(xs), ys).backward()
                nn.utils.clip_grad_norm_(m.parameters(), 0.5)
                o.step()
            models.append(m)
        for (n, a), (_, b) in zip(models[0].state_dict().items(),
                                  models[1].state_dict().items()):
            np.testing.assert_allclose(_host(b.data), a.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=n)


def test_cnn_training_step_on_stand_in() -> None:
    x = RNG.standard_normal((4, 1, 8, 8)).astype(np.float32)
    y = RNG.integers(0, 10, 4)
    _compare(lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Flatten(), nn.Linear(64, 10)), x, y, F.cross_entropy)
