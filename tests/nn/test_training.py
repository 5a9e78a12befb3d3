"""End-to-end learning: an MLP on the lectures' circle data with plain gradient descent, and a
small CNN separating two 8x8 patterns."""
from __future__ import annotations

import numpy as np

import autograd_lite as ag
import autograd_lite.nn.functional as F
from autograd_lite import nn


def circle_data(n, seed):
    """Points uniform in the square [-1, 1]^2, label 1 inside the circle of radius r around the
    centre (r chosen so the classes are balanced)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    r = np.sqrt(2 / np.pi) * 1.0
    y = (np.linalg.norm(x - np.array([0.0, 0.0]), axis=1) < r).astype(np.float32)
    return x.astype(np.float32), y


def gd_step(model, lr):
    with ag.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()


def test_mlp_gradient_descent_on_circle_data():
    ag.manual_seed(0)
    x, y = circle_data(400, seed=1)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    xt, yt = ag.tensor(x), ag.tensor(y[:, None])
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for step in range(1500):
        loss = loss_fn(model(xt), yt)
        loss.backward()
        gd_step(model, lr=0.5)
        losses.append(loss.item())
        if step % 100 == 99:
            acc = ((model(xt).data[:, 0] > 0) == (y > 0.5)).mean()
            if acc >= 0.97:
                break
    acc = ((model(xt).data[:, 0] > 0) == (y > 0.5)).mean()
    assert acc >= 0.97, (acc, losses[-1])
    assert losses[-1] < losses[0]


def patterns(n, seed):
    """8x8 images: class 0 has a horizontal bar, class 1 a vertical bar, at a random place,
    plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    imgs = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(0, 8, n)
    start = rng.integers(0, 4, n)
    for i in range(n):
        if y[i] == 0:
            imgs[i, 0, pos[i], start[i]:start[i] + 5] += 1.0
        else:
            imgs[i, 0, start[i]:start[i] + 5, pos[i]] += 1.0
    return imgs, y


def test_small_cnn_separates_two_patterns():
    ag.manual_seed(0)
    x, y = patterns(256, seed=2)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    xt, yt = ag.tensor(x), ag.tensor(y)
    rng = np.random.default_rng(0)
    for step in range(300):
        idx = rng.choice(len(x), 64, replace=False)
        loss = F.cross_entropy(model(xt[idx]), yt[idx])
        loss.backward()
        gd_step(model, lr=0.1)
    xtest, ytest = patterns(200, seed=3)
    model.eval()
    acc = (np.argmax(model(ag.tensor(xtest)).data, axis=1) == ytest).mean()
    assert acc >= 0.95, acc
