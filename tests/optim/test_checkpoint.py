"""Training stopped at a checkpoint and resumed continues bit-identically."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import data, optim
from autograd_lite.optim import lr_scheduler


def _model(seed=0):
    rng = np.random.default_rng(seed)
    return [ag.tensor(rng.standard_normal((1, 8)) * 0.5, requires_grad=True),
            ag.tensor(np.zeros(8), requires_grad=True),
            ag.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True),
            ag.tensor(np.zeros(1), requires_grad=True)]


def _forward(params, x):
    w1, b1, w2, b2 = params
    return (x @ w1 + b1).tanh() @ w2 + b2


def _make(params, opt_name):
    if opt_name == "adam":
        opt = optim.Adam(params, lr=0.05, amsgrad=True, weight_decay=1e-3)
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    elif opt_name == "sgd":
        opt = optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
        sched = lr_scheduler.EpochDoublingLR(opt, K=1)
    else:
        opt = optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True)
        sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return opt, sched


def _epochs(params, opt, sched, loader, n):
    for _ in range(n):
        for xb, yb in loader:  # reshuffled each epoch from the library generator
            opt.zero_grad()
            loss = ((_forward(params, xb) - yb) ** 2).mean()
            loss.backward()
            opt.step()
        sched.step()


def _checkpoint(params, opt, sched):
    return {"params": [p.data.copy() for p in params],
            "optimizer": copy.deepcopy(opt.state_dict()),
            "scheduler": copy.deepcopy(sched.state_dict()),
            "rng": copy.deepcopy(ag.random.get_generator().bit_generator.state)}


def _resume(ckpt, opt_name):
    params = _model(seed=99)  # different values: everything must come from the checkpoint
    with ag.no_grad():
        for p, a in zip(params, ckpt["params"]):
            p.copy_(a)
    opt, sched = _make(params, opt_name)
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    ag.random.get_generator().bit_generator.state = copy.deepcopy(ckpt["rng"])
    return params, opt, sched


@pytest.mark.parametrize("opt_name", ["adam", "sgd", "rmsprop"])
def test_resumed_training_is_bit_identical(opt_name):
    X, y = data.make_regression_1d(64, noise=0.05, seed=0, func=np.sin, dtype=np.float64)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True)
    ag.manual_seed(0)
    params = _model()
    opt, sched = _make(params, opt_name)
    _epochs(params, opt, sched, loader, 3)
    ckpt = _checkpoint(params, opt, sched)
    _epochs(params, opt, sched, loader, 3)
    reference = [p.data.copy() for p in params]

    params2, opt2, sched2 = _resume(ckpt, opt_name)
    _epochs(params2, opt2, sched2, loader, 3)
    for a, b in zip(reference, params2):
        np.testing.assert_array_equal(a, b.data)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_checkpoint_through_nn_save_and_load(tmp_path):
    nn = pytest.importorskip("autograd_lite.nn")
    if not (hasattr(nn, "save") and hasattr(nn, "load")):
        pytest.skip("autograd_lite.nn.save/load not built yet")
    X, y = data.make_regression_1d(48, noise=0.05, seed=1, func=np.sin, dtype=np.float64)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True)
    ag.manual_seed(3)
    params = _model()
    opt, sched = _make(params, "adam")
    _epochs(params, opt, sched, loader, 2)
    ckpt = _checkpoint(params, opt, sched)
    nn.save(opt.state_dict(), tmp_path / "opt.npz")
    nn.save(sched.state_dict(), tmp_path / "sched.npz")
    _epochs(params, opt, sched, loader, 2)
    reference = [p.data.copy() for p in params]

    ckpt["optimizer"] = nn.load(tmp_path / "opt.npz")
    ckpt["scheduler"] = nn.load(tmp_path / "sched.npz")
    params2, opt2, sched2 = _resume(ckpt, "adam")
    _epochs(params2, opt2, sched2, loader, 2)
    for a, b in zip(reference, params2):
        np.testing.assert_array_equal(a, b.data)
