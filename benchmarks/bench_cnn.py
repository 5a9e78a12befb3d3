"""Workload (6): a small CNN training step, on every system of ``bench.py``.

Run alone:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench_cnn.py [--quick]
(``bench.py`` runs it with the other six workloads.)

A batch of 32 digits-shaped images 1x8x8 through
Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10) ->
softmax cross-entropy, backward and a plain SGD update (lr 0.05). The NumPy floor computes the
same values and gradients by hand: im2col as a strided window view contracted with
``tensordot``, the kernel gradient by the same contraction, 2x2 max-pooling by reshape, its
gradient through an equality mask.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS (when run alone)

import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    COMPILED,
    EAGER,
    FLOOR,
    TORCH,
    Impl,
    Workload,
    ag_impl,
    floor_impl,
    torch_impl,
)

BATCH, C_OUT, K, CLASSES, LR = 32, 8, 3, 10, 0.05


def cnn_params(seed: int = 0) -> list[np.ndarray]:
    """Initial parameters, PyTorch's default init (uniform +-1/sqrt(fan_in)): conv weight
    (8, 1, 3, 3), conv bias (8,), linear weight (10, 128), linear bias (10,)."""
    rng = np.random.default_rng(seed)
    k1, k2 = 1 / np.sqrt(1 * K * K), 1 / np.sqrt(C_OUT * 16)
    shapes = [((C_OUT, 1, K, K), k1), ((C_OUT,), k1), ((CLASSES, C_OUT * 16), k2),
              ((CLASSES,), k2)]
    return [rng.uniform(-k, k, s).astype(np.float32) for s, k in shapes]


class NumpyCNN:
    """The network's forward and backward written directly in NumPy (the floor)."""

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
        self.params = params            # w1 (8,1,3,3), b1 (8,), w2 (10,128), b2 (10,)
        self.x, self.y = x, y
        self.rows = np.arange(len(y))

    def forward_backward(self) -> tuple[float, list[np.ndarray]]:
        """Cross-entropy loss of the batch and the gradients of the four parameters."""
        w1, b1, w2, b2 = self.params
        x, y, rows = self.x, self.y, self.rows
        n = x.shape[0]
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = sliding_window_view(xp, (K, K), axis=(2, 3))            # (N, 1, 8, 8, 3, 3)
        z1 = np.tensordot(cols, w1, axes=((1, 4, 5), (1, 2, 3)))       # (N, 8, 8, O)
        z1 = z1.transpose(0, 3, 1, 2) + b1[None, :, None, None]
        a1 = np.maximum(z1, 0)
        win = a1.reshape(n, C_OUT, 4, 2, 4, 2)
        p1 = win.max(axis=(3, 5))
        h = p1.reshape(n, -1)
        logits = h @ w2.T + b2
        m = logits.max(1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, y])
        # backward
        dlogits = e / s
        dlogits[rows, y] -= 1
        dlogits /= n
        dw2 = dlogits.T @ h
        db2 = dlogits.sum(0)
        dp1 = (dlogits @ w2).reshape(p1.shape)
        # every maximum of a window gets the gradient: ties are measure zero for positive
        # values, and all-zero windows (ReLU'd away) are masked by (z1 > 0) below anyway
        mask = win == p1[:, :, :, None, :, None]
        da1 = (mask * dp1[:, :, :, None, :, None]).reshape(a1.shape)
        dz1 = da1 * (z1 > 0)
        dw1 = np.tensordot(dz1, cols, axes=((0, 2, 3), (0, 2, 3)))      # (O, 1, 3, 3)
        db1 = dz1.sum((0, 2, 3))
        return loss, [dw1, db1, dw2, db2]


def _ag(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, compiled: bool) -> Impl:
    import autograd_lite as ag
    import autograd_lite.nn.functional as F
    from autograd_lite import nn

    model = nn.Sequential(nn.Conv2d(1, C_OUT, K, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(C_OUT * 16, CLASSES))
    ps = list(model.parameters())
    for p, value in zip(ps, params):
        p.data = value.copy()

    def loss_fn(xb: Any, yb: Any) -> Any:
        return F.cross_entropy(model(xb), yb)

    return ag_impl(loss_fn, ps, (ag.tensor(x), ag.tensor(y)), lambda k: LR, compiled)


def _torch(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Impl:
    import torch

    model = torch.nn.Sequential(torch.nn.Conv2d(1, C_OUT, K, padding=1), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(C_OUT * 16, CLASSES))
    ps = list(model.parameters())
    with torch.no_grad():
        for p, value in zip(ps, params):
            p.copy_(torch.from_numpy(value))
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    return torch_impl(lambda: torch.nn.functional.cross_entropy(model(xt), yt), ps, (),
                      lambda k: LR)


def cnn_workload(X: np.ndarray, y: np.ndarray) -> Workload:
    """Workload (6) on the first 32 rows of the digits-shaped data ``X`` (N, 64), ``y`` (N,)."""
    xb = np.ascontiguousarray(X[:BATCH].reshape(BATCH, 1, 8, 8))
    yb = y[:BATCH].copy()

    def floor() -> Impl:
        params = cnn_params()
        return floor_impl(NumpyCNN(params, xb, yb).forward_backward, params, lambda k: LR)

    return Workload(
        "(6) CNN conv3x3x8-ReLU-pool2-fc10 step, batch 32",
        {FLOOR: floor,
         EAGER: lambda: _ag(cnn_params(), xb, yb, False),
         COMPILED: lambda: _ag(cnn_params(), xb, yb, True),
         TORCH: lambda: _torch(cnn_params(), xb, yb)},
        eager_target=1.2)


if __name__ == "__main__":
    from bench import digits_like, main

    main([cnn_workload(*digits_like())])
