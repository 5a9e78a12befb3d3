"""optim and data driving nn modules: the lectures' training loop end to end."""
from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import data, optim
from autograd_lite.optim import lr_scheduler

nn = pytest.importorskip("autograd_lite.nn")
if not all(hasattr(nn, n) for n in ("Linear", "Sequential", "ReLU", "MSELoss",
                                    "CrossEntropyLoss")):
    pytest.skip("autograd_lite.nn layers not built yet", allow_module_level=True)


@pytest.fixture
def float64():
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(old)


def test_newton_solves_least_squares_for_a_linear_layer_in_one_step(float64):
    ag.manual_seed(0)
    model = nn.Linear(3, 1)
    X, y = ag.randn(40, 3), ag.randn(40, 1)
    opt = optim.Newton(model.parameters())
    criterion = nn.MSELoss()
    opt.step(lambda: criterion(model(X), y))
    A = np.c_[X.data, np.ones(40)]
    sol = np.linalg.lstsq(A, y.data, rcond=None)[0].ravel()
    np.testing.assert_allclose(np.r_[model.weight.data.ravel(), model.bias.data], sol,
                               rtol=1e-9, atol=1e-12)


def test_minibatch_training_loop_classifies_the_circles():
    ag.manual_seed(0)
    X, y = data.make_circles(400, noise=0.02, seed=0)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    criterion = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=0.03)
    sched = lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    for _ in range(40):
        for xb, yb in loader:
            opt.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
        sched.step()
    with ag.no_grad():
        acc = (model(ag.tensor(X)).argmax(axis=1).data == y).mean()
    assert acc > 0.93
    assert opt.param_groups[0]["lr"] == pytest.approx(0.03 * 0.25)
