"""``python -m autograd_lite``: the demo.

Fits a tiny one-hidden-layer network to y = sin(x) with raw Tensors and gradient descent,
printing the loss as it falls.
"""
from __future__ import annotations

import numpy as np

import autograd_lite as ag


def main() -> None:
    ag.manual_seed(0)
    x = ag.linspace(-3, 3, 64).reshape(-1, 1)
    y = ag.sin(x)
    W1 = (ag.randn(1, 16) * 1.0).requires_grad_()
    b1 = ag.zeros(16, requires_grad=True)
    W2 = (ag.randn(16, 1) * 0.25).requires_grad_()
    b2 = ag.zeros(1, requires_grad=True)
    params = [W1, b1, W2, b2]
    lr = 0.05
    print("Fitting y = sin(x) with a 1-16-1 tanh network (raw Tensors, gradient descent)")
    for step in range(1, 1501):
        pred = ag.tanh(x @ W1 + b1) @ W2 + b2
        loss = ((pred - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p -= lr * p.grad
        if step == 1 or step % 250 == 0:
            print(f"step {step:5d}  loss {loss.item():.6f}")
    print(f"final loss {loss.item():.6f} (started near {np.var(y.data):.3f})")


if __name__ == "__main__":
    main()
