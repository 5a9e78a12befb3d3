"""Small CNN training step: autograd_lite.nn vs a hand-written NumPy im2col implementation.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench_cnn.py

Workload (digits-sized input): a batch of 64 images 1x8x8 through
Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10) ->
softmax cross-entropy, then backward and a plain SGD update. The NumPy side computes the same
forward values and gradients by hand (im2col with a strided window view + tensordot, col2im over
the 3x3 kernel offsets, 2x2 pooling by reshape); the two are checked to agree before timing.
"""
from __future__ import annotations

import os
import sys
from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from bench import best_times  # noqa: E402  (one timing method for every workload)

import autograd_lite as ag  # noqa: E402
import autograd_lite.nn.functional as F  # noqa: E402
from autograd_lite import nn  # noqa: E402

N, C_OUT, K, CLASSES, LR = 64, 8, 3, 10, 0.05


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 1, 8, 8)).astype(np.float32), rng.integers(0, CLASSES, N)


def _model() -> nn.Module:
    ag.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, C_OUT, K, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(C_OUT * 16, CLASSES))


def ag_step(model: nn.Module, x: ag.Tensor, y: ag.Tensor) -> Callable[[], float]:
    params = list(model.parameters())

    def run() -> float:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with ag.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()
    return run


class NumpyCNN:
    """The same network and SGD step written directly in NumPy."""

    def __init__(self, model: nn.Module) -> None:
        self.w1 = model[0].weight.data.copy()   # (8, 1, 3, 3)
        self.b1 = model[0].bias.data.copy()
        self.w2 = model[4].weight.data.copy()   # (10, 128)
        self.b2 = model[4].bias.data.copy()

    def grads(self, x: np.ndarray, y: np.ndarray) -> tuple:
        n = x.shape[0]
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = sliding_window_view(xp, (K, K), axis=(2, 3))            # (N, 1, 8, 8, 3, 3)
        z1 = np.tensordot(cols, self.w1, axes=((1, 4, 5), (1, 2, 3)))  # (N, 8, 8, O)
        z1 = z1.transpose(0, 3, 1, 2) + self.b1[None, :, None, None]
        a1 = np.maximum(z1, 0)
        win = a1.reshape(n, C_OUT, 4, 2, 4, 2)
        p1 = win.max(axis=(3, 5))
        h = p1.reshape(n, -1)
        logits = h @ self.w2.T + self.b2
        m = logits.max(1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(n), y]))
        # backward
        dlogits = e / s
        dlogits[np.arange(n), y] -= 1
        dlogits /= n
        dw2 = dlogits.T @ h
        db2 = dlogits.sum(0)
        dp1 = (dlogits @ self.w2).reshape(p1.shape)
        mask = win == p1[:, :, :, None, :, None]
        # first maximum of each window only (ties are measure zero for random data)
        da1 = (mask * dp1[:, :, :, None, :, None]).reshape(a1.shape)
        dz1 = da1 * (z1 > 0)
        dw1 = np.tensordot(dz1, cols, axes=((0, 2, 3), (0, 2, 3)))       # (O, 1, 3, 3)
        db1 = dz1.sum((0, 2, 3))
        return loss, dw1, db1, dw2, db2

    def step(self, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
        def run() -> float:
            loss, dw1, db1, dw2, db2 = self.grads(x, y)
            self.w1 -= LR * dw1
            self.b1 -= LR * db1
            self.w2 -= LR * dw2
            self.b2 -= LR * db2
            return loss
        return run


def _check_agreement() -> None:
    """One step of each from the same weights: same loss and same gradients."""
    x, y = _data(1)
    model = _model()
    ref = NumpyCNN(model)
    loss = F.cross_entropy(model(ag.tensor(x)), ag.tensor(y))
    loss.backward()
    l_np, dw1, db1, dw2, db2 = ref.grads(x, y)
    assert abs(loss.item() - l_np) < 1e-5, (loss.item(), l_np)
    for p, g in zip(model.parameters(), (dw1, db1, dw2, db2)):
        np.testing.assert_allclose(p.grad.data, g, rtol=1e-4, atol=1e-6)


def bench_cnn(repeat: int = 5, min_time: float = 0.2) -> dict:
    """Seconds per training step (forward + backward + SGD update) of the small CNN, for
    autograd_lite and for hand-written NumPy, and their ratio."""
    _check_agreement()
    x, y = _data()
    model = _model()
    t_ag, t_np = best_times(ag_step(model, ag.tensor(x), ag.tensor(y)),
                            NumpyCNN(_model()).step(x, y), repeat, min_time)
    return {"workload": f"CNN step, batch {N}, 1x8x8 -> conv{K}x{K}x{C_OUT} -> pool -> fc10",
            "autograd_lite_s": t_ag, "numpy_s": t_np, "ratio": t_ag / t_np}


def bench_cnn_cases() -> list:
    """The CNN workload as a row for ``bench.py``: (name, autograd_lite step, NumPy step,
    target ratio or None)."""
    _check_agreement()
    x, y = _data()
    return [(f"(e) CNN step, batch {N}, 8x8", ag_step(_model(), ag.tensor(x), ag.tensor(y)),
             NumpyCNN(_model()).step(x, y), None)]


if __name__ == "__main__":
    r = bench_cnn()
    print(f"{r['workload']}")
    print(f"  autograd_lite {r['autograd_lite_s'] * 1e3:8.3f} ms/step")
    print(f"  NumPy im2col  {r['numpy_s'] * 1e3:8.3f} ms/step")
    print(f"  ratio         {r['ratio']:8.2f}x")
