"""autograd_lite vs hand-written NumPy, forward + backward, on the same machine in one run.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench.py [--quick]

Workloads (each timed as best-of-several repeats of a loop, seconds per iteration):
  (a) tiny-op chain: 3-element tensor through 30 small elementwise ops, forward + backward;
  (b) MLP training step 64-128-128-10, ReLU, softmax cross-entropy (F.cross_entropy),
      batch 64 and 1024;
  (c) 1024x1024 matmul -> tanh -> sum, forward + backward;
  (d) a 20,000-op chain, forward + backward.
The NumPy side computes the same values and gradients by hand (no framework).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import autograd_lite as ag  # noqa: E402
import autograd_lite.nn.functional as F  # noqa: E402

# CPU time of this process: with one BLAS thread the work is single-threaded, so this equals
# wall time on an idle machine and is not skewed by other processes on a busy one.
_clock = time.process_time


def _loops(fn: Callable[[], object], min_time: float) -> int:
    """How many calls make one timing round of at least ``min_time`` seconds."""
    fn()
    n = 1
    while True:
        t0 = _clock()
        for _ in range(n):
            fn()
        if _clock() - t0 >= min_time:
            return n
        n *= 2


def _round(fn: Callable[[], object], n: int) -> float:
    t0 = _clock()
    for _ in range(n):
        fn()
    return (_clock() - t0) / n


def best_times(fa: Callable[[], object], fb: Callable[[], object], repeat: int = 5,
               min_time: float = 0.2) -> tuple[float, float]:
    """Seconds per call of ``fa`` and ``fb``: best of ``repeat`` rounds, the rounds of the two
    interleaved so that both see the same machine load."""
    na, nb = _loops(fa, min_time), _loops(fb, min_time)
    ta = tb = float("inf")
    for _ in range(repeat):
        ta = min(ta, _round(fa, na))
        tb = min(tb, _round(fb, nb))
    return ta, tb


# ----------------------------------------------------------------------------- (a), (d) chains
def chain_ag(n_ops: int) -> Callable[[], object]:
    x0 = ag.tensor(np.linspace(-1, 1, 3), requires_grad=True)

    def run() -> object:
        y = x0
        for _ in range(n_ops // 3):
            y = y * 0.9
            y = y + 0.1
            y = ag.tanh(y)
        s = y.sum()
        x0.grad = None
        s.backward()
        return x0.grad
    return run


def chain_np(n_ops: int) -> Callable[[], object]:
    x0 = np.linspace(-1, 1, 3)

    def run() -> object:
        y = x0
        outs = []
        for _ in range(n_ops // 3):
            y = y * 0.9
            y = y + 0.1
            y = np.tanh(y)
            outs.append(y)
        s = y.sum()
        g = np.ones_like(y)
        for y in reversed(outs):
            g = g * (1 - y * y)   # tanh
            g = g                 # add
            g = g * 0.9           # mul
        return s, g
    return run


# ----------------------------------------------------------------------------- (b) MLP step
def mlp_params(rng: np.random.Generator) -> list[np.ndarray]:
    sizes = [64, 128, 128, 10]
    ps = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        k = 1 / np.sqrt(a)
        ps += [rng.uniform(-k, k, (a, b)).astype(np.float32),
               rng.uniform(-k, k, b).astype(np.float32)]
    return ps


def mlp_ag(batch: int) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    X = ag.tensor(rng.standard_normal((batch, 64)).astype(np.float32))
    yt = ag.tensor(rng.integers(0, 10, batch))
    W1, b1, W2, b2, W3, b3 = [ag.tensor(p, requires_grad=True) for p in mlp_params(rng)]
    params = [W1, b1, W2, b2, W3, b3]
    lr = 0.01

    def run() -> object:
        h1 = ag.relu(X @ W1 + b1)
        h2 = ag.relu(h1 @ W2 + b2)
        logits = h2 @ W3 + b3
        loss = F.cross_entropy(logits, yt)
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= lr * p.grad.data
        return loss
    return run


def mlp_np(batch: int) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, 64)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    rows = np.arange(batch)
    params = mlp_params(rng)
    lr = 0.01

    def run() -> object:
        W1, b1, W2, b2, W3, b3 = params
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        logits = h2 @ W3 + b3
        m = logits.max(axis=1, keepdims=True)
        s = logits - m
        lse = np.log(np.exp(s).sum(axis=1, keepdims=True))
        logp = s - lse
        loss = -logp[rows, y].mean()
        g = np.exp(logp)
        g[rows, y] -= 1
        g /= batch
        gW3 = h2.T @ g
        gb3 = g.sum(0)
        gh2 = g @ W3.T
        gz2 = gh2 * (z2 > 0)
        gW2 = h1.T @ gz2
        gb2 = gz2.sum(0)
        gh1 = gz2 @ W2.T
        gz1 = gh1 * (z1 > 0)
        gW1 = X.T @ gz1
        gb1 = gz1.sum(0)
        for p, gp in zip(params, (gW1, gb1, gW2, gb2, gW3, gb3)):
            p -= lr * gp
        return loss
    return run


# ----------------------------------------------------------------------------- (c) matmul chain
def matmul_ag(n: int) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    A = ag.tensor(rng.standard_normal((n, n)).astype(np.float32) / np.sqrt(n), requires_grad=True)
    B = ag.tensor(rng.standard_normal((n, n)).astype(np.float32) / np.sqrt(n), requires_grad=True)

    def run() -> object:
        s = ag.tanh(A @ B).sum()
        A.grad = B.grad = None
        s.backward()
        return s
    return run


def matmul_np(n: int) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(np.float32) / np.sqrt(n)
    B = rng.standard_normal((n, n)).astype(np.float32) / np.sqrt(n)

    def run() -> object:
        C = A @ B
        T = np.tanh(C)
        s = T.sum()
        gC = 1 - T * T
        return s, gC @ B.T, A.T @ gC
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = ap.parse_args()
    rep = 2 if args.quick else 5
    mt = 0.05 if args.quick else 0.2
    cases = [
        ("(a) tiny-op chain, 30 ops", chain_ag(30), chain_np(30), 5.0),
        ("(b) MLP step, batch 64", mlp_ag(64), mlp_np(64), 1.3),
        ("(b) MLP step, batch 1024", mlp_ag(1024), mlp_np(1024), 1.1),
        ("(c) 1024^2 matmul-tanh-sum", matmul_ag(1024), matmul_np(1024), 1.05),
        ("(d) 20,000-op chain", chain_ag(20_000), chain_np(20_000), 8.0),
    ]
    try:  # the CNN case lives next to the layers it measures
        from bench_cnn import bench_cnn_cases  # type: ignore
        cases += bench_cnn_cases()
    except ImportError:
        pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"autograd_lite {ag.__version__}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={threads}")
    print(f"{'workload':34s} {'autograd_lite':>14s} {'numpy':>12s} {'ratio':>7s} {'target':>7s}")
    for name, fa, fn, target in cases:
        ta, tn = best_times(fa, fn, rep, mt)
        goal = "     -" if target is None else f"{target:6.2f}x"
        flag = "" if target is None or ta / tn <= target else "  (above target)"
        print(f"{name:34s} {ta * 1e3:11.3f} ms {tn * 1e3:9.3f} ms {ta / tn:6.2f}x "
              f"{goal}{flag}")


if __name__ == "__main__":
    main()
